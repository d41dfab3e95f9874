"""Keypoint similarity: OKS for skeletons and the one-point OKS for point objects.

Coordinates are frame pixels, ``x`` to the right and ``y`` down. Every pairwise function returns
an ``(N_gt, N_pred)`` float64 matrix; OKS is scaled by the ground truth, so it is not symmetric.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

#: COCO's per-keypoint sigmas for the 17-point person, in ``COCO_PERSON_KEYPOINTS`` order
#: (``COCOeval.Params.setKpParams``, ``kpt_oks_sigmas``).
COCO_PERSON_SIGMAS: NDArray[np.float64] = (
    np.array(
        [0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72,
         0.62, 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]
    )
    / 10.0
)  # fmt: skip
COCO_PERSON_SIGMAS.flags.writeable = False

#: Keypoint names of the COCO person, in the order of the ``keypoints`` arrays.
COCO_PERSON_KEYPOINTS: tuple[str, ...] = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

#: COCO visibility codes of the Encord skeleton ``visibility`` strings (0 = not labelled).
VISIBILITY_CODES: dict[str, int] = {"visible": 2, "occluded": 1, "invisible": 0}


def _normalise_name(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").replace("_", " ").split())


def select_keypoint_sigmas(point_names: Sequence[str]) -> NDArray[np.float64]:
    """Per-point OKS sigmas for a skeleton template.

    When the template's point names are exactly the 17 COCO person keypoints (any order; case,
    spaces, hyphens and underscores do not matter), COCO's sigmas are returned in the template's
    order. Any other template gets the uniform ``1 / K`` that Ultralytics uses for non-person
    skeletons (``ultralytics/utils/metrics.py``), because an Encord template carries no sigmas.

    Parameters
    ----------
    point_names
        Names of the template's points, in the order of the keypoint arrays.

    Returns
    -------
    NDArray[np.float64]
        Shape ``(K,)``.

    Examples
    --------
    >>> select_keypoint_sigmas(["stem", "tip"]).tolist()
    [0.5, 0.5]
    """
    names = [_normalise_name(name) for name in point_names]
    if not names:
        raise ValueError("a skeleton template needs at least one point, got 0")
    coco_index = {name: i for i, name in enumerate(COCO_PERSON_KEYPOINTS)}
    if len(names) == len(COCO_PERSON_KEYPOINTS) and set(names) == set(coco_index):
        return np.array([COCO_PERSON_SIGMAS[coco_index[name]] for name in names], dtype=np.float64)
    return np.full(len(names), 1.0 / len(names), dtype=np.float64)


def _as_array(
    value: ArrayLike, name: str, ndim: int, trailing: tuple[int | None, ...]
) -> NDArray[np.float64]:
    array = np.asarray(value, dtype=np.float64)
    expected = (
        "(" + ", ".join(["N"] * (ndim - len(trailing)) + [str(t or "K") for t in trailing]) + ")"
    )
    if array.ndim != ndim or any(
        t is not None and array.shape[ndim - len(trailing) + i] != t for i, t in enumerate(trailing)
    ):
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    return array


#: Pairs per OKS chunk: bounds the ``(pairs, K)`` temporaries (~2 MB each for K = 17).
_OKS_CHUNK = 16384


def _check_oks_inputs(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    gt_areas: ArrayLike,
    gt_boxes: ArrayLike,
    sigmas: ArrayLike,
    boxes_name: str,
) -> tuple[NDArray[np.float64], ...]:
    """The OKS arguments as float64 arrays, or ``ValueError`` naming expected and actual shape."""
    sig = np.asarray(sigmas, dtype=np.float64)
    if sig.ndim != 1 or sig.size == 0:
        raise ValueError(f"sigmas: expected shape (K,) with K >= 1, got {sig.shape}")
    k = sig.size
    gt = np.asarray(gt_keypoints, dtype=np.float64)
    if gt.ndim != 3 or gt.shape[1:] != (k, 3):
        raise ValueError(f"gt_keypoints: expected shape (N_gt, {k}, 3), got {gt.shape}")
    pred = np.asarray(pred_keypoints, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[1] != k or pred.shape[2] not in (2, 3):
        raise ValueError(f"pred_keypoints: expected shape (N_pred, {k}, 2 or 3), got {pred.shape}")
    n_gt = gt.shape[0]
    areas = np.asarray(gt_areas, dtype=np.float64)
    if areas.shape != (n_gt,):
        raise ValueError(f"gt_areas: expected shape ({n_gt},), got {areas.shape}")
    boxes = np.asarray(gt_boxes, dtype=np.float64)
    if boxes.shape != (n_gt, 4):
        raise ValueError(f"{boxes_name}: expected shape ({n_gt}, 4), got {boxes.shape}")
    return gt, pred, areas, boxes, sig


def compute_oks_pairs(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    gt_index: ArrayLike,
    pred_index: ArrayLike,
    *,
    gt_areas: ArrayLike,
    gt_boxes_xywh: ArrayLike,
    sigmas: ArrayLike,
) -> NDArray[np.float64]:
    """Object keypoint similarity of listed (GT, prediction) pairs, bit for bit as computeOks.

    The one OKS kernel: :func:`compute_oks` and the COCO protocol's pair callable
    (``branchmark.evaluation.keypoint_similarity``) both call it.  Mirrors
    ``COCOeval.computeOks``: ``e = d² / σ'² / (area + eps) / 2`` with ``σ' = 2 σ``, averaged
    ``exp(-e)`` over the GT points with visibility > 0.  A GT without any labelled point measures
    each predicted point's distance to the region ``x - w .. x + 2 w`` (and likewise in ``y``)
    of its ``xywh`` box, over all ``K`` points.  Prediction visibilities are ignored, as in
    pycocotools.  Every floating-point step is computeOks', in its order, and each pair's sum runs
    over exactly its labelled points with numpy's summation, so the result equals computeOks to
    the last bit.

    Parameters
    ----------
    gt_keypoints
        ``(N_gt, K, 3)``: ``x, y, v`` in frame pixels; ``v`` is the COCO visibility (0, 1, 2).
    pred_keypoints
        ``(N_pred, K, 2)`` or ``(N_pred, K, 3)``: ``x, y[, v]`` in frame pixels.
    gt_index, pred_index
        ``(N,)`` integer indices of the pairs into the ground truth and the predictions.
    gt_areas
        ``(N_gt,)`` area of each GT (the COCO ``area``), the OKS scale.
    gt_boxes_xywh
        ``(N_gt, 4)`` COCO ``bbox`` ``x, y, w, h`` in pixels (used only for GT without labelled
        points).
    sigmas
        ``(K,)`` per-point sigmas; see :func:`select_keypoint_sigmas`.

    Returns
    -------
    NDArray[np.float64]
        ``(N,)`` OKS of pair ``(gt_index[i], pred_index[i])``, in [0, 1].

    Examples
    --------
    >>> gt = [[[10.0, 10.0, 2.0]]]
    >>> compute_oks_pairs(gt, [[[10.0, 10.0]], [[13.0, 14.0]]], [0, 0], [0, 1], gt_areas=[100.0],
    ...                   gt_boxes_xywh=[[5, 5, 10, 10]], sigmas=[0.1]).round(6).tolist()
    [1.0, 0.043937]
    """
    gt, pred, areas, boxes, sig = _check_oks_inputs(
        gt_keypoints, pred_keypoints, gt_areas, gt_boxes_xywh, sigmas, "gt_boxes_xywh"
    )
    gi = np.asarray(gt_index)
    di = np.asarray(pred_index)
    if gi.ndim != 1 or di.shape != gi.shape:
        raise ValueError(
            f"gt_index/pred_index: expected equal shapes (N,), got {gi.shape}/{di.shape}"
        )
    if not (gi.dtype.kind in "iu" or gi.size == 0) or not (di.dtype.kind in "iu" or di.size == 0):
        raise ValueError(
            f"gt_index/pred_index: expected integer indices, got {gi.dtype}/{di.dtype}"
        )
    return _oks_of_pairs(gt, pred, areas, boxes, sig, gi.astype(np.int64), di.astype(np.int64))


def _oks_of_pairs(
    gt: NDArray[np.float64],
    pred: NDArray[np.float64],
    areas: NDArray[np.float64],
    boxes_xywh: NDArray[np.float64],
    sigmas: NDArray[np.float64],
    gt_index: NDArray[np.int64],
    pred_index: NDArray[np.int64],
) -> NDArray[np.float64]:
    # Contiguous (N, K) columns gather and compute faster than strided views of (N, K, 3).
    columns = (
        np.ascontiguousarray(gt[:, :, 0]),
        np.ascontiguousarray(gt[:, :, 1]),
        gt[:, :, 2] > 0,
        np.ascontiguousarray(pred[:, :, 0]),
        np.ascontiguousarray(pred[:, :, 1]),
    )
    variances = (sigmas * 2) ** 2
    out = np.empty(len(gt_index), dtype=np.float64)
    for lo in range(0, len(gt_index), _OKS_CHUNK):
        hi = lo + _OKS_CHUNK
        out[lo:hi] = _oks_chunk(
            *columns, areas, boxes_xywh, variances, gt_index[lo:hi], pred_index[lo:hi]
        )
    return out


def _oks_chunk(
    gt_x: NDArray[np.float64],
    gt_y: NDArray[np.float64],
    gt_visible: NDArray[np.bool_],
    pred_x: NDArray[np.float64],
    pred_y: NDArray[np.float64],
    areas: NDArray[np.float64],
    boxes_xywh: NDArray[np.float64],
    variances: NDArray[np.float64],
    g: NDArray[np.int64],
    d: NDArray[np.int64],
) -> NDArray[np.float64]:
    xd, yd = pred_x[d], pred_y[d]
    dx, dy = xd - gt_x[g], yd - gt_y[g]
    summed = gt_visible[g]
    unlabelled = np.flatnonzero(~summed.any(axis=1))
    if len(unlabelled):
        # COCOeval.computeOks: distance to the GT box grown by its width/height on each side,
        # built from the xywh bbox as x - w and x + w * 2, over all K points.
        box = boxes_xywh[g[unlabelled]]
        x0, x1 = (box[:, 0] - box[:, 2])[:, None], (box[:, 0] + box[:, 2] * 2)[:, None]
        y0, y1 = (box[:, 1] - box[:, 3])[:, None], (box[:, 1] + box[:, 3] * 2)[:, None]
        xu, yu = xd[unlabelled], yd[unlabelled]
        dx[unlabelled] = np.maximum(0.0, x0 - xu) + np.maximum(0.0, xu - x1)
        dy[unlabelled] = np.maximum(0.0, y0 - yu) + np.maximum(0.0, yu - y1)
        summed[unlabelled] = True
    # COCOeval.computeOks: e = (dx**2 + dy**2) / vars / (area + np.spacing(1)) / 2.
    e = (dx**2 + dy**2) / variances / (areas[g] + np.spacing(1))[:, None] / 2
    # computeOks sums exp(-e[vg > 0]) with numpy's pairwise summation; a zero-padded row sum
    # would group the terms differently.  So each pair's summed terms are laid out one after
    # another, and pairs summing the same number of points are summed as rows of one C-order
    # array, which numpy sums exactly as it sums each 1-D ``e``.
    terms = np.exp(-e[summed])
    n_summed = np.count_nonzero(summed, axis=1)
    start = np.cumsum(n_summed) - n_summed
    out = np.empty(len(g), dtype=np.float64)
    for count in np.unique(n_summed):
        rows = np.flatnonzero(n_summed == count)
        block = terms[start[rows][:, None] + np.arange(count)]  # (rows, count), C order
        out[rows] = block.sum(axis=1) / count
    return out


def compute_oks(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    *,
    gt_areas: ArrayLike,
    gt_boxes: ArrayLike,
    sigmas: ArrayLike = COCO_PERSON_SIGMAS,
) -> NDArray[np.float64]:
    """Object keypoint similarity of every ground truth with every prediction.

    The all-pairs form of :func:`compute_oks_pairs` (the one OKS kernel), so it equals
    ``COCOeval.computeOks`` bit for bit: ``e = d² / σ'² / (area + eps) / 2`` with ``σ' = 2 σ``;
    only GT points with visibility > 0 count. A GT without any labelled point measures each
    predicted point's distance to the GT box enlarged by its own size on every side, and averages
    over all points. Prediction visibilities are ignored, as in pycocotools.

    The boxes are ``xyxy``; the enlarged box is built as computeOks builds it from the COCO
    ``bbox`` ``(x0, y0, x1 - x0, y1 - y0)``.  When the boxes came from an ``xywh`` source,
    ``(x + w) - x`` may differ from ``w`` in the last bit, and so may the OKS of a GT without
    labelled points; pass the source ``xywh`` to :func:`compute_oks_pairs` to avoid that.

    Parameters
    ----------
    gt_keypoints
        ``(N_gt, K, 3)``: ``x, y, v`` in frame pixels; ``v`` is the COCO visibility (0, 1, 2).
    pred_keypoints
        ``(N_pred, K, 2)`` or ``(N_pred, K, 3)``: ``x, y[, v]`` in frame pixels.
    gt_areas
        ``(N_gt,)`` area of each GT (the COCO ``area``), the OKS scale.
    gt_boxes
        ``(N_gt, 4)`` GT boxes ``xyxy`` in pixels (used only for GT without labelled points).
    sigmas
        ``(K,)`` per-point sigmas; see :func:`select_keypoint_sigmas`.

    Returns
    -------
    NDArray[np.float64]
        ``(N_gt, N_pred)`` in [0, 1].

    Examples
    --------
    >>> gt = [[[10.0, 10.0, 2.0]]]
    >>> compute_oks(gt, [[[10.0, 10.0]]], gt_areas=[100.0], gt_boxes=[[5, 5, 15, 15]],
    ...             sigmas=[0.1]).round(6).tolist()
    [[1.0]]
    """
    gt, pred, areas, boxes, sig = _check_oks_inputs(
        gt_keypoints, pred_keypoints, gt_areas, gt_boxes, sigmas, "gt_boxes"
    )
    n_gt, n_pred = gt.shape[0], pred.shape[0]
    xywh = np.column_stack([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]])
    gt_index, pred_index = np.divmod(np.arange(n_gt * n_pred, dtype=np.int64), n_pred or 1)
    oks = _oks_of_pairs(gt, pred, areas, xywh, sig, gt_index, pred_index)
    return oks.reshape(n_gt, n_pred)


def point_similarity(
    gt_points: ArrayLike,
    pred_points: ArrayLike,
    *,
    frame_size: tuple[float, float],
    kappa: float = 0.05,
) -> NDArray[np.float64]:
    """One-point OKS ``exp(-d² / (2 (κ s)²))`` with ``s`` the frame diagonal.

    Parameters
    ----------
    gt_points, pred_points
        ``(N_gt, 2)`` and ``(N_pred, 2)`` points ``x, y`` in frame pixels.
    frame_size
        ``(width, height)`` of the frame in pixels.
    kappa
        Tolerance as a fraction of the frame diagonal (``> 0``).

    Returns
    -------
    NDArray[np.float64]
        ``(N_gt, N_pred)`` in [0, 1], symmetric, 1 exactly for equal points.

    Examples
    --------
    >>> point_similarity([[0.0, 0.0]], [[0.0, 0.0], [5.0, 0.0]], frame_size=(100, 0)).round(4)
    array([[1.    , 0.6065]])
    """
    gt = _as_array(gt_points, "gt_points", 2, (2,))
    pred = _as_array(pred_points, "pred_points", 2, (2,))
    diagonal = math.hypot(float(frame_size[0]), float(frame_size[1]))
    if not diagonal > 0 or not kappa > 0:
        raise ValueError(
            f"frame_size and kappa must be positive, got frame_size={frame_size}, kappa={kappa}"
        )
    d2 = ((gt[:, None, :] - pred[None, :, :]) ** 2).sum(axis=2)
    similarity: NDArray[np.float64] = np.exp(-d2 / (2.0 * (kappa * diagonal) ** 2))
    return similarity
