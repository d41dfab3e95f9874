"""Axis-aligned boxes: converters and IoU matrices.

Boxes are ``xyxy`` float64 in frame pixels, shaped ``(N, 4)``.  Pairwise functions return
``(N_gt, N_pred)``.  Crowd IoU follows pycocotools ``maskApi.c`` ``bbIou``: where the ground
truth is a crowd region the union is the detection's area alone, so a crowd may absorb several
detections.

An optional ``gt_area`` / ``pred_area`` replaces the box areas in the union.  The COCO reader
passes ``w * h`` of the original ``xywh`` boxes so that the IoU equals pycocotools bit for bit:
``(x + w) - x`` is not always ``w`` in floating point.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _as_boxes(boxes: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim == 1 and array.size == 0:
        return array.reshape(0, 4)
    if array.ndim != 2 or array.shape[1] != 4:
        raise ValueError(f"{name}: expected shape (N, 4), got {array.shape}")
    return array


def _as_vector(values: ArrayLike | None, length: int, name: str) -> NDArray[np.float64] | None:
    if values is None:
        return None
    array = np.asarray(values, dtype=np.float64)
    if array.shape != (length,):
        raise ValueError(f"{name}: expected shape ({length},), got {array.shape}")
    return array


def xywh_to_xyxy(boxes: ArrayLike) -> NDArray[np.float64]:
    """Convert ``(N, 4)`` ``[x, y, width, height]`` boxes to ``[x1, y1, x2, y2]``.

    Examples
    --------
    >>> xywh_to_xyxy([[1.0, 2.0, 3.0, 4.0]]).tolist()
    [[1.0, 2.0, 4.0, 6.0]]
    """
    array = _as_boxes(boxes, "boxes")
    out = array.copy()
    out[:, 2:] += array[:, :2]
    return out


def xyxy_to_xywh(boxes: ArrayLike) -> NDArray[np.float64]:
    """Convert ``(N, 4)`` ``[x1, y1, x2, y2]`` boxes to ``[x, y, width, height]``.

    Examples
    --------
    >>> xyxy_to_xywh([[1.0, 2.0, 4.0, 6.0]]).tolist()
    [[1.0, 2.0, 3.0, 4.0]]
    """
    array = _as_boxes(boxes, "boxes")
    out = array.copy()
    out[:, 2:] -= array[:, :2]
    return out


def box_area(boxes: ArrayLike) -> NDArray[np.float64]:
    """Area of ``(N, 4)`` ``xyxy`` boxes, shape ``(N,)``; inverted boxes have area 0.

    Examples
    --------
    >>> box_area([[0, 0, 2, 3]]).tolist()
    [6.0]
    """
    array = _as_boxes(boxes, "boxes")
    sides = np.clip(array[:, 2:] - array[:, :2], 0.0, None)
    return sides[:, 0] * sides[:, 1]


def _iou(
    gt: NDArray[np.float64],
    pred: NDArray[np.float64],
    gt_area: NDArray[np.float64],
    pred_area: NDArray[np.float64],
    crowd: NDArray[np.bool_] | None,
) -> NDArray[np.float64]:
    """The one IoU formula (``bbIou``); ``gt`` and ``pred`` broadcast against each other."""
    width = np.minimum(gt[..., 2], pred[..., 2]) - np.maximum(gt[..., 0], pred[..., 0])
    height = np.minimum(gt[..., 3], pred[..., 3]) - np.maximum(gt[..., 1], pred[..., 1])
    overlap = (width > 0) & (height > 0)
    inter = np.where(overlap, width * height, 0.0)
    union = pred_area + gt_area - inter
    if crowd is not None:
        union = np.where(crowd, np.broadcast_to(pred_area, union.shape), union)
    out = np.zeros(inter.shape, dtype=np.float64)
    np.divide(inter, union, out=out, where=overlap)
    return out


def box_iou(
    gt: ArrayLike,
    pred: ArrayLike,
    *,
    crowd: ArrayLike | None = None,
    gt_area: ArrayLike | None = None,
    pred_area: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """IoU of every ground-truth box with every predicted box.

    Parameters
    ----------
    gt, pred
        ``(G, 4)`` and ``(D, 4)`` ``xyxy`` float64 boxes in pixels.
    crowd
        ``(G,)`` bool; where true the union is the predicted area (pycocotools crowd IoU).
    gt_area, pred_area
        ``(G,)`` / ``(D,)`` areas used in the union instead of the box areas.

    Returns
    -------
    ``(G, D)`` float64 in [0, 1].

    Examples
    --------
    >>> box_iou([[0, 0, 2, 2]], [[1, 0, 3, 2], [5, 5, 6, 6]]).round(4).tolist()
    [[0.3333, 0.0]]
    """
    gt_boxes = _as_boxes(gt, "gt")
    pred_boxes = _as_boxes(pred, "pred")
    n_gt, n_pred = len(gt_boxes), len(pred_boxes)
    g_area = _as_vector(gt_area, n_gt, "gt_area")
    p_area = _as_vector(pred_area, n_pred, "pred_area")
    is_crowd = _as_vector(crowd, n_gt, "crowd")
    return _iou(
        gt_boxes[:, None, :],
        pred_boxes[None, :, :],
        (box_area(gt_boxes) if g_area is None else g_area)[:, None],
        (box_area(pred_boxes) if p_area is None else p_area)[None, :],
        None if is_crowd is None else is_crowd.astype(bool)[:, None],
    )


def box_iou_pairs(
    gt: ArrayLike,
    pred: ArrayLike,
    *,
    crowd: ArrayLike | None = None,
    gt_area: ArrayLike | None = None,
    pred_area: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """IoU of ``gt[i]`` with ``pred[i]`` for each row ``i`` (same rules as :func:`box_iou`).

    Parameters
    ----------
    gt, pred
        ``(N, 4)`` ``xyxy`` float64 boxes, paired by row.
    crowd, gt_area, pred_area
        ``(N,)`` per pair, as in :func:`box_iou`.

    Returns
    -------
    ``(N,)`` float64 in [0, 1].

    Examples
    --------
    >>> box_iou_pairs([[0, 0, 2, 2]], [[1, 0, 3, 2]], crowd=[True]).tolist()
    [0.5]
    """
    gt_boxes = _as_boxes(gt, "gt")
    pred_boxes = _as_boxes(pred, "pred")
    if gt_boxes.shape != pred_boxes.shape:
        raise ValueError(f"pred: expected shape {gt_boxes.shape}, got {pred_boxes.shape}")
    n = len(gt_boxes)
    g_area = _as_vector(gt_area, n, "gt_area")
    p_area = _as_vector(pred_area, n, "pred_area")
    is_crowd = _as_vector(crowd, n, "crowd")
    return _iou(
        gt_boxes,
        pred_boxes,
        box_area(gt_boxes) if g_area is None else g_area,
        box_area(pred_boxes) if p_area is None else p_area,
        None if is_crowd is None else is_crowd.astype(bool),
    )
