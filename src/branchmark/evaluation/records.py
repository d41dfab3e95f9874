"""COCO JSON records (already parsed) to evaluation arrays, as pycocotools reads them.

Ground truth follows ``COCO.createIndex`` and ``COCOeval._prepare``; results follow
``COCO.loadRes`` (the first record decides how areas are derived).  Bad records raise
:class:`~branchmark.errors.ImportFormatError` naming the source, the record and the field.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter, methodcaller
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.errors import ImportFormatError
from branchmark.evaluation.params import IouType
from branchmark.geometry.boxes import xywh_to_xyxy
from branchmark.geometry.masks import (
    RleMasks,
    decode_rle_strings,
    decode_rle_text,
    mask_area,
    rle_from_coco,
)

_MISSING = object()  # a field absent from a record (None is a JSON null)


def _fail(source: str, where: str, field: str, problem: str) -> ImportFormatError:
    return ImportFormatError(f"{source}: {where}: field '{field}' {problem}")


def _column(
    records: Sequence[Any], field: str, source: str, where: str, default: Any = ...
) -> list[Any]:
    """``[r[field] for r in records]``; the error names the first bad record."""
    try:
        if default is ...:
            return list(map(itemgetter(field), records))  # one C-level pass
        return [r.get(field, default) for r in records]
    except (KeyError, TypeError, AttributeError):
        for i, r in enumerate(records):
            if not isinstance(r, dict):
                raise ImportFormatError(f"{source}: {where}[{i}] is not an object") from None
            if field not in r:
                raise _fail(source, f"{where}[{i}]", field, "is missing") from None
        raise


def _numbers(
    values: list[Any], shape: tuple[int, ...], source: str, where: str, field: str, offset: int = 0
) -> NDArray[np.float64]:
    """``values`` as a float64 array of ``shape``; the error names the first bad record
    (``offset`` is the position of ``values[0]`` in the file)."""
    n = len(values)
    try:
        # Fast path: one flat pass, no nested-list inspection (np.array is ~2x slower here).
        if len(shape) == 1:
            return np.fromiter(values, dtype=np.float64, count=n)
        width = shape[1]
        if not n or set(map(len, values)) == {width}:
            flat = itertools.chain.from_iterable(values)
            return np.fromiter(flat, dtype=np.float64, count=n * width).reshape(n, width)
    except (TypeError, ValueError):
        pass
    try:
        array = np.array(values, dtype=np.float64)
        if array.shape[1:] == shape[1:] and len(array) == len(values):
            return array.reshape(shape) if len(values) == 0 else array
    except (TypeError, ValueError):
        pass
    for i, v in enumerate(values):
        try:
            ok = np.asarray(v, dtype=np.float64).shape == shape[1:]
        except (TypeError, ValueError):
            ok = False
        if not ok:
            expected = f"{shape[1]} numbers" if len(shape) > 1 else "a number"
            if v is _MISSING:
                raise _fail(source, f"{where}[{offset + i}]", field, "is missing")
            problem = f"must be {expected}, got {v!r:.60}"
            raise _fail(source, f"{where}[{offset + i}]", field, problem)
    raise _fail(source, where, field, "has inconsistent values")


def _positions(ids: list[Any], known: NDArray[Any] | list[Any]) -> NDArray[np.int64]:
    """Position of each id in the sorted ``known`` ids, -1 when absent."""
    try:
        # Plain ints (the usual ids): a flat conversion, no per-element dtype inference.
        if set(map(type, ids)) <= {int}:
            array = np.fromiter(ids, dtype=np.int64, count=len(ids))
        else:
            array = np.asarray(ids)
    except OverflowError:
        array = np.asarray(ids)
    known_array = np.asarray(known)
    if array.dtype.kind in "iu" and known_array.dtype.kind in "iu" and len(known_array):
        pos = np.searchsorted(known_array, array)
        pos = np.minimum(pos, len(known_array) - 1)
        return np.where(known_array[pos] == array, pos, -1).astype(np.int64)
    lookup = {k: i for i, k in enumerate(known)}
    return np.array([lookup.get(i, -1) for i in ids], dtype=np.int64)


def _sorted_ids(ids: list[Any], source: str, what: str) -> list[Any]:
    try:
        return sorted(set(ids))
    except TypeError:
        raise ImportFormatError(f"{source}: {what} ids mix numbers and strings") from None


@dataclass(frozen=True)
class CocoGroundTruthArrays:
    """A COCO dataset as arrays, annotation order kept.

    ``image_ids`` / ``category_ids`` are the sorted unique ids (pycocotools
    ``sorted(getImgIds())``); ``image``/``category`` hold positions into them (-1: not listed).
    ``boxes`` are ``xyxy`` pixels, ``box_area`` the ``w * h`` of the source ``xywh`` boxes, kept
    as ``boxes_xywh`` (OKS builds an unlabelled GT's region from them, and ``(x + w) - x`` is not
    always ``w``).
    """

    source: str
    image_ids: list[Any]
    heights: NDArray[np.int64]
    widths: NDArray[np.int64]
    category_ids: list[Any]
    annotation_ids: list[Any]
    image: NDArray[np.int64]
    category: NDArray[np.int64]
    area: NDArray[np.float64]
    crowd: NDArray[np.bool_]
    no_keypoints: NDArray[np.bool_]
    boxes: NDArray[np.float64]
    box_area: NDArray[np.float64]
    segmentations: list[Any] | None
    keypoints: NDArray[np.float64] | None
    boxes_xywh: NDArray[np.float64]

    def masks(self) -> RleMasks:
        """GT masks (``COCO.annToRLE``); annotations on unlisted images get a 1x1 frame."""
        if self.segmentations is None:
            raise ImportFormatError(f"{self.source}: annotations: field 'segmentation' is missing")
        known = self.image >= 0
        h = np.where(known, self.heights[np.maximum(self.image, 0)], 1)
        w = np.where(known, self.widths[np.maximum(self.image, 0)], 1)
        return _masks(self.segmentations, h, w, self.source, "annotations")


def _masks(
    segs: list[Any], h: NDArray[np.int64], w: NDArray[np.int64], source: str, where: str
) -> RleMasks:
    try:  # all compressed RLE (detector output): decode without a per-mask Python call
        counts = list(map(itemgetter("counts"), segs))
        size_list = list(map(itemgetter("size"), segs))
        if set(map(type, counts)) <= {str, bytes} and set(map(len, size_list)) <= {2}:
            flat = itertools.chain.from_iterable(size_list)
            sizes = np.fromiter(flat, dtype=np.int64, count=2 * len(segs)).reshape(len(segs), 2)
            return decode_rle_strings(counts, sizes[:, 0], sizes[:, 1])
    except (TypeError, KeyError, ValueError):
        pass
    for i, s in enumerate(segs):
        valid = isinstance(s, list) or (isinstance(s, dict) and "counts" in s and "size" in s)
        if not valid:
            raise _fail(source, f"{where}[{i}]", "segmentation", "must be polygons or RLE")
    try:
        return rle_from_coco(segs, h, w)
    except (TypeError, ValueError, IndexError) as exc:
        raise _fail(source, where, "segmentation", f"cannot be rasterised: {exc}") from None


def read_ground_truth(data: Any, *, source: str, iou_type: IouType | str) -> CocoGroundTruthArrays:
    """Arrays of a parsed COCO dataset (``{"images", "annotations", "categories"}``)."""
    kind = IouType(iou_type)
    if not isinstance(data, dict):
        raise ImportFormatError(
            f"{source}: expected a COCO dataset object, got {type(data).__name__}"
        )
    for key in ("images", "annotations", "categories"):
        if not isinstance(data.get(key), list):
            raise ImportFormatError(f"{source}: field '{key}' must be a list")
    images, anns, cats = data["images"], data["annotations"], data["categories"]
    raw_image_ids = _column(images, "id", source, "images")
    image_ids = _sorted_ids(raw_image_ids, source, "image")
    # COCO.createIndex: a repeated image id keeps the last record.
    last = {i: k for k, i in enumerate(raw_image_ids)}
    order = [last[i] for i in image_ids]
    heights = np.array([images[k].get("height", 0) for k in order], dtype=np.int64)
    widths = np.array([images[k].get("width", 0) for k in order], dtype=np.int64)
    category_ids = _sorted_ids(_column(cats, "id", source, "categories"), source, "category")
    n = len(anns)
    boxes_xywh = _numbers(
        _column(anns, "bbox", source, "annotations"), (n, 4), source, "annotations", "bbox"
    )
    keypoints = None
    no_keypoints = np.zeros(n, bool)
    if kind is IouType.KEYPOINTS:
        flat = _column(anns, "keypoints", source, "annotations")
        width = len(flat[0]) if n else 0
        keypoints = _numbers(flat, (n, width), source, "annotations", "keypoints").reshape(n, -1, 3)
        labelled = np.count_nonzero(keypoints[:, :, 2] > 0, axis=1)
        counts = _column(anns, "num_keypoints", source, "annotations", default=None)
        # COCOeval._prepare: num_keypoints == 0 makes the GT ignored.
        no_keypoints = np.array(
            [(c if c is not None else lab) == 0 for c, lab in zip(counts, labelled, strict=True)]
        )
    return CocoGroundTruthArrays(
        source=source, image_ids=image_ids, heights=heights, widths=widths,
        category_ids=category_ids, annotation_ids=_column(anns, "id", source, "annotations"),
        image=_positions(_column(anns, "image_id", source, "annotations"), image_ids),
        category=_positions(_column(anns, "category_id", source, "annotations"), category_ids),
        area=_numbers(_column(anns, "area", source, "annotations"), (n,), source, "annotations",
                      "area"),
        crowd=np.array(_column(anns, "iscrowd", source, "annotations", default=0), dtype=bool),
        no_keypoints=no_keypoints, boxes=xywh_to_xyxy(boxes_xywh),
        box_area=boxes_xywh[:, 2] * boxes_xywh[:, 3],
        segmentations=(_column(anns, "segmentation", source, "annotations")
                       if kind is IouType.SEGM else None),
        keypoints=keypoints, boxes_xywh=boxes_xywh,
    )  # fmt: skip


@dataclass(frozen=True)
class RleText:
    """Compressed RLE ``counts`` strings of several masks, joined (ASCII) with their sizes."""

    text: bytes
    lengths: NDArray[np.int64]
    sizes: NDArray[np.int64]


#: One chunk's column: an array (the usual case) or the raw values (kept to name a bad record).
Part = tuple[int, Any]


@dataclass(frozen=True)
class ResultColumns:
    """A COCO results list read column by column, chunk by chunk (no per-result dicts kept).

    ``first`` is the first record (``COCO.loadRes`` decides by its keys); ``parts`` maps each
    field to ``(offset, values)`` per chunk: ``int64`` / ``float64`` arrays, :class:`RleText`
    for compressed RLE, or the raw list (``_MISSING`` where a record lacks the field).
    """

    source: str
    count: int
    first: dict[str, Any]
    parts: dict[str, list[Part]]


_FIELDS = ("image_id", "category_id", "score", "bbox", "segmentation", "keypoints")


def _chunk_values(field: str, values: list[Any]) -> Any:
    """Convert one chunk's values when they are regular; else keep them as they are."""
    if values.count(_MISSING):
        return values
    try:
        if field in ("image_id", "category_id"):
            if set(map(type, values)) <= {int}:
                return np.fromiter(values, dtype=np.int64, count=len(values))
        elif field == "score":
            return np.fromiter(values, dtype=np.float64, count=len(values))
        elif field in ("bbox", "keypoints"):
            widths = set(map(len, values))
            if len(widths) == 1:
                width = widths.pop()
                flat = itertools.chain.from_iterable(values)
                array = np.fromiter(flat, dtype=np.float64, count=len(values) * width)
                return array.reshape(len(values), width)
        elif field == "segmentation":
            counts = list(map(itemgetter("counts"), values))
            sizes = list(map(itemgetter("size"), values))
            if set(map(type, counts)) <= {str} and set(map(len, sizes)) <= {2}:
                flat = itertools.chain.from_iterable(sizes)
                return RleText(
                    "".join(counts).encode("ascii"),
                    np.fromiter(map(len, counts), dtype=np.int64, count=len(counts)),
                    np.fromiter(flat, dtype=np.int64, count=2 * len(sizes)).reshape(-1, 2),
                )
    except (TypeError, ValueError, KeyError, OverflowError):
        pass
    return values


def read_result_columns(chunks: Iterable[Any], *, source: str) -> ResultColumns:
    """Columns of a results list given in consecutive chunks (lists of result objects).

    Each chunk's dicts can be freed once read: only arrays (and the raw values of a chunk
    with irregular values, to name the bad record later) are kept.
    """
    parts: dict[str, list[Part]] = {field: [] for field in _FIELDS}
    first: dict[str, Any] | None = None
    offset = 0
    for records in chunks:
        if not isinstance(records, list):
            kind = type(records).__name__
            raise ImportFormatError(f"{source}: expected a list of result objects, got {kind}")
        if not set(map(type, records)) <= {dict}:
            i = next(i for i, r in enumerate(records) if not isinstance(r, dict))
            raise ImportFormatError(f"{source}: results[{offset + i}] is not an object")
        if first is None and records:
            first = dict(records[0])
        for field in _FIELDS:
            values = list(map(methodcaller("get", field, _MISSING), records))
            parts[field].append((offset, _chunk_values(field, values)))
        offset += len(records)
    return ResultColumns(source, offset, first or {}, parts)


def _ids(columns: ResultColumns, field: str) -> NDArray[Any] | list[Any]:
    values = [v for _, v in columns.parts[field]]
    if all(isinstance(v, np.ndarray) for v in values):
        return np.concatenate(values) if values else np.zeros(0, np.int64)
    ids: list[Any] = []
    for offset, v in columns.parts[field]:
        if isinstance(v, list) and v.count(_MISSING):
            i = offset + v.index(_MISSING)
            raise _fail(columns.source, f"results[{i}]", field, "is missing")
        ids.extend(v.tolist() if isinstance(v, np.ndarray) else v)
    return ids


def _matrix(columns: ResultColumns, field: str, width: int | None) -> NDArray[np.float64]:
    """``(n, width)`` float64 (``width`` None: the first record's length; ``score``: ``(n,)``)."""
    source = columns.source
    shape: tuple[int, ...] = ()
    if field != "score":
        first = columns.first.get(field, [])
        shape = (len(first) if width is None and isinstance(first, list) else width or 0,)
    arrays = []
    for offset, v in columns.parts[field]:
        if isinstance(v, np.ndarray) and v.shape[1:] == shape:
            arrays.append(v)
        else:
            raw = v.tolist() if isinstance(v, np.ndarray) else v
            arrays.append(_numbers(raw, (len(raw), *shape), source, "results", field, offset))
    return np.concatenate(arrays) if arrays else np.zeros((0, *shape))


def result_images(
    columns: ResultColumns, image_ids: list[Any], *, ground_truth: str
) -> NDArray[np.int64]:
    """Position of each result's ``image_id`` in the sorted GT ``image_ids``.

    Raises :class:`ImportFormatError` naming the first result whose image is not in the ground
    truth (``COCO.loadRes``: "Results do not correspond to current coco set").

    Examples
    --------
    >>> cols = read_result_columns([[{"image_id": 7}, {"image_id": 3}]], source="r")
    >>> result_images(cols, [3, 7], ground_truth="g")
    array([1, 0])
    """
    ids = _ids(columns, "image_id")
    image = _positions(ids, image_ids)  # type: ignore[arg-type]
    if np.any(image < 0):
        i = int(np.argmax(image < 0))
        value = ids[i].item() if isinstance(ids, np.ndarray) else ids[i]
        problem = f"{value!r} is not an image of {ground_truth}"
        raise _fail(columns.source, f"results[{i}]", "image_id", problem)
    return image


def _result_masks(
    columns: ResultColumns,
    boxes: NDArray[np.float64] | None,
    h: NDArray[np.int64],
    w: NDArray[np.int64],
) -> RleMasks:
    """Masks of the results; a result without one gets its box as polygon (``loadRes``)."""
    parts = columns.parts["segmentation"]
    if parts and all(isinstance(v, RleText) for _, v in parts):
        texts = [v for _, v in parts]
        sizes = np.concatenate([t.sizes for t in texts])
        text = b"".join(t.text for t in texts)
        lengths = np.concatenate([t.lengths for t in texts])
        return decode_rle_text(text, lengths, sizes[:, 0], sizes[:, 1])
    segs: list[Any] = []
    for _, v in parts:
        if isinstance(v, RleText):
            counts = v.text.decode("ascii")
            ends = np.cumsum(v.lengths).tolist()
            bounds = zip(v.sizes.tolist(), ends, v.lengths.tolist(), strict=True)
            segs.extend({"size": size, "counts": counts[end - n : end]} for size, end, n in bounds)
        else:
            segs.extend(v)
    if segs.count(_MISSING):
        if boxes is None:
            i = segs.index(_MISSING)
            raise _fail(columns.source, f"results[{i}]", "segmentation", "is missing")
        # loadRes gives a box-only result the box as its polygon.
        x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
        polygons = np.stack([x1, y1, x1, y2, x2, y2, x2, y1], axis=1).tolist()
        segs = [[p] if s is _MISSING else s for s, p in zip(segs, polygons, strict=True)]
    return _masks(segs, h, w, columns.source, "results")


@dataclass(frozen=True)
class CocoResultArrays:
    """Detections as ``COCO.loadRes`` leaves them: ids ``1..D``, ``area`` per its rules."""

    image: NDArray[np.int64]
    category: NDArray[np.int64]
    score: NDArray[np.float64]
    area: NDArray[np.float64]
    boxes: NDArray[np.float64] | None
    box_area: NDArray[np.float64] | None
    masks: RleMasks | None
    keypoints: NDArray[np.float64] | None


def _keypoint_extent(points: NDArray[np.float64]) -> NDArray[np.float64]:
    x, y = points[:, :, 0], points[:, :, 1]
    return np.stack([x.min(1), y.min(1), x.max(1), y.max(1)], axis=1)


def read_results(
    records: Any, gt: CocoGroundTruthArrays, *, source: str, iou_type: IouType | str
) -> CocoResultArrays:
    """Arrays of a results list (``[{"image_id", "category_id", "score", ...}]``).

    ``records`` is the parsed list or its :class:`ResultColumns` (see
    :func:`read_result_columns`).
    """
    kind = IouType(iou_type)
    if isinstance(records, ResultColumns):
        columns = records
    else:
        if not isinstance(records, list):
            got = type(records).__name__
            raise ImportFormatError(f"{source}: expected a list of result objects, got {got}")
        columns = read_result_columns([records], source=source)
    n = columns.count
    image = result_images(columns, gt.image_ids, ground_truth=gt.source)
    category = _positions(_ids(columns, "category_id"), gt.category_ids)  # type: ignore[arg-type]
    score = _matrix(columns, "score", None)
    first = columns.first
    boxes = box_area = masks = keypoints = None
    by_box = "bbox" in first and first["bbox"] != []
    if by_box or kind is IouType.BBOX:
        xywh = _matrix(columns, "bbox", 4)
        boxes, box_area = xywh_to_xyxy(xywh), xywh[:, 2] * xywh[:, 3]
    if kind is IouType.SEGM or (not by_box and "segmentation" in first):
        box_polygons = boxes if by_box else None
        masks = _result_masks(columns, box_polygons, gt.heights[image], gt.widths[image])
    if kind is IouType.KEYPOINTS or (not by_box and masks is None and "keypoints" in first):
        keypoints = _matrix(columns, "keypoints", None).reshape(n, -1, 3)
    if by_box:
        area = box_area
    elif masks is not None and "segmentation" in first:
        area = mask_area(masks).astype(np.float64)
    elif keypoints is not None:
        extent = _keypoint_extent(keypoints)
        area = (extent[:, 2] - extent[:, 0]) * (extent[:, 3] - extent[:, 1])
        boxes, box_area = extent, area
    else:
        raise _fail(source, "results[0]", "bbox", "is missing (or 'segmentation' / 'keypoints')")
    return CocoResultArrays(image, category, score, area, boxes, box_area, masks, keypoints)  # type: ignore[arg-type]
