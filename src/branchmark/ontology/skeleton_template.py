"""Skeleton ("object primitive") templates (``encord.objects.skeleton_template``).

A template names its vertices; a skeleton object and its template share one feature hash.  Note
the JSON's snake-case ``feature_node_hash`` beside the camel-case ``skeletonEdges``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from branchmark.ontology.shape import Shape

if TYPE_CHECKING:
    from branchmark.objects.coordinates import SkeletonCoordinate, SkeletonCoordinates


@dataclasses.dataclass
class SkeletonTemplateCoordinate:
    """One vertex of a template: position in the template's box, name, colour and hash."""

    x: float
    y: float
    name: str
    color: str = "#000000"
    value: str = ""
    feature_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "x": self.x,
            "y": self.y,
            "name": self.name,
            "color": self.color,
            "value": self.value,
            "featureHash": self.feature_hash,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkeletonTemplateCoordinate:
        return cls(
            x=d["x"],
            y=d["y"],
            name=d["name"],
            color=d.get("color", "#000000"),
            value=d.get("value", ""),
            feature_hash=d.get("featureHash", ""),
        )


@dataclasses.dataclass
class SkeletonTemplate:
    """A named skeleton: vertices keyed ``"0"``, ``"1"``, ... and edges between them."""

    name: str
    width: float
    height: float
    skeleton: dict[str, SkeletonTemplateCoordinate]
    skeleton_edges: dict[str, dict[str, dict[str, str]]]
    feature_node_hash: str = ""
    shape: Shape = Shape.SKELETON

    @property
    def required_vertices(self) -> set[str]:
        """The vertex names an instance must provide."""
        return {vertex.name for vertex in self.skeleton.values()}

    def create_instance(
        self, provided_coordinates: Sequence[SkeletonCoordinate]
    ) -> SkeletonCoordinates:
        """Skeleton coordinates for ``provided_coordinates`` matched to vertices by name.

        Colour, value and feature hash come from the template.  ``ValueError`` when the names
        given are not exactly the template's vertex names.
        """
        from branchmark.objects.coordinates import SkeletonCoordinate, SkeletonCoordinates

        by_name = {point.name: point for point in provided_coordinates}
        if set(by_name) != self.required_vertices or len(by_name) != len(provided_coordinates):
            raise ValueError(
                f"skeleton template {self.name!r} needs exactly the vertices "
                f"{sorted(self.required_vertices)}, got {[p.name for p in provided_coordinates]}"
            )
        values = []
        for vertex in self.skeleton.values():
            point = by_name[vertex.name]
            values.append(
                SkeletonCoordinate(
                    x=point.x,
                    y=point.y,
                    name=vertex.name,
                    color=vertex.color,
                    value=vertex.value,
                    feature_hash=vertex.feature_hash,
                    visibility=point.visibility,
                )
            )
        return SkeletonCoordinates(values=values, name=self.name)

    def to_dict(self) -> dict[str, Any]:
        """The template JSON (the value under ``"template"`` in ``skeleton_templates``)."""
        return {
            "name": self.name,
            "width": self.width,
            "height": self.height,
            "skeleton": {key: vertex.to_dict() for key, vertex in self.skeleton.items()},
            "skeletonEdges": self.skeleton_edges,
            "feature_node_hash": self.feature_node_hash,
            "shape": self.shape.value,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SkeletonTemplate:
        return cls(
            name=d["name"],
            width=d["width"],
            height=d["height"],
            skeleton={k: SkeletonTemplateCoordinate.from_dict(v) for k, v in d["skeleton"].items()},
            skeleton_edges=d.get("skeletonEdges", {}),
            feature_node_hash=d.get("feature_node_hash", ""),
            shape=Shape(d.get("shape", "skeleton")),
        )
