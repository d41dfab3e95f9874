"""The whole ontology of a project (``encord.objects.OntologyStructure``) and its JSON."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from branchmark.ontology.classification import Classification
from branchmark.ontology.identifiers import generate_feature_hash, next_local_uid
from branchmark.ontology.node import (
    OntologyNode,
    find_child_by_hash,
    find_child_by_title,
    find_children_by_title,
)
from branchmark.ontology.ontology_object import Object
from branchmark.ontology.shape import OntologyClassificationLevel, Shape
from branchmark.ontology.skeleton_template import SkeletonTemplate

N = TypeVar("N")

#: Encord's default object colours, taken in order of the object uid.
DEFAULT_COLORS = (
    "#D33115", "#E27300", "#16406C", "#FE9200", "#FCDC00", "#DBDF00", "#A4DD00", "#68CCCA",
    "#73D8FF", "#AEA1FF", "#FCC400", "#B0BC00", "#68BC00", "#16A5A5", "#009CE0", "#7B64FF",
    "#FA28FF", "#B3B3B3", "#9F0500", "#C45100", "#FB9E00", "#808900", "#194D33", "#0C797D",
    "#0062B1", "#653294", "#AB149E",
)  # fmt: skip


@dataclasses.dataclass
class OntologyStructure:
    """Objects, classifications and skeleton templates (keyed by template **name**).

    Lookups search objects, classifications and every nested attribute and option:

    >>> s = OntologyStructure()
    >>> cherry = s.add_object("Cherry", Shape.BOUNDING_BOX, feature_node_hash="0b1e4a01")
    >>> s.get_child_by_title("Cherry", type_=Object) is cherry
    True
    """

    objects: list[Object] = dataclasses.field(default_factory=list)
    classifications: list[Classification] = dataclasses.field(default_factory=list)
    skeleton_templates: dict[str, SkeletonTemplate] = dataclasses.field(default_factory=dict)

    def _roots(self) -> list[OntologyNode]:
        return [*self.objects, *self.classifications]

    def get_child_by_hash(self, feature_node_hash: str, type_: type[N] | None = None) -> N:
        """The node with this hash: ``OntologyError`` if none, ``TypeError`` if not ``type_``."""
        found: N = find_child_by_hash(self._roots(), feature_node_hash, type_)
        return found

    def get_child_by_title(self, title: str, type_: type[N] | None = None) -> N:
        """The single node titled ``title``: ``OntologyError`` when none or several match.

        A classification's title is its root attribute's name.  Without ``type_``, a title
        shared by an object and an option is ambiguous.
        """
        found: N = find_child_by_title(self._roots(), title, type_)
        return found

    def get_children_by_title(self, title: str, type_: type[N] | None = None) -> list[N]:
        """Every node titled ``title`` (and of ``type_``); never raises."""
        return find_children_by_title(self._roots(), title, type_)

    def _check_new_hash(self, feature_node_hash: str | None) -> None:
        if feature_node_hash is None:
            return
        for node in self._roots():
            if node.feature_node_hash == feature_node_hash:
                raise ValueError(f"Duplicate feature_node_hash '{feature_node_hash}'")

    def add_object(
        self,
        name: str,
        shape: Shape | str,
        uid: int | None = None,
        color: str | None = None,
        feature_node_hash: str | None = None,
    ) -> Object:
        """Add an object class; ``ValueError`` on a duplicate uid or feature hash."""
        uid = next_local_uid([o.uid for o in self.objects], uid)
        self._check_new_hash(feature_node_hash)
        obj = Object(
            uid=uid,
            name=name,
            color=color or DEFAULT_COLORS[(uid - 1) % len(DEFAULT_COLORS)],
            shape=Shape(shape),
            feature_node_hash=feature_node_hash or generate_feature_hash(),
        )
        self.objects.append(obj)
        return obj

    def add_classification(
        self,
        uid: int | None = None,
        feature_node_hash: str | None = None,
        level: OntologyClassificationLevel | str | None = None,
    ) -> Classification:
        """Add a classification (give it its root attribute with ``add_attribute``)."""
        uid = next_local_uid([c.uid for c in self.classifications], uid)
        self._check_new_hash(feature_node_hash)
        classification = Classification(
            uid=uid, feature_node_hash=feature_node_hash or generate_feature_hash(), _level=level
        )
        self.classifications.append(classification)
        return classification

    def add_skeleton_template(
        self, template: SkeletonTemplate, feature_node_hash: str | None = None
    ) -> SkeletonTemplate:
        """Register ``template`` under its name; ``ValueError`` if the name is taken."""
        if template.name in self.skeleton_templates:
            raise ValueError(f"Duplicate skeleton template name '{template.name}'")
        if feature_node_hash is not None:
            template.feature_node_hash = feature_node_hash
        elif not template.feature_node_hash:
            template.feature_node_hash = generate_feature_hash()
        self.skeleton_templates[template.name] = template
        return template

    def add_skeleton_object(
        self,
        name: str,
        template: SkeletonTemplate | str,
        color: str | None = None,
        feature_node_hash: str | None = None,
    ) -> Object:
        """Add a skeleton object sharing its feature hash with ``template`` (registered if new)."""
        if isinstance(template, str):
            if template not in self.skeleton_templates:
                raise ValueError(f"No skeleton template named '{template}'")
            template = self.skeleton_templates[template]
        if template.name not in self.skeleton_templates:
            self.add_skeleton_template(template, feature_node_hash)
        elif feature_node_hash is not None and feature_node_hash != template.feature_node_hash:
            raise ValueError(
                f"feature_node_hash '{feature_node_hash}' differs from skeleton template "
                f"'{template.name}' hash '{template.feature_node_hash}'"
            )
        return self.add_object(
            name, Shape.SKELETON, color=color, feature_node_hash=template.feature_node_hash
        )

    def to_dict(self) -> dict[str, Any]:
        """The ontology JSON of ENCORD_COMPAT.md section 4."""
        return {
            "objects": [obj.to_dict() for obj in self.objects],
            "classifications": [c.to_dict() for c in self.classifications],
            "skeleton_templates": [
                {"template": template.to_dict()} for template in self.skeleton_templates.values()
            ],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> OntologyStructure:
        """Parse the ontology JSON; ``skeleton_templates`` is optional."""
        templates = [
            SkeletonTemplate.from_dict(t["template"]) for t in d.get("skeleton_templates", [])
        ]
        return cls(
            objects=[Object.from_dict(o) for o in d.get("objects", [])],
            classifications=[Classification.from_dict(c) for c in d.get("classifications", [])],
            skeleton_templates={t.name: t for t in templates},
        )
