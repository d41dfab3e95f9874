"""``branchmark import yolo`` of a YOLO pose folder and ``branchmark export yolo --pose`` through
CliRunner: the JSON summary parsed, the exported files equal the input, a bad line is one error
line naming file, line and field (also for an Ultralytics prediction's keypoint confidence)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from branchmark.cli.main import app
from tests.importers.conftest import write_json

DATASET = {
    "images": [
        {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
        {"id": 2, "file_name": "b.jpg", "width": 320, "height": 240},
    ],
    "categories": [{"id": 1, "name": "tri", "keypoints": ["a", "b", "c"], "skeleton": [[1, 2]]}],
    "annotations": [],
}
DATA_YAML = "names:\n  0: tri\nkpt_shape: [3, 3]\n"
LINES = {
    "a": "0 0.5 0.5 0.5 0.5 0.25 0.25 2 0.75 0.25 1 0.5 0.75 0 0.9\n",
    "b": "0 0.5 0.5 1 1 0 0 2 1 1 2 0.5 0.5 2\n",
}
#: Ultralytics' own predictions ("%g" numbers; a keypoint confidence after each x y, x and y 0
#: below 0.5; then the box confidence).
PREDICTED_LINES = {
    "a": "0 0.5 0.5 0.5 0.5 0.25 0.25 0.934512 0 0 0.0123456 0.5 0.75 1 0.9\n",
    "b": "0 0.5 0.5 1 1 0 0 3.1e-05 1 1 0.75 0.5 0.5 0.61 0.456789\n",
}


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _workspace(tmp_path: Path) -> str:
    ws = str(tmp_path / "ws")
    dataset = write_json(tmp_path / "gt.json", DATASET)
    assert _run("import", "coco-dataset", str(dataset), "--project", "P", "-w", ws)[0] == 0
    return ws


def _folder(path: Path, lines: dict[str, str]) -> Path:
    (path / "labels").mkdir(parents=True)
    (path / "data.yaml").write_text(DATA_YAML)
    for stem, text in lines.items():
        (path / "labels" / f"{stem}.txt").write_text(text)
    return path


@pytest.mark.parametrize(
    "lines",
    [pytest.param(LINES, id="visibility"),
     pytest.param(PREDICTED_LINES, id="ultralytics-predictions")],
)  # fmt: skip
def test_pose_import_and_export_commands(tmp_path: Path, lines: dict[str, str]) -> None:
    ws = _workspace(tmp_path)
    source = _folder(tmp_path / "pose", lines)
    code, out, _ = _run(
        "import", "yolo", str(source), "--project", "P", "--branch", "kp.v1", "--json", "-w", ws
    )
    summary = json.loads(out)
    assert code == 0 and summary["per_shape"] == {"skeleton": 2} and summary["label_rows"] == 2
    folder = tmp_path / "out"
    code, out, _ = _run(
        "export", "yolo", "--project", "P", "--branch", "kp.v1", "--pose", "--out", str(folder),
        "--json", "-w", ws,
    )  # fmt: skip
    assert code == 0 and json.loads(out) == {
        "ok": True, "folder": str(folder), "files": 2, "lines": 2, "skipped": 0
    }  # fmt: skip
    for stem, text in lines.items():
        assert (folder / "labels" / f"{stem}.txt").read_bytes() == text.encode()
    assert "kpt_shape: [3, 3]\n" in (folder / "data.yaml").read_text()
    # without --pose the skeletons have no YOLO form: skipped, as before
    code, out, _ = _run(
        "export", "yolo", "--project", "P", "--branch", "kp.v1", "--out", str(tmp_path / "o2"),
        "--json", "-w", ws,
    )  # fmt: skip
    assert code == 0 and (json.loads(out)["lines"], json.loads(out)["skipped"]) == (0, 2)


def test_bad_pose_line_is_one_error_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    source = _folder(tmp_path / "pose", {**LINES, "b": LINES["b"] + "0 0.5 0.5 1 1 0 0 2 1 1 7\n"})
    code, out, err = _run(
        "import", "yolo", str(source), "--project", "P", "--branch", "kp.v1", "-w", ws
    )
    assert code == 1 and out == ""
    bad = source / "labels" / "b.txt"
    assert err.strip() == (
        f'error: {bad}:2: field "kpt_shape": 10 numbers after the class; kpt_shape [3, 3] of '
        f"{source / 'data.yaml'} needs 13 (cx cy w h and 3 points of 3 numbers), or 14 with a "
        "confidence"
    )
    code, out, _ = _run("branches", "list", "--project", "P", "--json", "-w", ws)
    assert code == 0 and "kp.v1" not in out  # nothing written, not even the branch


def test_bad_keypoint_confidence_is_one_error_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path)
    bad_line = "0 0.5 0.5 1 1 0 0 0.2 1 1 1.25 0.5 0.5 0.61 0.8\n"
    source = _folder(tmp_path / "pose", {**PREDICTED_LINES, "b": bad_line})
    code, out, err = _run(
        "import", "yolo", str(source), "--project", "P", "--branch", "kp.v1", "-w", ws
    )
    assert code == 1 and out == ""
    assert err.strip() == (
        f'error: {source / "labels" / "b.txt"}:1: field "keypoint 1 visibility": expected a '
        "keypoint confidence in [0, 1] (or a visibility 0, 1 or 2), got 1.25"
    )
    code, out, _ = _run("branches", "list", "--project", "P", "--json", "-w", ws)
    assert code == 0 and "kp.v1" not in out  # nothing written, not even the branch


def test_help_names_pose() -> None:
    code, out, _ = _run("export", "yolo", "--help")
    assert code == 0 and "--pose" in out
    code, out, _ = _run("import", "yolo", "--help")
    assert code == 0 and "kpt_shape" in out
