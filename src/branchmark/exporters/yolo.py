"""YOLO export of a branch: ``labels/<image stem>.txt`` per image plus ``data.yaml``.

Boxes become ``class cx cy w h``, polygons ``class x1 y1 ...`` (one line per polygon, outer ring),
normalised to the frame; a prediction (not manual) gets its confidence appended.  Numbers are
written with 10 significant digits, so a YOLO file of up to 10 digits reads back unchanged.
Class indices follow the ontology's box and polygon objects in order.  Other shapes, and frames
of videos or image groups, have no YOLO form and are counted in ``skipped``.

``pose=True`` writes a YOLO pose dataset (Ultralytics) instead: the ontology's ``skeleton``
objects are the classes, each skeleton a line ``class cx cy w h x0 y0 [v0] ...`` (the box from
the row's pixel columns, the points from its Encord skeleton, visibility as the COCO code of its
Encord ``visibility``; a skeleton read from a YOLO pose line gets the third numbers it was read
with, so an Ultralytics prediction's keypoint confidences are written back), and ``data.yaml``
gets ``kpt_shape: [K, D]``.  ``D`` is 2 when every skeleton written came from a ``[K, 2]`` YOLO
import (so the lines come back as they were read), else 3; ``flip_idx`` is written when every
skeleton written was imported with the same one.  A pose dataset has one ``K``: skeleton objects
with different point counts raise ``OntologyMismatch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from branchmark.errors import OntologyMismatch
from branchmark.geometry.keypoints import VISIBILITY_CODES
from branchmark.importers.targets import ObjectClass, OntologyObjects
from branchmark.importers.yolo_pose import template_points
from branchmark.store import Store, catalog
from branchmark.store.annotations import read_annotations
from branchmark.store.codec import decode_geometry

COLUMNS = (
    "data_unit_id",
    "frame",
    "feature_hash",
    "shape",
    "x",
    "y",
    "w",
    "h",
    "confidence",
    "manual",
    "geometry",
)


def _number(value: float) -> str:
    return format(float(value), ".10g")


def export_yolo(
    store: Store, *, project: str, branch: str, folder: str | Path, pose: bool = False
) -> dict[str, Any]:
    """Write the branch as YOLO files under ``folder``; return ``{"files", "lines", "skipped"}``.

    ``pose`` writes the skeletons as a YOLO pose dataset (see the module notes) instead of the
    boxes and polygons.

    Examples
    --------
    >>> # export_yolo(store, project="p", branch="main", folder="out/")
    """
    with store.read() as conn:
        record = catalog.get_project(conn, project)
        ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, record.id))
        target = catalog.get_branch(conn, record.id, branch)
        units = {u.id: u for u in catalog.get_data_units(conn, record.id)}
        arrays = read_annotations(conn, branch_id=target.id, columns=COLUMNS)
    wanted = ("skeleton",) if pose else ("bounding_box", "polygon")
    classes = [c for c in ontology.classes if c.shape in wanted]
    points = _pose_points(classes) if pose else 0
    index = {c.feature_hash: i for i, c in enumerate(classes)}
    lines: dict[int, list[str | PoseWords]] = {
        u.id: [] for u in units.values() if u.data_type == "image"
    }
    imported_as: list[dict[str, Any]] = []  # the "yolo" entry of each skeleton written
    skipped = 0
    for k in range(len(arrays["frame"])):
        unit = units[int(arrays["data_unit_id"][k])]
        feature, shape = arrays["feature_hash"][k], arrays["shape"][k]
        if unit.id not in lines or feature not in index:
            skipped += 1
            continue
        width, height = float(unit.width or 0), float(unit.height or 0)
        tail = [] if arrays["manual"][k] else [_number(arrays["confidence"][k])]
        if shape in ("bounding_box", "skeleton"):
            x, y, w, h = (float(arrays[c][k]) for c in ("x", "y", "w", "h"))
            values = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
            head = [str(index[feature]), *map(_number, values)]
        if shape == "bounding_box":
            lines[unit.id].append(" ".join([*head, *tail]))
            continue
        kind, payload = decode_geometry(arrays["geometry"][k])
        if shape == "skeleton":
            skeleton = payload.get("skeleton") or {}
            vertices = [skeleton[p] for p in sorted(skeleton, key=int)]
            if len(vertices) != points:
                skipped += 1
                continue
            thirds = [str(VISIBILITY_CODES.get(str(v.get("visibility")), 2)) for v in vertices]
            read = payload.get("keypoints") if kind == "P" and "yolo" in payload else None
            if isinstance(read, list) and len(read) == 3 * points:
                thirds = [_number(v) for v in read[2::3]]  # as the YOLO import read them
            xyv = [
                (_number(v["x"]), _number(v["y"]), third)
                for v, third in zip(vertices, thirds, strict=True)
            ]
            lines[unit.id].append((head, xyv, tail))
            imported_as.append((payload.get("yolo") or {}) if kind == "P" else {})
            continue
        scale = np.array([width, height]) if kind == "P" else np.ones(2)
        for polygon in payload.get("polygons") or []:
            ring = np.array(polygon[0], dtype=np.float64).reshape(-1, 2) / scale
            lines[unit.id].append(
                " ".join([str(index[feature]), *map(_number, ring.reshape(-1)), *tail])
            )
    # [K, 2] only when every skeleton came from a [K, 2] file: their points are all "visible".
    dims = 2 if imported_as and all(_dims_of(y) == 2 for y in imported_as) else 3
    root = Path(folder)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    for unit_id, unit_lines in lines.items():
        stem = Path(units[unit_id].title).stem
        text = "".join(_render(line, dims) + "\n" for line in unit_lines)
        (root / "labels" / f"{stem}.txt").write_text(text)
    names = "".join(f"  {i}: {_quote(c.name)}\n" for i, c in enumerate(classes))
    header = f"nc: {len(classes)}\nnames:\n{names}"
    if pose:
        header += f"kpt_shape: [{points}, {dims}]\n"
        flips = {tuple(y.get("flip_idx") or ()) for y in imported_as}
        if len(flips) == 1 and (flip := flips.pop()):
            header += f"flip_idx: [{', '.join(map(str, flip))}]\n"
    (root / "data.yaml").write_text(header)
    return {"files": len(lines), "lines": sum(map(len, lines.values())), "skipped": skipped}


PoseWords = tuple[list[str], list[tuple[str, str, str]], list[str]]
"""A pose line before its point dimension is known: class and box, ``(x, y, v)`` per point,
confidence (empty for ground truth)."""


def _render(line: str | PoseWords, dims: int) -> str:
    if isinstance(line, str):
        return line
    head, xyv, tail = line
    return " ".join([*head, *(word for point in xyv for word in point[:dims]), *tail])


def _pose_points(classes: list[ObjectClass]) -> int:
    """The one point count ``K`` of the skeleton ``classes`` (a pose dataset's kpt_shape)."""
    counts = {c.name: len(template_points(c.template)) for c in classes}
    if not counts:
        raise OntologyMismatch("the ontology has no skeleton object to write as YOLO pose")
    if len(set(counts.values())) != 1 or 0 in counts.values():
        listed = ", ".join(f"{name!r} ({k} points)" for name, k in counts.items())
        raise OntologyMismatch(
            "a YOLO pose dataset has one kpt_shape [K, D]; the ontology's skeleton objects "
            f"need one point count K >= 1, they have {listed}"
        )
    return next(iter(counts.values()))


def _dims_of(yolo: dict[str, Any]) -> int:
    shape = yolo.get("kpt_shape")
    return int(shape[1]) if isinstance(shape, list) and len(shape) == 2 else 3


def _quote(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
