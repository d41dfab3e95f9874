"""Shapes of ontology objects and the level of a classification (Encord's string values)."""

from __future__ import annotations

import enum


# (str, Enum), not StrEnum, so that str(Shape.POLYGON) stays "Shape.POLYGON".
class Shape(str, enum.Enum):  # noqa: UP042
    """Geometry kind of an ontology :class:`~branchmark.ontology.Object`.

    The values are the strings of Encord's ontology and label-row JSON.  Being a ``str`` enum,
    ``Shape("polygon")`` and ``Shape.POLYGON == "polygon"`` both work.
    """

    BOUNDING_BOX = "bounding_box"
    ROTATABLE_BOUNDING_BOX = "rotatable_bounding_box"
    POLYGON = "polygon"
    POLYLINE = "polyline"
    POINT = "point"
    BITMASK = "bitmask"
    SKELETON = "skeleton"
    CIRCLE = "circle"
    ELLIPSE = "ellipse"
    CUBOID = "cuboid"
    CUBOID_2D = "cuboid_2d"
    AUDIO = "audio"
    TIME_RANGE = "time_range"
    TEXT = "text"
    SEGMENTATION = "segmentation"


class OntologyClassificationLevel(str, enum.Enum):  # noqa: UP042
    """Level of a classification; only ``global`` is defined (``level`` key of the JSON)."""

    GLOBAL = "global"
