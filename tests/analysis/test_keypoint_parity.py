"""A keypoint analysis from the store gives pycocotools' COCOeval (iouType keypoints) numbers to
the last bit, including for ground truth without labelled points.

computeOks measures a prediction against such a GT by its distance to the region
``x - w .. x + 2 w`` (and likewise in ``y``) of the COCO ``bbox``.  The boxes below are chosen so
that ``(x + w) - x != w`` in float64: any ``xywh -> xyxy -> xywh`` round trip on the way to the
OKS kernel changes that region, and the OKS, in the last bit.

The unlabelled GT (keypoints all 0, ``num_keypoints`` 0) are a crowd region, as COCO's own crowd
annotations are, and a plain GT, which ``COCOeval._prepare`` ignores too: the analysis must
ignore both.  The OKS of every pair with them is still computed and compared, and the
predictions they absorb carry it as their partner similarity.  The real keypoints fixture of
faster_coco_eval (two plain GT without points) is checked the same way at the end.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from branchmark import analysis as an
from branchmark.analysis.compute import load_inputs
from branchmark.analysis.pairs import image_pairs
from branchmark.evaluation import ANALYSIS_IOU_THRESHOLDS
from branchmark.geometry.keypoints import COCO_PERSON_KEYPOINTS, COCO_PERSON_SIGMAS, compute_oks
from branchmark.importers import import_coco_dataset, import_coco_results
from branchmark.store import Store, catalog
from tests.conftest import COCO_FIXTURES

K = len(COCO_PERSON_KEYPOINTS)
#: Unlabelled GT boxes ``x, y, w, h``: neither ``x + w - x`` nor ``y + h - y`` gives back w, h.
UNLABELLED_BOXES = [(100.1, 50.3, 30.7, 60.9), (180.3, 20.1, 40.1, 50.7)]
UNLABELLED_CROWD = [1, 0]
N_IMAGES = 3


def _round_trips(x: float, w: float) -> bool:
    return (x + w) - x == w


def _coco_files() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A person-keypoints dataset (images in id order, annotations and results grouped by
    image, so store ids follow file order) and its results."""
    rng = np.random.default_rng(11)
    images = [
        {"id": i + 1, "file_name": f"{i + 1}.jpg", "width": 320, "height": 240}
        for i in range(N_IMAGES)
    ]
    annotations: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for image in images:
        labelled = []
        for (x, y, w, h), crowd in zip(UNLABELLED_BOXES, UNLABELLED_CROWD, strict=True):
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image["id"], "category_id": 1,
                 "bbox": [x, y, w, h], "area": round(w * h, 2), "iscrowd": crowd,
                 "keypoints": [0] * (3 * K), "num_keypoints": 0}
            )  # fmt: skip
            for _ in range(3):  # points inside and outside the grown box
                px = rng.uniform(x - w - 12, x + 2 * w + 12, K)
                py = rng.uniform(y - h - 12, y + 2 * h + 12, K)
                labelled.append(np.column_stack([px, py]))
        points = np.column_stack([rng.uniform(20, 80, K), rng.uniform(130, 210, K)]).round(2)
        visibility = rng.integers(0, 3, K)
        visibility[0] = 2
        annotations.append(
            {"id": len(annotations) + 1, "image_id": image["id"], "category_id": 1,
             "bbox": [15.0, 125.0, 70.0, 90.0], "area": 5200.0, "iscrowd": 0,
             "keypoints": np.column_stack([points, visibility]).ravel().tolist(),
             "num_keypoints": int((visibility > 0).sum())}
        )  # fmt: skip
        for _ in range(3):
            labelled.append(points + rng.normal(0, 4, (K, 2)))
        for xy in labelled:
            results.append(
                {"image_id": image["id"], "category_id": 1,
                 "keypoints": np.column_stack([xy.round(2), np.ones(K)]).ravel().tolist(),
                 "score": round(float(rng.uniform(0.05, 1.0)), 3)}
            )  # fmt: skip
    dataset = {
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": 1, "name": "person", "supercategory": "person",
             "keypoints": list(COCO_PERSON_KEYPOINTS), "skeleton": [[16, 14], [14, 12]]}
        ],
    }  # fmt: skip
    return dataset, results


def _cocoeval(
    dataset: dict[str, Any],
    results: list[dict[str, Any]],
    *,
    iou_thrs: np.ndarray | None = None,
    max_dets: int | None = None,
) -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iouType="keypoints")
        if iou_thrs is not None:
            ev.params.iouThrs = iou_thrs
        if max_dets is not None:
            ev.params.maxDets = [max_dets]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


@pytest.fixture
def analysed(store: Store, tmp_path: Path):
    dataset, results = _coco_files()
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    import_coco_dataset(store, tmp_path / "gt.json", project="p")
    import_coco_results(store, tmp_path / "dt.json", project="p", branch="m")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
    record = an.analyse(store, project, "m")
    return store, project, record, dataset, _cocoeval(dataset, results)


def test_unlabelled_boxes_do_not_round_trip_and_the_oracle_tells() -> None:
    """The premise: the boxes do not survive xyxy, and OKS from the xyxy box (the geometry
    ``compute_oks`` form) differs from computeOks for some pair, so the comparisons below can
    fail on a round trip."""
    for x, y, w, h in UNLABELLED_BOXES:
        assert not _round_trips(x, w) and not _round_trips(y, h)
    dataset, results = _coco_files()
    ev = _cocoeval(dataset, results)
    differs = False
    for image in dataset["images"]:
        gts = [a for a in dataset["annotations"] if a["image_id"] == image["id"]]
        dts = [r for r in results if r["image_id"] == image["id"]]
        dts = [dts[i] for i in np.argsort([-d["score"] for d in dts], kind="mergesort")]
        xyxy = [[x, y, x + w, y + h] for x, y, w, h in (g["bbox"] for g in gts)]
        ours = compute_oks(
            np.array([g["keypoints"] for g in gts], float).reshape(-1, K, 3),
            np.array([d["keypoints"] for d in dts], float).reshape(-1, K, 3),
            gt_areas=[g["area"] for g in gts], gt_boxes=xyxy, sigmas=COCO_PERSON_SIGMAS,
        )  # fmt: skip
        differs |= not np.array_equal(ours.T, ev.ious[(image["id"], 1)])
    assert differs


def test_pair_oks_equals_compute_oks(analysed) -> None:
    """Every (GT, prediction) OKS the analysis computes from the store, unlabelled GT included,
    equals COCOeval.computeOks exactly."""
    store, project, _, dataset, ev = analysed
    with store.read() as conn:
        inputs = load_inputs(conn, project_id=project.id, branch="m", ground_truth="main")
    pairs = image_pairs(
        inputs.gt, inputs.dt, n_images=len(inputs.image_keys), image_sizes=inputs.image_sizes
    )
    assert len(inputs.image_keys) == N_IMAGES
    for i, matrix in enumerate(pairs.image_matrices()):
        # Analysis: GT in id order x predictions by score (ties in id order); computeOks:
        # predictions by score (stable) x GT in file order.  Both files are in store order.
        assert_array_equal(matrix.T, ev.ious[(dataset["images"][i]["id"], 1)])


def test_stored_matches_and_stats_equal_cocoeval(analysed) -> None:
    """Per prediction at each COCO threshold: outcome, partner and partner OKS as evaluateImg
    (area all); the 12 stats and the precision array equal COCOeval's exactly."""
    store, _, record, dataset, ev = analysed
    file_name = {image["id"]: image["file_name"] for image in dataset["images"]}
    # Store ids follow file order (both files are grouped by image); loadRes numbers results
    # from 1 in file order.  The image of every object checks the correspondence.
    gt_rows = an.outcome_page(store, record, kind="ground_truth", page_size=1000).rows
    gt_by_id = dict(
        zip(sorted(r.annotation_id for r in gt_rows), dataset["annotations"], strict=True)
    )
    assert all(r.data_title == file_name[gt_by_id[r.annotation_id]["image_id"]] for r in gt_rows)
    rows = an.outcome_page(store, record, page_size=1000).rows
    dt_ids = sorted(r.annotation_id for r in rows)
    coco_dt = {d: i + 1 for i, d in enumerate(dt_ids)}
    assert len(dt_ids) == len(ev.cocoDt.anns)
    assert all(
        r.data_title == file_name[ev.cocoDt.anns[coco_dt[r.annotation_id]]["image_id"]]
        for r in rows
    )
    evaluated = {(e["image_id"], tuple(e["aRng"])): e for e in ev.evalImgs if e is not None}
    assert len(evaluated) == len(ev.params.areaRng) * N_IMAGES
    absorbed = {0: 0, 1: 0}  # predictions ignored with an unlabelled GT, by its crowd flag
    for t, threshold in enumerate(ev.params.iouThrs):
        rows = an.outcome_page(store, record, iou_threshold=float(threshold), page_size=1000).rows
        assert len(rows) == len(dt_ids)
        for row in rows:
            gt = gt_by_id[row.partner_id] if row.partner_id is not None else None
            image = ev.cocoDt.anns[coco_dt[row.annotation_id]]["image_id"]
            e = evaluated[(image, tuple(ev.params.areaRng[0]))]
            d = e["dtIds"].index(coco_dt[row.annotation_id])
            matched = int(e["dtMatches"][t, d])
            expected = "ignored" if e["dtIgnore"][t, d] else ("tp" if matched else "fp")
            assert (row.outcome, gt["id"] if gt else 0) == (expected, matched)
            if gt is not None:  # computeOks' columns are the image's GT in file order
                g = [a["id"] for a in ev.cocoGt.imgToAnns[image]].index(gt["id"])
                assert row.similarity == ev.ious[(image, 1)][d, g]
                if gt["num_keypoints"] == 0:
                    assert row.outcome == "ignored"
                    absorbed[gt["iscrowd"]] += 1
    assert min(absorbed.values()) > 0  # predictions absorbed by unlabelled GT carry their OKS
    assert record.summary["coco"]["coco_stats"] == ev.stats.tolist()
    theirs = np.where(ev.eval["precision"] < 0, np.nan, ev.eval["precision"])
    assert_array_equal(an.pr_arrays(store, record)["precision"], theirs)


# --- The real keypoints fixture: GT without labelled points that is not crowd --------------------

REAL = COCO_FIXTURES / "faster_coco_eval" / "tests" / "keypoints_dataset"


def _real_files() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    dataset = json.loads((REAL / "gt_dataset.json").read_text())
    return dataset, json.loads((REAL / "dt_dataset.json").read_text())


def _unlabelled(dataset: dict[str, Any]) -> list[int]:
    """Ids of the non-crowd GT that COCOeval._prepare ignores for ``num_keypoints == 0``."""
    return [a["id"] for a in dataset["annotations"] if a["num_keypoints"] == 0 and not a["iscrowd"]]


@pytest.fixture
def real_analysed(store: Store):
    dataset, results = _real_files()
    import_coco_dataset(store, REAL / "gt_dataset.json", project="p")
    import_coco_results(store, REAL / "dt_dataset.json", project="p", branch="m")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
        inputs = load_inputs(conn, project_id=project.id, branch="m", ground_truth="main")
    # Store ids follow file order (one image): the boxes check it on both sides.
    gt_ids, dt_ids = np.sort(inputs.gt.annotation_id), np.sort(inputs.dt.annotation_id)
    by_id = np.argsort(inputs.gt.annotation_id), np.argsort(inputs.dt.annotation_id)
    assert_array_equal(inputs.gt.box_xywh[by_id[0]], [a["bbox"] for a in dataset["annotations"]])
    assert_array_equal(inputs.dt.box_xywh[by_id[1]], [r["bbox"] for r in results])
    gt_of = dict(zip(gt_ids.tolist(), dataset["annotations"], strict=True))
    coco_dt = {int(d): i + 1 for i, d in enumerate(dt_ids)}  # loadRes numbers from 1
    record = an.analyse(store, project, "m")
    return store, record, dataset, results, gt_of, coco_dt


def test_real_fixture_has_non_crowd_gt_without_keypoints() -> None:
    """The premise: pycocotools ignores GT the crowd flag alone does not."""
    dataset, _ = _real_files()
    assert len(_unlabelled(dataset)) == 2
    assert all(
        not any(a["keypoints"][2::3]) for a in dataset["annotations"] if a["num_keypoints"] == 0
    )


def test_real_stats_equal_cocoeval(real_analysed) -> None:
    """Every COCO keypoint stat (pycocotools summarises 10 for keypoints) and the precision
    array of the stored analysis equal COCOeval(iouType='keypoints') exactly."""
    store, record, dataset, results, _, _ = real_analysed
    ev = _cocoeval(dataset, results)
    assert len(ev.stats) == 10
    assert record.summary["coco"]["coco_stats"] == ev.stats.tolist()
    theirs = np.where(ev.eval["precision"] < 0, np.nan, ev.eval["precision"])
    assert_array_equal(an.pr_arrays(store, record)["precision"], theirs)


def test_real_outcomes_equal_evaluateimg_on_the_grid(real_analysed) -> None:
    """Per object at every grid threshold: the stored outcome and partner equal
    COCOeval.evaluateImg's on the same grid with no maxDets cap (area all); the non-crowd GT
    without labelled points are ``ignored`` at every threshold, as crowd GT are."""
    store, record, dataset, results, gt_of, coco_dt = real_analysed
    ev = _cocoeval(dataset, results, iou_thrs=ANALYSIS_IOU_THRESHOLDS, max_dets=len(results))
    (e,) = [e for e in ev.evalImgs if e is not None and e["aRng"] == ev.params.areaRng[0]]
    unlabelled = _unlabelled(dataset)
    for t, threshold in enumerate(ANALYSIS_IOU_THRESHOLDS):
        gt_rows = an.outcome_page(
            store, record, kind="ground_truth", iou_threshold=float(threshold), page_size=1000
        ).rows
        assert len(gt_rows) == len(dataset["annotations"])
        for row in gt_rows:
            coco_id = gt_of[row.annotation_id]["id"]
            g = e["gtIds"].index(coco_id)
            matched = int(e["gtMatches"][t, g])
            expected = "ignored" if e["gtIgnore"][g] else ("tp" if matched else "fn")
            assert row.outcome == expected, (threshold, coco_id)
            if coco_id in unlabelled:
                assert row.outcome == "ignored"
        dt_rows = an.outcome_page(
            store, record, iou_threshold=float(threshold), page_size=1000
        ).rows
        assert len(dt_rows) == len(results)
        for row in dt_rows:
            d = e["dtIds"].index(coco_dt[row.annotation_id])
            matched = int(e["dtMatches"][t, d])
            expected = "ignored" if e["dtIgnore"][t, d] else ("tp" if matched else "fp")
            partner = gt_of[row.partner_id]["id"] if row.partner_id is not None else 0
            assert (row.outcome, partner) == (expected, matched), (threshold, row.annotation_id)


def test_num_keypoints_decides_not_the_visibilities(store: Store, tmp_path: Path) -> None:
    """COCOeval._prepare ignores a GT by its ``num_keypoints`` field: a GT whose points are
    labelled but whose field says 0 is ignored, one without labelled points whose field says 3 is
    not (its OKS is still measured to the grown box).  The stored analysis follows the field."""
    rng = np.random.default_rng(5)
    images = [{"id": 1, "file_name": "1.jpg", "width": 320, "height": 240}]
    labelled = np.column_stack(
        [rng.uniform(20, 80, K).round(2), rng.uniform(130, 210, K).round(2), np.full(K, 2)]
    )
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [15.0, 125.0, 70.0, 90.0],
         "area": 5200.0, "iscrowd": 0, "keypoints": labelled.ravel().tolist(), "num_keypoints": 0},
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [180.3, 20.1, 40.1, 50.7],
         "area": 2033.07, "iscrowd": 0, "keypoints": [0] * (3 * K), "num_keypoints": 3},
    ]  # fmt: skip
    points = [labelled[:, :2] + rng.normal(0, 3, (K, 2)) for _ in range(2)]
    points += [
        np.column_stack([rng.uniform(170, 230, K), rng.uniform(10, 80, K)]) for _ in range(2)
    ]
    results = [
        {"image_id": 1, "category_id": 1, "score": score,
         "keypoints": np.column_stack([xy.round(2), np.ones(K)]).ravel().tolist()}
        for xy, score in zip(points, [0.9, 0.8, 0.7, 0.6], strict=True)
    ]  # fmt: skip
    dataset = {
        "images": images,
        "annotations": annotations,
        "categories": [{"id": 1, "name": "person", "keypoints": list(COCO_PERSON_KEYPOINTS)}],
    }
    (tmp_path / "gt.json").write_text(json.dumps(dataset))
    (tmp_path / "dt.json").write_text(json.dumps(results))
    import_coco_dataset(store, tmp_path / "gt.json", project="p")
    import_coco_results(store, tmp_path / "dt.json", project="p", branch="m")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
    record = an.analyse(store, project, "m")
    ev = _cocoeval(dataset, results)
    assert ev.stats[0] > 0  # the GT with the field 3 is found
    assert record.summary["coco"]["coco_stats"] == ev.stats.tolist()
    outcome = {
        r.annotation_id: r.outcome
        for r in an.outcome_page(store, record, kind="ground_truth", page_size=10).rows
    }
    assert [outcome[i] for i in sorted(outcome)] == ["ignored", "tp"]
