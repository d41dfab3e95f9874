"""Bulk access to the ``annotations`` table: insert from arrays, read a branch as arrays.

This is the fast path importers and the analysis use (one ``executemany`` per batch; one
``SELECT`` per read).  Coordinates are frame pixels, float64; undefined values are NaN.

>>> # with store.write() as conn:
>>> #     insert_annotations(conn, AnnotationBatch(label_row_id=ids, frame=..., ...))
>>> # with store.read() as conn:
>>> #     arrays = read_annotations(conn, branch_id=b.id, columns=("frame", "x", "y", "w", "h"))
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.errors import ValidationError
from branchmark.store import catalog, codec
from branchmark.store import schema as t

INT_COLUMNS = ("id", "project_id", "branch_id", "data_unit_id", "label_row_id", "frame")
FLOAT_COLUMNS = ("x", "y", "w", "h", "theta", "area", "confidence", "object_number")
BOOL_COLUMNS = ("iscrowd", "manual")
OBJECT_COLUMNS = ("object_hash", "feature_hash", "shape", "geometry", "meta")
READABLE_COLUMNS = INT_COLUMNS + FLOAT_COLUMNS + BOOL_COLUMNS + OBJECT_COLUMNS
DEFAULT_COLUMNS = (
    "id",
    "label_row_id",
    "data_unit_id",
    "frame",
    "feature_hash",
    "x",
    "y",
    "w",
    "h",
    "confidence",
    "manual",
    "iscrowd",
    "area",
)


def insert_rows(
    conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """``executemany`` of plain tuples straight on the driver, in ``conn``'s transaction.

    SQLAlchemy's per-row parameter processing costs more than SQLite's insert itself, so the
    tuples go to the DBAPI cursor (values must already be plain Python / bytes).
    """
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    values = ", ".join([mark] * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({values})"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def _column(name: str, values: Any, n: int, dtype: Any) -> NDArray[Any]:
    array = np.asarray(values, dtype=dtype)
    if array.shape != (n,):
        raise ValueError(f"AnnotationBatch.{name}: expected shape ({n},), got {array.shape}")
    return array


@dataclasses.dataclass(frozen=True)
class AnnotationBatch:
    """Annotation rows as columns, all of length N (one row per object per frame).

    ``x, y, w, h`` are the extent in frame pixels (COCO ``bbox``), ``theta`` degrees (NaN when
    not a rotatable box), ``area`` pixels (COCO ``area``; NaN when unknown).  ``geometry`` holds
    :mod:`branchmark.store.codec` blobs (``encode_pixels`` / ``encode_normalised``); None means
    ``encode_pixels({})`` (boxes and points live in the columns).  ``meta`` is None for bulk rows:
    the label-row dict is then composed with the ontology's name and colour.
    """

    label_row_id: NDArray[np.int64]
    frame: NDArray[np.int64]
    object_hash: Sequence[str]
    feature_hash: Sequence[str]
    shape: Sequence[str]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    w: NDArray[np.float64]
    h: NDArray[np.float64]
    theta: NDArray[np.float64] | None = None
    area: NDArray[np.float64] | None = None
    iscrowd: NDArray[np.bool_] | None = None
    confidence: NDArray[np.float64] | None = None
    manual: NDArray[np.bool_] | None = None
    object_number: Sequence[int | None] | None = None
    geometry: Sequence[bytes | None] | None = None
    meta: Sequence[bytes | None] | None = None

    def __len__(self) -> int:
        return len(self.label_row_id)


def insert_annotations(conn: sa.Connection, batch: AnnotationBatch) -> int:
    """Append ``batch`` to its label rows in ``conn``'s transaction; return the row count.

    Each ``label_row_id`` must exist (create rows with ``label_rows.create_label_row``); the
    project, branch and data unit columns are taken from it and every touched branch's revision
    is bumped.  A column of the wrong length raises ``ValueError`` naming it; a non-finite pixel
    extent or a frame outside the data unit raises ``ValidationError`` naming the row index.
    """
    n = len(batch)
    rows_id = _column("label_row_id", batch.label_row_id, n, np.int64)
    frame = _column("frame", batch.frame, n, np.int64)
    xs = [_column(k, getattr(batch, k), n, np.float64) for k in ("x", "y", "w", "h")]
    nan = np.full(n, np.nan)
    theta = nan if batch.theta is None else _column("theta", batch.theta, n, np.float64)
    area = nan if batch.area is None else _column("area", batch.area, n, np.float64)
    crowd = (
        np.zeros(n, bool) if batch.iscrowd is None else _column("iscrowd", batch.iscrowd, n, bool)
    )
    conf = (
        np.ones(n)
        if batch.confidence is None
        else _column("confidence", batch.confidence, n, np.float64)
    )
    manual = np.ones(n, bool) if batch.manual is None else _column("manual", batch.manual, n, bool)
    strings = {}
    for name in ("object_hash", "feature_hash", "shape", "object_number", "geometry", "meta"):
        values = getattr(batch, name)
        if values is not None and len(values) != n:
            raise ValueError(f"AnnotationBatch.{name}: expected length {n}, got {len(values)}")
        strings[name] = values
    if n == 0:
        return 0
    bad = ~np.isfinite(np.stack(xs)).all(axis=0)
    if bad.any():
        raise ValidationError(f"annotation {int(np.argmax(bad))}: x, y, w, h must be finite pixels")
    if (frame < 0).any():
        raise ValidationError(f"annotation {int(np.argmax(frame < 0))}: negative frame")

    lr, du = t.label_rows, t.data_units
    owners: dict[int, tuple[int, int, int, int]] = {}
    for chunk_start in range(0, len(unique := np.unique(rows_id).tolist()), 500):
        chunk = unique[chunk_start : chunk_start + 500]
        for r in conn.execute(
            sa.select(lr.c.id, lr.c.project_id, lr.c.branch_id, lr.c.data_unit_id, du.c.frames)
            .join(du, du.c.id == lr.c.data_unit_id)
            .where(lr.c.id.in_(chunk))
        ):
            owners[r.id] = (r.project_id, r.branch_id, r.data_unit_id, r.frames)
    missing = sorted(set(unique) - set(owners))
    if missing:
        raise ValidationError(f"label_row_id {missing[0]} does not exist ({len(missing)} unknown)")
    owner = np.array([owners[i] for i in rows_id.tolist()], dtype=np.int64).reshape(n, 4)
    beyond = frame >= owner[:, 3]
    if beyond.any():
        i = int(np.argmax(beyond))
        raise ValidationError(
            f"annotation {i}: frame {int(frame[i])} is beyond the data unit's "
            f"{int(owner[i, 3])} frames"
        )

    empty = codec.encode_pixels({})
    geometry = strings["geometry"] or [None] * n
    meta = strings["meta"] or [None] * n
    numbers = strings["object_number"] or [None] * n
    floats = [v.tolist() for v in (*xs, theta, area, conf)]
    floats = [[None if f != f else f for f in col] for col in floats]  # NaN -> NULL
    rows = zip(
        owner[:, 0].tolist(),
        owner[:, 1].tolist(),
        owner[:, 2].tolist(),
        rows_id.tolist(),
        frame.tolist(),
        list(map(str, strings["object_hash"])),
        list(map(str, strings["feature_hash"])),
        list(map(str, strings["shape"])),
        *floats[:6],
        crowd.tolist(),
        floats[6],
        manual.tolist(),
        numbers,
        [empty if g is None else g for g in geometry],
        meta,
        strict=True,
    )
    insert_rows(
        conn,
        t.annotations,
        (
            "project_id",
            "branch_id",
            "data_unit_id",
            "label_row_id",
            "frame",
            "object_hash",
            "feature_hash",
            "shape",
            "x",
            "y",
            "w",
            "h",
            "theta",
            "area",
            "iscrowd",
            "confidence",
            "manual",
            "object_number",
            "geometry",
            "meta",
        ),
        list(rows),
    )
    catalog.bump_branch_revision(conn, np.unique(owner[:, 1]).tolist())
    return n


def clear_label_rows(conn: sa.Connection, label_row_ids: Sequence[int]) -> None:
    """Remove every annotation, answer and classification of these rows (the rows stay)."""
    ids = [int(i) for i in label_row_ids]
    branch_ids: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        branch_ids.update(
            conn.execute(
                sa.select(t.label_rows.c.branch_id).where(t.label_rows.c.id.in_(chunk))
            ).scalars()
        )
        for table in (t.annotations, t.object_answers, t.classifications):
            conn.execute(table.delete().where(table.c.label_row_id.in_(chunk)))
        conn.execute(t.label_rows.update().where(t.label_rows.c.id.in_(chunk)).values(header=None))
    catalog.bump_branch_revision(conn, branch_ids)


CODED_COLUMNS = ("feature_hash", "shape")
"""Few distinct values: read as integer codes (a SQL ``CASE``) and decoded in numpy."""


def _fetch(conn: sa.Connection, query: sa.Select[Any]) -> Any:
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.cursor()
    cursor.execute(str(compiled))
    return cursor


def read_annotations(
    conn: sa.Connection,
    *,
    branch_id: int,
    columns: Sequence[str] = DEFAULT_COLUMNS,
    feature_hashes: Sequence[str] | None = None,
    label_row_ids: Sequence[int] | None = None,
) -> dict[str, NDArray[Any]]:
    """The branch's annotations as one array per requested column, ordered by ``id``.

    dtypes: int64 for ids and ``frame``; float64 for ``x, y, w, h, theta, area, confidence,
    object_number`` (NaN where NULL); bool for ``iscrowd, manual``; object arrays of ``str`` or
    ``bytes`` for ``object_hash, feature_hash, shape, geometry, meta``.  Every array has shape
    ``(N,)``; an empty branch gives empty arrays of those dtypes.

    Numeric columns stream straight into a structured array (``np.fromiter``) and the
    feature hash and shape come back as integer codes, so no Python object is made per value
    for them.
    """
    unknown = [c for c in columns if c not in READABLE_COLUMNS]
    if unknown or not columns:
        raise ValueError(f"unknown annotation columns {unknown}; choose from {READABLE_COLUMNS}")
    a = t.annotations
    where = [a.c.branch_id == branch_id]
    if feature_hashes is not None:
        where.append(a.c.feature_hash.in_([str(h) for h in feature_hashes]))
    if label_row_ids is not None:
        where.append(a.c.label_row_id.in_([int(i) for i in label_row_ids]))
    codes: dict[str, list[str]] = {}
    for name in CODED_COLUMNS:
        if name in columns:
            distinct = conn.execute(sa.select(a.c[name]).where(*where).distinct()).scalars()
            codes[name] = sorted(str(v) for v in distinct)
    numeric = [c for c in columns if c not in OBJECT_COLUMNS or c in CODED_COLUMNS]
    loose = [c for c in columns if c in OBJECT_COLUMNS and c not in CODED_COLUMNS]
    out: dict[str, NDArray[Any]] = {}
    if numeric:
        nan: Any = sa.literal_column("9e999" if conn.dialect.name == "sqlite" else "'NaN'::float8")
        selected: list[Any] = []
        fields: list[tuple[str, Any]] = []
        for name in numeric:
            column = a.c[name]
            if name in CODED_COLUMNS:
                whens = [(column == v, i) for i, v in enumerate(codes[name])]
                selected.append(sa.case(*whens, else_=-1) if whens else sa.literal(-1))
                fields.append((name, np.int64))
            elif name in FLOAT_COLUMNS:
                selected.append(sa.func.coalesce(column, nan))
                fields.append((name, np.float64))
            elif name in BOOL_COLUMNS:
                selected.append(sa.cast(column, sa.Integer))
                fields.append((name, np.int64))
            else:
                selected.append(column)
                fields.append((name, np.int64))
        cursor = _fetch(conn, sa.select(*selected).where(*where).order_by(a.c.id))
        try:
            table = np.fromiter(cursor, dtype=np.dtype(fields))
        finally:
            cursor.close()
        for name in numeric:
            values = table[name]
            if name in CODED_COLUMNS:
                lookup = np.empty(len(codes[name]), dtype=object)
                lookup[:] = codes[name]
                out[name] = lookup[values] if len(values) else np.empty(0, dtype=object)
            elif name in FLOAT_COLUMNS:
                values = values.copy()
                if conn.dialect.name == "sqlite":
                    values[np.isposinf(values)] = np.nan  # the NULL stand-in above
                out[name] = values
            elif name in BOOL_COLUMNS:
                out[name] = values.astype(bool)
            else:
                out[name] = values.copy()
    if loose:
        cursor = _fetch(conn, sa.select(*(a.c[c] for c in loose)).where(*where).order_by(a.c.id))
        try:
            rows = cursor.fetchall()
        finally:
            cursor.close()
        for i, name in enumerate(loose):
            array = np.empty(len(rows), dtype=object)
            array[:] = [bytes(r[i]) if isinstance(r[i], memoryview) else r[i] for r in rows]
            out[name] = array
    return {name: out[name] for name in columns}


def read_object_answers(conn: sa.Connection, *, branch_id: int) -> Mapping[str, list[Any]]:
    """Static attribute answers on the branch: object hash → answer entries.

    Objects that have no answers are absent (their rows store none).
    """
    import orjson

    oa = t.object_answers
    result: dict[str, list[Any]] = {}
    for object_hash, blob in conn.execute(
        sa.select(oa.c.object_hash, oa.c.answers)
        .where(oa.c.branch_id == branch_id)
        .order_by(oa.c.id)
    ):
        if blob is not None:
            result[object_hash] = orjson.loads(blob)["classifications"]
    return result
