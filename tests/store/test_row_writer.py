"""``row_writer.insert_columns``: what goes in comes back, whichever columns are constant.

The oracle is SQLAlchemy's own ``INSERT`` of the same rows into a second project's branch: the
fast path (literals for constant columns, ``bytearray`` blobs, NaN floats, COPY on PostgreSQL)
must store exactly what the ordinary parameter path stores.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr
from branchmark.store import schema as t
from branchmark.store.row_writer import ROWS_PER_STATEMENT, Same, insert_columns, insert_rows

COLUMNS = (
    "project_id", "branch_id", "data_unit_id", "label_row_id", "frame", "object_hash",
    "feature_hash", "shape", "x", "y", "w", "h", "theta", "area", "iscrowd", "confidence",
    "manual", "object_number", "geometry", "meta",
)  # fmt: skip


def _owner(store: Store, ontology: dict[str, Any], title: str) -> tuple[int, int, int, int]:
    with store.write() as conn:
        project = catalog.create_project(conn, title, ontology)
        branch = catalog.ensure_branch(conn, project.id, "pred")
        unit = catalog.add_data_unit(
            conn, project.id, title="a.jpg", data_type="image", width=64, height=48, frames=1
        )
        row = lr.create_label_row(conn, unit, branch)
    return project.id, branch.id, unit.id, row.id


def _rows(owner: tuple[int, int, int, int], variant: str, n: int = 5) -> list[tuple[Any, ...]]:
    """``n`` annotation rows; ``variant`` decides which columns hold one value throughout."""
    p, b, u, r = owner
    varied = variant == "varied"
    return [
        (
            p, b, u, r, 0,
            f"o'{i}" if varied else "same'hash",  # a quote inside a literal
            f"f{i % 2}" if varied else "f0",
            "bounding_box",
            0.1 * i + 1e-17, 2.0 / 3.0, 1e300 if i == 3 else 5.5, 7.25,
            (math.nan if i % 2 else 12.5) if varied else math.nan,
            None if varied and i == 2 else 0.30000000000000004,
            bool(i % 2) if varied else False,
            1.0 if varied and i == 0 else 0.1 * (i + 1),
            True,
            (i if i % 3 else None) if varied else None,
            (b"N{\"k\":" + bytes([i]) + b"\x00}") if varied else b"P{}",
            None if varied and i == 4 else b'{"name":"x"}',
        )
        for i in range(n)
    ]  # fmt: skip


def _read(store: Store, branch_id: int) -> list[tuple[Any, ...]]:
    a = t.annotations
    cols = [a.c[c] for c in COLUMNS[5:]]
    with store.read() as conn:
        rows = conn.execute(sa.select(*cols).where(a.c.branch_id == branch_id).order_by(a.c.id))
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in r) for r in rows]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("variant", ["varied", "constant"])
@pytest.mark.parametrize(
    "n", [5, ROWS_PER_STATEMENT, 2 * ROWS_PER_STATEMENT + 7], ids=["few", "one_group", "groups"]
)
def test_insert_rows_stores_what_sqlalchemy_stores(
    store: Store, ontology: dict[str, Any], variant: str, n: int
) -> None:
    fast, slow = _owner(store, ontology, "fast"), _owner(store, ontology, "slow")
    with store.write() as conn:
        insert_rows(conn, t.annotations, COLUMNS, _rows(fast, variant, n))
        expected = [
            {
                k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in zip(COLUMNS, r, strict=True)
            }
            for r in _rows(slow, variant, n)
        ]
        conn.execute(t.annotations.insert(), expected)
    got, want = _read(store, fast[1]), _read(store, slow[1])
    assert len(got) == n  # in id order: multi-row statements keep the row order
    for g, w in zip(got, want, strict=True):
        assert all(_same(x, y) for x, y in zip(g, w, strict=True)), (g, w)


def test_nan_floats_are_stored_as_null(store: Store, ontology: dict[str, Any]) -> None:
    p, b, u, r = _owner(store, ontology, "nan")
    n = 4
    with store.write() as conn:
        insert_columns(
            conn,
            t.annotations,
            {
                "project_id": Same(p), "branch_id": Same(b), "data_unit_id": Same(u),
                "label_row_id": np.full(n, r), "frame": np.zeros(n, np.int64),
                "object_hash": [f"o{i}" for i in range(n)], "feature_hash": Same("f"),
                "shape": Same("point"), "x": np.array([1.0, np.nan, 3.0, np.nan]),
                "y": np.zeros(n), "w": np.zeros(n), "h": np.zeros(n), "theta": Same(math.nan),
                "area": np.full(n, np.nan), "iscrowd": np.zeros(n, bool),
                "manual": np.array([True, False, True, False]),
            },
            n=n,
        )  # fmt: skip
    a = t.annotations
    with store.read() as conn:
        nulls = conn.execute(
            sa.select(
                sa.func.count(a.c.x), sa.func.count(a.c.theta), sa.func.count(a.c.area),
                sa.func.sum(sa.cast(a.c.manual, sa.Integer)),
            ).where(a.c.branch_id == b)
        ).one()  # fmt: skip
    assert tuple(nulls) == (2, 0, 0, 2)


def test_wrong_length_is_refused_before_writing(store: Store, ontology: dict[str, Any]) -> None:
    p, b, u, r = _owner(store, ontology, "short")
    with pytest.raises(ValueError, match=r"annotations.x: expected 3 values, got 2"):
        with store.write() as conn:
            insert_columns(conn, t.annotations, {"branch_id": Same(b), "x": [1.0, 2.0]}, n=3)
    assert _read(store, b) == []


def test_binary_copy_is_chosen_only_for_values_it_takes_as_is() -> None:
    """PostgreSQL's binary COPY needs each value in its column's exact format; anything else goes
    through the text COPY, which adapts by Python type."""
    from branchmark.store.row_writer import _binary_types

    names = ["label_row_id", "object_hash", "x", "manual", "geometry", "object_number"]
    good = [[1, 2], ["a", "b"], [0.5, 1], [True, None], [bytearray(b"B"), b"P{}"], Same(None)]
    assert _binary_types(t.annotations, names, good) == [
        "int4", "text", "float8", "bool", "bytea", "int4",
    ]  # fmt: skip
    for column, odd in ((1, [1, "b"]), (2, [0.5, "1"]), (3, [1, 0]), (5, Same(1.5))):
        assert (
            _binary_types(t.annotations, names, [*good[:column], odd, *good[column + 1 :]]) is None
        )


@pytest.mark.parametrize("binary", [True, False], ids=["binary_copy", "text_copy"])
def test_both_copy_formats_store_the_same(
    store: Store, ontology: dict[str, Any], binary: bool
) -> None:
    p, b, u, r = _owner(store, ontology, "copy")
    n = 3
    with store.write() as conn:
        insert_columns(
            conn,
            t.annotations,
            {
                "project_id": Same(p), "branch_id": Same(b), "data_unit_id": Same(u),
                "label_row_id": [r] * n, "frame": [0, 1, 2],
                # an int object_number where text COPY is forced: a str in an int column
                "object_hash": ["h0", "h1", "h2"], "feature_hash": Same("f"), "shape": Same("box"),
                "x": [0.1, 2, math.nan], "y": Same(0.0), "w": Same(1.0), "h": Same(1.0),
                "manual": [True, False, True], "iscrowd": Same(False),
                "geometry": [bytearray(b"B1"), b"P{}", None],
                "object_number": [1, None, 3] if binary else [1, None, "3"],
            },
            n=n,
        )  # fmt: skip
    a = t.annotations
    with store.read() as conn:
        got = conn.execute(
            sa.select(a.c.frame, a.c.x, a.c.manual, a.c.geometry, a.c.object_number)
            .where(a.c.branch_id == b)
            .order_by(a.c.id)
        ).all()
    assert [(f, x, m, None if g is None else bytes(g), o) for f, x, m, g, o in got] == [
        (0, 0.1, True, b"B1", 1), (1, 2.0, False, b"P{}", None), (2, None, True, None, 3),
    ]  # fmt: skip
