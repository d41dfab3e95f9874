"""The confidence/IoU slider summary against a brute-force re-evaluation of the kept predictions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from branchmark.evaluation.thresholds import (
    MatchOutcomes,
    f1_from,
    interpolated_ap,
    summarize_thresholds,
)

GRID = np.round(np.arange(1, 20) * 0.05, 2)


# --- brute-force reference: COCO greedy matching and accumulation, one loop at a time ----------


def greedy_match(sim, gt_class, gt_ignored, gt_crowd, pred_class, pred_score, threshold):
    """COCOeval.evaluateImg for one image, per class, no area ranges and no maxDets cap."""
    pred_match = [-1] * len(pred_class)
    gt_match = [-1] * len(gt_class)
    for c in set(pred_class) | set(gt_class):
        gts = [g for g in range(len(gt_class)) if gt_class[g] == c]
        gts.sort(key=lambda g: gt_ignored[g])  # non-ignored first, stable
        preds = [d for d in range(len(pred_class)) if pred_class[d] == c]
        preds.sort(key=lambda d: -pred_score[d])  # stable
        taken = set()
        for d in preds:
            best, m = min(threshold, 1 - 1e-10), -1
            for g in gts:
                if g in taken and not gt_crowd[g]:
                    continue
                if m > -1 and not gt_ignored[m] and gt_ignored[g]:
                    break
                if sim[g][d] < best:
                    continue
                best, m = sim[g][d], g
            if m > -1:
                taken.add(m)
                pred_match[d] = m
                gt_match[m] = d
    return pred_match, gt_match


def reference_summary(images, threshold, confidence):
    """Re-match only the kept predictions, then count and accumulate by brute force."""
    classes = sorted({c for im in images for c in im["gt_class"] + im["pred_class"]})
    tp, fp, fn = dict.fromkeys(classes, 0), dict.fromkeys(classes, 0), dict.fromkeys(classes, 0)
    npos = dict.fromkeys(classes, 0)
    ranked = {c: [] for c in classes}  # (score, is_tp) in accumulate's order
    for im in images:
        kept = [d for d in range(len(im["pred_class"])) if im["pred_score"][d] >= confidence]
        sim = [[row[d] for d in kept] for row in im["sim"]]
        pcls = [im["pred_class"][d] for d in kept]
        pscore = [im["pred_score"][d] for d in kept]
        pm, gm = greedy_match(
            sim, im["gt_class"], im["gt_ignored"], im["gt_crowd"], pcls, pscore, threshold
        )
        for g, c in enumerate(im["gt_class"]):
            if not im["gt_ignored"][g]:
                npos[c] += 1
                fn[c] += gm[g] < 0
        order = sorted(range(len(kept)), key=lambda d: -pscore[d])
        for d in order:
            if pm[d] >= 0 and im["gt_ignored"][pm[d]]:
                continue  # matched to an ignored GT: ignored
            ranked[pcls[d]].append((pscore[d], pm[d] >= 0))
            tp[pcls[d]] += pm[d] >= 0
            fp[pcls[d]] += pm[d] < 0
    ap = {}
    for c in classes:
        if npos[c] == 0:
            ap[c] = math.nan
            continue
        rows = sorted(ranked[c], key=lambda r: -r[0])  # mergesort over images in order
        ctp = cfp = 0
        rc, pr = [], []
        for _, hit in rows:
            ctp += hit
            cfp += not hit
            rc.append(ctp / npos[c])
            pr.append(ctp / (ctp + cfp + np.spacing(1)))
        for i in range(len(pr) - 1, 0, -1):
            pr[i - 1] = max(pr[i - 1], pr[i])
        total = 0.0
        for r in np.linspace(0, 1, 101):
            first = next((i for i, v in enumerate(rc) if v >= r), None)
            total += pr[first] if first is not None else 0.0
        ap[c] = total / 101
    return classes, tp, fp, fn, ap


def outcomes_from(images):
    """Full matching of all predictions at every grid threshold, flattened over images."""
    pred_class, pred_score, gt_class, gt_ignored = [], [], [], []
    t = len(GRID)
    pm_all, gm_all = [np.zeros((0, t), np.int64)], [np.zeros((0, t), np.int64)]
    pig_all = [np.zeros((0, t), bool)]
    g_off = d_off = 0
    for im in images:
        pms, gms, pigs = [], [], []
        for t in GRID:
            pm, gm = greedy_match(
                im["sim"],
                im["gt_class"],
                im["gt_ignored"],
                im["gt_crowd"],
                im["pred_class"],
                im["pred_score"],
                t,
            )
            pms.append([m + g_off if m >= 0 else -1 for m in pm])
            gms.append([m + d_off if m >= 0 else -1 for m in gm])
            pigs.append([m >= 0 and im["gt_ignored"][m] for m in pm])
        n_g, n_d = len(im["gt_class"]), len(im["pred_class"])
        pm_all.append(np.array(pms, dtype=np.int64).reshape(len(GRID), n_d).T)
        gm_all.append(np.array(gms, dtype=np.int64).reshape(len(GRID), n_g).T)
        pig_all.append(np.array(pigs, dtype=bool).reshape(len(GRID), n_d).T)
        pred_class += im["pred_class"]
        pred_score += im["pred_score"]
        gt_class += im["gt_class"]
        gt_ignored += im["gt_ignored"]
        g_off += n_g
        d_off += n_d
    return MatchOutcomes(
        pred_class=np.array(pred_class, dtype=np.int64), pred_score=np.array(pred_score, float),
        pred_match=np.concatenate(pm_all), pred_ignored=np.concatenate(pig_all),
        gt_class=np.array(gt_class, dtype=np.int64), gt_ignored=np.array(gt_ignored, dtype=bool),
        gt_match=np.concatenate(gm_all),
    )  # fmt: skip


def random_images(rng, n_images):
    images = []
    for _ in range(n_images):
        n_g, n_d = rng.integers(0, 5), rng.integers(0, 7)
        crowd = rng.random(n_g) < 0.15
        ignored = crowd | (rng.random(n_g) < 0.1)
        sim = rng.choice([0.0, 0.1, 0.3, 0.5, 0.55, 0.7, 0.9, 1.0], size=(n_g, n_d))
        images.append({
            "gt_class": rng.integers(0, 3, n_g).tolist(),
            "gt_ignored": ignored.tolist(),
            "gt_crowd": crowd.tolist(),
            "pred_class": rng.integers(0, 3, n_d).tolist(),
            "pred_score": rng.choice([0.2, 0.4, 0.5, 0.6, 0.8, 0.95], n_d).tolist(),  # ties
            "sim": sim.tolist(),
        })  # fmt: skip
    return images


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_images=st.integers(0, 5),
    k=st.integers(0, len(GRID) - 1),
    confidence=st.sampled_from([0.0, 0.3, 0.5, 0.6, 0.9, 1.0]),
)
def test_slider_equals_reevaluation_of_kept_predictions(seed, n_images, k, confidence):
    images = random_images(np.random.default_rng(seed), n_images)
    outcomes = outcomes_from(images)
    summary = summarize_thresholds(outcomes, iou_threshold=float(GRID[k]), confidence=confidence)
    classes, tp, fp, fn, ap = reference_summary(images, float(GRID[k]), confidence)
    assert summary.classes.tolist() == classes
    assert summary.tp.tolist() == [tp[c] for c in classes]
    assert summary.fp.tolist() == [fp[c] for c in classes]
    assert summary.fn.tolist() == [fn[c] for c in classes]
    assert_allclose(summary.ap, [ap[c] for c in classes], rtol=1e-12, equal_nan=True)
    with_gt = [ap[c] for c in classes if not math.isnan(ap[c])]
    assert_allclose(summary.mean_ap, np.mean(with_gt) if with_gt else np.nan, equal_nan=True)
    t, f, n = sum(tp.values()), sum(fp.values()), sum(fn.values())
    assert (summary.overall_tp, summary.overall_fp, summary.overall_fn) == (t, f, n)
    assert_allclose(summary.overall_precision, t / (t + f) if t + f else np.nan, equal_nan=True)
    assert_allclose(summary.overall_recall, t / (t + n) if t + n else np.nan, equal_nan=True)


# --- hand-computed cases -------------------------------------------------------------------------


def one_image(**kw):
    base = {
        "gt_class": [],
        "gt_ignored": [],
        "gt_crowd": [],
        "pred_class": [],
        "pred_score": [],
        "sim": [],
    }
    base.update(kw)
    if not base["sim"]:
        base["sim"] = [[0.0] * len(base["pred_class"]) for _ in base["gt_class"]]
    return [base]


def summary_of(images, t=0.5, c=0.0):
    return summarize_thresholds(outcomes_from(images), iou_threshold=t, confidence=c)


def test_empty():
    s = summary_of([])
    assert s.classes.shape == (0,) and s.tp.shape == (0,)
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (0, 0, 0)
    assert math.isnan(s.overall_precision) and math.isnan(s.overall_recall)
    assert math.isnan(s.overall_f1) and math.isnan(s.mean_ap)


def test_gt_only():
    s = summary_of(one_image(gt_class=[0, 0], gt_ignored=[False, False], gt_crowd=[False, False]))
    assert (s.tp.tolist(), s.fp.tolist(), s.fn.tolist()) == ([0], [0], [2])
    assert math.isnan(s.precision[0]) and s.recall[0] == 0.0 and math.isnan(s.f1[0])
    assert s.ap.tolist() == [0.0] and s.mean_ap == 0.0


def test_prediction_only():
    s = summary_of(one_image(pred_class=[1], pred_score=[0.9]))
    assert (s.tp.tolist(), s.fp.tolist(), s.fn.tolist()) == ([0], [1], [0])
    assert s.precision[0] == 0.0 and math.isnan(s.recall[0]) and math.isnan(s.f1[0])
    assert math.isnan(s.ap[0]) and math.isnan(s.mean_ap)  # no class has GT


def test_match_and_sliders():
    images = one_image(
        gt_class=[0, 0],
        gt_ignored=[False, False],
        gt_crowd=[False, False],
        pred_class=[0, 0, 0],
        pred_score=[0.9, 0.7, 0.3],
        sim=[[0.8, 0.0, 0.0], [0.0, 0.6, 0.0]],
    )
    s = summary_of(images, t=0.5)
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (2, 1, 0)
    assert_allclose([s.overall_precision, s.overall_recall, s.overall_f1], [2 / 3, 1.0, 0.8])
    assert s.ap[0] == pytest.approx(1.0)
    s = summary_of(images, t=0.65)  # the 0.6 pair no longer matches
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (1, 2, 1)
    # AP ranking TP, FP, FP with 2 positives: precision 1 up to recall 0.5, then nothing.
    assert s.ap[0] == pytest.approx(51 / 101)
    s = summary_of(images, t=0.5, c=0.8)  # only the 0.9 prediction kept
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (1, 0, 1)
    s = summary_of(images, t=0.5, c=0.7)  # the cut is inclusive
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (2, 0, 0)


def test_class_mismatch():
    s = summary_of(
        one_image(
            gt_class=[0],
            gt_ignored=[False],
            gt_crowd=[False],
            pred_class=[1],
            pred_score=[0.9],
            sim=[[0.95]],
        )
    )
    assert s.classes.tolist() == [0, 1]
    assert (s.tp.tolist(), s.fp.tolist(), s.fn.tolist()) == ([0, 0], [0, 1], [1, 0])
    assert s.ap[0] == 0.0 and math.isnan(s.ap[1]) and s.mean_ap == 0.0


def test_crowd_and_ignore():
    # A crowd absorbs two predictions; an ignored GT is neither FN nor TP; both are ignored.
    s = summary_of(
        one_image(
            gt_class=[0, 0, 0],
            gt_ignored=[False, True, True],
            gt_crowd=[False, True, False],
            pred_class=[0, 0, 0, 0],
            pred_score=[0.9, 0.8, 0.7, 0.6],
            sim=[[0.9, 0, 0, 0], [0, 0.7, 0.7, 0], [0, 0, 0, 0.8]],
        )
    )
    assert (s.overall_tp, s.overall_fp, s.overall_fn) == (1, 0, 0)
    assert s.ap[0] == pytest.approx(1.0)


def test_to_dict_turns_nan_into_none():
    d = summary_of(one_image(pred_class=[1], pred_score=[0.9])).to_dict()
    assert d["overall"] == {
        "tp": 0,
        "fp": 1,
        "fn": 0,
        "precision": 0.0,
        "recall": None,
        "f1": None,
        "map": None,
    }
    assert d["per_class"][0]["class"] == 1 and d["iou_threshold"] == 0.5


def test_f1_and_ap_edge_cases():
    assert_allclose(
        f1_from(np.array([0.0, 1.0, np.nan]), np.array([0.0, 0.5, 0.5])), [0.0, 2 / 3, np.nan]
    )
    assert math.isnan(interpolated_ap(np.zeros(0, int), np.zeros(0, int), 0))
    assert interpolated_ap(np.zeros(0, int), np.zeros(0, int), 3) == 0.0


def test_validation_names_the_problem():
    ok = {
        "pred_class": [0],
        "pred_score": [0.5],
        "pred_match": np.full((1, 19), -1),
        "pred_ignored": [False],
        "gt_class": [0],
        "gt_ignored": [False],
        "gt_match": np.full((1, 19), -1),
    }
    MatchOutcomes(**ok)
    with pytest.raises(ValueError, match=r"pred_match: expected shape \(1, 19\), got \(1, 3\)"):
        MatchOutcomes(**{**ok, "pred_match": np.full((1, 3), -1)})
    with pytest.raises(ValueError, match=r"pred_score: expected shape \(1,\), got \(2,\)"):
        MatchOutcomes(**{**ok, "pred_score": [0.5, 0.4]})
    with pytest.raises(ValueError, match=r"GT indices must be -1 or in \[0, 1\)"):
        MatchOutcomes(**{**ok, "pred_match": np.full((1, 19), 3)})
    with pytest.raises(ValueError, match="gt_match disagrees with pred_match"):
        MatchOutcomes(**{**ok, "pred_match": np.zeros((1, 19), int)})
    with pytest.raises(ValueError, match="of another class"):
        MatchOutcomes(
            **{
                **ok,
                "gt_class": [1],
                "pred_match": np.zeros((1, 19), int),
                "gt_match": np.zeros((1, 19), int),
            }
        )
    with pytest.raises(ValueError, match=r"iou_threshold: expected a value of the grid"):
        summarize_thresholds(MatchOutcomes(**ok), iou_threshold=0.52)
    assert_allclose(MatchOutcomes(**ok).iou_thresholds, GRID, atol=1e-12)


# --- end to end: match_objects -> MatchOutcomes -> summary, against pycocotools -------------------


def _pycocotools_ap(images, gt_anns, dt_anns, category_ids):
    """Per-class AP at IoU 0.50 and 0.75 (area all, maxDets 100) from pycocotools."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = {
            "images": images,
            "annotations": gt_anns,
            "categories": [{"id": c, "name": str(c)} for c in category_ids],
        }
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(dt_anns) if dt_anns else COCO()
        if not dt_anns:
            coco_dt.dataset = {"images": images, "annotations": [], "categories": []}
            coco_dt.createIndex()
        ev = COCOeval(coco_gt, coco_dt, iouType="bbox")
        ev.evaluate()
        ev.accumulate()
    out = {}
    for ti, iou in ((0, 0.5), (5, 0.75)):
        precision = ev.eval["precision"][ti, :, :, 0, 2]  # (R, K)
        out[iou] = [float(np.mean(p)) if (p > -1).any() else np.nan for p in precision.T]
    return out


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), confidence=st.sampled_from([0.0, 0.35, 0.7]))
def test_from_match_result_equals_pycocotools(seed, confidence):
    from branchmark.evaluation.matching import match_objects
    from branchmark.evaluation.objects import Detections, GroundTruth
    from branchmark.evaluation.similarity import BoxSimilarity

    rng = np.random.default_rng(seed)
    images, gt_anns, dt_anns = [], [], []
    g_rows, d_rows = [], []
    for image_id in range(1, 4):
        images.append({"id": image_id, "width": 200, "height": 200})
        centres = rng.uniform(20, 180, (rng.integers(1, 5), 2))
        for c in centres:
            box = [*(c - 10 + rng.normal(0, 1, 2)), *rng.uniform(15, 25, 2)]
            crowd = int(rng.random() < 0.1)
            gt_anns.append(
                {
                    "id": len(gt_anns) + 1,
                    "image_id": image_id,
                    "bbox": box,
                    "category_id": int(rng.integers(1, 3)),
                    "iscrowd": crowd,
                    "area": box[2] * box[3],
                }
            )
            g_rows.append((image_id - 1, box, gt_anns[-1]["category_id"] - 1, crowd))
            for _ in range(rng.integers(0, 3)):
                jitter = [
                    *(np.array(box[:2]) + rng.normal(0, 4, 2)),
                    *(np.array(box[2:]) * rng.uniform(0.7, 1.3, 2)),
                ]
                score = float(rng.choice([0.3, 0.5, 0.8, rng.random()]))
                cat = int(rng.integers(1, 3))
                d_rows.append((image_id - 1, jitter, cat - 1, score))
    # pycocotools sees only the kept detections; our summary cuts the full matching at c.
    for i, (img, box, cat, score) in enumerate(d_rows):
        if score >= confidence:
            dt_anns.append(
                {
                    "id": i + 1,
                    "image_id": img + 1,
                    "bbox": box,
                    "category_id": cat + 1,
                    "score": score,
                }
            )
    reference = _pycocotools_ap(images, gt_anns, dt_anns, [1, 2])

    # Detections in image order, then by score descending: accumulate's tie order.
    d_rows.sort(key=lambda r: (r[0], -r[3]))
    gboxes = np.array([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for _, b, _, _ in g_rows])
    dboxes = np.array([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for _, b, _, _ in d_rows]).reshape(
        -1, 4
    )
    gt = GroundTruth(
        image=[r[0] for r in g_rows],
        category=[r[2] for r in g_rows],
        area=[r[1][2] * r[1][3] for r in g_rows],
        crowd=[bool(r[3]) for r in g_rows],
    )
    dt = Detections(
        image=np.array([r[0] for r in d_rows], dtype=np.int64),
        category=np.array([r[2] for r in d_rows], dtype=np.int64),
        score=np.array([r[3] for r in d_rows], dtype=float),
        area=np.array([r[1][2] * r[1][3] for r in d_rows], dtype=float),
    )
    similarity = BoxSimilarity(
        gboxes,
        dboxes,
        gt.crowd,
        np.array([r[1][2] * r[1][3] for r in g_rows]),
        np.array([r[1][2] * r[1][3] for r in d_rows], dtype=float),
    )
    result = match_objects(gt, dt, similarity, thresholds=GRID)
    outcomes = MatchOutcomes.from_match_result(result, gt=gt, dt=dt)
    for iou in (0.5, 0.75):
        summary = summarize_thresholds(outcomes, iou_threshold=iou, confidence=confidence)
        ours = [
            summary.ap[list(summary.classes).index(k)] if k in summary.classes else np.nan
            for k in (0, 1)
        ]
        assert_allclose(ours, reference[iou], rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize(
    ("n_gt", "n_dt"),
    [pytest.param(0, 3, id="predictions-only"), pytest.param(0, 0, id="empty"),
     pytest.param(2, 0, id="gt-only")],
)  # fmt: skip
def test_from_match_result_without_ground_truth_or_predictions(n_gt, n_dt):
    """No GT at all used to crash (indexing the empty unmatchable array); every prediction is
    then an FP and every GT an FN, as the brute-force outcomes say."""
    from branchmark.evaluation.matching import match_objects
    from branchmark.evaluation.objects import Detections, GroundTruth
    from branchmark.evaluation.similarity import BoxSimilarity

    boxes = np.array([[0, 0, 10, 10.0], [5, 5, 20, 20], [0, 0, 10, 10]])
    gt = GroundTruth(image=[0] * n_gt, category=[0] * n_gt, area=[100.0] * n_gt,
                     crowd=[False] * n_gt)  # fmt: skip
    dt = Detections(image=[0] * n_dt, category=[0, 1, 0][:n_dt], score=[0.9, 0.8, 0.7][:n_dt],
                    area=[100.0] * n_dt)  # fmt: skip
    similarity = BoxSimilarity(boxes[:n_gt], boxes[:n_dt], np.zeros(n_gt, bool))
    result = match_objects(gt, dt, similarity, thresholds=GRID)
    outcomes = MatchOutcomes.from_match_result(result, gt=gt, dt=dt)
    assert outcomes.pred_match.shape == (n_dt, len(GRID))
    assert (outcomes.pred_match == -1).all() and (outcomes.gt_match == -1).all()
    summary = summarize_thresholds(outcomes, iou_threshold=0.5, confidence=0.0)
    assert (summary.overall_tp, summary.overall_fp, summary.overall_fn) == (0, n_dt, n_gt)
