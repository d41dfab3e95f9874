"""Object confusion matrix: which GT class each prediction landed on.

Per evaluation image, predictions are matched to GT **class-agnostically**, greedily by
descending confidence (ties in input order) at a similarity threshold (0.5 by default), with
the rules of the COCO matching (``COCOeval.evaluateImg``, via :func:`match_objects`) applied to
all classes at once. Each
matched pair counts in (GT class, predicted class); an unmatched GT counts in its row's
``missed`` column; an unmatched prediction counts in the ``background`` row. Crowd and ignored
GT count nowhere, and neither do the predictions they absorb.

The similarity is a matrix per image, so boxes, masks, rotated boxes, OKS or polylines all work.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.evaluation.matching import match_objects
from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.similarity import GroupSimilarity

#: Label of the extra row (predictions matching no GT) and the extra column (GT never matched).
BACKGROUND, MISSED = "background", "missed"


@dataclasses.dataclass(frozen=True)
class ConfusionMatrixResult:
    """Counts of (GT class, predicted class) pairs.

    Attributes
    ----------
    classes : ``(K,)`` int64 class ids, the order of rows and columns.
    matrix : ``(K + 1, K + 1)`` int64. ``matrix[i, j]`` counts GT of ``classes[i]`` matched by a
        prediction of ``classes[j]``; row ``K`` is ``background`` (unmatched predictions by
        predicted class), column ``K`` is ``missed`` (unmatched GT by class); ``matrix[K, K]``
        is 0.
    iou_threshold : the similarity threshold of the matching.
    """

    classes: NDArray[np.int64]
    matrix: NDArray[np.int64]
    iou_threshold: float

    def to_dict(self) -> dict[str, Any]:
        """``{"iou_threshold", "classes", "rows", "columns", "matrix"}``, rows = GT classes then
        ``"background"``, columns = predicted classes then ``"missed"``."""
        labels = [int(c) for c in self.classes]
        return {
            "iou_threshold": self.iou_threshold,
            "classes": labels,
            "rows": [*labels, BACKGROUND],
            "columns": [*labels, MISSED],
            "matrix": self.matrix.tolist(),
        }


def _per_image(
    values: Sequence[ArrayLike] | None, counts: list[int], dtype: Any, name: str
) -> NDArray[Any]:
    if values is None:
        return np.zeros(sum(counts), dtype=dtype)
    if len(values) != len(counts):
        raise ValueError(f"{name}: expected {len(counts)} images, got {len(values)}")
    arrays = []
    for i, (item, n) in enumerate(zip(values, counts, strict=True)):
        array = np.asarray(item, dtype=dtype)
        if array.shape != (n,):
            raise ValueError(f"{name}[{i}]: expected shape ({n},), got {array.shape}")
        arrays.append(array)
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=dtype)


def confusion_matrix(
    similarities: Sequence[ArrayLike],
    *,
    gt_classes: Sequence[ArrayLike],
    pred_classes: Sequence[ArrayLike],
    pred_scores: Sequence[ArrayLike],
    iou_threshold: float = 0.5,
    gt_crowd: Sequence[ArrayLike] | None = None,
    gt_ignored: Sequence[ArrayLike] | None = None,
    classes: ArrayLike | None = None,
) -> ConfusionMatrixResult:
    """Class-agnostic greedy matching per image, counted by (GT class, predicted class).

    Parameters
    ----------
    similarities
        One ``(N_gt_i, N_pred_i)`` similarity matrix per image (crowd IoU for crowd GT).
    gt_classes, pred_classes
        Per image, ``(N_gt_i,)`` and ``(N_pred_i,)`` int class ids.
    pred_scores
        Per image, ``(N_pred_i,)`` confidences (matching order: descending, ties in input order).
    iou_threshold
        A pair matches when its similarity is ``>=`` this.
    gt_crowd, gt_ignored
        Per image, ``(N_gt_i,)`` bool; crowd regions absorb any number of predictions; both are
        left out of the counts with the predictions they absorb.
    classes
        Row/column order; default: every class seen, ascending. A class outside it is an error.

    Returns
    -------
    ConfusionMatrixResult

    Examples
    --------
    >>> r = confusion_matrix([[[0.9, 0.0], [0.0, 0.1]]], gt_classes=[[0, 1]],
    ...                      pred_classes=[[1, 1]], pred_scores=[[0.9, 0.8]])
    >>> r.matrix.tolist()  # GT 0 taken by a class-1 prediction, GT 1 missed, one background
    [[0, 1, 0], [0, 0, 1], [0, 1, 0]]
    """
    sims = []
    for i, item in enumerate(similarities):
        matrix = np.asarray(item, dtype=np.float64)
        if matrix.size == 0 and matrix.ndim < 2:
            matrix = matrix.reshape(0, 0)
        if matrix.ndim != 2:
            raise ValueError(
                f"similarities[{i}]: expected shape (N_gt, N_pred), got {matrix.shape}"
            )
        sims.append(matrix)
    n_gt = [m.shape[0] for m in sims]
    n_pred = [m.shape[1] for m in sims]
    gt_cls = _per_image(gt_classes, n_gt, np.int64, "gt_classes")
    pred_cls = _per_image(pred_classes, n_pred, np.int64, "pred_classes")
    score = _per_image(pred_scores, n_pred, np.float64, "pred_scores")
    crowd = _per_image(gt_crowd, n_gt, np.bool_, "gt_crowd")
    ignored = _per_image(gt_ignored, n_gt, np.bool_, "gt_ignored") | crowd

    seen = np.union1d(gt_cls, pred_cls)
    labels = seen if classes is None else np.asarray(classes, dtype=np.int64).reshape(-1)
    unknown = np.setdiff1d(seen, labels)
    if len(unknown):
        raise ValueError(f"classes: ids {unknown.tolist()} occur but are not in classes")
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"classes: ids must be unique, got {labels.tolist()}")
    k = len(labels)
    sorter = np.argsort(labels)

    def position(ids: NDArray[np.int64]) -> NDArray[np.int64]:
        return sorter[np.searchsorted(labels, ids, sorter=sorter)].astype(np.int64)

    gt_image = np.repeat(np.arange(len(sims)), n_gt)
    pred_image = np.repeat(np.arange(len(sims)), n_pred)
    gt_start = np.concatenate([[0], np.cumsum(n_gt)]).astype(np.int64)
    pred_start = np.concatenate([[0], np.cumsum(n_pred)]).astype(np.int64)

    def image_matrix(
        gt_index: NDArray[np.int64], pred_index: NDArray[np.int64]
    ) -> NDArray[np.float64]:
        # Groups are (image, class) and every object is class 0 here: one image per call.
        image = int(gt_image[gt_index[0]]) if len(gt_index) else int(pred_image[pred_index[0]])
        return sims[image][np.ix_(gt_index - gt_start[image], pred_index - pred_start[image])]

    # Every object goes in as class 0: the matching is class-agnostic, and the class must not
    # even break score ties (those keep input order within the image).
    gt = GroundTruth(image=gt_image, category=np.zeros(len(gt_cls), np.int64),
                     area=np.ones(len(gt_cls)), crowd=crowd, ignore=ignored)  # fmt: skip
    dt = Detections(image=pred_image, category=np.zeros(len(pred_cls), np.int64), score=score,
                    area=np.ones(len(pred_cls)))  # fmt: skip
    if len(gt_cls) and len(pred_cls):
        result = match_objects(gt, dt, GroupSimilarity(image_matrix), thresholds=[iou_threshold])
        dt_match, gt_match = result.dt_match[0], result.gt_match[0]
        counted_pred = ~result.dt_ignore[0]  # predictions absorbed by crowd / ignored GT drop out
    else:  # nothing to match (and match_objects needs objects on both sides)
        dt_match, gt_match = np.full(len(pred_cls), -1), np.full(len(gt_cls), -1)
        counted_pred = np.ones(len(pred_cls), dtype=bool)
    gt_pos, pred_pos = position(gt_cls), position(pred_cls)

    out = np.zeros((k + 1, k + 1), dtype=np.int64)
    pairs = counted_pred & (dt_match >= 0)
    np.add.at(out, (gt_pos[dt_match[pairs]], pred_pos[pairs]), 1)
    np.add.at(out, (k, pred_pos[counted_pred & (dt_match < 0)]), 1)
    missed = ~ignored & (gt_match < 0)
    np.add.at(out, (gt_pos[missed], k), 1)
    return ConfusionMatrixResult(classes=labels, matrix=out, iou_threshold=float(iou_threshold))
