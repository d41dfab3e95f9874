"""The analysis's bulk read of a branch: its objects' numeric columns and class positions.

One ``SELECT`` per branch in ``id`` order (served by ``ix_annotations_branch (branch_id, id)``
without a sort).  It differs from :func:`branchmark.store.annotations.read_annotations` in how
the class comes back: that function codes ``feature_hash`` with a SQL ``CASE`` over every
distinct hash (evaluated per row: +1.1 s CPU for a million rows and 80 classes), this one reads
the hash as fixed-width text into the same structured array and maps it to the caller's class
positions with a binary search in numpy (0.2 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.store import schema as t

#: Columns :func:`read_branch_columns` can read, with their numpy dtype.
OBJECT_COLUMNS: dict[str, Any] = {
    "id": np.int64,
    "data_unit_id": np.int64,
    "frame": np.int64,
    "x": np.float64,
    "y": np.float64,
    "w": np.float64,
    "h": np.float64,
    "theta": np.float64,
    "area": np.float64,
    "iscrowd": np.bool_,
    "confidence": np.float64,
}
_NULL_FLOAT = {"sqlite": "9e999", "postgresql": "'NaN'::float8"}


def read_branch_columns(
    conn: sa.Connection,
    *,
    branch_id: int,
    feature_hashes: Sequence[str],
    columns: Sequence[str],
) -> tuple[dict[str, NDArray[Any]], NDArray[np.int64]]:
    """``(columns, class_position)`` of every annotation of the branch, ordered by ``id``.

    Parameters
    ----------
    conn
        A connection (read transaction).
    branch_id
        The branch.
    feature_hashes
        The classes: ``class_position[i]`` is the position of row ``i``'s feature hash in this
        sequence, -1 when it is not in it (the caller names such an object's hash with
        :func:`unknown_feature_hashes`).
    columns
        Names from :data:`OBJECT_COLUMNS`; each comes back as an ``(N,)`` array of its dtype
        (floats NaN where NULL).

    Returns
    -------
    tuple
        ``({name: (N,) array}, (N,) int64 class positions)``.

    Examples
    --------
    >>> # with store.read() as conn:
    >>> #     cols, cls = read_branch_columns(conn, branch_id=1, feature_hashes=["a1"],
    >>> #                                     columns=("id", "x"))
    """
    unknown = [c for c in columns if c not in OBJECT_COLUMNS]
    if unknown or not columns:
        raise ValueError(f"unknown columns {unknown}; choose from {list(OBJECT_COLUMNS)}")
    a = t.annotations
    nan: Any = sa.literal_column(_NULL_FLOAT.get(conn.dialect.name, "'NaN'"))
    selected: list[Any] = []
    fields: list[tuple[str, Any]] = []
    for name in columns:
        dtype = OBJECT_COLUMNS[name]
        if dtype is np.float64:
            selected.append(sa.func.coalesce(a.c[name], nan))
        elif dtype is np.bool_:
            selected.append(sa.cast(a.c[name], sa.Integer))
        else:
            selected.append(a.c[name])
        fields.append((name, np.int64 if dtype is np.bool_ else dtype))
    # One character wider than the longest class hash: a longer stored hash is truncated to a
    # string that no class hash can equal, so it still reads as unknown.
    width = max((len(h) for h in feature_hashes), default=0) + 1
    selected.append(a.c.feature_hash)
    fields.append(("__feature_hash", f"U{width}"))
    query = sa.select(*selected).where(a.c.branch_id == branch_id).order_by(a.c.id)
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    # Straight on the DBAPI cursor into a structured array: no SQLAlchemy row per object.
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled))
        table = np.fromiter(cursor, dtype=np.dtype(fields))  # type: ignore[call-overload]
    finally:
        cursor.close()
    out: dict[str, NDArray[Any]] = {}
    for name in columns:
        values = table[name]
        if OBJECT_COLUMNS[name] is np.float64:
            values = values.copy()
            values[np.isposinf(values)] = np.nan  # SQLite's NULL stand-in (9e999 reads as inf)
        elif OBJECT_COLUMNS[name] is np.bool_:
            values = values.astype(bool)
        else:
            values = values.copy()
        out[name] = values
    return out, class_positions(table["__feature_hash"], feature_hashes)


def class_positions(hashes: NDArray[np.str_], feature_hashes: Sequence[str]) -> NDArray[np.int64]:
    """Position of each of ``hashes`` in ``feature_hashes`` (-1 when absent).

    >>> class_positions(np.array(["b", "a", "z"]), ["a", "b"]).tolist()
    [1, 0, -1]
    """
    if not len(feature_hashes) or not len(hashes):
        return np.full(len(hashes), -1, np.int64)
    known = np.asarray(list(feature_hashes), dtype=str)
    order = np.argsort(known, kind="stable")
    ordered = known[order]
    pos = np.minimum(np.searchsorted(ordered, hashes), len(known) - 1)
    return np.where(ordered[pos] == hashes, order[pos], -1).astype(np.int64)


def unknown_feature_hashes(
    conn: sa.Connection, *, branch_id: int, feature_hashes: Sequence[str]
) -> list[str]:
    """The branch's distinct feature hashes that are not in ``feature_hashes``, sorted."""
    a = t.annotations
    found = conn.execute(sa.select(a.c.feature_hash).where(a.c.branch_id == branch_id).distinct())
    known = set(feature_hashes)
    return sorted(str(h) for h in found.scalars() if h not in known)
