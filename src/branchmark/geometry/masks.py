"""Run-length encoded masks (COCO RLE): conversion, area, boxes and IoU.

A set of masks is a :class:`RleMasks`: every mask's run lengths concatenated into one
``uint32`` array plus offsets, with per-mask height and width.  Runs are column-major and start
with a background run, exactly as pycocotools (``maskApi.c``) stores them.  Polygons are
rasterised by pycocotools itself (``frPyObjects`` + ``merge``), so pixels agree bit for bit; the
pair kernels (area, box, IoU, string decoding) are numba ports of ``maskApi.c`` that work on the
flat arrays without one Python call per mask.

Pairwise functions return ``(N_gt, N_pred)``.  Crowd IoU (``rleIou`` with ``iscrowd``) divides
the intersection by the predicted mask's area.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray
from pycocotools import mask as mask_utils


@dataclass(frozen=True)
class RleMasks:
    """``N`` masks as flat run lengths.

    Attributes
    ----------
    counts : ``(sum of runs,)`` uint32, each mask's runs in turn (column-major, background first).
    offsets : ``(N + 1,)`` int64; mask ``i`` owns ``counts[offsets[i]:offsets[i + 1]]``.
    heights, widths : ``(N,)`` int64 frame size of each mask.
    """

    counts: NDArray[np.uint32]
    offsets: NDArray[np.int64]
    heights: NDArray[np.int64]
    widths: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = len(self.heights)
        if self.offsets.shape != (n + 1,) or self.widths.shape != (n,):
            raise ValueError(
                f"offsets/widths: expected shapes ({n + 1},)/({n},), "
                f"got {self.offsets.shape}/{self.widths.shape}"
            )

    def __len__(self) -> int:
        return len(self.heights)

    def take(self, index: ArrayLike) -> RleMasks:
        """The masks at ``index`` (int array), in that order."""
        idx = np.asarray(index, dtype=np.int64)
        lengths = self.offsets[idx + 1] - self.offsets[idx]
        offsets = np.zeros(len(idx) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        counts = _gather_runs(self.counts, self.offsets, idx, offsets)
        return RleMasks(counts, offsets, self.heights[idx], self.widths[idx])


def empty_masks() -> RleMasks:
    """A set of zero masks."""
    return RleMasks(
        np.zeros(0, np.uint32), np.zeros(1, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    )


@numba.njit(cache=True, nogil=True)
def _gather_runs(
    counts: NDArray[np.uint32],
    offsets: NDArray[np.int64],
    index: NDArray[np.int64],
    new_offsets: NDArray[np.int64],
) -> NDArray[np.uint32]:
    out = np.empty(new_offsets[-1], dtype=np.uint32)
    for k in range(len(index)):
        start = offsets[index[k]]
        n = offsets[index[k] + 1] - start
        for j in range(n):
            out[new_offsets[k] + j] = counts[start + j]
    return out


@numba.njit(cache=True, nogil=True)
def _decode_strings(
    buffer: NDArray[np.uint8], starts: NDArray[np.int64], out_offsets: NDArray[np.int64]
) -> NDArray[np.uint32]:
    """``maskApi.c`` ``rleFrString`` for many strings at once."""
    out = np.empty(out_offsets[-1], dtype=np.uint32)
    for s in range(len(starts) - 1):
        p = starts[s]
        end = starts[s + 1]
        base = out_offsets[s]
        m = 0
        while p < end:
            x = np.int64(0)
            k = 0
            more = True
            while more:
                c = np.int64(buffer[p]) - 48
                x |= (c & 0x1F) << (5 * k)
                more = (c & 0x20) != 0
                p += 1
                k += 1
                if not more and (c & 0x10) != 0:
                    x |= np.int64(-1) << (5 * k)
            if m > 2:
                x += np.int64(out[base + m - 2])
            out[base + m] = np.uint32(x & 0xFFFFFFFF)
            m += 1
    return out


def decode_rle_strings(
    strings: Sequence[str | bytes], heights: ArrayLike, widths: ArrayLike
) -> RleMasks:
    """Decode COCO compressed RLE strings (the ``counts`` of ``{"size", "counts"}``).

    Parameters
    ----------
    strings
        ``N`` compressed count strings as pycocotools writes them.
    heights, widths
        ``(N,)`` mask sizes.

    Examples
    --------
    >>> decode_rle_strings(["12"], [2], [2]).counts.tolist()
    [1, 2]
    """
    encoded = [s.encode("ascii") if isinstance(s, str) else bytes(s) for s in strings]
    starts = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in encoded], out=starts[1:])
    buffer = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    # A count ends at every byte without the continuation bit (0x20 after subtracting 48).
    ends = ((buffer.astype(np.int64) - 48) & 0x20) == 0
    per_string = np.add.reduceat(ends, starts[:-1]) if len(buffer) else np.zeros(0, np.int64)
    per_string = np.where(starts[1:] > starts[:-1], per_string, 0)
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(per_string, out=offsets[1:])
    counts = _decode_strings(buffer, starts, offsets)
    h = np.asarray(heights, dtype=np.int64).reshape(-1)
    w = np.asarray(widths, dtype=np.int64).reshape(-1)
    return RleMasks(counts, offsets, h, w)


def rle_from_coco(segmentations: Sequence[Any], heights: ArrayLike, widths: ArrayLike) -> RleMasks:
    """Masks from COCO ``segmentation`` values, as pycocotools ``COCO.annToRLE`` reads them.

    Parameters
    ----------
    segmentations
        Per object: a list of polygons (flat ``[x0, y0, x1, y1, ...]``), an uncompressed RLE
        ``{"size": [h, w], "counts": [int, ...]}`` or a compressed one (``counts`` a string).
    heights, widths
        ``(N,)`` frame size used to rasterise polygons (RLE carries its own ``size``).

    Examples
    --------
    >>> m = rle_from_coco([[[0, 0, 4, 0, 4, 4, 0, 4]]], [6], [6])
    >>> int(mask_area(m)[0])
    16
    """
    h = np.asarray(heights, dtype=np.int64).reshape(-1)
    w = np.asarray(widths, dtype=np.int64).reshape(-1)
    if h.shape != (len(segmentations),) or w.shape != h.shape:
        raise ValueError(
            f"heights/widths: expected shape ({len(segmentations)},), got {h.shape}/{w.shape}"
        )
    strings: list[bytes] = []
    sizes = np.empty((len(segmentations), 2), dtype=np.int64)
    for i, seg in enumerate(segmentations):
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, int(h[i]), int(w[i])))
        elif isinstance(seg.get("counts"), list):
            rle = mask_utils.frPyObjects(seg, seg["size"][0], seg["size"][1])
        else:
            rle = seg
        counts = rle["counts"]
        strings.append(counts.encode("ascii") if isinstance(counts, str) else counts)
        sizes[i] = rle["size"]
    return decode_rle_strings(strings, sizes[:, 0], sizes[:, 1])


def encode_masks(masks: ArrayLike) -> RleMasks:
    """RLE of binary masks shaped ``(N, H, W)`` (pycocotools ``encode``).

    Examples
    --------
    >>> m = encode_masks(np.ones((1, 2, 3), bool))
    >>> mask_area(m).tolist()
    [6]
    """
    array = np.asarray(masks)
    if array.ndim != 3:
        raise ValueError(f"masks: expected shape (N, H, W), got {array.shape}")
    if len(array) == 0:
        out = empty_masks()
        return out
    rles = mask_utils.encode(np.asfortranarray(array.transpose(1, 2, 0).astype(np.uint8)))
    return decode_rle_strings(
        [r["counts"] for r in rles], [array.shape[1]] * len(array), [array.shape[2]] * len(array)
    )


def decode_masks(masks: RleMasks) -> NDArray[np.bool_]:
    """Binary masks ``(N, H, W)`` from RLE (all masks must share one size)."""
    if len(masks) == 0:
        return np.zeros((0, 0, 0), dtype=bool)
    if np.any(masks.heights != masks.heights[0]) or np.any(masks.widths != masks.widths[0]):
        raise ValueError("masks: expected one frame size, got several")
    h, w = int(masks.heights[0]), int(masks.widths[0])
    out = np.zeros((len(masks), h * w), dtype=bool)
    for i in range(len(masks)):
        runs = masks.counts[masks.offsets[i] : masks.offsets[i + 1]].astype(np.int64)
        ends = np.cumsum(runs)
        for start, stop in zip(ends[0::2], ends[1::2], strict=False):
            out[i, start:stop] = True
    return out.reshape(len(masks), w, h).transpose(0, 2, 1)


@numba.njit(cache=True, nogil=True)
def _areas(counts: NDArray[np.uint32], offsets: NDArray[np.int64]) -> NDArray[np.int64]:
    n = len(offsets) - 1
    out = np.zeros(n, dtype=np.int64)
    for i in range(n):
        total = 0
        for j in range(offsets[i] + 1, offsets[i + 1], 2):
            total += counts[j]
        out[i] = total
    return out


def mask_area(masks: RleMasks) -> NDArray[np.int64]:
    """Pixel count of each mask, shape ``(N,)`` (pycocotools ``area``).

    Examples
    --------
    >>> mask_area(decode_rle_strings(["12"], [2], [2])).tolist()
    [2]
    """
    return _areas(masks.counts, masks.offsets)


@numba.njit(cache=True, nogil=True)
def _boxes(
    counts: NDArray[np.uint32],
    offsets: NDArray[np.int64],
    heights: NDArray[np.int64],
    widths: NDArray[np.int64],
) -> NDArray[np.float64]:
    """``maskApi.c`` ``rleToBbox``: ``[x, y, w, h]`` per mask."""
    n = len(heights)
    out = np.zeros((n, 4), dtype=np.float64)
    for i in range(n):
        h = heights[i]
        m = ((offsets[i + 1] - offsets[i]) // 2) * 2
        if m == 0 or h == 0:
            continue
        xs = widths[i]
        ys = h
        xe = 0
        ye = 0
        cc = 0
        xp = 0
        for j in range(m):
            cc += counts[offsets[i] + j]
            t = cc - j % 2
            y = t % h
            x = (t - y) // h
            if j % 2 == 0:
                xp = x
            elif xp < x:
                ys = 0
                ye = h - 1
            xs = min(xs, x)
            xe = max(xe, x)
            ys = min(ys, y)
            ye = max(ye, y)
        out[i, 0] = xs
        out[i, 2] = xe - xs + 1
        out[i, 1] = ys
        out[i, 3] = ye - ys + 1
    return out


def mask_boxes(masks: RleMasks) -> NDArray[np.float64]:
    """Bounding box of each mask as ``(N, 4)`` ``xyxy`` float64 pixels (pycocotools ``toBbox``).

    An empty mask gives ``[0, 0, 0, 0]``.

    Examples
    --------
    >>> mask_boxes(encode_masks(np.pad(np.ones((1, 2, 3), bool), ((0, 0), (1, 0), (0, 0))))).tolist()
    [[0.0, 1.0, 3.0, 3.0]]
    """
    xywh = _boxes(masks.counts, masks.offsets, masks.heights, masks.widths)
    xywh[:, 2:] += xywh[:, :2]
    return xywh


@numba.njit(cache=True, nogil=True)
def _pair_iou(
    gt_counts: NDArray[np.uint32],
    gt_offsets: NDArray[np.int64],
    gt_boxes: NDArray[np.float64],
    gt_areas: NDArray[np.int64],
    pred_counts: NDArray[np.uint32],
    pred_offsets: NDArray[np.int64],
    pred_boxes: NDArray[np.float64],
    pred_areas: NDArray[np.int64],
    gt_index: NDArray[np.int64],
    pred_index: NDArray[np.int64],
    crowd: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """``maskApi.c`` ``rleIou`` for listed pairs; the xywh box test skips disjoint pairs."""
    n = len(gt_index)
    out = np.zeros(n, dtype=np.float64)
    for k in range(n):
        g = gt_index[k]
        d = pred_index[k]
        w = min(gt_boxes[g, 0] + gt_boxes[g, 2], pred_boxes[d, 0] + pred_boxes[d, 2]) - max(
            gt_boxes[g, 0], pred_boxes[d, 0]
        )
        if w <= 0:
            continue
        h = min(gt_boxes[g, 1] + gt_boxes[g, 3], pred_boxes[d, 1] + pred_boxes[d, 3]) - max(
            gt_boxes[g, 1], pred_boxes[d, 1]
        )
        if h <= 0:
            continue
        a = pred_offsets[d]
        ka = pred_offsets[d + 1]
        b = gt_offsets[g]
        kb = gt_offsets[g + 1]
        ca = np.int64(pred_counts[a])
        cb = np.int64(gt_counts[b])
        a += 1
        b += 1
        va = False
        vb = False
        inter = np.int64(0)
        union = np.int64(0)
        ct = 1
        while ct > 0:
            c = min(ca, cb)
            if va or vb:
                union += c
                if va and vb:
                    inter += c
            ct = 0
            ca -= c
            if ca == 0 and a < ka:
                ca = np.int64(pred_counts[a])
                a += 1
                va = not va
            ct += ca
            cb -= c
            if cb == 0 and b < kb:
                cb = np.int64(gt_counts[b])
                b += 1
                vb = not vb
            ct += cb
        if inter == 0:
            continue
        if crowd[k]:
            union = pred_areas[d]
        out[k] = inter / union
    return out


def _check_sizes(gt: RleMasks, pred: RleMasks, gt_index: NDArray[np.int64], pred_index: NDArray[np.int64]) -> None:
    bad = (gt.heights[gt_index] != pred.heights[pred_index]) | (
        gt.widths[gt_index] != pred.widths[pred_index]
    )
    if np.any(bad):
        k = int(np.argmax(bad))
        g, d = gt_index[k], pred_index[k]
        raise ValueError(
            f"pred mask {d}: expected size ({gt.heights[g]}, {gt.widths[g]}) of gt mask {g}, "
            f"got ({pred.heights[d]}, {pred.widths[d]})"
        )


def mask_iou_pairs(
    gt: RleMasks,
    pred: RleMasks,
    gt_index: ArrayLike,
    pred_index: ArrayLike,
    *,
    crowd: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """IoU of ``gt[gt_index[k]]`` with ``pred[pred_index[k]]`` for each ``k``.

    Parameters
    ----------
    gt, pred
        Mask sets; paired masks must share a frame size (else ``ValueError``).
    gt_index, pred_index
        ``(N,)`` int indices into ``gt`` and ``pred``.
    crowd
        ``(N,)`` bool per pair: divide by the predicted area (crowd ground truth).

    Returns
    -------
    ``(N,)`` float64 in [0, 1].

    Examples
    --------
    >>> a = encode_masks(np.ones((1, 2, 2), bool))
    >>> mask_iou_pairs(a, a, [0], [0]).tolist()
    [1.0]
    """
    gi = np.asarray(gt_index, dtype=np.int64).reshape(-1)
    pi = np.asarray(pred_index, dtype=np.int64).reshape(-1)
    if gi.shape != pi.shape:
        raise ValueError(f"pred_index: expected shape {gi.shape}, got {pi.shape}")
    is_crowd = np.zeros(len(gi), bool) if crowd is None else np.asarray(crowd, dtype=bool)
    if is_crowd.shape != gi.shape:
        raise ValueError(f"crowd: expected shape {gi.shape}, got {is_crowd.shape}")
    _check_sizes(gt, pred, gi, pi)
    return _pair_iou(
        gt.counts, gt.offsets, _boxes(gt.counts, gt.offsets, gt.heights, gt.widths),
        mask_area(gt), pred.counts, pred.offsets,
        _boxes(pred.counts, pred.offsets, pred.heights, pred.widths), mask_area(pred),
        gi, pi, is_crowd,
    )  # fmt: skip


def mask_iou(gt: RleMasks, pred: RleMasks, *, crowd: ArrayLike | None = None) -> NDArray[np.float64]:
    """IoU of every ground-truth mask with every predicted mask, shape ``(G, D)``.

    Parameters
    ----------
    gt, pred
        ``G`` and ``D`` masks of one frame size.
    crowd
        ``(G,)`` bool: crowd ground truth (intersection over predicted area).

    Examples
    --------
    >>> full = encode_masks(np.ones((1, 2, 2), bool))
    >>> half = encode_masks(np.array([[[1, 0], [1, 0]]], bool))
    >>> mask_iou(full, half).tolist()
    [[0.5]]
    """
    n_gt, n_pred = len(gt), len(pred)
    is_crowd = np.zeros(n_gt, bool) if crowd is None else np.asarray(crowd, dtype=bool)
    if is_crowd.shape != (n_gt,):
        raise ValueError(f"crowd: expected shape ({n_gt},), got {is_crowd.shape}")
    gi = np.repeat(np.arange(n_gt, dtype=np.int64), n_pred)
    pi = np.tile(np.arange(n_pred, dtype=np.int64), n_gt)
    return mask_iou_pairs(gt, pred, gi, pi, crowd=is_crowd[gi]).reshape(n_gt, n_pred)
