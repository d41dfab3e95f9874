"""The renderer is deterministic and its ground truth is exactly the visible label regions."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from demo_oracles import component_sizes

from branchmark.demo.fruit import sample_paint
from branchmark.demo.scene import (
    MIN_COMPONENT_PIXELS,
    MIN_VISIBLE_PIXELS,
    RenderedFrame,
    render_scene,
)

SEEDS = [pytest.param(seed, id=f"seed-{seed}") for seed in (0, 7, 11, 23)]


def _fill(rings: list[tuple[float, ...]], shape: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(shape, np.uint8)
    for ring in rings:
        points = np.asarray(ring, dtype=np.float64).reshape(-1, 2).round().astype(np.int32)
        cv2.fillPoly(mask, [points], 1)
    return mask.astype(bool)


def test_same_seed_same_scene_other_seed_other_scene() -> None:
    a = render_scene(np.random.default_rng(5))
    b = render_scene(np.random.default_rng(5))
    c = render_scene(np.random.default_rng(6))
    assert np.array_equal(a.image, b.image) and np.array_equal(a.labels, b.labels)
    assert a.truth == b.truth
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("seed", SEEDS)
def test_truth_is_the_visible_region_of_the_label_image(seed: int) -> None:
    frame: RenderedFrame = render_scene(np.random.default_rng(seed))
    shape = frame.labels.shape
    by_id = {gt.object_id: gt for gt in frame.truth.objects}
    for object_id in np.unique(frame.labels[frame.labels > 0]):
        labelled = frame.labels == object_id
        if object_id not in by_id:
            kept = sum(s for s in component_sizes(labelled) if s >= MIN_COMPONENT_PIXELS)
            assert kept < MIN_VISIBLE_PIXELS
            continue
        gt = by_id[object_id]
        outer = _fill([p[0] for p in gt.polygons], shape)
        holes = _fill([ring for p in gt.polygons for ring in p[1:]], shape)
        region = labelled & outer
        # The region is the labelled pixels minus slivers, and nothing else.
        assert all(s < MIN_COMPONENT_PIXELS for s in component_sizes(labelled & ~outer))
        assert gt.area == int(region.sum()) >= MIN_VISIBLE_PIXELS
        # Filling the outer rings gives back the region; what else they enclose is a hole.
        assert not (outer & ~labelled & ~holes).any()
        # A hole ring runs through region pixels that touch the hole, so only those overlap.
        touching = cv2.dilate((~labelled).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        assert not (region & holes & ~touching).any()
        rows, cols = np.nonzero(region)
        assert gt.box == (cols.min(), rows.min(), cols.max() + 1.0, rows.max() + 1.0)
        assert 0.0 < gt.visible_fraction <= 1.0


def test_scenes_show_the_variety_the_demo_promises() -> None:
    frames = [render_scene(np.random.default_rng(seed)) for seed in range(12)]
    objects = [gt for f in frames for gt in f.truth.objects]
    assert {gt.class_name for gt in objects} == {"apple", "orange", "banana"}
    assert {gt.ripeness for gt in objects} == {"ripe", "unripe"}
    assert {f.truth.lighting for f in frames} == {"bright", "dim"}
    assert any(gt.area < 32**2 for gt in objects) and any(gt.area > 96**2 for gt in objects)
    assert sum(gt.visible_fraction < 0.8 for gt in objects) >= 5
    # Occlusion can split a fruit or punch a hole in it; polygons keep both honestly.
    assert any(len(gt.polygons) > 1 or len(gt.polygons[0]) > 1 for gt in objects)


@pytest.mark.parametrize("class_name", ["apple", "orange", "banana"])
def test_ripeness_is_the_colour_end_the_paint_comes_from(class_name: str) -> None:
    # Unripe paint is green-ish, ripe paint is not: hue in degrees from the RGB itself.
    def hue(rgb: tuple[float, float, float]) -> float:
        pixel = np.array([[rgb]], dtype=np.float32)
        return float(cv2.cvtColor(pixel, cv2.COLOR_RGB2HSV)[0, 0, 0])

    rng = np.random.default_rng(0)
    unripe = [hue(sample_paint(rng, class_name=class_name, ripening=0.0)) for _ in range(50)]
    ripe = [hue(sample_paint(rng, class_name=class_name, ripening=1.0)) for _ in range(50)]
    assert min(unripe) >= 60.0
    assert all(h <= 62.0 or h >= 340.0 for h in ripe)
    with pytest.raises(ValueError, match="ripening"):
        sample_paint(rng, class_name=class_name, ripening=1.5)
