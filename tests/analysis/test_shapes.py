"""Every shape and frame-level classifications through SDK-style label rows (the Encord fixture),
Strict vs Partial attribute matching, against hand-derived expectations and pycocotools IoU."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from pycocotools import mask as mask_utils

from branchmark import analysis as an
from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr
from tests.store.builders import prepare
from tests.store.conftest import load_fixture

W, H = 64, 48
SHIFTED = "l+e11ccv"  # two polygons, the first with a hole
DEGENERATE = "+n3DTacM"  # collinear points: an empty mask, which overlaps nothing (pycocotools)


def _save_on(store: Store, unit: Any, branch_name: str, label_dict: dict[str, Any]) -> None:
    with store.write() as conn:
        project = catalog.get_project(conn, "p")
        branch = catalog.ensure_branch(conn, project.id, branch_name)
        row = lr.create_label_row(conn, unit, branch)
    d = copy.deepcopy(label_dict)
    d["label_hash"], d["branch_name"] = row.label_hash, branch_name
    with store.write() as conn:
        lr.save_label_rows(conn, [lr.SaveRequest(unit, branch, row.label_hash, row.revision, d)])


def _objects(d: dict[str, Any]) -> list[dict[str, Any]]:
    return next(iter(d["data_units"].values()))["labels"]["objects"]


@pytest.fixture
def workspace(store: Store, ontology: dict[str, Any]):
    gt = load_fixture("image_all_shapes.json")
    unit, branch, row, d = prepare(store, ontology, gt, branch="main")
    with store.write() as conn:
        lr.save_label_rows(conn, [lr.SaveRequest(unit, branch, row.label_hash, row.revision, d)])
        project = catalog.get_project(conn, "p")
    pred = copy.deepcopy(d)
    polygon = next(o for o in _objects(pred) if o["objectHash"] == SHIFTED)
    polygon["polygons"] = [
        [[v + 0.05 if i % 2 == 0 else v for i, v in enumerate(ring)] for ring in poly]
        for poly in polygon["polygons"]
    ]
    polygon["polygon"] = {
        k: {"x": p["x"] + 0.05, "y": p["y"]} for k, p in polygon["polygon"].items()
    }
    answers = pred["object_answers"]["voeyFsbP"]["classifications"]
    pred["object_answers"]["voeyFsbP"]["classifications"] = [
        a for a in answers if a["value"] != "grade"
    ]
    _save_on(store, unit, "copy", d)
    _save_on(store, unit, "edited", pred)
    return store, project, d, pred


def _by_hash(store: Store, record: an.AnalysisRecord, t: float = 0.5) -> dict[str, Any]:
    rows = an.outcome_page(store, record, iou_threshold=t, page_size=100).rows
    return {r.object_hash: r for r in rows}


def test_identical_sets_match_every_shape_perfectly(workspace) -> None:
    store, project, gt, _ = workspace
    record = an.analyse(store, project, "copy")
    rows = _by_hash(store, record, t=0.95)
    assert set(rows) == {o["objectHash"] for o in _objects(gt)}
    empty = rows.pop(DEGENERATE)
    assert (empty.outcome, empty.similarity) == ("fp", 0.0)
    assert {r.outcome for r in rows.values()} == {"tp"}
    for r in rows.values():
        assert (
            r.similarity == pytest.approx(1.0, abs=1e-9) and r.partner_object_hash == r.object_hash
        )
    summary = an.summary_at(store, record, iou_threshold=0.95)
    assert summary["overall"]["fp"] == summary["overall"]["fn"] == 1
    radio = next(c for c in an.classifications(store, record) if c["kind"] == "radio")
    assert radio["feature_hash"] == "c1a55001" and radio["metrics"]["accuracy"] == 1.0
    confusion = an.confusion(store, record)
    assert np.trace(np.array(confusion["matrix"])) == len(rows)  # every shape but the empty mask


def test_shifted_polygon_similarity_is_pycocotools_mask_iou(workspace) -> None:
    store, project, gt, pred = workspace
    record = an.analyse(store, project, "edited", match="partial")

    def mask(d: dict[str, Any]) -> np.ndarray:
        polygons = next(o for o in _objects(d) if o["objectHash"] == SHIFTED)["polygons"]
        out = np.zeros((H, W), bool)
        for poly in polygons:
            rings = [[v * (W if i % 2 == 0 else H) for i, v in enumerate(r)] for r in poly]
            filled = mask_utils.decode(
                mask_utils.merge(mask_utils.frPyObjects(rings[:1], H, W))
            ).astype(bool)
            for hole in rings[1:]:
                filled &= ~mask_utils.decode(
                    mask_utils.merge(mask_utils.frPyObjects([hole], H, W))
                ).astype(bool)
            out |= filled
        return out

    a, b = mask(gt), mask(pred)
    expected = (a & b).sum() / (a | b).sum()
    row = _by_hash(store, record, t=0.05)[SHIFTED]
    assert row.similarity == pytest.approx(expected, abs=1e-12)
    assert 0.05 < expected < 0.95  # the shift matters: an outcome flip lies on the grid
    high = _by_hash(store, record, t=0.95)[SHIFTED]
    assert (row.outcome, high.outcome, high.reason) == ("tp", "fp", "low_overlap")


def test_strict_and_partial_attribute_matching(workspace) -> None:
    store, project, _, _ = workspace
    strict = an.analyse(store, project, "edited", match="strict")
    partial = an.analyse(store, project, "edited", match="partial")
    s_row, p_row = _by_hash(store, strict)["voeyFsbP"], _by_hash(store, partial)["voeyFsbP"]
    # The prediction no longer answers "Grade": Strict refuses the pair, Partial ignores it.
    assert (s_row.outcome, s_row.reason) == ("fp", "attribute_mismatch")
    assert p_row.outcome == "tp" and p_row.partner_object_hash == "voeyFsbP"
    comparison = an.compare_analyses(store, strict, partial)
    assert comparison.prediction_flips["fp_to_tp"]["count"] >= 1
    assert comparison.gt_flips["fn_to_tp"]["count"] >= 1
