"""A single-frame ObjectInstance keeps its frame compactly; every path that needs the general
per-frame structure must see exactly what an instance built frame by frame shows."""

from __future__ import annotations

from branchmark.objects import Object, OntologyStructure
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.objects.metadata import DataType
from tests.objects.conftest import make_row

BOX_A = BoundingBoxCoordinates(height=0.1, width=0.2, top_left_x=0.3, top_left_y=0.4)
BOX_B = BoundingBoxCoordinates(height=0.2, width=0.1, top_left_x=0.5, top_left_y=0.1)


def _cherry(ontology: OntologyStructure) -> Object:
    return ontology.get_child_by_title("Cherry", type_=Object)


def _frames(instance) -> list[tuple[int, object, float, bool]]:  # type: ignore[no-untyped-def]
    return [
        (a.frame, a.coordinates, a.confidence, a.manual_annotation)
        for a in instance.get_annotations()
    ]


def test_second_frame_promotes_and_keeps_the_first(ontology: OntologyStructure) -> None:
    instance = _cherry(ontology).create_instance()
    instance.set_for_frames(BOX_A, frames=3, confidence=0.4, manual_annotation=False)
    assert _frames(instance) == [(3, BOX_A, 0.4, False)]
    instance.set_for_frames(BOX_B, frames=5, confidence=0.9, manual_annotation=True)
    assert _frames(instance) == [(3, BOX_A, 0.4, False), (5, BOX_B, 0.9, True)]


def test_copy_and_remove_from_frames_of_a_compact_instance(ontology: OntologyStructure) -> None:
    instance = _cherry(ontology).create_instance()
    instance.set_for_frames(BOX_A, frames=2, confidence=0.7, manual_annotation=False)
    duplicate = instance.copy()
    assert duplicate.object_hash != instance.object_hash
    assert _frames(duplicate) == _frames(instance) == [(2, BOX_A, 0.7, False)]
    instance.remove_from_frames(2)
    assert _frames(instance) == []
    assert _frames(duplicate) == [(2, BOX_A, 0.7, False)]  # the copy is independent


def test_compact_and_promoted_instances_serialise_identically(ontology: OntologyStructure) -> None:
    # One row gets a compact single-frame instance, the other the same instance promoted
    # (by reading its annotations, which builds the general structure) before the add.
    rows = []
    for promote in (False, True):
        row = make_row(ontology, data_type=DataType.VIDEO, frames=10, data_hash=f"d{promote}")
        instance = _cherry(ontology).create_instance()
        instance.set_for_frames(
            BOX_A, frames=4, confidence=0.25, manual_annotation=False,
            created_at=None, created_by="model@example.com",
        )
        if promote:
            instance.get_annotations()
        row.add_object_instance(instance)
        rows.append((row, instance))
    (compact_row, compact), (promoted_row, promoted) = rows
    a, b = compact_row.to_encord_dict(), promoted_row.to_encord_dict()
    hashes = (compact.object_hash, promoted.object_hash)
    entry_a = a["data_units"][next(iter(a["data_units"]))]["labels"]["4"]["objects"][0]
    entry_b = b["data_units"][next(iter(b["data_units"]))]["labels"]["4"]["objects"][0]
    for key in ("objectHash", "createdAt", "lastEditedAt"):
        entry_a.pop(key), entry_b.pop(key)
    assert entry_a == entry_b
    assert hashes[0] != hashes[1]


def test_saved_compact_instance_reloads_with_its_frame(ontology: OntologyStructure) -> None:
    row = make_row(ontology, data_type=DataType.VIDEO, frames=10)
    instance = _cherry(ontology).create_instance()
    instance.set_for_frames(BOX_B, frames=7, confidence=0.5, manual_annotation=False)
    row.add_object_instance(instance)
    row.save()
    again = make_row(ontology, data_type=DataType.VIDEO, frames=10, backend=row._backend)  # noqa: SLF001
    (loaded,) = again.get_object_instances()
    assert loaded.object_hash == instance.object_hash
    assert _frames(loaded) == [(7, BOX_B, 0.5, False)]
