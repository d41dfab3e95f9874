"""The batched FP-reason kernel equals evaluation.label_false_positives image by image."""

from __future__ import annotations

import numpy as np
import pytest

from branchmark.analysis.fp_reasons import REASON_CODES, label_all_false_positives
from branchmark.evaluation import (
    ANALYSIS_IOU_THRESHOLDS,
    Detections,
    GroundTruth,
    SparseSimilarity,
    label_false_positives,
    match_objects,
)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kernel_equals_label_false_positives(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_img, n_gt, n_dt = 6, 40, 120
    gi, di = rng.integers(0, n_img, n_gt), rng.integers(0, n_img, n_dt)
    gc, dc = rng.integers(0, 3, n_gt), rng.integers(0, 3, n_dt)
    crowd = rng.random(n_gt) < 0.1
    score = rng.integers(0, 10, n_dt) / 10.0  # many ties
    pairs = [(g, d) for g in range(n_gt) for d in range(n_dt) if gi[g] == di[d]]
    pg = np.array([p[0] for p in pairs])
    pd = np.array([p[1] for p in pairs])
    sim = np.where(rng.random(len(pairs)) < 0.4, rng.random(len(pairs)), 0.0)
    compat = rng.random(len(pairs)) < 0.8
    allowed = np.zeros((n_gt, n_dt), bool)
    allowed[pg, pd] = compat
    gt = GroundTruth(image=gi, category=gc, area=np.ones(n_gt), crowd=crowd)
    dt = Detections(image=di, category=dc, score=score, area=np.ones(n_dt))
    match = match_objects(
        gt,
        dt,
        SparseSimilarity(pg, pd, sim),
        thresholds=ANALYSIS_IOU_THRESHOLDS,
        compatible=allowed,
    )
    ignored = match.dt_ignore | ~match.dt_evaluated[None, :]
    codes = label_all_false_positives(
        pair_gt=pg,
        pair_dt=pd,
        similarity=sim,
        compatible=compat,
        gt_class=gc,
        gt_crowd=crowd,
        dt_class=dc,
        dt_image=di,
        dt_score=score,
        dt_match=match.dt_match,
        dt_ignored=ignored,
        thresholds=ANALYSIS_IOU_THRESHOLDS,
    )
    dense = np.zeros((n_gt, n_dt))
    dense[pg, pd] = sim
    for image in range(n_img):
        g, d = np.flatnonzero(gi == image), np.flatnonzero(di == image)
        local = {int(x): i for i, x in enumerate(g)}
        for t, thr in enumerate(ANALYSIS_IOU_THRESHOLDS):
            m = match.dt_match[t, d]
            expected = label_false_positives(
                dense[np.ix_(g, d)],
                gt_class=gc[g],
                pred_class=dc[d],
                pred_score=score[d],
                pred_match=[local[int(x)] if x >= 0 else -1 for x in m],
                iou_threshold=thr,
                pred_ignored=ignored[t, d],
                compatible=allowed[np.ix_(g, d)],
                gt_crowd=crowd[g],
            )
            got = ["" if c == 0 else REASON_CODES[c - 1].value for c in codes[t, d]]
            assert got == expected.tolist(), (image, t)
