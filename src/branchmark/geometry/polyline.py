"""Line similarity of polylines, in frame pixels.

Both lines are resampled to ``n_samples`` points equally spaced by arc length; each sample gets
``d``, its distance to the *other* polyline (to its segments, not to its samples); the score is
the mean over both directions of ``exp(-d² / (2 (κ s)²))`` where ``s`` is the diagonal of the GT
line's bounding box, at least 1 % of the frame diagonal. The score is 1 iff the lines coincide
(to the sampling), lies in [0, 1], and is GT-scaled, so swapping the lines changes it only
through ``s``.

Distances of every sample to every segment of every other line are computed in one numba kernel
(all pairs at once, no Python loop over pairs). Polylines are passed flat: ``points (P, 2)``
plus ``offsets (N + 1,)`` where line ``i`` is ``points[offsets[i]:offsets[i + 1]]`` (see
:func:`pack_polylines`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.geometry.kernels import input_array, kernel

#: Minimum line scale as a fraction of the frame diagonal (a short line is not judged in pixels).
MIN_SCALE_FRACTION = 0.01


def pack_polylines(lines: Sequence[ArrayLike]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Flatten polylines into ``(points, offsets)``.

    Parameters
    ----------
    lines
        Each line is an ``(k_i, 2)`` array of ``x, y`` pixels with ``k_i >= 1``.

    Returns
    -------
    tuple[NDArray[np.float64], NDArray[np.int64]]
        ``points (sum k_i, 2)`` and ``offsets (N + 1,)``, ``offsets[0] == 0``.

    Examples
    --------
    >>> points, offsets = pack_polylines([[[0, 0], [1, 0]], [[5, 5]]])
    >>> offsets.tolist(), points.shape
    ([0, 2, 3], (3, 2))
    """
    arrays = [np.asarray(line, dtype=np.float64).reshape(-1, 2) for line in lines]
    counts = np.array([len(a) for a in arrays], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    points = np.concatenate(arrays) if arrays else np.zeros((0, 2), dtype=np.float64)
    return points, offsets


def _check_lines(
    points: ArrayLike, offsets: ArrayLike, name: str
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    pts = np.asarray(points, dtype=np.float64)
    if pts.ndim == 1 and pts.size == 0:
        pts = pts.reshape(0, 2)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"{name}_points: expected shape (P, 2), got {pts.shape}")
    off = np.asarray(offsets)
    if off.ndim != 1 or off.size == 0 or not np.issubdtype(off.dtype, np.integer):
        raise ValueError(
            f"{name}_offsets: expected integer shape (N + 1,), got {off.dtype} {off.shape}"
        )
    off = off.astype(np.int64)
    if off[0] != 0 or off[-1] != len(pts):
        raise ValueError(
            f"{name}_offsets: expected to start at 0 and end at {len(pts)} (the number of points), "
            f"got {off[0]} .. {off[-1]}"
        )
    if (np.diff(off) < 1).any():
        line = int(np.flatnonzero(np.diff(off) < 1)[0])
        raise ValueError(f"{name}_offsets: line {line} has no point; every line needs >= 1 point")
    if not np.isfinite(pts).all():
        raise ValueError(f"{name}_points: coordinates must be finite")
    return pts, off


def resample_polylines(
    points: ArrayLike, offsets: ArrayLike, *, n_samples: int = 32
) -> NDArray[np.float64]:
    """Points equally spaced by arc length along each polyline, both ends included.

    Parameters
    ----------
    points, offsets
        Flat polylines (see the module docstring).
    n_samples
        Samples per line (``>= 2``).

    Returns
    -------
    NDArray[np.float64]
        ``(N, n_samples, 2)``. A line of zero length gives ``n_samples`` copies of its point.

    Examples
    --------
    >>> resample_polylines([[0, 0], [2, 0], [2, 2]], [0, 3], n_samples=3).tolist()
    [[[0.0, 0.0], [2.0, 0.0], [2.0, 2.0]]]
    """
    pts, off = _check_lines(points, offsets, "lines")
    if n_samples < 2:
        raise ValueError(f"n_samples: expected >= 2, got {n_samples}")
    n = len(off) - 1
    if n == 0:
        return np.zeros((0, n_samples, 2), dtype=np.float64)
    seg_len = np.hypot(*np.diff(pts, axis=0).T) if len(pts) > 1 else np.zeros(0)
    # Cumulative arc length restarting at 0 on each line's first vertex.
    cum = np.concatenate([[0.0], np.cumsum(seg_len)])
    starts = off[:-1]
    ends = off[1:] - 1  # index of each line's last vertex
    line_start_len = cum[starts]
    lengths = cum[ends] - line_start_len
    fractions = np.linspace(0.0, 1.0, n_samples)
    targets = line_start_len[:, None] + lengths[:, None] * fractions[None, :]  # (N, S)
    # The segment holding each target: last vertex of the line with cum <= target.
    idx = np.searchsorted(cum, targets, side="right") - 1
    idx = np.clip(idx, starts[:, None], np.maximum(ends - 1, starts)[:, None])
    nxt = np.minimum(idx + 1, ends[:, None])
    span = cum[nxt] - cum[idx]
    t = np.divide(targets - cum[idx], span, out=np.zeros_like(targets), where=span > 0)
    t = np.clip(t, 0.0, 1.0)[..., None]
    samples: NDArray[np.float64] = pts[idx] * (1.0 - t) + pts[nxt] * t
    return samples


def _segments(
    pts: NDArray[np.float64], off: NDArray[np.int64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Segments of every line (a one-point line is one degenerate segment) and their owners."""
    counts = np.diff(off)
    seg_counts = np.maximum(counts - 1, 1)
    owner = np.repeat(np.arange(len(counts)), seg_counts)
    first = np.repeat(off[:-1], seg_counts)
    local = np.arange(len(owner)) - np.repeat(np.cumsum(seg_counts) - seg_counts, seg_counts)
    a = first + local
    b = np.minimum(a + 1, np.repeat(off[1:] - 1, seg_counts))
    seg_start = np.concatenate([[0], np.cumsum(seg_counts)[:-1]]).astype(np.int64)
    return np.ascontiguousarray(pts[a]), np.ascontiguousarray(pts[b]), seg_start


@kernel(
    input_array("float64", 3), input_array("float64", 2), input_array("float64", 2),
    input_array("int64"),
)  # fmt: skip
def _distances_to_lines(
    samples: NDArray[np.float64],
    seg_a: NDArray[np.float64],
    seg_b: NDArray[np.float64],
    seg_start: NDArray[np.int64],
) -> NDArray[np.float64]:
    """``(N_s, S, N_lines)`` distance of each sample to the nearest segment of each line."""
    n_lines = len(seg_start)
    n_rows, n_samples = samples.shape[0], samples.shape[1]
    out = np.empty((n_rows, n_samples, n_lines))
    for i in range(n_rows):
        for s in range(n_samples):
            px, py = samples[i, s, 0], samples[i, s, 1]
            for line in range(n_lines):
                lo = seg_start[line]
                hi = seg_start[line + 1] if line + 1 < n_lines else len(seg_a)
                best = np.inf
                for k in range(lo, hi):
                    ax, ay = seg_a[k, 0], seg_a[k, 1]
                    dx, dy = seg_b[k, 0] - ax, seg_b[k, 1] - ay
                    rx, ry = px - ax, py - ay
                    length2 = dx * dx + dy * dy
                    t = 0.0
                    if length2 > 0.0:
                        t = min(max((rx * dx + ry * dy) / length2, 0.0), 1.0)
                    ex, ey = rx - t * dx, ry - t * dy
                    best = min(best, ex * ex + ey * ey)
                out[i, s, line] = np.sqrt(best)
    return out


def polyline_similarity(
    gt_points: ArrayLike,
    gt_offsets: ArrayLike,
    pred_points: ArrayLike,
    pred_offsets: ArrayLike,
    *,
    frame_size: tuple[float, float],
    kappa: float = 0.1,
    n_samples: int = 32,
) -> NDArray[np.float64]:
    """Line similarity of every ground-truth polyline with every predicted one.

    Parameters
    ----------
    gt_points, gt_offsets, pred_points, pred_offsets
        Flat polylines in frame pixels (see the module docstring and :func:`pack_polylines`).
    frame_size
        ``(width, height)`` of the frame in pixels; sets the minimum scale.
    kappa
        Tolerance as a fraction of the GT line's scale (``> 0``).
    n_samples
        Points per line after resampling by arc length.

    Returns
    -------
    NDArray[np.float64]
        ``(N_gt, N_pred)`` in [0, 1].

    Examples
    --------
    >>> gt = pack_polylines([[[0, 0], [100, 0]]])
    >>> pred = pack_polylines([[[100, 0], [0, 0]], [[0, 10], [100, 10]]])
    >>> polyline_similarity(*gt, *pred, frame_size=(640, 480)).round(4)
    array([[1.    , 0.6065]])
    """
    g_pts, g_off = _check_lines(gt_points, gt_offsets, "gt")
    p_pts, p_off = _check_lines(pred_points, pred_offsets, "pred")
    diagonal = math.hypot(float(frame_size[0]), float(frame_size[1]))
    if not diagonal > 0 or not kappa > 0:
        raise ValueError(
            f"frame_size and kappa must be positive, got frame_size={frame_size}, kappa={kappa}"
        )
    n_gt, n_pred = len(g_off) - 1, len(p_off) - 1
    if n_gt == 0 or n_pred == 0:
        return np.zeros((n_gt, n_pred), dtype=np.float64)
    g_samples = resample_polylines(g_pts, g_off, n_samples=n_samples)
    p_samples = resample_polylines(p_pts, p_off, n_samples=n_samples)
    g_samples, p_samples = np.ascontiguousarray(g_samples), np.ascontiguousarray(p_samples)
    d_gt_to_pred = _distances_to_lines(g_samples, *_segments(p_pts, p_off))  # (G, S, P)
    d_pred_to_gt = _distances_to_lines(p_samples, *_segments(g_pts, g_off))  # (P, S, G)

    # Scale of each GT line: its bounding-box diagonal, at least 1 % of the frame diagonal.
    lo = np.minimum.reduceat(g_pts, g_off[:-1], axis=0)
    hi = np.maximum.reduceat(g_pts, g_off[:-1], axis=0)
    scale = np.maximum(np.hypot(*(hi - lo).T), MIN_SCALE_FRACTION * diagonal)
    denom = 2.0 * (kappa * scale) ** 2  # (G,)

    forward = np.exp(-(d_gt_to_pred**2) / denom[:, None, None]).mean(axis=1)  # (G, P)
    backward = np.exp(-(d_pred_to_gt**2) / denom[None, None, :]).mean(axis=1).T  # (G, P)
    similarity: NDArray[np.float64] = 0.5 * (forward + backward)
    return similarity
