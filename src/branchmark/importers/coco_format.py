"""The validating COCO JSON reader: a dataset or a results list, checked and turned into columns.

Every import of COCO goes through here (``coco.py``'s evaluation reader trusts its input, this
one does not).  Rules, each failing with ``ImportFormatError`` naming file, record and field:

- ``images[]``: ``id`` integer, unique; ``width``/``height`` positive integers; ``file_name``
  a string when given.  ``categories[]``: ``id`` integer, unique; ``name`` a non-empty string,
  unique; ``keypoints`` a list of distinct names and ``skeleton`` pairs of 1-based indices.
- ``annotations[]`` / results: ``image_id`` and ``category_id`` known integers; ``bbox`` 4 finite
  numbers with ``w, h >= 0`` inside the image (up to :data:`BOX_TOLERANCE_PX`); ``area`` finite
  ``>= 0``; ``iscrowd`` 0/1; ``score`` finite; ``segmentation`` polygons of at least 3
  finite points each, or RLE whose ``size`` is the image's and whose counts sum to ``h * w``;
  ``keypoints`` ``3 K`` finite numbers (``K`` from the category) with visibility 0, 1 or 2
  (in results the third value is a per-point score: any finite number).
- NaN, Infinity, truncated JSON, bad UTF-8 and empty files fail in :mod:`.json_files`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.errors import ImportFormatError
from branchmark.geometry.masks import decode_rle_strings
from branchmark.importers.columns import (
    MISSING,
    RecordCheck,
    check_objects,
    field_values,
    present,
    read_flags,
    read_floats,
    read_ids,
    read_ints,
    read_number_lists,
    read_strings,
    reject_duplicates,
)
from branchmark.importers.json_files import show_value
from branchmark.importers.report import Problems

BOX_TOLERANCE_PX = 1.0
"""How far (pixels) a box or polygon may reach past the image border (rounding in real files)."""

ANNOTATION_KEYS = frozenset(
    {"id", "image_id", "category_id", "bbox", "area", "iscrowd", "segmentation", "keypoints",
     "num_keypoints", "score"}
)  # fmt: skip


@dataclasses.dataclass(frozen=True)
class IdTable:
    """Sorted unique integer ids with per-id values; ``positions`` maps ids to rows (-1 unknown)."""

    ids: NDArray[Any]

    def positions(self, ids: NDArray[Any]) -> NDArray[np.int64]:
        """Row of each id in :attr:`ids`, -1 where absent.

        >>> IdTable(np.array([3, 7])).positions(np.array([7, 4])).tolist()
        [1, -1]
        """
        ids = np.asarray(ids)
        if not len(self.ids) or (self.ids.dtype.kind == "U") != (ids.dtype.kind == "U"):
            return np.full(len(ids), -1, dtype=np.int64)
        if self.ids.dtype.kind == "i" and ids.dtype.kind == "i":
            low, high = int(self.ids[0]), int(self.ids[-1])
            if high - low < 4 * len(self.ids) + 1024:  # dense ids (COCO's): a lookup table
                # 1M ids against 10,000 images: 6 ms, against 100 ms for the binary search.
                table = np.full(high - low + 1, -1, dtype=np.int64)
                table[self.ids - low] = np.arange(len(self.ids))
                inside = (ids >= low) & (ids <= high)
                offset = np.subtract(ids, low, out=np.zeros(len(ids), np.int64), where=inside)
                return np.where(inside, table[offset], -1)
        pos = np.minimum(np.searchsorted(self.ids, ids), len(self.ids) - 1)
        return np.where(self.ids[pos] == ids, pos, -1).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class ImageTable(IdTable):
    """Images by id: frame size per sorted id."""

    widths: NDArray[np.int64]
    heights: NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class CategoryTable(IdTable):
    """Categories by id: keypoint count per sorted id (0 when the category has none)."""

    keypoint_counts: NDArray[np.int64]


@dataclasses.dataclass(frozen=True)
class CocoAnnotations:
    """Valid annotation (or result) records as columns, file order kept.

    ``index`` is each record's position in the file; ``image``/``category`` are rows of the
    :class:`ImageTable` / :class:`CategoryTable` it was read against.  ``bbox`` is ``(N, 4)``
    COCO ``xywh`` pixels, NaN rows where absent; ``area``/``score`` NaN where absent.
    ``segmentation``/``keypoints`` hold the record's value or None; ``extras`` the record's
    other keys (None when it has none), kept for a lossless export.
    """

    index: NDArray[np.int64]
    ids: NDArray[Any]
    image: NDArray[np.int64]
    category: NDArray[np.int64]
    bbox: NDArray[np.float64]
    area: NDArray[np.float64]
    iscrowd: NDArray[np.bool_]
    score: NDArray[np.float64]
    segmentation: list[Any]
    keypoints: list[Any]
    num_keypoints: list[Any]
    extras: list[dict[str, Any] | None]

    def __len__(self) -> int:
        return len(self.index)

    def subset(self, keep: NDArray[np.bool_]) -> CocoAnnotations:
        """The records where ``keep`` is true."""
        pick = np.flatnonzero(keep)
        picked = pick.tolist()
        values: dict[str, Any] = {}  # one column per field, each of its own type
        for field in dataclasses.fields(self):
            column = getattr(self, field.name)
            values[field.name] = (
                [column[i] for i in picked] if isinstance(column, list) else column[pick]
            )
        return CocoAnnotations(**values)


@dataclasses.dataclass(frozen=True)
class CocoDataset:
    """A checked COCO dataset: image and category records (valid ones), annotations as columns."""

    source: str
    images: list[dict[str, Any]]
    image_table: ImageTable
    categories: list[dict[str, Any]]
    category_table: CategoryTable
    annotations: CocoAnnotations
    header: dict[str, Any]
    """Top-level keys other than images, annotations and categories (info, licenses ...)."""


def _section(data: dict[str, Any], key: str, source: str, *, required: bool) -> list[Any]:
    value = data.get(key, MISSING)
    if value is MISSING:
        if required:
            raise ImportFormatError(f'{source}: field "{key}" is missing (a COCO dataset needs it)')
        return []
    if not isinstance(value, list):
        raise ImportFormatError(
            f'{source}: field "{key}": expected a list, got {show_value(value)}'
        )
    return value


def _id_label(values: Sequence[Any]) -> Any:
    return lambda i: f" (id {show_value(values[i])})" if values[i] is not MISSING else ""


def _check_with_ids(
    records: list[Any], source: str, section: str, problems: Problems
) -> tuple[RecordCheck, NDArray[Any]]:
    """A check of ``records`` (objects, each labelled by its ``id``) and their ids."""
    check = RecordCheck(records, source=source, section=section, problems=problems)
    check_objects(check)
    check.label = _id_label(field_values(check, "id"))
    return check, read_ids(check, "id")


def _read_images(
    records: list[Any], source: str, problems: Problems
) -> tuple[list[dict[str, Any]], ImageTable]:
    check, ids = _check_with_ids(records, source, "images", problems)
    widths, _ = read_ints(check, "width")
    heights, _ = read_ints(check, "height")
    check.reject(widths < 1, "width", lambda i: f"expected a positive integer, got {widths[i]}")
    check.reject(heights < 1, "height", lambda i: f"expected a positive integer, got {heights[i]}")
    read_strings(check, "file_name", required=False)
    reject_duplicates(check, ids)
    keep = check.valid
    order = np.argsort(ids[keep], kind="stable")
    table = ImageTable(ids[keep][order], widths[keep][order], heights[keep][order])
    return [r for r, k in zip(records, keep, strict=True) if k], table


def _read_categories(
    records: list[Any], source: str, problems: Problems
) -> tuple[list[dict[str, Any]], CategoryTable]:
    check, ids = _check_with_ids(records, source, "categories", problems)
    names = read_strings(check, "name")
    counts = np.zeros(len(records), dtype=np.int64)
    for i, record in enumerate(records):
        if not check.valid[i]:
            continue
        keypoints = record.get("keypoints", MISSING)
        if keypoints is not MISSING and keypoints != []:
            if (
                not isinstance(keypoints, list)
                or not all(isinstance(k, str) and k for k in keypoints)
                or len(set(keypoints)) != len(keypoints)
            ):
                check.reject_one(
                    i,
                    "keypoints",
                    f"expected a list of distinct names, got {show_value(keypoints)}",
                )
                continue
            counts[i] = len(keypoints)
        skeleton = record.get("skeleton", [])
        # Pairs out of 1..K occur in real files (CrowdPose keeps COCO's 17-point skeleton for
        # 14 points); they are kept for export and left out of the ontology's template edges.
        pairs_ok = isinstance(skeleton, list) and all(
            isinstance(p, list) and len(p) == 2 and all(type(v) is int and v >= 1 for v in p)
            for p in skeleton
        )
        if not pairs_ok:
            check.reject_one(
                i,
                "skeleton",
                f"expected pairs of keypoint numbers (from 1), got {show_value(skeleton)}",
            )
    reject_duplicates(check, ids)
    by_name = np.array(names, dtype=object)
    reject_duplicates(check, by_name, "name")
    keep = check.valid
    order = np.argsort(ids[keep], kind="stable")
    table = CategoryTable(ids[keep][order], counts[keep][order])
    return [r for r, k in zip(records, keep, strict=True) if k], table


def read_coco_dataset(data: Any, *, source: str, problems: Problems) -> CocoDataset:
    """Check a parsed COCO dataset and return its valid records as columns.

    Raises ``ImportFormatError`` for the first bad record, unless ``problems.skip_invalid``
    (then bad records, and annotations of skipped images or categories, are dropped and counted).
    """
    if not isinstance(data, dict):
        hint = (
            " (this looks like a results list: import it with 'import coco-results')"
            if isinstance(data, list)
            else ""
        )
        raise ImportFormatError(
            f"{source}: expected a COCO dataset object with images, annotations and categories, "
            f"got {type(data).__name__}{hint}"
        )
    images, image_table = _read_images(
        _section(data, "images", source, required=True), source, problems
    )
    categories, category_table = _read_categories(
        _section(data, "categories", source, required=True), source, problems
    )
    annotations = read_annotation_records(
        _section(data, "annotations", source, required=False), source=source, section="annotations",
        images=image_table, categories=category_table, problems=problems, results=False,
    )  # fmt: skip
    header = {k: v for k, v in data.items() if k not in ("images", "annotations", "categories")}
    return CocoDataset(source, images, image_table, categories, category_table, annotations, header)


def read_coco_results(
    data: Any, *, source: str, images: ImageTable, categories: CategoryTable, problems: Problems
) -> CocoAnnotations:
    """Check a parsed COCO results list (``[{image_id, category_id, bbox | segmentation |
    keypoints, score}]``, or an object holding it under ``annotations``) against known images
    and categories."""
    if isinstance(data, dict) and isinstance(data.get("annotations"), list):
        data = data["annotations"]  # a dataset-shaped file of detections: its annotations
        section = "annotations"
    else:
        section = "results"
    if not isinstance(data, list):
        raise ImportFormatError(
            f"{source}: expected a list of result objects, got {type(data).__name__}"
        )
    return read_annotation_records(
        data, source=source, section=section, images=images, categories=categories,
        problems=problems, results=True,
    )  # fmt: skip


def read_annotation_records(
    records: list[Any],
    *,
    source: str,
    section: str,
    images: ImageTable,
    categories: CategoryTable,
    problems: Problems,
    results: bool,
) -> CocoAnnotations:
    """Check annotation records (dataset form, or results when ``results``) field by field."""
    check = RecordCheck(records, source=source, section=section, problems=problems)
    check_objects(check)
    check.prefetch()
    n = len(records)
    if results:
        image_values = field_values(check, "image_id")
        check.label = lambda i: (
            f" (image_id {show_value(image_values[i])})" if image_values[i] is not MISSING else ""
        )
        ids = np.arange(1, n + 1, dtype=np.int64)
    else:
        check.label = _id_label(field_values(check, "id"))
        ids = read_ids(check, "id")
    image_ids = read_ids(check, "image_id")
    image = images.positions(image_ids)
    check.reject(image < 0, "image_id", lambda i: f"unknown image id {image_ids[i]}")
    category_ids = read_ids(check, "category_id")
    category = categories.positions(category_ids)
    check.reject(category < 0, "category_id", lambda i: f"unknown category id {category_ids[i]}")
    # Any finite score: real detectors write scores above 1 (CrowdPose's) and pycocotools only
    # orders by them.
    score, _ = read_floats(check, "score", required=results)
    area, _ = read_floats(check, "area", required=False, low=0.0)
    iscrowd = read_flags(check, "iscrowd")
    segmentation = field_values(check, "segmentation")
    keypoints = field_values(check, "keypoints")
    has_shape = present(segmentation) | present(keypoints)
    bbox, _ = read_number_lists(check, "bbox", width=4, required=False)
    no_box = np.isnan(bbox[:, 0])
    check.reject(
        no_box & (~has_shape if results else np.ones(n, bool)),
        "bbox",
        lambda i: (
            "is missing"
            if records[i].get("bbox", MISSING) is MISSING
            else f"expected 4 finite numbers, got {show_value(records[i]['bbox'])}"
        ),
    )
    width = np.where(image >= 0, images.widths[np.maximum(image, 0)] if len(images.ids) else 0, 0)
    height = np.where(image >= 0, images.heights[np.maximum(image, 0)] if len(images.ids) else 0, 0)
    _check_boxes(check, bbox, width, height)
    _check_segmentations(check, segmentation, width, height)
    kp_counts = np.where(
        category >= 0,
        categories.keypoint_counts[np.maximum(category, 0)] if len(categories.ids) else 0,
        0,
    )
    _check_keypoints(check, keypoints, kp_counts, results=results)
    num_keypoints = field_values(check, "num_keypoints")
    for i in np.flatnonzero(present(num_keypoints) & check.valid):
        v = num_keypoints[i]
        if type(v) is not int or v < 0:
            check.reject_one(
                int(i), "num_keypoints", f"expected a non-negative integer, got {show_value(v)}"
            )
    if not results:
        reject_duplicates(check, ids)
    extras = _extras(records, check.valid, check.uniform_keys)
    keep = np.flatnonzero(check.valid)
    pick = keep.tolist()

    def column(values: list[Any]) -> list[Any]:
        if values.count(MISSING) == len(values):
            return [None] * len(pick)
        return [None if values[i] is MISSING else values[i] for i in pick]

    def rows(array: NDArray[Any]) -> NDArray[Any]:
        # Every record valid (the usual case): the columns are this call's own arrays.
        return array if len(keep) == n else array[keep]

    return CocoAnnotations(
        index=keep.astype(np.int64),
        ids=rows(ids),
        image=rows(image),
        category=rows(category),
        bbox=rows(bbox),
        area=rows(area),
        iscrowd=rows(iscrowd),
        score=rows(score),
        segmentation=column(segmentation),
        keypoints=column(keypoints),
        num_keypoints=column(num_keypoints),
        extras=[None] * len(pick)
        if extras.count(None) == len(extras)
        else [extras[i] for i in pick],
    )


def _extras(
    records: list[Any], valid: NDArray[np.bool_], uniform: frozenset[str] | None
) -> list[dict[str, Any] | None]:
    known = ANNOTATION_KEYS
    out: list[dict[str, Any] | None] = [None] * len(records)
    if uniform is not None and uniform <= known:
        return out
    for i, record in enumerate(records):
        if valid[i] and not known.issuperset(record):
            out[i] = {k: v for k, v in record.items() if k not in known}
    return out


def _check_boxes(
    check: RecordCheck,
    bbox: NDArray[np.float64],
    width: NDArray[np.int64],
    height: NDArray[np.int64],
) -> None:
    x, y, w, h = bbox.T
    with np.errstate(invalid="ignore"):
        negative = (w < 0) | (h < 0)
        check.reject(
            negative,
            "bbox",
            lambda i: f"width and height must be >= 0, got {show_value(bbox[i].tolist())}",
        )
        tol = BOX_TOLERANCE_PX
        outside = (x < -tol) | (y < -tol) | (x + w > width + tol) | (y + h > height + tol)
    check.reject(
        outside,
        "bbox",
        lambda i: (
            f"box {show_value(bbox[i].tolist())} lies outside the {width[i]}x{height[i]} image"
        ),
    )


def _polygon_problem(polygons: list[Any], width: int, height: int) -> str | None:
    for k, ring in enumerate(polygons):
        if not isinstance(ring, list) or not all(type(v) in (int, float) for v in ring):
            return f"polygon {k}: expected a list of numbers, got {show_value(ring)}"
        if len(ring) % 2:
            return f"polygon {k}: odd number of coordinates ({len(ring)})"
        if len(ring) < 6:
            return f"polygon {k} has {len(ring) // 2} points, expected at least 3"
        values = np.array(ring, dtype=np.float64)
        if not np.isfinite(values).all():
            return f"polygon {k}: coordinates must be finite"
        xs, ys = values[0::2], values[1::2]
        tol = BOX_TOLERANCE_PX
        if xs.min() < -tol or ys.min() < -tol or xs.max() > width + tol or ys.max() > height + tol:
            return f"polygon {k} lies outside the {width}x{height} image"
    return None


def _rle_problem(rle: dict[str, Any], width: int, height: int) -> str | None:
    size, counts = rle.get("size", MISSING), rle.get("counts", MISSING)
    if not (isinstance(size, list) and len(size) == 2 and all(type(v) is int for v in size)):
        return f"RLE size: expected [height, width] integers, got {show_value(size)}"
    if size != [height, width]:
        return f"RLE size {size} does not match the image's [height, width] [{height}, {width}]"
    if isinstance(counts, list):
        if not all(type(v) is int and v >= 0 for v in counts):
            return "RLE counts: expected non-negative integers"
        total = sum(counts)
    elif isinstance(counts, str) and counts.isascii():
        masks = decode_rle_strings([counts.encode()], np.array([height]), np.array([width]))
        total = int(masks.counts.sum())
    else:
        return f"RLE counts: expected a string or a list of integers, got {show_value(counts)}"
    if total != height * width:
        return f"RLE counts cover {total} pixels, the {width}x{height} image has {height * width}"
    return None


def _check_segmentations(
    check: RecordCheck, values: list[Any], width: NDArray[np.int64], height: NDArray[np.int64]
) -> None:
    for i in np.flatnonzero(present(values) & check.valid).tolist():
        seg = values[i]
        if isinstance(seg, list):
            problem = _polygon_problem(seg, int(width[i]), int(height[i]))
        elif isinstance(seg, dict):
            problem = _rle_problem(seg, int(width[i]), int(height[i]))
        else:
            problem = f"expected polygons or RLE, got {show_value(seg)}"
        if problem is not None:
            check.reject_one(i, "segmentation", problem)


def _check_keypoints(
    check: RecordCheck, values: list[Any], counts: NDArray[np.int64], *, results: bool
) -> None:
    # In results the third value of a triple is the model's per-point score (pycocotools ignores
    # it), so only ground truth must use the visibility codes 0, 1, 2.
    for i in np.flatnonzero(present(values) & check.valid).tolist():
        v = values[i]
        k = int(counts[i])
        if not isinstance(v, list) or not all(type(x) in (int, float) for x in v):
            check.reject_one(i, "keypoints", f"expected a list of numbers, got {show_value(v)}")
            continue
        if (k and len(v) != 3 * k) or len(v) % 3 or not v:
            expected = f"{3 * k} numbers (x, y, v for {k} keypoints)" if k else "x, y, v triples"
            check.reject_one(i, "keypoints", f"expected {expected}, got {len(v)} numbers")
            continue
        array = np.array(v, dtype=np.float64).reshape(-1, 3)
        if not np.isfinite(array).all():
            check.reject_one(i, "keypoints", "coordinates must be finite")
        elif not results and not np.isin(array[:, 2], (0, 1, 2)).all():
            check.reject_one(
                i,
                "keypoints",
                f"visibility must be 0, 1 or 2, got {show_value(array[:, 2].tolist())}",
            )
