"""What the data explorer asks the store: unit ids and pages, objects and answers per unit.

A gallery page shows a few dozen data units out of many thousands.  Building a full
:class:`~branchmark.store.records.DataUnitRecord` for every unit of the project on every
request cost ~600 ms at 10,000 units; here the filtering runs on sorted id arrays (one
integer column read) and records are built only for the units of the page shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.errors import ValidationError
from branchmark.store import schema as t
from branchmark.store.catalog import get_data_units
from branchmark.store.records import DataUnitRecord


@dataclasses.dataclass(frozen=True)
class DataUnitPage:
    """``units``: the page's data units in creation (id) order; ``total``: how many passed."""

    total: int
    offset: int
    units: tuple[DataUnitRecord, ...]


@dataclasses.dataclass(frozen=True)
class ObjectPairCounts:
    """A branch's objects counted per ``(feature hash, data unit)`` pair.

    ``features`` are the sorted distinct feature hashes; ``pair_feature`` ``(P,)`` int64
    indexes them; ``pair_unit`` / ``pair_count`` ``(P,)`` int64.  Pairs are sorted by feature
    code, then data unit id.
    """

    features: tuple[str, ...]
    pair_feature: NDArray[np.int64]
    pair_unit: NDArray[np.int64]
    pair_count: NDArray[np.int64]


def data_unit_ids(
    conn: sa.Connection, project_id: int, *, data_type: str | None = None
) -> NDArray[np.int64]:
    """Sorted ids ``(N,)`` int64 of the project's data units (of ``data_type`` when given).

    >>> from branchmark.store import Store, catalog
    >>> with Store.open("sqlite://") as store, store.write() as conn:
    ...     project = catalog.create_project(conn, "p", {"objects": [], "classifications": []})
    ...     unit = catalog.add_data_unit(conn, project.id, title="a", data_type="image",
    ...                                  width=4, height=3)
    ...     data_unit_ids(conn, project.id).tolist() == [unit.id]
    True
    """
    du = t.data_units
    query = sa.select(du.c.id).where(du.c.project_id == project_id).order_by(du.c.id)
    if data_type is not None:
        query = query.where(du.c.data_type == data_type)
    return np.fromiter(conn.execute(query).scalars(), dtype=np.int64)


def data_unit_page(
    conn: sa.Connection,
    project_id: int,
    *,
    data_type: str | None = None,
    ids: NDArray[np.int64] | Sequence[int] | None = None,
    offset: int,
    limit: int,
) -> DataUnitPage:
    """Units ``offset .. offset + limit`` (id order) of the project's data units that pass.

    A unit passes when it is of ``data_type`` (if given) and its id is in ``ids`` (if given;
    ids of other projects are ignored).  ``total`` counts every unit that passes; records are
    built for the page's units only.  An offset past the end gives an empty page.
    """
    if offset < 0 or limit < 0:
        raise ValidationError(f"offset and limit must be >= 0, got offset={offset}, limit={limit}")
    passing = data_unit_ids(conn, project_id, data_type=data_type)
    if ids is not None:
        passing = passing[np.isin(passing, np.asarray(ids, dtype=np.int64))]
    shown = passing[offset : offset + limit]
    units = get_data_units(conn, project_id, data_unit_ids=shown.tolist()) if len(shown) else []
    return DataUnitPage(total=int(len(passing)), offset=offset, units=tuple(units))


def count_data_units(conn: sa.Connection, project_id: int) -> dict[str, int]:
    """The project's data units counted per data type (``{"image": 12, ...}``, sorted keys)."""
    du = t.data_units
    rows = conn.execute(
        sa.select(du.c.data_type, sa.func.count())
        .where(du.c.project_id == project_id)
        .group_by(du.c.data_type)
        .order_by(du.c.data_type)
    ).all()
    return {str(kind): int(n) for kind, n in rows}


def count_object_pairs(conn: sa.Connection, *, branch_id: int) -> ObjectPairCounts:
    """Count ``branch_id``'s annotation rows per ``(feature hash, data unit)`` in one query.

    One row per object per frame is counted (as :func:`~branchmark.store.read_annotations`
    returns them).  The database groups, so only the pairs (tens of thousands, not a row per
    object) cross into Python.
    """
    a = t.annotations
    rows = conn.execute(
        sa.select(a.c.feature_hash, a.c.data_unit_id, sa.func.count())
        .where(a.c.branch_id == branch_id)
        .group_by(a.c.feature_hash, a.c.data_unit_id)
    ).all()
    hashes = np.array([str(r[0]) for r in rows], dtype=object)
    units = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    counts = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
    features, codes = np.unique(hashes.astype(str), return_inverse=True)
    order = np.lexsort((units, codes.reshape(-1)))
    return ObjectPairCounts(
        features=tuple(str(f) for f in features.tolist()),
        pair_feature=codes.reshape(-1)[order].astype(np.int64),
        pair_unit=units[order],
        pair_count=counts[order],
    )


def read_answers_by_unit(
    conn: sa.Connection, *, branch_id: int
) -> list[tuple[int, list[dict[str, Any]]]]:
    """``(data unit id, static answer entries)`` of each answered object on ``branch_id``.

    The data unit comes from the object's label row (an object hash is unique only within its
    label row, so it cannot be looked up branch-wide).  Objects without answers have no row.
    """
    oa, lr = t.object_answers, t.label_rows
    rows = conn.execute(
        sa.select(lr.c.data_unit_id, oa.c.answers)
        .join(lr, lr.c.id == oa.c.label_row_id)
        .where(oa.c.branch_id == branch_id)
        .order_by(oa.c.id)
    )
    return [
        (int(unit), list(orjson.loads(blob).get("classifications", [])))
        for unit, blob in rows
        if blob is not None
    ]
