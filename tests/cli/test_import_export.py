"""``branchmark import`` / ``branchmark export`` through CliRunner: JSON summaries parsed, errors
as one line with status 1, and a dataset -> results -> export round trip."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
from typer.testing import CliRunner

from branchmark.cli.main import app
from tests.importers.conftest import BASE_DATASET, write_json

RESULTS = [
    {"image_id": 1, "category_id": 1, "bbox": [1.0, 2.0, 3.0, 4.0], "score": 0.75},
    {"image_id": 2, "category_id": 1, "bbox": [5.5, 6.0, 7.0, 8.0], "score": 0.5},
]


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _import_gt(tmp_path: Path, *flags: str) -> tuple[str, int, str]:
    """Import ``BASE_DATASET`` as project P into a new workspace: (workspace, code, stdout)."""
    ws = str(tmp_path / "ws")
    gt = write_json(tmp_path / "gt.json", BASE_DATASET)
    code, out, _ = _run("import", "coco-dataset", str(gt), "--project", "P", *flags, "-w", ws)
    return ws, code, out


def test_import_dataset_and_results_then_export(tmp_path: Path) -> None:
    ws, code, out = _import_gt(tmp_path, "--json")
    assert code == 0
    summary = json.loads(out)
    assert summary["imported"] == 4 and summary["data_units_created"] == 2
    assert summary["per_shape"] == {"bitmask": 1, "bounding_box": 1, "polygon": 1, "skeleton": 1}
    assert set(summary) >= {"per_class", "skipped", "seconds", "branch"}
    dets = write_json(tmp_path / "dets.json", RESULTS)
    code, out, _ = _run(
        "import",
        "coco-results",
        str(dets),
        "--project",
        "P",
        "--branch",
        "m.v1",
        "--json",
        "-w",
        ws,
    )
    assert code == 0 and json.loads(out)["per_class"] == {"box": 2}
    out_file = tmp_path / "out.json"
    code, out, _ = _run(
        "export",
        "coco",
        "--project",
        "P",
        "--branch",
        "m.v1",
        "--results",
        "--out",
        str(out_file),
        "--json",
        "-w",
        ws,
    )
    assert code == 0 and json.loads(out)["annotations"] == 2
    assert orjson.loads(out_file.read_bytes()) == RESULTS
    code, out, _ = _run("export", "coco", "--project", "P", "--out", str(out_file), "-w", ws)
    assert code == 0
    exported = orjson.loads(out_file.read_bytes())
    assert [{k: v for k, v in a.items() if k != "id"} for a in exported["annotations"]] == [
        {k: v for k, v in a.items() if k != "id"} for a in BASE_DATASET["annotations"]
    ]


def test_bad_file_fails_with_one_line_and_skip_invalid_reports(tmp_path: Path) -> None:
    ws, _, _ = _import_gt(tmp_path)
    bad = write_json(tmp_path / "dets.json", [RESULTS[0], {**RESULTS[1], "image_id": 99}])

    def import_bad(*flags: str) -> tuple[int, str, str]:
        args = ("import", "coco-results", str(bad), "--project", "P", "--branch", "m")
        return _run(*args, *flags, "-w", ws)

    code, out, err = import_bad()
    assert code == 1
    assert (
        err.strip()
        == f'error: {bad}: results[1] (image_id 99): field "image_id": unknown image id 99'
    )
    code, out, _ = import_bad("--skip-invalid", "--json")
    summary = json.loads(out)
    assert code == 0 and summary["imported"] == 1 and summary["skipped"] == 1
    code, out, err = import_bad("--skip-invalid")
    assert code == 1 and "already holds labels" in err
    code, out, _ = import_bad("--skip-invalid", "--replace")
    assert code == 0 and "imported 1 object(s)" in out and "skipped 1 record(s)" in out


def test_encord_and_yolo_commands(tmp_path: Path) -> None:
    ws, _, _ = _import_gt(tmp_path)
    rows = tmp_path / "rows.json"
    assert _run("export", "encord", "--project", "P", "--out", str(rows), "-w", ws)[0] == 0
    code, out, _ = _run(
        "import", "encord", str(rows), "--project", "P", "--branch", "copy", "--json", "-w", ws
    )
    assert code == 0 and json.loads(out)["imported"] == 4
    again = tmp_path / "rows2.json"
    _run("export", "encord", "--project", "P", "--branch", "copy", "--out", str(again), "-w", ws)
    strip = lambda d: {k: v for k, v in d.items() if k not in ("label_hash", "branch_name")}  # noqa: E731
    assert [strip(d) for d in orjson.loads(again.read_bytes())] == [
        strip(d) for d in orjson.loads(rows.read_bytes())
    ]
    folder = tmp_path / "yolo"
    code, out, _ = _run(
        "export", "yolo", "--project", "P", "--out", str(folder), "--json", "-w", ws
    )
    assert code == 0 and json.loads(out)["lines"] == 3  # the box and one line per polygon (2)
    code, out, _ = _run(
        "import", "yolo", str(folder), "--project", "P", "--branch", "y", "--json", "-w", ws
    )
    assert code == 0 and json.loads(out)["per_shape"] == {"bounding_box": 1, "polygon": 2}
