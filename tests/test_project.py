"""UserClient and Project over a real workspace: listing, bundles, saves, media, branches."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image

import branchmark as bm
from branchmark.errors import (
    InvalidBranchName,
    LabelRowError,
    ProjectNotFound,
    ResourceNotFoundError,
    RevisionConflict,
)
from branchmark.objects import LabelRowV2, Object
from branchmark.objects.coordinates import BoundingBoxCoordinates
from tests.conftest import ENCORD_FIXTURES
from tests.store.builders import add_unit_for


@pytest.fixture
def ontology() -> dict[str, Any]:
    return json.loads((ENCORD_FIXTURES / "ontology.json").read_text())


@pytest.fixture
def project(tmp_path: Path, ontology: dict[str, Any]) -> bm.Project:
    client = bm.UserClient.open(tmp_path / "ws")
    created = client.create_project("Fruit", ontology)
    for i in range(3):
        created.add_data_unit(f"cherry_{i:03d}.png", "image", 64, 48)
    created.add_data_unit("apple.png", "image", 100, 50)
    return created


def _cherry(project: bm.Project) -> Object:
    return project.ontology_structure.get_child_by_title("Cherry", type_=Object)


def _box(x: float) -> BoundingBoxCoordinates:
    return BoundingBoxCoordinates(height=0.25, width=0.125, top_left_x=x, top_left_y=0.5)


def _predict(project: bm.Project, branch: str, confidences: dict[str, float]) -> None:
    rows = project.list_label_rows_v2(branch_name=branch)
    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    with project.create_bundle() as bundle:
        for row in rows:
            if row.data_title in confidences:
                inst = _cherry(project).create_instance()
                inst.set_for_frames(
                    _box(0.25),
                    frames=0,
                    confidence=confidences[row.data_title],
                    manual_annotation=False,
                )
                row.add_object_instance(inst)
            row.save(bundle=bundle)


def test_branch_rows_exist_only_after_initialise(project: bm.Project) -> None:
    rows = project.list_label_rows_v2(branch_name="yolo-v8.run_01")
    assert [(r.data_title, r.branch_name, r.label_hash) for r in rows] == [
        ("cherry_000.png", "yolo-v8.run_01", None),
        ("cherry_001.png", "yolo-v8.run_01", None),
        ("cherry_002.png", "yolo-v8.run_01", None),
        ("apple.png", "yolo-v8.run_01", None),
    ]
    assert project.list_branches() == ["main"]
    with project.create_bundle() as bundle:
        for row in rows[:2]:
            row.initialise_labels(bundle=bundle)
        assert rows[0].label_hash is None  # nothing happens before the block exits
    assert all(r.is_labelling_initialised and r.label_hash for r in rows[:2])
    assert project.list_branches() == ["main", "yolo-v8.run_01"]
    listed = project.list_label_rows_v2(branch_name="yolo-v8.run_01")
    assert [r.label_hash for r in listed] == [rows[0].label_hash, rows[1].label_hash, None, None]


def test_saved_predictions_read_back_in_a_new_client(project: bm.Project, tmp_path: Path) -> None:
    _predict(project, "det.v1", {"cherry_000.png": 0.9, "apple.png": 0.3})
    client = bm.UserClient.open(tmp_path / "ws")
    again = client.get_project("Fruit")
    rows = again.list_label_rows_v2(branch_name="det.v1")
    with again.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    found = {
        r.data_title: [
            (a.coordinates, a.confidence, a.manual_annotation)
            for o in r.get_object_instances()
            for a in o.get_annotations()
        ]
        for r in rows
    }
    assert found == {
        "cherry_000.png": [(_box(0.25), 0.9, False)],
        "cherry_001.png": [],
        "cherry_002.png": [],
        "apple.png": [(_box(0.25), 0.3, False)],
    }
    # main is untouched by saves on a prediction branch
    main = again.list_label_rows_v2()
    assert all(r.label_hash is None for r in main)


def test_filters_and_all_branches(project: bm.Project) -> None:
    _predict(project, "det.v1", {"cherry_001.png": 0.5})
    assert [r.data_title for r in project.list_label_rows_v2(data_title_like="cherry_00%")] == [
        "cherry_000.png",
        "cherry_001.png",
        "cherry_002.png",
    ]
    assert [r.data_title for r in project.list_label_rows_v2(data_title_eq="apple.png")] == [
        "apple.png"
    ]
    everything = project.list_label_rows_v2(include_all_label_branches=True)
    assert sorted(
        (r.data_title, r.branch_name, r.label_hash is None) for r in everything
    ) == sorted(
        [
            (t, "main", True)
            for t in ("cherry_000.png", "cherry_001.png", "cherry_002.png", "apple.png")
        ]
        + [
            (t, "det.v1", False)
            for t in ("cherry_000.png", "cherry_001.png", "cherry_002.png", "apple.png")
        ]
    )
    one = [r for r in everything if r.branch_name == "det.v1"][1]
    by_hash = project.list_label_rows_v2(label_hashes=[one.label_hash], branch_name="det.v1")
    assert [(r.data_title, r.label_hash) for r in by_hash] == [(one.data_title, one.label_hash)]
    data_hash = everything[0].data_hash
    assert [r.data_hash for r in project.list_label_rows_v2(data_hashes=[data_hash])] == [data_hash]
    with pytest.raises(InvalidBranchName, match="'no spaces'"):
        project.list_label_rows_v2(branch_name="no spaces")


def test_two_writers_of_one_row_conflict(project: bm.Project, tmp_path: Path) -> None:
    _predict(project, "det.v1", {})
    other = bm.UserClient.open(tmp_path / "ws").get_project("Fruit")
    mine = project.list_label_rows_v2(branch_name="det.v1", data_title_eq="apple.png")[0]
    theirs = other.list_label_rows_v2(branch_name="det.v1", data_title_eq="apple.png")[0]
    mine.initialise_labels()
    theirs.initialise_labels()
    for row, x in ((mine, 0.1), (theirs, 0.6)):
        inst = _cherry(project).create_instance()
        inst.set_for_frames(_box(x), frames=0)
        row.add_object_instance(inst)
    theirs.save()
    with pytest.raises(RevisionConflict, match="apple.png.*det.v1.*reload it and save again"):
        mine.save()
    check = other.list_label_rows_v2(branch_name="det.v1", data_title_eq="apple.png")[0]
    check.initialise_labels()
    assert [o.get_annotation(0).coordinates for o in check.get_object_instances()] == [_box(0.6)]
    mine.initialise_labels(overwrite=True)  # reload, then saving works again
    mine.save()


def test_bundle_dropped_on_exception_saves_nothing(project: bm.Project) -> None:
    rows = project.list_label_rows_v2(branch_name="det.v1")
    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    revisions = [r.label_row_metadata.revision for r in rows]
    with pytest.raises(RuntimeError, match="boom"):
        with project.create_bundle() as bundle:
            for row in rows:
                inst = _cherry(project).create_instance()
                inst.set_for_frames(_box(0.2), frames=0)
                row.add_object_instance(inst)
                row.save(bundle=bundle)
            raise RuntimeError("boom")
    fresh = project.list_label_rows_v2(branch_name="det.v1")
    assert [r.label_row_metadata.revision for r in fresh] == revisions
    for row in fresh:
        row.initialise_labels()
        assert row.get_object_instances() == []


def test_units_added_elsewhere_after_a_listing_are_found_and_unknown_ones_refused(
    project: bm.Project, tmp_path: Path
) -> None:
    project.list_label_rows_v2(branch_name="det.v1")  # this Project has now read its units
    other = bm.UserClient.open(tmp_path / "ws").get_project("Fruit")
    other.add_data_unit("late.png", "image", 64, 48)
    [late] = project.list_label_rows_v2(branch_name="det.v1", data_title_eq="late.png")
    late.initialise_labels()
    inst = _cherry(project).create_instance()
    inst.set_for_frames(_box(0.3), frames=0)
    late.add_object_instance(inst)
    late.save()
    [check] = other.list_label_rows_v2(branch_name="det.v1", data_title_eq="late.png")
    check.initialise_labels()
    assert [o.get_annotation(0).coordinates for o in check.get_object_instances()] == [_box(0.3)]
    ghost = LabelRowV2(
        late.label_row_metadata.replace(data_hash="no-such-unit", label_hash=None, revision=0),
        project,
        project.ontology_structure,
    )
    with pytest.raises(bm.DataUnitNotFound, match="no-such-unit.*Fruit"):
        ghost.initialise_labels()


def test_label_operations_need_initialisation(project: bm.Project) -> None:
    row = project.list_label_rows_v2(branch_name="det.v1")[0]
    with pytest.raises(LabelRowError, match="initiali"):
        row.save()


def test_get_project_by_hash_or_title(project: bm.Project, tmp_path: Path) -> None:
    client = bm.UserClient.open(tmp_path / "ws")
    assert client.get_project(project.project_hash).title == "Fruit"
    assert client.get_project("Fruit").project_hash == project.project_hash
    assert [p.title for p in client.list_projects()] == ["Fruit"]
    with pytest.raises(ProjectNotFound, match="'Vegetables'"):
        client.get_project("Vegetables")


def test_create_project_accepts_structure_and_checks_ontology(
    tmp_path: Path, ontology: dict[str, Any]
) -> None:
    client = bm.UserClient.open(tmp_path / "ws")
    from branchmark.objects import OntologyStructure

    structure = OntologyStructure.from_dict(ontology)
    project = client.create_project("From structure", structure)
    assert project.ontology_structure.to_dict() == structure.to_dict()
    with pytest.raises(TypeError):
        client.create_project(
            "Bad",
            {
                "objects": [
                    {
                        "id": "1",
                        "name": "x",
                        "shape": "hexagon",
                        "featureNodeHash": "abcd1234",
                        "color": "#000000",
                    }
                ]
            },
        )
    assert [p.title for p in client.list_projects()] == ["From structure"]


def test_create_with_ssh_private_key_needs_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_text = "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----\n"
    key_file = tmp_path / "id_ed25519"
    key_file.write_text(key_text)
    ws = tmp_path / "ws"
    bm.UserClient.create_with_ssh_private_key(ssh_private_key_path=key_file, workspace=ws)
    # the seed's first example passes the key *text* as the path: accepted
    monkeypatch.setenv("BRANCHMARK_WORKSPACE", str(ws))
    client = bm.UserClient.create_with_ssh_private_key(ssh_private_key_path=key_text)
    assert client.store.location == str(ws)
    bm.UserClient.create_with_ssh_private_key(key_text)
    with pytest.raises(ResourceNotFoundError, match="does not exist"):
        bm.UserClient.create_with_ssh_private_key(ssh_private_key_path=tmp_path / "missing")
    monkeypatch.delenv("BRANCHMARK_WORKSPACE")
    with pytest.raises(ResourceNotFoundError, match="BRANCHMARK_WORKSPACE"):
        bm.UserClient.create_with_ssh_private_key(key_text)


def test_media_is_probed_and_copied(tmp_path: Path, ontology: dict[str, Any]) -> None:
    client = bm.UserClient.open(tmp_path / "ws")
    project = client.create_project("Media", ontology)
    image = tmp_path / "a.png"
    Image.new("RGB", (33, 17)).save(image)
    group = []
    for i, size in enumerate([(40, 30), (30, 40)]):
        group.append(tmp_path / f"g{i}.png")
        Image.new("RGB", size).save(group[-1])
    video = tmp_path / "v.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (16, 12))
    for _ in range(4):
        writer.write(np.zeros((12, 16, 3), np.uint8))
    writer.release()
    project.add_image(image)
    project.add_image_group(group, title="pair")
    project.add_video(video, title="clip")
    rows = {r.data_title: r for r in project.list_label_rows_v2()}
    assert (rows["a.png"].width, rows["a.png"].height, rows["a.png"].number_of_frames) == (
        33,
        17,
        1,
    )
    assert rows["a.png"].data_type.value == "image"
    assert [(f.width, f.height) for f in rows["pair"].label_row_metadata.frames] == [
        (40, 30),
        (30, 40),
    ]
    assert rows["pair"].number_of_frames == 2
    assert (rows["clip"].number_of_frames, rows["clip"].fps, rows["clip"].width) == (4, 5.0, 16)
    units = {u.title: u for u in project.list_data_units()}
    assert (
        tmp_path / "ws" / "media" / units["a.png"].media_path
    ).read_bytes() == image.read_bytes()
    with pytest.raises(bm.ValidationError, match="not a readable image"):
        bad = tmp_path / "bad.png"
        bad.write_text("nope")
        project.add_image(bad)
    assert len(project.list_data_units()) == 3


def test_branch_metadata(project: bm.Project) -> None:
    project.set_branch_metadata("det.v1", {"model": "yolo-v8", "version": "1.2", "notes": "fp16"})
    assert project.get_branch_metadata("det.v1") == {
        "model": "yolo-v8",
        "version": "1.2",
        "notes": "fp16",
    }
    kinds = {b.name: b.kind.value for b in project.branches()}
    assert kinds == {"main": "main", "det.v1": "prediction"}
    with pytest.raises(bm.BranchNotFound):
        project.get_branch_metadata("nothing")


def test_processes_write_one_workspace_concurrently(project: bm.Project, tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        import branchmark as bm
        from branchmark.objects import Object
        from branchmark.objects.coordinates import BoundingBoxCoordinates
        project = bm.UserClient.open(sys.argv[1]).get_project("Fruit")
        cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)
        for rep in range(5):
            rows = project.list_label_rows_v2(branch_name=sys.argv[2])
            with project.create_bundle() as bundle:
                for row in rows:
                    row.initialise_labels(bundle=bundle, overwrite=True)
            with project.create_bundle() as bundle:
                for row in rows:
                    inst = cherry.create_instance()
                    box = BoundingBoxCoordinates(
                        height=0.1, width=0.1, top_left_x=0.01 * rep, top_left_y=0.0
                    )
                    inst.set_for_frames(box, frames=0)
                    row.add_object_instance(inst)
                    row.save(bundle=bundle)
        """
    )
    path = tmp_path / "writer.py"
    path.write_text(script)
    procs = [
        subprocess.Popen(
            [sys.executable, str(path), str(tmp_path / "ws"), f"p{i}"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    for i in range(3):
        rows = project.list_label_rows_v2(branch_name=f"p{i}")
        for row in rows:
            row.initialise_labels()
            assert len(row.get_object_instances()) == 5


def test_public_names() -> None:
    assert bm.__all__ == sorted(bm.__all__)
    for name in (
        "UserClient",
        "Project",
        "RevisionConflict",
        "InvalidBranchName",
        "BranchmarkError",
    ):
        assert name in bm.__all__ and getattr(bm, name) is not None


@pytest.mark.parametrize("name", ["image_group.json", "image_all_shapes.json"])
def test_real_sdk_dicts_survive_sdk_save_and_reload(
    tmp_path: Path, ontology: dict[str, Any], name: str
) -> None:
    import copy

    d = json.loads((ENCORD_FIXTURES / name).read_text())
    client = bm.UserClient.open(tmp_path / "ws")
    project = client.create_project("P", ontology)
    with project.store.write() as conn:
        add_unit_for(conn, project.record.id, d)
    [row] = project.list_label_rows_v2(branch_name=d["branch_name"])
    row.initialise_labels()
    row.from_labels_dict({**copy.deepcopy(d), "label_hash": row.label_hash})
    row.save()
    [again] = (
        bm.UserClient.open(tmp_path / "ws")
        .get_project("P")
        .list_label_rows_v2(branch_name=d["branch_name"])
    )
    again.initialise_labels()

    def without_identity(x: dict[str, Any]) -> dict[str, Any]:
        return {
            k: v for k, v in x.items() if k not in ("label_hash", "created_at", "last_edited_at")
        }

    # The real SDK's output, unchanged after an SDK save and a reload in a new client.
    assert without_identity(again.to_encord_dict()) == without_identity(d)


def test_failed_add_leaves_no_media_file(
    tmp_path: Path, ontology: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from branchmark.store import catalog

    project = bm.UserClient.open(tmp_path / "ws").create_project("P", ontology)
    image = tmp_path / "a.png"
    Image.new("RGB", (4, 3)).save(image)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise bm.StoreError("disk full")

    monkeypatch.setattr(catalog, "add_data_unit", broken)
    with pytest.raises(bm.StoreError, match="disk full"):
        project.add_image(image)
    with pytest.raises(bm.StoreError, match="disk full"):
        project.add_image_group([image, image])
    media = tmp_path / "ws" / "media"
    assert [p for p in media.rglob("*") if p.is_file()] == []
    monkeypatch.undo()
    assert project.list_data_units() == []


def test_database_url_workspace_takes_media_root_from_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    monkeypatch.setenv("BRANCHMARK_MEDIA_ROOT", str(tmp_path / "m"))
    assert bm.UserClient.open(url).store.media_root == tmp_path / "m"
    monkeypatch.delenv("BRANCHMARK_MEDIA_ROOT")
    client = bm.UserClient.open(url)
    assert client.store.media_root is None
    project = client.create_project(
        "P", json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
    )
    image = tmp_path / "a.png"
    Image.new("RGB", (4, 3)).save(image)
    with pytest.raises(bm.StoreError, match="BRANCHMARK_MEDIA_ROOT"):
        project.add_image(image)
