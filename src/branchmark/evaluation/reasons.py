"""Why each false positive is false: the reason shown beside every FP in the UI.

For one evaluation image at one IoU threshold ``t``, given the matching that was done (greedy,
per class, descending confidence, incompatible attributes treated as similarity 0), each false
positive ``p`` gets the first reason that applies, in this order:

1. ``attribute_mismatch``: a GT of ``p``'s class with geometric similarity >= ``t`` was still
   free when ``p``'s turn came (not taken by a higher-ranked prediction), and the only obstacle
   was that their attributes are incompatible. Fixing the attributes would have made ``p`` match.
2. ``duplicate``: some GT of ``p``'s class has similarity >= ``t``, but every such GT was already
   taken by a higher-ranked prediction.
3. ``wrong_class``: a GT of *another* class has similarity >= ``t`` (the object is there, the
   label is wrong).
4. ``low_overlap``: the best same-class similarity is > 0 but < ``t`` (the right object, badly
   localised).
5. ``background``: none of the above: nothing of its class overlaps it, and no GT of another
   class reaches ``t``.

The order puts the most specific, most actionable explanation first: a same-class object at the
right place beats a neighbour of another class, which beats a poor overlap. A crowd GT is never
"taken" (it absorbs any number of predictions).
"""

from __future__ import annotations

import enum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


class FpReason(enum.StrEnum):
    """Reason of a false positive; the string values are stored and shown."""

    ATTRIBUTE_MISMATCH = "attribute_mismatch"
    DUPLICATE = "duplicate"
    WRONG_CLASS = "wrong_class"
    LOW_OVERLAP = "low_overlap"
    BACKGROUND = "background"


def _vector(
    values: ArrayLike | None, dtype: type, n: int, name: str, default: object
) -> NDArray[Any]:
    if values is None:
        return np.full(n, default, dtype=dtype)
    array: NDArray[Any] = np.asarray(values, dtype=dtype)
    if array.shape != (n,):
        raise ValueError(f"{name}: expected shape ({n},), got {array.shape}")
    return array


def label_false_positives(
    similarity: ArrayLike,
    *,
    gt_class: ArrayLike,
    pred_class: ArrayLike,
    pred_score: ArrayLike,
    pred_match: ArrayLike,
    iou_threshold: float,
    pred_ignored: ArrayLike | None = None,
    compatible: ArrayLike | None = None,
    gt_crowd: ArrayLike | None = None,
) -> NDArray[np.str_]:
    """Reason of each false positive of one image at one threshold.

    Parameters
    ----------
    similarity
        ``(N_gt, N_pred)`` geometric similarity (IoU, OKS, ...; crowd IoU for crowd GT), *before*
        attributes are taken into account.
    gt_class, pred_class
        ``(N_gt,)`` and ``(N_pred,)`` int class ids.
    pred_score
        ``(N_pred,)`` confidences; the matching order is descending score, ties in input order.
    pred_match
        ``(N_pred,)`` index of the GT each prediction matched at ``iou_threshold``, or -1.
    iou_threshold
        The threshold ``t`` the matching used.
    pred_ignored
        ``(N_pred,)`` bool, predictions that are neither TP nor FP (default none).
    compatible
        ``(N_gt, N_pred)`` bool attribute compatibility (default all compatible).
    gt_crowd
        ``(N_gt,)`` bool crowd regions (default none).

    Returns
    -------
    NDArray[np.str_]
        ``(N_pred,)`` :class:`FpReason` values for false positives, ``""`` for the others.

    Examples
    --------
    >>> label_false_positives([[0.9, 0.8, 0.3]], gt_class=[0], pred_class=[0, 0, 0],
    ...                       pred_score=[0.9, 0.8, 0.7], pred_match=[0, -1, -1],
    ...                       iou_threshold=0.5).tolist()
    ['', 'duplicate', 'low_overlap']
    """
    gt_cls = np.asarray(gt_class, dtype=np.int64)
    pred_cls = np.asarray(pred_class, dtype=np.int64)
    if gt_cls.ndim != 1 or pred_cls.ndim != 1:
        raise ValueError(
            "gt_class, pred_class: expected shapes (N_gt,), (N_pred,), "
            f"got {gt_cls.shape}, {pred_cls.shape}"
        )
    n_gt, n_pred = len(gt_cls), len(pred_cls)
    sim = np.asarray(similarity, dtype=np.float64)
    if sim.size == 0:
        sim = sim.reshape(n_gt, n_pred)
    if sim.shape != (n_gt, n_pred):
        raise ValueError(f"similarity: expected shape ({n_gt}, {n_pred}), got {sim.shape}")
    score = _vector(pred_score, np.float64, n_pred, "pred_score", 0.0)
    match = _vector(pred_match, np.int64, n_pred, "pred_match", -1)
    if ((match < -1) | (match >= n_gt)).any():
        raise ValueError(f"pred_match: GT indices must be -1 or in [0, {n_gt})")
    ignored = _vector(pred_ignored, np.bool_, n_pred, "pred_ignored", False)
    crowd = _vector(gt_crowd, np.bool_, n_gt, "gt_crowd", False)
    if compatible is None:
        compat = np.ones((n_gt, n_pred), dtype=bool)
    else:
        compat = np.asarray(compatible, dtype=bool)
        if compat.shape != (n_gt, n_pred):
            raise ValueError(f"compatible: expected shape ({n_gt}, {n_pred}), got {compat.shape}")

    # Rank in matching order; a GT is taken at the rank of the first prediction that matched it.
    rank = np.empty(n_pred, dtype=np.int64)
    rank[np.argsort(-score, kind="stable")] = np.arange(n_pred)
    taken_at = np.full(n_gt, np.iinfo(np.int64).max)
    matched = match >= 0
    np.minimum.at(taken_at, match[matched], rank[matched])
    taken_at[crowd] = np.iinfo(np.int64).max
    taken_before = taken_at[:, None] < rank[None, :]  # (G, P)

    same = gt_cls[:, None] == pred_cls[None, :]
    reaches = sim >= iou_threshold
    candidate = same & reaches
    attribute_mismatch = (candidate & ~taken_before & ~compat).any(axis=0)
    duplicate = (candidate & taken_before).any(axis=0)
    wrong_class = (~same & reaches).any(axis=0)
    low_overlap = (same & (sim > 0)).any(axis=0)

    reasons = np.select(
        [attribute_mismatch, duplicate, wrong_class, low_overlap],
        [FpReason.ATTRIBUTE_MISMATCH.value, FpReason.DUPLICATE.value, FpReason.WRONG_CLASS.value,
         FpReason.LOW_OVERLAP.value],
        default=FpReason.BACKGROUND.value,
    ).astype(f"<U{max(len(r.value) for r in FpReason)}")  # fmt: skip
    reasons[matched | ignored] = ""
    return reasons
