"""Validated columns of JSON records: one field of every record checked at once.

Importers read a list of records (dicts parsed by orjson) field by field.  Each reader here
returns a numpy column and rejects bad records through a :class:`RecordCheck`, whose messages
name the file, the record (index and id) and the field::

    annotations.json: annotations[17] (id 42): field "bbox": expected 4 finite numbers,
    got [1, 2, "x", 4]

(one line in the message).

The fast path of every reader is a few C-level passes over the list (type sets, ``np.array``);
only when it finds a problem does a Python loop look for the first bad record to name it.
"""

from __future__ import annotations

import itertools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.importers.json_files import show_value
from branchmark.importers.report import MAX_REASONS, Problems


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
"""Stand-in for a field a record does not have."""

_NUMBER_TYPES = frozenset({int, float})


class RecordCheck:
    """The records of one section of one file, and which of them are still valid.

    Not frozen: ``valid`` shrinks as fields are checked (with ``skip_invalid``).  ``label(i)`` is
    the record's id text, e.g. ``" (id 42)"``.
    """

    def __init__(
        self,
        records: Sequence[Any],
        *,
        source: str,
        section: str,
        problems: Problems,
        label: Callable[[int], str] | None = None,
    ) -> None:
        self.records = records
        self.source = source
        self.section = section
        self.problems = problems
        self.label = label or (lambda i: "")
        self.valid = np.ones(len(records), dtype=bool)
        self.columns: dict[str, list[Any]] = {}
        self.uniform_keys: frozenset[str] | None = None

    def prefetch(self) -> None:
        """Read every field in one pass when all records are objects with the same keys.

        The common case (a model's results list) then costs one C-level ``itemgetter`` pass
        and a transpose instead of one Python loop per field; :func:`field_values` reads the
        prefetched columns, and fields outside the shared keys are known absent everywhere.
        """
        records = self.records
        if not records or type(records[0]) is not dict:
            return
        keys = tuple(records[0])
        if not keys or set(map(len, records)) != {len(keys)}:
            return
        try:
            columns = {k: list(map(operator.itemgetter(k), records)) for k in keys}
        except (KeyError, TypeError, AttributeError):
            return
        self.columns = columns
        self.uniform_keys = frozenset(keys)

    def where(self, i: int) -> str:
        """``file: section[i] (id ...)``."""
        return f"{self.source}: {self.section}[{i}]{self.label(i)}"

    def message(self, i: int, field: str | None, problem: str) -> str:
        """The error text for record ``i``."""
        if field is None:
            return f"{self.where(i)}: {problem}"
        return f'{self.where(i)}: field "{field}": {problem}'

    def reject(
        self, bad: NDArray[np.bool_], field: str | None, problem: Callable[[int], str]
    ) -> None:
        """Fail on the first still-valid record in ``bad`` (or, skipping, drop them all)."""
        bad = np.asarray(bad, dtype=bool) & self.valid
        if not bad.any():
            return
        positions = np.flatnonzero(bad)
        first = int(positions[0])
        self.problems.fail(self.message(first, field, problem(first)), count=len(positions))
        for i in positions[1 : 1 + max(0, MAX_REASONS - len(self.problems.reasons))]:
            self.problems.reasons.append(self.message(int(i), field, problem(int(i))))
        self.valid &= ~bad

    def reject_one(self, i: int, field: str | None, problem: str) -> None:
        """Fail on record ``i`` (if still valid)."""
        mask = np.zeros(len(self.records), dtype=bool)
        mask[i] = True
        self.reject(mask, field, lambda _: problem)


def check_objects(check: RecordCheck) -> None:
    """Every record must be a JSON object."""
    records = check.records
    if not records or set(map(type, records)) == {dict}:
        return
    bad = np.fromiter((type(r) is not dict for r in records), dtype=bool, count=len(records))
    check.reject(bad, None, lambda i: f"expected an object, got {show_value(records[i])}")


def field_values(check: RecordCheck, field: str) -> list[Any]:
    """``record[field]`` per record, :data:`MISSING` where absent (or the record is no object)."""
    if field in check.columns:
        return check.columns[field]
    if check.uniform_keys is not None:
        return [MISSING] * len(check.records)
    return [r.get(field, MISSING) if type(r) is dict else MISSING for r in check.records]


def present(values: list[Any]) -> NDArray[np.bool_]:
    """Where a value is given."""
    missing = values.count(MISSING)  # C-level; identity is checked first
    if missing == 0:
        return np.ones(len(values), dtype=bool)
    if missing == len(values):
        return np.zeros(len(values), dtype=bool)
    return np.fromiter((v is not MISSING for v in values), dtype=bool, count=len(values))


def _missing_or(values: Sequence[Any], expected: str) -> Callable[[int], str]:
    def problem(i: int) -> str:
        v = values[i]
        return "is missing" if v is MISSING else f"expected {expected}, got {show_value(v)}"

    return problem


def read_ints(
    check: RecordCheck, field: str, *, required: bool = True, default: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """An integer field as int64 (``default`` where absent) and where it was given.

    Booleans and integral floats are refused: ids are integers in COCO.
    """
    values = field_values(check, field)
    n = len(values)
    given = present(values)
    kinds = set(map(type, values))
    if kinds <= {int}:
        try:
            return np.array(values, dtype=np.int64).reshape(n), given
        except OverflowError:
            pass
    ok = np.fromiter(
        (type(v) is int and -(2**63) <= v < 2**63 for v in values), dtype=bool, count=n
    )
    bad = ~ok if required else (~ok & given)
    check.reject(bad, field, _missing_or(values, "an integer (64-bit)"))
    out = np.array([v if o else default for v, o in zip(values, ok, strict=True)], dtype=np.int64)
    return out.reshape(n), given & ok


def read_floats(
    check: RecordCheck,
    field: str,
    *,
    required: bool = True,
    low: float = -np.inf,
    high: float = np.inf,
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """A finite number field in ``[low, high]`` as float64 (NaN where absent) and where given."""
    values = field_values(check, field)
    n = len(values)
    given = present(values)
    if not required and not given.any():
        return np.full(n, np.nan), given
    if set(map(type, values)) <= _NUMBER_TYPES:
        array = np.array(values, dtype=np.float64).reshape(n)
        ok = np.ones(n, dtype=bool)
    else:
        ok = np.fromiter((type(v) in _NUMBER_TYPES for v in values), dtype=bool, count=n)
        array = np.array(
            [v if o else np.nan for v, o in zip(values, ok, strict=True)], dtype=np.float64
        )
    bounds = f" within [{low:g}, {high:g}]" if np.isfinite(low) or np.isfinite(high) else ""
    with np.errstate(invalid="ignore"):
        ok &= np.isfinite(array) & (array >= low) & (array <= high)
    bad = ~ok if required else (~ok & given)
    check.reject(bad, field, _missing_or(values, f"a finite number{bounds}"))
    array[~ok] = np.nan
    return array, given & ok


def read_flags(check: RecordCheck, field: str) -> NDArray[np.bool_]:
    """An optional 0/1 (or true/false) field as bool; absent is 0."""
    values = field_values(check, field)
    n = len(values)
    if values.count(MISSING) == n:
        return np.zeros(n, dtype=bool)
    try:
        simple = set(values) <= {0, 1, MISSING}  # True == 1, False == 0
    except TypeError:  # an unhashable value (list, object)
        simple = False
    if simple:
        return np.fromiter((v is not MISSING and bool(v) for v in values), dtype=bool, count=n)
    ok = np.fromiter(
        (v is MISSING or (type(v) in (int, bool) and v in (0, 1)) for v in values),
        dtype=bool,
        count=n,
    )
    check.reject(~ok, field, lambda i: f"expected 0 or 1, got {show_value(values[i])}")
    return np.fromiter(
        (o and v is not MISSING and bool(v) for v, o in zip(values, ok, strict=True)),
        dtype=bool,
        count=n,
    )


def read_number_lists(
    check: RecordCheck, field: str, *, width: int, required: bool = True
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """A field of ``width`` finite numbers, as ``(N, width)`` float64 (NaN rows where absent)."""
    values = field_values(check, field)
    n = len(values)
    given = present(values)
    out = np.full((n, width), np.nan)
    ok: NDArray[np.bool_]
    fast = False
    if given.all() and set(map(type, values)) <= {list} and set(map(len, values)) <= {width}:
        # One flat list: its type set and np.array cost 0.26 s for 1M boxes, against 0.57 s
        # for the type set over a chain of the lists and np.array of the nested lists.
        flat = list(itertools.chain.from_iterable(values))
        fast = set(map(type, flat)) <= _NUMBER_TYPES
    if fast:
        out = np.array(flat, dtype=np.float64).reshape(n, width)
        # np.all, not the method: numpy's stubs type an axis reduction as "bool or array".
        ok = np.all(np.isfinite(out), axis=1)
    else:
        ok = np.zeros(n, dtype=bool)
        for i, v in enumerate(values):
            if type(v) is list and len(v) == width and all(type(x) in _NUMBER_TYPES for x in v):
                row = np.array(v, dtype=np.float64)
                if np.isfinite(row).all():
                    out[i] = row
                    ok[i] = True
    bad = ~ok if required else (~ok & given)
    check.reject(bad, field, _missing_or(values, f"{width} finite numbers"))
    out[~ok] = np.nan
    return out, given & ok


def read_strings(
    check: RecordCheck, field: str, *, required: bool = True, default: str = ""
) -> list[str]:
    """A non-empty string field (``default`` where absent and not required)."""
    values = field_values(check, field)
    ok = np.fromiter(
        ((type(v) is str and v.strip() != "") or (v is MISSING and not required) for v in values),
        dtype=bool,
        count=len(values),
    )
    check.reject(~ok, field, _missing_or(values, "a non-empty string"))
    return [v if type(v) is str else default for v in values]


def reject_duplicates(check: RecordCheck, ids: NDArray[Any], field: str = "id") -> None:
    """Fail on a record whose ``ids`` value repeats an earlier (still valid) record's."""
    valid = np.flatnonzero(check.valid)
    if len(valid) < 2:
        return
    order = valid[np.argsort(ids[valid], kind="stable")]
    sorted_ids = ids[order]
    repeat = np.flatnonzero(sorted_ids[1:] == sorted_ids[:-1]) + 1
    if not len(repeat):
        return

    def plain(i: int) -> Any:
        value = ids[i]
        return value.item() if isinstance(value, np.generic) else value

    first_of: dict[Any, int] = {}
    for k in range(len(order)):
        first_of.setdefault(plain(int(order[k])), int(order[k]))
    bad = np.zeros(len(ids), dtype=bool)
    bad[order[repeat]] = True
    check.reject(
        bad,
        field,
        lambda i: (
            f"duplicate {field} {show_value(plain(i))} (first used by "
            f"{check.section}[{first_of[plain(i)]}])"
        ),
    )


def read_ids(check: RecordCheck, field: str) -> NDArray[Any]:
    """An id field: integers (int64) or, as some real COCO files use, non-empty strings (``U``).

    All records of a section must use the same kind; a record of the other kind is rejected.
    """
    values = field_values(check, field)
    kinds = set(map(type, values))
    if kinds <= {int}:  # the common case, without read_ints' second pass over the types
        try:
            return np.array(values, dtype=np.int64).reshape(len(values))
        except OverflowError:  # read_ints names the record
            pass
    if str not in kinds:
        return read_ints(check, field)[0]
    n = len(values)
    ok = np.fromiter((type(v) is str and v != "" for v in values), dtype=bool, count=n)
    check.reject(~ok, field, _missing_or(values, "a string id like the other records"))
    return np.array([v if o else "" for v, o in zip(values, ok, strict=True)], dtype=str).reshape(n)
