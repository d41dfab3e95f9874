"""Precision / recall accumulation, exactly as pycocotools ``COCOeval.accumulate``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation import matching
from branchmark.evaluation.matching import FALSE_POSITIVE, TRUE_POSITIVE
from branchmark.geometry.kernels import input_array, kernel

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


# Plain loops only: numba compiles each numpy call it meets (argsort, count_nonzero, fancy
# indexing, array-to-array assignment and its shape-mismatch message) as library code, which made
# this kernel's first compile 9 s; sorting and allocation happen in accumulate_states.
@kernel(
    input_array("int64"), input_array("int32"), input_array("float64"), input_array("int64"),
    input_array("int8", 3), input_array("int64", 2), input_array("bool"), input_array("int64"),
    input_array("float64"), "int8[:, :, ::1]", "float64[:, :, :, :, ::1]",
    "float64[:, :, :, ::1]", "float64[:, :, :, :, ::1]", nogil=True,
)  # fmt: skip
def _accumulate(
    class_start: IntArray,
    rank: NDArray[np.int32],
    score: FloatArray,
    order: IntArray,
    state: NDArray[np.int8],
    n_positive: IntArray,
    present: NDArray[np.bool_],
    max_dets: IntArray,
    recall_thresholds: FloatArray,
    local: NDArray[np.int8],
    precision: FloatArray,
    recall: FloatArray,
    scores: FloatArray,
) -> None:
    """``COCOeval.accumulate`` without its per-detection divisions, into ``precision``,
    ``recall`` and ``scores`` (NaN-filled; classes not ``present`` and areas without GT stay NaN).

    pycocotools computes ``rc = tp / npig`` and ``pr = tp / (fp + tp + eps)`` at every detection,
    makes ``pr`` non-increasing from the right, and reads it at ``searchsorted(rc, recThrs)``.
    Between two true positives ``tp`` is fixed and ``pr`` can only fall, so the running maximum
    from the right only ever takes ``pr`` at a true positive (or 0 before the first): those are
    computed, with the same float operations, and nothing else.  The values are identical.

    ``np.searchsorted(rc, threshold)`` finds the first detection whose recall ``tp / npig``
    reaches the threshold: the first with at least ``c`` true positives, ``c`` the fewest with
    ``c / npig >= threshold``.  ``c`` is found with the same float division, so the position is
    the same; counts are capped one past the most true positives (NaN sorts past the end too).

    ``order[class_start[k]:class_start[k + 1]]`` lists class ``k``'s detections in accumulate's
    order; ``local`` is scratch space for the largest class's outcomes.
    """
    n_areas, n_thr = state.shape[1], state.shape[2]
    n_cls, n_max, n_rec = len(class_start) - 1, len(max_dets), len(recall_thresholds)
    tp = np.zeros(n_thr, np.int64)
    fp = np.zeros(n_thr, np.int64)
    found = np.zeros(n_areas * n_thr, np.int64)
    counts = np.zeros(n_rec, np.int64)  # per recall threshold: c above
    ranks = np.empty(local.shape[0], np.int64)
    chosen = np.empty(local.shape[0], np.int64)
    for k in range(n_cls):
        if not present[k]:
            continue
        lo, hi = class_start[k], class_start[k + 1]
        # The class's outcomes in accumulate's order, one contiguous row per detection, and
        # the most true positives at any area and threshold.
        found[:] = 0
        for i in range(hi - lo):
            d = order[lo + i]
            ranks[i] = rank[d]
            for a in range(n_areas):
                for t in range(n_thr):
                    outcome = state[d, a, t]
                    local[i, a, t] = outcome
                    if outcome == TRUE_POSITIVE:
                        found[a * n_thr + t] += 1
        n_most = 1
        for j in range(n_areas * n_thr):
            n_most = max(n_most, found[j])
        event_pr = np.empty(n_thr * n_most)  # [t * n_most + j]: pr at the j-th true positive
        event_at = np.empty(n_thr * n_most, np.int64)  # its position among the chosen
        for m in range(n_max):
            # Each image contributes its top maxDet detections (dtScores[0:maxDet]).
            nd = 0
            for i in range(hi - lo):
                if ranks[i] < max_dets[m]:
                    chosen[nd] = i
                    nd += 1
            for a in range(n_areas):
                npig = n_positive[k, a]
                if npig == 0:
                    continue
                tp[:] = 0
                fp[:] = 0
                for i in range(nd):
                    for t in range(n_thr):
                        outcome = local[chosen[i], a, t]
                        if outcome == TRUE_POSITIVE:
                            j = tp[t]
                            tp[t] = j + 1
                            at = t * n_most + j
                            event_pr[at] = (j + 1.0) / (float(fp[t]) + (j + 1.0) + _EPS)
                            event_at[at] = i
                        elif outcome == FALSE_POSITIVE:
                            fp[t] += 1
                cap = n_most + 1
                for r in range(n_rec):
                    threshold = recall_thresholds[r]
                    estimate = threshold * npig
                    if not estimate <= cap:  # beyond every count, or NaN
                        counts[r] = cap
                        continue
                    c = max(int(np.ceil(estimate)), 0)
                    while c > 0 and (c - 1) / npig >= threshold:
                        c -= 1
                    while c < cap and c / npig < threshold:
                        c += 1
                    counts[r] = c
                for t in range(n_thr):
                    n_tp = tp[t]
                    row = t * n_most
                    recall[t, k, a, m] = n_tp / npig if nd else 0.0
                    for j in range(n_tp - 2, -1, -1):
                        if event_pr[row + j + 1] > event_pr[row + j]:
                            event_pr[row + j] = event_pr[row + j + 1]
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
                            precision[t, r, k, a, m] = event_pr[row] if n_tp else 0.0
                            scores[t, r, k, a, m] = score[order[lo + chosen[0]]]
                        else:
                            precision[t, r, k, a, m] = event_pr[row + c - 1]
                            at = event_at[row + c - 1]
                            scores[t, r, k, a, m] = score[order[lo + chosen[at]]]


def _accumulate_numpy(
    class_start: IntArray,
    rank: NDArray[np.int32],
    score: FloatArray,
    order: IntArray,
    state: NDArray[np.int8],
    n_positive: IntArray,
    present: NDArray[np.bool_],
    max_dets: IntArray,
    recall_thresholds: FloatArray,
    precision: FloatArray,
    recall: FloatArray,
    scores: FloatArray,
) -> None:
    """:func:`_accumulate` with numpy: every class and threshold at once per maxDets and area
    range, the same float operations on the same counts (so the same values).

    The precision envelope (running maximum from the right within each class and threshold) is
    a running maximum over integer keys: the rank of each value among the distinct values, offset
    by its segment so that no segment's keys reach into the next one.
    """
    n_cls, n_thr = len(class_start) - 1, state.shape[2]
    sorted_class = np.repeat(np.arange(n_cls), np.diff(class_start))
    sorted_rank, sorted_state, sorted_score = rank[order], state[order], score[order]
    thresholds = recall_thresholds[None, :]
    # The kernel's cap on the counts below: one more than the class's most true positives.
    width = state.shape[1] * n_thr
    row, column = np.nonzero(sorted_state.reshape(len(order), width) == TRUE_POSITIVE)
    most = np.bincount(sorted_class[row] * width + column, minlength=n_cls * width)
    cap_of = np.maximum(most.reshape(n_cls, width).max(axis=1, initial=0), 1) + 1
    chosen_of = [np.flatnonzero(sorted_rank < m) for m in max_dets.tolist()]  # accumulate order
    for a in range(state.shape[1]):
        npig = n_positive[:, a]
        live = np.flatnonzero(present & (npig > 0))  # the classes written (else NaN)
        if not len(live):
            continue
        positives = np.maximum(npig, 1)
        # Per class and recall threshold, the fewest true positives c with c / npig >= r
        # (searchsorted(rc, recThrs, "left") lands on the c-th true positive).
        cap = cap_of[live, None]
        estimate = thresholds * npig[live, None]
        beyond = ~(estimate <= cap)  # NaN included
        c = np.maximum(np.ceil(np.where(beyond, 0.0, estimate)), 0).astype(np.int64)
        denominator = positives[live, None]
        while (down := (c > 0) & ((c - 1) / denominator >= thresholds)).any():
            c -= down
        while (up := (c < cap) & (c / denominator < thresholds)).any():
            c += up
        c = np.where(beyond, cap, c)[None, :, :]  # (1, L, R)
        outcome = np.ascontiguousarray(sorted_state[:, a, :].T)  # (T, D): rows to cumsum
        for m, chosen in enumerate(chosen_of):
            chosen_class = sorted_class[chosen]
            nd = np.bincount(chosen_class, minlength=n_cls)
            start = np.zeros(n_cls + 1, np.int64)
            np.cumsum(nd, out=start[1:])
            kept = outcome if len(chosen) == len(order) else outcome[:, chosen]  # (T, C)
            tp = kept == TRUE_POSITIVE
            # int32 sums are exact here (the small-input path) and twice as fast as int64.
            tp_cum = np.zeros((n_thr, len(chosen) + 1), np.int32)
            fp_cum = np.zeros((n_thr, len(chosen) + 1), np.int32)
            np.cumsum(tp, axis=1, dtype=np.int32, out=tp_cum[:, 1:])
            np.cumsum(kept == FALSE_POSITIVE, axis=1, dtype=np.int32, out=fp_cum[:, 1:])
            n_tp = tp_cum[:, start[1:]] - tp_cum[:, start[:-1]]  # (T, K)
            recall[:, live, a, m] = np.where(nd > 0, n_tp / positives, 0.0)[:, live]
            # Every true positive, ordered (threshold, class, position): its class's running
            # counts and precision (pycocotools' tp / (fp + tp + eps) at that detection).
            t, at = np.nonzero(tp)
            cls = chosen_class[at]
            tp_n = (tp_cum[t, at + 1] - tp_cum[t, start[cls]]).astype(np.float64)
            fp_n = (fp_cum[t, at + 1] - fp_cum[t, start[cls]]).astype(np.float64)
            pr = tp_n / (fp_n + tp_n + _EPS)
            segment = t * n_cls + cls
            values, key = np.unique(pr, return_inverse=True)
            offset = (n_thr * n_cls - 1 - segment) * len(values)
            running = np.maximum.accumulate((key.reshape(-1) + offset)[::-1])[::-1]
            envelope = np.append(values[running - offset], 0.0)  # [len(pr)]: no event
            event_score = np.append(sorted_score[chosen[at]], 0.0)
            first_event = np.searchsorted(segment, np.arange(n_thr * n_cls))
            count = n_tp[:, live, None]  # (T, L, 1)
            # searchsorted past the end raises in pycocotools: this and later entries stay 0.
            zero = np.logical_or.accumulate((c > count) | (nd[live, None] == 0), axis=2)
            seg = (np.arange(n_thr)[:, None] * n_cls + live)[:, :, None]
            event = np.where(zero | ((c == 0) & (count == 0)), len(pr),
                             first_event[seg] + np.maximum(c - 1, 0))  # fmt: skip
            # Score of each class's first chosen detection (any value where it has none).
            first = np.append(sorted_score[chosen], 0.0)[np.minimum(start[live], len(chosen))]
            sc = np.where(zero, 0.0, np.where(c == 0, first[:, None], event_score[event]))
            precision[:, :, live, a, m] = envelope[event].transpose(0, 2, 1)
            scores[:, :, live, a, m] = sc.transpose(0, 2, 1)


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
    n_det, n_areas, n_thr = state.shape
    n_cls, n_max, n_rec = len(present), len(max_dets), len(recall_thresholds)
    class_start = np.searchsorted(dt_class, np.arange(n_cls + 1), side="left").astype(np.int64)
    score = np.ascontiguousarray(dt_score, dtype=np.float64)
    # accumulate sorts each class's detections (listed image by image) by -score with a stable
    # mergesort: a stable sort by (class, -score) gives every class's order at once.
    order = np.lexsort((-score, dt_class)).astype(np.int64)
    precision = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    scores = np.full((n_thr, n_rec, n_cls, n_areas, n_max), np.nan)
    recall = np.full((n_thr, n_cls, n_areas, n_max), np.nan)
    args = (
        class_start, np.ascontiguousarray(dt_rank, dtype=np.int32), score, order,
        np.ascontiguousarray(state, dtype=np.int8), np.ascontiguousarray(n_positive, np.int64),
        np.ascontiguousarray(present, dtype=bool), np.ascontiguousarray(max_dets, np.int64),
        np.ascontiguousarray(recall_thresholds, np.float64),
    )  # fmt: skip
    if matching.takes_numpy_path(n_det):
        _accumulate_numpy(*args, precision, recall, scores)
    else:
        largest = int(np.diff(class_start).max(initial=0))
        scratch = np.empty((largest, n_areas, n_thr), np.int8)
        _accumulate(*args, scratch, precision, recall, scores)
    return Accumulation(precision, recall, scores)
