"""Per-branch annotation arrays the gallery filters on, cached until the branch changes.

A gallery request filters data units by class, by branch and by attribute answer.  Asking the
database each time costs a scan of the branch's annotations; instead the branch's objects are
counted per ``(feature, data unit)`` once (one grouped query) and kept until the branch's
revision moves (every write to a branch bumps it), so a filter is a few numpy passes.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.store import Store, catalog
from branchmark.store.explorer_queries import count_object_pairs, read_answers_by_unit
from branchmark.store.records import BranchRecord

MAX_BRANCHES = 16
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class BranchIndex:
    """One branch's objects counted per ``(feature, data unit)`` pair.

    ``pair_feature``, ``pair_unit``, ``pair_count`` are ``(P,)`` int64, sorted by feature code
    then data unit id; ``pair_feature`` indexes ``features`` (sorted feature hashes).
    ``unit_ids`` / ``unit_counts`` are ``(U,)``: objects per data unit, sorted by id.
    """

    branch_id: int
    revision: int
    objects: int
    features: tuple[str, ...]
    pair_feature: NDArray[np.int64]
    pair_unit: NDArray[np.int64]
    pair_count: NDArray[np.int64]
    unit_ids: NDArray[np.int64]
    unit_counts: NDArray[np.int64]

    def _segment(self, feature_hash: str) -> slice:
        code = int(np.searchsorted(self.features, feature_hash))
        if code >= len(self.features) or self.features[code] != feature_hash:
            return slice(0, 0)
        lo, hi = np.searchsorted(self.pair_feature, [code, code + 1])
        return slice(int(lo), int(hi))

    def units_with(self, *, feature_hash: str | None = None) -> NDArray[np.int64]:
        """Sorted ids of the data units holding an object (of ``feature_hash`` when given)."""
        if feature_hash is None:
            return self.unit_ids
        return self.pair_unit[self._segment(feature_hash)]

    def counts_of(
        self, unit_ids: NDArray[np.int64], *, feature_hash: str | None = None
    ) -> NDArray[np.int64]:
        """Objects on each of ``unit_ids`` (of ``feature_hash`` when given), 0 where none."""
        if feature_hash is None:
            ids, counts = self.unit_ids, self.unit_counts
        else:
            segment = self._segment(feature_hash)
            ids, counts = self.pair_unit[segment], self.pair_count[segment]
        wanted = np.asarray(unit_ids, dtype=np.int64)
        position = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
        if not len(ids):
            return np.zeros(len(wanted), dtype=np.int64)
        return np.where(ids[position] == wanted, counts[position], 0).astype(np.int64)


@dataclasses.dataclass(frozen=True)
class AnswerIndex:
    """Which data units hold an object whose static answers include ``(attribute, option)``.

    Keys are ``"attribute name=option name"`` (radio and checklist options; text answers as
    ``"attribute name=text"``), values sorted data unit ids.
    """

    branch_id: int
    revision: int
    units: dict[str, NDArray[np.int64]]


def _answer_pairs(entries: list[dict[str, object]]) -> set[str]:
    pairs: set[str] = set()
    for entry in entries:
        name = str(entry.get("name", ""))
        answers = entry.get("answers")
        if isinstance(answers, list):
            for option in answers:
                if isinstance(option, dict):
                    pairs.add(f"{name}={option.get('name', option.get('value', ''))}")
        elif isinstance(answers, str):
            pairs.add(f"{name}={answers}")
    return pairs


def build_branch_index(conn: sa.Connection, branch: BranchRecord) -> BranchIndex:
    """Count ``branch``'s objects per ``(feature, data unit)`` (grouped by the database)."""
    pairs = count_object_pairs(conn, branch_id=branch.id)
    unit_ids, slot = np.unique(pairs.pair_unit, return_inverse=True)
    unit_counts = np.bincount(slot.reshape(-1), weights=pairs.pair_count, minlength=len(unit_ids))
    return BranchIndex(
        branch_id=branch.id,
        revision=branch.revision,
        objects=int(pairs.pair_count.sum()),
        features=pairs.features,
        pair_feature=pairs.pair_feature,
        pair_unit=pairs.pair_unit,
        pair_count=pairs.pair_count,
        unit_ids=unit_ids.astype(np.int64),
        unit_counts=unit_counts.astype(np.int64),
    )


def build_answer_index(conn: sa.Connection, branch: BranchRecord) -> AnswerIndex:
    """Map each answered ``attribute=option`` of ``branch``'s objects to their data units."""
    found: dict[str, set[int]] = {}
    for unit, entries in read_answers_by_unit(conn, branch_id=branch.id):
        for pair in _answer_pairs(entries):
            found.setdefault(pair, set()).add(unit)
    return AnswerIndex(
        branch_id=branch.id,
        revision=branch.revision,
        units={k: np.array(sorted(v), dtype=np.int64) for k, v in sorted(found.items())},
    )


class _Lru(Generic[T]):
    """Entries keyed by branch id, replaced when the branch's revision differs."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[int, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, branch: BranchRecord, build: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(branch.id)
            if entry is not None and getattr(entry, "revision", None) == branch.revision:
                self._entries.move_to_end(branch.id)
                return entry
        built = build()
        with self._lock:
            self._entries[branch.id] = built
            self._entries.move_to_end(branch.id)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)
        return built

    def holds(self, branch: BranchRecord) -> bool:
        with self._lock:
            entry = self._entries.get(branch.id)
            return entry is not None and getattr(entry, "revision", None) == branch.revision

    def forget(self, branch_id: int) -> None:
        with self._lock:
            self._entries.pop(branch_id, None)


class BranchIndexCache:
    """Least-recently-used indexes keyed by branch id, rebuilt when the revision differs."""

    def __init__(self, *, capacity: int = MAX_BRANCHES) -> None:
        self._objects: _Lru[BranchIndex] = _Lru(capacity)
        self._answers: _Lru[AnswerIndex] = _Lru(capacity)

    def objects(self, conn: sa.Connection, branch: BranchRecord) -> BranchIndex:
        """The object index of ``branch`` at its current revision."""
        return self._objects.get(branch, lambda: build_branch_index(conn, branch))

    def answers(self, conn: sa.Connection, branch: BranchRecord) -> AnswerIndex:
        """The attribute-answer index of ``branch`` at its current revision."""
        return self._answers.get(branch, lambda: build_answer_index(conn, branch))

    def holds(self, branch: BranchRecord) -> bool:
        """Whether the object index of ``branch`` at its current revision is cached."""
        return self._objects.holds(branch)

    def forget(self, branch_id: int) -> None:
        """Drop a branch's entries (after a delete or rename)."""
        self._objects.forget(branch_id)
        self._answers.forget(branch_id)


def warm_branch_indexes(
    store: Store, cache: BranchIndexCache, *, stop: threading.Event | None = None
) -> int:
    """Build the object index of every branch of every project into ``cache``.

    Run in the background when a server starts, so that the first gallery request does not
    pay the grouped scan of a large branch (1-3 s at 1M objects).  Stops between branches
    once ``stop`` is set; returns how many branches were indexed.
    """
    with store.read() as conn:
        projects = catalog.list_projects(conn)
        branches = [b for p in projects for b in catalog.list_branches(conn, p.id)]
    done = 0
    for branch in branches:
        if stop is not None and stop.is_set():
            break
        with store.read() as conn:
            cache.objects(conn, branch)
        done += 1
    return done
