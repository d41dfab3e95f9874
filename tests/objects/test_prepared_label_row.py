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
from branchmark.store.label_dict import LabelRowParts, PreparedLabelRow, split_label_row
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
    assert len(got.annotations) > 0


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
    assert len({a[-1] for a in got.annotations}) < len(got.annotations)  # shared meta blobs
