"""Pair similarity providers against pycocotools, bit for bit."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from branchmark.evaluation.similarity import keypoint_similarity
from branchmark.geometry import COCO_PERSON_SIGMAS, compute_oks
from branchmark.geometry.keypoints import _OKS_CHUNK


def compute_oks_reference(gts: list[dict], dts: list[dict]) -> np.ndarray:
    """pycocotools' computeOks for one image and class: ``(D, G)``."""
    ev = PyCOCOeval(iouType="keypoints")
    ev.params.maxDets = [len(dts)]
    ev._gts, ev._dts = defaultdict(list), defaultdict(list)
    ev._gts[1, 1], ev._dts[1, 1] = gts, dts
    return np.asarray(ev.computeOks(1, 1)).reshape(len(dts), len(gts))


def random_people(rng: np.random.Generator, n_gt: int, n_dt: int) -> tuple[list[dict], list[dict]]:
    gts = []
    for i in range(n_gt):
        # Decimal boxes: (x + w) - x is often not w, which the unlabelled-GT region must not use.
        x, y, w, h = rng.uniform(0, 50, 4).round(1) + [0.1, 0.2, 0.3, 0.7]
        vis = rng.choice([0, 1, 2], 17, p=[0.4, 0.2, 0.4]) if i % 3 else np.zeros(17, int)
        pts = np.stack([x + rng.uniform(0, w, 17), y + rng.uniform(0, h, 17), vis], 1)
        pts[vis == 0, :2] = 0
        gts.append({"keypoints": pts.ravel().tolist(), "bbox": [x, y, w, h],
                    "area": float(w * h * rng.uniform(0.3, 1))})  # fmt: skip
    dts = []
    for j in range(n_dt):
        source = gts[j % n_gt] if n_gt and rng.random() < 0.7 else None
        if source is not None:
            base = np.array(source["keypoints"], float).reshape(17, 3)[:, :2]
            pts = base + rng.normal(0, rng.choice([0.5, 3, 20]), (17, 2))
        else:
            pts = rng.uniform(-40, 120, (17, 2))
        dts.append({"keypoints": np.hstack([pts, np.ones((17, 1))]).ravel().tolist(),
                    "score": 1.0 - j / (n_dt + 1)})  # fmt: skip
    return gts, dts


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 8), st.integers(1, 12))
def test_oks_pairs_equal_compute_oks_bit_for_bit(seed: int, n_gt: int, n_dt: int) -> None:
    rng = np.random.default_rng(seed)
    gts, dts = random_people(rng, n_gt, n_dt)
    expected = compute_oks_reference(gts, dts)
    sim = keypoint_similarity(
        np.array([g["keypoints"] for g in gts]).reshape(n_gt, 17, 3),
        np.array([d["keypoints"] for d in dts]).reshape(n_dt, 17, 3),
        gt_areas=[g["area"] for g in gts], gt_boxes_xywh=[g["bbox"] for g in gts],
        sigmas=COCO_PERSON_SIGMAS,
    )  # fmt: skip
    gi, di = np.meshgrid(np.arange(n_gt), np.arange(n_dt))
    got = sim(gi.ravel(), di.ravel()).reshape(n_dt, n_gt)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 6), st.integers(0, 9))
def test_oks_pair_callable_equals_compute_oks_matrix(seed: int, n_gt: int, n_dt: int) -> None:
    """The COCO pair callable and the analysis' matrix form give the same bits."""
    rng = np.random.default_rng(seed)
    gts, dts = random_people(rng, max(n_gt, 1), n_dt)
    gts = gts[:n_gt]
    gt_kp = np.array([g["keypoints"] for g in gts]).reshape(n_gt, 17, 3)
    dt_kp = np.array([d["keypoints"] for d in dts]).reshape(n_dt, 17, 3)
    areas = np.array([g["area"] for g in gts]).reshape(n_gt)
    xywh = np.array([g["bbox"] for g in gts]).reshape(n_gt, 4)
    xyxy = np.c_[xywh[:, :2], xywh[:, :2] + xywh[:, 2:]]
    matrix = compute_oks(gt_kp, dt_kp, gt_areas=areas, gt_boxes=xyxy, sigmas=COCO_PERSON_SIGMAS)
    assert matrix.shape == (n_gt, n_dt)
    # The same boxes as the matrix form sees them: COCO bbox (x0, y0, x1 - x0, y1 - y0).
    sim = keypoint_similarity(
        gt_kp, dt_kp, gt_areas=areas, gt_boxes_xywh=np.c_[xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]],
        sigmas=COCO_PERSON_SIGMAS,
    )  # fmt: skip
    gi, di = rng.integers(0, max(n_gt, 1), 50), rng.integers(0, max(n_dt, 1), 50)
    if n_gt and n_dt:
        np.testing.assert_array_equal(sim(gi, di), matrix[gi, di])


def test_oks_chunks_give_the_same_values() -> None:
    rng = np.random.default_rng(1)
    gts, dts = random_people(rng, 5, 7)
    sim = keypoint_similarity(
        np.array([g["keypoints"] for g in gts]).reshape(5, 17, 3),
        np.array([d["keypoints"] for d in dts]).reshape(7, 17, 3)[:, :, :2],
        gt_areas=[g["area"] for g in gts], gt_boxes_xywh=[g["bbox"] for g in gts],
        sigmas=COCO_PERSON_SIGMAS,
    )  # fmt: skip
    n = _OKS_CHUNK + 10
    gi, di = rng.integers(0, 5, n), rng.integers(0, 7, n)
    whole = sim(gi, di)
    np.testing.assert_array_equal(whole[-10:], sim(gi[-10:], di[-10:]))
    np.testing.assert_array_equal(whole[:10], sim(gi[:10], di[:10]))
    assert sim(np.zeros(0, np.int64), np.zeros(0, np.int64)).shape == (0,)


def test_oks_bad_shapes_name_expected_and_actual() -> None:
    with pytest.raises(
        ValueError, match=r"gt_keypoints: expected shape \(N_gt, 17, 3\), got \(1, 16, 3\)"
    ):
        keypoint_similarity(np.zeros((1, 16, 3)), np.zeros((1, 17, 3)), gt_areas=[1.0],
                            gt_boxes_xywh=[[0, 0, 1, 1]], sigmas=COCO_PERSON_SIGMAS)  # fmt: skip
    with pytest.raises(ValueError, match=r"gt_areas: expected shape \(1,\), got \(2,\)"):
        keypoint_similarity(np.zeros((1, 17, 3)), np.zeros((1, 17, 3)), gt_areas=[1.0, 2.0],
                            gt_boxes_xywh=[[0, 0, 1, 1]], sigmas=COCO_PERSON_SIGMAS)  # fmt: skip
