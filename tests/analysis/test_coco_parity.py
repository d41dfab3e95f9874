"""A stored analysis gives pycocotools' numbers (the oracle), and its slider summary and outcome
pages agree with each other and with a fresh in-memory computation."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from branchmark import analysis as an
from branchmark.analysis.persist import read_outcomes
from branchmark.evaluation import ANALYSIS_IOU_THRESHOLDS, FpReason, summarize_thresholds
from branchmark.store import Store
from tests.analysis.builders import build_project, coco_dicts, random_boxes

N_IMAGES, N_CLASSES = 25, 4


def pycocotools_eval(
    dataset: dict, results: list, *, iou_thrs: np.ndarray | None = None
) -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = dataset
        gt.createIndex()
        dt = gt.loadRes(results)
        ev = COCOeval(gt, dt, "bbox")
        if iou_thrs is not None:
            ev.params.iouThrs = iou_thrs
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.fixture
def analysed(store: Store):
    rng = np.random.default_rng(7)
    gt, pred = random_boxes(rng, n_images=N_IMAGES, n_gt=260, n_pred=1300, n_classes=N_CLASSES)
    project, _ = build_project(store, gt, pred, n_images=N_IMAGES, n_classes=N_CLASSES)
    record = an.analyse(store, project, "preds")
    return store, project, record, gt, pred


def test_stats_equal_pycocotools(analysed) -> None:
    store, _, record, gt, pred = analysed
    assert record.status is an.JobStatus.DONE and record.result is not None
    ev = pycocotools_eval(*coco_dicts(gt, pred, n_images=N_IMAGES, n_classes=N_CLASSES))
    np.testing.assert_allclose(record.summary["coco"]["coco_stats"], ev.stats, atol=1e-12)
    arrays = an.pr_arrays(store, record)
    theirs = np.where(ev.eval["precision"] < 0, np.nan, ev.eval["precision"])
    np.testing.assert_allclose(arrays["precision"], theirs, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("t", [0.05, 0.5, 0.75, 0.95])
def test_ap_at_grid_threshold_equals_pycocotools_without_maxdets(analysed, t: float) -> None:
    """AP@t of the slider summary = pycocotools AP at that single threshold with no maxDets cap
    (the slider's definition), class by class."""
    store, _, record, gt, pred = analysed
    dataset, results = coco_dicts(gt, pred, n_images=N_IMAGES, n_classes=N_CLASSES)
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = dataset
        c.createIndex()
        ev = COCOeval(c, c.loadRes(results), "bbox")
        ev.params.iouThrs = np.array([t])
        ev.params.maxDets = [10_000]
        ev.params.areaRng, ev.params.areaRngLbl = [[0, 1e10]], ["all"]
        ev.evaluate()
        ev.accumulate()
    precision = ev.eval["precision"][0, :, :, 0, 0]  # (R, K)
    expected = [
        np.mean(precision[:, k]) if (precision[:, k] > -1).any() else np.nan
        for k in range(N_CLASSES)
    ]
    summary = an.summary_at(store, record, iou_threshold=t)
    got = {row["class"]: row["ap"] for row in summary["per_class"]}
    np.testing.assert_allclose([got.get(k, np.nan) for k in range(N_CLASSES)], expected, atol=1e-12)


def test_stored_outcomes_rebuild_the_in_memory_summary(analysed) -> None:
    """Outcomes read back from the rows summarise exactly as the run's own arrays did."""
    from branchmark.analysis.compute import compute_outputs, load_inputs

    store, project, record, _, _ = analysed
    with store.read() as conn:
        inputs = load_inputs(conn, project_id=project.id, branch="preds", ground_truth="main")
        stored = read_outcomes(conn, record.result.id)
    fresh = compute_outputs(inputs, mode="strict").outcomes
    rng = np.random.default_rng(3)
    for t, c in zip(rng.choice(ANALYSIS_IOU_THRESHOLDS, 6), rng.random(6), strict=True):
        a = summarize_thresholds(fresh, iou_threshold=t, confidence=c).to_dict()
        b = summarize_thresholds(stored.outcomes, iou_threshold=t, confidence=c).to_dict()
        assert a == b


@pytest.mark.parametrize(("t", "c"), [(0.5, 0.0), (0.3, 0.42), (0.85, 0.9)])
def test_outcome_pages_count_what_the_summary_counts(analysed, t: float, c: float) -> None:
    store, _, record, _, _ = analysed
    overall = an.summary_at(store, record, iou_threshold=t, confidence=c)["overall"]

    def count(**kw: object) -> int:
        return an.outcome_page(
            store, record, iou_threshold=t, confidence=c, page_size=1, **kw
        ).total

    assert count(outcome="tp") == overall["tp"]
    assert count(outcome="fp") == overall["fp"]
    assert count(kind="ground_truth", outcome="fn") == overall["fn"]
    assert count(kind="ground_truth", outcome="tp") == overall["tp"]
    reasons = [r.value for r in FpReason]
    assert sum(count(reasons=[r]) for r in reasons) == overall["fp"]


def test_outcome_page_filters_and_order(analysed) -> None:
    store, _, record, _, pred = analysed

    def class1_fp_page(**paging: int) -> an.OutcomePage:
        return an.outcome_page(
            store, record, outcome="fp", classes=["class1"], min_score=0.2, max_score=0.8, **paging
        )

    page = class1_fp_page(page_size=20, page=1)
    assert page.total > 20 and len(page.rows) == 20
    scores = [r.score for r in page.rows]
    assert scores == sorted(scores, reverse=True) and all(0.2 <= s <= 0.8 for s in scores)
    assert {r.class_name for r in page.rows} == {"class1"} and {r.outcome for r in page.rows} == {
        "fp"
    }
    assert all(
        r.reason in {"duplicate", "wrong_class", "low_overlap", "background"} for r in page.rows
    )
    whole = class1_fp_page(page_size=1000)
    assert [r.annotation_id for r in whole.rows[20:40]] == [r.annotation_id for r in page.rows]
    unit = page.rows[0].data_hash
    in_unit = an.outcome_page(store, record, data_hash=unit, page_size=1000)
    assert in_unit.total == sum(1 for r in in_unit.rows) and {
        r.data_hash for r in in_unit.rows
    } == {unit}
    tp = an.outcome_page(store, record, outcome="tp", page_size=5).rows
    assert all(r.partner_id is not None and r.similarity >= 0.5 for r in tp)


@pytest.mark.parametrize("t", [0.1, 0.45, 0.8])
def test_partners_agree_from_both_sides(analysed, t: float) -> None:
    """Every TP prediction names its GT and that GT names it back, with the same similarity,
    at every threshold (including objects whose partner changes across the grid)."""
    store, _, record, _, _ = analysed
    preds = an.outcome_page(store, record, outcome="tp", iou_threshold=t, page_size=1000)
    gts = an.outcome_page(
        store, record, kind="ground_truth", outcome="tp", iou_threshold=t, page_size=1000
    )
    assert preds.total == gts.total == len(preds.rows) > 0
    back = {g.annotation_id: (g.partner_id, g.similarity) for g in gts.rows}
    for p in preds.rows:
        assert p.similarity >= t - 1e-12
        assert back[p.partner_id] == (p.annotation_id, pytest.approx(p.similarity))


def test_outcomes_cached_by_the_run_equal_the_stored_ones(analysed) -> None:
    """analyse() caches the run's own outcomes; summaries and pages from them equal those
    rebuilt from the stored columns in a fresh process (cache cleared)."""
    from branchmark.analysis import queries

    store, _, record, _, _ = analysed
    points = [(0.5, 0.0), (0.3, 0.42), (0.85, 0.9), (0.05, 0.7)]
    assert (store.location, record.result.id) in queries._cache
    warm = [an.summary_at(store, record, iou_threshold=t, confidence=c) for t, c in points]
    pages = [
        an.outcome_page(store, record, kind=k, outcome=o, iou_threshold=0.65, page_size=40)
        for k, o in (("prediction", "tp"), ("prediction", "fp"), ("ground_truth", "fn"))
    ]
    queries._cache.clear()
    cold = [an.summary_at(store, record, iou_threshold=t, confidence=c) for t, c in points]
    assert warm == cold
    assert pages == [
        an.outcome_page(store, record, kind=k, outcome=o, iou_threshold=0.65, page_size=40)
        for k, o in (("prediction", "tp"), ("prediction", "fp"), ("ground_truth", "fn"))
    ]
