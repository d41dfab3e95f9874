"""FP reasons: hand-computed cases, precedence, and a counterfactual oracle for attributes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchmark.evaluation.reasons import FpReason, label_false_positives


def greedy(sim, gt_class, pred_class, score, t, crowd):
    """Per-class greedy matching in descending score (stable); crowd GT absorb many."""
    match = np.full(len(pred_class), -1)
    taken = set()
    for d in sorted(range(len(pred_class)), key=lambda d: -score[d]):
        best, m = t, -1
        for g in range(len(gt_class)):
            if gt_class[g] != pred_class[d] or (g in taken and not crowd[g]):
                continue
            if m > -1 and not crowd[m] and crowd[g]:
                break
            if sim[g][d] >= best:
                best, m = sim[g][d], g
        if m > -1:
            taken.add(m)
            match[d] = m
    return match


def reasons_for(sim, gt_class, pred_class, score, t=0.5, compatible=None, crowd=None, ignored=None):
    sim = np.asarray(sim, float).reshape(len(gt_class), len(pred_class))
    comp = np.ones(sim.shape, bool) if compatible is None else np.asarray(compatible, bool)
    crowd = np.zeros(len(gt_class), bool) if crowd is None else np.asarray(crowd)
    match = greedy(np.where(comp, sim, 0.0), gt_class, pred_class, score, t, crowd)
    return label_false_positives(
        sim,
        gt_class=gt_class,
        pred_class=pred_class,
        pred_score=score,
        pred_match=match,
        iou_threshold=t,
        compatible=comp,
        gt_crowd=crowd,
        pred_ignored=ignored,
    ).tolist()


def test_empty_gt_only_prediction_only():
    assert reasons_for(np.zeros((0, 0)), [], [], []) == []
    assert reasons_for(np.zeros((2, 0)), [0, 1], [], []) == []
    assert reasons_for(np.zeros((0, 2)), [], [0, 1], [0.9, 0.5]) == ["background", "background"]


def test_match_is_not_an_fp():
    assert reasons_for([[0.8]], [0], [0], [0.9]) == [""]


def test_class_mismatch_is_wrong_class():
    assert reasons_for([[0.8]], [0], [1], [0.9]) == ["wrong_class"]
    # Below t, another class's GT does not explain the FP: it is background.
    assert reasons_for([[0.3]], [0], [1], [0.9]) == ["background"]


def test_duplicate_low_overlap_background():
    sim = [[0.9, 0.7, 0.2, 0.0]]
    assert reasons_for(sim, [0], [0, 0, 0, 0], [0.9, 0.8, 0.7, 0.6]) == [
        "",
        "duplicate",
        "low_overlap",
        "background",
    ]


def test_attribute_mismatch_and_its_precedence():
    # The GT is free but incompatible with the only prediction: attribute mismatch.
    assert reasons_for([[0.9]], [0], [0], [0.9], compatible=[[False]]) == ["attribute_mismatch"]
    # Taken by a higher-ranked compatible prediction first: a duplicate, whatever the attributes.
    assert reasons_for([[0.9, 0.9]], [0], [0, 0], [0.9, 0.8], compatible=[[True, False]]) == [
        "",
        "duplicate",
    ]
    # Best GT taken, a second GT >= t free but incompatible: fixing attributes would match it.
    assert reasons_for(
        [[0.9, 0.9], [0.0, 0.6]],
        [0, 0],
        [0, 0],
        [0.9, 0.8],
        compatible=[[True, True], [True, False]],
    ) == ["", "attribute_mismatch"]
    # Same-class reasons beat another class's overlap.
    assert reasons_for([[0.9, 0.6], [0.0, 0.9]], [0, 1], [0, 0], [0.9, 0.8]) == ["", "duplicate"]
    # Wrong class beats a poor same-class overlap.
    assert reasons_for([[0.3], [0.8]], [0, 1], [0], [0.9]) == ["wrong_class"]


def test_crowd_and_ignore():
    # A crowd is never "taken"; predictions matched to it are ignored by the caller.
    out = reasons_for([[0.9, 0.9]], [0], [0, 0], [0.9, 0.8], crowd=[True], ignored=[True, True])
    assert out == ["", ""]
    # An FP beside a crowd region of another class reaching t is wrong-class.
    assert reasons_for([[0.7]], [1], [0], [0.9], crowd=[True]) == ["wrong_class"]


def test_ties_rank_in_input_order():
    # Equal scores: the first prediction matches first, so the second is the duplicate.
    assert reasons_for([[0.9, 0.95]], [0], [0, 0], [0.5, 0.5]) == ["", "duplicate"]


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"similarity: expected shape \(1, 2\), got \(2, 1\)"):
        label_false_positives(
            np.zeros((2, 1)),
            gt_class=[0],
            pred_class=[0, 0],
            pred_score=[1, 1],
            pred_match=[-1, -1],
            iou_threshold=0.5,
        )
    with pytest.raises(ValueError, match=r"pred_match: expected shape \(2,\), got \(1,\)"):
        label_false_positives(
            np.zeros((1, 2)),
            gt_class=[0],
            pred_class=[0, 0],
            pred_score=[1, 1],
            pred_match=[-1],
            iou_threshold=0.5,
        )
    with pytest.raises(ValueError, match=r"compatible: expected shape \(1, 2\)"):
        label_false_positives(
            np.zeros((1, 2)),
            gt_class=[0],
            pred_class=[0, 0],
            pred_score=[1, 1],
            pred_match=[-1, -1],
            iou_threshold=0.5,
            compatible=np.ones((2, 2), bool),
        )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_gt=st.integers(0, 4),
    n_pred=st.integers(0, 6),
    t=st.sampled_from([0.3, 0.5, 0.75]),
)
def test_counterfactuals(seed, n_gt, n_pred, t):
    """attribute_mismatch iff making the FP compatible with every GT makes it match; every
    FP has exactly one reason; duplicate FPs match once the higher-ranked predictions are gone."""
    rng = np.random.default_rng(seed)
    gt_class, pred_class = rng.integers(0, 2, n_gt), rng.integers(0, 2, n_pred)
    score = rng.choice([0.3, 0.6, 0.9], n_pred)
    sim = rng.choice([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], (n_gt, n_pred))
    comp = rng.random((n_gt, n_pred)) < 0.7
    crowd = np.zeros(n_gt, bool)
    reasons = reasons_for(sim, gt_class, pred_class, score, t, comp)
    match = greedy(np.where(comp, sim, 0.0), gt_class, pred_class, score, t, crowd)
    order = sorted(range(n_pred), key=lambda d: -score[d])
    for d in range(n_pred):
        if match[d] >= 0:
            assert reasons[d] == ""
            continue
        assert reasons[d] in set(FpReason)
        fixed = comp.copy()
        fixed[:, d] = True
        rematch = greedy(np.where(fixed, sim, 0.0), gt_class, pred_class, score, t, crowd)
        assert (reasons[d] == "attribute_mismatch") == (rematch[d] >= 0)
        if reasons[d] == "duplicate":
            keep = order[order.index(d) :]  # drop the predictions ranked above d
            alone = greedy(
                np.where(np.ones_like(comp), sim, 0.0)[:, keep],
                gt_class,
                pred_class[keep],
                score[keep],
                t,
                crowd,
            )
            assert alone[0] >= 0
        same = gt_class == pred_class[d]
        if reasons[d] == "background":
            assert not (sim[same, d] > 0).any() and not (sim[~same, d] >= t).any()
