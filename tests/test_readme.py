"""The README stays true: its SDK example runs, its CLI lines name real commands and options."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from branchmark.cli.main import app
from branchmark.demo.workspace import build_demo_workspace

README = Path(__file__).resolve().parent.parent / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_sdk_example_runs_on_a_demo_workspace(tmp_path: Path) -> None:
    build_demo_workspace(tmp_path, image_count=1, video_frames=0)
    example = next(block for block in _blocks("python") if "UserClient.open" in block)
    code = example.replace('"my-workspace"', repr(str(tmp_path)))
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - our own README
    record = namespace["record"]
    assert record.status == "done"  # type: ignore[attr-defined]
    assert len(record.summary["coco"]["lines"]) == 12  # type: ignore[attr-defined]


def _cli_lines() -> list[list[str]]:
    lines = []
    for block in _blocks("bash"):
        for line in block.splitlines():
            words = shlex.split(line.split("#")[0])
            if words and words[0] == "branchmark":
                lines.append(words[1:])
    return lines


@pytest.mark.parametrize("words", _cli_lines(), ids=lambda w: " ".join(w[:2]))
def test_readme_cli_lines_use_real_commands_and_options(words: list[str]) -> None:
    # Walk the command path: each group/subcommand must exist ("a|b|c" means each of them).
    path: list[str] = []
    for word in words:
        if word.startswith("-"):
            break
        candidates = word.split("|")
        result = CliRunner().invoke(app, [*path, candidates[0], "--help"])
        if result.exit_code != 0:
            break  # an argument, not a command
        for other in candidates[1:]:
            assert CliRunner().invoke(app, [*path, other, "--help"]).exit_code == 0, other
        path.append(candidates[0])
    assert path, f"README names no command in {words}"
    help_text = CliRunner().invoke(app, [*path, "--help"], terminal_width=200).output
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in help_text, f"{' '.join(path)} has no option {word}"
