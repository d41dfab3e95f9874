"""Answer options of radio and checklist attributes (``encord.objects.options``).

A :class:`NestableOption` belongs to a radio attribute and may carry nested attributes (written
under the JSON key ``"options"``, as Encord does); a :class:`FlatOption` belongs to a checklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self, TypeVar

from branchmark.ontology.identifiers import claim_child_ids
from branchmark.ontology.node import OntologyNode

if TYPE_CHECKING:
    from branchmark.ontology.attributes import Attribute

A = TypeVar("A", bound="Attribute")


class Option(OntologyNode):
    """Base of all options: ``uid`` (nested list such as ``[1, 1, 2]``), ``label``, ``value``."""

    def __init__(
        self,
        uid: list[int],
        feature_node_hash: str,
        label: str,
        value: str,
        *,
        archived: bool = False,
    ) -> None:
        self.uid = list(uid)
        self.feature_node_hash = feature_node_hash
        self.label = label
        self.value = value
        self.archived = archived
        #: The attribute this option belongs to (set when the option is added to one).
        self.parent_attribute: Attribute | None = None

    @property
    def title(self) -> str:
        return self.label

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(feature_node_hash={self.feature_node_hash!r}, uid={self.uid}, "
            f"label={self.label!r}, value={self.value!r}, archived={self.archived})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The option's JSON (``id``, ``label``, ``value``, ``featureNodeHash``, ``archived``)."""
        return {
            "id": ".".join(str(part) for part in self.uid),
            "label": self.label,
            "value": self.value,
            "featureNodeHash": self.feature_node_hash,
            "archived": self.archived,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Parse ``{"id", "label", "value", "featureNodeHash", "archived"?}``."""
        return cls(
            uid=parse_uid(d["id"]),
            feature_node_hash=d["featureNodeHash"],
            label=d["label"],
            value=d["value"],
            archived=bool(d.get("archived", False)),
        )


class FlatOption(Option):
    """A checklist option; it has no nested attributes."""


class NestableOption(Option):
    """A radio option; ``nested_options`` holds the attributes shown when it is selected."""

    def __init__(
        self,
        uid: list[int],
        feature_node_hash: str,
        label: str,
        value: str,
        nested_options: list[Attribute] | None = None,
        *,
        archived: bool = False,
    ) -> None:
        super().__init__(uid, feature_node_hash, label, value, archived=archived)
        self.nested_options: list[Attribute] = []
        for attribute in nested_options or []:
            self._attach(attribute)

    def child_nodes(self) -> list[OntologyNode]:
        return list(self.nested_options)

    @property
    def attributes(self) -> list[Attribute]:
        """Alias of ``nested_options``."""
        return self.nested_options

    def _attach(self, attribute: Attribute) -> None:
        attribute.parent_option = self
        self.nested_options.append(attribute)

    def add_nested_attribute(
        self,
        cls: type[A],
        name: str,
        local_uid: int | None = None,
        feature_node_hash: str | None = None,
        required: bool = False,
    ) -> A:
        """Add a nested attribute of class ``cls`` (``RadioAttribute``, ``TextAttribute``, ...).

        Raises ``ValueError`` for a ``local_uid`` or ``feature_node_hash`` already used here.
        """
        uid, node_hash = claim_child_ids(
            self.uid, self.nested_options, local_uid, feature_node_hash
        )
        attribute = cls(
            uid=uid, feature_node_hash=node_hash, name=name, required=required, dynamic=False
        )
        self._attach(attribute)
        return attribute

    def to_dict(self) -> dict[str, Any]:
        """The option's JSON; nested attributes go under ``"options"`` when there are any."""
        d = super().to_dict()
        if self.nested_options:
            d["options"] = [attribute.to_dict() for attribute in self.nested_options]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        """Parse a radio option, its nested attributes read from the ``"options"`` key."""
        from branchmark.ontology.attributes import attribute_from_dict

        option = super().from_dict(d)
        for attribute in d.get("options", []):
            option._attach(attribute_from_dict(attribute))
        return option


def parse_uid(text: str | int) -> list[int]:
    return [int(part) for part in str(text).split(".")]
