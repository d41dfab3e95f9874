"""An ontology object class such as "Cherry (bounding box)" (``encord.objects.Object``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from branchmark.ontology.attributes import Attribute, attribute_from_dict
from branchmark.ontology.identifiers import claim_child_ids, value_from_title
from branchmark.ontology.node import OntologyNode
from branchmark.ontology.shape import Shape

if TYPE_CHECKING:
    from branchmark.objects.object_instance import ObjectInstance

A = TypeVar("A", bound=Attribute)

_instance_class: type[ObjectInstance] | None = None


class Object(OntologyNode):
    """An object class of the ontology: a name, a colour, a :class:`Shape` and attributes.

    ``title`` equals ``name``.  Equality is identity: two ontologies parsed from the same JSON
    hold distinct objects; compare ``feature_node_hash`` to match them.
    """

    def __init__(
        self,
        uid: int,
        name: str,
        color: str,
        shape: Shape | str,
        feature_node_hash: str,
        required: bool = False,
        archived: bool = False,
        attributes: list[Attribute] | None = None,
    ) -> None:
        self.uid = uid
        self.name = name
        self.color = color
        self.shape = Shape(shape)
        self.feature_node_hash = feature_node_hash
        self.required = required
        self.archived = archived
        self.attributes: list[Attribute] = list(attributes or [])

    @property
    def title(self) -> str:
        return self.name

    @property
    def value(self) -> str:
        """The name lower-cased with whitespace as ``_`` (the label JSON's ``value``)."""
        return value_from_title(self.name)

    def child_nodes(self) -> list[OntologyNode]:
        return list(self.attributes)

    def __repr__(self) -> str:
        return (
            f"Object(feature_node_hash={self.feature_node_hash!r}, uid={self.uid}, "
            f"name={self.name!r}, color={self.color!r}, shape={self.shape!r}, "
            f"required={self.required}, archived={self.archived}, attributes={self.attributes})"
        )

    def create_instance(self, *, object_number: int | None = None) -> ObjectInstance:
        """A new :class:`~branchmark.objects.ObjectInstance` of this object, on no frame yet."""
        # The instance type lives one layer up (objects/); importing it at first call keeps the
        # ontology package importable on its own, as Encord's create_instance does.
        global _instance_class
        if _instance_class is None:
            from branchmark.objects.object_instance import ObjectInstance

            _instance_class = ObjectInstance
        return _instance_class(self, object_number=object_number)

    def add_attribute(
        self,
        cls: type[A],
        name: str,
        local_uid: int | None = None,
        feature_node_hash: str | None = None,
        required: bool = False,
        dynamic: bool = False,
    ) -> A:
        """Add a top-level attribute of class ``cls``; ``ValueError`` on a duplicate uid/hash."""
        uid, node_hash = claim_child_ids([self.uid], self.attributes, local_uid, feature_node_hash)
        attribute = cls(
            uid=uid, feature_node_hash=node_hash, name=name, required=required, dynamic=dynamic
        )
        self.attributes.append(attribute)
        return attribute

    def to_dict(self) -> dict[str, Any]:
        """The object's ontology JSON; ``attributes`` only when there are any."""
        d: dict[str, Any] = {
            "id": str(self.uid),
            "name": self.name,
            "color": self.color,
            "shape": self.shape.value,
            "featureNodeHash": self.feature_node_hash,
            "required": self.required,
            "archived": self.archived,
        }
        if self.attributes:
            d["attributes"] = [attribute.to_dict() for attribute in self.attributes]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Object:
        """Parse an object JSON; ``TypeError`` for an unknown shape (as the SDK)."""
        try:
            shape = Shape(d["shape"])
        except ValueError:
            raise TypeError(
                f"The shape '{d['shape']}' of the object '{d}' is not recognised"
            ) from None
        return cls(
            uid=int(d["id"]),
            name=d["name"],
            color=d["color"],
            shape=shape,
            feature_node_hash=d["featureNodeHash"],
            required=bool(d.get("required", False)),
            archived=bool(d.get("archived", False)),
            attributes=[attribute_from_dict(a) for a in d.get("attributes", [])],
        )
