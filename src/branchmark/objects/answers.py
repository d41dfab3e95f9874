"""Attribute answers of object and classification instances, and their label-row JSON.

An answer is a ``str`` (text), an ``int``/``float`` (numeric), a :class:`NestableOption`
(radio) or a list of :class:`FlatOption` (checklist).  The inference and nesting rules are the
SDK's (ENCORD_COMPAT.md sections 2.8, 2.9): an option maps to its parent attribute, a ``str``
to the only reachable text attribute, a number to the only numeric attribute.

The JSON entry of one answered attribute is ``{name, value, answers, featureHash,
manualAnnotation}``; an instance's entries are the answered attributes in **reverse** ontology
depth-first order (nesting is flattened; option hashes show the parent).
"""

from __future__ import annotations

import math
from typing import Any

from branchmark.errors import (
    InvalidAnswer,
    InvalidChecklistAnswer,
    LabelRowError,
)
from branchmark.ontology.attributes import (
    Attribute,
    ChecklistAttribute,
    NumericAttribute,
    RadioAttribute,
    TextAttribute,
)
from branchmark.ontology.node import OntologyNode, walk_nodes
from branchmark.ontology.options import FlatOption, NestableOption, Option

#: Static answers of one instance: attribute feature hash -> (value, manual_annotation).
StaticAnswers = dict[str, tuple[Any, bool]]


def list_attributes(item: OntologyNode) -> list[Attribute]:
    """Every attribute under ``item`` (nested ones included), depth first in ontology order."""
    return [node for node in walk_nodes(item.child_nodes()) if isinstance(node, Attribute)]


def index_attributes(item: OntologyNode) -> dict[str, Attribute]:
    """Attributes under ``item`` by feature hash."""
    return {a.feature_node_hash: a for a in list_attributes(item)}


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def infer_attribute(item: OntologyNode, answer: Any, *, kind: str) -> Attribute:
    """The attribute an answer given without ``attribute=`` belongs to (SDK rules).

    ``kind`` is ``"Object"`` or ``"Classification"`` (for the SDK's message).
    """
    attributes = list_attributes(item)
    if isinstance(answer, list):
        if not answer:
            raise LabelRowError(
                "Cannot infer the attribute if a list of answers is empty. Please provide the "
                "attribute explicitly."
            )
        probe = answer[0]
    else:
        probe = answer
    if isinstance(probe, Option):
        parent = probe.parent_attribute
        if parent is None or not any(parent is a for a in attributes):
            raise LabelRowError(
                f"Cannot find a corresponding attribute for the given answer in the {kind} "
                f"ontology. Please ensure to only pass the correct answer options for the given "
                f"{kind} ontology. The used answer is `{answer}`"
            )
        return parent
    if isinstance(answer, str):
        return _only_attribute(attributes, TextAttribute, "text")
    if _is_number(answer):
        return _only_attribute(attributes, NumericAttribute, "numeric")
    raise InvalidAnswer(
        f"Cannot infer the attribute of an answer of type {type(answer).__name__}: expected a "
        f"str, a number, an Option or a list of Options"
    )


def _only_attribute(attributes: list[Attribute], cls: type[Attribute], label: str) -> Attribute:
    found = [a for a in attributes if isinstance(a, cls)]
    if not found:
        raise LabelRowError(
            f"Cannot find any {label} attribute in the ontology of the given instance. Setting a "
            f"{label} answer is not supported."
        )
    if len(found) > 1:
        raise LabelRowError(
            f"Multiple {label} attributes are present in the ontology of the given instance. "
            f"Please provide the attribute explicitly. The found {label} attributes are {found}"
        )
    return found[0]


def check_answer(attribute: Attribute, answer: Any, *, where: str) -> Any:
    """``answer`` validated for ``attribute`` (a checklist answer becomes a de-duplicated list).

    ``where`` names the instance for messages.  A radio answer must be a ``NestableOption`` of
    this very attribute (``InvalidAnswer``, a ``ValueError`` as the SDK raises; the SDK does not
    check that the option is this attribute's), a checklist answer a list of this attribute's
    ``FlatOption`` s (``InvalidChecklistAnswer``, a ``RuntimeError`` as in the SDK).
    """
    field = f"{where}, attribute {attribute.name!r} ({attribute.feature_node_hash})"
    if isinstance(attribute, RadioAttribute):
        if not isinstance(answer, NestableOption):
            raise InvalidAnswer(
                f"RadioAnswer can only be set to a NestableOption. {field}: got {answer!r}"
            )
        if answer.parent_attribute is not attribute:
            raise InvalidAnswer(
                f"{field}: option {answer.label!r} ({answer.feature_node_hash}) is not an option "
                f"of this radio attribute"
            )
        return answer
    if isinstance(attribute, ChecklistAttribute):
        if not isinstance(answer, list):
            raise InvalidAnswer(f"{field}: a checklist answer must be a list of options")
        chosen: list[FlatOption] = []
        for option in answer:
            if not isinstance(option, FlatOption) or option.parent_attribute is not attribute:
                raise InvalidChecklistAnswer(
                    f"The supplied FlatOption `{option}` is not a child of the ChecklistAttribute "
                    f"that is associated with this class: `{attribute}` ({field})"
                )
            if not any(option is c for c in chosen):
                chosen.append(option)
        return chosen
    if isinstance(attribute, TextAttribute):
        if not isinstance(answer, str):
            raise InvalidAnswer(f"{field}: a text answer must be a str, got {answer!r}")
        return answer
    if isinstance(attribute, NumericAttribute):
        if not _is_number(answer) or not math.isfinite(answer):
            raise InvalidAnswer(
                f"{field}: a numeric answer must be a finite number, got {answer!r}"
            )
        return answer
    raise InvalidAnswer(f"{field}: unsupported attribute type {type(attribute).__name__}")


def is_parent_selected(attribute: Attribute, static: StaticAnswers) -> bool:
    """True when every radio option on the path from the root to ``attribute`` is chosen."""
    option = attribute.parent_option
    while option is not None:
        parent = option.parent_attribute
        if parent is None:
            return False
        chosen = static.get(parent.feature_node_hash)
        if chosen is None or chosen[0] is not option:
            return False
        option = parent.parent_option
    return True


def answer_json(attribute: Attribute, value: Any) -> Any:
    """The ``answers`` value of an entry."""
    if isinstance(attribute, RadioAttribute):
        return [_option_json(value)]
    if isinstance(attribute, ChecklistAttribute):
        return [_option_json(option) for option in value]
    return value


def _option_json(option: Option) -> dict[str, str]:
    return {"name": option.label, "value": option.value, "featureHash": option.feature_node_hash}


def answer_entry(attribute: Attribute, value: Any, manual: bool) -> dict[str, Any]:
    """One attribute-answer entry ``{name, value, answers, featureHash, manualAnnotation}``."""
    return {
        "name": attribute.name,
        "value": attribute.value,
        "answers": answer_json(attribute, value),
        "featureHash": attribute.feature_node_hash,
        "manualAnnotation": manual,
    }


def static_answers_json(item: OntologyNode, static: StaticAnswers) -> list[dict[str, Any]]:
    """Entries of every answered static attribute, in reverse depth-first ontology order."""
    if not static:
        return []
    entries = []
    for attribute in list_attributes(item):
        answered = static.get(attribute.feature_node_hash)
        if answered is not None and not attribute.dynamic:
            entries.append(answer_entry(attribute, answered[0], answered[1]))
    entries.reverse()
    return entries


def parse_answer(attribute: Attribute, answers: Any, *, where: str) -> Any:
    """The answer value of an entry's ``answers`` JSON; ``LabelRowError`` for an unknown
    option hash or a value of the wrong kind."""
    if isinstance(attribute, RadioAttribute | ChecklistAttribute):
        if not isinstance(answers, list):
            raise LabelRowError(f"{where}: answers of {attribute.name!r} must be a list of options")
        by_hash = {o.feature_node_hash: o for o in attribute.options}
        options = []
        for item in answers:
            has_hash = isinstance(item, dict) and "featureHash" in item
            option = by_hash.get(item["featureHash"]) if has_hash else None
            if option is None:
                raise LabelRowError(
                    f"{where}: option {item!r} is not an option of attribute {attribute.name!r} "
                    f"({attribute.feature_node_hash})"
                )
            options.append(option)
        if isinstance(attribute, RadioAttribute):
            if len(options) != 1:
                raise LabelRowError(
                    f"{where}: radio attribute {attribute.name!r} needs exactly one option, "
                    f"got {len(options)}"
                )
            return options[0]
        return options
    if isinstance(attribute, TextAttribute):
        if not isinstance(answers, str):
            raise LabelRowError(f"{where}: text answer of {attribute.name!r} must be a str")
        return answers
    if not _is_number(answers):
        raise LabelRowError(f"{where}: numeric answer of {attribute.name!r} must be a number")
    return answers


def unknown_attribute(feature_hash: object) -> LabelRowError:
    """The SDK's error for an answer whose attribute hash is not in the ontology."""
    return LabelRowError(
        f"Attribute with id [{feature_hash}] does not exist in the ontology. Cannot create a "
        f"valid LabelRow."
    )


def set_static_answer(
    static: StaticAnswers,
    attribute: Attribute,
    answer: Any,
    *,
    overwrite: bool,
    manual: bool,
    where: str,
    check_parent: bool = True,
) -> None:
    """Validate and store a static answer (nothing changes when a check fails)."""
    value = check_answer(attribute, answer, where=where)
    if check_parent and not is_parent_selected(attribute, static):
        raise LabelRowError(
            "Setting a nested attribute is only possible if all parent attributes have been "
            f"selected. ({where}, attribute {attribute.name!r})"
        )
    if not overwrite and attribute.feature_node_hash in static:
        raise LabelRowError(
            "The answer to this attribute was already set. Set `overwrite` to `True` if you want "
            f"tooverwrite an existing answer to an attribute. ({where}, attribute "
            f"{attribute.name!r})"
        )
    static[attribute.feature_node_hash] = (value, manual)


def get_static_answer(static: StaticAnswers, attribute: Attribute) -> Any:
    """The answer, None when unanswered or under an unselected option, ``[]`` for an
    unanswered checklist."""
    if not is_parent_selected(attribute, static):
        return None
    answered = static.get(attribute.feature_node_hash)
    if answered is None:
        return [] if isinstance(attribute, ChecklistAttribute) else None
    value = answered[0]
    return list(value) if isinstance(value, list) else value


def resolve_attribute(
    item: OntologyNode, answer: Any, attribute: Attribute | None, *, kind: str
) -> Attribute:
    """``attribute`` if it belongs to ``item``, else inferred from ``answer``."""
    if attribute is None:
        return infer_attribute(item, answer, kind=kind)
    if not any(attribute is a for a in list_attributes(item)):
        raise LabelRowError(
            f"The attribute {attribute!r} ({attribute.name!r}) is not part of the {kind} "
            f"ontology of this instance."
        )
    return attribute


def answer_key(value: Any) -> Any:
    """A hashable key of an answer value (to group equal dynamic answers)."""
    if isinstance(value, list):
        return tuple(o.feature_node_hash for o in value)
    if isinstance(value, Option):
        return value.feature_node_hash
    return (type(value).__name__, value)
