"""Confusion-matrix cells list exactly the objects they count, against a brute-force matrix;
class filters read names, feature hashes and positions by one rule."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
import pytest

from branchmark import analysis as an
from branchmark.analysis.pages import class_positions
from branchmark.errors import ValidationError
from branchmark.evaluation import confusion_matrix
from branchmark.store import Store, catalog
from branchmark.store.annotations import read_annotations
from tests.analysis.builders import build_project, random_boxes

N_IMAGES, N_CLASSES = 12, 3


def _objects(store: Store, project_id: int, branch: str) -> dict[str, np.ndarray]:
    with store.read() as conn:
        b = catalog.get_branch(conn, project_id, branch)
        cols = read_annotations(
            conn,
            branch_id=b.id,
            columns=("id", "data_unit_id", "feature_hash", "x", "y", "w", "h", "iscrowd",
                     "confidence"),
        )  # fmt: skip
    cols["class"] = np.array([int(h[3:]) for h in cols["feature_hash"]])
    return cols


def _iou(g: dict[str, np.ndarray], i: int, d: dict[str, np.ndarray], j: int) -> float:
    """pycocotools' bbIou for one pair, written out (crowd: intersection / prediction area)."""
    gx, gy, gw, gh = (float(g[k][i]) for k in "xywh")
    dx, dy, dw, dh = (float(d[k][j]) for k in "xywh")
    iw = min(gx + gw, dx + dw) - max(gx, dx)
    ih = min(gy + gh, dy + dh) - max(gy, dy)
    if iw <= 0 or ih <= 0:
        return 0.0
    inter = iw * ih
    union = dw * dh if g["iscrowd"][i] else dw * dh + gw * gh - inter
    return inter / union


def brute_force_cells(
    gt: dict[str, np.ndarray], dt: dict[str, np.ndarray], k: int, threshold: float = 0.5
) -> dict[tuple[int, int], set[int]]:
    """Annotation ids per (row, column) cell: class-agnostic greedy matching image by image,
    predictions by descending score (ties by id), each taking the best-IoU free non-crowd GT
    (a later GT wins an IoU tie, as COCOeval.evaluateImg), else a crowd GT, which absorbs it."""
    cells: dict[tuple[int, int], set[int]] = defaultdict(set)
    for unit in np.unique(np.concatenate([gt["data_unit_id"], dt["data_unit_id"]])):
        gs = [i for i in np.argsort(gt["id"]) if gt["data_unit_id"][i] == unit]
        gs = [i for i in gs if not gt["iscrowd"][i]] + [i for i in gs if gt["iscrowd"][i]]
        ds = sorted(
            (j for j in range(len(dt["id"])) if dt["data_unit_id"][j] == unit),
            key=lambda j: (-dt["confidence"][j], dt["id"][j]),
        )
        taken: set[int] = set()
        for j in ds:
            best, best_iou = None, min(threshold, 1 - 1e-10)
            for i in gs:
                if i in taken and not gt["iscrowd"][i]:
                    continue
                if best is not None and not gt["iscrowd"][best] and gt["iscrowd"][i]:
                    break
                value = _iou(gt, i, dt, j)
                if value >= best_iou:
                    best, best_iou = i, value
            if best is None:
                cells[(k, int(dt["class"][j]))].add(int(dt["id"][j]))
            elif not gt["iscrowd"][best]:
                taken.add(best)
                cells[(int(gt["class"][best]), int(dt["class"][j]))].add(int(dt["id"][j]))
        for i in gs:
            if i not in taken and not gt["iscrowd"][i]:
                cells[(int(gt["class"][i]), k)].add(int(gt["id"][i]))
    return cells


@pytest.fixture
def analysed(store: Store) -> Any:
    rng = np.random.default_rng(11)
    gt, pred = random_boxes(
        rng, n_images=N_IMAGES, n_gt=90, n_pred=400, n_classes=N_CLASSES, crowd_rate=0.08
    )
    project, _ = build_project(store, gt, pred, n_images=N_IMAGES, n_classes=N_CLASSES)
    record = an.analyse(store, project, "preds")
    return store, project, record


def _listed(store: Store, record: Any, row: str | int, column: str | int) -> tuple[int, set[int]]:
    ids: set[int] = set()
    page, total = 0, None
    while total is None or len(ids) < total:
        found = an.confusion_objects(store, record, row=row, column=column, page=page,
                                     page_size=7)  # fmt: skip
        total = found.total
        if not found.rows:
            break
        ids.update(r.annotation_id for r in found.rows)
        page += 1
    return int(total), ids


def test_every_cell_lists_exactly_what_it_counts(analysed: Any) -> None:
    store, project, record = analysed
    gt, dt = _objects(store, project.id, "main"), _objects(store, project.id, "preds")
    assert gt["iscrowd"].any(), "the data must exercise crowd absorption"
    expected = brute_force_cells(gt, dt, N_CLASSES)
    matrix = an.confusion(store, record)["matrix"]
    k = N_CLASSES
    assert sum(map(sum, matrix)) > 0 and any(matrix[i][j] for i in range(k) for j in range(k)
                                             if i != j)  # fmt: skip
    for r in range(k + 1):
        for c in range(k + 1):
            if r == k and c == k:
                continue
            row: str | int = "background" if r == k else r
            column: str | int = "missed" if c == k else c
            total, ids = _listed(store, record, row, column)
            assert total == matrix[r][c] == len(expected[(r, c)]), (r, c)
            assert ids == expected[(r, c)], (r, c)


def test_matrix_equals_the_evaluation_confusion_matrix(analysed: Any) -> None:
    """The stored matrix (counted from the kept pairs) equals evaluation.confusion_matrix fed
    with brute-force IoU matrices per image."""
    store, project, record = analysed
    gt, dt = _objects(store, project.id, "main"), _objects(store, project.id, "preds")
    sims, gcls, dcls, scores, crowd = [], [], [], [], []
    for unit in np.unique(np.concatenate([gt["data_unit_id"], dt["data_unit_id"]])):
        gs = [i for i in np.argsort(gt["id"]) if gt["data_unit_id"][i] == unit]
        ds = sorted((j for j in range(len(dt["id"])) if dt["data_unit_id"][j] == unit),
                    key=lambda j: (-dt["confidence"][j], dt["id"][j]))  # fmt: skip
        matrix = [[_iou(gt, i, dt, j) for j in ds] for i in gs]
        sims.append(np.array(matrix, dtype=float).reshape(len(gs), len(ds)))
        gcls.append(gt["class"][gs])
        dcls.append(dt["class"][ds])
        scores.append(dt["confidence"][ds])
        crowd.append(gt["iscrowd"][gs])
    oracle = confusion_matrix(sims, gt_classes=gcls, pred_classes=dcls, pred_scores=scores,
                              gt_crowd=crowd, classes=np.arange(N_CLASSES))  # fmt: skip
    assert an.confusion(store, record)["matrix"] == oracle.matrix.tolist()


def test_cell_rows_carry_the_confusion_partner(analysed: Any) -> None:
    store, project, record = analysed
    gt, dt = _objects(store, project.id, "main"), _objects(store, project.id, "preds")
    matrix = np.array(an.confusion(store, record)["matrix"])[:N_CLASSES, :N_CLASSES]
    np.fill_diagonal(matrix, 0)
    a, b = np.unravel_index(int(np.argmax(matrix)), matrix.shape)  # a wrong-class cell
    found = an.confusion_objects(store, record, row=int(a), column=f"class{b}", page_size=50)
    assert found.total and all(r.class_index == b and r.kind == "prediction" for r in found.rows)
    gt_class = dict(zip(gt["id"].tolist(), gt["class"].tolist(), strict=True))
    for r in found.rows:
        assert r.partner_id is not None and gt_class[r.partner_id] == a
        i = int(np.flatnonzero(gt["id"] == r.partner_id)[0])
        j = int(np.flatnonzero(dt["id"] == r.annotation_id)[0])
        assert r.similarity == pytest.approx(_iou(gt, i, dt, j), abs=1e-12)
        assert r.outcome == "fp"  # a wrong-class pair is never a per-class TP
    missed = an.confusion_objects(store, record, row="class2", column="missed")
    assert all(r.kind == "ground_truth" and r.partner_id is None for r in missed.rows)
    background = an.confusion_objects(store, record, row="background", column=2)
    assert all(r.partner_id is None and r.outcome == "fp" for r in background.rows)


def test_cell_arguments_are_checked(analysed: Any) -> None:
    store, _, record = analysed
    with pytest.raises(ValidationError, match="always empty"):
        an.confusion_objects(store, record, row="background", column="missed")
    with pytest.raises(ValidationError, match="nope"):
        an.confusion_objects(store, record, row="nope", column=0)
    with pytest.raises(ValidationError, match="outside"):
        an.confusion_objects(store, record, row=0, column=N_CLASSES)
    with pytest.raises(ValidationError, match="page"):
        an.confusion_objects(store, record, row=0, column=0, page=-1)
    beyond = an.confusion_objects(store, record, row=0, column=0, page=10_000)
    assert beyond.rows == () and beyond.total == an.confusion(store, record)["matrix"][0][0]


KNOWN = [
    {"index": 0, "feature_hash": "f0", "name": "cat", "shape": "bounding_box"},
    {"index": 1, "feature_hash": "f1", "name": "0", "shape": "bounding_box"},
    {"index": 2, "feature_hash": "f2", "name": "cat", "shape": "bounding_box"},
]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        pytest.param([1], [1], id="int-position"),
        pytest.param([np.int64(2)], [2], id="numpy-int-position"),
        pytest.param(["f2"], [2], id="feature-hash"),
        pytest.param(["cat"], [0, 2], id="shared-name-selects-all"),
        pytest.param(["2"], [2], id="digit-string-naming-no-class-is-a-position"),
        pytest.param(["0"], [1], id="digit-string-naming-a-class-is-that-class"),
        pytest.param([0], [0], id="int-is-always-a-position"),
    ],
)
def test_class_positions_rule(given: list[Any], expected: list[int]) -> None:
    assert class_positions(given, KNOWN) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        pytest.param(["dog"], "'dog' is not a class", id="unknown-name"),
        pytest.param([3], "position 3 is outside", id="int-out-of-range"),
        pytest.param(["7"], "position 7 is outside", id="digits-out-of-range"),
        pytest.param([-1], "position -1 is outside", id="negative"),
        pytest.param([True], "expected a class name", id="bool"),
        pytest.param([1.0], "expected a class name", id="float"),
    ],
)
def test_class_positions_refuse(given: list[Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        class_positions(given, KNOWN)


def test_outcome_page_reads_classes_by_the_same_rule(analysed: Any) -> None:
    store, _, record = analysed

    def total(classes: list[Any]) -> int:
        return an.outcome_page(store, record, outcome="fp", classes=classes, page_size=1).total

    assert total([1]) == total(["1"]) == total(["class1"]) == total(["cls00001"]) > 0
    assert total([0, "class2"]) == total([0]) + total([2])
