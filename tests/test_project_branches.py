"""``Project.copy_labels_to_branch`` and ``Project.export_coco_labels`` over real workspaces.

Every test runs on SQLite and, when ``BRANCHMARK_TEST_DATABASE_URL`` is set, PostgreSQL.  The
oracles: the source rows' own ``to_encord_dict`` (read back in a new client), the real SDK's
fixture dicts, the stored columns of the source rows, and the file ``branchmark export coco``
writes.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import branchmark as bm
from branchmark.cli.main import app
from branchmark.errors import BranchNotFound, InvalidBranchName, RevisionConflict
from branchmark.importers.coco_dataset import import_coco_dataset
from branchmark.objects import Classification, LabelRowV2, Object
from branchmark.objects.attributes import NumericAttribute, RadioAttribute
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.objects.frames import Range
from branchmark.store import catalog
from branchmark.store import schema as t
from tests.conftest import ENCORD_FIXTURES, requires_postgres
from tests.importers.conftest import BASE_DATASET
from tests.store.builders import add_unit_for
from tests.store.conftest import postgres_schema  # noqa: F401  (fixture)

FIXTURE_DICTS = ("image_all_shapes.json", "image_group.json")
IDENTITY = ("label_hash", "branch_name")


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[requires_postgres, pytest.mark.postgres]),
    ]
)
def workspace(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Where the workspace lives: a folder, or a fresh PostgreSQL schema's URL."""
    if request.param == "sqlite":
        yield str(tmp_path / "ws")
    else:
        yield request.getfixturevalue("postgres_schema")


_opened: list[bm.UserClient] = []


@pytest.fixture(autouse=True)
def _close_clients(workspace: str) -> Iterator[None]:
    """Close every client a test opened (before a PostgreSQL schema is dropped)."""
    yield
    while _opened:
        _opened.pop().close()


def _open(workspace: str) -> bm.UserClient:
    client = bm.UserClient.open(workspace)
    _opened.append(client)
    return client


def _box(x: float) -> BoundingBoxCoordinates:
    return BoundingBoxCoordinates(height=0.25, width=0.125, top_left_x=x, top_left_y=0.5)


def _add_fixture_unit(project: bm.Project, d: dict[str, Any]) -> None:
    """The data unit of a real SDK dict, with its data hash and sizes."""
    with project.store.write() as conn:
        add_unit_for(conn, project.record.id, d)


def _fixture(name: str) -> dict[str, Any]:
    d: dict[str, Any] = json.loads((ENCORD_FIXTURES / name).read_text())
    return d


def _fruit(workspace: str) -> bm.Project:
    """Project "Fruit" with labels on main: the two real SDK dicts, a video with a tracked box
    (dynamic confidence, static answers) and a ranged classification, two images with a
    prediction-like box, one image whose main row exists but holds nothing, and one image
    with no main row at all."""
    project = _open(workspace).create_project("Fruit", _fixture("ontology.json"))
    for name in FIXTURE_DICTS:
        _add_fixture_unit(project, _fixture(name))
    project.add_data_unit("clip.mp4", "video", 320, 240, frames=10, fps=5.0)
    for title in ("cherry_0.png", "cherry_1.png", "empty.png", "unlabelled.png"):
        project.add_data_unit(title, "image", 64, 48)
    ontology = project.ontology_structure
    cherry = ontology.get_child_by_title("Cherry", type_=Object)
    ripeness = ontology.get_child_by_title("Ripeness", type_=RadioAttribute)
    diameter = ontology.get_child_by_title("Diameter mm", type_=NumericAttribute)
    count = ontology.get_child_by_hash("c1a55004", type_=Classification)
    rows = {r.data_title: r for r in project.list_label_rows_v2()}
    del rows["unlabelled.png"]
    with project.create_bundle() as bundle:
        for row in rows.values():
            row.initialise_labels(bundle=bundle)
    fixtures = {d["data_title"]: d for d in map(_fixture, FIXTURE_DICTS)}
    for title, d in fixtures.items():
        row = rows[title]
        row.from_labels_dict(
            {**copy.deepcopy(d), "label_hash": row.label_hash, "branch_name": "main"}
        )
    video = rows["clip.mp4"]
    track = cherry.create_instance()
    track.set_for_frames(_box(0.1), frames=Range(0, 2), confidence=0.75, manual_annotation=False)
    track.set_for_frames(_box(0.2), frames=[5, 7], confidence=0.5, manual_annotation=True)
    track.set_answer(ripeness.options[0])
    track.set_answer(12.5, attribute=diameter)
    video.add_object_instance(track)
    counted = count.create_instance()
    counted.set_answer(3)
    counted.set_for_frames(frames=Range(1, 4), confidence=0.6, manual_annotation=False)
    video.add_classification_instance(counted)
    for i, title in enumerate(("cherry_0.png", "cherry_1.png")):
        box = cherry.create_instance()
        box.set_for_frames(_box(0.25 + i / 8), frames=0, confidence=0.9 - i / 4)
        rows[title].add_object_instance(box)
    with project.create_bundle() as bundle:
        for title, row in rows.items():
            if title != "empty.png":
                row.save(bundle=bundle)
    return project


def _dicts(project: bm.Project, branch: str) -> dict[str, dict[str, Any]]:
    """``to_encord_dict`` of every existing row of the branch, by data title (loaded anew)."""
    rows = [r for r in project.list_label_rows_v2(branch_name=branch) if r.label_hash]
    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    return {r.data_title: r.to_encord_dict() for r in rows}


def _without_identity(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k not in IDENTITY}


def _stored(project: bm.Project, branch: str) -> dict[int, dict[str, Any]]:
    """Every stored column of the branch's rows except their identity, by data unit id: the
    row's status, creation time and header blob, and its annotation, answers and
    classification rows in id order."""
    lr = t.label_rows
    out: dict[int, dict[str, Any]] = {}
    with project.store.read() as conn:
        branch_id = catalog.get_branch(conn, project.record.id, branch).id
        for row in conn.execute(sa.select(lr).where(lr.c.branch_id == branch_id)):
            out[row.data_unit_id] = {
                "label_status": row.label_status,
                "created_at": row.created_at,
                "header": row.header,
            }
        for table in (t.annotations, t.object_answers, t.classifications):
            columns = [c for c in table.c if c.name not in ("id", "branch_id", "label_row_id")]
            query = (
                sa.select(lr.c.data_unit_id, *columns)
                .join(lr, lr.c.id == table.c.label_row_id)
                .where(lr.c.branch_id == branch_id)
                .order_by(table.c.id)
            )
            for unit_id, *values in conn.execute(query):
                out[unit_id].setdefault(table.name, []).append(tuple(values))
    return out


def test_copy_to_new_branch_reads_back_identical(workspace: str) -> None:
    project = _fruit(workspace)
    source = _dicts(project, "main")
    assert sorted(source) == [
        "cherry_0.png",
        "cherry_001.png",
        "cherry_1.png",
        "clip.mp4",
        "empty.png",
        "fruit_group",
    ]
    copied = project.copy_labels_to_branch("gt-copy.v1")
    assert copied == 6  # every existing main row, the empty one too; not the unlabelled image

    again = _open(workspace).get_project("Fruit")
    assert again.list_branches() == ["main", "gt-copy.v1"]
    target = _dicts(again, "gt-copy.v1")
    assert sorted(target) == sorted(source)
    for title, d in target.items():
        assert d["branch_name"] == "gt-copy.v1"
        assert d["label_hash"] != source[title]["label_hash"]
        assert _without_identity(d) == _without_identity(source[title]), title
    # the real SDK's own dicts came through a save and a copy unchanged (times aside: the
    # save stamps its own)
    times = ("created_at", "last_edited_at")
    for d in map(_fixture, FIXTURE_DICTS):
        copied_d = _without_identity(target[d["data_title"]])
        assert {k: v for k, v in copied_d.items() if k not in times} == {
            k: v for k, v in _without_identity(d).items() if k not in times
        }
    # and the SDK objects agree instance by instance
    rows = {r.data_title: r for r in again.list_label_rows_v2(branch_name="gt-copy.v1")}
    video = rows["clip.mp4"]
    video.initialise_labels()
    [track] = video.get_object_instances()
    assert [
        (a.frame, a.coordinates, a.confidence, a.manual_annotation) for a in track.get_annotations()
    ] == [
        (0, _box(0.1), 0.75, False),
        (1, _box(0.1), 0.75, False),
        (2, _box(0.1), 0.75, False),
        (5, _box(0.2), 0.5, True),
        (7, _box(0.2), 0.5, True),
    ]
    assert track.object_hash in source["clip.mp4"]["object_answers"]
    diameter = again.ontology_structure.get_child_by_title("Diameter mm", type_=NumericAttribute)
    assert track.get_answer(diameter) == 12.5
    [counted] = video.get_classification_instances()
    assert counted.get_answer() == 3
    assert [(a.frame, a.confidence) for a in counted.get_annotations()] == [
        (f, 0.6) for f in range(1, 5)
    ]
    assert rows["unlabelled.png"].label_hash is None
    # every stored column is the source's (header blobs with their entry templates included)
    assert _stored(again, "gt-copy.v1") == _stored(again, "main")


def test_bulk_imported_rows_copy_exactly(workspace: str, tmp_path: Path) -> None:
    """Rows a COCO import wrote (pixel geometry, no header, no per-entry meta) copy as stored."""
    client = _open(workspace)
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(BASE_DATASET))
    import_coco_dataset(client.store, path, project="P")
    project = client.get_project("P")
    source = _dicts(project, "main")
    assert project.copy_labels_to_branch("gt.copy", batch_size=1) == 2
    target = _dicts(_open(workspace).get_project("P"), "gt.copy")
    assert {k: _without_identity(v) for k, v in target.items()} == {
        k: _without_identity(v) for k, v in source.items()
    }
    assert _stored(project, "gt.copy") == _stored(project, "main")
    with project.store.read() as conn:
        branch = catalog.get_branch(conn, project.record.id, "gt.copy")
        assert [h for (h,) in conn.execute(sa.select(t.label_rows.c.header).where(
            t.label_rows.c.branch_id == branch.id))] == [None, None]  # fmt: skip
    assert project.export_coco_labels(branch_name="gt.copy") == project.export_coco_labels()


def _predict(project: bm.Project, branch: str, title: str, x: float) -> LabelRowV2:
    [row] = project.list_label_rows_v2(branch_name=branch, data_title_eq=title)
    row.initialise_labels()
    box = project.ontology_structure.get_child_by_title("Cherry", type_=Object).create_instance()
    box.set_for_frames(_box(x), frames=0, confidence=0.125, manual_annotation=False)
    row.add_object_instance(box)
    row.save()
    return row


def test_existing_target_rows_are_kept_unless_overwrite(workspace: str) -> None:
    project = _fruit(workspace)
    mine = _predict(project, "mine", "cherry_0.png", 0.625)
    kept = _dicts(project, "mine")["cherry_0.png"]
    assert project.copy_labels_to_branch("mine") == 5
    after = _dicts(project, "mine")
    assert after["cherry_0.png"] == kept
    source = _dicts(project, "main")
    for title in set(source) - {"cherry_0.png"}:
        assert _without_identity(after[title]) == _without_identity(source[title])
    assert project.copy_labels_to_branch("mine") == 0  # everything is there now

    # overwrite: the row is replaced in place (same label hash), its revision goes up
    with project.store.read() as conn:
        revision = catalog.get_branch(conn, project.record.id, "mine").revision
    assert project.copy_labels_to_branch("mine", overwrite=True, data_hashes=[mine.data_hash]) == 1
    replaced = _dicts(project, "mine")["cherry_0.png"]
    assert replaced["label_hash"] == kept["label_hash"]
    assert _without_identity(replaced) == _without_identity(source["cherry_0.png"])
    with project.store.read() as conn:
        assert catalog.get_branch(conn, project.record.id, "mine").revision == revision + 1
    mine.remove_object(mine.get_object_instances()[0])
    with pytest.raises(RevisionConflict):
        mine.save()  # loaded before the overwrite
    assert _dicts(project, "mine")["cherry_0.png"] == replaced
    assert project.copy_labels_to_branch("mine", overwrite=True) == 6


def test_filters_pick_source_rows(workspace: str) -> None:
    project = _fruit(workspace)
    main = {r.data_title: r for r in project.list_label_rows_v2()}
    clip, cherry, group = main["clip.mp4"], main["cherry_1.png"], main["fruit_group"]
    assert project.copy_labels_to_branch("by-data", data_hashes=[clip.data_hash]) == 1
    assert sorted(_dicts(project, "by-data")) == ["clip.mp4"]
    hashes = [cherry.label_hash or "", group.label_hash or ""]
    assert project.copy_labels_to_branch("by-label", label_hashes=hashes) == 2
    assert sorted(_dicts(project, "by-label")) == ["cherry_1.png", "fruit_group"]
    both = project.copy_labels_to_branch(
        "both", data_hashes=[clip.data_hash, cherry.data_hash], label_hashes=hashes
    )
    assert both == 1 and sorted(_dicts(project, "both")) == ["cherry_1.png"]
    # label hashes are the source branch's: a row of another branch picks nothing
    other = _dicts(project, "by-data")["clip.mp4"]["label_hash"]
    assert project.copy_labels_to_branch("none", label_hashes=[other]) == 0
    assert _dicts(project, "none") == {}
    # copying from a prediction branch
    assert project.copy_labels_to_branch("back", source_branch="by-label") == 2
    assert {k: _without_identity(v) for k, v in _dicts(project, "back").items()} == {
        k: _without_identity(v) for k, v in _dicts(project, "by-label").items()
    }


def test_batches_are_separate_transactions(workspace: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from branchmark.store.label_row_copy import copy_label_rows as real

    project = _fruit(workspace)
    batches: list[int] = []

    def second_fails(conn: Any, ids: Any, target: Any, *, overwrite: bool) -> int:
        batches.append(len(ids))
        if len(batches) == 2:
            raise bm.StoreError("disk full")
        return real(conn, ids, target, overwrite=overwrite)

    monkeypatch.setattr("branchmark.project.copy_label_rows", second_fails)
    with pytest.raises(bm.StoreError, match="disk full"):
        project.copy_labels_to_branch("half", batch_size=4)
    assert batches == [4, 2]
    assert len(_dicts(project, "half")) == 4  # the first batch stays
    monkeypatch.undo()
    assert project.copy_labels_to_branch("half", batch_size=4) == 2


def test_bad_arguments_write_nothing(workspace: str) -> None:
    project = _fruit(workspace)
    with project.store.read() as conn:
        before = catalog.list_branches(conn, project.record.id)
    with pytest.raises(ValueError, match="both 'main'"):
        project.copy_labels_to_branch("main")
    with pytest.raises(ValueError, match="both 'p.1'"):
        project.copy_labels_to_branch("p.1", source_branch="p.1")
    for name in ("bad name", "ü", "", "a/b"):
        with pytest.raises(InvalidBranchName):
            project.copy_labels_to_branch(name)
    with pytest.raises(InvalidBranchName):
        project.copy_labels_to_branch("ok", source_branch="no good")
    with pytest.raises(BranchNotFound):
        project.copy_labels_to_branch("ok", source_branch="missing")
    for size in (0, -1, 2.5):
        with pytest.raises(ValueError, match="batch_size"):
            project.copy_labels_to_branch("ok", batch_size=size)  # type: ignore[arg-type]
    with project.store.read() as conn:
        assert catalog.list_branches(conn, project.record.id) == before
        assert conn.execute(sa.select(sa.func.count()).select_from(t.label_rows)).scalar() == 6
    # nothing to copy still makes the branch, as a save would
    assert project.copy_labels_to_branch("ok", data_hashes=[]) == 0
    assert project.list_branches() == ["main", "ok"]


def _cli_export(workspace: str, tmp_path: Path, project: str, branch: str) -> Any:
    out = tmp_path / f"{branch}.json"
    result = CliRunner().invoke(
        app, ["export", "coco", "--project", project, "-b", branch, "-o", str(out), "-w", workspace]
    )
    assert result.exit_code == 0, result.output
    return orjson.loads(out.read_bytes())


def test_export_coco_labels_is_the_cli_export(workspace: str, tmp_path: Path) -> None:
    client = _open(workspace)
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(BASE_DATASET))
    import_coco_dataset(client.store, path, project="P")
    fruit = _fruit(workspace)
    fruit.copy_labels_to_branch("pred", data_hashes=[fruit.list_data_units()[0].data_hash])
    for project, branch in (("P", "main"), ("Fruit", "main"), ("Fruit", "pred")):
        sdk = client.get_project(project)
        exported = sdk.export_coco_labels(branch_name=None if branch == "main" else branch)
        assert orjson.loads(orjson.dumps(exported)) == _cli_export(
            workspace, tmp_path, project, branch
        )
    # the COCO import comes back as imported (the CLI's own guarantee): an independent check
    exported = client.get_project("P").export_coco_labels()
    assert [{k: v for k, v in a.items() if k != "id"} for a in exported["annotations"]] == [
        {k: v for k, v in a.items() if k != "id"} for a in BASE_DATASET["annotations"]
    ]
    with pytest.raises(BranchNotFound):
        client.get_project("P").export_coco_labels(branch_name="nope")


def test_export_coco_labels_filters(workspace: str, tmp_path: Path) -> None:
    client = _open(workspace)
    path = tmp_path / "gt.json"
    path.write_text(json.dumps(BASE_DATASET))
    import_coco_dataset(client.store, path, project="P")
    project = client.get_project("P")
    full = project.export_coco_labels()
    rows = {r.data_title: r for r in project.list_label_rows_v2()}
    ontology = project.ontology_structure
    box, mask = (
        ontology.get_child_by_title(n, type_=Object).feature_node_hash for n in ("box", "mask")
    )

    def ids(d: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        return [i["id"] for i in d["images"]], [a["id"] for a in d["annotations"]]

    # BASE_DATASET: a.jpg (image 1) holds annotations 10 (box) and 11 (poly), b.jpg (image 2)
    # 12 (mask) and 13 (person); the export numbers them 1..4 in that order.
    assert ids(full) == ([1, 2], [1, 2, 3, 4])
    only_a = project.export_coco_labels(label_hashes=[rows["a.jpg"].label_hash or ""])
    assert ids(only_a) == ([1], [1, 2])
    assert only_a["categories"] == full["categories"]
    assert only_a["annotations"] == full["annotations"][:2]
    assert ids(project.export_coco_labels(include_object_feature_hashes={box, mask})) == (
        [1, 2],
        [1, 3],
    )
    assert ids(
        project.export_coco_labels(
            label_hashes=[rows["b.jpg"].label_hash or ""], include_object_feature_hashes=[box]
        )
    ) == ([2], [])
    assert ids(project.export_coco_labels(label_hashes=[])) == ([], [])
    assert ids(project.export_coco_labels(include_object_feature_hashes=[])) == ([1, 2], [])
    # no classifications in a COCO file: that filter changes nothing
    assert project.export_coco_labels(include_classification_feature_hashes=set()) == full
    # label hashes of another branch pick nothing on this one
    project.copy_labels_to_branch("copy")
    [copied] = [
        r.label_hash
        for r in project.list_label_rows_v2(branch_name="copy")
        if r.data_title == "a.jpg"
    ]
    assert ids(project.export_coco_labels(label_hashes=[copied or ""])) == ([], [])
    assert ids(project.export_coco_labels(label_hashes=[copied or ""], branch_name="copy")) == (
        [1],
        [1, 2],
    )
