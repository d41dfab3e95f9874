"""The COCO protocol end to end: match, accumulate, summarise (pycocotools ``COCOeval``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation.accumulate import accumulate_states
from branchmark.evaluation.matching import Compatibility, Similarity, arrange_groups, match_groups
from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.params import CocoParams, IouType

FloatArray = NDArray[np.float64]

# (ap, iou threshold, area label, position in maxDets or a fixed maxDets) per summary line,
# in the order of COCOeval.summarize's _summarizeDets and _summarizeKps.
_DETECTION_STATS: tuple[tuple[int, float | None, str, str], ...] = (
    (1, None, "all", "100"), (1, 0.5, "all", "#2"), (1, 0.75, "all", "#2"),
    (1, None, "small", "#2"), (1, None, "medium", "#2"), (1, None, "large", "#2"),
    (0, None, "all", "#0"), (0, None, "all", "#1"), (0, None, "all", "#2"),
    (0, None, "small", "#2"), (0, None, "medium", "#2"), (0, None, "large", "#2"),
)  # fmt: skip
_KEYPOINT_STATS: tuple[tuple[int, float | None, str, str], ...] = (
    (1, None, "all", "20"), (1, 0.5, "all", "20"), (1, 0.75, "all", "20"),
    (1, None, "medium", "20"), (1, None, "large", "20"),
    (0, None, "all", "20"), (0, 0.5, "all", "20"), (0, 0.75, "all", "20"),
    (0, None, "medium", "20"), (0, None, "large", "20"),
)  # fmt: skip
_LINE = " {:<18} {} @[ IoU={:<9} | area={:>6s} | maxDets={:>3d} ] = {:0.3f}"


@dataclass(frozen=True)
class CocoEvalResult:
    """What a COCO evaluation produces; NaN marks undefined values.

    Attributes
    ----------
    params : the parameters used.
    precision : ``(T, R, K, A, M)``; recall : ``(T, K, A, M)``; scores : ``(T, R, K, A, M)``
        (axes: IoU thresholds, recall thresholds, classes, area ranges, maxDets).
    stats : ``(12,)`` (``(10,)`` for keypoints) in ``COCOeval.summarize`` order.
    class_ap : ``(K,)`` AP per class: mean precision over IoU and recall thresholds at area
        ``all`` and the largest maxDets; NaN for a class without non-crowd GT.
    """

    params: CocoParams
    precision: FloatArray
    recall: FloatArray
    scores: FloatArray
    stats: FloatArray
    class_ap: FloatArray

    def coco_stats(self) -> list[float]:
        """``stats`` as pycocotools gives them: -1 where undefined."""
        return [-1.0 if np.isnan(v) else float(v) for v in self.stats]

    def summary_lines(self) -> list[str]:
        """The lines ``COCOeval.summarize`` prints, in its format."""
        return [
            _LINE.format(
                "Average Precision" if ap else "Average Recall", "(AP)" if ap else "(AR)",
                _iou_label(self.params, thr), area, max_det, value,
            )
            for (ap, thr, area, max_det), value in zip(
                _stat_specs(self.params), self.coco_stats(), strict=True
            )
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        """Plain data: params, stats and per-class AP (NaN kept as ``None``)."""

        def clean(values: FloatArray) -> list[float | None]:
            return [None if np.isnan(v) else float(v) for v in values]

        return {
            "iou_type": str(self.params.iou_type),
            "stats": clean(self.stats),
            "class_ap": clean(self.class_ap),
        }


def _iou_label(params: CocoParams, thr: float | None) -> str:
    thrs = params.iou_thresholds
    return f"{thrs[0]:0.2f}:{thrs[-1]:0.2f}" if thr is None else f"{thr:0.2f}"


def _stat_specs(params: CocoParams) -> list[tuple[int, float | None, str, int]]:
    table = _KEYPOINT_STATS if params.iou_type is IouType.KEYPOINTS else _DETECTION_STATS
    specs = []
    for ap, thr, area, max_det in table:
        if max_det.startswith("#"):
            position = int(max_det[1:])
            # _summarizeDets indexes params.maxDets[0..2]; with fewer values pycocotools
            # raises, here the line is undefined (-1 matches no maxDets value).
            value = params.max_dets[position] if position < len(params.max_dets) else -1
        else:
            value = int(max_det)
        specs.append((ap, thr, area, value))
    return specs


def _summarize(
    params: CocoParams,
    precision: FloatArray,
    recall: FloatArray,
    spec: tuple[int, float | None, str, int],
) -> float:
    """``COCOeval.summarize._summarize`` with NaN in place of -1."""
    ap, thr, area, max_det = spec
    aind = [i for i, label in enumerate(params.area_labels) if label == area]
    mind = [i for i, m in enumerate(params.max_dets) if m == max_det]
    s = precision if ap else recall
    if thr is not None:
        s = s[np.where(thr == params.iou_thresholds)[0]]
    s = s[:, :, :, aind, mind] if ap else s[:, :, aind, mind]
    valid = s[~np.isnan(s)]
    return float(np.mean(valid)) if valid.size else float("nan")


def evaluate_coco(
    gt: GroundTruth,
    dt: Detections,
    similarity: Similarity,
    *,
    params: CocoParams,
    n_classes: int,
    compatible: Compatibility | None = None,
) -> CocoEvalResult:
    """Run the COCO protocol (``evaluate`` + ``accumulate`` + ``summarize``).

    Parameters
    ----------
    gt, dt
        Objects with image positions into the evaluated images (ascending image ids, as
        ``params.imgIds`` after ``np.unique``) and class positions into ``n_classes`` classes.
    similarity
        Pair provider (see :mod:`branchmark.evaluation.similarity`).
    params
        Thresholds, maxDets, area ranges, ``use_cats``.
    n_classes
        Number of class positions ``K`` (ignored with ``use_cats=False``: ``K = 1``).
    compatible
        Optional pairs that may match; others never match.

    Examples
    --------
    >>> from branchmark.evaluation.similarity import BoxSimilarity
    >>> g = GroundTruth(image=[0], category=[0], area=[100.0], crowd=[False])
    >>> d = Detections(image=[0], category=[0], score=[0.9], area=[100.0])
    >>> box = np.array([[0, 0, 10, 10.0]])
    >>> r = evaluate_coco(g, d, BoxSimilarity(box, box, np.array([False])),
    ...                   params=CocoParams(), n_classes=1)
    >>> [round(v, 6) for v in r.coco_stats()[:6]]
    [1.0, 1.0, 1.0, 1.0, -1.0, -1.0]
    """
    n_cls = n_classes if params.use_cats else 1
    groups = arrange_groups(
        gt, dt, similarity, use_cats=params.use_cats, max_det=params.max_dets[-1],
        compatible=compatible,
    )  # fmt: skip
    gt_area = gt.area[groups.gt]
    gt_ignore = gt.ignore[groups.gt]
    state, _, _ = match_groups(
        groups.gt_start, groups.dt_start, groups.pair_start, groups.similarity,
        gt_area, gt_ignore, gt.crowd[groups.gt], gt.unmatchable[groups.gt],
        dt.area[groups.dt], params.area_ranges, params.iou_thresholds, False,
    )  # fmt: skip
    dt_class = np.repeat(groups.group_class, np.diff(groups.dt_start))
    gt_class = np.repeat(groups.group_class, np.diff(groups.gt_start))
    n_positive = np.zeros((n_cls, len(params.area_ranges)), np.int64)
    for a, (lo, hi) in enumerate(params.area_ranges):
        counted = ~gt_ignore & (gt_area >= lo) & (gt_area <= hi)
        n_positive[:, a] = np.bincount(gt_class[counted], minlength=n_cls)[:n_cls]
    present = np.zeros(n_cls, bool)
    present[groups.group_class] = True
    acc = accumulate_states(
        dt_class=dt_class,
        dt_rank=groups.dt_rank,
        dt_score=dt.score[groups.dt],
        state=state,
        n_positive=n_positive,
        present=present,
        max_dets=np.asarray(params.max_dets, np.int64),
        recall_thresholds=params.recall_thresholds,
    )
    stats = np.array(
        [_summarize(params, acc.precision, acc.recall, s) for s in _stat_specs(params)]
    )
    all_index = params.area_labels.index("all") if "all" in params.area_labels else 0
    per_class = acc.precision[:, :, :, all_index, -1]
    class_ap = np.full(n_cls, np.nan)
    for k in np.flatnonzero(~np.all(np.isnan(per_class), axis=(0, 1))):
        values = per_class[:, :, k]
        class_ap[k] = np.mean(values[~np.isnan(values)])
    return CocoEvalResult(params, acc.precision, acc.recall, acc.scores, stats, class_ap)
