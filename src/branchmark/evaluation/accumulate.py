"""Precision / recall accumulation, exactly as pycocotools ``COCOeval.accumulate``."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation.matching import FALSE_POSITIVE, TRUE_POSITIVE

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
_EPS = float(np.spacing(1))


@dataclass(frozen=True)
class Accumulation:
    """Raw COCO arrays; NaN where a class has no (non-ignored) GT in an area range.

    Axes: ``T`` IoU thresholds, ``R`` recall thresholds, ``K`` classes, ``A`` area ranges,
    ``M`` maxDets.

    Attributes
    ----------
    precision : ``(T, R, K, A, M)`` interpolated precision (``eval["precision"]``).
    recall : ``(T, K, A, M)`` final recall (``eval["recall"]``).
    scores : ``(T, R, K, A, M)`` score at each recall threshold (``eval["scores"]``).
    """

    precision: FloatArray
    recall: FloatArray
    scores: FloatArray


@numba.njit(cache=True, nogil=True)
def _recall_counts(n_positive: int, recall_thresholds: FloatArray, cap: int) -> IntArray:
    """Per recall threshold, the fewest true positives ``c`` with ``c / npig >= threshold``.

    ``np.searchsorted(rc, threshold)`` in ``accumulate`` finds the first detection whose recall
    ``tp / npig`` reaches the threshold: the first with at least ``c`` true positives.  ``c`` is
    found with the same float division, so the position is the same.  Counts are capped at
    ``cap`` (one more than any true-positive count: past the end); NaN sorts past the end too.
    """
    out = np.empty(len(recall_thresholds), np.int64)
    for r in range(len(recall_thresholds)):
        threshold = recall_thresholds[r]
        estimate = threshold * n_positive
        if not estimate <= cap:  # beyond every count, or NaN
            out[r] = cap
            continue
        c = max(int(np.ceil(estimate)), 0)
        while c > 0 and (c - 1) / n_positive >= threshold:
            c -= 1
        while c < cap and c / n_positive < threshold:
            c += 1
        out[r] = c
    return out


@numba.njit(cache=True, nogil=True)
def _accumulate(
    class_start: IntArray,
    rank: NDArray[np.int32],
    score: FloatArray,
    state: NDArray[np.int8],
    n_positive: IntArray,
    present: NDArray[np.bool_],
    max_dets: IntArray,
    recall_thresholds: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``COCOeval.accumulate`` without its per-detection divisions.

    pycocotools computes ``rc = tp / npig`` and ``pr = tp / (fp + tp + eps)`` at every detection,
    makes ``pr`` non-increasing from the right, and reads it at ``searchsorted(rc, recThrs)``.
    Between two true positives ``tp`` is fixed and ``pr`` can only fall, so the running maximum
    from the right only ever takes ``pr`` at a true positive (or 0 before the first): those are
    computed, with the same float operations, and nothing else.  The values are identical.
    """
    n_areas, n_thr = state.shape[1], state.shape[2]
    n_cls, n_max, n_rec = len(class_start) - 1, len(max_dets), len(recall_thresholds)
    precision = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    scores = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    recall = np.full((n_thr, n_cls, n_areas, n_max), np.nan)
    tp = np.zeros(n_thr, np.int64)
    fp = np.zeros(n_thr, np.int64)
    for k in range(n_cls):
        if not present[k]:
            continue
        lo, hi = class_start[k], class_start[k + 1]
        # accumulate: the class's detections, image by image, sorted by -score with a stable
        # mergesort; the grouped order already lists them image by image.
        order = np.argsort(-score[lo:hi], kind="mergesort") + lo
        # The class's outcomes in that order, one contiguous row per detection.
        local = np.empty((hi - lo, n_areas, n_thr), np.int8)
        for i in range(hi - lo):
            local[i] = state[order[i]]
        ranks = rank[order]
        n_most = 1  # the most true positives at any area and threshold
        for a in range(n_areas):
            for t in range(n_thr):
                n_most = max(n_most, int(np.count_nonzero(local[:, a, t] == TRUE_POSITIVE)))
        event_pr = np.empty((n_thr, n_most))  # pr at the j-th true positive
        event_at = np.empty((n_thr, n_most), np.int64)  # its position among the chosen
        for m in range(n_max):
            # Each image contributes its top maxDet detections (dtScores[0:maxDet]).
            chosen = np.flatnonzero(ranks < max_dets[m])
            nd = len(chosen)
            for a in range(n_areas):
                npig = n_positive[k, a]
                if npig == 0:
                    continue
                tp[:] = 0
                fp[:] = 0
                for i in range(nd):
                    row = local[chosen[i], a]
                    for t in range(n_thr):
                        outcome = row[t]
                        if outcome == TRUE_POSITIVE:
                            j = tp[t]
                            tp[t] = j + 1
                            event_pr[t, j] = (j + 1.0) / (float(fp[t]) + (j + 1.0) + _EPS)
                            event_at[t, j] = i
                        elif outcome == FALSE_POSITIVE:
                            fp[t] += 1
                counts = _recall_counts(npig, recall_thresholds, n_most + 1)
                for t in range(n_thr):
                    n_tp = tp[t]
                    recall[t, k, a, m] = n_tp / npig if nd else 0.0
                    for j in range(n_tp - 2, -1, -1):
                        if event_pr[t, j + 1] > event_pr[t, j]:
                            event_pr[t, j] = event_pr[t, j + 1]
                    for r in range(n_rec):
                        c = counts[r]
                        # searchsorted past the end raises in pycocotools, leaving this and
                        # later entries at 0.
                        if c > n_tp or nd == 0:
                            for rest in range(r, n_rec):
                                precision[t, rest, k, a, m] = 0.0
                                scores[t, rest, k, a, m] = 0.0
                            break
                        if c == 0:  # the first detection: pr 0 unless a TP follows
                            precision[t, r, k, a, m] = event_pr[t, 0] if n_tp else 0.0
                            scores[t, r, k, a, m] = score[order[chosen[0]]]
                        else:
                            precision[t, r, k, a, m] = event_pr[t, c - 1]
                            scores[t, r, k, a, m] = score[order[chosen[event_at[t, c - 1]]]]
    return precision, recall, scores


def accumulate_states(
    *,
    dt_class: IntArray,
    dt_rank: NDArray[np.integer],
    dt_score: FloatArray,
    state: NDArray[np.int8],
    n_positive: IntArray,
    present: NDArray[np.bool_],
    max_dets: IntArray,
    recall_thresholds: FloatArray,
) -> Accumulation:
    """Precision, recall and scores from matching outcomes.

    Parameters
    ----------
    dt_class : ``(D,)`` class position of each kept detection, in grouped order (class, image,
        descending score) as :func:`~branchmark.evaluation.matching.arrange_groups` leaves them.
    dt_rank : ``(D,)`` rank of the detection within its image+class group.
    dt_score : ``(D,)`` scores.
    state : ``(D, A, T)`` int8 outcomes from ``match_groups``.
    n_positive : ``(K, A)`` number of non-ignored GT (``npig``).
    present : ``(K,)`` bool, the class has any GT or detection (else ``E`` is empty).
    max_dets : ``(M,)``; recall_thresholds : ``(R,)``.
    """
    if np.any(np.diff(dt_class) < 0):
        raise ValueError("dt_class: expected detections grouped by ascending class position")
    class_start = np.searchsorted(dt_class, np.arange(len(present) + 1), side="left")
    precision, recall, scores = _accumulate(
        class_start.astype(np.int64), np.asarray(dt_rank, np.int32), dt_score, state,
        n_positive, present, max_dets, recall_thresholds,
    )  # fmt: skip
    return Accumulation(precision, recall, scores)
