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


def compute_oks(
    gt_keypoints: ArrayLike,
    pred_keypoints: ArrayLike,
    *,
    gt_areas: ArrayLike,
    gt_boxes: ArrayLike,
    sigmas: ArrayLike = COCO_PERSON_SIGMAS,
) -> NDArray[np.float64]:
    """Object keypoint similarity of every ground truth with every prediction.

    Mirrors ``COCOeval.computeOks``: ``e = d² / (2 σ'² (area + eps))`` with ``σ' = 2 σ``; only GT
    points with visibility > 0 count. A GT without any labelled point measures each predicted
    point's distance to the GT box enlarged by its own size on every side, and averages over all
    points. Prediction visibilities are ignored, as in pycocotools.

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
    sig = np.asarray(sigmas, dtype=np.float64)
    if sig.ndim != 1 or sig.size == 0:
        raise ValueError(f"sigmas: expected shape (K,) with K >= 1, got {sig.shape}")
    k = sig.size
    gt = _as_array(gt_keypoints, "gt_keypoints", 3, (k, 3))
    pred = np.asarray(pred_keypoints, dtype=np.float64)
    if pred.ndim != 3 or pred.shape[1] != k or pred.shape[2] not in (2, 3):
        raise ValueError(f"pred_keypoints: expected shape (N_pred, {k}, 2 or 3), got {pred.shape}")
    n_gt, n_pred = gt.shape[0], pred.shape[0]
    areas = np.asarray(gt_areas, dtype=np.float64)
    if areas.shape != (n_gt,):
        raise ValueError(f"gt_areas: expected shape ({n_gt},), got {areas.shape}")
    boxes = np.asarray(gt_boxes, dtype=np.float64)
    if boxes.shape != (n_gt, 4):
        raise ValueError(f"gt_boxes: expected shape ({n_gt}, 4), got {boxes.shape}")
    if n_gt == 0 or n_pred == 0:
        return np.zeros((n_gt, n_pred), dtype=np.float64)

    variances = (2.0 * sig) ** 2
    visible = gt[:, :, 2] > 0  # (G, K)
    labelled = visible.any(axis=1)  # (G,)
    xg, yg = gt[:, None, :, 0], gt[:, None, :, 1]  # (G, 1, K)
    xd, yd = pred[None, :, :, 0], pred[None, :, :, 1]  # (1, D, K)
    # COCOeval.computeOks: the box of an unlabelled GT is grown by its width/height on each side.
    width, height = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    x0 = (boxes[:, 0] - width)[:, None, None]
    x1 = (boxes[:, 0] + 2.0 * width)[:, None, None]
    y0 = (boxes[:, 1] - height)[:, None, None]
    y1 = (boxes[:, 1] + 2.0 * height)[:, None, None]
    lab = np.asarray(labelled)[:, None, None]
    dx = np.where(lab, xd - xg, np.maximum(0.0, x0 - xd) + np.maximum(0.0, xd - x1))
    dy = np.where(lab, yd - yg, np.maximum(0.0, y0 - yd) + np.maximum(0.0, yd - y1))
    e = (dx**2 + dy**2) / variances / (areas[:, None, None] + np.spacing(1)) / 2.0
    counted = np.where(np.asarray(labelled)[:, None], visible, True)[:, None, :]  # (G, 1, K)
    total = np.where(counted, np.exp(-e), 0.0).sum(axis=2)
    oks: NDArray[np.float64] = total / counted.sum(axis=2)
    return oks


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
