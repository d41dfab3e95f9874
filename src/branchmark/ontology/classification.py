"""A classification of the ontology (``encord.objects.Classification``): one root attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from branchmark.ontology.attributes import Attribute, attribute_from_dict
from branchmark.ontology.identifiers import claim_child_ids
from branchmark.ontology.node import OntologyNode
from branchmark.ontology.shape import OntologyClassificationLevel

if TYPE_CHECKING:
    from branchmark.objects.classification_instance import ClassificationInstance

A = TypeVar("A", bound=Attribute)


class Classification(OntologyNode):
    """A frame-level classification; its ``title`` is the root attribute's ``name``."""

    def __init__(
        self,
        uid: int,
        feature_node_hash: str,
        attributes: list[Attribute] | None = None,
        _level: OntologyClassificationLevel | str | None = None,
    ) -> None:
        self.uid = uid
        self.feature_node_hash = feature_node_hash
        self.attributes: list[Attribute] = list(attributes or [])
        self._level = OntologyClassificationLevel(_level) if _level is not None else None

    @property
    def title(self) -> str:
        return self.attributes[0].name if self.attributes else ""

    @property
    def level(self) -> OntologyClassificationLevel | None:
        return self._level

    @property
    def is_global(self) -> bool:
        """True for a ``level: "global"`` classification (one answer for the whole data unit)."""
        return self._level is OntologyClassificationLevel.GLOBAL

    def child_nodes(self) -> list[OntologyNode]:
        return list(self.attributes)

    def __repr__(self) -> str:
        return (
            f"Classification(feature_node_hash={self.feature_node_hash!r}, uid={self.uid}, "
            f"attributes={self.attributes})"
        )

    def create_instance(self, range_only: bool = False) -> ClassificationInstance:
        """A new :class:`~branchmark.objects.ClassificationInstance`, on no frame yet."""
        from branchmark.objects.classification_instance import ClassificationInstance

        return ClassificationInstance(self, range_only=range_only)

    def add_attribute(
        self,
        cls: type[A],
        name: str,
        local_uid: int | None = None,
        feature_node_hash: str | None = None,
        required: bool = False,
    ) -> A:
        """Set the root attribute; a second one raises ``ValueError`` (as the SDK)."""
        if self.attributes:
            raise ValueError("Classification should have exactly one root attribute")
        uid, node_hash = claim_child_ids([self.uid], [], local_uid, feature_node_hash)
        attribute = cls(
            uid=uid, feature_node_hash=node_hash, name=name, required=required, dynamic=False
        )
        self.attributes.append(attribute)
        return attribute

    def to_dict(self) -> dict[str, Any]:
        """The classification JSON; ``ValueError`` when it has no attribute (as the SDK)."""
        if not self.attributes:
            raise ValueError(
                f"Classification {self.feature_node_hash!r} has no attribute; a classification "
                f"needs exactly one root attribute"
            )
        d: dict[str, Any] = {"id": str(self.uid), "featureNodeHash": self.feature_node_hash}
        if self._level is not None:
            d["level"] = self._level.value
        d["attributes"] = [attribute.to_dict() for attribute in self.attributes]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Classification:
        """Parse ``{"id", "featureNodeHash", "level"?, "attributes"}``."""
        return cls(
            uid=int(d["id"]),
            feature_node_hash=d["featureNodeHash"],
            attributes=[attribute_from_dict(a) for a in d.get("attributes", [])],
            _level=d.get("level"),
        )
