"""Box IoU against pycocotools ``maskUtils.iou`` and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal
from pycocotools import mask as mask_utils

from branchmark.geometry import box_area, box_iou, box_iou_pairs, xywh_to_xyxy, xyxy_to_xywh


def random_xywh(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.integers(0, 50, size=(n, 2)).astype(float)
    wh = rng.integers(0, 30, size=(n, 2)).astype(float) + rng.random((n, 2)).round(1)
    return np.hstack([xy, wh])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_box_iou_equals_pycocotools_with_crowd(seed: int) -> None:
    rng = np.random.default_rng(seed)
    gt, dt = random_xywh(rng, 13), random_xywh(rng, 17)
    crowd = rng.random(13) < 0.3
    expected = mask_utils.iou(dt.tolist(), gt.tolist(), crowd.astype(np.uint8).tolist()).T
    ours = box_iou(
        xywh_to_xyxy(gt), xywh_to_xyxy(dt), crowd=crowd,
        gt_area=gt[:, 2] * gt[:, 3], pred_area=dt[:, 2] * dt[:, 3],
    )  # fmt: skip
    assert_array_equal(ours, expected)
    assert_allclose(box_iou(xywh_to_xyxy(gt), xywh_to_xyxy(dt), crowd=crowd), expected, atol=1e-12)


def test_box_iou_hand_computed() -> None:
    gt = [[0, 0, 2, 2], [0, 0, 4, 4]]
    pred = [[1, 0, 3, 2], [0, 0, 2, 2], [2, 2, 2, 2]]
    expected = [[1 / 3, 1.0, 0.0], [4 / 16, 4 / 16, 0.0]]
    assert_allclose(box_iou(gt, pred), expected)
    # Crowd: intersection over the prediction's area, so a box inside the crowd scores 1.
    assert_allclose(box_iou(gt, pred, crowd=[False, True])[1], [1.0, 1.0, 0.0])


def test_pairs_equal_matrix_diagonal() -> None:
    rng = np.random.default_rng(4)
    a, b = xywh_to_xyxy(random_xywh(rng, 9)), xywh_to_xyxy(random_xywh(rng, 9))
    crowd = rng.random(9) < 0.5
    assert_array_equal(box_iou_pairs(a, b, crowd=crowd), np.diag(box_iou(a, b, crowd=crowd)))


@pytest.mark.parametrize(("n_gt", "n_pred"), [(0, 0), (0, 3), (2, 0)])
def test_empty_inputs_give_shaped_matrices(n_gt: int, n_pred: int) -> None:
    gt, pred = np.zeros((n_gt, 4)), np.zeros((n_pred, 4))
    assert box_iou(gt, pred).shape == (n_gt, n_pred)
    assert box_iou([], []).shape == (0, 0)


def test_bad_shapes_name_expected_and_actual() -> None:
    with pytest.raises(ValueError, match=r"expected shape \(N, 4\), got \(2, 3\)"):
        box_iou(np.zeros((2, 3)), np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"crowd: expected shape \(2,\), got \(3,\)"):
        box_iou(np.zeros((2, 4)), np.zeros((1, 4)), crowd=[0, 0, 0])
    with pytest.raises(ValueError, match=r"pred: expected shape \(2, 4\), got \(1, 4\)"):
        box_iou_pairs(np.zeros((2, 4)), np.zeros((1, 4)))


def test_zero_area_boxes_have_zero_iou() -> None:
    assert_array_equal(box_iou([[1, 1, 1, 5]], [[1, 1, 1, 5], [0, 0, 3, 3]]), [[0.0, 0.0]])


coords = st.floats(min_value=-1e3, max_value=1e3, allow_nan=False, allow_subnormal=False, width=32)
sides = st.floats(min_value=0.0625, max_value=1e3, allow_nan=False, allow_subnormal=False, width=32)
boxes = st.tuples(coords, coords, sides, sides).map(
    lambda b: [b[0], b[1], b[0] + b[2], b[1] + b[3]]
)


@settings(max_examples=200, deadline=None)
@given(a=boxes, b=boxes)
def test_iou_symmetric_bounded_reflexive(a: list[float], b: list[float]) -> None:
    ab, ba = box_iou([a], [b])[0, 0], box_iou([b], [a])[0, 0]
    assert ab == pytest.approx(ba, abs=1e-12)
    assert 0.0 <= ab <= 1.0
    assert box_iou([a], [a])[0, 0] == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=100, deadline=None)
@given(b=boxes)
def test_converters_round_trip(b: list[float]) -> None:
    assert_allclose(xywh_to_xyxy(xyxy_to_xywh([b])), [b], rtol=1e-12, atol=1e-9)
    assert box_area([b])[0] == pytest.approx((b[2] - b[0]) * (b[3] - b[1]))
