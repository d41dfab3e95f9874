"""Drawable overlays: an Encord label-row dict's objects at one frame, in frame pixels.

Each object becomes ``{object_hash, feature_hash, class, color, shape, confidence, manual,
attributes, geometry}`` where ``geometry`` is one of (all coordinates frame pixels)::

    {"type": "box", "x", "y", "w", "h"}
    {"type": "rotated_box", "x", "y", "w", "h", "theta"}      theta: degrees, clockwise
    {"type": "polygon", "polygons": [[outer, hole, ...], ...]} rings: flat [x0, y0, x1, ...]
    {"type": "polyline", "points": [x0, y0, ...]}
    {"type": "point", "points": [x, y]}
    {"type": "skeleton", "points": [...], "names": [...], "edges": [[i, j], ...]}
    {"type": "bitmask", "x", "y", "w", "h", "mask": "data:image/png;base64,..."}

The browser only scales and strokes these; it never decodes RLE or normalised coordinates.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Mapping
from typing import Any

import numpy as np


def _points(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=lambda k: int(k))]
    return list(value or [])


def _flat(points: list[dict[str, Any]], width: float, height: float) -> list[float]:
    return [c for p in points for c in (float(p["x"]) * width, float(p["y"]) * height)]


def _scaled_ring(ring: list[float], width: float, height: float) -> list[float]:
    return [v * (width if i % 2 == 0 else height) for i, v in enumerate(ring)]


def _bitmask(bitmask: Mapping[str, Any]) -> dict[str, Any] | None:
    from PIL import Image

    from branchmark.geometry.masks import decode_masks, decode_rle_strings

    height, width = int(bitmask["height"]), int(bitmask["width"])
    # Encord's rleString is COCO's compressed counts of the transposed (W x H) mask.
    transposed = decode_masks(decode_rle_strings([str(bitmask["rleString"])], [width], [height]))
    mask = np.ascontiguousarray(transposed[0].T)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return None
    y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    alpha = (mask[y0:y1, x0:x1] > 0).astype(np.uint8) * 255
    rgba = np.zeros((*alpha.shape, 4), dtype=np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = alpha
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG", optimize=False)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    return {
        "type": "bitmask", "x": x0, "y": y0, "w": x1 - x0, "h": y1 - y0,
        "mask": f"data:image/png;base64,{encoded}",
    }  # fmt: skip


def pixel_geometry(
    entry: Mapping[str, Any],
    width: float,
    height: float,
    *,
    skeleton_edges: Mapping[str, list[list[int]]] | None = None,
) -> dict[str, Any] | None:
    """Pixel geometry of one Encord object entry on a ``width`` x ``height`` frame.

    None for a shape that has nothing to draw (an empty bitmask, an unknown shape).

    >>> pixel_geometry({"boundingBox": {"x": 0.5, "y": 0.25, "w": 0.25, "h": 0.5}}, 64, 48)
    {'type': 'box', 'x': 32.0, 'y': 12.0, 'w': 16.0, 'h': 24.0}
    """
    if "boundingBox" in entry:
        b = entry["boundingBox"]
        return {"type": "box", "x": b["x"] * width, "y": b["y"] * height,
                "w": b["w"] * width, "h": b["h"] * height}  # fmt: skip
    if "rotatableBoundingBox" in entry:
        b = entry["rotatableBoundingBox"]
        return {"type": "rotated_box", "x": b["x"] * width, "y": b["y"] * height,
                "w": b["w"] * width, "h": b["h"] * height,
                "theta": float(b.get("theta", 0.0) or 0.0)}  # fmt: skip
    if entry.get("polygons"):
        polygons = [
            [_scaled_ring(ring, width, height) for ring in poly] for poly in entry["polygons"]
        ]
        return {"type": "polygon", "polygons": polygons}
    if "polygon" in entry:
        return {"type": "polygon", "polygons": [[_flat(_points(entry["polygon"]), width, height)]]}
    if "polyline" in entry:
        return {"type": "polyline", "points": _flat(_points(entry["polyline"]), width, height)}
    if "point" in entry:
        return {"type": "point", "points": _flat(_points(entry["point"]), width, height)}
    if "skeleton" in entry:
        vertices = _points(entry["skeleton"])
        edges = (skeleton_edges or {}).get(str(entry.get("featureHash", "")), [])
        return {
            "type": "skeleton",
            "points": _flat(vertices, width, height),
            "names": [str(v.get("name", "")) for v in vertices],
            "visible": [v.get("visibility") not in ("invisible",) for v in vertices],
            "edges": [e for e in edges if max(e) < len(vertices)],
        }
    if "bitmask" in entry:
        return _bitmask(entry["bitmask"])
    return None


def geometry_extent(geometry: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """``(x0, y0, x1, y1)`` in frame pixels of a :func:`pixel_geometry` result.

    >>> geometry_extent({"type": "polyline", "points": [1.0, 5.0, 3.0, 2.0]})
    (1.0, 2.0, 3.0, 5.0)
    """
    kind = geometry["type"]
    if kind in ("box", "bitmask"):
        x, y = float(geometry["x"]), float(geometry["y"])
        return x, y, x + float(geometry["w"]), y + float(geometry["h"])
    if kind == "rotated_box":
        cx, cy = geometry["x"] + geometry["w"] / 2, geometry["y"] + geometry["h"] / 2
        a = np.deg2rad(geometry["theta"])
        dx = abs(np.cos(a)) * geometry["w"] / 2 + abs(np.sin(a)) * geometry["h"] / 2
        dy = abs(np.sin(a)) * geometry["w"] / 2 + abs(np.cos(a)) * geometry["h"] / 2
        return float(cx - dx), float(cy - dy), float(cx + dx), float(cy + dy)
    if kind == "polygon":
        flat = [v for polygon in geometry["polygons"] for v in (polygon[0] if polygon else [])]
    else:
        flat = list(geometry["points"])
    xs, ys = flat[0::2], flat[1::2]
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))


def skeleton_edges(ontology: Mapping[str, Any]) -> dict[str, list[list[int]]]:
    """Feature hash → vertex index pairs of each skeleton template of the ontology."""
    edges: dict[str, list[list[int]]] = {}
    for wrapper in ontology.get("skeleton_templates") or []:
        template = wrapper.get("template", wrapper)
        feature = str(template.get("feature_node_hash", template.get("featureNodeHash", "")))
        pairs = []
        for start, ends in (template.get("skeletonEdges") or {}).items():
            for end in ends:
                pairs.append([int(start), int(end)])
        edges[feature] = pairs
    return edges


def describe_answers(entries: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Static answers as ``[{name, value}]`` (checklist options joined with ``", "``)."""
    described = []
    for entry in entries:
        answers = entry.get("answers")
        if isinstance(answers, list):
            value = ", ".join(str(a.get("name", a.get("value", ""))) for a in answers)
        else:
            value = "" if answers is None else str(answers)
        described.append({"name": str(entry.get("name", "")), "value": value})
    return described


def frame_objects(
    label_row: Mapping[str, Any], frame: int
) -> tuple[list[dict[str, Any]], float, float]:
    """The object entries of ``frame`` and that frame's ``(width, height)`` from a label row."""
    for unit in label_row.get("data_units", {}).values():
        labels = unit.get("labels", {})
        width, height = float(unit.get("width") or 0), float(unit.get("height") or 0)
        if "objects" in labels or "classifications" in labels:
            if int(unit.get("data_sequence", 0) or 0) == frame:
                return list(labels.get("objects") or []), width, height
            continue
        frame_labels = labels.get(str(frame))
        if frame_labels is not None:
            return list(frame_labels.get("objects") or []), width, height
        return [], width, height
    return [], 0.0, 0.0


def overlay_objects(
    label_row: Mapping[str, Any] | None,
    frame: int,
    *,
    frame_size: tuple[float, float],
    edges: Mapping[str, list[list[int]]],
) -> list[dict[str, Any]]:
    """Drawable objects of ``frame`` (see the module docstring for the keys)."""
    if label_row is None:
        return []
    entries, width, height = frame_objects(label_row, frame)
    width, height = width or frame_size[0], height or frame_size[1]
    answers = {
        str(a.get("objectHash")): a.get("classifications", [])
        for a in label_row.get("object_answers", {}).values()
    }
    objects = []
    for entry in entries:
        geometry = pixel_geometry(entry, width, height, skeleton_edges=edges)
        if geometry is None:
            continue
        confidence = entry.get("confidence")
        objects.append(
            {
                "object_hash": str(entry.get("objectHash", "")),
                "feature_hash": str(entry.get("featureHash", "")),
                "class": str(entry.get("name", "")),
                "color": str(entry.get("color", "")),
                "shape": str(entry.get("shape", "")),
                "confidence": None if confidence is None else float(confidence),
                "manual": bool(entry.get("manualAnnotation", True)),
                "attributes": describe_answers(answers.get(str(entry.get("objectHash")), [])),
                "geometry": geometry,
            }
        )
    return objects
