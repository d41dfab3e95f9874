"""Hand-computed cases of the COCO matching rules, provider equivalence and invariances."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from branchmark.evaluation import (
    ANALYSIS_IOU_THRESHOLDS,
    COCO_IOU_THRESHOLDS,
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
    gt, dt, sim = scene(
        gt_b, rng.integers(0, 2, 12), dt_b, rng.integers(0, 2, 18), rng.random(18), image=image
    )
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


def _providers(gt_b, dt_b, crowd):
    dense = box_iou(np.reshape(gt_b, (-1, 4)), np.reshape(dt_b, (-1, 4)))
    gi, di = np.nonzero(dense > 0)
    return {
        "pairs": BoxSimilarity(np.reshape(gt_b, (-1, 4)), np.reshape(dt_b, (-1, 4)), crowd),
        "group": GroupSimilarity(lambda g, d: dense[np.ix_(g, d)]),
        "sparse": SparseSimilarity(gi, di, dense[gi, di]),
    }


@pytest.mark.parametrize("provider", ["pairs", "group", "sparse"])
@pytest.mark.parametrize("compatible", [False, True], ids=["plain", "compatible"])
@pytest.mark.parametrize(
    ("n_gt", "n_dt"), [(3, 0), (0, 3), (0, 0)], ids=["gt-only", "prediction-only", "empty"]
)
def test_one_side_empty_overall(n_gt: int, n_dt: int, provider: str, compatible: bool) -> None:
    gt_b, dt_b = [BOX, HALF, [200, 200, 240, 240]][:n_gt], [BOX, HALF, BOX][:n_dt]
    image = (np.arange(n_gt) % 2, np.arange(n_dt) % 2)  # several images, none with both sides
    gt, dt, _ = scene(gt_b, [0] * n_gt, dt_b, [0] * n_dt, [0.9, 0.8, 0.7][:n_dt], image=image)
    sim = _providers(gt_b, dt_b, np.zeros(n_gt, bool))[provider]
    allowed = np.ones((n_gt, n_dt), bool) if compatible else None
    result = match_objects(gt, dt, sim, thresholds=ANALYSIS_IOU_THRESHOLDS, compatible=allowed)
    t = len(ANALYSIS_IOU_THRESHOLDS)
    assert result.dt_match.shape == result.dt_ignore.shape == (t, n_dt)
    assert result.gt_match.shape == (t, n_gt)
    assert (result.dt_match == -1).all() and (result.gt_match == -1).all()
    assert not result.dt_ignore.any() and result.dt_evaluated.all()
    assert result.pair_gt.shape == result.pair_similarity.shape == (0,)
    coco = evaluate_coco(gt, dt, sim, params=CocoParams(), n_classes=1, compatible=allowed)
    # GT without detections: AP 0; detections without GT: undefined (pycocotools' -1).
    np.testing.assert_array_equal(coco.class_ap, [0.0] if n_gt else [np.nan])


@pytest.mark.parametrize("provider", ["pairs", "group", "sparse"])
def test_one_side_empty_per_image(provider: str) -> None:
    # Image 0: GT only; image 1: both (one match); image 2: detections only; image 3: nothing.
    gt_b = [BOX, BOX]
    dt_b = [BOX, BOX, HALF]
    gt, dt, _ = scene(gt_b, [0, 0], dt_b, [0, 0, 0], [0.9, 0.8, 0.7], image=([0, 1], [1, 2, 2]))
    sim = _providers(gt_b, dt_b, np.zeros(2, bool))[provider]
    # BoxSimilarity scores any listed pair; the engine only asks for same-image pairs.
    result = match_objects(gt, dt, sim, thresholds=[0.5, 0.95])
    assert result.dt_match.tolist() == [[1, -1, -1], [1, -1, -1]]
    assert result.gt_match.tolist() == [[-1, 0], [-1, 0]]
    assert sorted(zip(result.pair_gt.tolist(), result.pair_dt.tolist(), strict=True)) == [(1, 0)]


def test_analysis_grid_values_are_their_two_decimal_labels() -> None:
    labels = [f"{v:.2f}" for v in np.arange(5, 100, 5) / 100]
    shortest = [label.rstrip("0") for label in labels]
    assert [repr(float(v)) for v in ANALYSIS_IOU_THRESHOLDS] == shortest


def test_coco_grid_stays_bit_identical_to_pycocotools() -> None:
    from pycocotools.cocoeval import Params

    np.testing.assert_array_equal(COCO_IOU_THRESHOLDS, Params(iouType="bbox").iouThrs)
    assert COCO_IOU_THRESHOLDS[8] == 0.8999999999999999  # linspace's value, kept on purpose


def test_iou_of_exactly_half_matches_at_half_and_just_below_does_not() -> None:
    at_half = ANALYSIS_IOU_THRESHOLDS.tolist().index(0.5)
    below = np.nextafter(0.5, 0.0)  # the value linspace used to store for "0.5"
    gt = GroundTruth(image=[0, 1], category=[0, 0], area=[100.0, 100.0], crowd=[False, False])
    dt = Detections(image=[0, 1], category=[0, 0], score=[0.9, 0.8], area=[100.0, 100.0])
    sim = SparseSimilarity([0, 1], [0, 1], [0.5, below])
    result = match_objects(gt, dt, sim, thresholds=ANALYSIS_IOU_THRESHOLDS)
    assert result.dt_match[at_half].tolist() == [0, -1]  # COCO matches IoU >= threshold
    assert result.dt_match[at_half - 1].tolist() == [0, 1]  # both match at 0.45
    # A real box pair with IoU exactly 0.5: half of a 10x10 box.
    ten, half = np.array([[0, 0, 10, 10.0]]), np.array([[0, 0, 10, 5.0]])
    box = BoxSimilarity(ten, half, np.array([False]))
    one_gt = GroundTruth(image=[0], category=[0], area=[100.0], crowd=[False])
    one_dt = Detections(image=[0], category=[0], score=[0.9], area=[50.0])
    assert box(np.array([0]), np.array([0])).tolist() == [0.5]
    matched = match_objects(one_gt, one_dt, box, thresholds=ANALYSIS_IOU_THRESHOLDS).dt_match[:, 0]
    above = len(ANALYSIS_IOU_THRESHOLDS) - at_half - 1
    assert matched.tolist() == [0] * (at_half + 1) + [-1] * above


def test_outcomes_of_prediction_only_matching() -> None:
    from branchmark.evaluation import MatchOutcomes

    gt, dt, sim = scene([], [], [BOX], [0], [0.9])
    result = match_objects(gt, dt, sim, thresholds=ANALYSIS_IOU_THRESHOLDS)
    outcomes = MatchOutcomes.from_match_result(result, gt=gt, dt=dt)
    assert outcomes.pred_match.shape == (1, len(ANALYSIS_IOU_THRESHOLDS))
    assert (outcomes.pred_match == -1).all()
    assert outcomes.gt_match.shape == (0, len(ANALYSIS_IOU_THRESHOLDS))
