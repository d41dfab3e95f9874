"""The matching behind the object confusion matrix, with its pairs kept.

:func:`match_confusion` runs the class-agnostic greedy matching of ``EVALUATION.md`` ("Object
confusion matrix", the rules of :func:`branchmark.evaluation.confusion_matrix`) through
:func:`~branchmark.evaluation.match_objects` on the analysis's precomputed pair similarities
(no per-image callback), and keeps each prediction's partner.  The matrix is then a count of
the pairs (:meth:`ConfusionPairs.matrix`), so every cell can list exactly the objects it counts
(:func:`branchmark.analysis.confusion_cells.confusion_objects`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation import (
    ConfusionMatrixResult,
    Detections,
    GroundTruth,
    PairSimilarity,
    match_objects,
)


@dataclasses.dataclass(frozen=True)
class ConfusionPairs:
    """The class-agnostic matching behind the confusion matrix.

    Attributes
    ----------
    dt_partner : ``(D,)`` int64 index of the GT each prediction matched (-1 none).
    dt_counted : ``(D,)`` bool, False for predictions absorbed by a crowd or ignored GT (counted
        nowhere).
    dt_similarity : ``(D,)`` float64 similarity to the partner (NaN none).
    gt_partner : ``(G,)`` int64 index of the prediction each GT matched (-1 none).
    gt_counted : ``(G,)`` bool, False for crowd and ignored GT (counted nowhere).
    iou_threshold : the similarity threshold of the matching.
    """

    dt_partner: NDArray[np.int64]
    dt_counted: NDArray[np.bool_]
    dt_similarity: NDArray[np.float64]
    gt_partner: NDArray[np.int64]
    gt_counted: NDArray[np.bool_]
    iou_threshold: float

    def rows(self, gt_class: NDArray[np.int64], n_classes: int) -> NDArray[np.int64]:
        """``(D,)`` matrix row of each prediction: its partner's class, ``K`` (background), or
        -1 (not counted)."""
        row = np.where(
            self.dt_partner >= 0,
            gt_class[np.maximum(self.dt_partner, 0)] if len(gt_class) else -1,
            n_classes,
        )
        return np.where(self.dt_counted, row, -1).astype(np.int64)

    def missed(self) -> NDArray[np.bool_]:
        """``(G,)`` GT counted in the ``missed`` column."""
        return self.gt_counted & (self.gt_partner < 0)

    def matrix(
        self, *, gt_class: NDArray[np.int64], dt_class: NDArray[np.int64], n_classes: int
    ) -> ConfusionMatrixResult:
        """The ``(K + 1, K + 1)`` counts (layout of :class:`ConfusionMatrixResult`)."""
        k = n_classes
        row = self.rows(gt_class, k)
        counted = row >= 0
        cells = np.bincount(row[counted] * (k + 1) + dt_class[counted], minlength=(k + 1) ** 2)
        cells += np.bincount(gt_class[self.missed()] * (k + 1) + k, minlength=(k + 1) ** 2)
        return ConfusionMatrixResult(
            classes=np.arange(k, dtype=np.int64),
            matrix=cells.reshape(k + 1, k + 1).astype(np.int64),
            iou_threshold=float(self.iou_threshold),
        )


def match_confusion(
    *,
    gt_image: NDArray[np.int64],
    gt_crowd: NDArray[np.bool_],
    gt_ignored: NDArray[np.bool_],
    dt_image: NDArray[np.int64],
    dt_score: NDArray[np.float64],
    similarity: PairSimilarity,
    iou_threshold: float,
) -> ConfusionPairs:
    """Class-agnostic greedy matching per image at ``iou_threshold``.

    Predictions are taken by descending score, ties in input order (pass them in the order of
    ``evaluation.confusion_matrix``'s per-image lists).  ``gt_crowd`` and ``gt_ignored``
    ``(G,)`` are ``confusion_matrix``'s flags: crowd and ignored GT (the evaluation's ignore
    rule, e.g. keypoint GT without labelled points) are matched last and count nowhere, nor do
    the predictions they absorb (a crowd GT any number, another ignored GT one, as
    ``COCOeval.evaluateImg``).  ``similarity`` is a pair callable over the given objects'
    indices.
    """
    n_gt, n_dt = len(gt_image), len(dt_image)
    # Every object is class 0: the matching ignores classes, which must not even break ties.
    gt = GroundTruth(image=gt_image, category=np.zeros(n_gt, np.int64), area=np.ones(n_gt),
                     crowd=gt_crowd, ignore=gt_ignored)  # fmt: skip
    dt = Detections(image=dt_image, category=np.zeros(n_dt, np.int64), score=dt_score,
                    area=np.ones(n_dt))  # fmt: skip
    if n_gt and n_dt:
        result = match_objects(gt, dt, similarity, thresholds=[iou_threshold])
        dt_partner, gt_partner = result.dt_match[0], result.gt_match[0]
        dt_counted = ~result.dt_ignore[0]
    else:  # nothing can match
        dt_partner, gt_partner = np.full(n_dt, -1, np.int64), np.full(n_gt, -1, np.int64)
        dt_counted = np.ones(n_dt, bool)
    dt_similarity = np.full(n_dt, np.nan)
    hit = np.flatnonzero(dt_partner >= 0)
    if len(hit):
        dt_similarity[hit] = similarity(dt_partner[hit], hit)
    return ConfusionPairs(
        dt_partner=dt_partner.astype(np.int64),
        dt_counted=dt_counted,
        dt_similarity=dt_similarity,
        gt_partner=gt_partner.astype(np.int64),
        gt_counted=~gt.ignore,
        iou_threshold=float(iou_threshold),
    )
