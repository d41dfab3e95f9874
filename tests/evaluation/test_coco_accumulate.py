"""accumulate_states against a literal transcription of pycocotools' ``COCOeval.accumulate``."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchmark.evaluation import accumulate_states
from branchmark.evaluation.matching import FALSE_POSITIVE, IGNORED, TRUE_POSITIVE


def reference(dt_class, dt_rank, dt_score, state, n_positive, present, max_dets, rec_thrs):
    """COCOeval.accumulate's loop body, per class / area / maxDets, on the same inputs."""
    n_dt, n_areas, n_thr = state.shape
    n_cls, n_rec = len(present), len(rec_thrs)
    precision = np.full((n_thr, n_rec, n_cls, n_areas, len(max_dets)), np.nan)
    scores = np.full_like(precision, np.nan)
    recall = np.full((n_thr, n_cls, n_areas, len(max_dets)), np.nan)
    for k in np.flatnonzero(present):
        for a in range(n_areas):
            for m, max_det in enumerate(max_dets):
                members = np.flatnonzero((dt_class == k) & (dt_rank < max_det))
                dt_scores = dt_score[members]
                inds = np.argsort(-dt_scores, kind="mergesort")
                dt_scores_sorted = dt_scores[inds]
                outcome = state[members][inds][:, a, :].T  # (T, nd)
                npig = n_positive[k, a]
                if npig == 0:
                    continue
                tps = outcome == TRUE_POSITIVE
                fps = outcome == FALSE_POSITIVE
                tp_sum = np.cumsum(tps, axis=1).astype(dtype=float)
                fp_sum = np.cumsum(fps, axis=1).astype(dtype=float)
                for t, (tp, fp) in enumerate(zip(tp_sum, fp_sum, strict=True)):
                    nd = len(tp)
                    rc = tp / npig
                    pr = tp / (fp + tp + np.spacing(1))
                    q = np.zeros((n_rec,))
                    ss = np.zeros((n_rec,))
                    recall[t, k, a, m] = rc[-1] if nd else 0
                    pr = pr.tolist()
                    q = q.tolist()
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    inds_r = np.searchsorted(rc, rec_thrs, side="left")
                    try:
                        for ri, pi in enumerate(inds_r):
                            q[ri] = pr[pi]
                            ss[ri] = dt_scores_sorted[pi]
                    except IndexError:
                        pass
                    precision[t, :, k, a, m] = np.array(q)
                    scores[t, :, k, a, m] = np.array(ss)
    return precision, recall, scores


@st.composite
def outcomes(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_cls, n_img = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    n_areas, n_thr = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    sizes = rng.integers(0, 12, (n_cls, n_img))
    dt_class = np.repeat(np.repeat(np.arange(n_cls), n_img), sizes.ravel())
    dt_rank = np.concatenate([np.arange(s) for s in sizes.ravel()] + [np.zeros(0, int)])
    # Coarse scores make ties across images, which the stable sorts must order alike.
    dt_score = np.concatenate(
        [np.sort(rng.integers(0, 5, s))[::-1] / 4 for s in sizes.ravel()] + [[]]
    )
    state = rng.choice([FALSE_POSITIVE, TRUE_POSITIVE, IGNORED], (len(dt_class), n_areas, n_thr))
    state = state.astype(np.int8)
    # npig is normally at least the true-positive count (each TP is a distinct counted GT);
    # fewer (recall above 1) must still give pycocotools' numbers.
    n_positive = np.zeros((n_cls, n_areas), np.int64)
    for k in range(n_cls):
        tps = (state[dt_class == k] == TRUE_POSITIVE).sum(axis=0).max(initial=0)
        n_positive[k] = np.maximum(tps + rng.integers(-3, 4, n_areas), 0)
    present = rng.random(n_cls) < 0.9
    max_dets = np.sort(rng.choice([1, 2, 5, 100], draw(st.integers(1, 3)), replace=False))
    grids = [np.linspace(0, 1, 101), np.linspace(0, 1, 11), np.array([0.9, 0.1, 0.5]),
             np.array([-0.5, 0.0, 1.0, 1.5])]  # fmt: skip
    rec_thrs = draw(st.sampled_from(grids))
    return dt_class, dt_rank, dt_score.astype(float), state, n_positive, present, max_dets, rec_thrs


@settings(max_examples=150, deadline=None)
@given(outcomes())
def test_accumulate_equals_pycocotools_transcription(case) -> None:
    dt_class, dt_rank, dt_score, state, n_positive, present, max_dets, rec_thrs = case
    expected = reference(*case)
    got = accumulate_states(
        dt_class=dt_class, dt_rank=dt_rank, dt_score=dt_score, state=state,
        n_positive=n_positive, present=present, max_dets=max_dets.astype(np.int64),
        recall_thresholds=rec_thrs,
    )  # fmt: skip
    for name, want, have in zip(("precision", "recall", "scores"), expected,
                                (got.precision, got.recall, got.scores), strict=True):  # fmt: skip
        np.testing.assert_array_equal(have, want, err_msg=name)


def test_detections_must_be_grouped_by_class() -> None:
    with pytest.raises(ValueError, match="grouped by ascending class"):
        accumulate_states(
            dt_class=np.array([1, 0]), dt_rank=np.zeros(2, int), dt_score=np.ones(2),
            state=np.zeros((2, 1, 1), np.int8), n_positive=np.ones((2, 1), np.int64),
            present=np.ones(2, bool), max_dets=np.array([10]), recall_thresholds=np.array([0.5]),
        )  # fmt: skip


@pytest.mark.parametrize(
    "rec_thrs", [np.linspace(0, 1, 101), np.linspace(0, 1, 11)], ids=["101", "11"]
)
def test_recall_positions_exact_for_every_gt_count(rec_thrs) -> None:
    # tp / npig lands exactly on (or one ulp beside) linspace's recall thresholds for many npig;
    # searchsorted on the float quotient decides, and so must the integer shortcut.
    for npig in range(1, 130):
        n = npig + 3
        state = np.full((n, 1, 1), TRUE_POSITIVE, np.int8)
        state[::4] = FALSE_POSITIVE
        case = (np.zeros(n, int), np.arange(n), np.linspace(1, 0, n), state,
                np.array([[npig]]), np.array([True]), np.array([n]), rec_thrs)  # fmt: skip
        expected = reference(*case)
        got = accumulate_states(
            dt_class=case[0], dt_rank=case[1], dt_score=case[2], state=state,
            n_positive=case[4], present=case[5], max_dets=case[6], recall_thresholds=rec_thrs,
        )  # fmt: skip
        np.testing.assert_array_equal(got.precision, expected[0], err_msg=f"npig={npig}")
        np.testing.assert_array_equal(got.scores, expected[2], err_msg=f"npig={npig}")
