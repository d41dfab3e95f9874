from __future__ import annotations

import copy
import re
from typing import Any

import orjson
import pytest

from branchmark.errors import InvalidBranchName, RevisionConflict, ValidationError
from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr
from tests.conftest import requires_postgres
from tests.store.builders import dump_tables, load, prepare, save, video_dict
from tests.store.conftest import load_fixture

FIXTURES = [
    pytest.param("image_all_shapes.json", id="image_all_shapes"),
    pytest.param("image_group.json", id="image_group"),
    pytest.param("legacy-sdk-0.1.202/image_all_shapes.json", id="legacy_image"),
    pytest.param("legacy-sdk-0.1.202/image_group.json", id="legacy_group"),
]


@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_dict_round_trips_byte_for_byte(
    store: Store, ontology: dict[str, Any], name: str
) -> None:
    original = load_fixture(name)
    unit, branch, row, d = prepare(store, ontology, original)
    saved = save(store, unit, branch, row, d)
    loaded = load(store, unit, branch, saved)
    assert loaded == d
    # Key order too: the exported JSON is the JSON that was saved.
    assert orjson.dumps(loaded) == orjson.dumps(d)
    # Everything but the row identity is the real SDK's output unchanged.
    assert {k: v for k, v in loaded.items() if k != "label_hash"} == {
        k: v for k, v in original.items() if k != "label_hash"
    }


def test_video_dict_round_trips(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, video_dict())
    saved = save(store, unit, branch, row, d)
    assert orjson.dumps(load(store, unit, branch, saved)) == orjson.dumps(d)


def test_annotation_columns_are_pixels_of_the_frame(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_group.json"))
    save(store, unit, branch, row, d)
    from branchmark.store.annotations import read_annotations

    with store.read() as conn:
        arrays = read_annotations(
            conn, branch_id=branch.id, columns=("frame", "shape", "x", "y", "w", "h")
        )
    boxes = arrays["shape"] == "bounding_box"
    # Hand-computed from the fixture: frame sizes 40x30, 30x40, 20x20.
    sizes = {0: (40, 30), 1: (30, 40), 2: (20, 20)}
    expected = []
    for entry in d["data_units"].values():
        for obj in entry["labels"]["objects"]:
            if obj["shape"] == "bounding_box":
                W, H = sizes[int(entry["data_sequence"])]
                b = obj["boundingBox"]
                expected.append((b["x"] * W, b["y"] * H, b["w"] * W, b["h"] * H))
    got = list(
        zip(
            arrays["x"][boxes],
            arrays["y"][boxes],
            arrays["w"][boxes],
            arrays["h"][boxes],
            strict=True,
        )
    )
    assert got == expected


def test_new_branch_lists_rows_without_label_hash(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(
        store, ontology, load_fixture("image_all_shapes.json"), branch="main"
    )
    with store.read() as conn:
        project_id = unit.project_id
        listing = lr.list_label_rows(conn, project_id, branch_name="model-b.v2_0")
        everything = lr.list_label_rows(conn, project_id, include_all_branches=True)
    assert [(e.branch_name, e.row) for e in listing] == [("model-b.v2_0", None)]
    assert [(e.branch_name, e.row.label_hash if e.row else None) for e in everything] == [
        ("main", row.label_hash)
    ]


def test_load_of_created_row_is_none(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, _ = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    assert load(store, unit, branch, row) is None
    assert row.revision == 1


def test_concurrent_save_raises_revision_conflict(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    first = save(store, unit, branch, row, d)  # writer A saves on top of revision 1
    assert first.revision == 2
    before = dump_tables(store)
    other = copy.deepcopy(d)
    other["label_status"] = "REVIEWED"
    with pytest.raises(
        RevisionConflict, match=r"saved by another writer: loaded revision 1, now 2"
    ):
        save(store, unit, branch, row, other)  # writer B still holds revision 1
    assert dump_tables(store) == before


def test_failed_bundle_save_writes_nothing(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    unit2, _, row2, d2 = prepare(
        store, ontology, load_fixture("image_group.json"), branch=branch.name
    )
    before = dump_tables(store)
    broken = copy.deepcopy(d2)
    first_unit = next(iter(broken["data_units"].values()))
    del first_unit["labels"]["objects"][1]["featureHash"]
    requests = [
        lr.SaveRequest(unit, branch, row.label_hash, row.revision, d),
        lr.SaveRequest(unit2, branch, row2.label_hash, row2.revision, broken),
    ]
    with pytest.raises(
        ValidationError, match=r"objects\[1\].*missing required field 'featureHash'"
    ):
        with store.write() as conn:
            lr.save_label_rows(conn, requests)
    assert dump_tables(store) == before


def test_conflict_in_second_row_rolls_back_first(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    unit2, _, row2, d2 = prepare(
        store, ontology, load_fixture("image_group.json"), branch=branch.name
    )
    save(store, unit2, branch, row2, d2)
    before = dump_tables(store)
    with pytest.raises(RevisionConflict):
        with store.write() as conn:
            lr.save_label_rows(
                conn,
                [
                    lr.SaveRequest(unit, branch, row.label_hash, row.revision, d),
                    lr.SaveRequest(unit2, branch, row2.label_hash, row2.revision, d2),
                ],
            )
    assert dump_tables(store) == before


def test_save_replaces_the_whole_row(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    saved = save(store, unit, branch, row, d)
    smaller = copy.deepcopy(d)
    entry = next(iter(smaller["data_units"].values()))
    entry["labels"]["objects"] = entry["labels"]["objects"][:2]
    kept = {o["objectHash"] for o in entry["labels"]["objects"]}
    smaller["object_answers"] = {h: v for h, v in smaller["object_answers"].items() if h in kept}
    smaller["classification_answers"] = {}
    again = save(store, unit, branch, saved, smaller)
    assert load(store, unit, branch, again) == smaller
    assert dump_tables(store)["annotations"].__len__() == 2


def test_dict_for_another_data_unit_is_refused(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    d["data_hash"] = "00000000-0000-0000-0000-000000000001"
    with pytest.raises(ValidationError, match="data_hash"):
        save(store, unit, branch, row, d)


def test_branch_revision_counts_writes(store: Store, ontology: dict[str, Any]) -> None:
    unit, branch, row, d = prepare(store, ontology, load_fixture("image_all_shapes.json"))
    with store.read() as conn:
        after_create = catalog.get_branch(conn, unit.project_id, branch.name).revision
    save(store, unit, branch, row, d)
    with store.read() as conn:
        assert catalog.get_branch(conn, unit.project_id, branch.name).revision == after_create + 1


@pytest.mark.parametrize("name", ["", "main branch", "a/b", "ümlaut", "x\n", "semi;colon", None, 3])
def test_invalid_branch_names_are_refused(
    store: Store, ontology: dict[str, Any], name: Any
) -> None:
    with store.write() as conn:
        project = catalog.create_project(conn, "p", ontology)
    with pytest.raises(InvalidBranchName, match=re.escape(f"invalid branch name {name!r}")):
        with store.write() as conn:
            catalog.create_branch(conn, project.id, name)
    with store.read() as conn:
        with pytest.raises(InvalidBranchName):
            lr.list_label_rows(conn, project.id, branch_name=name or "bad name")


@pytest.mark.parametrize("name", ["main", "yolo-v8.run_01", "A.b-C_9", "Main"])
def test_valid_branch_names_are_case_sensitive(
    store: Store, ontology: dict[str, Any], name: str
) -> None:
    with store.write() as conn:
        project = catalog.create_project(conn, "p", ontology)
        branch = catalog.ensure_branch(conn, project.id, name)
    assert branch.name == name
    with store.read() as conn:
        names = [b.name for b in catalog.list_branches(conn, project.id)]
    assert names.count(name) == 1


@requires_postgres
@pytest.mark.postgres
def test_postgres_writer_slipping_in_between_read_and_update_is_caught(
    postgres_schema: str, ontology: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL nothing locks the row between the revision read and the UPDATE; the
    UPDATE's ``WHERE revision = loaded`` must still refuse to overwrite the other save."""
    store_a, store_b = Store.open(postgres_schema), Store.open(postgres_schema)
    try:
        unit, branch, row, d = prepare(store_a, ontology, load_fixture("image_all_shapes.json"))
        theirs = copy.deepcopy(d)
        theirs["label_status"] = "REVIEWED"
        real_find = lr.find_label_rows
        calls = []

        def find_then_let_b_save(conn: Any, pairs: Any) -> Any:
            found = real_find(conn, pairs)
            if not calls:
                calls.append(1)
                save(store_b, unit, branch, row, theirs)  # commits while A is mid-save
            return found

        monkeypatch.setattr(lr, "find_label_rows", find_then_let_b_save)
        with pytest.raises(
            RevisionConflict, match="1 of 1 label rows were saved by another writer"
        ):
            save(store_a, unit, branch, row, d)
        monkeypatch.undo()
        assert load(store_a, unit, branch, row)["label_status"] == "REVIEWED"  # B's save stands
    finally:
        store_a.close()
        store_b.close()
