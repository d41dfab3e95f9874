"""pycocotools parity on the seeded generator: every stat, array and per-class AP."""

from __future__ import annotations

import numpy as np
import pytest

from tests.evaluation.coco_helpers import assert_same, coco_data, run_both

pytestmark = pytest.mark.parity


@pytest.mark.parametrize(
    ("seed", "string_ids"), [(0, False), (1, True)], ids=["int-ids", "string-ids"]
)
@pytest.mark.parametrize("kind", ["bbox", "segm", "keypoints"])
def test_generated_datasets_equal_pycocotools(kind: str, seed: int, string_ids: bool) -> None:
    dataset, results = coco_data.generate(
        coco_data.Spec(kind=kind, seed=seed, string_ids=string_ids)
    )
    assert any(a["iscrowd"] for a in dataset["annotations"])
    reference, ours = run_both(dataset, results, kind)
    assert reference.stats[0] > 0
    assert_same(reference, ours)


def test_segm_results_without_bbox_use_mask_area() -> None:
    spec = coco_data.Spec(kind="segm", seed=3, det_bbox=False)
    dataset, results = coco_data.generate(spec)
    assert "bbox" not in results[0]
    assert_same(*run_both(dataset, results, "segm"))


def test_bbox_results_evaluated_as_segm_use_box_polygons() -> None:
    dataset, results = coco_data.generate(coco_data.Spec(kind="segm", seed=4))
    for r in results:
        r.pop("segmentation")
    assert_same(*run_both(dataset, results, "segm"))


PARAMS = [
    pytest.param({"useCats": 0}, id="useCats-0"),
    pytest.param({"maxDets": [2, 5, 20]}, id="maxDets"),
    pytest.param({"maxDets": [50, 1, 10]}, id="maxDets-unsorted"),
    pytest.param(
        {
            "areaRng": [[0, 1e10], [0, 50**2], [50**2, 1e10]],
            "areaRngLbl": ["all", "small", "large"],
        },
        id="areaRng",
    ),
    pytest.param({"iouThrs": np.array([0.3, 0.5, 0.75])}, id="iouThrs"),
    pytest.param({"recThrs": np.linspace(0, 1, 11)}, id="recThrs"),
]


@pytest.mark.parametrize("params", PARAMS)
@pytest.mark.parametrize("kind", ["bbox", "keypoints"])
def test_custom_params_equal_pycocotools(kind: str, params: dict) -> None:
    dataset, results = coco_data.generate(coco_data.Spec(kind=kind, seed=5, n_images=20))
    if kind == "keypoints" and "maxDets" in params:
        params = {"maxDets": [3, 8, 20]}
    if kind == "keypoints" and "useCats" in params:
        pytest.skip("pycocotools' computeOks ignores useCats=0 (no pair is scored); see below")
    assert_same(*run_both(dataset, results, kind, **params))


@pytest.mark.parametrize("kind", ["bbox", "segm"])
def test_image_and_category_subsets_equal_pycocotools(kind: str) -> None:
    dataset, results = coco_data.generate(coco_data.Spec(kind=kind, seed=6))
    image_ids = [img["id"] for img in dataset["images"]][::3]
    category_ids = [c["id"] for c in dataset["categories"]][1:4]
    assert_same(*run_both(dataset, results, kind, imgIds=image_ids))
    assert_same(*run_both(dataset, results, kind, catIds=category_ids))
    assert_same(*run_both(dataset, results, kind, catIds=category_ids[::-1], useCats=0))


def test_annotation_id_zero_quirk_equals_pycocotools() -> None:
    # COCOeval stores the matched GT id and reads 0 as "unmatched"; the drop-in keeps that.
    dataset, results = coco_data.generate(coco_data.Spec(kind="bbox", seed=7))
    for ann in dataset["annotations"]:
        ann["id"] -= 1
    assert dataset["annotations"][0]["id"] == 0
    assert_same(*run_both(dataset, results, "bbox"))


def test_keypoints_use_cats_0_is_class_agnostic_unlike_pycocotools() -> None:
    # pycocotools' computeOks reads _gts[imgId, -1] under useCats=0, finds nothing and scores
    # every detection a false positive.  We match class-agnostically, as for boxes; with one
    # class that must equal the useCats=1 numbers.
    dataset, results = coco_data.generate(coco_data.Spec(kind="keypoints", seed=5, n_images=20))
    reference, pooled = run_both(dataset, results, "keypoints", useCats=0)
    assert reference.stats[0] == 0.0
    _, per_class = run_both(dataset, results, "keypoints")
    np.testing.assert_allclose(pooled.stats, per_class.stats, rtol=0, atol=1e-12)
