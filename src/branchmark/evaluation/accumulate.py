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
def _accumulate(
    class_start: IntArray,
    order: IntArray,
    rank: IntArray,
    score: FloatArray,
    state: NDArray[np.int8],
    n_positive: IntArray,
    present: NDArray[np.bool_],
    max_dets: IntArray,
    recall_thresholds: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    n_areas, n_thr = state.shape[0], state.shape[1]
    n_cls, n_max, n_rec = len(class_start) - 1, len(max_dets), len(recall_thresholds)
    precision = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    scores = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    recall = np.full((n_thr, n_cls, n_areas, n_max), np.nan)
    for k in range(n_cls):
        if not present[k]:
            continue
        members = order[class_start[k] : class_start[k + 1]]
        for m in range(n_max):
            # Each image contributes its top maxDet detections (dtScores[0:maxDet]).
            chosen = members[rank[members] < max_dets[m]]
            nd = len(chosen)
            rc = np.empty(nd)
            pr = np.empty(nd)
            for a in range(n_areas):
                npig = n_positive[k, a]
                if npig == 0:
                    continue
                for t in range(n_thr):
                    tp = 0.0
                    fp = 0.0
                    for i in range(nd):
                        outcome = state[a, t, chosen[i]]
                        if outcome == TRUE_POSITIVE:
                            tp += 1.0
                        elif outcome == FALSE_POSITIVE:
                            fp += 1.0
                        rc[i] = tp / npig
                        pr[i] = tp / (fp + tp + _EPS)
                    recall[t, k, a, m] = rc[nd - 1] if nd else 0.0
                    for i in range(nd - 1, 0, -1):
                        if pr[i] > pr[i - 1]:
                            pr[i - 1] = pr[i]
                    for r in range(n_rec):
                        # np.searchsorted(rc, recThrs, side="left"); an index past the end
                        # raises in pycocotools, leaving this and later entries at 0.
                        pi = np.searchsorted(rc, recall_thresholds[r])
                        if pi >= nd:
                            for rest in range(r, n_rec):
                                precision[t, rest, k, a, m] = 0.0
                                scores[t, rest, k, a, m] = 0.0
                            break
                        precision[t, r, k, a, m] = pr[pi]
                        scores[t, r, k, a, m] = score[chosen[pi]]
    return precision, recall, scores


def accumulate_states(
    *,
    dt_class: IntArray,
    dt_rank: IntArray,
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
    state : ``(A, T, D)`` int8 outcomes from ``match_groups``.
    n_positive : ``(K, A)`` number of non-ignored GT (``npig``).
    present : ``(K,)`` bool, the class has any GT or detection (else ``E`` is empty).
    max_dets : ``(M,)``; recall_thresholds : ``(R,)``.
    """
    # accumulate: per class, all images' detections sorted by -score with a stable mergesort;
    # the grouped order already lists them image by image in pycocotools' concatenation order.
    order = np.lexsort((-dt_score, dt_class))
    class_start = np.searchsorted(dt_class[order], np.arange(len(present) + 1), side="left")
    precision, recall, scores = _accumulate(
        class_start.astype(np.int64), order.astype(np.int64), dt_rank, dt_score, state,
        n_positive, present, max_dets, recall_thresholds,
    )  # fmt: skip
    return Accumulation(precision, recall, scores)
