"""Rotated-box similarities of an analysis come from the stored ``x, y, w, h, theta`` themselves.

The boxes are chosen so that ``(x + w) - x != w`` (or ``(y + h) - y != h``) in float64: rebuilding
``w, h`` from the ``xyxy`` box changes the rotated IoU in the last bit, so only the stored values
give :func:`~branchmark.geometry.rotated.rotated_box_iou` of those values exactly.  Shapely's
polygon overlay (the oracle of ``tests/geometry/test_rotated.py``) checks the values themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from branchmark import analysis as an
from branchmark.analysis.compute import load_inputs
from branchmark.analysis.pairs import image_pairs
from branchmark.geometry.rotated import rotated_box_iou
from branchmark.store import Store, catalog
from branchmark.store.annotations import AnnotationBatch, insert_annotations
from branchmark.store.bulk_rows import add_image_units, ensure_label_rows
from tests.geometry.test_rotated import shapely_iou

WIDTH, HEIGHT = 640, 480
ROTATED = {
    "objects": [
        {"id": "1", "name": "plate", "color": "#000000", "shape": "rotatable_bounding_box",
         "featureNodeHash": "rot00000", "attributes": []}
    ],
    "classifications": [],
}  # fmt: skip


def _off_round_trip(box: np.ndarray) -> bool:
    x, y, w, h = box[:4]
    return bool((x + w) - x != w or (y + h) - y != h)


def _boxes() -> tuple[np.ndarray, np.ndarray]:
    """``(gt, pred)`` ``(12, 5)`` ``x, y, w, h, theta``: each prediction a jittered GT, every box
    off the round trip in ``x`` or ``y``."""
    rng = np.random.default_rng(3)

    def draw(make: Any) -> np.ndarray:
        while True:
            box = np.asarray(make(), dtype=np.float64).round(2)
            if _off_round_trip(box):
                return box

    gt = np.array(
        [
            draw(lambda: [*rng.uniform(40, 400, 2), *rng.uniform(20, 160, 2), rng.uniform(-90, 90)])
            for _ in range(12)
        ]
    )
    pred = np.array([draw(lambda b=b: b + rng.normal(0, [3, 3, 3, 3, 5])) for b in gt])
    return gt, pred


def _write(store: Store, project_id: int, unit: int, branch: str, boxes: np.ndarray) -> None:
    n = len(boxes)
    with store.write() as conn:
        record = catalog.ensure_branch(conn, project_id, branch)
        rows = ensure_label_rows(conn, [unit], record)
        insert_annotations(
            conn,
            AnnotationBatch(
                label_row_id=np.full(n, rows[unit], np.int64),
                frame=np.zeros(n, np.int64),
                object_hash=[f"{branch[:4]}{i:08d}" for i in range(n)],
                feature_hash=["rot00000"] * n,
                shape=["rotatable_bounding_box"] * n,
                x=boxes[:, 0],
                y=boxes[:, 1],
                w=boxes[:, 2],
                h=boxes[:, 3],
                theta=boxes[:, 4],
                area=boxes[:, 2] * boxes[:, 3],
                iscrowd=np.zeros(n, bool),
                # Distinct descending scores: predictions keep their written order.
                confidence=np.linspace(0.95, 0.4, n) if branch != "main" else None,
                manual=np.full(n, branch == "main"),
            ),
        )


@pytest.fixture
def rotated_project(store: Store) -> tuple[Store, Any, np.ndarray, np.ndarray]:
    gt, pred = _boxes()
    with store.write() as conn:
        project = catalog.create_project(conn, "p", ROTATED)
        (unit,) = add_image_units(
            conn, project.id, titles=["a.jpg"], widths=[WIDTH], heights=[HEIGHT],
            media_paths=[""], file_types=["image/jpeg"], client_metadata=[None],
        )  # fmt: skip
    _write(store, project.id, unit, "main", gt)
    _write(store, project.id, unit, "preds", pred)
    return store, project, gt, pred


def _round_tripped(boxes: np.ndarray) -> np.ndarray:
    x1, y1 = boxes[:, 0] + boxes[:, 2], boxes[:, 1] + boxes[:, 3]
    return np.column_stack(
        [boxes[:, 0], boxes[:, 1], x1 - boxes[:, 0], y1 - boxes[:, 1], boxes[:, 4]]
    )


def test_boxes_do_not_round_trip_and_the_iou_tells() -> None:
    """The premise: every box is off the xyxy round trip, and some pair's IoU changes by it."""
    gt, pred = _boxes()
    for boxes in (gt, pred):
        assert ((_round_tripped(boxes)[:, 2:4] != boxes[:, 2:4]).any(axis=1)).all()
    exact = rotated_box_iou(gt, pred)
    assert (np.diag(exact) > 0.5).all()  # each prediction overlaps its GT: IoUs are not all 0
    assert not np.array_equal(rotated_box_iou(_round_tripped(gt), _round_tripped(pred)), exact)


def test_pair_iou_is_rotated_iou_of_the_stored_boxes(rotated_project) -> None:
    """Every (GT, prediction) similarity equals the rotated IoU of the written x, y, w, h, theta
    exactly, and shapely's overlay to 1e-9."""
    store, project, gt, pred = rotated_project
    with store.read() as conn:
        inputs = load_inputs(conn, project_id=project.id, branch="preds", ground_truth="main")
    # Both sides in written order: GT by id, predictions by (distinct, descending) score.
    assert_array_equal(inputs.gt.annotation_id, np.sort(inputs.gt.annotation_id))
    assert_array_equal(inputs.dt.annotation_id, np.sort(inputs.dt.annotation_id))
    pairs = image_pairs(
        inputs.gt, inputs.dt, n_images=len(inputs.image_keys), image_sizes=inputs.image_sizes
    )
    (matrix,) = pairs.image_matrices()
    assert_array_equal(matrix, rotated_box_iou(gt, pred))
    assert_allclose(matrix, shapely_iou(gt, pred), rtol=0, atol=1e-9)


def test_stored_similarity_is_rotated_iou_of_the_stored_boxes(rotated_project) -> None:
    """The similarity an analysis stores for each matched prediction is that exact IoU."""
    store, project, gt, pred = rotated_project
    record = an.analyse(store, project, "preds")
    exact = rotated_box_iou(gt, pred)
    gt_ids = {r.annotation_id for r in an.outcome_page(
        store, record, kind="ground_truth", page_size=100).rows}  # fmt: skip
    position = {a: i for i, a in enumerate(sorted(gt_ids))}
    rows = an.outcome_page(store, record, page_size=100).rows
    dt_position = {a: i for i, a in enumerate(sorted(r.annotation_id for r in rows))}
    matched = [r for r in rows if r.partner_id is not None]
    assert len(matched) == len(gt)
    for row in matched:
        assert row.similarity == exact[position[row.partner_id], dt_position[row.annotation_id]]
