"""Attributes of objects and classifications (``encord.objects.attributes``).

Radio (single choice, :class:`NestableOption` options that can nest further attributes),
checklist (multiple choice, :class:`FlatOption`), free text and numeric.  Only top-level object
attributes may be ``dynamic`` (answer varies per frame).
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from branchmark.ontology.identifiers import claim_child_ids, value_from_title
from branchmark.ontology.node import OntologyNode
from branchmark.ontology.options import FlatOption, NestableOption, Option, parse_uid

OptionT = TypeVar("OptionT", bound=Option)


class Attribute(OntologyNode):
    """Base of the four attribute kinds; ``uid`` is a nested list such as ``[1, 2]``."""

    TYPE: ClassVar[str] = ""

    def __init__(
        self,
        uid: list[int],
        feature_node_hash: str,
        name: str,
        required: bool = False,
        dynamic: bool = False,
        *,
        archived: bool = False,
    ) -> None:
        self.uid = list(uid)
        self.feature_node_hash = feature_node_hash
        self.name = name
        self.required = required
        self.dynamic = dynamic
        self.archived = archived
        #: The radio option this attribute is nested under, None for a top-level attribute.
        self.parent_option: NestableOption | None = None
        self.value = value_from_title(name)

    @property
    def title(self) -> str:
        return self.name

    @property
    def options(self) -> list[Any]:
        return []

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(feature_node_hash={self.feature_node_hash!r}, uid={self.uid})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The attribute's JSON (section 4 of ENCORD_COMPAT.md)."""
        return {
            "id": ".".join(str(part) for part in self.uid),
            "name": self.name,
            "type": self.TYPE,
            "featureNodeHash": self.feature_node_hash,
            "required": self.required,
            "archived": self.archived,
            "dynamic": self.dynamic,
        }


class _OptionAttribute(Attribute, Generic[OptionT]):
    """An attribute whose answers are options of class ``OPTION_CLASS`` (radio, checklist)."""

    OPTION_CLASS: type[OptionT]

    def __init__(
        self,
        uid: list[int],
        feature_node_hash: str,
        name: str,
        required: bool = False,
        dynamic: bool = False,
        options: list[OptionT] | None = None,
        *,
        archived: bool = False,
    ) -> None:
        super().__init__(uid, feature_node_hash, name, required, dynamic, archived=archived)
        self._options: list[OptionT] = []
        for option in options or []:
            option.parent_attribute = self
            self._options.append(option)

    @property
    def options(self) -> list[OptionT]:
        return self._options

    def child_nodes(self) -> list[OntologyNode]:
        return list(self._options)

    def add_option(
        self,
        label: str,
        value: str | None = None,
        local_uid: int | None = None,
        feature_node_hash: str | None = None,
    ) -> OptionT:
        """Add an option; ``value`` defaults to the label lower-cased, whitespace as ``_``."""
        uid, node_hash = claim_child_ids(self.uid, self._options, local_uid, feature_node_hash)
        option = self.OPTION_CLASS(
            uid=uid,
            feature_node_hash=node_hash,
            label=label,
            value=value if value is not None else value_from_title(label),
        )
        option.parent_attribute = self
        self._options.append(option)
        return option

    def to_dict(self) -> dict[str, Any]:
        d = super().to_dict()
        d["options"] = [option.to_dict() for option in self._options]
        return d


class RadioAttribute(_OptionAttribute[NestableOption]):
    """Single choice among :class:`NestableOption` options."""

    TYPE = "radio"
    OPTION_CLASS = NestableOption


class ChecklistAttribute(_OptionAttribute[FlatOption]):
    """Multiple choice among :class:`FlatOption` options."""

    TYPE = "checklist"
    OPTION_CLASS = FlatOption


class TextAttribute(Attribute):
    """Free text answer."""

    TYPE = "text"


class NumericAttribute(Attribute):
    """An int or float answer."""

    TYPE = "numeric"


ATTRIBUTE_CLASSES: dict[str, type[Attribute]] = {
    cls.TYPE: cls for cls in (RadioAttribute, ChecklistAttribute, TextAttribute, NumericAttribute)
}


def attribute_from_dict(d: dict[str, Any]) -> Attribute:
    """Parse one attribute JSON; ``TypeError`` for an unknown ``type`` (as the SDK)."""
    cls = ATTRIBUTE_CLASSES.get(d.get("type", ""))
    if cls is None:
        raise TypeError(
            f"Attribute is ill-formed: '{d}'. Expected to see either attribute specific fields "
            f"or option specific fields. Got both or none of them."
        )
    common: dict[str, Any] = {
        "uid": parse_uid(d["id"]),
        "feature_node_hash": d["featureNodeHash"],
        "name": d["name"],
        "required": bool(d.get("required", False)),
        "dynamic": bool(d.get("dynamic", False)),
        "archived": bool(d.get("archived", False)),
    }
    if issubclass(cls, _OptionAttribute):
        options = [cls.OPTION_CLASS.from_dict(o) for o in d.get("options", [])]
        return cls(**common, options=options)
    return cls(**common)
