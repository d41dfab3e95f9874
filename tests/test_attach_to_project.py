"""``LabelRowV2.attach_to_project``: a detached row (``from_media_metadata``) takes a stored row's
identity, saves like a listed-and-initialised row, and is refused (nothing written) when the data
unit is missing, its branch row exists already, its media disagree or its ontology lacks a class.

The labels are the real SDK's (``image_all_shapes.json``, ``image_group.json``), moved onto the
detached rows, so a reopened row must give back the SDK's instances.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import branchmark as bm
from branchmark.errors import LabelRowError, OntologyError, RevisionConflict
from branchmark.objects import (
    CustomerProvidedImageMetadata,
    CustomerProvidedVideoMetadata,
    LabelRowV2,
    Object,
    OntologyStructure,
    Shape,
)
from branchmark.objects.coordinates import BoundingBoxCoordinates
from tests.conftest import ENCORD_FIXTURES
from tests.objects.conftest import move_labels

ZERO = "00000000-0000-0000-0000-000000000000"
BRANCH = "yolo-v8.run_01"


def _fixture(name: str) -> dict[str, Any]:
    return json.loads((ENCORD_FIXTURES / name).read_text())


@pytest.fixture
def project(tmp_path: Path) -> bm.Project:
    created = bm.UserClient.open(tmp_path / "ws").create_project("Fruit", _fixture("ontology.json"))
    created.add_data_unit("cherry_001.png", "image", 64, 48, file_type="image/png")
    created.add_data_unit("apple.png", "image", 100, 50)
    created.add_data_unit("clip.mp4", "video", 320, 240, frames=100, fps=25.0)
    paths = []
    for i, unit in enumerate(_fixture("image_group.json")["data_units"].values()):
        paths.append(tmp_path / f"g_{i:03d}.jpg")  # image/jpeg, as in the fixture
        Image.new("RGB", (unit["width"], unit["height"])).save(paths[-1])
    created.add_image_group(paths, title="fruit_group")
    return created


def _unit_hash(project: bm.Project, title: str) -> str:
    return next(u.data_hash for u in project.list_data_units() if u.title == title)


def _reopen(tmp_path: Path, title: str) -> LabelRowV2:
    again = bm.UserClient.open(tmp_path / "ws").get_project("Fruit")
    [row] = again.list_label_rows_v2(branch_name=BRANCH, data_title_eq=title)
    row.initialise_labels()
    return row


def _labels(d: dict[str, Any]) -> dict[str, Any]:
    """What a row's dict says about its labels: answers, actions and per-unit object entries
    in unit order (the unit keys are identity, compared apart)."""
    return {
        "object_answers": d["object_answers"],
        "classification_answers": d["classification_answers"],
        "object_actions": d["object_actions"],
        "units": [
            {k: v for k, v in u.items() if k not in ("data_hash", "data_title", "data_link")}
            for u in d["data_units"].values()
        ],
    }


def _image_row(project: bm.Project, *, width: int = 64, height: int = 48) -> LabelRowV2:
    media = CustomerProvidedImageMetadata("image/png", 4096, height=height, width=width)
    return LabelRowV2.from_media_metadata(project.ontology_structure, media, branch_name=BRANCH)


def _nothing_written(project: bm.Project, row: LabelRowV2) -> None:
    assert row.is_detached and row.label_hash == ZERO and row.data_hash == ZERO
    assert project.list_branches() == ["main"]
    assert all(r.label_hash is None for r in project.list_label_rows_v2(branch_name=BRANCH))


def test_attached_image_saves_and_reopens_with_the_same_instances(
    project: bm.Project, tmp_path: Path
) -> None:
    reference = _fixture("image_all_shapes.json")
    row = _image_row(project)
    move_labels(reference, row)
    data_hash = _unit_hash(project, "cherry_001.png")

    row.attach_to_project(project, data_hash)

    assert not row.is_detached and row.is_labelling_initialised
    assert (row.data_hash, row.data_title, row.branch_name) == (data_hash, "cherry_001.png", BRANCH)
    [listed] = project.list_label_rows_v2(branch_name=BRANCH, data_title_eq="cherry_001.png")
    assert row.label_hash == listed.label_hash and row.label_hash not in (None, ZERO)
    out = row.to_encord_dict()
    assert (out["label_hash"], out["data_hash"], list(out["data_units"])) == (
        row.label_hash,
        data_hash,
        [data_hash],
    )

    row.save()

    again = _reopen(tmp_path, "cherry_001.png")
    assert again.label_hash == row.label_hash
    assert _labels(again.to_encord_dict()) == _labels(reference)
    assert again.to_encord_dict() == row.to_encord_dict()
    assert [o.object_hash for o in again.get_object_instances()] == [
        o.object_hash for o in row.get_object_instances()
    ]
    # main and the other units are untouched
    assert all(r.label_hash is None for r in project.list_label_rows_v2())
    assert [
        r.data_title for r in project.list_label_rows_v2(branch_name=BRANCH) if r.label_hash
    ] == ["cherry_001.png"]


def test_attached_image_group_takes_the_stored_image_hashes(
    project: bm.Project, tmp_path: Path
) -> None:
    reference = _fixture("image_group.json")
    images = [
        CustomerProvidedImageMetadata(u["data_type"], 100, height=u["height"], width=u["width"])
        for u in reference["data_units"].values()
    ]
    row = LabelRowV2.from_media_metadata(project.ontology_structure, images, branch_name=BRANCH)
    move_labels(reference, row)
    [listed] = project.list_label_rows_v2(branch_name=BRANCH, data_title_eq="fruit_group")
    stored_images = [f.image_hash for f in listed.label_row_metadata.frames]

    row.attach_to_project(project, listed.data_hash)
    with project.create_bundle() as bundle:
        row.save(bundle=bundle)

    assert list(row.to_encord_dict()["data_units"]) == stored_images
    again = _reopen(tmp_path, "fruit_group")
    assert list(again.to_encord_dict()["data_units"]) == stored_images
    assert _labels(again.to_encord_dict()) == _labels(reference)


def test_attached_video_saves_its_track(project: bm.Project, tmp_path: Path) -> None:
    media = CustomerProvidedVideoMetadata(25.0, 4.0, 320, 240, 0, "video/mp4")
    row = LabelRowV2.from_media_metadata(project.ontology_structure, media, branch_name=BRANCH)
    cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)
    track = cherry.create_instance()
    track.set_for_frames(BoundingBoxCoordinates(0.2, 0.1, 0.3, 0.4), frames=[0, 99], confidence=0.7)
    row.add_object_instance(track)

    row.attach_to_project(project, _unit_hash(project, "clip.mp4"))
    row.save()

    again = _reopen(tmp_path, "clip.mp4")
    [found] = again.get_object_instances()
    assert found.object_hash == track.object_hash
    assert [(a.frame, a.coordinates, a.confidence) for a in found.get_annotations()] == [
        (0, BoundingBoxCoordinates(0.2, 0.1, 0.3, 0.4), 0.7),
        (99, BoundingBoxCoordinates(0.2, 0.1, 0.3, 0.4), 0.7),
    ]


def _group(sizes: list[tuple[int, int]]) -> list[CustomerProvidedImageMetadata]:
    return [CustomerProvidedImageMetadata("image/png", 1, height=h, width=w) for w, h in sizes]


@pytest.mark.parametrize(
    ("title", "media", "message"),
    [
        pytest.param(
            "cherry_001.png",
            CustomerProvidedImageMetadata("image/png", 1, height=48, width=65),
            "width is 65 in the row's media metadata but 64 in the data unit",
            id="image-width",
        ),
        pytest.param(
            "apple.png",
            CustomerProvidedImageMetadata("image/png", 1, height=48, width=64),
            "width is 64 .* but 100",
            id="other-image",
        ),
        pytest.param(
            "cherry_001.png",
            CustomerProvidedImageMetadata("image/png", 1, height=64, width=64),
            "height is 64 .* but 48",
            id="image-height",
        ),
        pytest.param(
            "clip.mp4",
            CustomerProvidedVideoMetadata(25.0, 3.96, 320, 240, 0, "video/mp4"),
            "number_of_frames is 99 .* but 100",
            id="video-frames",
        ),
        pytest.param(
            "cherry_001.png",
            CustomerProvidedVideoMetadata(1.0, 1.0, 64, 48, 0, "video/mp4"),
            "data_type is 'video' .* but 'image'",
            id="data-type",
        ),
        pytest.param(
            "fruit_group",
            _group([(40, 30), (30, 40)]),
            "number of images is 2 .* but 3",
            id="group-count",
        ),
        pytest.param(
            "fruit_group",
            _group([(40, 30), (40, 30), (20, 20)]),
            "image 1 width is 40 .* but 30",
            id="group-image-size",
        ),
    ],
)
def test_media_that_disagree_are_refused_and_nothing_is_written(
    project: bm.Project, title: str, media: Any, message: str
) -> None:
    row = LabelRowV2.from_media_metadata(project.ontology_structure, media, branch_name=BRANCH)
    with pytest.raises(LabelRowError, match=f"{title!r}.*{BRANCH}.*Fruit.*: {message}"):
        row.attach_to_project(project, _unit_hash(project, title))
    _nothing_written(project, row)


def test_unknown_data_unit_is_refused(project: bm.Project) -> None:
    row = _image_row(project)
    with pytest.raises(bm.DataUnitNotFound, match="'no-such-unit'.*'Fruit'"):
        row.attach_to_project(project, "no-such-unit")
    _nothing_written(project, row)


def test_existing_branch_row_is_not_overwritten(project: bm.Project, tmp_path: Path) -> None:
    [theirs] = project.list_label_rows_v2(branch_name=BRANCH, data_title_eq="cherry_001.png")
    theirs.initialise_labels()
    cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)
    kept = cherry.create_instance()
    kept.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=0)
    theirs.add_object_instance(kept)
    theirs.save()
    revision = theirs.label_row_metadata.revision

    row = _image_row(project)
    mine = cherry.create_instance()
    mine.set_for_frames(BoundingBoxCoordinates(0.5, 0.5, 0.2, 0.2), frames=0)
    row.add_object_instance(mine)
    with pytest.raises(
        RevisionConflict, match=f"already has a label row with labels.*{theirs.label_hash}"
    ):
        row.attach_to_project(project, theirs.data_hash)

    assert row.is_detached and row.label_hash == ZERO
    again = _reopen(tmp_path, "cherry_001.png")
    assert again.label_row_metadata.revision == revision
    assert [o.object_hash for o in again.get_object_instances()] == [kept.object_hash]


def test_attached_row_follows_the_revision_rules(project: bm.Project, tmp_path: Path) -> None:
    row = _image_row(project)
    row.attach_to_project(project, _unit_hash(project, "cherry_001.png"))
    other = _reopen(tmp_path, "cherry_001.png")  # lists and loads the row attach created
    assert other.label_hash == row.label_hash
    other.save()
    with pytest.raises(RevisionConflict, match="reload it and save again"):
        row.save()
    row.initialise_labels(overwrite=True)  # an attached row reloads like any listed row
    row.save()


def test_only_a_detached_row_can_be_attached(project: bm.Project) -> None:
    data_hash = _unit_hash(project, "cherry_001.png")
    row = _image_row(project)
    row.attach_to_project(project, data_hash)
    with pytest.raises(LabelRowError, match="already belongs to a project"):
        row.attach_to_project(project, data_hash)
    [listed] = project.list_label_rows_v2(data_title_eq="apple.png")
    with pytest.raises(LabelRowError, match="already belongs to a project"):
        listed.attach_to_project(project, listed.data_hash)


def test_class_missing_from_the_project_ontology_is_refused(project: bm.Project) -> None:
    own = OntologyStructure.from_dict(_fixture("ontology.json"))
    kiwi = own.add_object("Kiwi", Shape.BOUNDING_BOX, feature_node_hash="k1w1k1w1")
    media = CustomerProvidedImageMetadata("image/png", 1, height=48, width=64)
    row = LabelRowV2.from_media_metadata(own, media, branch_name=BRANCH)
    instance = kiwi.create_instance()
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=0)
    row.add_object_instance(instance)
    with pytest.raises(OntologyError, match="k1w1k1w1.*not in the project's ontology"):
        row.attach_to_project(project, _unit_hash(project, "cherry_001.png"))
    _nothing_written(project, row)


def test_detached_row_filled_from_an_sdk_dict_attaches_under_the_stored_identity(
    project: bm.Project, tmp_path: Path
) -> None:
    reference = _fixture("image_all_shapes.json")
    row = _image_row(project)
    row.from_labels_dict(copy.deepcopy(reference))  # takes the dict's identity, stays detached
    assert row.is_detached and row.data_hash == reference["data_hash"]
    data_hash = _unit_hash(project, "cherry_001.png")

    row.attach_to_project(project, data_hash)
    row.save()

    out = row.to_encord_dict()
    assert (out["data_hash"], list(out["data_units"])) == (data_hash, [data_hash])
    again = _reopen(tmp_path, "cherry_001.png")
    assert list(again.to_encord_dict()["data_units"]) == [data_hash]
    assert _labels(again.to_encord_dict()) == _labels(reference)


def test_branch_row_never_saved_is_taken_over(project: bm.Project, tmp_path: Path) -> None:
    # e.g. left by an earlier attach whose save never ran: it holds no labels to overwrite
    [empty] = project.list_label_rows_v2(branch_name=BRANCH, data_title_eq="cherry_001.png")
    empty.initialise_labels()
    row = _image_row(project)
    cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)
    mine = cherry.create_instance()
    mine.set_for_frames(BoundingBoxCoordinates(0.5, 0.5, 0.2, 0.2), frames=0)
    row.add_object_instance(mine)

    row.attach_to_project(project, empty.data_hash)
    assert row.label_hash == empty.label_hash
    row.save()

    assert [o.object_hash for o in _reopen(tmp_path, "cherry_001.png").get_object_instances()] == [
        mine.object_hash
    ]
    with pytest.raises(RevisionConflict, match="reload it and save again"):
        empty.save()  # the row it loaded has since been saved by the attached row


def test_attached_row_checks_later_instances_against_the_project_ontology(
    project: bm.Project,
) -> None:
    own = OntologyStructure.from_dict(_fixture("ontology.json"))
    kiwi = own.add_object("Kiwi", Shape.BOUNDING_BOX, feature_node_hash="k1w1k1w1")
    media = CustomerProvidedImageMetadata("image/png", 1, height=48, width=64)
    row = LabelRowV2.from_media_metadata(own, media, branch_name=BRANCH)
    row.attach_to_project(project, _unit_hash(project, "cherry_001.png"))
    assert row.ontology_structure is project.ontology_structure
    late = kiwi.create_instance()
    late.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=0)
    with pytest.raises(OntologyError, match="k1w1k1w1 is not in this label row's ontology"):
        row.add_object_instance(late)
