"""The lazy command registry: every group listed, names accurate, nothing heavy imported early."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from branchmark.cli import commands
from branchmark.cli.main import app

CLI = Path(commands.__file__).parent
HEAVY = ("sqlalchemy", "fastapi", "branchmark.client", "branchmark.store", "branchmark.analysis")


def _modules_with_register() -> set[str]:
    found = set()
    for path in CLI.glob("*.py"):
        tree = ast.parse(path.read_text())
        if path.stem != "commands" and any(
            isinstance(node, ast.FunctionDef) and node.name == "register" for node in tree.body
        ):
            found.add(path.stem)
    return found


def test_every_group_module_is_listed() -> None:
    assert set(commands.GROUPS) == _modules_with_register()


@pytest.mark.parametrize("module", list(commands.GROUPS))
def test_declared_names_are_what_the_module_registers(module: str) -> None:
    assert sorted(commands.load_commands(module)) == sorted(commands.GROUPS[module])


def test_help_lists_every_command_in_order() -> None:
    out = CliRunner().invoke(app, ["--help"])
    assert out.exit_code == 0, out.output
    # A command's row starts "│ name"; wrapped help text is indented further.
    rows = [line for line in out.output.splitlines() if line.startswith("│ ") and line[2] != " "]
    listed = [row.split()[1] for row in rows if not row.split()[1].startswith("-")]
    assert listed == commands.command_names()


def test_unknown_command_is_a_usage_error() -> None:
    out = CliRunner().invoke(app, ["no-such-command"])
    assert out.exit_code == 2
    assert "No such command" in out.output


def test_eager_register_builds_the_same_tree() -> None:
    eager = typer.Typer()
    commands.register(eager)
    assert sorted(typer.main.get_group(eager).commands) == sorted(commands.command_names())


def test_eval_help_imports_no_store_server_or_sdk() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from branchmark.cli.main import app\n"
        "out = CliRunner().invoke(app, ['eval', 'coco', '--help'])\n"
        "assert out.exit_code == 0, out.output\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
