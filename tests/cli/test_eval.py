"""``branchmark eval coco``: JSON output equals pycocotools, summary lines, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from branchmark.cli.main import app

REAL = Path(__file__).parents[1] / "fixtures" / "coco-real"
GT = REAL / "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
RES = REAL / "cocoapi/results/instances_val2014_fakebbox100_results.json"


def test_json_output_has_stats_and_per_class_ap() -> None:
    out = CliRunner().invoke(
        app, ["eval", "coco", str(GT), str(RES), "--iou-type", "bbox", "--json"]
    )
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert set(payload) == {"iou_type", "stats", "per_class_ap", "seconds"}
    assert payload["stats"][0] == pytest.approx(0.5045806987249628, abs=1e-12)
    assert len(payload["per_class_ap"]) == 80
    assert -1.0 in payload["per_class_ap"].values()  # classes without GT in these 100 images


def test_summary_lines() -> None:
    out = CliRunner().invoke(app, ["eval", "coco", str(GT), str(RES)])
    assert out.exit_code == 0
    assert out.output.splitlines()[0] == (
        " Average Precision  (AP) @[ IoU=0.50:0.95 | area=   all | maxDets=100 ] = 0.505"
    )


def test_bad_file_gives_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "res.json"
    bad.write_text('[{"image_id": 12345, "category_id": 1, "score": 1}]')
    out = CliRunner().invoke(app, ["eval", "coco", str(GT), str(bad)])
    assert out.exit_code == 1
    assert "results[0]: field 'image_id' 12345 is not an image of" in out.output
    assert len(out.output.strip().splitlines()) == 1
