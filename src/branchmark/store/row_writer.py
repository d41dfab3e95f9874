"""Bulk ``INSERT`` of columns straight on the driver, in the caller's transaction.

SQLAlchemy's per-row parameter processing costs more than the database's own insert, so the bulk
paths (importers, label-row saves) hand plain values to the DBAPI cursor:

SQLite
    One ``executemany`` of multi-row ``INSERT ... VALUES`` statements.  A column holding one
    value on every row (a branch id, a shape, a default blob, all-NULL) is written into the
    statement as a SQL literal, so SQLite binds only the columns that vary.  Bound values are
    given in the types Python's ``sqlite3`` binds without its adapter lookup (``int``,
    ``float``, ``str``, ``bytearray``): on CPython 3.11 a ``bool``, ``bytes`` or ``None``
    parameter costs about 0.6 us more each, which for a 20-column annotation row was a third of
    the insert.  Floats stay floats with NaN for "undefined": SQLite stores a bound NaN as NULL
    (``sqlite3VdbeMemSetDouble``), so no per-value conversion is made. Float constants are still
    bound, never rendered as text, so every value is stored bit-exact.
PostgreSQL
    ``COPY ... FROM STDIN`` through psycopg's ``Copy.write_row`` (NaN floats are sent as NULL,
    which is what the store means by NaN; PostgreSQL would otherwise keep a float NaN).

>>> # insert_columns(conn, t.annotations, {"branch_id": Same(3), "x": xs, ...}, n=len(xs))
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

ROWS_PER_STATEMENT = 25
"""Rows per multi-row ``INSERT ... VALUES`` on SQLite (measured: 25-30 % less per row than one
row per execution for a 20-column annotation row; the statement keeps well under SQLite's
32,766-parameter limit for any table here)."""


@dataclasses.dataclass(frozen=True)
class Same:
    """A column holding ``value`` on every row."""

    value: Any


ColumnValues = Sequence[Any] | np.ndarray | Same


def _is_nan(value: Any) -> bool:
    return isinstance(value, float | np.floating) and value != value


def _literal(value: Any) -> str | None:
    """SQL text of a constant that SQLite reads back unchanged; None when it must be bound.

    Floats are bound (SQLite's text-to-float conversion is not guaranteed to be correctly
    rounded); a NaN float is NULL, as when bound.
    """
    if value is None or _is_nan(value):
        return "NULL"
    if isinstance(value, bool | np.bool_):
        return "1" if value else "0"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, str) and "\x00" not in value:
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bytes | bytearray):
        return "X'" + bytes(value).hex() + "'"
    return None


def _constant(values: Any, n: int) -> tuple[bool, Any]:
    """``(True, value)`` when every one of the ``n`` values is ``value`` (NaN counts as equal)."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            nan = np.isnan(values)
            if nan.all():
                return True, None
            return False, None  # non-NaN floats are bound anyway (see _literal)
        if values.dtype.kind in "biu":
            first = values[0]
            return bool((values == first).all()), first.item()
        values = values.tolist()
    first = values[0]
    if type(first) is float:
        return False, None
    if values[-1] is not first and values[-1] != first:
        return False, None  # most varying columns differ at the ends: no full pass
    # list.count (identity, then ==) is one C pass; the type check keeps 1, True and 1.0 apart.
    if values.count(first) != n or set(map(type, values)) != {type(first)}:
        return False, None
    return True, first


def _sqlite_values(column: sa.Column[Any], values: Any) -> list[Any]:
    """``values`` as a list of the types ``sqlite3`` binds without adaptation."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "b":
            return values.astype(np.int64).tolist()  # type: ignore[no-any-return]
        if values.dtype.kind != "O":
            return values.tolist()  # type: ignore[no-any-return]
        values = values.tolist()
    if isinstance(column.type, sa.LargeBinary):
        if set(map(type, values)) == {bytearray}:  # one C pass; the box save path makes these
            return values if isinstance(values, list) else list(values)
        return [v if type(v) is bytearray or v is None else bytearray(v) for v in values]
    if isinstance(column.type, sa.Boolean):
        return [None if v is None else int(v) for v in values]
    return list(values)


def _postgres_values(values: Any) -> list[Any]:
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            nan = np.isnan(values)
            if nan.any():
                out = values.astype(object)
                out[nan] = None
                return out.tolist()  # type: ignore[no-any-return]
        return values.tolist()  # type: ignore[no-any-return]
    return [None if type(v) is float and v != v else v for v in values]


def insert_columns(
    conn: sa.Connection, table: sa.Table, columns: Mapping[str, ColumnValues], *, n: int
) -> None:
    """Insert ``n`` rows given column by column (each a sequence of length ``n`` or a
    :class:`Same`), in ``conn``'s transaction.

    Values must already be plain Python or numpy values of the column's kind; NaN in a float
    column is stored as NULL.  A sequence of the wrong length raises ``ValueError``.
    """
    for name, values in columns.items():
        if not isinstance(values, Same) and len(values) != n:
            raise ValueError(f"{table.name}.{name}: expected {n} values, got {len(values)}")
    if n == 0:
        return
    if conn.dialect.name == "postgresql":
        _copy_columns(conn, table, columns, n)
        return
    names: list[str] = []
    marks: list[str] = []
    bound: list[list[Any]] = []
    for name, values in columns.items():
        if isinstance(values, Same):
            same, value = True, values.value
        else:
            same, value = _constant(values, n)
        literal = _literal(value) if same else None
        names.append(name)
        if literal is not None:
            marks.append(literal)
        elif same:
            marks.append("?")
            bound.append(_sqlite_values(table.c[name], [value]) * n)
        else:
            marks.append("?")
            bound.append(_sqlite_values(table.c[name], values))
    head = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES "
    row_marks = f"({', '.join(marks)})"
    cursor: Any = conn.connection.cursor()
    try:
        if not bound:
            cursor.executemany(head + row_marks, itertools.repeat((), n))
            return
        # ROWS_PER_STATEMENT rows per execution: sqlite3's per-execution cost (reset, step, the
        # Python loop) is paid once for all of them.  Statement k's parameters are rows
        # k*G .. k*G+G-1 in order, made by zip over strided slices (no Python loop per row);
        # multi-row VALUES insert in order, so ids follow the rows.
        group = ROWS_PER_STATEMENT
        full = n - n % group
        if full:
            strided = [column[i:full:group] for i in range(group) for column in bound]
            cursor.executemany(head + ", ".join([row_marks] * group), zip(*strided, strict=True))
        if full < n:
            cursor.executemany(
                head + row_marks, zip(*(column[full:] for column in bound), strict=True)
            )
    finally:
        cursor.close()


_NONE = type(None)
_BINARY_COPY: tuple[tuple[type[Any], str, frozenset[type[Any]]], ...] = (
    # (column type, PostgreSQL type for binary COPY, Python types its values may have);
    # subclasses first (BigInteger and SmallInteger are Integers, Text is a String)
    (sa.BigInteger, "int8", frozenset({int, _NONE})),
    (sa.SmallInteger, "int2", frozenset({int, _NONE})),
    (sa.Integer, "int4", frozenset({int, _NONE})),
    (sa.Float, "float8", frozenset({float, int, _NONE})),
    (sa.Boolean, "bool", frozenset({bool, _NONE})),
    (sa.LargeBinary, "bytea", frozenset({bytes, bytearray, memoryview, _NONE})),
    (sa.String, "text", frozenset({str, _NONE})),
)


def _binary_types(
    table: sa.Table, columns: Sequence[str], parts: Sequence[Any]
) -> list[str] | None:
    """PostgreSQL type names for a binary COPY of these columns, or None when a column's type or
    a value's Python type is not one binary COPY takes as is (then the text COPY runs)."""
    names = []
    for name, values in zip(columns, parts, strict=True):
        column_type = table.c[name].type
        kind = next((k for k in _BINARY_COPY if isinstance(column_type, k[0])), None)
        if kind is None:
            return None
        kinds = {type(values.value)} if isinstance(values, Same) else set(map(type, values))
        if not kinds <= kind[2]:
            return None
        names.append(kind[1])
    return names


def _copy_columns(
    conn: sa.Connection, table: sa.Table, columns: Mapping[str, ColumnValues], n: int
) -> None:
    """COPY the rows in; binary format when every column allows it (psycopg's per-value text
    formatting was 4.7 us of client CPU per 20-column annotation row, binary 1.2 us)."""
    parts: list[Any] = []
    for values in columns.values():
        if isinstance(values, Same):
            parts.append(Same(None if _is_nan(values.value) else values.value))
        else:
            parts.append(_postgres_values(values))
    names = ", ".join(columns)
    types = _binary_types(table, list(columns), parts)
    rows = zip(
        *(itertools.repeat(p.value, n) if isinstance(p, Same) else p for p in parts),
        strict=False,  # repeat() columns never end
    )
    cursor: Any = conn.connection.cursor()
    try:
        if types is None:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                write = copy.write_row
                for row in rows:
                    write(row)
        else:
            with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                write = copy.write_row
                for row in rows:
                    write(row)
    finally:
        cursor.close()


def insert_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """:func:`insert_columns` for values given row by row (tuples in ``columns`` order)."""
    if not rows:
        return
    transposed = list(zip(*rows, strict=True))
    if len(transposed) != len(columns):
        raise ValueError(
            f"{table.name}: rows have {len(transposed)} values, expected {len(columns)}"
        )
    insert_columns(
        conn,
        table,
        {name: list(col) for name, col in zip(columns, transposed, strict=True)},
        n=len(rows),
    )
