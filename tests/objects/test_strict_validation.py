"""branchmark's strict checks (beyond the SDK): each message names instance, frame and field."""

from __future__ import annotations

import math

import numpy as np
import pytest

from branchmark import errors
from branchmark.objects import OntologyStructure, RadioAttribute
from branchmark.objects.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
)
from branchmark.objects.metadata import DataType


def _names(message: str, instance, frame: int, field: str) -> None:  # type: ignore[no-untyped-def]
    assert instance.object_hash in message
    assert instance.object_name in message
    assert f"frame {frame}" in message
    assert field in message


@pytest.mark.parametrize("value", [1.5, -0.1, math.nan])
def test_normalised_coordinates(ontology: OntologyStructure, value: float) -> None:
    instance = ontology.objects[0].create_instance()
    with pytest.raises(errors.InvalidGeometry) as info:
        instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, value, 0.2), frames=3)
    _names(str(info.value), instance, 3, "field x")
    assert instance.get_annotations() == []


def test_polygon_ring_needs_three_points(ontology: OntologyStructure) -> None:
    instance = ontology.objects[2].create_instance()
    ring = [PointCoordinate(0.1, 0.1), PointCoordinate(0.2, 0.2)]
    with pytest.raises(errors.InvalidGeometry) as info:
        instance.set_for_frames(PolygonCoordinates(values=ring), frames=0)
    _names(str(info.value), instance, 0, "polygons[0][0]")


@pytest.mark.parametrize("confidence", [7, -0.5, math.inf, math.nan, "high", True])
def test_confidence(ontology: OntologyStructure, confidence: object) -> None:
    instance = ontology.objects[0].create_instance()
    with pytest.raises(errors.InvalidConfidence) as info:
        instance.set_for_frames(
            BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=2, confidence=confidence
        )  # type: ignore[arg-type]
    _names(str(info.value), instance, 2, "confidence")


def test_annotation_confidence_setter(ontology: OntologyStructure) -> None:
    instance = ontology.objects[0].create_instance()
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1))
    with pytest.raises(errors.InvalidConfidence):
        instance.get_annotation(0).confidence = 2.0
    assert instance.get_annotation(0).confidence == 1.0


def test_frames_rechecked_at_add_and_save(ontology: OntologyStructure, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology, data_type=DataType.VIDEO, frames=50)
    instance = ontology.objects[0].create_instance()
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1), frames=999)
    with pytest.raises(errors.FrameOutOfRange) as info:
        row.add_object_instance(instance)
    _names(str(info.value), instance, 999, "frames")
    assert isinstance(info.value, errors.LabelRowError)
    lenient = make_row(ontology, data_type=DataType.VIDEO, frames=50)
    lenient.strict = False
    lenient.add_object_instance(instance)  # the SDK accepts it ...
    lenient.strict = True
    with pytest.raises(errors.FrameOutOfRange):  # ... strict save does not
        lenient.save()


def test_bitmask_size(ontology: OntologyStructure, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology, width=64, height=48)
    instance = ontology.objects[5].create_instance()
    instance.set_for_frames(BitmaskCoordinates(np.zeros((10, 10), bool)))
    with pytest.raises(errors.BitmaskSizeMismatch) as info:
        row.add_object_instance(instance)
    assert isinstance(info.value, ValueError)
    _names(str(info.value), instance, 0, "bitmask")
    attached = ontology.objects[5].create_instance()
    attached.set_for_frames(BitmaskCoordinates(np.zeros((48, 64), bool)))
    row.add_object_instance(attached)
    with pytest.raises(errors.BitmaskSizeMismatch):
        attached.set_for_frames(BitmaskCoordinates(np.zeros((10, 10), bool)), overwrite=True)


def test_radio_answer_must_be_an_option_of_that_attribute(ontology: OntologyStructure) -> None:
    cherry = ontology.objects[0]
    ripeness = ontology.get_child_by_hash("bMP4Agsf", type_=RadioAttribute)
    grade_a = ontology.get_child_by_hash("RVCaZ2EW")  # an option of another radio attribute
    instance = cherry.create_instance()
    with pytest.raises(errors.InvalidAnswer) as info:
        instance.set_answer(grade_a, attribute=ripeness)
    message = str(info.value)
    assert instance.object_hash in message and "Ripeness" in message and "Grade A" in message
    assert isinstance(info.value, ValueError)
    assert instance.get_answer(ripeness) is None


def test_non_strict_row_accepts_what_the_sdk_accepts(ontology: OntologyStructure, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology)
    row.strict = False
    instance = ontology.objects[0].create_instance()
    instance.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1))
    row.add_object_instance(instance)
    instance.set_for_frames(BoundingBoxCoordinates(2, -1, 5, 5), overwrite=True, confidence=7)
    entry = next(iter(row.to_encord_dict()["data_units"].values()))["labels"]["objects"][0]
    assert entry["boundingBox"] == {"h": 2, "w": -1, "x": 5, "y": 5} and entry["confidence"] == 7
