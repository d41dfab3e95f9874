"""The ``geometry`` blob of an annotation row, and the pixel extent derived from it.

A blob is one marker byte followed by JSON (orjson, so float64 values round-trip exactly), or
for the commonest shape by four packed doubles:

``N`` + ``{"<encord key>": value, ...}``
    Normalised geometry exactly as in the Encord label-row entry (``boundingBox``,
    ``rotatableBoundingBox``, ``polygon`` + ``polygons``, ``polyline``, ``point``, ``bitmask``,
    ``skeleton``, ...).  Written by SDK saves.
``B`` + ``h, w, x, y`` as little-endian float64 (33 bytes)
    ``N`` + ``{"boundingBox": {"h": h, "w": w, "x": x, "y": y}}`` for four finite floats, the
    form nearly every saved prediction takes: a third of the JSON's size, bit-exact, and no JSON
    to write or parse.  :func:`decode_geometry` gives it back as that ``N`` payload.
``P`` + ``{...}``
    Pixel geometry as importers read it from COCO, kept exactly so a COCO export gives the input
    back: ``{}`` for boxes and points (the ``x, y, w, h`` columns hold them), ``{"polygons":
    [[[x1, y1, x2, y2, ...], hole...], ...]}``, ``{"points": [x1, y1, ...]}`` for a polyline,
    ``{"rle": {"size": [h, w], "counts": str}}`` for a COCO (column-major) bitmask,
    ``{"keypoints": [x1, y1, v1, ...], "skeleton": {<Encord skeleton>}}`` for COCO keypoints.
    Importers may add keys this module ignores (e.g. ``segmentation``, the original COCO value
    when the shape's own form cannot reproduce it).
    :func:`to_encord_geometry` turns it into the normalised Encord form for the frame size.

Pixel columns ``x, y, w, h`` are the axis-aligned extent in frame pixels (the unrotated box for a
rotatable box, whose ``theta`` is in degrees).
"""

from __future__ import annotations

import math
import struct
from typing import Any

import orjson

GEOMETRY_KEYS = (
    "boundingBox",
    "rotatableBoundingBox",
    "polygon",
    "polygons",
    "polyline",
    "point",
    "bitmask",
    "skeleton",
    "circle",
    "ellipse",
    "cuboid",
    "cuboid_2d",
)
NORMALISED = b"N"
PIXELS = b"P"
BOX = b"B"
_BOX_STRUCT = struct.Struct("<4d")
_pack_box = _BOX_STRUCT.pack

NAN = math.nan

Extent = tuple[float, float, float, float, float, float]
"""``(x, y, w, h, theta, area)`` in frame pixels; NaN where undefined."""

NO_EXTENT: Extent = (NAN, NAN, NAN, NAN, NAN, NAN)


def encode_normalised(geometry: dict[str, Any]) -> bytes:
    """Blob for Encord normalised geometry ``{"boundingBox": {...}}`` (keys of the entry)."""
    return NORMALISED + orjson.dumps(geometry)


def encode_box(h: Any, w: Any, x: Any, y: Any) -> bytes:
    """Blob for Encord ``{"boundingBox": {"h": h, "w": w, "x": x, "y": y}}``: the packed ``B``
    form when all four are finite floats, else the ``N`` JSON (which keeps an int an int).

    >>> decode_geometry(encode_box(0.5, 0.25, 0.125, 0.0))
    ('N', {'boundingBox': {'h': 0.5, 'w': 0.25, 'x': 0.125, 'y': 0.0}})
    >>> encode_box(1, 0.5, 0.0, 0.0)[:1]
    b'N'
    """
    # x - x is 0.0 for a finite float and NaN for an infinite or NaN one
    if (
        type(h) is float
        and type(w) is float
        and type(x) is float
        and type(y) is float
        and h - h + w - w + x - x + y - y == 0.0
    ):
        return BOX + _pack_box(h, w, x, y)
    return NORMALISED + orjson.dumps({"boundingBox": {"h": h, "w": w, "x": x, "y": y}})


def encode_pixels(geometry: dict[str, Any] | None = None) -> bytes:
    """Blob for pixel geometry: ``{}``, ``{"polygons"}``, ``{"points"}`` or ``{"rle"}`` (see above).

    >>> encode_pixels({"polygons": [[[0.0, 0.0, 4.0, 0.0, 4.0, 3.0]]]})[:1]
    b'P'
    """
    return PIXELS + orjson.dumps(geometry or {})


def decode_geometry(blob: bytes | None) -> tuple[str, dict[str, Any]]:
    """``("N" | "P", payload)`` of a geometry blob (``("P", {})`` for NULL; a ``B`` blob is
    its ``N`` form)."""
    if not blob:
        return "P", {}
    marker = blob[:1]
    if marker == BOX:
        return "N", {"boundingBox": decode_box(blob)}
    if marker not in (NORMALISED, PIXELS):
        raise ValueError(f"geometry blob starts with {marker!r}, expected b'N', b'P' or b'B'")
    return marker.decode(), orjson.loads(blob[1:])


def decode_box(blob: bytes) -> dict[str, float]:
    """``{"h", "w", "x", "y"}`` of a ``B`` blob."""
    if len(blob) != 1 + _BOX_STRUCT.size:
        raise ValueError(f"box geometry blob of {len(blob)} bytes, expected {1 + _BOX_STRUCT.size}")
    h, w, x, y = _BOX_STRUCT.unpack_from(blob, 1)
    return {"h": h, "w": w, "x": x, "y": y}


def _points_extent(xs: list[float], ys: list[float], width: float, height: float) -> Extent:
    if not xs:
        return (NAN, NAN, NAN, NAN, NAN, NAN)
    x0, x1 = min(xs) * width, max(xs) * width
    y0, y1 = min(ys) * height, max(ys) * height
    return (x0, y0, x1 - x0, y1 - y0, NAN, NAN)


def _ring_area(flat: list[float], sx: float, sy: float) -> float:
    n = len(flat) // 2
    total = 0.0
    for i in range(n):
        j = (i + 1) % n
        total += flat[2 * i] * sx * flat[2 * j + 1] * sy - flat[2 * j] * sx * flat[2 * i + 1] * sy
    return abs(total) / 2.0


def _polygons_extent(polygons: list[list[list[float]]], width: float, height: float) -> Extent:
    xs = [v for poly in polygons for ring in poly[:1] for v in ring[0::2]]
    ys = [v for poly in polygons for ring in poly[:1] for v in ring[1::2]]
    x, y, w, h, _, _ = _points_extent(xs, ys, width, height)
    area = 0.0
    for poly in polygons:
        if poly:
            area += _ring_area(poly[0], width, height)
            area -= sum(_ring_area(hole, width, height) for hole in poly[1:])
    return (x, y, w, h, NAN, area)


def _bitmask_extent(bitmask: dict[str, Any]) -> Extent:
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    height, width = int(bitmask["height"]), int(bitmask["width"])
    # Encord's rleString is pycocotools' compressed counts of the transposed (W x H) mask.
    rle = {"size": [width, height], "counts": str(bitmask["rleString"]).encode()}
    area = float(mask_utils.area(rle))
    if area == 0:
        return (NAN, NAN, NAN, NAN, NAN, 0.0)
    ty, tx, th, tw = (float(v) for v in mask_utils.toBbox(rle))
    return (tx, ty, tw, th, NAN, area)


def extent_of(geometry: dict[str, Any], width: float, height: float) -> Extent:
    """Pixel extent of Encord normalised geometry on a ``width`` x ``height`` frame.

    >>> extent_of({"boundingBox": {"x": 0.5, "y": 0.25, "w": 0.25, "h": 0.5}}, 64, 48)
    (32.0, 12.0, 16.0, 24.0, nan, 384.0)
    """
    b = geometry.get("boundingBox")
    if b is not None:
        w, h = b["w"] * width, b["h"] * height
        return (b["x"] * width, b["y"] * height, w, h, NAN, w * h)
    if "rotatableBoundingBox" in geometry:
        b = geometry["rotatableBoundingBox"]
        w, h = b["w"] * width, b["h"] * height
        return (b["x"] * width, b["y"] * height, w, h, float(b.get("theta", 0.0)), w * h)
    if "polygons" in geometry and geometry["polygons"]:
        return _polygons_extent(geometry["polygons"], width, height)
    if "polygon" in geometry:
        pts = _point_list(geometry["polygon"])
        flat = [c for p in pts for c in (p["x"], p["y"])]
        return _polygons_extent([[flat]], width, height)
    if "bitmask" in geometry:
        return _bitmask_extent(geometry["bitmask"])
    for key in ("polyline", "point", "skeleton"):
        if key in geometry:
            pts = _point_list(geometry[key])
            return _points_extent([p["x"] for p in pts], [p["y"] for p in pts], width, height)
    return (NAN, NAN, NAN, NAN, NAN, NAN)


def _point_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=int)]
    return list(value)


def _flat_points(flat: list[float], width: float, height: float) -> dict[str, dict[str, float]]:
    return {
        str(i): {"x": flat[2 * i] / width, "y": flat[2 * i + 1] / height}
        for i in range(len(flat) // 2)
    }


def to_encord_geometry(
    shape: str,
    payload: dict[str, Any],
    columns: tuple[float, float, float, float, float],
    width: float,
    height: float,
) -> dict[str, Any]:
    """Encord normalised geometry of a pixel (``P``) blob, for a ``width`` x ``height`` frame.

    ``columns`` is the row's ``(x, y, w, h, theta)``.  Raises ``ValueError`` for a shape that
    has no pixel form.
    """
    x, y, w, h, theta = columns
    if shape == "bounding_box":
        return {"boundingBox": {"h": h / height, "w": w / width, "x": x / width, "y": y / height}}
    if shape == "rotatable_bounding_box":
        return {
            "rotatableBoundingBox": {
                "h": h / height,
                "w": w / width,
                "x": x / width,
                "y": y / height,
                "theta": 0.0 if math.isnan(theta) else theta,
            }
        }
    if shape == "point":
        return {"point": {"0": {"x": x / width, "y": y / height}}}
    if shape == "polygon":
        polygons = [
            [[v / (width if i % 2 == 0 else height) for i, v in enumerate(ring)] for ring in poly]
            for poly in payload["polygons"]
        ]
        first = polygons[0][0] if polygons and polygons[0] else []
        legacy = {
            str(i): {"x": first[2 * i], "y": first[2 * i + 1]} for i in range(len(first) // 2)
        }
        return {"polygon": legacy, "polygons": polygons}
    if shape == "polyline":
        return {"polyline": _flat_points(payload["points"], width, height)}
    if shape == "bitmask":
        return {"bitmask": _coco_rle_to_encord(payload["rle"])}
    if shape == "skeleton" and "skeleton" in payload:
        # COCO keypoints: the importer stores the pixel ``keypoints`` (for an exact COCO export)
        # beside the normalised Encord ``skeleton`` it built from the ontology's template.
        return {"skeleton": payload["skeleton"]}
    raise ValueError(f"shape {shape!r} has no pixel geometry form; store it normalised")


def _coco_rle_to_encord(rle: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    from pycocotools import mask as mask_utils

    height, width = (int(v) for v in rle["size"])
    counts = rle["counts"]
    if isinstance(counts, list):
        coco = mask_utils.frPyObjects(rle, height, width)
    else:
        coco = {
            "size": [height, width],
            "counts": counts.encode() if isinstance(counts, str) else counts,
        }
    mask = mask_utils.decode(coco)
    encoded = mask_utils.encode(np.asfortranarray(mask.T))
    return {
        "top": 0,
        "left": 0,
        "height": height,
        "width": width,
        "rleString": encoded["counts"].decode(),
    }
