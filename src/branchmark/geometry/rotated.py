"""Exact IoU of rotated rectangles (Encord's rotatable bounding box), in frame pixels.

A rotated box is ``x, y, w, h, theta``: ``x, y, w, h`` is the box *before* rotation (top-left
corner, width, height) and ``theta`` rotates it about its centre by that many degrees
**clockwise on screen** (``y`` points down), which is Encord's convention. The intersection of two
boxes is found by Sutherland-Hodgman clipping of one convex quadrilateral by the other, in a
numba kernel over all pairs.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.geometry.kernels import input_array, kernel

_MAX_VERTICES = 8  # a convex quad clipped by four half-planes has at most 8 vertices


def _as_rotated_boxes(boxes: ArrayLike, name: str) -> NDArray[np.float64]:
    array = np.asarray(boxes, dtype=np.float64)
    if array.ndim == 1 and array.size == 0:
        array = array.reshape(0, 5)
    if array.ndim != 2 or array.shape[1] != 5:
        raise ValueError(f"{name}: expected shape (N, 5) [x, y, w, h, theta], got {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: coordinates must be finite")
    if (array[:, 2:4] < 0).any():
        raise ValueError(f"{name}: width and height must be >= 0")
    return array


def rotated_box_corners(boxes: ArrayLike) -> NDArray[np.float64]:
    """Corners of rotated boxes, in the order top-left, top-right, bottom-right, bottom-left.

    Parameters
    ----------
    boxes
        ``(N, 5)`` float: ``x, y, w, h`` of the unrotated box in pixels and ``theta`` in degrees,
        clockwise on screen (``y`` down), about the box centre.

    Returns
    -------
    NDArray[np.float64]
        ``(N, 4, 2)`` corner coordinates ``x, y`` in pixels. The order is clockwise on screen,
        which is counter-clockwise in the usual ``y``-up orientation (positive shoelace area).

    Examples
    --------
    >>> rotated_box_corners([[0, 0, 4, 2, 90]]).round(6).tolist()
    [[[3.0, -1.0], [3.0, 3.0], [1.0, 3.0], [1.0, -1.0]]]
    """
    array = _as_rotated_boxes(boxes, "boxes")
    cx = array[:, 0] + array[:, 2] / 2.0
    cy = array[:, 1] + array[:, 3] / 2.0
    half_w, half_h = array[:, 2] / 2.0, array[:, 3] / 2.0
    theta = np.deg2rad(array[:, 4])
    cos, sin = np.cos(theta), np.sin(theta)
    # Offsets of the unrotated corners from the centre, then the rotation [[c, -s], [s, c]]:
    # with y down, a positive angle turns clockwise on screen.
    dx = np.stack([-half_w, half_w, half_w, -half_w], axis=1)
    dy = np.stack([-half_h, -half_h, half_h, half_h], axis=1)
    xs = cx[:, None] + dx * cos[:, None] - dy * sin[:, None]
    ys = cy[:, None] + dx * sin[:, None] + dy * cos[:, None]
    return np.stack([xs, ys], axis=2)


@kernel(input_array("float64"), input_array("float64"), "int64")
def _polygon_area(xs: NDArray[np.float64], ys: NDArray[np.float64], n: int) -> float:
    total = 0.0
    for i in range(n):
        j = (i + 1) % n
        total += xs[i] * ys[j] - xs[j] * ys[i]
    return 0.5 * total


@kernel(input_array("float64", 2), input_array("float64", 2))
def _intersection_area(subject: NDArray[np.float64], clip: NDArray[np.float64]) -> float:
    """Area of the intersection of two convex quads given with positive orientation."""
    in_x = np.empty(_MAX_VERTICES + 1)
    in_y = np.empty(_MAX_VERTICES + 1)
    out_x = np.empty(_MAX_VERTICES + 1)
    out_y = np.empty(_MAX_VERTICES + 1)
    n = 4
    for i in range(4):
        in_x[i] = subject[i, 0]
        in_y[i] = subject[i, 1]
    for e in range(4):
        ax, ay = clip[e, 0], clip[e, 1]
        bx, by = clip[(e + 1) % 4, 0], clip[(e + 1) % 4, 1]
        ex, ey = bx - ax, by - ay
        m = 0
        for i in range(n):
            j = (i + 1) % n
            px, py = in_x[i], in_y[i]
            qx, qy = in_x[j], in_y[j]
            # Inside = left of the directed clip edge (positive orientation), boundary included.
            dp = ex * (py - ay) - ey * (px - ax)
            dq = ex * (qy - ay) - ey * (qx - ax)
            if dp >= 0.0:
                out_x[m] = px
                out_y[m] = py
                m += 1
            if (dp >= 0.0) != (dq >= 0.0):
                t = dp / (dp - dq)
                out_x[m] = px + t * (qx - px)
                out_y[m] = py + t * (qy - py)
                m += 1
        n = m
        if n < 3:
            return 0.0
        for i in range(n):
            in_x[i] = out_x[i]
            in_y[i] = out_y[i]
    return max(_polygon_area(in_x, in_y, n), 0.0)


@kernel(
    input_array("float64", 3), input_array("float64", 3), input_array("float64"),
    input_array("float64"), input_array("float64", 2), input_array("float64", 2),
)  # fmt: skip
def _iou_kernel(
    gt: NDArray[np.float64],
    pred: NDArray[np.float64],
    gt_area: NDArray[np.float64],
    pred_area: NDArray[np.float64],
    gt_extent: NDArray[np.float64],
    pred_extent: NDArray[np.float64],
) -> NDArray[np.float64]:
    """IoU matrix; ``*_extent`` ``(N, 4)`` are each box's ``x0, x1, y0, y1`` corner extents."""
    n_gt, n_pred = gt.shape[0], pred.shape[0]
    out = np.zeros((n_gt, n_pred))
    for g in range(n_gt):
        for p in range(n_pred):
            # Disjoint axis-aligned extents: nothing to clip.
            if (
                pred_extent[p, 1] < gt_extent[g, 0]
                or pred_extent[p, 0] > gt_extent[g, 1]
                or pred_extent[p, 3] < gt_extent[g, 2]
                or pred_extent[p, 2] > gt_extent[g, 3]
            ):
                continue
            inter = _intersection_area(pred[p], gt[g])
            union = gt_area[g] + pred_area[p] - inter
            if union > 0.0:
                out[g, p] = min(max(inter / union, 0.0), 1.0)
    return out


def _extents(corners: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(N, 4)`` ``x0, x1, y0, y1`` of ``(N, 4, 2)`` corners (numpy here: array reductions
    inside a kernel cost numba ~1 s of extra compile)."""
    x, y = corners[:, :, 0], corners[:, :, 1]
    return np.stack([x.min(axis=1), x.max(axis=1), y.min(axis=1), y.max(axis=1)], axis=1)


def rotated_box_iou(gt_boxes: ArrayLike, pred_boxes: ArrayLike) -> NDArray[np.float64]:
    """Exact IoU of every ground-truth rotated box with every predicted one.

    Parameters
    ----------
    gt_boxes, pred_boxes
        ``(N_gt, 5)`` and ``(N_pred, 5)``: ``x, y, w, h, theta`` in frame pixels and degrees
        (Encord convention, see the module docstring). Sizes must be ``>= 0``.

    Returns
    -------
    NDArray[np.float64]
        ``(N_gt, N_pred)`` IoU in [0, 1]; symmetric; 0 where the union has no area (two
        degenerate boxes).

    Examples
    --------
    >>> rotated_box_iou([[0, 0, 2, 2, 0]], [[0, 0, 2, 2, 45], [1, 0, 2, 2, 0]]).round(4)
    array([[0.7071, 0.3333]])
    """
    gt = rotated_box_corners(_as_rotated_boxes(gt_boxes, "gt_boxes"))
    pred = rotated_box_corners(_as_rotated_boxes(pred_boxes, "pred_boxes"))
    if gt.shape[0] == 0 or pred.shape[0] == 0:
        return np.zeros((gt.shape[0], pred.shape[0]), dtype=np.float64)
    # Areas from the corners (not w * h) so that IoU(a, a) is 1 to rounding: the intersection is
    # measured with the same shoelace formula on the same vertices.
    gt_area = _shoelace(gt)
    pred_area = _shoelace(pred)
    return _iou_kernel(
        np.ascontiguousarray(gt), np.ascontiguousarray(pred), gt_area, pred_area, _extents(gt),
        _extents(pred),
    )  # fmt: skip


def _shoelace(corners: NDArray[np.float64]) -> NDArray[np.float64]:
    x, y = corners[:, :, 0], corners[:, :, 1]
    area = 0.5 * (x * np.roll(y, -1, axis=1) - np.roll(x, -1, axis=1) * y).sum(axis=1)
    result: NDArray[np.float64] = np.abs(area)
    return result
