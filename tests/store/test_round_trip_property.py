"""Property: any well-formed label-row dict the store accepts comes back equal, byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from branchmark.errors import ProjectNotFound
from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr

coordinate = st.one_of(
    st.floats(min_value=-0.5, max_value=1.5, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=1),
)
point = st.fixed_dictionaries({"x": coordinate, "y": coordinate})
box = st.fixed_dictionaries({"h": coordinate, "w": coordinate, "x": coordinate, "y": coordinate})
ring = st.lists(coordinate, min_size=6, max_size=12).filter(lambda r: len(r) % 2 == 0)
hashes = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEF0123456789+/", min_size=8, max_size=8)


@st.composite
def object_entries(draw: st.DrawFn, object_hash: str) -> dict[str, Any]:
    shape = draw(
        st.sampled_from(["bounding_box", "rotatable_bounding_box", "polygon", "point", "polyline"])
    )
    entry: dict[str, Any] = {"name": draw(st.text(max_size=5)), "color": "#000000", "shape": shape}
    if draw(st.booleans()):
        entry["confidence"] = draw(st.floats(0, 1) | st.integers(0, 1))
    entry["objectHash"] = object_hash
    entry["featureHash"] = draw(st.sampled_from(["0b1e4a01", "0b1e4a02", "custom99"]))
    if draw(st.booleans()):
        entry["manualAnnotation"] = draw(st.booleans())
    entry["createdBy"] = draw(st.none() | st.emails())
    if shape == "bounding_box":
        entry["boundingBox"] = draw(box)
    elif shape == "rotatable_bounding_box":
        entry["rotatableBoundingBox"] = {**draw(box), "theta": draw(st.floats(-360, 360))}
    elif shape == "polygon":
        polygons = draw(st.lists(st.lists(ring, min_size=1, max_size=2), min_size=1, max_size=2))
        first = polygons[0][0]
        entry["polygon"] = {
            str(i): {"x": first[2 * i], "y": first[2 * i + 1]} for i in range(len(first) // 2)
        }
        entry["polygons"] = polygons
    elif shape == "point":
        entry["point"] = {"0": draw(point)}
    else:
        entry["polyline"] = draw(
            st.lists(point, min_size=2, max_size=5).map(
                lambda pts: {str(i): p for i, p in enumerate(pts)}
            )
        )
    return entry


@st.composite
def label_dicts(draw: st.DrawFn) -> dict[str, Any]:
    video = draw(st.booleans())
    object_hashes = draw(st.lists(hashes, max_size=6, unique=True))
    entries = [(h, draw(object_entries(h))) for h in object_hashes]
    unit: dict[str, Any] = {
        "data_hash": "X",
        "data_title": "t",
        "data_link": "",
        "data_type": "image/png",
        "data_sequence": 0,
        "width": draw(st.integers(1, 4000)),
        "height": draw(st.integers(1, 4000)),
    }
    if video:
        frames = draw(st.lists(st.integers(0, 50), min_size=len(entries), max_size=len(entries)))
        labels: dict[str, Any] = {}
        for (_, entry), frame in zip(entries, frames, strict=True):
            labels.setdefault(str(frame), {"objects": [], "classifications": []})["objects"].append(
                entry
            )
        unit.update(data_duration=2.0, data_fps=25.0, labels=labels)
    else:
        unit["labels"] = {"objects": [e for _, e in entries], "classifications": []}
    answers = {
        h: {
            "classifications": [],
            "objectHash": h,
            **(
                {"objectNumber": n}
                if (n := draw(st.none() | st.integers(0, 9))) is not None
                else {}
            ),
        }
        for h in object_hashes
    }
    # answers for objects with no frames, in between the others (kept verbatim, in order)
    for orphan in draw(
        st.lists(hashes.filter(lambda h: h not in answers), max_size=2, unique=True)
    ):
        answers[orphan] = {"classifications": [], "objectHash": orphan}
    if draw(st.booleans()):
        answers = dict(reversed(list(answers.items())))
    return {
        "label_hash": None,
        "branch_name": "b",
        "created_at": "Wed, 15 Jan 2025 12:00:00 UTC",
        "last_edited_at": "Wed, 15 Jan 2025 12:00:00 UTC",
        "data_hash": None,
        "dataset_hash": "",
        "dataset_title": "",
        "data_title": "t",
        "data_type": "video" if video else "image",
        "object_answers": answers,
        "classification_answers": {
            h: {
                "classifications": [],
                "classificationHash": h,
                "featureHash": "c1a55003",
                "spaces": {},
                "range": draw(
                    st.lists(
                        st.tuples(st.integers(0, 9), st.integers(10, 20)).map(list), max_size=2
                    )
                ),
                "confidence": draw(st.floats(0, 1)),
                "manualAnnotation": draw(st.booleans()),
            }
            for h in draw(st.lists(hashes, max_size=2, unique=True))
        },
        "object_actions": {},
        "label_status": draw(st.sampled_from(["LABELLED", "NOT_LABELLED"])),
        "data_units": {"X": unit},
        "spaces": {},
    }


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store.open(tmp_path_factory.mktemp("prop") / "ws")
    yield store
    store.close()


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(d=label_dicts())
def test_any_dict_round_trips(
    shared_store: Store, ontology: dict[str, Any], d: dict[str, Any]
) -> None:
    """Saved then loaded, a dict is the same JSON (floats, ints, key order, absent keys)."""
    store = shared_store
    with store.write() as conn:
        try:
            project = catalog.get_project(conn, "p")
        except ProjectNotFound:
            project = catalog.create_project(conn, "p", ontology)
        unit_meta = d["data_units"]["X"]
        unit = catalog.add_data_unit(
            conn,
            project.id,
            title="t",
            data_type=d["data_type"],
            width=unit_meta["width"],
            height=unit_meta["height"],
            frames=60 if d["data_type"] == "video" else 1,
        )
        branch = catalog.ensure_branch(conn, project.id, "b")
        row = lr.create_label_row(conn, unit, branch)
    d = {**d, "label_hash": row.label_hash, "data_hash": unit.data_hash}
    with store.write() as conn:
        saved = lr.save_label_rows(
            conn, [lr.SaveRequest(unit, branch, row.label_hash, row.revision, d)]
        )[0]
    with store.read() as conn:
        loaded = lr.load_label_rows(conn, [(unit, branch, saved)], object_names={})[0]
    assert orjson.dumps(loaded) == orjson.dumps(d)
