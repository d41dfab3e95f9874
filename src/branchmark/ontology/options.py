"""Answer options of radio and checklist attributes (``encord.objects.options``).

A :class:`NestableOption` belongs to a radio attribute and may carry nested attributes (written
under the JSON key ``"options"``, as Encord does); a :class:`FlatOption` belongs to a checklist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from branchmark.ontology.identifiers import generate_short_hash
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


class FlatOption(Option):
    """A checklist option; it has no nested attributes."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FlatOption:
        """Parse ``{"id", "label", "value", "featureNodeHash", "archived"?}``."""
        return cls(
            uid=parse_uid(d["id"]),
            feature_node_hash=d["featureNodeHash"],
            label=d["label"],
            value=d["value"],
            archived=bool(d.get("archived", False)),
        )


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
        uid = self.uid + [next_local_uid([a.uid[-1] for a in self.nested_options], local_uid)]
        check_unique_hash([a.feature_node_hash for a in self.nested_options], feature_node_hash)
        attribute = cls(
            uid=uid,
            feature_node_hash=feature_node_hash or generate_short_hash(),
            name=name,
            required=required,
            dynamic=False,
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
    def from_dict(cls, d: dict[str, Any]) -> NestableOption:
        """Parse a radio option, its nested attributes read from the ``"options"`` key."""
        from branchmark.ontology.attributes import attribute_from_dict

        return cls(
            uid=parse_uid(d["id"]),
            feature_node_hash=d["featureNodeHash"],
            label=d["label"],
            value=d["value"],
            nested_options=[attribute_from_dict(a) for a in d.get("options", [])],
            archived=bool(d.get("archived", False)),
        )


def parse_uid(text: str | int) -> list[int]:
    return [int(part) for part in str(text).split(".")]


def next_local_uid(existing: list[int], requested: int | None) -> int:
    """``requested`` if free (``ValueError`` if taken), else one more than the largest used."""
    if requested is None:
        return max(existing, default=0) + 1
    if requested in existing:
        raise ValueError(f"Duplicate uid '{requested}'")
    return requested


def check_unique_hash(existing: list[str], requested: str | None) -> None:
    """``ValueError`` when ``requested`` is already one of ``existing``."""
    if requested is not None and requested in existing:
        raise ValueError(f"Duplicate feature_node_hash '{requested}'")


