"""Similarity providers: how the engine learns the similarity of (GT, detection) pairs.

The engine asks for the pairs it needs (every GT of a group with each of the group's kept
detections) in one call.  Three forms are accepted:

- a **pair callable** ``f(gt_index, pred_index) -> (N,) float64``: indices into the caller's
  ground truth and detections, one similarity per pair.  :class:`BoxSimilarity`,
  :class:`MaskSimilarity` and :class:`KeypointSimilarity` are such callables (the fast path: one
  vectorised call);
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
from branchmark.geometry.keypoints import compute_oks_pairs
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


@dataclass(frozen=True)
class KeypointSimilarity:
    """OKS of listed pairs, bit for bit as ``COCOeval.computeOks`` (a pair callable).

    Holds the arrays; each call runs the one OKS kernel,
    :func:`branchmark.geometry.keypoints.compute_oks_pairs`.  Build it with
    :func:`keypoint_similarity`, which checks the shapes once.

    Attributes
    ----------
    gt_keypoints : ``(G, K, 3)`` ``x, y, v`` pixels; pred_keypoints : ``(D, K, 2 or 3)``.
    gt_areas : ``(G,)`` OKS scale (COCO ``area``); gt_boxes_xywh : ``(G, 4)`` COCO ``bbox``.
    sigmas : ``(K,)`` per-point sigmas.
    """

    gt_keypoints: FloatArray
    pred_keypoints: FloatArray
    gt_areas: FloatArray
    gt_boxes_xywh: FloatArray
    sigmas: FloatArray

    def __call__(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        return compute_oks_pairs(
            self.gt_keypoints, self.pred_keypoints, gt_index, pred_index,
            gt_areas=self.gt_areas, gt_boxes_xywh=self.gt_boxes_xywh, sigmas=self.sigmas,
        )  # fmt: skip


def keypoint_similarity(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    *,
    gt_areas: ArrayLike,
    gt_boxes_xywh: ArrayLike,
    sigmas: ArrayLike,
) -> KeypointSimilarity:
    """OKS of (GT, detection) pairs as ``COCOeval.computeOks`` (a pair callable).

    Bad shapes raise ``ValueError`` here, naming the expected and the actual shape.

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
    sim = KeypointSimilarity(
        np.asarray(gt_keypoints, dtype=np.float64), np.asarray(pred_keypoints, dtype=np.float64),
        np.asarray(gt_areas, dtype=np.float64), np.asarray(gt_boxes_xywh, dtype=np.float64),
        np.asarray(sigmas, dtype=np.float64),
    )  # fmt: skip
    no_pairs = np.zeros(0, dtype=np.int64)
    sim(no_pairs, no_pairs)  # the kernel checks every shape: fail now, not at the first use
    return sim
