"""Rotated-box IoU against shapely (exact polygon overlay) and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from branchmark.geometry.rotated import rotated_box_corners, rotated_box_iou


def shapely_iou(gt, pred):
    """Brute-force oracle: pairwise polygon overlay with shapely, rotating with shapely.affinity."""
    out = np.zeros((len(gt), len(pred)))
    polys = []
    for boxes in (gt, pred):
        row = []
        for x, y, w, h, theta in boxes:
            rect = shapely.box(x, y, x + w, y + h)
            # shapely rotates counter-clockwise in y-up axes, i.e. clockwise on a y-down screen.
            row.append(shapely.affinity.rotate(rect, theta, origin="center", use_radians=False))
        polys.append(row)
    for i, a in enumerate(polys[0]):
        for j, b in enumerate(polys[1]):
            union = a.union(b).area
            out[i, j] = a.intersection(b).area / union if union > 0 else 0.0
    return out


def axis_aligned_iou(a, b):
    """Plain box IoU for unrotated xywh boxes, written independently of the module."""
    out = np.zeros((len(a), len(b)))
    for i, (ax, ay, aw, ah) in enumerate(a):
        for j, (bx, by, bw, bh) in enumerate(b):
            iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
            ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
            union = aw * ah + bw * bh - iw * ih
            out[i, j] = iw * ih / union if union > 0 else 0.0
    return out


coord = st.floats(-200, 200, allow_nan=False)
size = st.floats(0.5, 150, allow_nan=False)
angle = st.floats(-720, 720, allow_nan=False)
rbox = st.tuples(coord, coord, size, size, angle)
rboxes = st.lists(rbox, min_size=0, max_size=5)


@settings(max_examples=150, deadline=None)
@given(gt=rboxes, pred=rboxes)
def test_iou_equals_shapely(gt, pred):
    ours = rotated_box_iou(np.array(gt).reshape(-1, 5), np.array(pred).reshape(-1, 5))
    assert ours.shape == (len(gt), len(pred))
    assert_allclose(ours, shapely_iou(gt, pred), atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(gt=rboxes, pred=rboxes)
def test_iou_symmetric_bounded_and_self_one(gt, pred):
    a, b = np.array(gt).reshape(-1, 5), np.array(pred).reshape(-1, 5)
    ab = rotated_box_iou(a, b)
    assert np.all((ab >= 0) & (ab <= 1))
    assert_allclose(ab, rotated_box_iou(b, a).T, atol=1e-12)
    assert_allclose(np.diag(rotated_box_iou(a, a)), 1.0, atol=1e-12)


@settings(max_examples=100, deadline=None)
@given(
    gt=st.lists(st.tuples(coord, coord, size, size), max_size=5),
    pred=st.lists(st.tuples(coord, coord, size, size), max_size=5),
    turns=st.integers(-3, 3),
)
def test_axis_aligned_equals_plain_box_iou(gt, pred, turns):
    a, b = np.array(gt).reshape(-1, 4), np.array(pred).reshape(-1, 4)
    # theta = 0 and theta = 360 k are the same box.
    ours = rotated_box_iou(np.c_[a, np.zeros(len(a))], np.c_[b, np.full(len(b), 360.0 * turns)])
    assert_allclose(ours, axis_aligned_iou(a, b), atol=1e-9)


def test_hand_computed_cases():
    square = [0, 0, 2, 2, 0]
    # Same centre, 45 degrees: a regular octagon of area 8 (sqrt 2 - 1).
    octagon = 8 * (np.sqrt(2) - 1)
    cases = rotated_box_iou(
        [square],
        [[0, 0, 2, 2, 45], [1, 0, 2, 2, 0], [5, 5, 1, 1, 30], [0, 0, 2, 2, 90], [-1, 1, 4, 0, 0]],
    )
    assert_allclose(cases, [[octagon / (8 - octagon), 1 / 3, 0.0, 1.0, 0.0]], atol=1e-12)
    # A 4x2 box turned 90 degrees about its centre (2, 1) covers the 2x4 box at (1, -1).
    assert_allclose(rotated_box_iou([[0, 0, 4, 2, 90]], [[1, -1, 2, 4, 0]]), [[1.0]], atol=1e-12)


def test_rotation_is_clockwise_on_screen():
    # The top-left corner of a box turned 90 degrees clockwise on screen (y down) lands top-right.
    corners = rotated_box_corners([[0, 0, 4, 2, 90]])
    assert_allclose(corners[0, 0], [3.0, -1.0], atol=1e-12)
    # A thin box turned +30 degrees overlaps a box on its clockwise side, not its mirror image.
    thin = [0, -0.5, 10, 1, 30]  # centre (5, 0); its right end goes down (+y)
    below = [8, 1, 2, 2, 0]
    above = [8, -3, 2, 2, 0]
    iou = rotated_box_iou([thin], [below, above])
    assert iou[0, 0] > 0.0
    assert iou[0, 1] == 0.0


@pytest.mark.parametrize(
    ("n_gt", "n_pred"),
    [
        pytest.param(0, 0, id="empty"),
        pytest.param(3, 0, id="gt-only"),
        pytest.param(0, 2, id="pred-only"),
    ],
)
def test_empty_shapes(n_gt, n_pred):
    out = rotated_box_iou(np.zeros((n_gt, 5)) + 1, np.zeros((n_pred, 5)) + 1)
    assert out.shape == (n_gt, n_pred)
    assert out.dtype == np.float64
    assert rotated_box_iou([], []).shape == (0, 0)


def test_bad_input_names_expected_and_actual():
    with pytest.raises(ValueError, match=r"gt_boxes: expected shape \(N, 5\) .*got \(2, 4\)"):
        rotated_box_iou(np.zeros((2, 4)), np.zeros((1, 5)))
    with pytest.raises(ValueError, match="pred_boxes: width and height must be >= 0"):
        rotated_box_iou(np.ones((1, 5)), [[0, 0, -1, 1, 0]])
    with pytest.raises(ValueError, match="gt_boxes: coordinates must be finite"):
        rotated_box_iou([[0, 0, np.nan, 1, 0]], np.ones((1, 5)))
