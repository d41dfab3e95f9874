"""Checked COCO annotations to annotation rows, by the shape of each category's ontology object.

Follows ENCORD_COMPAT section 6: ``bounding_box`` takes ``bbox``; ``polygon`` takes COCO polygon
lists (one polygon of one ring per list), or RLE traced into rings with OpenCV (outer rings and
holes), or a rectangle from ``bbox``; ``bitmask`` needs RLE; ``skeleton`` (our addition) takes
``keypoints``.  Any other shape is refused.  Geometry is kept in pixels (``codec.encode_pixels``)
with the original COCO fields under ``"coco"`` so a COCO export gives back exactly what came in.

Boxes-only input (the million-prediction case) takes a vectorised path with no per-record Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]  # ships no types

from branchmark.importers.coco_format import CocoAnnotations
from branchmark.importers.report import Problems
from branchmark.importers.targets import AnnotationRows, FrameTarget, ObjectClass
from branchmark.store import codec

VISIBILITY_NAMES = {2: "visible", 1: "occluded", 0: "invisible"}
"""COCO keypoint visibility -> Encord skeleton ``visibility`` (geometry.keypoints maps back)."""

SUPPORTED_SHAPES = ("bounding_box", "polygon", "bitmask", "skeleton")


class ShapeProblem(Exception):
    """A record whose geometry does not fit its category's shape (message is the problem)."""


def coco_rle(segmentation: dict[str, Any]) -> dict[str, Any]:
    """pycocotools' compressed RLE of a COCO RLE (compressed or uncompressed counts)."""
    height, width = segmentation["size"]
    counts = segmentation["counts"]
    if isinstance(counts, list):
        return mask_utils.frPyObjects(segmentation, height, width)  # type: ignore[no-any-return]
    return {
        "size": [height, width],
        "counts": counts.encode() if isinstance(counts, str) else counts,
    }


def trace_polygons(segmentation: dict[str, Any]) -> list[list[list[float]]]:
    """Rings of a COCO RLE mask, as the Encord importer does (``cv2.findContours``, outer rings
    with their holes); pixel coordinates, rings of fewer than 3 points dropped.

    >>> rle = mask_utils.encode(np.asfortranarray(np.pad(np.ones((3, 4), np.uint8), 1)))
    >>> trace_polygons({"size": rle["size"], "counts": rle["counts"].decode()})
    [[[1.0, 1.0, 1.0, 3.0, 4.0, 3.0, 4.0, 1.0]]]
    """
    mask = np.ascontiguousarray(mask_utils.decode(coco_rle(segmentation)))
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    polygons: list[list[list[float]]] = []
    for index, contour in enumerate(contours):
        if hierarchy[0, index, 3] != -1 or len(contour) < 3:
            continue
        rings = [contour.reshape(-1).astype(np.float64).tolist()]
        child = hierarchy[0, index, 2]
        while child != -1:
            if len(contours[child]) >= 3:
                rings.append(contours[child].reshape(-1).astype(np.float64).tolist())
            child = hierarchy[0, child, 0]
        polygons.append(rings)
    return polygons


def _skeleton(
    keypoints: list[float], template: dict[str, Any] | None, width: int, height: int
) -> dict[str, Any]:
    vertices = list((template or {}).get("skeleton", {}).values())
    points = np.array(keypoints, dtype=np.float64).reshape(-1, 3)
    if len(vertices) != len(points):
        raise ShapeProblem(f"{len(points)} keypoints, the ontology's skeleton has {len(vertices)}")
    out = {}
    for k, ((x, y, v), vertex) in enumerate(zip(points.tolist(), vertices, strict=True)):
        out[str(k)] = {
            "x": x / width,
            "y": y / height,
            "name": vertex.get("name", str(k)),
            "color": vertex.get("color", "#000000"),
            "featureHash": vertex.get("featureHash", ""),
            "value": vertex.get("value", ""),
            "visibility": VISIBILITY_NAMES[int(v)]
            if v in VISIBILITY_NAMES
            else ("visible" if v > 0 else "invisible"),
        }
    return out


def _geometry(
    cls: ObjectClass,
    seg: Any,
    keypoints: Any,
    box: NDArray[np.float64],
    coco: dict[str, Any],
    target: FrameTarget,
) -> tuple[dict[str, Any], NDArray[np.float64]]:
    """Pixel payload and ``xywh`` box of one record (``box`` may be NaN when not given)."""
    shape = cls.shape
    if shape == "bounding_box":
        if np.isnan(box[0]):
            if isinstance(seg, dict) or (isinstance(seg, list) and seg):
                box = mask_utils.toBbox(_rle_of(seg, target)).astype(np.float64).reshape(4)
            else:
                raise ShapeProblem("a bounding_box object needs a bbox")
        return {"coco": coco} if coco else {}, box
    if shape == "polygon":
        if isinstance(seg, list) and seg:
            polygons = [[ring] for ring in seg]
        elif isinstance(seg, dict):
            polygons = trace_polygons(seg)
        elif not np.isnan(box[0]):
            x, y, w, h = box.tolist()
            polygons = [[[x, y, x + w, y, x + w, y + h, x, y + h]]]
        else:
            raise ShapeProblem("a polygon object needs a segmentation or a bbox")
        if np.isnan(box[0]):
            box = mask_utils.toBbox(_rle_of(seg, target)).astype(np.float64).reshape(4)
        return {"polygons": polygons, "coco": coco}, box
    if shape == "bitmask":
        if not isinstance(seg, dict):
            raise ShapeProblem(
                "Expected format was an RLE: a bitmask object needs an RLE segmentation"
            )
        if np.isnan(box[0]):
            box = mask_utils.toBbox(coco_rle(seg)).astype(np.float64).reshape(4)
        return {"rle": seg, "coco": coco}, box
    if shape == "skeleton":
        if not isinstance(keypoints, list):
            raise ShapeProblem("a skeleton object needs keypoints")
        skeleton = _skeleton(keypoints, cls.template, target.width, target.height)
        if np.isnan(box[0]):
            points = np.array(keypoints, dtype=np.float64).reshape(-1, 3)
            x0, y0 = points[:, 0].min(), points[:, 1].min()
            box = np.array([x0, y0, points[:, 0].max() - x0, points[:, 1].max() - y0])
        return {"keypoints": keypoints, "skeleton": skeleton, "coco": coco}, box
    raise ShapeProblem(f"Ontology objects of shape {shape!r} are not supported for COCO import")


def _rle_of(seg: Any, target: FrameTarget) -> dict[str, Any]:
    if isinstance(seg, dict):
        return coco_rle(seg)
    return mask_utils.merge(mask_utils.frPyObjects(seg, target.height, target.width))  # type: ignore[no-any-return]


def _derived_area(
    seg: Any, box_given: bool, box: NDArray[np.float64], target: FrameTarget
) -> float:
    """The area ``COCO.loadRes`` gives a result: of its bbox when it has one, else of its
    segmentation's mask, else of its keypoints' extent (decided per record, not by the first)."""
    if not box_given and seg is not None and not (isinstance(seg, list) and not seg):
        return float(mask_utils.area(_rle_of(seg, target)))
    return float(box[2] * box[3])


def build_rows(
    anns: CocoAnnotations,
    *,
    targets: Sequence[FrameTarget],
    classes: Sequence[ObjectClass | None],
    manual: bool,
    results: bool,
    problems: Problems,
    name_record: Callable[[int], str],
    confidence: NDArray[np.float64] | None = None,
) -> AnnotationRows:
    """Annotation rows of ``anns``: ``targets[image]`` / ``classes[category]`` by table row.

    A class of None (an unmapped category) or a geometry that does not fit the class's shape
    goes to ``problems`` (error, or skipped) with ``name_record(k)`` naming record ``k``.
    ``confidence`` defaults to the record's ``score`` (1.0 where absent).
    """
    n = len(anns)
    target_unit = np.array([t.data_unit_id for t in targets], dtype=np.int64)
    target_frame = np.array([t.frame for t in targets], dtype=np.int64)
    feature = np.array([c.feature_hash if c else "" for c in classes], dtype=object)
    shape = np.array([c.shape if c else "" for c in classes], dtype=object)
    keep = np.ones(n, dtype=bool)
    missing = (
        np.array([c is None for c in classes], dtype=bool)[anns.category]
        if n
        else np.zeros(0, bool)
    )
    for k in np.flatnonzero(missing).tolist():
        problems.fail(
            f'{name_record(k)}: field "category_id": category is not mapped to an ontology object'
        )
        keep[k] = False
    box = anns.bbox.copy()
    area = anns.area.copy()
    geometry: list[bytes | None] | None = None
    simple = (
        all(s is None for s in anns.segmentation)
        and all(k is None for k in anns.keypoints)
        and all(e is None for e in anns.extras)
        and set(shape[anns.category].tolist()) <= {"bounding_box"}
    )
    if not simple:
        geometry = [None] * n
        for k in range(n):
            if not keep[k]:
                continue
            cls = classes[int(anns.category[k])]
            assert cls is not None  # unmapped classes were dropped above
            target = targets[int(anns.image[k])]
            seg, kps = anns.segmentation[k], anns.keypoints[k]
            coco: dict[str, Any] = dict(anns.extras[k] or {})
            for key, value in (
                ("segmentation", seg),
                ("keypoints", kps),
                ("num_keypoints", anns.num_keypoints[k]),
            ):
                if value is not None:
                    coco[key] = value
            if np.isnan(anns.bbox[k, 0]):
                coco["derived"] = ["bbox"]  # a result without bbox: not written back on export
            try:
                payload, box[k] = _geometry(cls, seg, kps, anns.bbox[k], coco, target)
            except ShapeProblem as exc:
                field = "keypoints" if cls.shape == "skeleton" else "segmentation"
                problems.fail(f'{name_record(k)}: field "{field}": {exc}')
                keep[k] = False
                continue
            if results and np.isnan(area[k]):
                area[k] = _derived_area(seg, not np.isnan(anns.bbox[k, 0]), box[k], target)
            geometry[k] = codec.encode_pixels(payload)
    elif results:
        missing_area = np.isnan(area)
        area[missing_area] = box[missing_area, 2] * box[missing_area, 3]
    score = np.where(np.isnan(anns.score), 1.0, anns.score) if confidence is None else confidence
    rows = AnnotationRows(
        data_unit_id=target_unit[anns.image] if n else np.zeros(0, np.int64),
        frame=target_frame[anns.image] if n else np.zeros(0, np.int64),
        feature_hash=feature[anns.category] if n else np.zeros(0, object),
        shape=shape[anns.category] if n else np.zeros(0, object),
        x=box[:, 0], y=box[:, 1], w=box[:, 2], h=box[:, 3], area=area, iscrowd=anns.iscrowd,
        confidence=score, manual=np.full(n, manual), geometry=geometry,
    )  # fmt: skip
    return rows if keep.all() else rows.take(np.flatnonzero(keep))
