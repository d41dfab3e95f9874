"""YOLO export of a branch: ``labels/<image stem>.txt`` per image plus ``data.yaml``.

Boxes become ``class cx cy w h``, polygons ``class x1 y1 ...`` (one line per polygon, outer ring),
normalised to the frame; a prediction (not manual) gets its confidence appended.  Numbers are
written with 10 significant digits, so a YOLO file of up to 10 digits reads back unchanged.
Class indices follow the ontology's box and polygon objects in order.  Other shapes, and frames
of videos or image groups, have no YOLO form and are counted in ``skipped``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from branchmark.importers.targets import OntologyObjects
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


def export_yolo(store: Store, *, project: str, branch: str, folder: str | Path) -> dict[str, Any]:
    """Write the branch as YOLO files under ``folder``; return ``{"files", "lines", "skipped"}``.

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
    classes = [c for c in ontology.classes if c.shape in ("bounding_box", "polygon")]
    index = {c.feature_hash: i for i, c in enumerate(classes)}
    lines: dict[int, list[str]] = {u.id: [] for u in units.values() if u.data_type == "image"}
    skipped = 0
    for k in range(len(arrays["frame"])):
        unit = units[int(arrays["data_unit_id"][k])]
        feature, shape = arrays["feature_hash"][k], arrays["shape"][k]
        if unit.id not in lines or feature not in index:
            skipped += 1
            continue
        width, height = float(unit.width or 0), float(unit.height or 0)
        tail = [] if arrays["manual"][k] else [_number(arrays["confidence"][k])]
        if shape == "bounding_box":
            x, y, w, h = (float(arrays[c][k]) for c in ("x", "y", "w", "h"))
            values = [(x + w / 2) / width, (y + h / 2) / height, w / width, h / height]
            lines[unit.id].append(" ".join([str(index[feature]), *map(_number, values), *tail]))
            continue
        kind, payload = decode_geometry(arrays["geometry"][k])
        scale = np.array([width, height]) if kind == "P" else np.ones(2)
        for polygon in payload.get("polygons") or []:
            ring = np.array(polygon[0], dtype=np.float64).reshape(-1, 2) / scale
            lines[unit.id].append(
                " ".join([str(index[feature]), *map(_number, ring.reshape(-1)), *tail])
            )
    root = Path(folder)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    for unit_id, unit_lines in lines.items():
        stem = Path(units[unit_id].title).stem
        (root / "labels" / f"{stem}.txt").write_text("".join(line + "\n" for line in unit_lines))
    names = "".join(f"  {i}: {_quote(c.name)}\n" for i, c in enumerate(classes))
    (root / "data.yaml").write_text(f"nc: {len(classes)}\nnames:\n{names}")
    return {"files": len(lines), "lines": sum(map(len, lines.values())), "skipped": skipped}


def _quote(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
