"""Similarity providers: how the engine learns the similarity of (GT, detection) pairs.

The engine asks for the pairs it needs (every GT of a group with each of the group's kept
detections) in one call.  Three forms are accepted:

- a **pair callable** ``f(gt_index, pred_index) -> (N,) float64``: indices into the caller's
  ground truth and detections, one similarity per pair.  :class:`BoxSimilarity`,
  :class:`MaskSimilarity` are such callables (the fast path: one vectorised call);
- :class:`GroupSimilarity` wrapping ``f(gt_index (G,), pred_index (D,)) -> (G, D)``, called once
  per image+class group, for shapes with a matrix function (e.g. rotated boxes);
- :class:`SparseSimilarity`: a precomputed flat list of ``(gt, pred, similarity)``; pairs not
  listed have similarity 0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.geometry.boxes import box_iou_pairs
from branchmark.geometry.masks import RleMasks, mask_iou_pairs

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


class PairSimilarity(Protocol):
    """``(gt_index (N,), pred_index (N,)) -> (N,)`` similarity per listed pair."""

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray: ...


@dataclass(frozen=True)
class GroupSimilarity:
    """Wraps a per-group matrix function ``f(gt_index, pred_index) -> (G, D)``."""

    matrix: Callable[[IntArray, IntArray], ArrayLike]


@dataclass(frozen=True)
class SparseSimilarity:
    """Precomputed similarities of listed pairs; unlisted pairs have similarity 0.

    Attributes
    ----------
    gt_index, pred_index : ``(N,)`` int64 indices into the ground truth and detections.
    value : ``(N,)`` float64 similarity of each listed pair.
    """

    gt_index: IntArray
    pred_index: IntArray
    value: FloatArray

    def __post_init__(self) -> None:
        for name in ("gt_index", "pred_index", "value"):
            dtype = np.float64 if name == "value" else np.int64
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=dtype))
        n = self.gt_index.shape
        if len(n) != 1 or self.pred_index.shape != n or self.value.shape != n:
            raise ValueError(
                f"pred_index/value: expected shape {n} like gt_index, "
                f"got {self.pred_index.shape}/{self.value.shape}"
            )

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        stride = int(max(self.pred_index.max(initial=-1), pred_index.max(initial=-1))) + 1
        listed = self.gt_index * stride + self.pred_index
        order = np.argsort(listed, kind="stable")
        wanted = gt_index * stride + pred_index
        pos = np.searchsorted(listed[order], wanted)
        pos = np.minimum(pos, max(len(listed) - 1, 0))
        found = (listed[order][pos] == wanted) if len(listed) else np.zeros(len(wanted), bool)
        out = np.zeros(len(wanted), dtype=np.float64)
        out[found] = self.value[order][pos[found]]
        return out


@dataclass(frozen=True)
class BoxSimilarity:
    """Box IoU of pairs (``maskApi.c`` ``bbIou``), crowd GT divides by the detection's area.

    Attributes
    ----------
    gt_boxes, pred_boxes : ``(G, 4)`` / ``(D, 4)`` ``xyxy`` float64 pixels.
    gt_crowd : ``(G,)`` bool.
    gt_box_area, pred_box_area : ``(G,)`` / ``(D,)`` areas used in the union (``w * h`` of the
        source ``xywh`` for bit-exact COCO parity); ``None`` uses the ``xyxy`` box areas.
    """

    gt_boxes: FloatArray
    pred_boxes: FloatArray
    gt_crowd: NDArray[np.bool_]
    gt_box_area: FloatArray | None = None
    pred_box_area: FloatArray | None = None

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        return box_iou_pairs(
            self.gt_boxes[gt_index],
            self.pred_boxes[pred_index],
            crowd=self.gt_crowd[gt_index],
            gt_area=None if self.gt_box_area is None else self.gt_box_area[gt_index],
            pred_area=None if self.pred_box_area is None else self.pred_box_area[pred_index],
        )


@dataclass(frozen=True)
class MaskSimilarity:
    """Mask IoU of pairs on RLE (``maskApi.c`` ``rleIou``), crowd as for boxes."""

    gt_masks: RleMasks
    pred_masks: RleMasks
    gt_crowd: NDArray[np.bool_]

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        return mask_iou_pairs(
            self.gt_masks, self.pred_masks, gt_index, pred_index, crowd=self.gt_crowd[gt_index]
        )


#: Pairs per OKS chunk: bounds the ``(pairs, K)`` temporaries (~2 MB each for K = 17).
_OKS_CHUNK = 16384


@dataclass(frozen=True)
class KeypointSimilarity:
    """OKS of listed pairs, bit for bit as ``COCOeval.computeOks``.

    computeOks sums ``exp(-e)`` over the GT's labelled points only (``e[vg > 0]``, with numpy's
    pairwise summation) and builds an unlabelled GT's region from its ``xywh`` box as
    ``x - w``, ``x + 2 w``; both are kept here.  Pairs are processed in chunks; within a chunk,
    pairs summing the same number of points are summed together as rows of one array, which
    numpy sums exactly as it sums each 1-D ``e``.

    Attributes
    ----------
    gt_x, gt_y, gt_visible : ``(G, K)`` GT point coordinates (pixels) and ``v > 0``.
    pred_x, pred_y : ``(D, K)`` detected points.
    gt_areas : ``(G,)`` OKS scale (COCO ``area``); gt_boxes_xywh : ``(G, 4)`` COCO ``bbox``.
    sigmas : ``(K,)`` per-point sigmas.
    """

    gt_x: FloatArray
    gt_y: FloatArray
    gt_visible: NDArray[np.bool_]
    pred_x: FloatArray
    pred_y: FloatArray
    gt_areas: FloatArray
    gt_boxes_xywh: FloatArray
    sigmas: FloatArray

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        out = np.empty(len(gt_index), dtype=np.float64)
        for lo in range(0, len(gt_index), _OKS_CHUNK):
            hi = lo + _OKS_CHUNK
            out[lo:hi] = self._chunk(gt_index[lo:hi], pred_index[lo:hi])
        return out

    def _chunk(self, g: IntArray, d: IntArray) -> FloatArray:
        xd, yd = self.pred_x[d], self.pred_y[d]
        dx, dy = xd - self.gt_x[g], yd - self.gt_y[g]
        summed = self.gt_visible[g]
        unlabelled = np.flatnonzero(~summed.any(axis=1))
        if len(unlabelled):
            # computeOks: distance to the GT box grown by its width/height on each side, over
            # all K points.
            box = self.gt_boxes_xywh[g[unlabelled]]
            x0, x1 = (box[:, 0] - box[:, 2])[:, None], (box[:, 0] + box[:, 2] * 2)[:, None]
            y0, y1 = (box[:, 1] - box[:, 3])[:, None], (box[:, 1] + box[:, 3] * 2)[:, None]
            xu, yu = xd[unlabelled], yd[unlabelled]
            dx[unlabelled] = np.maximum(0.0, x0 - xu) + np.maximum(0.0, xu - x1)
            dy[unlabelled] = np.maximum(0.0, y0 - yu) + np.maximum(0.0, yu - y1)
            summed[unlabelled] = True
        variances = (self.sigmas * 2) ** 2
        e = (dx**2 + dy**2) / variances / (self.gt_areas[g] + np.spacing(1))[:, None] / 2
        terms = np.exp(-e[summed])  # each pair's summed points, in order, one after another
        n_summed = np.count_nonzero(summed, axis=1)
        start = np.cumsum(n_summed) - n_summed
        out = np.empty(len(g), dtype=np.float64)
        for count in np.unique(n_summed):
            rows = np.flatnonzero(n_summed == count)
            block = terms[start[rows][:, None] + np.arange(count)]  # (rows, count), C order
            out[rows] = block.sum(axis=1) / count
        return out


def keypoint_similarity(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    *,
    gt_areas: ArrayLike,
    gt_boxes_xywh: ArrayLike,
    sigmas: ArrayLike,
) -> KeypointSimilarity:
    """OKS of (GT, detection) pairs as ``COCOeval.computeOks`` (a pair callable).

    Parameters
    ----------
    gt_keypoints : ``(G, K, 3)`` ``x, y, v`` pixels.
    pred_keypoints : ``(D, K, 3)`` or ``(D, K, 2)``.
    gt_areas : ``(G,)`` OKS scale; gt_boxes_xywh : ``(G, 4)`` COCO ``bbox`` (``x, y, w, h``)
        pixels, used for GT without labelled points; sigmas : ``(K,)``.

    Examples
    --------
    >>> sim = keypoint_similarity([[[10.0, 10.0, 2.0]]], [[[10.0, 10.0, 1.0]]], gt_areas=[100.0],
    ...                           gt_boxes_xywh=[[5.0, 5.0, 10.0, 10.0]], sigmas=[0.1])
    >>> sim(np.array([0]), np.array([0])).tolist()
    [1.0]
    """
    sig = np.asarray(sigmas, dtype=np.float64)
    gt = np.asarray(gt_keypoints, dtype=np.float64)
    pred = np.asarray(pred_keypoints, dtype=np.float64)
    areas = np.asarray(gt_areas, dtype=np.float64)
    boxes = np.asarray(gt_boxes_xywh, dtype=np.float64)
    k = len(sig)
    if sig.ndim != 1 or k == 0:
        raise ValueError(f"sigmas: expected shape (K,) with K >= 1, got {sig.shape}")
    if gt.ndim != 3 or gt.shape[1:] != (k, 3):
        raise ValueError(f"gt_keypoints: expected shape (G, {k}, 3), got {gt.shape}")
    if pred.ndim != 3 or pred.shape[1] != k or pred.shape[2] not in (2, 3):
        raise ValueError(f"pred_keypoints: expected shape (D, {k}, 2 or 3), got {pred.shape}")
    if areas.shape != (len(gt),) or boxes.shape != (len(gt), 4):
        raise ValueError(
            f"gt_areas/gt_boxes_xywh: expected shapes ({len(gt)},)/({len(gt)}, 4), "
            f"got {areas.shape}/{boxes.shape}"
        )
    return KeypointSimilarity(
        np.ascontiguousarray(gt[:, :, 0]), np.ascontiguousarray(gt[:, :, 1]), gt[:, :, 2] > 0,
        np.ascontiguousarray(pred[:, :, 0]), np.ascontiguousarray(pred[:, :, 1]),
        areas, boxes, sig,
    )  # fmt: skip
