"""What an import did: counts per class and shape, skipped records and why, time taken.

:class:`Problems` is the one place that decides whether a bad record stops the import (the
default: ``ImportFormatError``, nothing written) or is skipped (``skip_invalid``) and counted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from branchmark.errors import ImportFormatError

MAX_REASONS = 10
"""How many skip reasons a report keeps (the first ones, in file order)."""


class Problems:
    """Collects bad records of one import.

    Not frozen on purpose: it accumulates while a file is read.  ``fail(message)`` raises
    ``ImportFormatError(message)`` unless ``skip_invalid``; then the message is counted and kept
    (the first :data:`MAX_REASONS`) and the caller drops the record.
    """

    def __init__(self, *, skip_invalid: bool) -> None:
        self.skip_invalid = skip_invalid
        self.skipped = 0
        self.reasons: list[str] = []

    def fail(self, message: str, *, count: int = 1) -> None:
        """Raise for ``message``, or (skipping) count ``count`` records as skipped."""
        if not self.skip_invalid:
            raise ImportFormatError(message)
        self.skipped += count
        if len(self.reasons) < MAX_REASONS:
            self.reasons.append(message)


@dataclasses.dataclass(frozen=True)
class ImportReport:
    """Summary of one import (the CLI's ``--json`` output is :meth:`to_dict`).

    ``per_class`` counts imported objects by ontology object name, ``per_shape`` by shape;
    ``data_units`` is how many data units were created; ``seconds`` the wall time.
    """

    source: str
    project: str
    branch: str
    imported: int
    per_class: Mapping[str, int]
    per_shape: Mapping[str, int]
    skipped: int
    reasons: tuple[str, ...]
    seconds: float
    data_units: int = 0
    label_rows: int = 0
    replaced: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict with stable keys."""
        return {
            "ok": True,
            "source": self.source,
            "project": self.project,
            "branch": self.branch,
            "imported": self.imported,
            "per_class": dict(self.per_class),
            "per_shape": dict(self.per_shape),
            "skipped": self.skipped,
            "skipped_reasons": list(self.reasons),
            "data_units_created": self.data_units,
            "label_rows": self.label_rows,
            "replaced": self.replaced,
            "seconds": round(self.seconds, 3),
        }
