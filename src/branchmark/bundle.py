"""Deferred label-row operations, as Encord's ``encord.http.bundle.Bundle``.

Calls that accept ``bundle=`` queue their work here and nothing reaches the store until the
``with`` block exits.  At exit every queued load runs (in chunks of ``bundle_size``), then every
queued save runs in **one** transaction: either all rows of the bundle are saved or none is.
If an exception escapes the block, the queued operations are dropped and a warning is logged,
as the SDK does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from branchmark.objects.metadata import LabelRowMetadata

if TYPE_CHECKING:
    from branchmark.store.label_dict import PreparedLabelRow

log = logging.getLogger(__name__)

LabelDict = dict[str, Any]
SavePayload: TypeAlias = "LabelDict | PreparedLabelRow"
"""What a save hands its backend: the label-row dict, or (to a backend whose
``accepts_prepared_rows`` is True) the same as a :class:`PreparedLabelRow`."""
LoadCallback = Callable[[LabelDict | None, LabelRowMetadata], None]
SaveCallback = Callable[[LabelRowMetadata], None]

DEFAULT_BUNDLE_SIZE = 1000


class LabelRowBackend(Protocol):
    """What a label row needs from the place its labels live (the project's store).

    A backend may also set ``accepts_prepared_rows = True``: saves then send it
    :class:`~branchmark.store.label_dict.PreparedLabelRow` payloads instead of dicts.
    """

    def load_label_rows(
        self, rows: Sequence[LabelRowMetadata]
    ) -> list[tuple[LabelDict | None, LabelRowMetadata]]:
        """Load each row's label dict, creating rows that do not exist on their branch yet.

        Returns, per input row and in order, the Encord label-row dict (None for a row that was
        just created and so holds no labels) and the refreshed metadata (``label_hash`` set,
        ``revision`` current).
        """
        ...

    def save_label_rows(
        self, rows: Sequence[tuple[LabelRowMetadata, SavePayload]]
    ) -> list[LabelRowMetadata]:
        """Replace each row with its dict in one transaction, checking each row's revision.

        Raises ``RevisionConflict`` (nothing written) when a row changed since it was loaded.
        Returns the refreshed metadata per row, in order.
        """
        ...


class Bundle:
    """Queue of label-row loads and saves executed together at the end of a ``with`` block."""

    def __init__(self, backend: LabelRowBackend, bundle_size: int | None = None) -> None:
        if bundle_size is not None and bundle_size < 1:
            raise ValueError(f"bundle_size must be a positive int, got {bundle_size!r}")
        self._backend = backend
        self._size = bundle_size or DEFAULT_BUNDLE_SIZE
        self._loads: list[tuple[LabelRowMetadata, LoadCallback]] = []
        self._saves: list[tuple[LabelRowMetadata, SavePayload, SaveCallback]] = []

    @property
    def backend(self) -> LabelRowBackend:
        """Where the queued operations go."""
        return self._backend

    def add_load(self, metadata: LabelRowMetadata, callback: LoadCallback) -> None:
        self._loads.append((metadata, callback))

    def add_save(
        self, metadata: LabelRowMetadata, label_dict: SavePayload, callback: SaveCallback
    ) -> None:
        self._saves.append((metadata, label_dict, callback))

    def __len__(self) -> int:
        return len(self._loads) + len(self._saves)

    def execute(self) -> None:
        """Run every queued operation now: loads first, then all saves in one transaction."""
        loads, self._loads = self._loads, []
        saves, self._saves = self._saves, []
        for start in range(0, len(loads), self._size):
            chunk = loads[start : start + self._size]
            results = self._backend.load_label_rows([meta for meta, _ in chunk])
            for (_, callback), (label_dict, meta) in zip(chunk, results, strict=True):
                callback(label_dict, meta)
        if saves:
            metas = self._backend.save_label_rows([(meta, d) for meta, d, _ in saves])
            for (_, _, stored), meta in zip(saves, metas, strict=True):
                stored(meta)

    def __enter__(self) -> Bundle:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            dropped = len(self)
            self._loads.clear()
            self._saves.clear()
            log.warning("bundle dropped %d queued operations after %s", dropped, exc_type.__name__)
            return
        self.execute()
