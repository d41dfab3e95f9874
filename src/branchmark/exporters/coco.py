"""COCO export of a branch: the dataset form (images, categories, annotations) and the results form.

Rows imported from COCO carry their original COCO fields (``"coco"`` in the pixel geometry blob),
so ``import coco-dataset`` then ``export coco`` gives the same annotations back (ids aside, which
are renumbered 1..N): bbox, area, iscrowd, polygons, RLE (compressed or not) and keypoints.
Rows saved through the SDK (Encord normalised geometry) are converted: boxes and rotatable boxes
to ``bbox`` (the unrotated extent), polygons to polygon lists (holes are rasterised to RLE, which
COCO polygons cannot hold), bitmasks to RLE, skeletons to ``keypoints``.  Polylines and points
have no COCO form and are counted in ``skipped``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]  # ships no types

from branchmark.importers.targets import COCO_META_KEY, OntologyObjects
from branchmark.store import Store, catalog
from branchmark.store.annotations import read_annotations
from branchmark.store.codec import decode_geometry
from branchmark.store.records import DataUnitRecord

COLUMNS = (
    "data_unit_id",
    "frame",
    "feature_hash",
    "shape",
    "x",
    "y",
    "w",
    "h",
    "area",
    "iscrowd",
    "confidence",
    "geometry",
)
VISIBILITY_CODES = {"visible": 2, "occluded": 1, "invisible": 0, "selfOccluded": 1}


def coco_image_ids(
    units: list[DataUnitRecord],
) -> tuple[list[dict[str, Any]], dict[tuple[int, int], Any]]:
    """Image records and ``(data_unit_id, frame) -> image id``: recorded COCO ids first."""
    records: list[dict[str, Any]] = []
    ids: dict[tuple[int, int], Any] = {}
    pending: list[tuple[DataUnitRecord, int]] = []
    for unit in units:
        recorded = (unit.client_metadata or {}).get("coco_image")
        if isinstance(recorded, dict) and "id" in recorded:
            ids[(unit.id, 0)] = recorded["id"]
            records.append(recorded)
        else:
            pending.extend((unit, f) for f in range(unit.frames))
    next_id = max((i for i in ids.values() if isinstance(i, int)), default=0) + 1
    for unit, frame in pending:
        width, height = unit.frame_size(frame)
        name = unit.frame_media[frame].title if unit.frame_media else unit.title
        if unit.frames > 1 and not unit.frame_media:
            name = f"{unit.title}#{frame}"
        records.append({"id": next_id, "file_name": name, "width": width, "height": height})
        ids[(unit.id, frame)] = next_id
        next_id += 1
    return records, ids


def coco_categories(
    ontology: OntologyObjects, recorded: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Category records and ``feature hash -> category id``: recorded COCO categories first."""
    records, ids = [], {}
    for category in recorded:
        ids[category["feature_hash"]] = category["id"]
        records.append({k: v for k, v in category.items() if k != "feature_hash"})
    next_id = max((i for i in ids.values() if isinstance(i, int)), default=0) + 1
    for cls in ontology.classes:
        if cls.feature_hash in ids:
            continue
        record: dict[str, Any] = {"id": next_id, "name": cls.name, "supercategory": ""}
        if cls.template:
            vertices = list(cls.template.get("skeleton", {}).values())
            record["keypoints"] = [v.get("name", "") for v in vertices]
            record["skeleton"] = [
                [int(a) + 1, int(b) + 1]
                for a, ends in cls.template.get("skeletonEdges", {}).items()
                for b in ends
            ]
        ids[cls.feature_hash] = next_id
        records.append(record)
        next_id += 1
    return records, ids


def _encord_rle_to_coco(bitmask: dict[str, Any]) -> dict[str, Any]:
    height, width = int(bitmask["height"]), int(bitmask["width"])
    # Encord's rleString is pycocotools' counts of the transposed mask (ENCORD_COMPAT s.5).
    transposed = mask_utils.decode(
        {"size": [width, height], "counts": bitmask["rleString"].encode()}
    )
    rle = mask_utils.encode(np.asfortranarray(transposed.T))
    return {"size": [height, width], "counts": rle["counts"].decode()}


def _polygons_to_coco(
    polygons: list[list[list[float]]], width: float, height: float, scale: bool
) -> Any:
    sx, sy = (width, height) if scale else (1.0, 1.0)
    rings = [
        [[v * (sx if i % 2 == 0 else sy) for i, v in enumerate(ring)] for ring in poly]
        for poly in polygons
    ]
    if all(len(poly) == 1 for poly in rings):
        return [poly[0] for poly in rings]
    # Holes: COCO polygon lists are a union, so rasterise outer rings minus holes to RLE.
    h, w = int(height), int(width)
    mask = np.zeros((h, w), dtype=np.uint8)
    for poly in rings:
        outer = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([poly[0]], h, w)))
        holes = [
            mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects([r], h, w))) for r in poly[1:]
        ]
        region = outer.astype(bool)
        for hole in holes:
            region &= ~hole.astype(bool)
        mask |= region.astype(np.uint8)
    rle = mask_utils.encode(np.asfortranarray(mask))
    return {"size": [h, w], "counts": rle["counts"].decode()}


def _segment(
    shape: str, kind: str, payload: dict[str, Any], width: float, height: float
) -> dict[str, Any] | None:
    """COCO fields (segmentation / keypoints) of a row without recorded COCO fields; None when
    the shape has no COCO form."""
    if shape in ("bounding_box", "rotatable_bounding_box"):
        return {}
    if shape == "polygon":
        polygons = payload.get("polygons") or []
        return {"segmentation": _polygons_to_coco(polygons, width, height, scale=kind == "N")}
    if shape == "bitmask":
        return {
            "segmentation": payload["rle"]
            if kind == "P"
            else _encord_rle_to_coco(payload["bitmask"])
        }
    if shape == "skeleton" and "skeleton" in payload:
        points = [payload["skeleton"][k] for k in sorted(payload["skeleton"], key=int)]
        flat: list[float] = []
        for p in points:
            flat += [
                p["x"] * width,
                p["y"] * height,
                VISIBILITY_CODES.get(p.get("visibility", "visible"), 2),
            ]
        return {"keypoints": flat, "num_keypoints": sum(1 for v in flat[2::3] if v > 0)}
    return None


def _rows(store: Store, project: str, branch: str) -> Iterator[Any]:
    with store.read() as conn:
        record = catalog.get_project(conn, project)
        ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, record.id))
        main = catalog.get_branch(conn, record.id, catalog.MAIN_BRANCH)
        recorded = main.meta.get(COCO_META_KEY, {})
        target = catalog.get_branch(conn, record.id, branch)
        units = catalog.get_data_units(conn, record.id)
        arrays = read_annotations(conn, branch_id=target.id, columns=COLUMNS)
    yield ontology, recorded, units, arrays


def _annotations(
    arrays: dict[str, Any],
    units: list[DataUnitRecord],
    image_ids: dict[tuple[int, int], Any],
    category_ids: dict[str, Any],
    *,
    results: bool,
) -> tuple[list[dict[str, Any]], int]:
    by_id = {u.id: u for u in units}
    out: list[dict[str, Any]] = []
    skipped = 0
    n = len(arrays["frame"])
    unit_ids, frames = arrays["data_unit_id"].tolist(), arrays["frame"].tolist()
    features, shapes = arrays["feature_hash"].tolist(), arrays["shape"].tolist()
    boxes = np.stack([arrays[k] for k in ("x", "y", "w", "h")], axis=1).tolist() if n else []
    areas, crowd, conf = (
        arrays["area"].tolist(),
        arrays["iscrowd"].tolist(),
        arrays["confidence"].tolist(),
    )
    geometry = arrays["geometry"]
    for k in range(n):
        kind, payload = decode_geometry(geometry[k])
        coco = payload.get("coco")
        base: dict[str, Any] = {
            "image_id": image_ids[(unit_ids[k], frames[k])],
            "category_id": category_ids[features[k]],
        }
        if coco is not None:
            fields = dict(coco)
        else:
            width, height = by_id[unit_ids[k]].frame_size(frames[k])
            derived = _segment(shapes[k], kind, payload, float(width or 0), float(height or 0))
            if derived is None:
                skipped += 1
                continue
            fields = derived
        derived_keys = set(fields.pop("derived", []))
        if results:
            ann = {**base}
            if "bbox" not in derived_keys:
                ann["bbox"] = boxes[k]
            for key in ("segmentation", "keypoints"):
                if key in fields:
                    ann[key] = fields[key]
            ann["score"] = conf[k]
        else:
            ann = {"id": len(out) + 1, **base, "bbox": boxes[k], **fields, "iscrowd": int(crowd[k])}
            if not math.isnan(areas[k]):
                ann["area"] = areas[k]
        out.append(ann)
    return out, skipped


def export_coco_dataset(
    store: Store, *, project: str, branch: str = catalog.MAIN_BRANCH
) -> tuple[dict[str, Any], int]:
    """The branch as a COCO dataset dict, and how many rows had no COCO form (skipped).

    Examples
    --------
    >>> # dataset, skipped = export_coco_dataset(store, project="coco-val")
    """
    ontology, recorded, units, arrays = next(_rows(store, project, branch))
    images, image_ids = coco_image_ids(units)
    categories, category_ids = coco_categories(ontology, recorded.get("categories", []))
    annotations, skipped = _annotations(arrays, units, image_ids, category_ids, results=False)
    header = dict(recorded.get("header", {}))
    return {
        **header,
        "images": images,
        "annotations": annotations,
        "categories": categories,
    }, skipped


def export_coco_results(
    store: Store, *, project: str, branch: str
) -> tuple[list[dict[str, Any]], int]:
    """The branch as a COCO results list (``score`` = confidence), and the skipped count."""
    ontology, recorded, units, arrays = next(_rows(store, project, branch))
    _, image_ids = coco_image_ids(units)
    _, category_ids = coco_categories(ontology, recorded.get("categories", []))
    return _annotations(arrays, units, image_ids, category_ids, results=True)


def dumps(value: Any) -> bytes:
    """COCO JSON bytes (orjson: float64 values written so they read back exactly)."""
    return orjson.dumps(value)
