"""Shared builders for the SDK-object tests: the real-SDK ontology and rows over it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from branchmark.objects import LabelRowV2, OntologyStructure
from branchmark.objects.metadata import DataType, LabelRowMetadata

ENCORD = Path(__file__).parents[1] / "fixtures" / "encord"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((ENCORD / name).read_text())


def move_labels(source: dict[str, Any], target: LabelRowV2) -> None:
    """Parse the real-SDK dict ``source`` into a scratch row and move its instances (hashes
    kept) onto ``target``, whose ontology they are read with."""
    kind = DataType.parse(source["data_type"])
    scratch = LabelRowV2(
        LabelRowMetadata(data_hash="x", data_title="x", data_type=kind),
        None,
        target.ontology_structure,
    )
    scratch.from_labels_dict(copy.deepcopy(source))
    for obj in scratch.get_object_instances():
        scratch.remove_object(obj)
        target.add_object_instance(obj)
    for ci in scratch.get_classification_instances():
        scratch.remove_classification(ci)
        target.add_classification_instance(ci)


@pytest.fixture
def ontology() -> OntologyStructure:
    return OntologyStructure.from_dict(load_fixture("ontology.json"))


class MemoryBackend:
    """A LabelRowBackend keeping dicts in memory (revision bumped on each save)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}
        self.saves = 0

    def load_label_rows(self, rows):  # type: ignore[no-untyped-def]
        out = []
        for meta in rows:
            stored = self.rows.get(meta.data_hash)
            out.append(
                (
                    copy.deepcopy(stored),
                    meta.replace(label_hash=meta.label_hash or "lh-" + meta.data_hash),
                )
            )
        return out

    def save_label_rows(self, rows):  # type: ignore[no-untyped-def]
        self.saves += 1
        out = []
        for meta, label_dict in rows:
            self.rows[meta.data_hash] = copy.deepcopy(label_dict)
            out.append(meta.replace(revision=meta.revision + 1))
        return out


def make_row(
    ontology: OntologyStructure,
    *,
    data_type: DataType = DataType.IMAGE,
    frames: int = 1,
    backend: Any = None,
    initialise: bool = True,
    **meta: Any,
) -> LabelRowV2:
    metadata = LabelRowMetadata(
        data_hash=meta.pop("data_hash", "data-1"),
        data_title=meta.pop("data_title", "cherry_001.png"),
        data_type=data_type,
        number_of_frames=frames,
        width=meta.pop("width", 64),
        height=meta.pop("height", 48),
        **meta,
    )
    row = LabelRowV2(metadata, backend if backend is not None else MemoryBackend(), ontology)
    if initialise:
        row.initialise_labels()
    return row


@pytest.fixture(name="load_fixture")
def load_fixture_fixture():  # type: ignore[no-untyped-def]
    return load_fixture


@pytest.fixture(name="make_row")
def make_row_fixture():  # type: ignore[no-untyped-def]
    return make_row


@pytest.fixture(name="backend_class")
def backend_class_fixture():  # type: ignore[no-untyped-def]
    return MemoryBackend
