"""Real-SDK label rows through from_labels_dict -> to_encord_dict.

Deliberate difference from SDK 0.1.211 (ENCORD_COMPAT.md s.3.5): the SDK resets an answer's
``manualAnnotation: false`` to true when reading; branchmark keeps it, so the fixture's "Grade"
answer round-trips as written.  The legacy (<= 0.1.202) twins give back the new layout: per-frame
classification entries become ``range`` plus one metadata set, and the per-frame lists become
``[]``; their missing ``lastEditedBy`` is written as ``null``, as SDK >= 0.1.205 does.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from branchmark.errors import LabelRowError, OntologyError
from branchmark.objects import LabelRowV2, OntologyStructure
from branchmark.objects.coordinates import BitmaskCoordinates, PolygonCoordinates
from branchmark.objects.metadata import DataType, LabelRowMetadata

FIXTURES = Path(__file__).parents[1] / "fixtures" / "encord"


def load_fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


CASES = [
    pytest.param("image_all_shapes.json", "image_all_shapes.json", id="image"),
    pytest.param("image_group.json", "image_group.json", id="img_group"),
    pytest.param(
        "legacy-sdk-0.1.202/image_all_shapes.json", "image_all_shapes.json", id="legacy-image"
    ),
    pytest.param("legacy-sdk-0.1.202/image_group.json", "image_group.json", id="legacy-img_group"),
]


def detached_row(ontology: OntologyStructure, d: dict) -> LabelRowV2:
    meta = LabelRowMetadata(data_hash="x", data_title="x", data_type=DataType.parse(d["data_type"]))
    return LabelRowV2(meta, None, ontology)


@pytest.mark.parametrize(("source", "expected"), CASES)
def test_round_trip_is_byte_identical(
    ontology: OntologyStructure, source: str, expected: str
) -> None:
    d = load_fixture(source)
    row = detached_row(ontology, d)
    row.from_labels_dict(copy.deepcopy(d))
    out = row.to_encord_dict()
    reference = load_fixture(expected)
    assert out == reference
    assert json.dumps(out) == json.dumps(reference)
    assert row.is_labelling_initialised


def test_parsed_instances(ontology: OntologyStructure) -> None:
    row = detached_row(ontology, {"data_type": "image"})
    row.from_labels_dict(load_fixture("image_all_shapes.json"))
    cherries = row.get_object_instances(filter_ontology_object=ontology.objects[0])
    assert [c.object_hash for c in cherries] == ["voeyFsbP", "wE0owNrz"]
    annotation = cherries[0].get_annotation(0)
    assert (annotation.confidence, annotation.manual_annotation) == (0.91, False)
    grade = ontology.get_child_by_hash("/+l7ulEL")
    assert cherries[0].get_answer(grade).label == "Grade A"
    polygon = row.get_object_instances(filter_ontology_object=ontology.objects[2])[1]
    coords = polygon.get_annotation().coordinates
    assert isinstance(coords, PolygonCoordinates) and len(coords.polygons) == 2
    assert len(coords.polygons[0]) == 2  # outer ring + hole
    mask = row.get_object_instances(filter_ontology_object=ontology.objects[5])[0]
    bitmask = mask.get_annotation().coordinates
    assert isinstance(bitmask, BitmaskCoordinates) and bitmask.to_numpy_array().shape == (48, 64)
    radio = row.get_classification_instances(
        filter_ontology_classification=ontology.classifications[0]
    )
    assert radio[0].get_answer().value == "cherry" and radio[0].confidence == 0.83
    assert (row.width, row.height, row.file_type) == (64, 48, "image/png")


def test_image_group_frame_views(ontology: OntologyStructure) -> None:
    row = detached_row(ontology, {"data_type": "img_group"})
    row.from_labels_dict(load_fixture("image_group.json"))
    views = row.get_frame_views()
    assert [(v.width, v.height) for v in views] == [(40, 30), (30, 40), (20, 20)]
    assert row.number_of_frames == 3
    assert [o.object_hash for o in views[1].get_object_instances()] == ["8jQorUWQ", "0ZjViPTJ"]
    caption = row.get_classification_instances()[0]
    assert caption.get_annotation_frames() == {0, 1}


@pytest.mark.parametrize(
    "key",
    [
        "label_hash",
        "data_units",
        "object_answers",
        "object_actions",
        "classification_answers",
        "label_status",
    ],
)
def test_missing_required_key_is_key_error(ontology: OntologyStructure, key: str) -> None:
    d = load_fixture("image_all_shapes.json")
    del d[key]
    row = detached_row(ontology, d)
    with pytest.raises(KeyError):
        row.from_labels_dict(d)
    assert not row.is_labelling_initialised


def test_optional_keys_may_be_missing(ontology: OntologyStructure) -> None:
    d = load_fixture("image_all_shapes.json")
    for key in ("annotation_task_status", "is_shadow_data", "spaces"):
        del d[key]
    row = detached_row(ontology, d)
    row.from_labels_dict(d)
    assert len(row.get_object_instances()) == 9


def test_unknown_hashes(ontology: OntologyStructure) -> None:
    d = load_fixture("image_all_shapes.json")
    unit = next(iter(d["data_units"].values()))
    unit["labels"]["objects"][0]["featureHash"] = "deadbeef"
    with pytest.raises(OntologyError, match="deadbeef"):
        detached_row(ontology, d).from_labels_dict(d)
    d = load_fixture("image_all_shapes.json")
    d["object_answers"]["voeyFsbP"]["classifications"][0]["featureHash"] = "deadbeef"
    with pytest.raises(LabelRowError, match=r"Attribute with id \[deadbeef\]"):
        detached_row(ontology, d).from_labels_dict(d)


def test_failed_parse_changes_nothing(ontology: OntologyStructure) -> None:
    row = detached_row(ontology, {"data_type": "image"})
    row.from_labels_dict(load_fixture("image_all_shapes.json"))
    bad = load_fixture("image_all_shapes.json")
    bad["classification_answers"]["s7XedM+K"]["featureHash"] = "deadbeef"
    with pytest.raises(OntologyError):
        row.from_labels_dict(bad)
    assert row.to_encord_dict() == load_fixture("image_all_shapes.json")
