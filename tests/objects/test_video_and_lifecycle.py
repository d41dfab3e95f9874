"""A video with tracks and dynamic answers, and the label-row lifecycle over a backend."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest

from branchmark.bundle import Bundle
from branchmark.errors import LabelRowError
from branchmark.objects import ChecklistAttribute, Object, OntologyStructure
from branchmark.objects.annotation import AnswerForFrames
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.objects.frames import Range
from branchmark.objects.metadata import DataType

T0 = datetime(2025, 1, 15, 12, tzinfo=UTC)


def build_video(ontology: OntologyStructure, make_row, backend):  # type: ignore[no-untyped-def]
    row = make_row(
        ontology, data_type=DataType.VIDEO, frames=50, backend=backend, fps=25.0, duration=2.0
    )
    cherry = ontology.get_child_by_title("Cherry", type_=Object)
    track = cherry.create_instance(object_number=1)
    for frame in (103 % 50, 4, 5):
        track.set_for_frames(
            BoundingBoxCoordinates(0.1, 0.1, 0.01 * frame, 0.2),
            frames=frame,
            confidence=0.5 + frame / 100,
            manual_annotation=False,
            created_at=T0,
            last_edited_at=T0,
        )
    parts = ontology.get_child_by_hash("y4/24zdI", type_=ChecklistAttribute)
    stem, leaf = parts.options
    track.set_answer([stem], attribute=parts, frames=[3, 4])
    track.set_answer([stem, leaf], attribute=parts, frames=5)
    track.set_answer(12.5)  # inferred: the only numeric attribute
    row.add_object_instance(track)
    other = cherry.create_instance(object_number=2)
    other.set_for_frames(
        BoundingBoxCoordinates(0.2, 0.2, 0.5, 0.5),
        frames=Range(10, 12),
        created_at=T0,
        last_edited_at=T0,
    )
    row.add_object_instance(other)
    return row, track


def test_video_round_trip_through_backend(ontology, make_row, backend_class) -> None:  # type: ignore[no-untyped-def]
    backend = backend_class()
    row, track = build_video(ontology, make_row, backend)
    text = ontology.classifications[2]
    ci = text.create_instance()
    ci.set_answer("a cherry tree")
    ci.set_for_frames(
        Range(0, 9), confidence=0.4, manual_annotation=False, created_at=T0, last_edited_at=T0
    )
    row.add_classification_instance(ci)
    row.save()
    saved = backend.rows["data-1"]
    unit = next(iter(saved["data_units"].values()))
    assert sorted(unit["labels"], key=int) == ["3", "4", "5", "10", "11", "12"]
    assert [e["objectHash"] for e in unit["labels"]["4"]["objects"]] == [track.object_hash]
    assert unit["labels"]["4"]["objects"][0]["confidence"] == 0.54
    assert (unit["data_fps"], unit["data_duration"]) == (25.0, 2.0)
    actions = saved["object_actions"][track.object_hash]["actions"]
    assert [(a["range"], len(a["answers"])) for a in actions] == [([[3, 4]], 1), ([[5, 5]], 2)]
    assert saved["object_answers"][track.object_hash]["objectNumber"] == 1
    assert saved["classification_answers"][ci.classification_hash]["range"] == [[0, 9]]
    reloaded = make_row(
        ontology, data_type=DataType.VIDEO, frames=50, backend=backend, fps=25.0, duration=2.0
    )
    assert reloaded.to_encord_dict() == saved
    again = reloaded.get_object_instances()[0]
    parts = ontology.get_child_by_hash("y4/24zdI")
    answers = again.get_answer(parts)
    assert [a.ranges for a in answers] == [[Range(3, 4)], [Range(5, 5)]]
    assert again.get_answer(parts, filter_frame=5)[0].answer == parts.options
    assert isinstance(answers[0], AnswerForFrames)
    assert row.label_row_metadata.revision == 1


def test_bundle_defers_load_and_save(ontology, make_row, backend_class) -> None:  # type: ignore[no-untyped-def]
    backend = backend_class()
    rows = [
        make_row(ontology, backend=backend, initialise=False, data_hash=f"d{i}") for i in range(3)
    ]
    with Bundle(backend) as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
        assert not rows[0].is_labelling_initialised
        with pytest.raises(LabelRowError, match="initialize labelling first"):
            rows[0].add_object_instance(ontology.objects[0].create_instance())
    assert all(r.is_labelling_initialised and r.label_hash == "lh-" + r.data_hash for r in rows)
    for row in rows:
        inst = ontology.objects[0].create_instance()
        inst.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.5, 0.5), manual_annotation=False)
        row.add_object_instance(inst)
    with Bundle(backend) as bundle:
        for row in rows:
            row.save(bundle=bundle)
        assert backend.saves == 0
    assert backend.saves == 1 and sorted(backend.rows) == ["d0", "d1", "d2"]
    assert all(r.label_row_metadata.revision == 1 for r in rows)


def test_lifecycle_errors(ontology, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology, initialise=False)
    with pytest.raises(LabelRowError, match="initialize labelling first"):
        row.save()
    with pytest.raises(LabelRowError, match="initialize labelling first"):
        row.get_object_instances()
    row.initialise_labels()
    with pytest.raises(LabelRowError, match="re-initialize"):
        row.initialise_labels()
    row.initialise_labels(overwrite=True)
    detached = make_row(ontology, backend=None, initialise=False)
    detached._backend = None
    with pytest.raises(LabelRowError, match="detached"):
        detached.initialise_labels()


def test_object_numbers_and_membership(ontology, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology)
    other_row = make_row(ontology)
    cherry = ontology.objects[0]
    empty = cherry.create_instance()
    with pytest.raises(LabelRowError, match="not on any frames"):
        row.add_object_instance(empty)
    a, b = cherry.create_instance(object_number=7), cherry.create_instance(object_number=7)
    for inst in (a, b):
        inst.set_for_frames(BoundingBoxCoordinates(0.1, 0.1, 0.1, 0.1))
        row.add_object_instance(inst)
    with pytest.raises(LabelRowError, match="already part of a LabelRowV2"):
        other_row.add_object_instance(a)
    twin = a.copy()
    assert twin.object_hash != a.object_hash
    other_row.add_object_instance(twin)
    with pytest.raises(LabelRowError, match="both claim object_number=7"):
        row.save()
    row.save(renumber_objects=True)
    assert sorted(o.object_number for o in row.get_object_instances()) == [1, 2]
    row.remove_object(a)
    assert row.get_object_instances() == [b] and not a.is_assigned_to_label_row()


def test_classification_overlap_rules(ontology, make_row) -> None:  # type: ignore[no-untyped-def]
    row = make_row(ontology, data_type=DataType.VIDEO, frames=50)
    caption = ontology.classifications[2]
    first = caption.create_instance()
    first.set_for_frames(Range(10, 12))
    row.add_classification_instance(first)
    overlapping = caption.create_instance()
    overlapping.set_for_frames(12)
    with pytest.raises(LabelRowError, match=r"overlapping frames on the ranges \[\(12:12\)\]"):
        row.add_classification_instance(overlapping)
    disjoint = caption.create_instance()
    disjoint.set_for_frames(20)
    row.add_classification_instance(disjoint)
    assert len(row.get_classification_instances(filter_ontology_classification=caption)) == 2
    unanswered = ontology.classifications[3].create_instance()
    unanswered.set_for_frames(0)
    row.add_classification_instance(unanswered)
    assert (
        row.to_encord_dict()["classification_answers"][unanswered.classification_hash][
            "classifications"
        ]
        == []
    )
    with pytest.raises(LabelRowError, match="not on any frames"):
        row.add_classification_instance(caption.create_instance())
    with pytest.raises(LabelRowError, match="overlapping"):
        first.set_for_frames(20)


def test_saved_dict_is_json_serialisable(ontology, make_row) -> None:  # type: ignore[no-untyped-def]
    row, _ = build_video(ontology, make_row, None)
    text = json.dumps(row.to_encord_dict())
    assert copy.deepcopy(json.loads(text)) == row.to_encord_dict()
