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
from branchmark.store.row_writer import Same, insert_columns

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
    nan: Any = Same(np.nan)
    theta = nan if batch.theta is None else _column("theta", batch.theta, n, np.float64)
    area = nan if batch.area is None else _column("area", batch.area, n, np.float64)
    crowd: Any = (
        Same(False) if batch.iscrowd is None else _column("iscrowd", batch.iscrowd, n, bool)
    )
    conf: Any = (
        Same(1.0)
        if batch.confidence is None
        else _column("confidence", batch.confidence, n, np.float64)
    )
    manual: Any = Same(True) if batch.manual is None else _column("manual", batch.manual, n, bool)
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
    unique, inverse = np.unique(rows_id, return_inverse=True)
    ids = unique.tolist()
    found: dict[int, tuple[int, int, int, int]] = {}
    for chunk_start in range(0, len(ids), 500):
        for r in conn.execute(
            sa.select(lr.c.id, lr.c.project_id, lr.c.branch_id, lr.c.data_unit_id, du.c.frames)
            .join(du, du.c.id == lr.c.data_unit_id)
            .where(lr.c.id.in_(ids[chunk_start : chunk_start + 500]))
        ):
            found[r[0]] = (r[1], r[2], r[3], r[4])
    unknown = (-1, -1, -1, -1)
    owners = np.array([found.get(i, unknown) for i in ids], dtype=np.int64).reshape(-1, 4)
    missing = unique[owners[:, 0] < 0]
    if len(missing):
        raise ValidationError(
            f"label_row_id {int(missing[0])} does not exist ({len(missing)} unknown)"
        )
    owner = owners[inverse.reshape(-1)]
    beyond = frame >= owner[:, 3]
    if beyond.any():
        i = int(np.argmax(beyond))
        raise ValidationError(
            f"annotation {i}: frame {int(frame[i])} is beyond the data unit's "
            f"{int(owner[i, 3])} frames"
        )

    geometry = strings["geometry"]
    if geometry is not None and any(g is None for g in geometry):
        empty = codec.encode_pixels({})
        geometry = [empty if g is None else g for g in geometry]
    # NaN floats are stored as NULL (see row_writer); boxes live in the numeric columns, and a
    # column with one value on every row (branch, shape, flags, the empty geometry blob) is
    # sent once, not per row.
    insert_columns(
        conn,
        t.annotations,
        {
            "project_id": owner[:, 0],
            "branch_id": owner[:, 1],
            "data_unit_id": owner[:, 2],
            "label_row_id": rows_id,
            "frame": frame,
            "object_hash": _strs(strings["object_hash"]),
            "feature_hash": _strs(strings["feature_hash"]),
            "shape": _strs(strings["shape"]),
            "x": xs[0],
            "y": xs[1],
            "w": xs[2],
            "h": xs[3],
            "theta": theta,
            "area": area,
            "iscrowd": crowd,
            "confidence": conf,
            "manual": manual,
            "object_number": Same(None) if strings["object_number"] is None
            else [None if v is None else int(v) for v in strings["object_number"]],
            "geometry": Same(codec.encode_pixels({})) if geometry is None else geometry,
            "meta": Same(None) if strings["meta"] is None else list(strings["meta"]),
        },
        n=n,
    )  # fmt: skip
    catalog.bump_branch_revision(conn, np.unique(owner[:, 1]).tolist())
    return n


def _strs(values: Sequence[Any]) -> list[str]:
    if isinstance(values, np.ndarray):
        values = values.tolist()
    return list(map(str, values))


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


SHARED_COLUMNS = ("feature_hash", "shape")
"""Few distinct values: every row's value is the same ``str`` object per distinct value."""


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

    One ``SELECT`` on the raw cursor walks the ``(branch_id, id)`` index in order (no sort) and
    its rows stream straight into a structured array (``np.fromiter``), so the only Python
    objects made are the driver's values; ``feature_hash`` and ``shape`` share one ``str``
    per distinct value.
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
    # NULL floats come back as an out-of-range stand-in (fromiter takes no None in a float
    # field) and become NaN below; PostgreSQL has a NaN literal of its own.
    sqlite = conn.dialect.name == "sqlite"
    nan: Any = sa.literal_column("9e999" if sqlite else "'NaN'::float8")
    names = list(dict.fromkeys(columns))
    selected: list[Any] = []
    fields: list[tuple[str, Any]] = []
    for name in names:
        column = a.c[name]
        if name in FLOAT_COLUMNS:
            selected.append(sa.func.coalesce(column, nan))
            fields.append((name, np.float64))
        elif name in OBJECT_COLUMNS:
            selected.append(column)
            fields.append((name, object))
        else:  # ints, and booleans (0/1 on SQLite, bool on PostgreSQL)
            selected.append(column)
            fields.append((name, np.int64))
    query = sa.select(*selected).where(*where).order_by(a.c.id)
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    cursor: Any = conn.connection.cursor()
    try:
        cursor.execute(str(compiled))
        table = np.fromiter(cursor, dtype=np.dtype(fields))
    finally:
        cursor.close()
    out: dict[str, NDArray[Any]] = {}
    for name in names:
        values = table[name]
        if name in FLOAT_COLUMNS:
            values = values.copy()
            if sqlite:
                values[np.isposinf(values)] = np.nan  # the NULL stand-in above
        elif name in BOOL_COLUMNS:
            values = values.astype(bool)
        elif name in SHARED_COLUMNS:
            values = _shared_strings(values)
        elif name in OBJECT_COLUMNS:
            values = values.copy()
            if not sqlite and len(values) and isinstance(values[0], memoryview):
                values[:] = [None if v is None else bytes(v) for v in values]
        else:
            values = values.copy()
        out[name] = values
    return {name: out[name] for name in columns}


def _shared_strings(values: NDArray[np.object_]) -> NDArray[np.object_]:
    """``values`` with each distinct string replaced by one shared ``str`` object."""
    distinct = sorted(set(values.tolist()))
    code = {v: i for i, v in enumerate(distinct)}
    lookup = np.empty(len(distinct), dtype=object)
    lookup[:] = distinct
    return lookup[np.fromiter(map(code.__getitem__, values), np.int64, len(values))]


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
