"""The analysis confusion matrix leaves out the GT the evaluation ignores, not only crowd GT.

One image of a person-keypoints project: two labelled GT (one found, one missed) and two plain
(non-crowd) GT without labelled points, which ``COCOeval._prepare`` ignores
(``num_keypoints == 0``).  One of those absorbs a prediction; a second prediction on it finds it
taken (it is not crowd, so it absorbs one, as ``COCOeval.evaluateImg`` lets it) and is
background.  The matrix is checked against a hand count and against
``evaluation.confusion_matrix`` with ``gt_ignored``, on pycocotools' OKS.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from branchmark import analysis as an
from branchmark.evaluation import confusion_matrix
from branchmark.geometry.keypoints import COCO_PERSON_KEYPOINTS
from branchmark.importers import import_coco_dataset, import_coco_results
from branchmark.store import Store, catalog

K = len(COCO_PERSON_KEYPOINTS)


def _points(rng: np.random.Generator, x: tuple[float, float], y: tuple[float, float]) -> Any:
    return np.column_stack([rng.uniform(*x, K), rng.uniform(*y, K)]).round(2)


def _files() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rng = np.random.default_rng(3)
    found = _points(rng, (20, 80), (130, 210))
    missed = _points(rng, (120, 160), (150, 200))

    def annotation(ann_id: int, bbox: list[float], points: Any = None) -> dict[str, Any]:
        """A plain (non-crowd) GT; without points, all keypoints 0 and ``num_keypoints`` 0."""
        keypoints = [0] * (3 * K) if points is None else np.column_stack([points, np.full(K, 2)])
        return {
            "id": ann_id,
            "image_id": 1,
            "category_id": 1,
            "bbox": bbox,
            "area": bbox[2] * bbox[3],
            "iscrowd": 0,
            "keypoints": np.ravel(keypoints).tolist(),
            "num_keypoints": 0 if points is None else K,
        }

    annotations = [
        annotation(1, [15.0, 125.0, 70.0, 90.0], found),
        annotation(2, [200.0, 20.0, 30.0, 40.0]),  # OKS 1 inside x 170..260, y -20..100
        annotation(3, [270.0, 160.0, 15.0, 20.0]),  # nothing near it
        annotation(4, [115.0, 145.0, 50.0, 60.0], missed),
    ]
    predictions = [
        (found + rng.normal(0, 2, (K, 2)), 0.9),  # matches GT 1
        (_points(rng, (180, 250), (0, 90)), 0.8),  # absorbed by GT 2
        (_points(rng, (20, 90), (10, 60)), 0.7),  # near nothing: background
        (_points(rng, (180, 250), (0, 90)), 0.6),  # GT 2 is taken: background
    ]
    results = [
        {"image_id": 1, "category_id": 1, "score": score,
         "keypoints": np.column_stack([xy.round(2), np.ones(K)]).ravel().tolist()}
        for xy, score in predictions
    ]  # fmt: skip
    dataset = {
        "images": [{"id": 1, "file_name": "1.jpg", "width": 320, "height": 240}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person", "keypoints": list(COCO_PERSON_KEYPOINTS)}],
    }
    return dataset, results


def _coco_oks(dataset: dict[str, Any], results: list[dict[str, Any]]) -> np.ndarray:
    """``(G, D)`` computeOks of the image: GT in file order, predictions by descending score."""
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iouType="keypoints")
        ev.evaluate()
    return np.asarray(ev.ious[(1, 1)]).T


def test_confusion_matrix_leaves_out_gt_without_keypoints(store: Store, tmp_path: Path) -> None:
    dataset, results = _files()
    oks = _coco_oks(dataset, results)
    # The premise, on pycocotools' OKS (results are already in score order): the pairs meant to
    # match pass 0.5 and every other pair does not.
    meant = np.zeros((4, 4), bool)
    meant[0, 0] = meant[1, 1] = meant[1, 3] = True
    assert (oks[meant] > 0.5).all() and (oks[~meant] < 0.5).all()
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    import_coco_dataset(store, tmp_path / "gt.json", project="p")
    import_coco_results(store, tmp_path / "dt.json", project="p", branch="m")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
    record = an.analyse(store, project, "m")

    # By hand: (person, person) GT 1 with its prediction; (person, missed) GT 4 only (GT 3 is
    # ignored); background the predictions of 0.7 and 0.6; the one GT 2 absorbs counts nowhere.
    expected = [[1, 1], [2, 0]]
    assert an.confusion(store, record)["matrix"] == expected
    oracle = confusion_matrix(
        [oks],
        gt_classes=[[0] * 4],
        pred_classes=[[0] * 4],
        pred_scores=[[r["score"] for r in results]],
        gt_ignored=[[a["num_keypoints"] == 0 for a in dataset["annotations"]]],
    )
    assert oracle.matrix.tolist() == expected
    # The cells list exactly what they count.
    missed = an.confusion_objects(store, record, row="person", column="missed")
    background = an.confusion_objects(store, record, row="background", column="person")
    diagonal = an.confusion_objects(store, record, row="person", column="person")
    assert (missed.total, background.total, diagonal.total) == (1, 2, 1)
    assert sorted(r.score for r in background.rows) == [0.6, 0.7]
    gt_ids = sorted(
        r.annotation_id
        for r in an.outcome_page(store, record, kind="ground_truth", page_size=10).rows
    )
    assert missed.rows[0].annotation_id == gt_ids[3]  # the labelled GT of file id 4
