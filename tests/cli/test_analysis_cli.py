"""``branchmark analyse / analyses / compare / report / branches`` through CliRunner, output
parsed; and the COCO acceptance path: import a real COCO dataset and results with the CLI,
analyse, and get ``branchmark eval coco``'s and pycocotools' numbers."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import orjson
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from typer.testing import CliRunner

from branchmark.cli.main import app
from branchmark.store import Store
from tests.analysis.builders import build_project, random_boxes
from tests.conftest import COCO_FIXTURES

GT_FILE = COCO_FIXTURES / "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
RESULTS = COCO_FIXTURES / "cocoapi/results"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def workspace(tmp_path: Path) -> str:
    ws = tmp_path / "ws"
    with Store.open(ws) as store:
        rng = np.random.default_rng(2)
        gt, a = random_boxes(rng, n_images=6, n_gt=40, n_pred=120, n_classes=3)
        _, b = random_boxes(np.random.default_rng(3), n_images=6, n_gt=40, n_pred=90, n_classes=3)
        build_project(store, gt, {"a": a, "b": b}, n_images=6, n_classes=3, title="P")
    return str(ws)


def test_analyse_list_show_compare_report(workspace: str, tmp_path: Path) -> None:
    code, out, err = _run("analyse", "a", "-p", "P", "-w", workspace)
    assert code == 0, err
    assert out.startswith("analysis 'a-vs-main-strict': done") and "Average Precision" in out
    code, out, _ = _run("analyse", "b", "-p", "P", "-w", workspace, "--match", "partial", "--json")
    record = json.loads(out)
    assert code == 0 and record["status"] == "done" and record["name"] == "b-vs-main-partial"
    listed = json.loads(_run("analyses", "list", "-p", "P", "-w", workspace, "--json")[1])
    assert [r["name"] for r in listed] == ["a-vs-main-strict", "b-vs-main-partial"]
    assert listed[0]["map_coco"] == pytest.approx(
        json.loads(
            _run("analyses", "show", "a-vs-main-strict", "-p", "P", "-w", workspace, "--json")[1]
        )["analysis"]["summary"]["coco"]["stats"][0]
    )
    shown = json.loads(
        _run(
            "analyses",
            "show",
            "a-vs-main-strict",
            "-p",
            "P",
            "-w",
            workspace,
            "--json",
            "--iou",
            "0.3",
            "--confidence",
            "0.5",
        )[1]
    )
    overall = shown["summary"]["overall"]
    assert shown["summary"]["iou_threshold"] == 0.3 and overall["tp"] == sum(
        c["tp"] for c in shown["classes"]
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                _run("analyses", "show", "a-vs-main-strict", "-p", "P", "-w", workspace, "--csv")[1]
            )
        )
    )
    assert [r["name"] for r in rows] == ["class0", "class1", "class2"]
    compared = json.loads(
        _run(
            "compare", "a-vs-main-strict", "b-vs-main-partial", "-p", "P", "-w", workspace, "--json"
        )[1]
    )
    assert {r["name"] for r in compared["per_class"]} == {"class0", "class1", "class2"}
    report = json.loads(_run("report", "a-vs-main-strict", "-p", "P", "-w", workspace)[1])
    assert set(report) == {
        "analysis",
        "summary",
        "classes",
        "pr_curves",
        "confusion",
        "classifications",
    }
    table = list(
        csv.DictReader(
            io.StringIO(
                _run("report", "a-vs-main-strict", "-p", "P", "-w", workspace, "-f", "csv")[1]
            )
        )
    )
    assert [int(r["tp"]) for r in table] == [c["tp"] for c in report["classes"]]
    target = tmp_path / "report.html"
    code, out, _ = _run(
        "report", "a-vs-main-strict", "-p", "P", "-w", workspace, "-f", "html", "-o", str(target)
    )
    page = target.read_text()
    assert code == 0 and page.startswith("<!doctype html>")
    assert not re.search(r"(src|href)=\"(https?:)?//", page) and "<script" not in page  # offline
    assert page.count('class="pr"') == len(report["pr_curves"]) > 0
    assert page.count('class="cell"') == len(report["confusion"]["matrix"]) ** 2
    code, _, err = _run("report", "a-vs-main-strict", "-p", "P", "-w", workspace, "-f", "pdf")
    assert code == 1 and "report format must be one of" in err
    code, _, _ = _run("analyses", "delete", "b-vs-main-partial", "-p", "P", "-w", workspace)
    code, _, err = _run("analyses", "show", "b-vs-main-partial", "-p", "P", "-w", workspace)
    assert code == 1 and err == "error: no analysis 'b-vs-main-partial' in project 'P'\n"


def test_branches_list_rename_meta_delete(workspace: str) -> None:
    _run("analyse", "a", "-p", "P", "-w", workspace)
    listed = json.loads(_run("branches", "list", "-p", "P", "-w", workspace, "--json")[1])
    assert [(b["name"], b["objects"], b["analyses"]) for b in listed] == [
        ("main", 40, 0),
        ("a", 120, 1),
        ("b", 90, 0),
    ]
    assert _run("branches", "rename", "a", "yolo.v8", "-p", "P", "-w", workspace)[0] == 0
    assert (
        _run(
            "branches",
            "meta",
            "yolo.v8",
            "-p",
            "P",
            "-w",
            workspace,
            "--model",
            "yolo",
            "--notes",
            "n",
        )[1]
        == "model=yolo, notes=n\n"
    )
    code, _, err = _run("branches", "delete", "main", "-p", "P", "-w", workspace)
    assert code == 1 and "holds the ground truth" in err
    assert _run("branches", "delete", "yolo.v8", "-p", "P", "-w", workspace)[0] == 0
    listed = json.loads(_run("branches", "list", "-p", "P", "-w", workspace, "--json")[1])
    assert [b["name"] for b in listed] == ["main", "b"]
    assert json.loads(_run("analyses", "list", "-p", "P", "-w", workspace, "--json")[1]) == []


def _pycocotools(gt: dict, results_file: Path, iou_type: str) -> np.ndarray:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = gt
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(str(results_file)), iou_type)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return np.array(ev.stats)


@pytest.mark.parity
@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_coco_imported_through_the_cli_gives_eval_coco_and_pycocotools_stats(
    tmp_path: Path, iou_type: str
) -> None:
    gt = orjson.loads(GT_FILE.read_bytes())
    if iou_type == "bbox":  # without segmentations the categories import as boxes
        for ann in gt["annotations"]:
            ann.pop("segmentation", None)
    gt_file = tmp_path / "gt.json"
    gt_file.write_bytes(orjson.dumps(gt))
    results = RESULTS / f"instances_val2014_fake{iou_type}100_results.json"
    ws = str(tmp_path / "ws")
    code, _, err = _run("import", "coco-dataset", str(gt_file), "-p", "coco", "-w", ws)
    assert code == 0, err
    code, _, err = _run(
        "import", "coco-results", str(results), "-p", "coco", "-b", "fake", "-w", ws
    )
    assert code == 0, err
    code, out, err = _run("analyse", "fake", "-p", "coco", "-w", ws, "--json")
    assert code == 0, err
    ours = np.array(
        [-1.0 if v is None else v for v in json.loads(out)["summary"]["coco"]["coco_stats"]]
    )
    code, out, _ = _run(
        "eval", "coco", str(gt_file), str(results), "--iou-type", iou_type, "--json"
    )
    np.testing.assert_allclose(ours, json.loads(out)["stats"], atol=1e-12)
    np.testing.assert_allclose(ours, _pycocotools(gt, results, iou_type), atol=1e-12)
