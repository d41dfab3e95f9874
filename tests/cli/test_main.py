from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

import branchmark
from branchmark.cli.main import app


def test_version_prints_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"branchmark {branchmark.__version__}"


def test_console_script_runs_in_a_new_process() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "branchmark", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == f"branchmark {branchmark.__version__}"
