"""Strict checks the Encord SDK does not make (branchmark is strict by default).

Each check raises a :mod:`branchmark.errors` exception whose message names the instance
(hash and ontology class), the frame and the field.  Where the SDK raises for the same
situation, the class raised here is that class or a subclass.

* normalised coordinates must lie within 0..1 (``InvalidGeometry``; the SDK accepts any value);
* polygon rings need at least 3 points (``InvalidGeometry``; the SDK accepts 1 or 2);
* confidence must be a finite number within 0..1 (``InvalidConfidence``; the SDK accepts any);
* a bitmask must have its frame's size (``BitmaskSizeMismatch``, a ``ValueError`` as the SDK's);
* frames must lie within the data unit (``FrameOutOfRange``, a ``LabelRowError`` as the SDK's;
  the SDK does not re-check frames set before the instance was added to a row).
"""

from __future__ import annotations

import math
from typing import Any, Protocol

from branchmark.errors import (
    BitmaskSizeMismatch,
    FrameOutOfRange,
    InvalidConfidence,
    InvalidGeometry,
)
from branchmark.objects.bitmask import BitmaskCoordinates
from branchmark.objects.coordinates import BoundingBoxCoordinates, PolygonCoordinates


class Owner(Protocol):
    """An instance that can describe itself for messages (built only when a check fails)."""

    def _where(self) -> str: ...


def check_normalised(coordinates: Any, *, owner: Owner, frame: int) -> None:
    """``InvalidGeometry`` unless every normalised value of ``coordinates`` is within 0..1."""
    if type(coordinates) is BoundingBoxCoordinates:
        c = coordinates
        # Chained comparisons are False for NaN, so NaN is rejected too.
        if (
            0.0 <= c.height <= 1.0
            and 0.0 <= c.width <= 1.0
            and 0.0 <= c.top_left_x <= 1.0
            and 0.0 <= c.top_left_y <= 1.0
        ):
            return
    iter_normalised = getattr(coordinates, "iter_normalised", None)
    if iter_normalised is None:  # bitmasks are full-resolution, not normalised
        return
    for field, value in iter_normalised():
        if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
            raise InvalidGeometry(
                f"{owner._where()}, frame {frame}, field {field}: {value!r} is outside 0..1 "
                f"(coordinates are normalised to the frame size; the Encord SDK accepts this, "
                f"branchmark refuses it in strict mode)",
                context={"frame": frame, "field": field},
            )
    if type(coordinates) is PolygonCoordinates:
        for i, polygon in enumerate(coordinates.polygons):
            for j, ring in enumerate(polygon):
                if len(ring) < 3:
                    raise InvalidGeometry(
                        f"{owner._where()}, frame {frame}, field polygons[{i}][{j}]: a polygon "
                        f"ring needs at least 3 points, got {len(ring)}",
                        context={"frame": frame, "field": f"polygons[{i}][{j}]"},
                    )


def check_confidence(confidence: Any, *, owner: Owner, frame: int | None) -> None:
    """``InvalidConfidence`` unless ``confidence`` is a finite number within 0..1."""
    if type(confidence) is float or type(confidence) is int:
        if 0.0 <= confidence <= 1.0:
            return
    elif isinstance(confidence, int | float) and not isinstance(confidence, bool):
        if math.isfinite(confidence) and 0.0 <= confidence <= 1.0:
            return
    at = f", frame {frame}" if frame is not None else ""
    raise InvalidConfidence(
        f"{owner._where()}{at}, field confidence: {confidence!r} is not a finite number within "
        f"0..1 (the Encord SDK accepts this, branchmark refuses it in strict mode)",
        context={"frame": frame, "field": "confidence"},
    )


def check_bitmask_size(
    coordinates: Any, *, width: int | None, height: int | None, owner: Owner, frame: int
) -> None:
    """``BitmaskSizeMismatch`` when a bitmask's size differs from its frame's (if known)."""
    if type(coordinates) is not BitmaskCoordinates or width is None or height is None:
        return
    if coordinates.width != width or coordinates.height != height:
        raise BitmaskSizeMismatch(
            f"Bitmask dimensions don't match the media dimensions: {owner._where()}, "
            f"frame {frame}, field bitmask: mask is {coordinates.height}x{coordinates.width} "
            f"(HxW), frame is {height}x{width}",
            context={"frame": frame, "field": "bitmask"},
        )


def frame_out_of_range(frame: int, number_of_frames: int | None, *, where: str) -> FrameOutOfRange:
    """The SDK's bounds message plus where it happened."""
    upper = "inf" if number_of_frames is None else str(number_of_frames)
    return FrameOutOfRange(
        f"The supplied frame of `{frame}` is not within the acceptable bounds of `0` to "
        f"`{upper}`. ({where}, frame {frame}, field frames)",
        context={"frame": frame, "field": "frames"},
    )
