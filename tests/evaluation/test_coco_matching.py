"""Hand-computed cases of the COCO matching rules, provider equivalence and invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchmark.evaluation import (
    ANALYSIS_IOU_THRESHOLDS,
    BoxSimilarity,
    CocoParams,
    Detections,
    GroundTruth,
    GroupSimilarity,
    SparseSimilarity,
    evaluate_coco,
    match_objects,
)
from branchmark.geometry import box_iou


def scene(gt_boxes, gt_cls, dt_boxes, dt_cls, scores, crowd=None, ignore=None, image=None):
    gt_boxes = np.array(gt_boxes, float).reshape(-1, 4)
    dt_boxes = np.array(dt_boxes, float).reshape(-1, 4)
    n_gt, n_dt = len(gt_boxes), len(dt_boxes)
    crowd = np.zeros(n_gt, bool) if crowd is None else np.array(crowd, bool)
    area = lambda b: (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])  # noqa: E731
    gt = GroundTruth(image=np.zeros(n_gt, int) if image is None else image[0], category=gt_cls,
                     area=area(gt_boxes), crowd=crowd, ignore=ignore)  # fmt: skip
    dt = Detections(image=np.zeros(n_dt, int) if image is None else image[1], category=dt_cls,
                    score=scores, area=area(dt_boxes))  # fmt: skip
    return gt, dt, BoxSimilarity(gt_boxes, dt_boxes, crowd)


BOX = [0, 0, 100, 100]
HALF = [0, 0, 100, 60]  # IoU 0.6 with BOX


CASES = [
    # name, gt boxes, gt classes, dt boxes, dt classes, scores, crowd, expected dt_match @0.5
    pytest.param([], [], [], [], [], None, [], id="empty"),
    pytest.param([BOX], [0], [], [], [], None, [], id="gt-only"),
    pytest.param([], [], [BOX], [0], [0.9], None, [-1], id="prediction-only"),
    pytest.param([BOX], [0], [HALF, BOX], [0, 0], [0.9, 0.8], None, [0, -1], id="match-by-score"),
    pytest.param([BOX], [0], [BOX], [1], [0.9], None, [-1], id="class-mismatch"),
    pytest.param([BOX], [0], [HALF, BOX], [0, 0], [0.9, 0.8], [True], [0, 0], id="crowd-absorbs"),
]


@pytest.mark.parametrize(("gt_b", "gt_c", "dt_b", "dt_c", "scores", "crowd", "expected"), CASES)
def test_match_objects_hand_cases(gt_b, gt_c, dt_b, dt_c, scores, crowd, expected) -> None:
    gt, dt, sim = scene(gt_b, gt_c, dt_b, dt_c, scores, crowd)
    result = match_objects(gt, dt, sim, thresholds=[0.5, 0.7])
    assert result.dt_match.shape == (2, len(dt_b))
    assert result.gt_match.shape == (2, len(gt_b))
    assert result.dt_match[0].tolist() == expected
    if crowd:  # matches to a crowd are ignored, never true positives
        assert result.dt_ignore[0].tolist() == [True, True]
        assert result.gt_ignore.tolist() == [True]
    # At 0.7 the 0.6-IoU box can no longer match; the exact box takes the GT.
    if expected == [0, -1]:
        assert result.dt_match[1].tolist() == [-1, 0]
        assert result.gt_match[:, 0].tolist() == [0, 1]


def test_ignored_gt_is_matched_last_and_ignores_its_detection() -> None:
    gt, dt, sim = scene([BOX, BOX], [0, 0], [BOX, BOX], [0, 0], [0.9, 0.8], ignore=[True, False])
    result = match_objects(gt, dt, sim, thresholds=[0.5])
    # The best detection prefers the non-ignored GT (index 1) although both overlap equally.
    assert result.dt_match[0].tolist() == [1, 0]
    assert result.dt_ignore[0].tolist() == [False, True]


def test_area_range_ignores_small_gt_and_unmatched_small_detection() -> None:
    small = [0, 0, 10, 10]
    gt, dt, sim = scene([small], [0], [small, [200, 200, 205, 205]], [0, 0], [0.9, 0.8])
    result = match_objects(gt, dt, sim, thresholds=[0.5], area_range=(32**2, 1e10))
    assert result.gt_ignore.tolist() == [True]
    assert result.dt_ignore[0].tolist() == [True, True]


@pytest.mark.parametrize(
    ("gt_b", "gt_c", "dt_b", "dt_c", "scores", "expected_ap"),
    [
        pytest.param([], [], [], [], [], [np.nan], id="empty"),
        pytest.param([BOX], [0], [], [], [], [0.0], id="gt-only"),
        pytest.param([], [], [BOX], [0], [0.9], [np.nan], id="prediction-only"),
        pytest.param([BOX], [0], [BOX], [0], [0.9], [1.0], id="match"),
        pytest.param([BOX], [0], [BOX], [1], [0.9], [0.0, np.nan], id="class-mismatch"),
    ],
)
def test_evaluate_coco_hand_cases(gt_b, gt_c, dt_b, dt_c, scores, expected_ap) -> None:
    gt, dt, sim = scene(gt_b, gt_c, dt_b, dt_c, scores)
    result = evaluate_coco(gt, dt, sim, params=CocoParams(), n_classes=len(expected_ap))
    # 1 / (1 + eps) is pycocotools' "perfect" precision.
    np.testing.assert_allclose(result.class_ap, expected_ap, atol=1e-15)
    assert result.precision.shape == (10, 101, len(expected_ap), 4, 3)


def test_crowd_only_class_is_undefined_and_detections_ignored() -> None:
    gt, dt, sim = scene([BOX], [0], [BOX, HALF], [0, 0], [0.9, 0.8], crowd=[True])
    result = evaluate_coco(gt, dt, sim, params=CocoParams(), n_classes=1)
    assert np.isnan(result.class_ap).all()
    assert result.coco_stats()[0] == -1.0


def test_providers_agree_and_compatibility_blocks_pairs() -> None:
    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 50, (30, 2))
    boxes = np.hstack([xy, xy + rng.uniform(5, 40, (30, 2))])
    gt_b, dt_b = boxes[:12], boxes[12:]
    image = (rng.integers(0, 3, 12), rng.integers(0, 3, 18))
    gt, dt, sim = scene(gt_b, rng.integers(0, 2, 12), dt_b, rng.integers(0, 2, 18), rng.random(18), image=image)
    base = match_objects(gt, dt, sim, thresholds=ANALYSIS_IOU_THRESHOLDS)
    dense = box_iou(gt_b, dt_b)
    group = GroupSimilarity(lambda g, d: dense[np.ix_(g, d)])
    gi, di = np.nonzero(dense > 0)
    sparse = SparseSimilarity(gi, di, dense[gi, di])
    for other in (group, sparse):
        again = match_objects(gt, dt, other, thresholds=ANALYSIS_IOU_THRESHOLDS)
        np.testing.assert_array_equal(again.dt_match, base.dt_match)
        np.testing.assert_array_equal(again.gt_match, base.gt_match)
    blocked = np.ones((12, 18), bool)
    blocked[base.dt_match[0][base.dt_match[0] >= 0], np.flatnonzero(base.dt_match[0] >= 0)] = False
    constrained = match_objects(gt, dt, sim, thresholds=[0.05], compatible=blocked)
    pairs = constrained.dt_match[0]
    assert all(pairs[d] < 0 or blocked[pairs[d], d] for d in range(18))
    assert constrained.pair_compatible is not None


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_ap_is_invariant_to_image_order(seed: int) -> None:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50, (40, 2))
    boxes = np.hstack([xy, xy + rng.uniform(5, 40, (40, 2))])
    gt_img, dt_img = rng.integers(0, 5, 15), rng.integers(0, 5, 25)
    scores = rng.random(25)
    args = (boxes[:15], rng.integers(0, 2, 15), boxes[15:], rng.integers(0, 2, 25), scores)
    perm = rng.permutation(5)
    results = []
    for mapping in (np.arange(5), perm):
        gt, dt, sim = scene(*args, image=(mapping[gt_img], mapping[dt_img]))
        results.append(evaluate_coco(gt, dt, sim, params=CocoParams(), n_classes=2))
    np.testing.assert_allclose(results[0].stats, results[1].stats, atol=1e-12)
