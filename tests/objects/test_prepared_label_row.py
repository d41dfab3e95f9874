"""The save path's ``prepare_label_row`` stands for exactly the dict ``to_encord_dict`` gives.

Oracle: the store's ``split_label_row`` of the full dict.  Splitting the prepared row must give
the same header bytes, annotation rows (extents, geometry and meta blobs), answers and
classifications, for the real-SDK fixtures and for tracks on a video carrying every kind of
per-frame metadata.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest

from branchmark.objects import LabelRowV2, OntologyStructure
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.objects.label_writer import prepare_label_row, write_label_row
from branchmark.objects.metadata import DataType, LabelRowMetadata
from branchmark.store.label_dict import (
    BoxColumns,
    LabelRowParts,
    PreparedLabelRow,
    split_label_row,
)
from tests.objects.conftest import load_fixture

FIXTURES = [
    "image_all_shapes.json",
    "image_group.json",
    "legacy-sdk-0.1.202/image_all_shapes.json",
    "legacy-sdk-0.1.202/image_group.json",
]


def _both(
    row: LabelRowV2, size: tuple[int | None, int | None]
) -> tuple[LabelRowParts, LabelRowParts]:
    def frame_size(frame: int) -> tuple[int | None, int | None]:
        return size

    prepared = prepare_label_row(row)
    assert isinstance(prepared, PreparedLabelRow)
    assert all(
        not unit["labels"].get("objects")
        for unit in prepared.skeleton["data_units"].values()
        if "objects" in unit["labels"]
    )
    return (
        split_label_row(write_label_row(row), frame_size=frame_size),
        split_label_row(prepared, frame_size=frame_size),
    )


@pytest.mark.parametrize("name", FIXTURES)
def test_real_sdk_rows_split_the_same(ontology: OntologyStructure, name: str) -> None:
    d = load_fixture(name)
    meta = LabelRowMetadata(data_hash="x", data_title="x", data_type=DataType.parse(d["data_type"]))
    row = LabelRowV2(meta, None, ontology)
    row.from_labels_dict(copy.deepcopy(d))
    expected, got = _both(row, (None, None))
    assert got == expected
    assert len(got.annotations["frame"]) > 0


@pytest.mark.parametrize("size", [(64, 48), (None, None)], ids=["sized", "unsized"])
def test_video_tracks_with_every_metadata_split_the_same(
    ontology: OntologyStructure, size: tuple[int | None, int | None]
) -> None:
    source = LabelRowV2(
        LabelRowMetadata(data_hash="x", data_title="x", data_type=DataType.IMAGE), None, ontology
    )
    source.from_labels_dict(load_fixture("image_all_shapes.json"))
    meta = LabelRowMetadata(
        data_hash="v",
        data_title="clip.mp4",
        data_type=DataType.VIDEO,
        number_of_frames=6,
        width=size[0],
        height=size[1],
        fps=25.0,
        duration=0.24,
    )
    row = LabelRowV2(meta, None, ontology)
    empty = {"data_units": {}, "object_answers": {}, "object_actions": {}}
    row.from_labels_dict({**load_fixture("image_all_shapes.json"), **empty, "data_type": "video"})
    t0 = datetime(2025, 1, 15, 12, tzinfo=UTC)
    for k, instance in enumerate(source.get_object_instances()):
        twin = instance.copy()
        for frame in range(k % 3, 6, 2):  # every shape on several frames, interleaved
            coords = instance.get_annotation(0).coordinates
            twin.set_for_frames(
                coords,
                frames=frame,
                overwrite=True,
                created_at=t0 + timedelta(seconds=frame),
                created_by="a@b.co" if frame % 2 else None,
                last_edited_at=t0 + timedelta(seconds=frame % 2),
                last_edited_by="c@d.co" if frame == 4 else None,
                confidence=1 if frame == 2 else 0.25 * (frame % 4),  # an int confidence
                manual_annotation=frame % 2 == 0,
                is_deleted=True if frame == 5 else None,
            )
        row.add_object_instance(twin)
    cherry = ontology.objects[0]
    for i in range(5):  # boxes sharing class and times share one template
        box = cherry.create_instance()
        box.set_for_frames(
            BoundingBoxCoordinates(height=0.1, width=0.2, top_left_x=0.01 * i, top_left_y=0.3),
            frames=[0, 3],
            created_at=t0,
            last_edited_at=t0,
            confidence=0.5,
        )
        row.add_object_instance(box)
    expected, got = _both(row, size)
    assert got == expected
    meta = got.annotations["meta"]
    assert len(set(meta)) < len(meta)  # shared meta blobs


def _image_row(ontology: OntologyStructure, size: tuple[int | None, int | None]) -> LabelRowV2:
    meta = LabelRowMetadata(
        data_hash="i", data_title="i.jpg", data_type=DataType.IMAGE, width=size[0], height=size[1]
    )
    row = LabelRowV2(meta, None, ontology)
    row.from_labels_dict(
        {
            **load_fixture("image_all_shapes.json"),
            "data_units": {},
            "object_answers": {},
            "object_actions": {},
        }
    )
    return row


def _boxes(
    row: LabelRowV2, ontology: OntologyStructure, n: int, **set_kwargs: object
) -> list[object]:
    t0 = datetime(2025, 1, 15, 12, tzinfo=UTC)
    cherry = ontology.objects[0]  # the ontology's one bounding-box class
    made = []
    for i in range(n):
        box = cherry.create_instance()
        kwargs: dict[str, object] = {
            "frames": 0,
            "created_by": "a@b.co" if i % 3 == 0 else None,
            "created_at": t0 + timedelta(seconds=i // 4),  # runs of shared times, then a change
            "last_edited_at": t0,
            "confidence": 0.5 + i / (4 * n),
            "manual_annotation": i % 5 == 0,
            **set_kwargs,
        }
        box.set_for_frames(
            BoundingBoxCoordinates(height=0.1, width=0.2, top_left_x=i / (2 * n), top_left_y=0.3),
            **kwargs,  # type: ignore[arg-type]
        )
        row.add_object_instance(box)
        made.append(box)
    return made


@pytest.mark.parametrize("size", [(64, 48), (None, None)], ids=["sized", "unsized"])
def test_boxes_on_one_frame_go_as_columns_and_split_the_same(
    ontology: OntologyStructure,
    size: tuple[int | None, int | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = _image_row(ontology, size)
    _boxes(row, ontology, 30)
    prepared = prepare_label_row(row)
    assert prepared.boxes is not None and len(prepared.boxes.object_hash) == 30
    with monkeypatch.context() as patch:  # the column path, not its per-entry fallback
        patch.setattr(BoxColumns, "entries", None)
        expected, got = _both(row, size)
    assert got == expected
    assert len(set(got.annotations["meta"])) == len(prepared.templates) > 2
    # The generic per-entry path gives the same parts too (its own oracle: the full dict).
    generic = split_label_row(
        PreparedLabelRow(prepared.skeleton, {0: prepared.boxes.entries()}, prepared.templates),
        frame_size=lambda frame: size,
    )
    assert generic == got


def test_box_columns_with_an_int_confidence_fall_back_per_entry(
    ontology: OntologyStructure,
) -> None:
    row = _image_row(ontology, (64, 48))
    _boxes(row, ontology, 3)
    _boxes(row, ontology, 1, confidence=1)  # an int confidence: its own meta variant
    _boxes(row, ontology, 2)
    assert prepare_label_row(row).boxes is not None
    expected, got = _both(row, (64, 48))
    assert got == expected
    assert type(got.annotations["confidence"][3]) is int


def test_int_coordinates_stay_ints(ontology: OntologyStructure) -> None:
    row = _image_row(ontology, (64, 48))
    box = ontology.objects[0].create_instance()
    box.set_for_frames(
        BoundingBoxCoordinates(height=1, width=0.5, top_left_x=0, top_left_y=0.25), frames=0
    )
    row.add_object_instance(box)
    expected, got = _both(row, (64, 48))
    assert got == expected
    assert got.annotations["geometry"][0][:1] == b"N"


@pytest.mark.parametrize("layout", ["two_frames", "with_polygon"])
def test_rows_not_all_boxes_on_one_frame_use_entries(
    ontology: OntologyStructure, layout: str
) -> None:
    source = _image_row(ontology, (64, 48))
    source.from_labels_dict(load_fixture("image_all_shapes.json"))
    meta = LabelRowMetadata(
        data_hash="v", data_title="v.mp4", data_type=DataType.VIDEO, number_of_frames=3,
        width=64, height=48,
    )  # fmt: skip
    row = (
        LabelRowV2(meta, None, ontology)
        if layout == "two_frames"
        else _image_row(ontology, (64, 48))
    )
    if layout == "two_frames":
        row.from_labels_dict(
            {**load_fixture("image_all_shapes.json"), "data_units": {}, "object_answers": {},
             "object_actions": {}, "data_type": "video"}
        )  # fmt: skip
        for frame in (0, 2):
            box = ontology.objects[0].create_instance()
            coords = BoundingBoxCoordinates(height=0.1, width=0.1, top_left_x=0.1, top_left_y=0.1)
            box.set_for_frames(coords, frames=frame)
            row.add_object_instance(box)
    else:
        _boxes(row, ontology, 3)
        polygon = next(
            i for i in source.get_object_instances() if i.ontology_item.shape.value == "polygon"
        )
        row.add_object_instance(polygon.copy())
    prepared = prepare_label_row(row)
    assert prepared.boxes is None
    expected, got = _both(row, (64, 48))
    assert got == expected
