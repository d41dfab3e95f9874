"""``Project.import_coco_labels``: ENCORD_COMPAT s.6 semantics, plus manual/replace/strict.

Checked against the label rows the SDK objects read back (``to_encord_dict``) and against
hand-computed normalised coordinates.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from branchmark.coco import FrameIndex
from branchmark.errors import ImportFormatError, OntologyError
from branchmark.project import Project
from branchmark.store import Store, catalog
from tests.importers.conftest import BASE_DATASET

BOX, POLY, MASK, SKELETON, POLYLINE = "0b1e4a01", "0b1e4a03", "0b1e4a06", "0b1e4a07", "0b1e4a04"


@pytest.fixture
def project(store: Store, ontology: dict[str, Any]) -> tuple[Project, dict[int, FrameIndex]]:
    with store.write() as conn:
        record = catalog.create_project(conn, "fruit", ontology)
        a = catalog.add_data_unit(
            conn, record.id, title="a.jpg", data_type="image", width=100, height=80
        )
        b = catalog.add_data_unit(
            conn, record.id, title="b.jpg", data_type="image", width=64, height=48
        )
    return Project(store, record), {1: FrameIndex(a.data_hash), 2: FrameIndex(b.data_hash)}


def _objects(project: Project, branch: str) -> list[dict[str, Any]]:
    rows = project.list_label_rows_v2(branch_name=branch)
    out = []
    for row in rows:
        row.initialise_labels()
        d = row.to_encord_dict()
        for unit in d["data_units"].values():
            out.extend(unit["labels"].get("objects", []))
    return out


def _coco(**score: float) -> dict[str, Any]:
    data = copy.deepcopy(BASE_DATASET)
    for ann, value in zip(data["annotations"], score.values(), strict=False):
        ann["score"] = value
    return data


def test_boxes_polygons_rle_and_confidence(project: tuple[Project, dict[int, FrameIndex]]) -> None:
    p, frames = project
    cats = {1: BOX, 2: POLY, 3: MASK}
    report = p.import_coco_labels(
        _coco(a=0.25, b=0.5),
        cats,
        frames,
        branch_name="preds",
        confidence_field_name="score",
        manual_annotation=False,
    )
    assert report.imported == 3 and report.skipped == 1  # the keypoint category is not mapped
    objects = {o["featureHash"]: o for o in _objects(p, "preds")}
    assert objects[BOX]["boundingBox"] == pytest.approx(
        {"x": 10.5 / 100, "y": 20.25 / 80, "w": 0.3, "h": 15 / 80}
    )
    assert objects[BOX]["confidence"] == 0.25 and objects[BOX]["manualAnnotation"] is False
    assert objects[POLY]["polygons"][1] == [pytest.approx([0.4, 0.5, 0.5, 0.5, 0.45, 0.625])]
    assert (
        objects[MASK]["bitmask"]["height"] == 48 and objects[MASK]["confidence"] == 1.0
    )  # no score
    assert objects[MASK]["manualAnnotation"] is False


def test_default_marks_manual_and_appends_like_the_sdk(
    project: tuple[Project, dict[int, FrameIndex]],
) -> None:
    p, frames = project
    p.import_coco_labels(BASE_DATASET, {1: BOX}, frames)
    p.import_coco_labels(BASE_DATASET, {1: BOX}, frames)
    objects = _objects(p, "main")
    assert len(objects) == 2 and all(
        o["manualAnnotation"] for o in objects
    )  # duplicated, as Encord
    p.import_coco_labels(BASE_DATASET, {1: BOX}, frames, replace=True)
    p.import_coco_labels(BASE_DATASET, {1: BOX}, frames, replace=True)
    assert len(_objects(p, "main")) == 1


def test_unmapped_image_is_skipped_unless_strict(
    project: tuple[Project, dict[int, FrameIndex]],
) -> None:
    p, frames = project
    report = p.import_coco_labels(BASE_DATASET, {1: BOX, 2: POLY}, {1: frames[1]})
    assert report.imported == 2 and report.skipped == 2
    with pytest.raises(ImportFormatError, match="has no frame index"):
        p.import_coco_labels(
            BASE_DATASET, {1: BOX, 2: POLY}, {1: frames[1]}, branch_name="x", strict=True
        )


def test_ontology_and_shape_errors(project: tuple[Project, dict[int, FrameIndex]]) -> None:
    p, frames = project
    with pytest.raises(OntologyError):
        p.import_coco_labels(BASE_DATASET, {1: "nothere1"}, frames)
    with pytest.raises(TypeError):
        p.import_coco_labels(BASE_DATASET, {1: "c1a55001"}, frames)  # a classification's hash
    with pytest.raises(ImportFormatError, match="shape 'polyline' are not supported"):
        p.import_coco_labels(BASE_DATASET, {1: POLYLINE}, frames)
    with pytest.raises(ImportFormatError, match="Expected format was an RLE"):
        p.import_coco_labels(BASE_DATASET, {2: MASK}, frames)
    with pytest.raises(ValueError, match="not in the labels' images"):
        p.import_coco_labels(BASE_DATASET, {1: BOX}, {**frames, 9: frames[1]})
    assert _objects(p, "main") == []
