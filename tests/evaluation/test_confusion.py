"""Object confusion matrix: hand-computed cases and a brute-force class-agnostic matcher."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchmark.evaluation.confusion import confusion_matrix


def brute_force(sims, gt_classes, pred_classes, scores, t, crowds, ignores, labels):
    k = len(labels)
    pos = {c: i for i, c in enumerate(labels)}
    out = np.zeros((k + 1, k + 1), int)
    for sim, gcls, pcls, score, crowd, ign in zip(
        sims, gt_classes, pred_classes, scores, crowds, ignores, strict=True
    ):
        ignored = [bool(a or b) for a, b in zip(crowd, ign, strict=True)]
        order_g = sorted(range(len(gcls)), key=lambda g: ignored[g])  # non-ignored first
        taken = [False] * len(gcls)
        for d in sorted(range(len(pcls)), key=lambda d: -score[d]):
            best, m = min(t, 1 - 1e-10), -1
            for g in order_g:
                if taken[g] and not crowd[g]:
                    continue
                if m > -1 and not ignored[m] and ignored[g]:
                    break
                if sim[g][d] < best:
                    continue
                best, m = sim[g][d], g
            if m == -1:
                out[k, pos[pcls[d]]] += 1
            else:
                taken[m] = True
                if not ignored[m]:
                    out[pos[gcls[m]], pos[pcls[d]]] += 1
        for g in range(len(gcls)):
            if not taken[g] and not ignored[g]:
                out[pos[gcls[g]], k] += 1
    return out


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1), n_images=st.integers(0, 4), t=st.sampled_from([0.1, 0.5, 0.75])
)
def test_equals_brute_force(seed, n_images, t):
    rng = np.random.default_rng(seed)
    sims, gts, preds, scores, crowds, ignores = [], [], [], [], [], []
    for _ in range(n_images):
        n_g, n_p = rng.integers(0, 5), rng.integers(0, 6)
        sims.append(rng.choice([0.0, 0.2, 0.5, 0.6, 0.8, 1.0], (n_g, n_p)))
        gts.append(rng.integers(0, 3, n_g))
        preds.append(rng.integers(0, 3, n_p))
        scores.append(rng.choice([0.3, 0.6, 0.9], n_p))
        crowds.append(rng.random(n_g) < 0.15)
        ignores.append(rng.random(n_g) < 0.1)
    labels = [0, 1, 2]
    got = confusion_matrix(
        sims,
        gt_classes=gts,
        pred_classes=preds,
        pred_scores=scores,
        iou_threshold=t,
        gt_crowd=crowds,
        gt_ignored=ignores,
        classes=labels,
    )
    expected = brute_force(
        sims,
        [g.tolist() for g in gts],
        [p.tolist() for p in preds],
        [s.tolist() for s in scores],
        t,
        crowds,
        ignores,
        labels,
    )
    assert got.matrix.tolist() == expected.tolist()
    # Every non-ignored GT is either matched or missed: row sums (without background) add up.
    n_counted_gt = sum(int((~(c | i)).sum()) for c, i in zip(crowds, ignores, strict=True))
    assert got.matrix[:3, :].sum() == n_counted_gt


def test_empty():
    r = confusion_matrix([], gt_classes=[], pred_classes=[], pred_scores=[])
    assert r.matrix.shape == (1, 1) and r.matrix.sum() == 0 and r.classes.shape == (0,)
    r = confusion_matrix(
        [np.zeros((0, 0))], gt_classes=[[]], pred_classes=[[]], pred_scores=[[]], classes=[4, 2]
    )
    assert r.matrix.shape == (3, 3) and r.matrix.sum() == 0


def test_gt_only_and_prediction_only():
    r = confusion_matrix(
        [np.zeros((2, 0)), np.zeros((0, 1))],
        gt_classes=[[0, 1], []],
        pred_classes=[[], [1]],
        pred_scores=[[], [0.5]],
    )
    assert r.to_dict() == {
        "iou_threshold": 0.5,
        "classes": [0, 1],
        "rows": [0, 1, "background"],
        "columns": [0, 1, "missed"],
        "matrix": [[0, 0, 1], [0, 0, 1], [0, 1, 0]],
    }


def test_match_and_class_mismatch():
    # The 0.9 prediction (class 7) takes GT 0 (class 3) although a class-3 prediction overlaps
    # it too: matching is class-agnostic and by confidence.
    sim = [[0.8, 0.7], [0.0, 0.6]]
    r = confusion_matrix(
        [sim], gt_classes=[[3, 7]], pred_classes=[[7, 3]], pred_scores=[[0.9, 0.5]]
    )
    assert r.classes.tolist() == [3, 7]
    assert r.matrix.tolist() == [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    r = confusion_matrix(
        [sim],
        gt_classes=[[3, 7]],
        pred_classes=[[7, 3]],
        pred_scores=[[0.9, 0.5]],
        iou_threshold=0.75,
    )
    assert r.matrix.tolist() == [[0, 1, 0], [0, 0, 1], [1, 0, 0]]


def test_crowd_and_ignore():
    # A crowd absorbs two predictions and is never missed; an ignored GT is not missed either.
    r = confusion_matrix(
        [[[0.9, 0.8, 0.0], [0.0, 0.0, 0.0]]],
        gt_classes=[[0, 1]],
        pred_classes=[[0, 0, 1]],
        pred_scores=[[0.9, 0.8, 0.7]],
        gt_crowd=[[True, False]],
        gt_ignored=[[False, True]],
    )
    assert r.matrix.tolist() == [[0, 0, 0], [0, 0, 0], [0, 1, 0]]


def test_custom_class_order_and_errors():
    r = confusion_matrix(
        [[[0.9]]], gt_classes=[[5]], pred_classes=[[2]], pred_scores=[[1.0]], classes=[5, 2]
    )
    assert r.matrix.tolist() == [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
    with pytest.raises(ValueError, match=r"classes: ids \[2\] occur but are not in classes"):
        confusion_matrix(
            [[[0.9]]], gt_classes=[[5]], pred_classes=[[2]], pred_scores=[[1.0]], classes=[5]
        )
    with pytest.raises(ValueError, match=r"pred_scores\[0\]: expected shape \(1,\), got \(2,\)"):
        confusion_matrix([[[0.9]]], gt_classes=[[5]], pred_classes=[[2]], pred_scores=[[1, 2]])
    with pytest.raises(ValueError, match=r"gt_classes: expected 1 images, got 2"):
        confusion_matrix([[[0.9]]], gt_classes=[[5], []], pred_classes=[[2]], pred_scores=[[1]])
    with pytest.raises(ValueError, match=r"similarities\[0\]: expected shape \(N_gt, N_pred\)"):
        confusion_matrix([[0.9]], gt_classes=[[5]], pred_classes=[[2]], pred_scores=[[1]])
