"""Detached rows from caller-given media metadata (``LabelRowV2.from_media_metadata``).

The oracle for the JSON is the real SDK's output: the labels of ``image_all_shapes.json`` and
``image_group.json`` are moved onto a row built from the same media metadata, and the row must
write the fixture back with only the identity changed to the detached one (zero UUIDs, empty
titles and links, no task status), keys in the fixture's order.  No video fixture is shipped, so
the video row is checked against a hand-written dict of the layout ENCORD_COMPAT.md s.3.2 gives.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest

from branchmark.errors import BitmaskSizeMismatch, FrameOutOfRange, LabelRowError
from branchmark.objects import (
    CustomerProvidedImageMetadata,
    CustomerProvidedVideoMetadata,
    DataType,
    LabelRowV2,
    Object,
    OntologyStructure,
)
from branchmark.objects import media_metadata as media_module
from branchmark.objects.coordinates import BitmaskCoordinates, BoundingBoxCoordinates
from tests.objects.conftest import load_fixture, move_labels

ZERO = "00000000-0000-0000-0000-000000000000"
T0 = datetime(2025, 1, 15, 12, tzinfo=UTC)
T0_TEXT = "Wed, 15 Jan 2025 12:00:00 UTC"
STAMP = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d UTC$")


def _as_detached(reference: dict[str, Any], unit_keys: list[str]) -> dict[str, Any]:
    """``reference`` with the identity a detached row writes; data units re-keyed in order."""
    expected = copy.deepcopy(reference)
    expected.update(
        label_hash=ZERO,
        branch_name="main",
        data_hash=ZERO,
        dataset_hash=ZERO,
        dataset_title="",
        data_title="",
        annotation_task_status=None,
        label_status="NOT_LABELLED",
    )
    expected["data_units"] = {
        key: dict(unit, data_hash=key, data_title="", data_link="")
        for key, unit in zip(unit_keys, reference["data_units"].values(), strict=True)
    }
    return expected


def _without_row_times(d: dict[str, Any]) -> dict[str, Any]:
    """``d`` with its row times checked for the SDK's format and replaced by a marker (a new
    detached row is stamped now, as the server would)."""
    out = dict(d)
    for key in ("created_at", "last_edited_at"):
        assert STAMP.match(out[key]), out[key]
        out[key] = "<row time>"
    return out


def test_image_row_writes_the_real_sdk_image_layout(ontology: OntologyStructure) -> None:
    reference = load_fixture("image_all_shapes.json")
    [unit] = reference["data_units"].values()
    # positional, in Encord's field order: mime_type, file_size, height, width
    media = CustomerProvidedImageMetadata("image/png", 2048, 48, 64)
    row = LabelRowV2.from_media_metadata(ontology, media)
    assert (unit["width"], unit["height"], unit["data_type"]) == (64, 48, "image/png")
    assert row.is_detached and row.is_labelling_initialised
    assert (row.label_hash, row.data_hash, row.dataset_hash, row.data_title) == (
        ZERO,
        ZERO,
        ZERO,
        "",
    )
    assert (row.data_type, row.number_of_frames, row.width, row.height) == (
        DataType.IMAGE,
        1,
        64,
        48,
    )
    assert (row.file_type, row.fps, row.duration) == ("image/png", None, None)

    move_labels(reference, row)
    out = row.to_encord_dict()

    expected = _as_detached(reference, [ZERO])
    assert _without_row_times(out) == _without_row_times(expected)
    assert json.dumps(_without_row_times(out)) == json.dumps(_without_row_times(expected))
    assert list(out) == list(reference)
    assert list(out["data_units"][ZERO]) == list(unit)


def test_image_group_row_writes_the_real_sdk_group_layout(ontology: OntologyStructure) -> None:
    reference = load_fixture("image_group.json")
    units = list(reference["data_units"].values())
    images = [
        CustomerProvidedImageMetadata(
            mime_type=u["data_type"], file_size=100, height=u["height"], width=u["width"]
        )
        for u in units
    ]
    row = LabelRowV2.from_media_metadata(ontology, images)
    assert (row.data_type, row.number_of_frames, row.width, row.height) == (
        DataType.IMG_GROUP,
        3,
        None,
        None,
    )
    assert [(v.width, v.height) for v in row.get_frame_views()] == [(40, 30), (30, 40), (20, 20)]
    keys = [
        "00000000-0000-0000-0000-000000000001",
        "00000000-0000-0000-0000-000000000002",
        "00000000-0000-0000-0000-000000000003",
    ]
    assert [v.image_hash for v in row.get_frame_views()] == keys

    move_labels(reference, row)  # bitmasks are checked against each image's size
    out = row.to_encord_dict()

    expected = _as_detached(reference, keys)
    assert _without_row_times(out) == _without_row_times(expected)
    assert json.dumps(_without_row_times(out)) == json.dumps(_without_row_times(expected))
    assert [list(u) for u in out["data_units"].values()] == [list(u) for u in units]
    assert [u["data_sequence"] for u in out["data_units"].values()] == ["0", "1", "2"]


def test_image_group_bitmask_must_fit_its_own_image(ontology: OntologyStructure) -> None:
    images = [
        CustomerProvidedImageMetadata("image/jpeg", 1, height=30, width=40),
        CustomerProvidedImageMetadata("image/jpeg", 1, height=40, width=30),
    ]
    row = LabelRowV2.from_media_metadata(ontology, images)
    blueberry = ontology.get_child_by_title("Blueberry", type_=Object)
    fits = blueberry.create_instance()
    fits.set_for_frames(BitmaskCoordinates(np.ones((40, 30), dtype=bool)), frames=1)
    row.add_object_instance(fits)
    wrong = blueberry.create_instance()
    wrong.set_for_frames(BitmaskCoordinates(np.ones((40, 30), dtype=bool)), frames=0)
    with pytest.raises(BitmaskSizeMismatch):
        row.add_object_instance(wrong)


def _cherry_json(ontology_dict: dict[str, Any]) -> dict[str, Any]:
    return next(o for o in ontology_dict["objects"] if o["name"] == "Cherry")


def test_video_row_writes_the_encord_video_layout(ontology: OntologyStructure) -> None:
    media = CustomerProvidedVideoMetadata(25.0, 4.0, 1920, 1080, 123456, "video/mp4")
    row = LabelRowV2.from_media_metadata(ontology, media, branch_name="yolo-v8.run_01")
    assert (row.data_type, row.number_of_frames, row.fps, row.duration) == (
        DataType.VIDEO,
        100,
        25.0,
        4.0,
    )
    assert (row.width, row.height, row.file_type, row.branch_name) == (
        1920,
        1080,
        "video/mp4",
        "yolo-v8.run_01",
    )
    cherry = ontology.get_child_by_title("Cherry", type_=Object)
    track = cherry.create_instance()
    box = BoundingBoxCoordinates(height=0.4, width=0.3, top_left_x=0.1, top_left_y=0.2)
    track.set_for_frames(
        box,
        frames=[0, 99],
        confidence=0.8,
        manual_annotation=False,
        created_at=T0,
        last_edited_at=T0,
    )
    row.add_object_instance(track)
    late = cherry.create_instance()
    late.set_for_frames(box, frames=100)
    with pytest.raises(FrameOutOfRange):
        row.add_object_instance(late)

    raw = _cherry_json(load_fixture("ontology.json"))
    entry = {
        "name": "Cherry",
        "color": raw["color"],
        "shape": "bounding_box",
        "value": "cherry",
        "createdAt": T0_TEXT,
        "createdBy": None,
        "confidence": 0.8,
        "objectHash": track.object_hash,
        "featureHash": raw["featureNodeHash"],
        "manualAnnotation": False,
        "lastEditedAt": T0_TEXT,
        "boundingBox": {"h": 0.4, "w": 0.3, "x": 0.1, "y": 0.2},
    }
    expected = {
        "label_hash": ZERO,
        "branch_name": "yolo-v8.run_01",
        "created_at": "<row time>",
        "last_edited_at": "<row time>",
        "data_hash": ZERO,
        "dataset_hash": ZERO,
        "dataset_title": "",
        "data_title": "",
        "data_type": "video",
        "annotation_task_status": None,
        "is_shadow_data": False,
        "object_answers": {
            track.object_hash: {"classifications": [], "objectHash": track.object_hash}
        },
        "classification_answers": {},
        "object_actions": {},
        "label_status": "NOT_LABELLED",
        "data_units": {
            ZERO: {
                "data_hash": ZERO,
                "data_title": "",
                "data_link": "",
                "data_type": "video/mp4",
                "data_sequence": 0,
                "width": 1920,
                "height": 1080,
                "labels": {
                    "0": {"objects": [entry], "classifications": []},
                    "99": {"objects": [entry], "classifications": []},
                },
                "data_duration": 4.0,
                "data_fps": 25.0,
            }
        },
        "spaces": {},
    }
    out = _without_row_times(row.to_encord_dict())
    assert out == expected
    assert json.dumps(out) == json.dumps(expected)
    image_unit_keys = list(next(iter(load_fixture("image_all_shapes.json")["data_units"].values())))
    assert list(out["data_units"][ZERO])[: len(image_unit_keys)] == image_unit_keys


@pytest.mark.parametrize(
    ("fps", "duration", "frames"),
    [
        pytest.param(25.0, 4.0, 100, id="whole"),
        pytest.param(29.97, 10.0, 300, id="299.7-up"),
        pytest.param(30.0, 1.01, 31, id="30.3-up"),
        pytest.param(24.0, 0.5, 12, id="exact-half-second"),
        # 25 * 0.28 is 7.000000000000001 in binary floating point: ceil gives 8, as the SDK's
        # ceil(fps * duration) does (no rounding first)
        pytest.param(25.0, 0.28, 8, id="float-product-just-above-7"),
    ],
)
def test_video_frame_count_is_ceil_of_fps_times_duration(
    ontology: OntologyStructure, fps: float, duration: float, frames: int
) -> None:
    media = CustomerProvidedVideoMetadata(fps, duration, 640, 480, 0, "video/mp4")
    row = LabelRowV2.from_media_metadata(ontology, media)
    assert row.number_of_frames == frames == math.ceil(fps * duration)


def _image_row(ontology: OntologyStructure) -> LabelRowV2:
    return LabelRowV2.from_media_metadata(
        ontology, CustomerProvidedImageMetadata("image/jpeg", 0, height=480, width=640)
    )


def test_detached_row_cannot_save_or_initialise(ontology: OntologyStructure) -> None:
    row = _image_row(ontology)
    with pytest.raises(LabelRowError, match="detached.*attach_to_project"):
        row.save()
    with pytest.raises(LabelRowError, match="detached"):
        row.initialise_labels(overwrite=True)
    with pytest.raises(LabelRowError, match="re-initialize"):
        row.initialise_labels()  # already initialised: the SDK's own check comes first


@dataclasses.dataclass(frozen=True)
class CustomerProvidedAudioMetadata:  # Encord's audio metadata, which branchmark does not model
    duration: float
    file_size: int
    mime_type: str
    sample_rate: int
    bit_depth: int
    codec: str
    num_channels: int


@pytest.mark.parametrize(
    ("media", "message"),
    [
        pytest.param([], "empty list", id="empty-group"),
        pytest.param(
            [
                CustomerProvidedImageMetadata("image/png", 0, 10, 10),
                CustomerProvidedVideoMetadata(1.0, 1.0, 10, 10, 0, "video/mp4"),
            ],
            "Image 1 .* CustomerProvidedVideoMetadata",
            id="video-in-group",
        ),
        pytest.param(
            CustomerProvidedAudioMetadata(10.0, 0, "audio/mpeg", 44100, 16, "mp3", 2),
            "does not support CustomerProvidedAudioMetadata.*not implemented",
            id="audio",
        ),
        pytest.param({"width": 10}, "does not support dict", id="dict"),
        pytest.param("image/png", "does not support str", id="str"),
    ],
)
def test_unsupported_media_metadata_is_refused(
    ontology: OntologyStructure, media: Any, message: str
) -> None:
    with pytest.raises(LabelRowError, match=message):
        LabelRowV2.from_media_metadata(ontology, media)


def test_metadata_classes_keep_encords_fields_and_are_exported() -> None:
    assert [f.name for f in dataclasses.fields(CustomerProvidedImageMetadata)] == [
        "mime_type",
        "file_size",
        "height",
        "width",
    ]
    assert [f.name for f in dataclasses.fields(CustomerProvidedVideoMetadata)] == [
        "fps",
        "duration",
        "width",
        "height",
        "file_size",
        "mime_type",
    ]
    assert media_module.CustomerProvidedImageMetadata is CustomerProvidedImageMetadata
    assert media_module.CustomerProvidedVideoMetadata is CustomerProvidedVideoMetadata


def test_non_strict_detached_row_keeps_only_the_sdks_checks(ontology: OntologyStructure) -> None:
    media = CustomerProvidedVideoMetadata(5.0, 1.0, 64, 48, 0, "video/mp4")
    row = LabelRowV2.from_media_metadata(ontology, media, strict=False)
    cherry = ontology.get_child_by_title("Cherry", type_=Object)
    late = cherry.create_instance()
    late.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=7)
    row.add_object_instance(late)  # frame 7 of 5: the SDK does not re-check at add
    assert sorted(next(iter(row.to_encord_dict()["data_units"].values()))["labels"]) == ["7"]
