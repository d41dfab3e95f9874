"""Classification metrics: hand-computed cases and per-frame brute-force counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from branchmark.evaluation.classification import (
    evaluate_checklist,
    evaluate_radio,
    evaluate_text,
)

# --- radio ---------------------------------------------------------------------------------------


def test_radio_hand_computed():
    gt = ["cat", "cat", "dog", "dog", None, "cat", None]
    pred = ["cat", "dog", "dog", None, "cat", "cat", None]
    scores = [0.9, 0.8, 0.7, np.nan, 0.95, 0.4, np.nan]
    r = evaluate_radio(gt, pred, scores=scores)
    assert r.options == ("cat", "dog")
    assert r.n_frames == 6  # the last frame has neither
    assert r.accuracy == pytest.approx(3 / 6)
    assert r.tp.tolist() == [2, 1] and r.fp.tolist() == [1, 1] and r.fn.tolist() == [1, 1]
    assert_allclose(r.precision, [2 / 3, 1 / 2])
    assert_allclose(r.recall, [2 / 3, 1 / 2])
    assert_allclose(r.f1, [2 / 3, 1 / 2])
    # rows: GT cat, dog, none; columns: predicted cat, dog, none
    assert r.confusion.tolist() == [[2, 1, 0], [0, 1, 1], [1, 0, 0]]
    # AP(cat): predictions of cat ranked 0.95 (FP), 0.9 (TP), 0.4 (TP), 3 positives.
    # Precision envelope: 2/3 at both TPs; recall 1/3 and 2/3 -> 67 thresholds hit 2/3.
    assert r.ap[0] == pytest.approx(67 * (2 / 3) / 101)
    # AP(dog): ranked 0.8 (FP, GT cat), 0.7 (TP); 2 positives -> precision 1/2 up to recall 1/2.
    assert r.ap[1] == pytest.approx(51 * 0.5 / 101)
    assert r.mean_ap == pytest.approx((r.ap[0] + r.ap[1]) / 2)
    d = r.to_dict()
    assert d["confusion_labels"] == ["cat", "dog", "none"] and d["tp"] == [2, 1]


def test_radio_empty_gt_only_prediction_only_and_mismatch():
    r = evaluate_radio([], [], scores=[])
    assert r.n_frames == 0 and math.isnan(r.accuracy) and r.confusion.tolist() == [[0]]
    assert math.isnan(r.mean_ap)
    r = evaluate_radio(["a", "a"], [None, None], scores=[np.nan, np.nan])
    assert (r.tp.tolist(), r.fp.tolist(), r.fn.tolist()) == ([0], [0], [2])
    assert r.accuracy == 0.0 and math.isnan(r.precision[0]) and r.recall[0] == 0.0
    assert r.ap.tolist() == [0.0]
    r = evaluate_radio([None], ["a"], scores=[0.5])
    assert (r.tp.tolist(), r.fp.tolist(), r.fn.tolist()) == ([0], [1], [0])
    assert math.isnan(r.ap[0]) and math.isnan(r.recall[0]) and r.to_dict()["ap"] == [None]
    r = evaluate_radio(["a"], ["b"], scores=[0.5], options=["a", "b", "c"])  # class mismatch
    assert r.confusion.tolist() == [[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    assert r.accuracy == 0.0 and r.tp.tolist() == [0, 0, 0]


def test_radio_bad_input():
    with pytest.raises(ValueError, match="pred: expected 2 frames like gt, got 1"):
        evaluate_radio(["a", "b"], ["a"], scores=[1.0])
    with pytest.raises(ValueError, match=r"scores: expected shape \(1,\), got \(2,\)"):
        evaluate_radio(["a"], ["a"], scores=[1.0, 2.0])
    with pytest.raises(ValueError, match="needs a finite confidence"):
        evaluate_radio(["a"], ["a"], scores=[np.nan])
    with pytest.raises(ValueError, match=r"answers \['z'\] are not among the options"):
        evaluate_radio(["a"], ["z"], scores=[1.0], options=["a"])


options = st.sampled_from(["a", "b", "c"])


@given(
    frames=st.lists(
        st.tuples(st.none() | options, st.none() | options, st.floats(0, 1)), max_size=12
    )
)
def test_radio_counts_match_brute_force(frames):
    gt, pred, scores = zip(*frames, strict=True) if frames else ((), (), ())
    r = evaluate_radio(list(gt), list(pred), scores=list(scores))
    for i, o in enumerate(r.options):
        assert r.tp[i] == sum(g == o and p == o for g, p, _ in frames)
        assert r.fp[i] == sum(g != o and p == o for g, p, _ in frames)
        assert r.fn[i] == sum(g == o and p != o for g, p, _ in frames)
    counted = [f for f in frames if f[0] is not None or f[1] is not None]
    correct = sum(g == p for g, p, _ in counted)
    assert_allclose(r.accuracy, correct / len(counted) if counted else np.nan, equal_nan=True)
    assert r.confusion.sum() == len(counted)
    assert np.all((r.ap[~np.isnan(r.ap)] >= 0) & (r.ap[~np.isnan(r.ap)] <= 1))


# --- checklist --------------------------------------------------------------------------------


def test_checklist_hand_computed():
    gt = [{"stem", "leaf"}, {"stem"}, None, {"leaf"}, set()]
    pred = [{"stem"}, {"stem"}, {"leaf"}, None, None]
    r = evaluate_checklist(gt, pred, options=["stem", "leaf", "flower"])
    assert r.n_frames == 4  # an empty set is no answer: the last frame does not count
    assert r.tp.tolist() == [2, 0, 0] and r.fp.tolist() == [0, 1, 0] and r.fn.tolist() == [0, 2, 0]
    assert_allclose(r.precision, [1.0, 0.0, np.nan])
    assert_allclose(r.recall, [1.0, 0.0, np.nan])
    assert_allclose(r.f1, [1.0, 0.0, np.nan])
    assert r.micro_precision == pytest.approx(2 / 3) and r.micro_recall == pytest.approx(2 / 4)
    assert r.micro_f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))
    assert r.macro_precision == 0.5 and r.macro_recall == 0.5 and r.macro_f1 == 0.5
    assert r.exact_match_rate == pytest.approx(1 / 4)
    assert r.to_dict()["precision"] == [1.0, 0.0, None]


def test_checklist_empty_gt_only_prediction_only():
    r = evaluate_checklist([], [])
    assert r.n_frames == 0 and math.isnan(r.exact_match_rate) and math.isnan(r.micro_f1)
    r = evaluate_checklist([{"a"}], [None])
    assert r.fn.tolist() == [1] and r.micro_recall == 0.0 and math.isnan(r.micro_precision)
    r = evaluate_checklist([None], [{"a", "b"}])
    assert r.fp.tolist() == [1, 1] and r.exact_match_rate == 0.0
    r = evaluate_checklist([{"a"}], [{"b"}])  # mismatch
    assert (r.tp.tolist(), r.fp.tolist(), r.fn.tolist()) == ([0, 0], [0, 1], [1, 0])
    assert r.micro_f1 == 0.0


def test_checklist_bad_input():
    with pytest.raises(
        ValueError, match=r"gt\[0\]: expected a collection of option hashes, got a str"
    ):
        evaluate_checklist(["ab"], [None])
    with pytest.raises(ValueError, match=r"answers \['z'\] are not among the options"):
        evaluate_checklist([{"z"}], [None], options=["a"])


@given(
    frames=st.lists(
        st.tuples(st.none() | st.frozensets(options), st.none() | st.frozensets(options)),
        max_size=10,
    )
)
def test_checklist_counts_match_brute_force(frames):
    gt, pred = (list(x) for x in zip(*frames, strict=True)) if frames else ([], [])
    r = evaluate_checklist(gt, pred)
    for i, o in enumerate(r.options):
        assert r.tp[i] == sum(o in (g or ()) and o in (p or ()) for g, p in frames)
        assert r.fp[i] == sum(o not in (g or ()) and o in (p or ()) for g, p in frames)
        assert r.fn[i] == sum(o in (g or ()) and o not in (p or ()) for g, p in frames)
    counted = [(g or None, p or None) for g, p in frames if g or p]
    exact = sum(g == p for g, p in counted)
    assert_allclose(r.exact_match_rate, exact / len(counted) if counted else np.nan, equal_nan=True)


# --- text -------------------------------------------------------------------------------------


def test_text_hand_computed_and_edges():
    r = evaluate_text(
        ["  Bing ", "Cafe\u0301", "a", None, None, "x"], ["Bing", "Caf\u00e9", "A", "b", None, "  "]
    )
    assert (r.n_frames, r.n_exact, r.n_false_positive, r.n_false_negative) == (5, 2, 1, 1)
    assert r.exact_match_rate == pytest.approx(2 / 5)
    assert evaluate_text([], []).to_dict() == {
        "n_frames": 0,
        "n_exact": 0,
        "n_false_positive": 0,
        "n_false_negative": 0,
        "exact_match_rate": None,
    }
    assert evaluate_text(["a"], [None]).n_false_negative == 1
    assert evaluate_text([None], ["a"]).n_false_positive == 1
    with pytest.raises(ValueError, match=r"pred\[0\]: expected a str or None, got int"):
        evaluate_text(["a"], [3])
