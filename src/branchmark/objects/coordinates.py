"""Coordinate classes of object annotations (``encord.objects.coordinates``).

Geometry is **normalised** to 0..1 of the frame's width and height, except bitmasks (full-frame
masks).  Like the SDK, constructing a coordinate never checks ranges; branchmark's strict mode
checks them when coordinates are placed on an instance's frame (``ObjectInstance.set_for_frames``)
and again at ``LabelRowV2.save``, where the error can name the instance, frame and field.  The SDK
accepts out-of-range values.

Each class writes its JSON value with ``to_dict()`` and reads the whole per-frame object entry
with ``from_dict(entry)`` (the SDK's convention); :data:`SHAPE_COORDINATES` maps a
:class:`~branchmark.ontology.Shape` to its class and JSON key.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from branchmark.errors import LabelRowError
from branchmark.objects.bitmask import BitmaskCoordinates, EncodedBitmask
from branchmark.ontology.shape import Shape

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def _direct_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass without defaults an ``__init__`` that fills its slots
    through their descriptors.  The dataclass one calls ``object.__setattr__`` per field (frozen
    classes must): about 1 us for a box, which every prediction makes; this is half that.
    Signature, equality, hashing, ``repr``, ``replace`` and the frozen error stay the
    dataclass's."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
           for f in fields) or hasattr(cls, "__post_init__"):  # fmt: skip
        raise TypeError(f"_direct_init: {cls.__name__} has defaults or __post_init__")
    names = [f.name for f in fields]
    namespace = {f"_set_{n}": cls.__dict__[n].__set__ for n in names}
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    exec(f"def __init__(self, {', '.join(names)}):\n{body}", namespace)  # noqa: S102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__init__.__doc__
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@_direct_init
@dataclasses.dataclass(frozen=True, slots=True)
class BoundingBoxCoordinates:
    """Axis-aligned box: ``height``, ``width`` and top-left corner, normalised (JSON
    ``boundingBox: {h, w, x, y}``)."""

    height: float
    width: float
    top_left_x: float
    top_left_y: float

    def to_dict(self) -> dict[str, Any]:
        return {"h": self.height, "w": self.width, "x": self.top_left_x, "y": self.top_left_y}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BoundingBoxCoordinates:
        box = d["boundingBox"]
        return cls(box["h"], box["w"], box["x"], box["y"])

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        """``(field, value)`` of every value that must lie in 0..1."""
        yield "h", self.height
        yield "w", self.width
        yield "x", self.top_left_x
        yield "y", self.top_left_y


@_direct_init
@dataclasses.dataclass(frozen=True, slots=True)
class RotatableBoundingBoxCoordinates:
    """A box rotated by ``theta`` **degrees** clockwise in screen space about its centre.

    ``height``, ``width``, ``top_left_x`` and ``top_left_y`` describe the unrotated box,
    normalised (JSON ``rotatableBoundingBox: {h, w, x, y, theta}``).
    """

    height: float
    width: float
    top_left_x: float
    top_left_y: float
    theta: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "h": self.height,
            "w": self.width,
            "x": self.top_left_x,
            "y": self.top_left_y,
            "theta": self.theta,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RotatableBoundingBoxCoordinates:
        box = d["rotatableBoundingBox"]
        return cls(box["h"], box["w"], box["x"], box["y"], box["theta"])

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        yield "h", self.height
        yield "w", self.width
        yield "x", self.top_left_x
        yield "y", self.top_left_y


@_direct_init
@dataclasses.dataclass(frozen=True, slots=True)
class PointCoordinate:
    """A normalised point (JSON ``point: {"0": {x, y}}``)."""

    x: float
    y: float

    def to_dict(self) -> dict[str, Any]:
        return {"0": {"x": self.x, "y": self.y}}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PointCoordinate:
        point = d["point"]["0"]
        return cls(point["x"], point["y"])

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        yield "x", self.x
        yield "y", self.y


def _points_to_dict(points: Sequence[PointCoordinate]) -> dict[str, dict[str, float]]:
    return {str(i): {"x": p.x, "y": p.y} for i, p in enumerate(points)}


def _points_from_json(value: dict[str, Any] | list[Any]) -> list[PointCoordinate]:
    items = value.values() if isinstance(value, dict) else value
    return [PointCoordinate(p["x"], p["y"]) for p in items]


class PolygonCoordinates:
    """One or more polygons with holes.

    ``polygons`` is a list of polygons; each polygon is a list of rings (outer ring first, then
    holes); each ring a list of :class:`PointCoordinate`.  ``values`` alone gives one polygon of
    one ring.  When both are given and disagree, ``polygons`` wins (with a logged warning), as
    in the SDK.  Giving neither (or no points) raises ``LabelRowError``.  JSON: the legacy
    ``polygon: {"0": {x, y}, ...}`` (first ring of the first polygon) plus
    ``polygons: [[[x1, y1, x2, y2, ...], [hole...]], ...]``.
    """

    __slots__ = ("polygons", "values")

    def __init__(
        self,
        values: Sequence[PointCoordinate] | None = None,
        polygons: Sequence[Sequence[Sequence[PointCoordinate]]] | None = None,
    ) -> None:
        if not values and not polygons:
            raise LabelRowError("Either `values` or `polygons` must be provided")
        if polygons:
            self.polygons = [[list(ring) for ring in polygon] for polygon in polygons]
            first = self.polygons[0][0] if self.polygons[0] else []
            if values and list(values) != first:
                log.warning("PolygonCoordinates: `values` and `polygons` differ; using `polygons`")
            self.values = list(first)
        else:
            assert values is not None  # narrowed by the check above
            self.values = list(values)
            self.polygons = [[list(self.values)]]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolygonCoordinates):
            return NotImplemented
        return self.polygons == other.polygons

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PolygonCoordinates(polygons={self.polygons!r})"

    def to_dict(self) -> dict[str, Any]:
        """The legacy ``polygon`` value (first ring of the first polygon)."""
        return _points_to_dict(self.values)

    def to_polygons_list(self) -> list[list[list[float]]]:
        """The ``polygons`` value: per polygon, per ring, flat ``[x1, y1, x2, y2, ...]``."""
        return [
            [[c for p in ring for c in (p.x, p.y)] for ring in polygon] for polygon in self.polygons
        ]

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PolygonCoordinates:
        """Read ``polygons`` when present, else the legacy ``polygon``."""
        flat = d.get("polygons")
        if flat:
            polygons = [
                [[PointCoordinate(r[i], r[i + 1]) for i in range(0, len(r) - 1, 2)] for r in poly]
                for poly in flat
            ]
            return cls(polygons=polygons)
        return cls(values=_points_from_json(d["polygon"]))

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        for i, polygon in enumerate(self.polygons):
            for j, ring in enumerate(polygon):
                for k, p in enumerate(ring):
                    yield f"polygons[{i}][{j}][{k}].x", p.x
                    yield f"polygons[{i}][{j}][{k}].y", p.y


class PolylineCoordinates:
    """An open line through normalised points (JSON ``polyline: {"0": {x, y}, ...}``)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[PointCoordinate]) -> None:
        self.values = list(values)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PolylineCoordinates):
            return NotImplemented
        return self.values == other.values

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PolylineCoordinates(values={self.values!r})"

    def to_dict(self) -> dict[str, Any]:
        return _points_to_dict(self.values)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PolylineCoordinates:
        """Read ``polyline`` given as a dict keyed ``"0"``, ``"1"``, ... or as a list."""
        return cls(_points_from_json(d["polyline"]))

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        for k, p in enumerate(self.values):
            yield f"polyline[{k}].x", p.x
            yield f"polyline[{k}].y", p.y


class Visibility(str, enum.Enum):  # noqa: UP042  (a StrEnum's str() would give the value)
    """Visibility of a skeleton vertex."""

    VISIBLE = "visible"
    INVISIBLE = "invisible"
    OCCLUDED = "occluded"
    SELF_OCCLUDED = "selfOccluded"


@dataclasses.dataclass(frozen=True, slots=True)
class SkeletonCoordinate:
    """One skeleton vertex.  ``name`` is required (a missing name is a ``TypeError`` here; the
    SDK, built on pydantic, raises pydantic's ``ValidationError``)."""

    x: float
    y: float
    name: str
    color: str | None = None
    feature_hash: str | None = None
    value: str | None = None
    visibility: Visibility | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{x, y, name, color, featureHash, value, visibility}`` with None values dropped."""
        d: dict[str, Any] = {"x": self.x, "y": self.y, "name": self.name}
        if self.color is not None:
            d["color"] = self.color
        if self.feature_hash is not None:
            d["featureHash"] = self.feature_hash
        if self.value is not None:
            d["value"] = self.value
        if self.visibility is not None:
            d["visibility"] = Visibility(self.visibility).value
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SkeletonCoordinate:
        visibility = d.get("visibility")
        return cls(
            x=d["x"],
            y=d["y"],
            name=d["name"],
            color=d.get("color"),
            feature_hash=d.get("featureHash"),
            value=d.get("value"),
            visibility=Visibility(visibility) if visibility is not None else None,
        )


@dataclasses.dataclass(slots=True)
class SkeletonCoordinates:
    """A skeleton instance: its vertices and the template ``name`` (``name`` is not written to
    JSON; on read it is filled with the object's name, as the SDK does)."""

    values: list[SkeletonCoordinate]
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {str(i): point.to_dict() for i, point in enumerate(self.values)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkeletonCoordinates:
        points = d["skeleton"]
        items = points.values() if isinstance(points, dict) else points
        return cls(values=[SkeletonCoordinate.from_json(p) for p in items], name=d.get("name", ""))

    def iter_normalised(self) -> Iterator[tuple[str, float]]:
        for k, p in enumerate(self.values):
            yield f"skeleton[{k}].x", p.x
            yield f"skeleton[{k}].y", p.y


Coordinates = (
    BoundingBoxCoordinates
    | RotatableBoundingBoxCoordinates
    | PointCoordinate
    | PolygonCoordinates
    | PolylineCoordinates
    | BitmaskCoordinates
    | SkeletonCoordinates
)

#: For each supported shape: its coordinate class and its geometry key in an object entry.
SHAPE_COORDINATES: dict[Shape, tuple[type[Any], str]] = {
    Shape.BOUNDING_BOX: (BoundingBoxCoordinates, "boundingBox"),
    Shape.ROTATABLE_BOUNDING_BOX: (RotatableBoundingBoxCoordinates, "rotatableBoundingBox"),
    Shape.POINT: (PointCoordinate, "point"),
    Shape.POLYGON: (PolygonCoordinates, "polygon"),
    Shape.POLYLINE: (PolylineCoordinates, "polyline"),
    Shape.BITMASK: (BitmaskCoordinates, "bitmask"),
    Shape.SKELETON: (SkeletonCoordinates, "skeleton"),
}


def write_coordinates(coordinates: Any, entry: dict[str, Any]) -> None:
    """Add the geometry key(s) of ``coordinates`` to an object ``entry`` (polygon writes two)."""
    cls = type(coordinates)
    if cls is BoundingBoxCoordinates:
        entry["boundingBox"] = coordinates.to_dict()
    elif cls is PolygonCoordinates:
        entry["polygon"] = coordinates.to_dict()
        entry["polygons"] = coordinates.to_polygons_list()
    else:
        entry[_KEY_BY_CLASS[cls]] = coordinates.to_dict()


_KEY_BY_CLASS = {cls: key for cls, key in SHAPE_COORDINATES.values()}

__all__ = [
    "BitmaskCoordinates",
    "BoundingBoxCoordinates",
    "Coordinates",
    "EncodedBitmask",
    "PointCoordinate",
    "PolygonCoordinates",
    "PolylineCoordinates",
    "RotatableBoundingBoxCoordinates",
    "SHAPE_COORDINATES",
    "SkeletonCoordinate",
    "SkeletonCoordinates",
    "Visibility",
    "write_coordinates",
]
