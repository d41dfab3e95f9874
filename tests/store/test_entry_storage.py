"""How a saved entry is stored: packed box geometry and per-row shared ``meta`` templates.

Oracles: ``struct``'s own float64 bits for the packed boxes, the dict that was saved for every
round trip, and rows written in the earlier layout (``meta`` JSON per annotation, ``N`` JSON
geometry) rewritten by hand in the database.
"""

from __future__ import annotations

import copy
import math
import struct
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from branchmark.errors import ValidationError
from branchmark.store import Store, codec
from branchmark.store import schema as t
from branchmark.store.label_dict import ENTRY_TEMPLATES_KEY
from tests.store.builders import load, prepare, save
from tests.store.conftest import load_fixture

finite = st.floats(allow_nan=False, allow_infinity=False)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


@given(finite, finite, finite, finite)
def test_packed_box_gives_back_every_float_bit_for_bit(
    h: float, w: float, x: float, y: float
) -> None:
    blob = codec.encode_box(h, w, x, y)
    assert blob[:1] == codec.BOX and len(blob) == 33
    kind, payload = codec.decode_geometry(blob)
    assert kind == "N" and list(payload) == ["boundingBox"]
    box = payload["boundingBox"]
    assert list(box) == ["h", "w", "x", "y"]
    assert [_bits(v) for v in box.values()] == [_bits(v) for v in (h, w, x, y)]  # -0.0 too


@pytest.mark.parametrize(
    "values",
    [(1, 0.5, 0.0, 0.0), (0.5, 0.5, True, 0.0), (math.nan, 0.5, 0.0, 0.0), (0.5, math.inf, 0, 0)],
    ids=["int", "bool", "nan", "inf"],
)
def test_box_that_is_not_four_finite_floats_stays_json(values: tuple[Any, ...]) -> None:
    blob = codec.encode_box(*values)
    expected = dict(zip("hwxy", values, strict=True))
    assert blob == codec.NORMALISED + orjson.dumps({"boundingBox": expected})


def _boxes_dict(n: int) -> dict[str, Any]:
    """The image fixture with ``n`` float boxes of one class sharing their metadata."""
    d = load_fixture("image_all_shapes.json")
    unit = next(iter(d["data_units"].values()))
    template = next(o for o in unit["labels"]["objects"] if o["shape"] == "bounding_box")
    objects = []
    for i in range(n):
        entry = copy.deepcopy(template)
        entry["objectHash"] = f"box{i:05d}"
        entry["confidence"] = 0.5 + i / (4 * n)
        entry["boundingBox"] = {"h": 0.1, "w": 0.2, "x": i / (2 * n), "y": 0.25}
        objects.append(entry)
        d["object_answers"][entry["objectHash"]] = {
            "classifications": [],
            "objectHash": entry["objectHash"],
        }
    unit["labels"]["objects"] = objects + unit["labels"]["objects"]
    return d


def _stored(store: Store, label_row_id: int) -> tuple[dict[str, Any], list[tuple[bytes, bytes]]]:
    a = t.annotations
    with store.read() as conn:
        header = conn.execute(
            sa.select(t.label_rows.c.header).where(t.label_rows.c.id == label_row_id)
        ).scalar_one()
        rows = conn.execute(
            sa.select(a.c.geometry, a.c.meta)
            .where(a.c.label_row_id == label_row_id)
            .order_by(a.c.id)
        ).all()
    return orjson.loads(header), [(bytes(g), bytes(m)) for g, m in rows]


def test_entries_sharing_metadata_store_it_once(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, _boxes_dict(40))
    saved = save(store, unit, branch, row, d)
    header, rows = _stored(store, saved.id)
    templates = header[ENTRY_TEMPLATES_KEY]
    n_entries = len(next(iter(d["data_units"].values()))["labels"]["objects"])
    assert len(rows) == n_entries
    # the 40 boxes share one template; the fixture's other entries bring their own
    assert [m for _, m in rows[:40]] == [b"#0"] * 40
    assert len(templates) == len({m for _, m in rows}) < n_entries
    assert all(g[:1] == codec.BOX and len(g) == 33 for g, _ in rows[:40])
    assert orjson.dumps(load(store, unit, branch, saved)) == orjson.dumps(d)


def test_rows_stored_in_the_earlier_layout_read_back_the_same(
    store: Store, ontology: dict[str, Any]
) -> None:
    unit, branch, row, d = prepare(store, ontology, _boxes_dict(5))
    saved = save(store, unit, branch, row, d)
    header, rows = _stored(store, saved.id)
    templates = header.pop(ENTRY_TEMPLATES_KEY)
    a = t.annotations
    with store.write() as conn:
        ids = conn.execute(
            sa.select(a.c.id).where(a.c.label_row_id == saved.id).order_by(a.c.id)
        ).scalars()
        for annotation_id, (geometry, meta) in zip(ids, rows, strict=True):
            # the earlier layout: the template's JSON in meta, N JSON geometry
            old_meta = orjson.dumps(templates[int(meta[1:])])
            kind, payload = codec.decode_geometry(geometry)
            old_geometry = geometry if kind == "P" else codec.NORMALISED + orjson.dumps(payload)
            conn.execute(
                a.update()
                .where(a.c.id == annotation_id)
                .values(meta=old_meta, geometry=old_geometry)
            )
        conn.execute(
            t.label_rows.update()
            .where(t.label_rows.c.id == saved.id)
            .values(header=orjson.dumps(header))
        )
    assert orjson.dumps(load(store, unit, branch, saved)) == orjson.dumps(d)


def test_entries_from_one_template_share_no_container(
    store: Store, ontology: dict[str, Any]
) -> None:
    d = _boxes_dict(2)
    objects = next(iter(d["data_units"].values()))["labels"]["objects"]
    for entry in objects[:2]:
        entry["reviews"] = [{"status": "approved"}]  # a nested value in the shared template
    unit, branch, row, d = prepare(store, ontology, d)
    saved = save(store, unit, branch, row, d)
    header, _ = _stored(store, saved.id)
    assert header[ENTRY_TEMPLATES_KEY][0]["reviews"] == [{"status": "approved"}]
    loaded = load(store, unit, branch, saved)
    first, second = next(iter(loaded["data_units"].values()))["labels"]["objects"][:2]
    first["reviews"].append("changed")
    assert second["reviews"] == [{"status": "approved"}]


def test_the_reserved_header_key_is_refused_and_nothing_written(
    store: Store, ontology: dict[str, Any]
) -> None:
    unit, branch, row, d = prepare(store, ontology, _boxes_dict(3))
    d[ENTRY_TEMPLATES_KEY] = []
    with pytest.raises(ValidationError, match="reserved"):
        save(store, unit, branch, row, d)
    with store.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(t.annotations)).scalar() == 0


def test_a_reference_to_a_missing_template_names_the_object(
    store: Store, ontology: dict[str, Any]
) -> None:
    unit, branch, row, d = prepare(store, ontology, _boxes_dict(3))
    saved = save(store, unit, branch, row, d)
    a = t.annotations
    with store.write() as conn:
        conn.execute(a.update().where(a.c.object_hash == "box00001").values(meta=b"#99"))
    with pytest.raises(ValidationError, match="box00001 frame 0: entry template 99"):
        load(store, unit, branch, saved)
