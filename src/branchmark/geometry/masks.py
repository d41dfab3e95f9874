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
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]  # ships no types

from branchmark.geometry.kernels import input_array, kernel


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
        # One array type per column: the kernels take exactly these (see geometry.kernels).
        for name, dtype in (("counts", np.uint32), ("offsets", np.int64), ("heights", np.int64),
                            ("widths", np.int64)):  # fmt: skip
            object.__setattr__(self, name, np.ascontiguousarray(getattr(self, name), dtype))
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
        idx = np.ascontiguousarray(index, dtype=np.int64)
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


@kernel(
    input_array("uint32"), input_array("int64"), input_array("int64"), input_array("int64"),
    nogil=True,
)  # fmt: skip
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


@kernel(input_array("uint8"), input_array("int64"), nogil=True)
def _decode_strings(
    buffer: NDArray[np.uint8], starts: NDArray[np.int64]
) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    """``maskApi.c`` ``rleFrString`` for many strings at once: ``(counts, offsets)``."""
    n = len(starts) - 1
    offsets = np.zeros(n + 1, dtype=np.int64)
    for s in range(n):  # a count ends at every byte without the continuation bit 0x20
        ends = 0
        for p in range(starts[s], starts[s + 1]):
            ends += ((buffer[p] - 48) & 0x20) == 0
        offsets[s + 1] = offsets[s] + ends
    out = np.empty(offsets[-1], dtype=np.uint32)
    for s in range(n):
        p = starts[s]
        end = starts[s + 1]
        base = offsets[s]
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
    return out, offsets


def decode_rle_strings(
    strings: Sequence[str | bytes], heights: ArrayLike, widths: ArrayLike
) -> RleMasks:
    """Decode COCO compressed RLE strings (the ``counts`` of ``{"size", "counts"}``).

    Parameters
    ----------
    strings
        ``N`` compressed count strings as pycocotools writes them (``str`` or ``bytes``).
    heights, widths
        ``(N,)`` mask sizes.

    Examples
    --------
    >>> decode_rle_strings(["12"], [2], [2]).counts.tolist()
    [1, 2]
    """
    starts = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, strings), dtype=np.int64, count=len(strings)), out=starts[1:])
    if set(map(type, strings)) <= {str}:
        # One join and one encode; ASCII keeps len(str) == len(bytes).
        joined = "".join(cast("Sequence[str]", strings)).encode("ascii")
    else:
        joined = b"".join(x.encode("ascii") if isinstance(x, str) else bytes(x) for x in strings)
    if len(joined) != starts[-1]:
        raise ValueError("strings: expected ASCII RLE counts, got other characters")
    return decode_rle_text(joined, np.diff(starts), heights, widths)


def decode_rle_text(
    text: bytes, lengths: ArrayLike, heights: ArrayLike, widths: ArrayLike
) -> RleMasks:
    """Decode compressed RLE strings given joined: mask ``i`` is the next ``lengths[i]`` bytes.

    Examples
    --------
    >>> decode_rle_text(b"1212", [2, 2], [2, 2], [2, 2]).counts.tolist()
    [1, 2, 1, 2]
    """
    size = np.asarray(lengths, dtype=np.int64).reshape(-1)
    starts = np.zeros(len(size) + 1, dtype=np.int64)
    np.cumsum(size, out=starts[1:])
    if starts[-1] != len(text):
        raise ValueError(f"lengths: expected a total of {len(text)} bytes, got {starts[-1]}")
    counts, offsets = _decode_strings(np.frombuffer(text, dtype=np.uint8), starts)
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
    strings: list[bytes | str] = [b""] * len(segmentations)
    sizes = np.empty((len(segmentations), 2), dtype=np.int64)
    by_frame: dict[tuple[int, int], list[int]] = {}
    single: list[int] = []
    for i, seg in enumerate(segmentations):
        # frPyObjects sends a list whose first polygon has more than 4 values to frPoly, which
        # rasterises each polygon on its own: such objects of one frame size share one call.
        if isinstance(seg, list) and seg and isinstance(seg[0], list) and len(seg[0]) > 4:
            by_frame.setdefault((int(h[i]), int(w[i])), []).append(i)
        else:
            single.append(i)
    for (frame_h, frame_w), members in by_frame.items():
        try:
            rles = mask_utils.frPyObjects(
                [p for i in members for p in segmentations[i]], frame_h, frame_w
            )
        except (TypeError, ValueError, IndexError):
            single.extend(members)  # rasterise one by one: the error names the object
            continue
        pos = 0
        for i in members:
            n_parts = len(segmentations[i])
            parts = rles[pos : pos + n_parts]
            pos += n_parts
            # COCO.annToRLE merges the parts; merging one RLE returns it unchanged.
            rle = parts[0] if n_parts == 1 else mask_utils.merge(parts)
            strings[i] = rle["counts"]
            sizes[i] = (frame_h, frame_w)
    for i in sorted(single):
        seg = segmentations[i]
        if isinstance(seg, list):
            rle = mask_utils.merge(mask_utils.frPyObjects(seg, int(h[i]), int(w[i])))
        elif isinstance(seg.get("counts"), list):
            rle = mask_utils.frPyObjects(seg, seg["size"][0], seg["size"][1])
        else:
            rle = seg
        strings[i] = rle["counts"]
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


@kernel(input_array("uint32"), input_array("int64"), nogil=True)
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


@kernel(
    input_array("uint32"), input_array("int64"), input_array("int64"), input_array("int64"),
    nogil=True,
)  # fmt: skip
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
    >>> padded = np.pad(np.ones((1, 2, 3), bool), ((0, 0), (1, 0), (0, 0)))
    >>> mask_boxes(encode_masks(padded)).tolist()
    [[0.0, 1.0, 3.0, 3.0]]
    """
    xywh = _boxes(masks.counts, masks.offsets, masks.heights, masks.widths)
    xywh[:, 2:] += xywh[:, :2]
    return xywh


@kernel(input_array("uint32"), input_array("int64"), nogil=True)
def _extents(
    counts: NDArray[np.uint32], offsets: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Per mask: area, first foreground pixel and one past the last (column-major index)."""
    n = len(offsets) - 1
    area = np.zeros(n, dtype=np.int64)
    first = np.zeros(n, dtype=np.int64)
    end = np.zeros(n, dtype=np.int64)
    for i in range(n):
        position = np.int64(0)
        total = np.int64(0)
        start = np.int64(-1)
        stop = np.int64(0)
        for j in range(offsets[i + 1] - offsets[i]):
            run = np.int64(counts[offsets[i] + j])
            if j % 2 == 1 and run > 0:
                if start < 0:
                    start = position
                stop = position + run
                total += run
            position += run
        area[i], first[i], end[i] = total, start if start > 0 else 0, stop
    return area, first, end


@kernel(
    input_array("uint32"), input_array("int64"), input_array("int64"), input_array("uint32"),
    input_array("int64"), input_array("int64"), input_array("int64"), input_array("bool"),
    nogil=True,
)  # fmt: skip
def _pair_iou(
    gt_counts: NDArray[np.uint32],
    gt_offsets: NDArray[np.int64],
    gt_heights: NDArray[np.int64],
    pred_counts: NDArray[np.uint32],
    pred_offsets: NDArray[np.int64],
    gt_index: NDArray[np.int64],
    pred_index: NDArray[np.int64],
    crowd: NDArray[np.bool_],
) -> NDArray[np.float64]:
    """``maskApi.c`` ``rleIou`` for listed pairs.

    rleIou merges the two run lists to count the intersection ``i`` and the union ``u`` and
    returns ``i / u`` (``i / area(dt)`` for a crowd GT; 0 when ``i == 0``).  The same integers
    come out cheaper: pairs whose foreground column ranges are disjoint have ``i = 0``; the
    merge stops where either mask's foreground ends (nothing after can intersect); and ``u`` is
    ``area(gt) + area(dt) - i`` (valid RLEs cover the same ``h * w`` pixels).
    """
    gt_area, gt_first, gt_end = _extents(gt_counts, gt_offsets)
    pred_area, pred_first, pred_end = _extents(pred_counts, pred_offsets)
    n = len(gt_index)
    out = np.zeros(n, dtype=np.float64)
    for k in range(n):
        g = gt_index[k]
        d = pred_index[k]
        h = max(gt_heights[g], 1)
        if gt_area[g] == 0 or pred_area[d] == 0:
            continue
        # Column ranges (rleToBbox's x extent): disjoint ones cannot intersect.
        if (gt_end[g] - 1) // h < pred_first[d] // h or (pred_end[d] - 1) // h < gt_first[g] // h:
            continue
        stop = min(gt_end[g], pred_end[d])
        a, ka = pred_offsets[d], pred_offsets[d + 1]
        b, kb = gt_offsets[g], gt_offsets[g + 1]
        ca = np.int64(pred_counts[a])
        cb = np.int64(gt_counts[b])
        a += 1
        b += 1
        va = False
        vb = False
        inter = np.int64(0)
        position = np.int64(0)
        while position < stop:
            c = min(ca, cb)
            if va and vb:
                inter += c
            position += c
            ca -= c
            if ca == 0:
                if a == ka:
                    break
                ca = np.int64(pred_counts[a])
                a += 1
                va = not va
            cb -= c
            if cb == 0:
                if b == kb:
                    break
                cb = np.int64(gt_counts[b])
                b += 1
                vb = not vb
        if inter == 0:
            continue
        union = pred_area[d] if crowd[k] else gt_area[g] + pred_area[d] - inter
        out[k] = inter / union
    return out


def _check_sizes(
    gt: RleMasks, pred: RleMasks, gt_index: NDArray[np.int64], pred_index: NDArray[np.int64]
) -> None:
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
    gi = np.ascontiguousarray(gt_index, dtype=np.int64).reshape(-1)
    pi = np.ascontiguousarray(pred_index, dtype=np.int64).reshape(-1)
    if gi.shape != pi.shape:
        raise ValueError(f"pred_index: expected shape {gi.shape}, got {pi.shape}")
    is_crowd = np.zeros(len(gi), bool) if crowd is None else np.ascontiguousarray(crowd, bool)
    if is_crowd.shape != gi.shape:
        raise ValueError(f"crowd: expected shape {gi.shape}, got {is_crowd.shape}")
    _check_sizes(gt, pred, gi, pi)
    return _pair_iou(gt.counts, gt.offsets, gt.heights, pred.counts, pred.offsets, gi, pi, is_crowd)


def mask_iou(
    gt: RleMasks, pred: RleMasks, *, crowd: ArrayLike | None = None
) -> NDArray[np.float64]:
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
