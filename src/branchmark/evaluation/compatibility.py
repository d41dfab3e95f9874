"""Strict and Partial attribute compatibility of ground-truth and predicted objects.

A GT and a prediction of the same class may only match when their attribute answers agree
(``EVALUATION.md``, "Strict and Partial attribute matching"):

- **Strict**: every attribute answered on either side is answered on both, with equal answers.
- **Partial**: every attribute the prediction answers is answered equally by the GT; attributes
  only the GT answers are ignored.

Equality: radio = same option, checklist = same set of options, text = same string after Unicode
NFC and trimming, numeric = equal within ``1e-9``. Attributes nested under a chosen option are
compared recursively with the same mode.

The answers of one object on one frame are an :class:`Answers` (attribute feature hash ->
:class:`Answer`), a frozen, hashable tree independent of the SDK classes.
:func:`read_object_answers` builds it from label-row JSON (``ENCORD_COMPAT.md`` section 3.4):
the flat ``object_answers[h]["classifications"]`` list, the ``object_actions[h]["actions"]`` list
for dynamic attributes, and the object's ontology ``attributes`` (which say what nests where).
"""

from __future__ import annotations

import dataclasses
import enum
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.errors import InvalidAnswer, OntologyMismatch

#: Numeric answers closer than this are equal.
NUMERIC_TOLERANCE = 1e-9


class MatchMode(enum.StrEnum):
    """How attribute answers restrict matching; plain strings ``"strict"``/``"partial"`` work."""

    STRICT = "strict"
    PARTIAL = "partial"


class AttributeKind(enum.StrEnum):
    """Attribute types of the Encord ontology (``ATTR["type"]``)."""

    RADIO = "radio"
    CHECKLIST = "checklist"
    TEXT = "text"
    NUMERIC = "numeric"


def normalise_text(text: str) -> str:
    """Unicode NFC, then trimmed: the form in which text answers are compared.

    Examples
    --------
    >>> normalise_text("  Cafe\\u0301 ") == "Caf\\u00e9"
    True
    """
    return unicodedata.normalize("NFC", text).strip()


@dataclasses.dataclass(frozen=True)
class Answer:
    """One attribute's answer.

    ``value`` is the option's feature hash (radio), a frozenset of option feature hashes
    (checklist), the text (normalised on construction) or a float (numeric). ``nested`` holds the
    answers of attributes nested under the chosen option(s).
    """

    kind: AttributeKind
    value: str | frozenset[str] | float
    nested: Answers = dataclasses.field(default_factory=lambda: Answers())

    def __post_init__(self) -> None:
        kind = AttributeKind(self.kind)
        object.__setattr__(self, "kind", kind)
        value = self.value
        if kind is AttributeKind.RADIO and not isinstance(value, str):
            raise InvalidAnswer(f"radio answer must be an option hash (str), got {value!r}")
        if kind is AttributeKind.CHECKLIST:
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):  # type: ignore[union-attr]
                raise InvalidAnswer(
                    f"checklist answer must be a set of option hashes, got {value!r}"
                )
            object.__setattr__(self, "value", frozenset(value))  # type: ignore[arg-type]
        if kind is AttributeKind.TEXT:
            if not isinstance(value, str):
                raise InvalidAnswer(f"text answer must be a str, got {value!r}")
            object.__setattr__(self, "value", normalise_text(value))
        if kind is AttributeKind.NUMERIC:
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise InvalidAnswer(f"numeric answer must be a finite number, got {value!r}")
            object.__setattr__(self, "value", float(value))


@dataclasses.dataclass(frozen=True)
class Answers:
    """Attribute feature hash -> :class:`Answer` for one object on one frame; hashable.

    Build it with ``Answers.of({"attrHash": Answer(...), ...})``.
    """

    entries: tuple[tuple[str, Answer], ...] = ()

    def __post_init__(self) -> None:
        entries = tuple(sorted(self.entries, key=lambda item: item[0]))
        keys = [key for key, _ in entries]
        if len(set(keys)) != len(keys):
            raise InvalidAnswer(f"an attribute is answered twice in {keys}")
        object.__setattr__(self, "entries", entries)

    @classmethod
    def of(cls, mapping: Mapping[str, Answer]) -> Answers:
        """Answers from a mapping of attribute feature hash to answer."""
        return cls(tuple(mapping.items()))

    def as_dict(self) -> dict[str, Answer]:
        return dict(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.entries)


def _values_equal(gt: Answer, pred: Answer) -> bool:
    if gt.kind is not pred.kind:
        return False
    if gt.kind is AttributeKind.NUMERIC:
        return abs(float(gt.value) - float(pred.value)) <= NUMERIC_TOLERANCE  # type: ignore[arg-type]
    return gt.value == pred.value


def answers_compatible(gt: Answers, pred: Answers, *, mode: MatchMode | str) -> bool:
    """Whether a GT and a prediction with these answers may match.

    Examples
    --------
    >>> ripe = Answers.of({"ripeness": Answer("radio", "ripe")})
    >>> [answers_compatible(ripe, Answers(), mode=m) for m in ("partial", "strict")]
    [True, False]
    """
    strict = MatchMode(mode) is MatchMode.STRICT
    gt_map, pred_map = gt.as_dict(), pred.as_dict()
    if strict and gt_map.keys() != pred_map.keys():
        return False
    for key, pred_answer in pred_map.items():
        gt_answer = gt_map.get(key)
        if gt_answer is None or not _values_equal(gt_answer, pred_answer):
            return False
        if not answers_compatible(gt_answer.nested, pred_answer.nested, mode=mode):
            return False
    return True


def compatibility_matrix(
    gt_answers: Sequence[Answers], pred_answers: Sequence[Answers], *, mode: MatchMode | str
) -> NDArray[np.bool_]:
    """Boolean ``(N_gt, N_pred)`` matrix: may GT ``i`` and prediction ``j`` match?

    Distinct answer sets are compared once and the result is broadcast back, so the cost grows
    with the number of *distinct* answer sets (usually a handful), not with ``N_gt * N_pred``.

    Parameters
    ----------
    gt_answers, pred_answers
        One :class:`Answers` per object, at the frame being scored.
    mode
        :class:`MatchMode` or its string value.

    Returns
    -------
    NDArray[np.bool_]
        ``(N_gt, N_pred)``.

    Examples
    --------
    >>> a = Answers.of({"colour": Answer("radio", "red")})
    >>> compatibility_matrix([a, Answers()], [Answers(), a], mode="strict").tolist()
    [[False, True], [True, False]]
    """
    mode = MatchMode(mode)
    for name, seq in (("gt_answers", gt_answers), ("pred_answers", pred_answers)):
        for i, item in enumerate(seq):
            if not isinstance(item, Answers):
                raise TypeError(f"{name}[{i}]: expected Answers, got {type(item).__name__}")
    gt_unique, gt_inverse = _unique(gt_answers)
    pred_unique, pred_inverse = _unique(pred_answers)
    table = np.array(
        [[answers_compatible(g, p, mode=mode) for p in pred_unique] for g in gt_unique],
        dtype=bool,
    ).reshape(len(gt_unique), len(pred_unique))
    return table[np.ix_(gt_inverse, pred_inverse)]


def _unique(items: Sequence[Answers]) -> tuple[list[Answers], NDArray[np.intp]]:
    index: dict[Answers, int] = {}
    inverse = np.array([index.setdefault(item, len(index)) for item in items], dtype=np.intp)
    return list(index), inverse


# --- label-row JSON -> Answers -------------------------------------------------------------------


def _covers(ranges: Any, frame: int) -> bool:
    return any(int(start) <= frame <= int(end) for start, end in ranges)


def _collect(
    entries: Sequence[Mapping[str, Any]], where: str, into: dict[str, Mapping[str, Any]]
) -> None:
    """Index answer entries by attribute hash, merging the editor's one-entry-per-option
    checklist entries into one (as the SDK does when it reads object answers)."""
    for i, entry in enumerate(entries):
        try:
            key = entry["featureHash"]
            answers = entry["answers"]
        except (KeyError, TypeError) as exc:
            raise InvalidAnswer(
                f"{where}[{i}]: answer entry needs 'featureHash' and 'answers'"
            ) from exc
        previous = into.get(key)
        if (
            previous is not None
            and isinstance(previous["answers"], list)
            and isinstance(answers, list)
        ):
            seen = {opt.get("featureHash") for opt in previous["answers"]}
            merged = list(previous["answers"]) + [
                a for a in answers if a.get("featureHash") not in seen
            ]
            into[key] = {**previous, "answers": merged}
        elif previous is not None and previous["answers"] != answers:
            raise InvalidAnswer(
                f"{where}[{i}]: attribute {key} answered twice with different answers"
            )
        else:
            into[key] = entry


def _option_hashes(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, list):
        raise InvalidAnswer(f"{where}: expected a list of options, got {type(raw).__name__}")
    hashes = []
    for option in raw:
        if not isinstance(option, Mapping) or not isinstance(option.get("featureHash"), str):
            raise InvalidAnswer(f"{where}: each option needs a 'featureHash', got {option!r}")
        hashes.append(option["featureHash"])
    return hashes


def _build(
    specs: Sequence[Mapping[str, Any]],
    flat: dict[str, Mapping[str, Any]],
    where: str,
) -> Answers:
    result: dict[str, Answer] = {}
    for spec in specs:
        key = spec["featureNodeHash"]
        entry = flat.get(key)
        if entry is None:
            continue
        kind = AttributeKind(spec["type"])
        field = f"{where} attribute {key} ({spec.get('name', '?')})"
        raw = entry["answers"]
        options = {opt["featureNodeHash"]: opt for opt in spec.get("options", [])}
        nested_specs: list[Mapping[str, Any]] = []
        value: str | frozenset[str] | float
        if kind in (AttributeKind.RADIO, AttributeKind.CHECKLIST):
            chosen = _option_hashes(raw, field)
            unknown = [h for h in chosen if h not in options]
            if unknown:
                raise OntologyMismatch(
                    f"{field}: options {unknown} are not options of the attribute"
                )
            if kind is AttributeKind.RADIO and len(chosen) != 1:
                raise InvalidAnswer(
                    f"{field}: a radio answer has exactly one option, got {len(chosen)}"
                )
            if not chosen and kind is AttributeKind.CHECKLIST:
                continue  # nothing checked: the attribute is not answered
            for h in chosen:
                nested_specs.extend(options[h].get("options", []))
            value = chosen[0] if kind is AttributeKind.RADIO else frozenset(chosen)
        else:
            value = raw
        try:
            answer = Answer(kind, value, _build(nested_specs, flat, where))
        except InvalidAnswer as exc:
            raise InvalidAnswer(f"{field}: {exc}") from exc
        result[key] = answer
    return Answers.of(result)


def _all_attribute_hashes(specs: Sequence[Mapping[str, Any]]) -> set[str]:
    found: set[str] = set()
    for spec in specs:
        found.add(spec["featureNodeHash"])
        for option in spec.get("options", []):
            found |= _all_attribute_hashes(option.get("options", []))
    return found


def read_object_answers(
    answers: Sequence[Mapping[str, Any]],
    *,
    attributes: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]] = (),
    frame: int | None = None,
    object_hash: str = "?",
) -> Answers:
    """Answers of one object on one frame, from label-row JSON entries.

    Parameters
    ----------
    answers
        The object's static answer entries: ``object_answers[h]["classifications"]``, each
        ``{featureHash, answers, ...}`` (nested answers are flattened siblings; repeated checklist
        entries are merged).
    attributes
        The ontology object's ``attributes`` list (ATTR dicts with ``featureNodeHash``, ``type``,
        ``options``; nested attributes under an option's ``"options"``).
    actions
        The object's dynamic answers: ``object_actions[h]["actions"]``, each with ``range``
        (inclusive ``[[start, end], ...]``). Only those whose range covers ``frame`` are used.
    frame
        The frame being scored; required when ``actions`` is not empty.
    object_hash
        Named in error messages.

    Returns
    -------
    Answers
        A tree following the ontology. Answers of attributes nested under an option that is not
        chosen are dropped (they cannot be compared recursively), and a checklist with nothing
        checked counts as not answered.

    Raises
    ------
    OntologyMismatch
        An answer names an attribute or option that the object's ontology does not have.
    InvalidAnswer
        A malformed entry (missing keys, two options for a radio, a non-number for numeric, ...).

    Examples
    --------
    >>> spec = [{"featureNodeHash": "c1", "type": "radio", "name": "Colour",
    ...          "options": [{"featureNodeHash": "red"}, {"featureNodeHash": "blue"}]}]
    >>> read_object_answers([{"featureHash": "c1", "answers": [{"featureHash": "red"}]}],
    ...                     attributes=spec).as_dict()["c1"].value
    'red'
    """
    where = f"object {object_hash}" + (f" frame {frame}" if frame is not None else "")
    flat: dict[str, Mapping[str, Any]] = {}
    _collect(answers, f"{where} answers", flat)
    dynamic: dict[str, Mapping[str, Any]] = {}
    if actions:
        if frame is None:
            raise InvalidAnswer(f"{where}: dynamic answers need the frame being scored")
        current = []
        for i, action in enumerate(actions):
            ranges = action.get("range")
            if not isinstance(ranges, list):
                raise InvalidAnswer(f"{where} actions[{i}]: 'range' must be a list of [start, end]")
            if _covers(ranges, frame):
                current.append(action)
        _collect(current, f"{where} actions", dynamic)
    for key, entry in dynamic.items():
        flat[key] = entry  # the dynamic answer at this frame is the answer of that attribute
    known = _all_attribute_hashes(attributes)
    unknown = sorted(set(flat) - known)
    if unknown:
        raise OntologyMismatch(f"{where}: attributes {unknown} are not in the object's ontology")
    return _build(attributes, flat, where)
