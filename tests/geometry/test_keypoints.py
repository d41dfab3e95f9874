"""OKS against pycocotools' ``COCOeval.computeOks``; point similarity against its formula."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from branchmark.geometry.keypoints import (
    COCO_PERSON_KEYPOINTS,
    COCO_PERSON_SIGMAS,
    compute_oks,
    point_similarity,
    select_keypoint_sigmas,
)


def pycocotools_oks(gt_kp, gt_boxes_xywh, gt_areas, dt_kp):
    """(N_gt, N_pred) OKS from pycocotools, for 17-point persons on one image."""
    images = [{"id": 1, "width": 640, "height": 480}]
    anns = [
        {
            "id": i + 1, "image_id": 1, "category_id": 1, "iscrowd": 0,
            "keypoints": gt_kp[i].ravel().tolist(),
            "num_keypoints": int((gt_kp[i, :, 2] > 0).sum()),
            "bbox": list(gt_boxes_xywh[i]), "area": float(gt_areas[i]),
        }
        for i in range(len(gt_kp))
    ]  # fmt: skip
    dataset = {
        "images": images,
        "annotations": anns,
        "categories": [{"id": 1, "name": "person", "keypoints": list(COCO_PERSON_KEYPOINTS)}],
    }
    scores = np.linspace(0.99, 0.5, len(dt_kp))  # distinct and descending: computeOks keeps order
    results = [
        {
            "image_id": 1,
            "category_id": 1,
            "keypoints": np.c_[dt_kp[j], np.ones(17)].ravel().tolist(),
            "score": float(scores[j]),
        }
        for j in range(len(dt_kp))
    ]
    with contextlib.redirect_stdout(io.StringIO()):
        coco_gt = COCO()
        coco_gt.dataset = dataset
        coco_gt.createIndex()
        coco_dt = coco_gt.loadRes(results)
        ev = COCOeval(coco_gt, coco_dt, iouType="keypoints")
        ev.params.imgIds = [1]
        ev._prepare()
        ious = ev.computeOks(1, 1)
    return np.asarray(ious, dtype=np.float64).T


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_gt=st.integers(1, 4), n_dt=st.integers(1, 5))
def test_oks_equals_pycocotools(seed, n_gt, n_dt):
    rng = np.random.default_rng(seed)
    boxes = np.c_[rng.uniform(0, 300, (n_gt, 2)), rng.uniform(5, 200, (n_gt, 2))]  # xywh
    gt = np.zeros((n_gt, 17, 3))
    gt[:, :, :2] = boxes[:, None, :2] + rng.uniform(0, 1, (n_gt, 17, 2)) * boxes[:, None, 2:]
    gt[:, :, 2] = rng.choice([0, 1, 2], size=(n_gt, 17))
    gt[0, :, 2] = 0  # one GT without any labelled point: the enlarged-box branch
    areas = boxes[:, 2] * boxes[:, 3] * rng.uniform(0.3, 1.0, n_gt)
    dt = gt[rng.integers(0, n_gt, n_dt), :, :2] + rng.normal(0, 8, (n_dt, 17, 2))
    dt[0] = rng.uniform(-400, 900, (17, 2))  # far away points, partly outside the enlarged box
    xyxy = np.c_[boxes[:, :2], boxes[:, :2] + boxes[:, 2:]]
    ours = compute_oks(gt, dt, gt_areas=areas, gt_boxes=xyxy, sigmas=COCO_PERSON_SIGMAS)
    assert ours.shape == (n_gt, n_dt)
    assert_allclose(ours, pycocotools_oks(gt, boxes, areas, dt), rtol=1e-12, atol=1e-15)
    assert np.all((ours >= 0) & (ours <= 1))


def test_oks_hand_computed_and_visibility():
    # Two points, sigma 0.1 each: var = (2 * 0.1)^2 = 0.04; area 100.
    gt = np.array([[[0.0, 0.0, 2.0], [10.0, 0.0, 0.0]]])
    pred = np.array([[[3.0, 4.0], [500.0, 500.0]]])  # the second point is not labelled: ignored
    oks = compute_oks(gt, pred, gt_areas=[100.0], gt_boxes=[[0, 0, 10, 1]], sigmas=[0.1, 0.1])
    expected = np.exp(-25.0 / 0.04 / (100.0 + np.spacing(1)) / 2.0)
    assert_allclose(oks, [[expected]], rtol=1e-14)
    # Prediction visibility is ignored, as in pycocotools.
    pred3 = np.concatenate([pred, np.zeros((1, 2, 1))], axis=2)
    assert_allclose(
        compute_oks(gt, pred3, gt_areas=[100.0], gt_boxes=[[0, 0, 10, 1]], sigmas=[0.1, 0.1]), oks
    )


def test_oks_is_gt_scaled_not_symmetric():
    a = np.array([[[0.0, 0.0, 2.0]]])
    b = np.array([[[6.0, 0.0, 2.0]]])
    ab = compute_oks(a, b[:, :, :2], gt_areas=[400.0], gt_boxes=[[0, 0, 20, 20]], sigmas=[0.1])
    ba = compute_oks(b, a[:, :, :2], gt_areas=[25.0], gt_boxes=[[0, 0, 5, 5]], sigmas=[0.1])
    assert ab[0, 0] > ba[0, 0]


@pytest.mark.parametrize(
    ("n_gt", "n_pred"),
    [
        pytest.param(0, 0, id="empty"),
        pytest.param(2, 0, id="gt-only"),
        pytest.param(0, 3, id="pred-only"),
    ],
)
def test_oks_empty_shapes(n_gt, n_pred):
    out = compute_oks(
        np.zeros((n_gt, 3, 3)),
        np.zeros((n_pred, 3, 2)),
        gt_areas=np.ones(n_gt),
        gt_boxes=np.zeros((n_gt, 4)),
        sigmas=[0.1, 0.1, 0.1],
    )
    assert out.shape == (n_gt, n_pred)
    assert out.dtype == np.float64


def test_oks_bad_shapes_name_expected_and_actual():
    with pytest.raises(
        ValueError, match=r"gt_keypoints: expected shape \(N, 2, 3\), got \(1, 3, 3\)"
    ):
        compute_oks(
            np.zeros((1, 3, 3)),
            np.zeros((1, 2, 2)),
            gt_areas=[1.0],
            gt_boxes=[[0, 0, 1, 1]],
            sigmas=[0.1, 0.1],
        )
    with pytest.raises(ValueError, match=r"pred_keypoints: expected shape \(N_pred, 2, 2 or 3\)"):
        compute_oks(
            np.zeros((1, 2, 3)),
            np.zeros((1, 3, 2)),
            gt_areas=[1.0],
            gt_boxes=[[0, 0, 1, 1]],
            sigmas=[0.1, 0.1],
        )
    with pytest.raises(ValueError, match=r"gt_areas: expected shape \(1,\), got \(2,\)"):
        compute_oks(
            np.zeros((1, 2, 3)),
            np.zeros((1, 2, 2)),
            gt_areas=[1.0, 2.0],
            gt_boxes=[[0, 0, 1, 1]],
            sigmas=[0.1, 0.1],
        )


def test_select_sigmas_coco_person_in_any_order():
    names = [n.replace("_", " ").title() for n in reversed(COCO_PERSON_KEYPOINTS)]
    assert_allclose(select_keypoint_sigmas(names), COCO_PERSON_SIGMAS[::-1])
    assert_allclose(select_keypoint_sigmas(["a", "b", "c", "d"]), [0.25] * 4)
    with pytest.raises(ValueError, match="at least one point"):
        select_keypoint_sigmas([])


points = st.tuples(st.floats(-1e4, 1e4), st.floats(-1e4, 1e4))


@given(
    a=st.lists(points, min_size=0, max_size=4),
    b=st.lists(points, min_size=0, max_size=4),
    kappa=st.floats(0.01, 0.5),
)
def test_point_similarity_properties(a, b, kappa):
    pa, pb = np.array(a, dtype=float).reshape(-1, 2), np.array(b, dtype=float).reshape(-1, 2)
    ab = point_similarity(pa, pb, frame_size=(640, 480), kappa=kappa)
    assert ab.shape == (len(a), len(b))
    assert np.all((ab >= 0) & (ab <= 1))
    assert_allclose(ab, point_similarity(pb, pa, frame_size=(640, 480), kappa=kappa).T)
    assert_allclose(np.diag(point_similarity(pa, pa, frame_size=(640, 480), kappa=kappa)), 1.0)


def test_point_similarity_hand_computed():
    # s = 500 (300-400-500 frame), kappa 0.05 -> kappa*s = 25; d = 25 -> exp(-1/2).
    out = point_similarity([[10, 10]], [[10, 35], [10, 10]], frame_size=(300, 400))
    assert_allclose(out, [[np.exp(-0.5), 1.0]])
    with pytest.raises(ValueError, match="must be positive"):
        point_similarity([[0, 0]], [[0, 0]], frame_size=(0, 0))
    with pytest.raises(ValueError, match=r"pred_points: expected shape \(N, 2\), got \(2,\)"):
        point_similarity([[0, 0]], [0, 0], frame_size=(1, 1))
