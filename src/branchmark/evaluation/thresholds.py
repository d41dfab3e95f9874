"""Encord-style summary at an (IoU, confidence) point, from stored outcomes, without re-matching.

An analysis stores, for every threshold of the IoU grid 0.05:0.05:0.95, which GT each prediction
matched and which prediction each GT matched (:class:`MatchOutcomes`). Because matching is greedy
in descending confidence, dropping the predictions below a confidence cut never changes the
matches above it (``EVALUATION.md``, "Thresholds and sliders"). So at ``(t, c)``:

- TP = kept (score >= c), non-ignored predictions matched at ``t``;
- FP = kept, non-ignored predictions unmatched at ``t``;
- FN = non-ignored GT not matched at ``t`` by a kept prediction;
- precision = TP / (TP + FP), recall = TP / (TP + FN), F1 = 2PR / (P + R), NaN where undefined;
- AP at ``t``: 101-point interpolated (``COCOeval.accumulate``) over the kept predictions of the
  class, all images pooled, no maxDets cap; NaN for a class without non-ignored GT;
- mAP = mean AP over the classes that have GT.

:class:`MatchOutcomes` sorts once (by class, then score descending, ties in input order, as
``accumulate``'s mergesort over images in order); a summary is then a few linear passes.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.evaluation.matching import MatchResult
from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.params import ANALYSIS_IOU_THRESHOLDS, COCO_RECALL_THRESHOLDS
from branchmark.geometry.kernels import input_array, kernel


def _vector(values: ArrayLike, dtype: Any, length: int | None, name: str) -> NDArray[Any]:
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.ndim != 1 or (length is not None and len(array) != length):
        raise ValueError(
            f"{name}: expected shape ({length if length is not None else 'N'},), got {array.shape}"
        )
    return array


def _per_threshold(values: ArrayLike, dtype: Any, n: int, t: int, name: str) -> NDArray[Any]:
    """``(n, T)`` input; a ``(n,)`` bool input is broadcast over the thresholds."""
    array = np.asarray(values, dtype=dtype)
    if array.shape == (n,) and dtype is np.bool_:
        array = np.broadcast_to(array[:, None], (n, t))
    if array.shape != (n, t):
        raise ValueError(f"{name}: expected shape ({n}, {t}), got {array.shape}")
    return array


# The (D, T) / (G, T) outcome arrays come C-ordered (read back from the store) or F-ordered
# (transposed match results) and pred_ignored may be broadcast: one "any layout" compile each.
@kernel(
    input_array("int64", 2, "A"), input_array("int64", 2, "A"), input_array("int64"),
    input_array("int64"), input_array("bool"),
)  # fmt: skip
def _first_inconsistency(
    pred_match: NDArray[np.int64],
    gt_match: NDArray[np.int64],
    pred_class: NDArray[np.int64],
    gt_class: NDArray[np.int64],
    gt_ignored: NDArray[np.bool_],
) -> tuple[int, int, int, int, int]:
    """``(code, threshold, a, b, c)`` of the first bad entry, code 0 when all is consistent."""
    n_pred, n_thr = pred_match.shape
    n_gt = gt_match.shape[0]
    for d in range(n_pred):
        for t in range(n_thr):
            g = pred_match[d, t]
            if g < -1 or g >= n_gt:
                return 1, t, d, g, 0
            if g >= 0:
                if gt_class[g] != pred_class[d]:
                    return 3, t, d, g, 0
                if not gt_ignored[g] and gt_match[g, t] != d:
                    return 4, t, d, g, gt_match[g, t]
    for g in range(n_gt):
        for t in range(n_thr):
            d = gt_match[g, t]
            if d < -1 or d >= n_pred:
                return 2, t, g, d, 0
            if d >= 0 and not gt_ignored[g] and pred_match[d, t] != g:
                return 5, t, g, d, pred_match[d, t]
    return 0, 0, 0, 0, 0


@kernel(input_array("int64", 2, "A"), input_array("bool", 2, "A"), input_array("int64"))
def _sorted_outcomes(
    pred_match: NDArray[np.int64], pred_ignored: NDArray[np.bool_], order: NDArray[np.intp]
) -> NDArray[np.int8]:
    """``(T, D)`` in sorted order: 1 matched, 2 unmatched, 0 ignored."""
    n_thr = pred_match.shape[1]
    out = np.empty((n_thr, len(order)), dtype=np.int8)
    for i in range(len(order)):
        d = order[i]
        for t in range(n_thr):
            if pred_ignored[d, t]:
                out[t, i] = 0
            elif pred_match[d, t] >= 0:
                out[t, i] = 1
            else:
                out[t, i] = 2
    return out


@kernel(input_array("int64", 2, "A"), input_array("int64"), input_array("int64"))
def _sorted_positions(
    gt_match: NDArray[np.int64], gt_order: NDArray[np.intp], position: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``(T, G)``, GT in ``gt_order``: sorted position of the matched prediction, or ``D``."""
    n_thr = gt_match.shape[1]
    out = np.empty((n_thr, len(gt_order)), dtype=np.int64)
    for j in range(len(gt_order)):
        g = gt_order[j]
        for t in range(n_thr):
            out[t, j] = position[gt_match[g, t]]  # -1 reads the sentinel at the end
    return out


@dataclasses.dataclass(frozen=True)
class MatchOutcomes:
    """Per-object outcomes of one analysis on an IoU grid (pooled over all images).

    Attributes
    ----------
    pred_class : ``(D,)`` int64 class id of each prediction.
    pred_score : ``(D,)`` float64 confidence. Order predictions by image, then by score
        descending, for ties to break exactly as ``COCOeval.accumulate``.
    pred_match : ``(D, T)`` int64 index into the GT arrays of the GT matched at each threshold,
        or -1.
    pred_ignored : ``(D, T)`` (or ``(D,)``) bool: matched to an ignored GT, or otherwise ignored.
    gt_class : ``(G,)`` int64.
    gt_ignored : ``(G,)`` bool: crowd, or outside the area range.
    gt_match : ``(G, T)`` int64 index of the prediction that matched the GT, or -1.
    iou_thresholds : ``(T,)`` the grid; default 0.05:0.05:0.95.

    Raises ``ValueError`` on wrong shapes, out-of-range indices, a match across classes, or
    ``pred_match`` and ``gt_match`` that disagree about a non-ignored pair.
    """

    pred_class: NDArray[np.int64]
    pred_score: NDArray[np.float64]
    pred_match: NDArray[np.int64]
    pred_ignored: NDArray[np.bool_]
    gt_class: NDArray[np.int64]
    gt_ignored: NDArray[np.bool_]
    gt_match: NDArray[np.int64]
    iou_thresholds: NDArray[np.float64] = dataclasses.field(
        default_factory=lambda: ANALYSIS_IOU_THRESHOLDS
    )
    # Derived once, in __post_init__: predictions sorted by (class, score descending), one
    # contiguous row per threshold, so that a summary is a few linear passes without gathers.
    classes: NDArray[np.int64] = dataclasses.field(init=False, repr=False)
    _sorted_score: NDArray[np.float64] = dataclasses.field(init=False, repr=False)
    _sorted_outcome: NDArray[np.int8] = dataclasses.field(init=False, repr=False)
    _gt_match_position: NDArray[np.int64] = dataclasses.field(init=False, repr=False)
    _segments: NDArray[np.int64] = dataclasses.field(init=False, repr=False)
    _gt_segments: NDArray[np.int64] = dataclasses.field(init=False, repr=False)
    _gt_sorted_counted: NDArray[np.bool_] = dataclasses.field(init=False, repr=False)
    _n_positive: NDArray[np.int64] = dataclasses.field(init=False, repr=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        thresholds = _vector(self.iou_thresholds, np.float64, None, "iou_thresholds")
        t = len(thresholds)
        pred_class = _vector(self.pred_class, np.int64, None, "pred_class")
        d = len(pred_class)
        gt_class = _vector(self.gt_class, np.int64, None, "gt_class")
        g = len(gt_class)
        put(self, "iou_thresholds", thresholds)
        put(self, "pred_class", pred_class)
        put(self, "gt_class", gt_class)
        put(self, "pred_score", _vector(self.pred_score, np.float64, d, "pred_score"))
        put(self, "gt_ignored", _vector(self.gt_ignored, np.bool_, g, "gt_ignored"))
        put(self, "pred_match", _per_threshold(self.pred_match, np.int64, d, t, "pred_match"))
        put(self, "gt_match", _per_threshold(self.gt_match, np.int64, g, t, "gt_match"))
        put(self, "pred_ignored", _per_threshold(self.pred_ignored, np.bool_, d, t, "pred_ignored"))
        if not np.isfinite(self.pred_score).all():
            raise ValueError("pred_score: scores must be finite")
        self._check_matches()

        classes = np.unique(np.concatenate([pred_class, gt_class]))
        order = np.lexsort((-self.pred_score, pred_class))
        position = np.empty(d + 1, dtype=np.int64)
        position[order] = np.arange(d)
        position[d] = d  # gt_match == -1 reads this sentinel
        sorted_class = pred_class[order]
        starts = np.searchsorted(sorted_class, classes, side="left")
        ends = np.searchsorted(sorted_class, classes, side="right")
        gt_pos = np.searchsorted(classes, gt_class)
        gt_order = np.argsort(gt_class, kind="stable")
        gt_sorted_class = gt_class[gt_order]
        gt_starts = np.searchsorted(gt_sorted_class, classes, side="left")
        gt_ends = np.searchsorted(gt_sorted_class, classes, side="right")
        put(self, "classes", classes)
        put(self, "_sorted_score", np.ascontiguousarray(self.pred_score[order]))
        put(self, "_sorted_outcome", _sorted_outcomes(self.pred_match, self.pred_ignored, order))
        # GT sorted by class too, so that FN per class is a prefix-sum difference.
        put(self, "_gt_match_position", _sorted_positions(self.gt_match, gt_order, position))
        put(self, "_gt_segments", np.stack([gt_starts, gt_ends], axis=1).astype(np.int64))
        put(self, "_gt_sorted_counted", ~self.gt_ignored[gt_order])
        put(self, "_segments", np.stack([starts, ends], axis=1).astype(np.int64))
        put(self, "_n_positive", np.bincount(gt_pos[~self.gt_ignored], minlength=len(classes)))

    def _check_matches(self) -> None:
        d, g = len(self.pred_class), len(self.gt_class)
        code, t, i, j, k = _first_inconsistency(
            self.pred_match, self.gt_match, self.pred_class, self.gt_class, self.gt_ignored
        )
        messages = {
            1: f"pred_match: GT indices must be -1 or in [0, {g}); prediction {i} has {j}",
            2: f"gt_match: prediction indices must be -1 or in [0, {d}); GT {i} has {j}",
            3: f"pred_match: prediction {i} matches GT {j} of another class",
            4: f"gt_match disagrees with pred_match at threshold {t}: prediction {i} -> GT {j} "
            f"-> prediction {k}",
            5: f"pred_match disagrees with gt_match at threshold {t}: GT {i} -> prediction {j} "
            f"-> GT {k}",
        }
        if code:
            raise ValueError(messages[code])

    @classmethod
    def from_match_result(
        cls, result: MatchResult, *, gt: GroundTruth, dt: Detections
    ) -> MatchOutcomes:
        """Outcomes of :func:`~branchmark.evaluation.matching.match_objects` (``use_cats=True``).

        Objects left out of the matching (position -1, beyond ``max_dets``) become ignored. A
        detection matched to an ``unmatchable`` GT counts as unmatched on both sides, as
        ``COCOeval.accumulate`` reads a matched id of 0.
        """
        d_match = result.dt_match.copy()  # (T, D)
        g_match = result.gt_match.copy()  # (T, G)
        bad = d_match >= 0  # then narrowed to matches of an unmatchable GT
        bad[bad] = gt.unmatchable[d_match[bad]]  # (no GT at all: no match, nothing to index)
        rows, cols = np.nonzero(bad)
        g_match[rows, d_match[rows, cols]] = -1
        d_match[bad] = -1
        left_out = (gt.image < 0) | (gt.category < 0)
        return cls(
            pred_class=dt.category,
            pred_score=dt.score,
            pred_match=d_match.T,
            pred_ignored=(result.dt_ignore | ~result.dt_evaluated[None, :]).T,
            gt_class=gt.category,
            gt_ignored=result.gt_ignore | left_out,
            gt_match=g_match.T,
            iou_thresholds=result.thresholds,
        )

    def threshold_index(self, iou_threshold: float) -> int:
        """Position of ``iou_threshold`` on the grid (to 1e-9); ``ValueError`` when off the grid."""
        hits = np.flatnonzero(np.abs(self.iou_thresholds - iou_threshold) <= 1e-9)
        if len(hits) == 0:
            raise ValueError(
                "iou_threshold: expected a value of the grid "
                f"{self.iou_thresholds.round(2).tolist()}, got {iou_threshold}"
            )
        return int(hits[0])


def _prefix_sum(flags: NDArray[np.bool_]) -> NDArray[np.signedinteger[Any]]:
    """``(N + 1,)`` counts of True before each position; int32 sums are ~8x faster than int64
    (a stored analysis has far fewer than 2**31 predictions)."""
    dtype = np.int32 if len(flags) < 2**31 - 1 else np.int64
    out: NDArray[np.signedinteger[Any]] = np.zeros(len(flags) + 1, dtype=dtype)
    np.cumsum(flags, dtype=dtype, out=out[1:])
    return out


def ratio_or_nan(num: ArrayLike, den: ArrayLike) -> NDArray[np.float64]:
    """``num / den`` as float64, NaN where ``den`` is not positive (0 / 0 is undefined).

    Examples
    --------
    >>> ratio_or_nan([1, 0, 2], [2, 0, 0]).tolist()
    [0.5, nan, nan]
    """
    n, d = np.asarray(num, dtype=np.float64), np.asarray(den, dtype=np.float64)
    out: NDArray[np.float64] = np.divide(n, d, out=np.full(n.shape, np.nan), where=d > 0)
    return out


def f1_from(precision: NDArray[np.float64], recall: NDArray[np.float64]) -> NDArray[np.float64]:
    """``2PR / (P + R)``; NaN where P or R is NaN, and 0 where both are 0 (no TP, but
    predictions and GT exist, so the score is defined: it is the limit of 2TP / (2TP+FP+FN)).

    Examples
    --------
    >>> f1_from(np.array([0.5, 0.0, np.nan]), np.array([1.0, 0.0, 1.0])).round(4).tolist()
    [0.6667, 0.0, nan]
    """
    p, r = np.asarray(precision, dtype=np.float64), np.asarray(recall, dtype=np.float64)
    out = np.divide(2.0 * p * r, p + r, out=np.zeros(np.shape(p)), where=(p + r) > 0)
    out[np.isnan(p) | np.isnan(r)] = np.nan
    return out


_EPS = float(np.spacing(1))


@kernel(input_array("int64"), input_array("int64"), "int64", input_array("float64"))
def _ranked_ap(
    tp_cumsum: NDArray[np.int64],
    fp_cumsum: NDArray[np.int64],
    n_positive: int,
    recall_thresholds: NDArray[np.float64],
) -> float:
    n = len(tp_cumsum)
    if n_positive <= 0:
        return math.nan
    if n == 0:
        return 0.0
    # COCOeval.accumulate: precision tp / (fp + tp + spacing(1)), made monotone from the right,
    # sampled at the first position whose recall reaches each threshold (searchsorted 'left').
    envelope = np.empty(n)
    running = 0.0
    for i in range(n - 1, -1, -1):
        tp = float(tp_cumsum[i])
        running = max(running, tp / (fp_cumsum[i] + tp + _EPS))
        envelope[i] = running
    total = 0.0
    j = 0
    for r in recall_thresholds:
        while j < n and tp_cumsum[j] / n_positive < r:
            j += 1
        if j == n:
            break
        total += envelope[j]
    return total / len(recall_thresholds)


@kernel(
    input_array("int64"), input_array("int32"), input_array("int64", 1, "A"),
    input_array("int64"), input_array("int64"), input_array("int64"), input_array("float64"),
    input_array("int64"), "int64[::1]", "float64[::1]",
)  # fmt: skip
def _classes_ap(
    tp_positions: NDArray[np.int64],
    fp_cum: NDArray[np.signedinteger[Any]],
    starts: NDArray[np.int64],
    first: NDArray[np.int64],
    last: NDArray[np.int64],
    n_positive: NDArray[np.int64],
    recall_thresholds: NDArray[np.float64],
    counts: NDArray[np.int64],
    fp: NDArray[np.int64],
    out: NDArray[np.float64],
) -> None:
    """AP of each class into ``out`` (NaN-filled); ``counts`` is ``1, 2, ...`` and ``fp``
    scratch space, both as long as the most true positives of a class."""
    for c in range(len(starts)):
        if n_positive[c] <= 0:
            continue
        n = last[c] - first[c]
        for i in range(n):
            fp[i] = fp_cum[tp_positions[first[c] + i] + 1] - fp_cum[starts[c]]
        out[c] = _ranked_ap(counts[:n], fp[:n], n_positive[c], recall_thresholds)


def interpolated_ap(
    tp_cumsum: ArrayLike,
    fp_cumsum: ArrayLike,
    n_positive: int,
    *,
    recall_thresholds: ArrayLike = COCO_RECALL_THRESHOLDS,
) -> float:
    """101-point interpolated AP of one ranked list, as ``COCOeval.accumulate`` computes it.

    Parameters
    ----------
    tp_cumsum, fp_cumsum
        ``(N,)`` cumulative true / false positives down the ranking (highest score first).
    n_positive
        Number of positives (non-ignored GT); NaN is returned when it is 0.
    recall_thresholds
        ``(R,)`` ascending recall points; default 0:0.01:1.

    Examples
    --------
    >>> round(interpolated_ap([1, 1, 2], [0, 1, 1], 2), 4)
    0.835
    """
    tp = np.ascontiguousarray(tp_cumsum, dtype=np.int64)
    fp = np.ascontiguousarray(fp_cumsum, dtype=np.int64)
    if tp.ndim != 1 or fp.shape != tp.shape:
        raise ValueError(
            f"fp_cumsum: expected shape {tp.shape} like tp_cumsum (N,), got {fp.shape}"
        )
    thresholds = np.ascontiguousarray(recall_thresholds, dtype=np.float64)
    return float(_ranked_ap(tp, fp, int(n_positive), thresholds))


@dataclasses.dataclass(frozen=True)
class ThresholdSummary:
    """Counts and metrics at one ``(iou_threshold, confidence)`` point.

    Per-class arrays are ``(K,)`` aligned with ``classes``; the ``overall_*`` scalars pool all
    classes (micro), and ``mean_ap`` averages AP over the classes that have GT.
    """

    iou_threshold: float
    confidence: float
    classes: NDArray[np.int64]
    tp: NDArray[np.int64]
    fp: NDArray[np.int64]
    fn: NDArray[np.int64]
    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    f1: NDArray[np.float64]
    ap: NDArray[np.float64]
    overall_tp: int
    overall_fp: int
    overall_fn: int
    overall_precision: float
    overall_recall: float
    overall_f1: float
    mean_ap: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data; NaN becomes None."""

        def clean(value: float) -> float | None:
            return None if math.isnan(value) else value

        per_class = [
            {
                "class": int(c), "tp": int(tp), "fp": int(fp), "fn": int(fn),
                "precision": clean(float(p)), "recall": clean(float(r)), "f1": clean(float(f)),
                "ap": clean(float(a)),
            }
            for c, tp, fp, fn, p, r, f, a in zip(
                self.classes, self.tp, self.fp, self.fn, self.precision, self.recall, self.f1,
                self.ap, strict=True,
            )
        ]  # fmt: skip
        return {
            "iou_threshold": self.iou_threshold,
            "confidence": self.confidence,
            "per_class": per_class,
            "overall": {
                "tp": self.overall_tp, "fp": self.overall_fp, "fn": self.overall_fn,
                "precision": clean(self.overall_precision), "recall": clean(self.overall_recall),
                "f1": clean(self.overall_f1), "map": clean(self.mean_ap),
            },
        }  # fmt: skip


def summarize_thresholds(
    outcomes: MatchOutcomes, *, iou_threshold: float, confidence: float = 0.0
) -> ThresholdSummary:
    """Encord-style summary at ``(iou_threshold, confidence)`` from stored outcomes.

    Parameters
    ----------
    outcomes
        The stored per-object outcomes on the IoU grid.
    iou_threshold
        A value of ``outcomes.iou_thresholds`` (the UI snaps to the grid).
    confidence
        Predictions with ``score >= confidence`` are kept.

    Returns
    -------
    ThresholdSummary

    Examples
    --------
    >>> o = MatchOutcomes(pred_class=[0, 0], pred_score=[0.9, 0.4], pred_match=[[0], [-1]],
    ...                   pred_ignored=[False, False], gt_class=[0, 0], gt_ignored=[False, False],
    ...                   gt_match=[[0], [-1]], iou_thresholds=[0.5])
    >>> s = summarize_thresholds(o, iou_threshold=0.5, confidence=0.5)
    >>> s.overall_tp, s.overall_fp, s.overall_fn, s.overall_precision, s.overall_recall
    (1, 0, 1, 1.0, 0.5)
    """
    k = outcomes.threshold_index(iou_threshold)
    starts, ends = outcomes._segments[:, 0], outcomes._segments[:, 1]
    # Kept predictions of a class are a prefix of its segment (scores descend within it).
    kept = outcomes._sorted_score >= confidence
    kept_cum = _prefix_sum(kept)
    cut = starts + (kept_cum[ends] - kept_cum[starts])
    code = outcomes._sorted_outcome[k]
    is_tp = code == 1
    tp_cum = _prefix_sum(is_tp)
    fp_cum = _prefix_sum(code == 2)
    tp = tp_cum[cut] - tp_cum[starts]
    fp = fp_cum[cut] - fp_cum[starts]

    matched_by_kept = np.append(kept, False)[outcomes._gt_match_position[k]]
    missed_cum = _prefix_sum(outcomes._gt_sorted_counted & ~matched_by_kept)
    fn = missed_cum[outcomes._gt_segments[:, 1]] - missed_cum[outcomes._gt_segments[:, 0]]

    # AP reads the ranking only at its true positives: recall rises only there, and the
    # precision envelope's maxima sit there, so FP and ignored positions can be skipped.
    tp_positions = np.flatnonzero(is_tp)
    first, last = np.searchsorted(tp_positions, starts), np.searchsorted(tp_positions, cut)
    most = int((last - first).max(initial=0))
    ap = np.full(len(starts), np.nan)
    _classes_ap(
        tp_positions, fp_cum, starts, first, last, outcomes._n_positive, COCO_RECALL_THRESHOLDS,
        np.arange(1, most + 1), np.empty(most, np.int64), ap,
    )  # fmt: skip

    tpf, fpf, fnf = tp.astype(np.float64), fp.astype(np.float64), fn.astype(np.float64)
    precision, recall = ratio_or_nan(tpf, tpf + fpf), ratio_or_nan(tpf, tpf + fnf)
    total_tp, total_fp, total_fn = int(tp.sum()), int(fp.sum()), int(fn.sum())
    overall_p = ratio_or_nan(np.array(float(total_tp)), np.array(float(total_tp + total_fp)))
    overall_r = ratio_or_nan(np.array(float(total_tp)), np.array(float(total_tp + total_fn)))
    with_gt = outcomes._n_positive > 0
    return ThresholdSummary(
        # The grid comes from linspace (0.49999999999999994); report the value users picked.
        iou_threshold=round(float(outcomes.iou_thresholds[k]), 10),
        confidence=float(confidence),
        classes=outcomes.classes,
        tp=tp.astype(np.int64),
        fp=fp.astype(np.int64),
        fn=fn.astype(np.int64),
        precision=precision,
        recall=recall,
        f1=f1_from(precision, recall),
        ap=ap,
        overall_tp=total_tp,
        overall_fp=total_fp,
        overall_fn=total_fn,
        overall_precision=float(overall_p),
        overall_recall=float(overall_r),
        overall_f1=float(f1_from(overall_p, overall_r)),
        mean_ap=float(ap[with_gt].mean()) if with_gt.any() else math.nan,
    )
