"""What an analysis reads: both branches' objects as arrays, in bulk, plus their pixel geometry.

One ``SELECT`` per branch for the numeric columns and class positions
(``store.analysis_reads.read_branch_columns``, in ``id`` order); the geometry blobs are read
only for classes whose shape needs more than the ``x, y, w, h, theta`` columns (polygons,
bitmasks, polylines, skeletons).  Normalised (SDK-saved) geometry is turned into frame pixels
here, once: the boundary where rows become arrays (STYLE "Geometry").

Evaluation images are ``(data unit, frame)`` pairs ordered by COCO image id when every data
unit came from a COCO dataset import (so score ties break as ``COCOeval.accumulate`` breaks
them), else by data unit id; then by frame.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from numpy.typing import NDArray
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]  # ships no types

from branchmark.errors import OntologyMismatch
from branchmark.geometry.keypoints import VISIBILITY_CODES
from branchmark.store import codec
from branchmark.store import schema as t
from branchmark.store.analysis_reads import read_branch_columns, unknown_feature_hashes
from branchmark.store.annotations import read_annotations

#: Shapes whose similarity needs the geometry blob (the others live in the numeric columns).
BLOB_SHAPES = frozenset({"polygon", "bitmask", "polyline", "skeleton"})
MASK_SHAPES = frozenset({"polygon", "bitmask"})


@dataclasses.dataclass(frozen=True)
class ObjectClasses:
    """The ontology's top-level objects: class position ``k`` is ``feature_hashes[k]``."""

    feature_hashes: tuple[str, ...]
    names: tuple[str, ...]
    shapes: tuple[str, ...]
    attributes: tuple[tuple[Mapping[str, Any], ...], ...]

    @classmethod
    def from_ontology(cls, ontology: Mapping[str, Any]) -> ObjectClasses:
        objects = list(ontology.get("objects", []))
        return cls(
            tuple(str(o["featureNodeHash"]) for o in objects),
            tuple(str(o.get("name", "")) for o in objects),
            tuple(str(o.get("shape", "")) for o in objects),
            tuple(tuple(o.get("attributes", [])) for o in objects),
        )


@dataclasses.dataclass(frozen=True)
class BranchObjects:
    """One branch's objects (``N``) as columns; geometry in frame pixels.

    ``image`` is the evaluation-image position; ``category`` the class position (its shape is
    ``class_shapes[category]``); ``box`` ``(N, 4)`` ``xyxy``; ``box_xywh`` ``(N, 4)`` the stored
    ``x, y, w, h`` themselves (OKS of GT without labelled points grows this box as computeOks
    grows the COCO ``bbox``, and ``(x + w) - x`` may differ from ``w`` in the last bit);
    ``box_area`` ``w*h`` (COCO's box-IoU union term); ``geometry`` holds per-object pixel
    payloads for :data:`BLOB_SHAPES` objects (``None`` elsewhere): ``{"mask": coco_rle}``,
    ``{"keypoints": (K, 3) array, "names": [...], "num_keypoints": int}`` (COCO's
    ``num_keypoints`` when the import kept it, else the points with visibility > 0),
    ``{"points": (P, 2) array}``.  ``crowd`` is
    read for ground truth only and ``score`` for predictions only (the other side holds False /
    1.0).
    """

    annotation_id: NDArray[np.int64]
    data_unit_id: NDArray[np.int64]
    frame: NDArray[np.int64]
    image: NDArray[np.int64]
    category: NDArray[np.int64]
    box: NDArray[np.float64]
    box_xywh: NDArray[np.float64]
    box_area: NDArray[np.float64]
    theta: NDArray[np.float64]
    area: NDArray[np.float64]
    crowd: NDArray[np.bool_]
    score: NDArray[np.float64]
    geometry: list[dict[str, Any] | None]
    class_shapes: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.annotation_id)

    def shapes_present(self) -> set[str]:
        """The shapes of the classes that have objects here."""
        return {self.class_shapes[int(k)] for k in np.unique(self.category)}


def read_unit_layout(
    conn: sa.Connection, project_id: int
) -> tuple[dict[tuple[int, int], tuple[int, int]], dict[int, tuple[int, Any]]]:
    """``(sizes, order)`` of the project's data units, in two plain queries.

    ``sizes`` maps ``(data unit id, frame)`` (frame -1: every frame of the unit) to ``(width,
    height)``; ``order`` maps a unit to its sort key: its COCO image id when every unit has one
    (``client_metadata["coco_image"]["id"]``, set by the COCO dataset import), else its id.
    """
    du, f = t.data_units, t.data_unit_frames
    sizes: dict[tuple[int, int], tuple[int, int]] = {}
    coco: dict[int, Any] = {}
    for unit, width, height, meta in conn.execute(
        sa.select(du.c.id, du.c.width, du.c.height, du.c.client_metadata).where(
            du.c.project_id == project_id
        )
    ):
        if width and height:
            sizes[(int(unit), -1)] = (int(width), int(height))
        record = orjson.loads(meta).get("coco_image") if meta else None
        coco[int(unit)] = record.get("id") if isinstance(record, dict) else None
    for unit, frame, width, height in conn.execute(
        sa.select(f.c.data_unit_id, f.c.frame, f.c.width, f.c.height)
        .join(du, du.c.id == f.c.data_unit_id)
        .where(du.c.project_id == project_id)
    ):
        sizes[(int(unit), int(frame))] = (int(width), int(height))
    if coco and all(isinstance(i, int) for i in coco.values()):
        return sizes, {u: (0, i) for u, i in coco.items()}
    return sizes, {u: (1, u) for u in coco}


def size_of(
    sizes: Mapping[tuple[int, int], tuple[int, int]], unit: int, frame: int
) -> tuple[int, int]:
    found = sizes.get((unit, frame)) or sizes.get((unit, -1))
    if found is None:
        raise OntologyMismatch(f"data unit {unit} frame {frame}: the frame size is unknown")
    return found


def _keypoints(payload: Mapping[str, Any], marker: str, size: tuple[int, int]) -> dict[str, Any]:
    given = None
    if marker == "P" and "keypoints" in payload:
        points = np.asarray(payload["keypoints"], dtype=np.float64).reshape(-1, 3)
        names = [str(v.get("name", i)) for i, v in enumerate(payload.get("skeleton", {}).values())]
        # COCOeval._prepare reads the record's num_keypoints, not the visibilities (as
        # evaluation.records.read_ground_truth does); the COCO import keeps the field.
        given = payload.get("coco", {}).get("num_keypoints")
    else:
        skeleton = payload.get("skeleton", {})
        vertices = (
            [skeleton[k] for k in sorted(skeleton, key=int)]
            if isinstance(skeleton, dict)
            else skeleton
        )
        w, h = size
        codes = [VISIBILITY_CODES.get(str(v.get("visibility", "visible")), 2) for v in vertices]
        points = np.array(
            [[v["x"] * w, v["y"] * h, c] for v, c in zip(vertices, codes, strict=True)],
            dtype=np.float64,
        ).reshape(-1, 3)
        names = [str(v.get("name", i)) for i, v in enumerate(vertices)]
    labelled = int(np.count_nonzero(points[:, 2] > 0)) if given is None else int(given)
    return {"keypoints": points, "names": names, "num_keypoints": labelled}


def _polygon_rle(polygons: Sequence[Sequence[Sequence[float]]], w: int, h: int) -> dict[str, Any]:
    """Union of the polygons, each outer ring minus its holes, rasterised as pycocotools does."""
    rings = [list(map(float, ring)) for poly in polygons for ring in poly[:1] if len(ring) >= 6]
    if not any(len(poly) > 1 for poly in polygons):
        if not rings:
            return mask_utils.encode(np.zeros((h, w), np.uint8, order="F"))  # type: ignore[no-any-return]
        return mask_utils.merge(mask_utils.frPyObjects(rings, h, w))  # type: ignore[no-any-return]
    mask = np.zeros((h, w), dtype=bool)
    for poly in polygons:
        outer = [list(map(float, r)) for r in poly[:1] if len(r) >= 6]
        holes = [list(map(float, r)) for r in poly[1:] if len(r) >= 6]
        if not outer:
            continue
        filled = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(outer, h, w))).astype(
            bool
        )
        if holes:
            filled &= ~mask_utils.decode(
                mask_utils.merge(mask_utils.frPyObjects(holes, h, w))
            ).astype(bool)
        mask |= filled
    return mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))  # type: ignore[no-any-return]


def _mask(payload: Mapping[str, Any], marker: str, size: tuple[int, int]) -> dict[str, Any]:
    w, h = size
    original = payload.get("coco", {}).get("segmentation") if marker == "P" else None
    if isinstance(original, dict):  # COCO RLE, exactly as COCO.annToRLE reads it
        counts = original["counts"]
        if isinstance(counts, list):
            return mask_utils.frPyObjects(original, *original["size"])  # type: ignore[no-any-return]
        return {
            "size": original["size"],
            "counts": counts.encode() if isinstance(counts, str) else counts,
        }
    if isinstance(original, list) and original:
        return mask_utils.merge(mask_utils.frPyObjects(original, h, w))  # type: ignore[no-any-return]
    if marker == "P" and "rle" in payload:
        return _mask({"coco": {"segmentation": payload["rle"]}}, "P", size)
    if marker == "P":
        return _polygon_rle(payload.get("polygons", []), w, h)
    if "bitmask" in payload:  # Encord's rleString is COCO counts of the transposed mask
        b = payload["bitmask"]
        transposed = mask_utils.decode(
            {"size": [int(b["width"]), int(b["height"])], "counts": str(b["rleString"]).encode()}
        )
        return mask_utils.encode(np.asfortranarray(transposed.T))  # type: ignore[no-any-return]
    polygons = payload.get("polygons")
    if not polygons and "polygon" in payload:
        pts = payload["polygon"]
        pts = [pts[k] for k in sorted(pts, key=int)] if isinstance(pts, dict) else pts
        polygons = [[[c for p in pts for c in (p["x"], p["y"])]]]
    scaled = [
        [[v * (w if i % 2 == 0 else h) for i, v in enumerate(ring)] for ring in poly]
        for poly in polygons or []
    ]
    return _polygon_rle(scaled, w, h)


def _polyline(payload: Mapping[str, Any], marker: str, size: tuple[int, int]) -> dict[str, Any]:
    if marker == "P":
        return {"points": np.asarray(payload.get("points", []), dtype=np.float64).reshape(-1, 2)}
    pts = payload.get("polyline", {})
    pts = [pts[k] for k in sorted(pts, key=int)] if isinstance(pts, dict) else pts
    w, h = size
    return {
        "points": np.array([[p["x"] * w, p["y"] * h] for p in pts], dtype=np.float64).reshape(-1, 2)
    }


def pixel_geometry(shape: str, blob: bytes | None, size: tuple[int, int]) -> dict[str, Any]:
    """The pixel payload of one :data:`BLOB_SHAPES` object (see :class:`BranchObjects`)."""
    marker, payload = codec.decode_geometry(blob)
    if shape in MASK_SHAPES:
        return {"mask": _mask(payload, marker, size)}
    if shape == "skeleton":
        return _keypoints(payload, marker, size)
    return _polyline(payload, marker, size)


@dataclasses.dataclass(frozen=True)
class BranchRows:
    """One branch's rows as read (``id`` order): the numeric columns and class positions."""

    columns: dict[str, NDArray[Any]]
    category: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.category)


def read_branch_rows(
    conn: sa.Connection,
    *,
    branch_id: int,
    branch_name: str,
    classes: ObjectClasses,
    ground_truth: bool,
) -> BranchRows:
    """Every object of the branch, in ``id`` order, one ``SELECT`` (``store.analysis_reads``).

    Ground truth reads ``iscrowd``, predictions ``confidence``; ``theta`` only when a class is
    a rotatable box.  An object whose feature hash is not an ontology object raises
    ``OntologyMismatch`` naming the branch and the hash.
    """
    names = ["id", "data_unit_id", "frame", "x", "y", "w", "h", "area"]
    names.append("iscrowd" if ground_truth else "confidence")
    if "rotatable_bounding_box" in classes.shapes:
        names.append("theta")
    cols, category = read_branch_columns(
        conn, branch_id=branch_id, feature_hashes=classes.feature_hashes, columns=names
    )
    if (category < 0).any():
        unknown = unknown_feature_hashes(
            conn, branch_id=branch_id, feature_hashes=classes.feature_hashes
        )
        raise OntologyMismatch(
            f"branch {branch_name!r}: objects of feature hash {unknown[0]!r} are not in the "
            "ontology"
        )
    return BranchRows(cols, category)


def image_positions(
    rows: Sequence[BranchRows], order: Mapping[int, tuple[int, Any]]
) -> tuple[list[NDArray[np.int64]], list[tuple[int, int]]]:
    """``(image per object of each branch, image keys)``: evaluation images are the distinct
    ``(data unit, frame)`` of all branches, ordered by the unit's sort key in ``order`` (units
    missing from it last, by id), then by unit id, then frame."""
    unit = np.concatenate([r.columns["data_unit_id"] for r in rows])
    frame = np.concatenate([r.columns["frame"] for r in rows])
    units = np.unique(unit)
    ranked = sorted(units.tolist(), key=lambda u: (order.get(u, (2, u)), u))
    rank = np.empty(len(units), np.int64)
    rank[np.searchsorted(units, np.asarray(ranked, np.int64))] = np.arange(len(units))
    span = int(frame.max(initial=0)) + 1
    key = rank[np.searchsorted(units, unit)] * span + frame
    distinct, image = np.unique(key, return_inverse=True)
    image = image.reshape(-1).astype(np.int64)
    by_rank = np.asarray(ranked, np.int64)
    keys = list(zip(by_rank[distinct // span].tolist(), (distinct % span).tolist(), strict=True))
    cuts = np.cumsum([len(r) for r in rows])[:-1]
    return list(np.split(image, cuts)), keys


def branch_objects(
    conn: sa.Connection,
    rows: BranchRows,
    *,
    branch_id: int,
    image: NDArray[np.int64],
    index: NDArray[np.int64] | None,
    classes: ObjectClasses,
    sizes: Mapping[tuple[int, int], tuple[int, int]],
) -> BranchObjects:
    """:class:`BranchObjects` of the rows at ``index`` (all, in read order, when ``None``),
    with the pixel geometry of :data:`BLOB_SHAPES` objects read from their blobs."""
    cols = rows.columns

    def pick(values: NDArray[Any]) -> NDArray[Any]:
        return values if index is None else values[index]

    n = len(rows)
    category, image = pick(rows.category), pick(image)
    x, y, w, h = (pick(cols[k]) for k in ("x", "y", "w", "h"))
    ids, unit, frame = pick(cols["id"]), pick(cols["data_unit_id"]), pick(cols["frame"])
    geometry: list[dict[str, Any] | None] = [None] * n
    blob_classes = [k for k, s in enumerate(classes.shapes) if s in BLOB_SHAPES]
    need = np.flatnonzero(np.isin(category, blob_classes)) if blob_classes else np.zeros(0, int)
    if len(need):
        extra = read_annotations(
            conn,
            branch_id=branch_id,
            columns=("id", "geometry"),
            feature_hashes=[classes.feature_hashes[k] for k in blob_classes],
        )
        blobs = dict(zip(extra["id"].tolist(), extra["geometry"].tolist(), strict=True))
        for i in need.tolist():
            u, f = int(unit[i]), int(frame[i])
            geometry[i] = pixel_geometry(
                classes.shapes[int(category[i])], blobs.get(int(ids[i])), size_of(sizes, u, f)
            )
    area = pick(cols["area"])
    return BranchObjects(
        annotation_id=ids,
        data_unit_id=unit,
        frame=frame,
        image=image,
        category=category,
        box=np.stack([x, y, x + w, y + h], axis=1).reshape(n, 4),
        box_xywh=np.stack([x, y, w, h], axis=1).reshape(n, 4),
        box_area=w * h,
        theta=np.nan_to_num(pick(cols["theta"]), nan=0.0) if "theta" in cols else np.zeros(n),
        # SDK-saved shapes may have no area: the extent's, as COCO.loadRes gives results.
        area=np.where(np.isnan(area), w * h, area),
        crowd=pick(cols["iscrowd"]) if "iscrowd" in cols else np.zeros(n, bool),
        score=(
            np.nan_to_num(pick(cols["confidence"]), nan=1.0) if "confidence" in cols else np.ones(n)
        ),
        geometry=geometry,
        class_shapes=classes.shapes,
    )


def read_answer_rows(
    conn: sa.Connection, *, branch_id: int
) -> dict[str, tuple[list[Any], list[Any]]]:
    """Object hash -> (static answer entries, dynamic action entries) for the branch."""
    oa = t.object_answers
    out: dict[str, tuple[list[Any], list[Any]]] = {}
    for object_hash, answers, actions in conn.execute(
        sa.select(oa.c.object_hash, oa.c.answers, oa.c.actions).where(oa.c.branch_id == branch_id)
    ):
        static = orjson.loads(answers).get("classifications", []) if answers else []
        dynamic = orjson.loads(actions).get("actions", []) if actions else []
        if static or dynamic:
            out[str(object_hash)] = (static, dynamic)
    return out
