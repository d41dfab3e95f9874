"""OKS against pycocotools' ``COCOeval.computeOks``; point similarity against its formula."""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from pycocotools.cocoeval import Params as PyCocoParams

from branchmark.geometry.keypoints import (
    COCO_PERSON_KEYPOINTS,
    COCO_PERSON_SIGMAS,
    compute_oks,
    compute_oks_pairs,
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
    # compute_oks sees xyxy: its COCO bbox is (x0, y0, x1 - x0, y1 - y0).
    bbox = np.c_[xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]
    assert_array_equal(ours, pycocotools_oks(gt, bbox, areas, dt))
    assert np.all((ours >= 0) & (ours <= 1))


def compute_oks_reference(gt_kp, gt_boxes_xywh, gt_areas, dt_kp, sigmas):
    """``COCOeval.computeOks`` itself with custom ``kpt_oks_sigmas``: ``(N_gt, N_pred)``."""
    ev = COCOeval(iouType="keypoints")
    ev.params = PyCocoParams(iouType="keypoints")
    ev.params.kpt_oks_sigmas = np.asarray(sigmas, dtype=np.float64)
    ev.params.maxDets = [len(dt_kp)]
    ev._gts, ev._dts = defaultdict(list), defaultdict(list)
    ev._gts[1, 1] = [
        {"keypoints": gt_kp[i].ravel().tolist(), "bbox": [float(v) for v in gt_boxes_xywh[i]],
         "area": float(gt_areas[i])}
        for i in range(len(gt_kp))
    ]  # fmt: skip
    # Distinct descending scores: computeOks keeps the detections in input order.
    ev._dts[1, 1] = [
        {"keypoints": np.c_[dt_kp[j][:, :2], np.ones(len(sigmas))].ravel().tolist(),
         "score": 1.0 - j / (len(dt_kp) + 1)}
        for j in range(len(dt_kp))
    ]  # fmt: skip
    return np.asarray(ev.computeOks(1, 1), dtype=np.float64).reshape(len(dt_kp), len(gt_kp)).T


def random_keypoint_case(rng, n_gt, n_dt, k):
    """GT with visibility 0/1/2, some without labelled points, some of zero area; decimal
    ``xywh`` boxes (``(x + w) - x`` is often not ``w``); custom sigmas."""
    boxes = rng.uniform(0, 80, (n_gt, 4)).round(1) + [0.1, 0.2, 0.3, 0.7]
    gt = np.zeros((n_gt, k, 3))
    gt[:, :, :2] = boxes[:, None, :2] + rng.uniform(0, 1, (n_gt, k, 2)) * boxes[:, None, 2:]
    gt[:, :, 2] = rng.choice([0, 1, 2], size=(n_gt, k), p=[0.4, 0.2, 0.4])
    gt[rng.random(n_gt) < 0.3, :, 2] = 0  # no labelled point: the enlarged-box branch
    gt[gt[:, :, 2] == 0, :2] = 0.0  # as COCO stores unlabelled points
    areas = boxes[:, 2] * boxes[:, 3] * rng.uniform(0.3, 1.0, n_gt)
    areas[rng.random(n_gt) < 0.2] = 0.0  # zero area: only exact hits score
    dt = np.zeros((n_dt, k, 3))
    for j in range(n_dt):
        if rng.random() < 0.7:
            source = boxes[j % n_gt]
            dt[j, :, :2] = gt[j % n_gt, :, :2] + rng.normal(0, rng.choice([0.5, 3, 20]), (k, 2))
            if rng.random() < 0.2:
                dt[j, :, :2] = gt[j % n_gt, :, :2]  # exact hit, also on zero-area GT
            dt[j, rng.random(k) < 0.3, :2] = source[:2] + source[2:] * 2.5  # outside the region
        else:
            dt[j, :, :2] = rng.uniform(-100, 250, (k, 2))
    dt[:, :, 2] = rng.choice([0, 1, 2], size=(n_dt, k))  # ignored, as in pycocotools
    sigmas = rng.uniform(0.02, 1.2, k)
    return gt, dt, areas, boxes, sigmas


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_gt=st.integers(1, 6),
    n_dt=st.integers(1, 8),
    k=st.sampled_from([1, 2, 5, 8, 9, 17, 23]),
)
def test_oks_pairs_and_matrix_equal_compute_oks_bit_for_bit(seed, n_gt, n_dt, k):
    rng = np.random.default_rng(seed)
    gt, dt, areas, boxes, sigmas = random_keypoint_case(rng, n_gt, n_dt, k)
    expected = compute_oks_reference(gt, boxes, areas, dt, sigmas)
    gi, di = (i.ravel() for i in np.meshgrid(np.arange(n_gt), np.arange(n_dt), indexing="ij"))
    pairs = compute_oks_pairs(gt, dt, gi, di, gt_areas=areas, gt_boxes_xywh=boxes, sigmas=sigmas)
    assert_array_equal(pairs.reshape(n_gt, n_dt), expected)

    # The matrix form sees xyxy boxes; its oracle gets the bbox those boxes stand for.
    xyxy = np.c_[boxes[:, :2], boxes[:, :2] + boxes[:, 2:]]
    bbox = np.c_[xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]
    matrix = compute_oks(gt, dt[:, :, :2], gt_areas=areas, gt_boxes=xyxy, sigmas=sigmas)
    assert_array_equal(matrix, compute_oks_reference(gt, bbox, areas, dt, sigmas))
    # ... and equals the pair form on the same boxes, in any pair order and with repeats.
    order = rng.permutation(np.r_[np.arange(n_gt * n_dt), rng.integers(0, n_gt * n_dt, 5)])
    assert_array_equal(
        compute_oks_pairs(gt, dt, gi[order], di[order], gt_areas=areas, gt_boxes_xywh=bbox,
                          sigmas=sigmas),
        matrix.ravel()[order],
    )  # fmt: skip
    assert np.all((matrix >= 0) & (matrix <= 1))


def test_oks_data_exposes_padded_sums_and_box_rounding():
    """The cases above are ones where the shortcuts this module once took differ from
    computeOks in the last bit, so the bit-exact tests can fail."""
    rng = np.random.default_rng(7)
    gt, dt, areas, boxes, sigmas = random_keypoint_case(rng, 40, 40, 17)
    expected = compute_oks_reference(gt, boxes, areas, dt, sigmas)
    # Zero-padded sum over all K points instead of the sum over the labelled ones.
    dx, dy = (dt[None, :, :, i] - gt[:, None, :, i] for i in (0, 1))
    d2 = dx**2 + dy**2
    e = d2 / (sigmas * 2) ** 2 / (areas[:, None, None] + np.spacing(1)) / 2
    visible = (gt[:, :, 2] > 0)[:, None, :]
    labelled = visible[:, 0].any(axis=1)
    padded = np.where(visible, np.exp(-e), 0.0)[labelled].sum(axis=2) / visible[labelled].sum(2)
    assert (padded != expected[labelled]).any()
    # The region of an unlabelled GT from (x + w) - x instead of w.
    xyxy = np.c_[boxes[:, :2], boxes[:, :2] + boxes[:, 2:]]
    bbox = np.c_[xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]
    assert (compute_oks_reference(gt, bbox, areas, dt, sigmas) != expected).any()
    gi, di = (i.ravel() for i in np.meshgrid(np.arange(40), np.arange(40), indexing="ij"))
    ours = compute_oks_pairs(gt, dt, gi, di, gt_areas=areas, gt_boxes_xywh=boxes, sigmas=sigmas)
    assert_array_equal(ours.reshape(40, 40), expected)


def test_oks_pairs_empty_and_bad_indices():
    gt, pred = np.zeros((2, 3, 3)), np.zeros((4, 3, 2))
    kwargs = {"gt_areas": [1.0, 2.0], "gt_boxes_xywh": np.zeros((2, 4)), "sigmas": [0.1] * 3}
    empty = compute_oks_pairs(gt, pred, [], [], **kwargs)
    assert empty.shape == (0,) and empty.dtype == np.float64
    with pytest.raises(ValueError, match=r"gt_index/pred_index: expected equal shapes \(N,\)"):
        compute_oks_pairs(gt, pred, [0, 1], [0], **kwargs)
    with pytest.raises(ValueError, match="expected integer indices, got float64/int64"):
        compute_oks_pairs(gt, pred, [0.0], [0], **kwargs)
    with pytest.raises(ValueError, match=r"gt_boxes_xywh: expected shape \(2, 4\), got \(1, 4\)"):
        compute_oks_pairs(gt, pred, [0], [0], **{**kwargs, "gt_boxes_xywh": np.zeros((1, 4))})


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
        ValueError, match=r"gt_keypoints: expected shape \(N_gt, 2, 3\), got \(1, 3, 3\)"
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
