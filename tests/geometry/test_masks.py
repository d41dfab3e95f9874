"""RLE masks against pycocotools (encode, frPyObjects, iou, area, toBbox) and brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from pycocotools import mask as mask_utils

from branchmark.geometry import (
    decode_masks,
    decode_rle_strings,
    encode_masks,
    mask_area,
    mask_boxes,
    mask_iou,
    mask_iou_pairs,
    rle_from_coco,
    xyxy_to_xywh,
)


def coco_rles(masks: np.ndarray) -> list[dict]:
    return mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))


@pytest.mark.parametrize("seed", [0, 1])
def test_iou_area_box_equal_pycocotools(seed: int) -> None:
    rng = np.random.default_rng(seed)
    masks = rng.random((16, 23, 31)) < rng.random((16, 1, 1))
    masks[3] = False  # an empty mask
    rles = coco_rles(masks)
    ours = encode_masks(masks)
    assert_array_equal(decode_masks(ours), masks)
    assert_array_equal(mask_area(ours), mask_utils.area(rles))
    assert_array_equal(xyxy_to_xywh(mask_boxes(ours)), mask_utils.toBbox(rles))
    crowd = rng.random(6) < 0.5
    gt, pred = ours.take(np.arange(6)), ours.take(np.arange(6, 16))
    expected = mask_utils.iou(rles[6:], rles[:6], crowd.astype(np.uint8).tolist()).T
    assert_array_equal(mask_iou(gt, pred, crowd=crowd), expected)


def test_iou_brute_force_hand_case() -> None:
    a = np.zeros((1, 4, 4), bool)
    a[0, :2, :2] = True
    b = np.zeros((1, 4, 4), bool)
    b[0, :2, 1:3] = True
    gt, pred = encode_masks(a), encode_masks(b)
    assert mask_iou(gt, pred).tolist() == [[2 / 6]]
    assert mask_iou(gt, pred, crowd=[True]).tolist() == [[2 / 4]]
    assert mask_iou(gt, gt).tolist() == [[1.0]]


def test_polygons_rasterised_as_pycocotools() -> None:
    polygons = [[[1.5, 2.0, 20.3, 4.1, 12.0, 17.9]], [[0, 0, 5, 0, 5, 5, 0, 5], [7, 7, 9, 7, 9, 9]]]
    expected = [mask_utils.merge(mask_utils.frPyObjects(p, 24, 25)) for p in polygons]
    ours = rle_from_coco(polygons, [24, 24], [25, 25])
    assert_array_equal(decode_masks(ours), mask_utils.decode(expected).transpose(2, 0, 1) > 0)
    uncompressed = {"size": [24, 25], "counts": [10, 5, 585]}
    compressed = mask_utils.frPyObjects(uncompressed, 24, 25)
    both = rle_from_coco([uncompressed, compressed], [1, 1], [1, 1])
    assert both.counts.tolist() == [10, 5, 585, 10, 5, 585]
    assert both.heights.tolist() == [24, 24]


def test_compressed_strings_round_trip_large_counts() -> None:
    masks = np.zeros((2, 300, 400), bool)
    masks[0, 100:250, 50:390] = True
    masks[1, -1, -1] = True
    rles = coco_rles(masks)
    ours = decode_rle_strings([r["counts"].decode() for r in rles], [300, 300], [400, 400])
    assert_array_equal(decode_masks(ours), masks)


def test_empty_and_bad_shapes() -> None:
    none = encode_masks(np.zeros((0, 5, 5), bool))
    some = encode_masks(np.ones((2, 5, 5), bool))
    assert mask_iou(none, some).shape == (0, 2)
    assert mask_iou(some, none).shape == (2, 0)
    with pytest.raises(ValueError, match=r"expected shape \(N, H, W\), got \(5, 5\)"):
        encode_masks(np.ones((5, 5), bool))
    with pytest.raises(ValueError, match=r"crowd: expected shape \(2,\), got \(1,\)"):
        mask_iou(some, some, crowd=[True])
    other = encode_masks(np.ones((1, 4, 5), bool))
    with pytest.raises(ValueError, match=r"expected size \(5, 5\) of gt mask 0, got \(4, 5\)"):
        mask_iou_pairs(some, other, [0], [0])


@settings(max_examples=60, deadline=None)
@given(
    st.integers(0, 2**32 - 1),
    st.integers(1, 12),
    st.integers(1, 12),
)
def test_mask_iou_symmetric_bounded_reflexive(seed: int, h: int, w: int) -> None:
    rng = np.random.default_rng(seed)
    masks = encode_masks(rng.random((2, h, w)) < 0.5)
    a, b = masks.take([0]), masks.take([1])
    ab, ba = mask_iou(a, b)[0, 0], mask_iou(b, a)[0, 0]
    assert ab == ba
    assert 0.0 <= ab <= 1.0
    if mask_area(a)[0] > 0:
        assert mask_iou(a, a)[0, 0] == 1.0


def test_mixed_segmentations_over_two_frames_equal_ann_to_rle() -> None:
    # COCO.annToRLE per object is the oracle; rle_from_coco batches polygons per frame size.
    rng = np.random.default_rng(3)
    frames = [(24, 25), (40, 33)]
    segs, heights, widths, expected = [], [], [], []
    for i in range(30):
        h, w = frames[i % 2]
        kind = i % 5
        if kind in (0, 1):  # one or two polygons
            seg = [rng.uniform(0, min(h, w), 2 * int(rng.integers(3, 7))).round(2).tolist()
                   for _ in range(kind + 1)]  # fmt: skip
        elif kind == 2:  # three parts, one a degenerate (collinear) triangle
            seg = [[1.0, 2.0, 8.0, 6.0, 2.0, 9.0], [3.0, 3.0, 10.0, 3.0, 10.0, 9.0],
                   [0, 0, 1, 1, 2, 2]]  # fmt: skip
        elif kind == 3:  # uncompressed RLE
            seg = {"size": [h, w], "counts": [i, 7, h * w - i - 7]}
        else:  # compressed RLE
            seg = mask_utils.frPyObjects({"size": [h, w], "counts": [i, 3, h * w - i - 3]}, h, w)
        segs.append(seg)
        heights.append(h)
        widths.append(w)
        if isinstance(seg, list):
            expected.append(mask_utils.merge(mask_utils.frPyObjects(seg, h, w)))
        elif isinstance(seg["counts"], list):
            expected.append(mask_utils.frPyObjects(seg, h, w))
        else:
            expected.append(seg)
    ours = rle_from_coco(segs, heights, widths)
    strings = [e["counts"] for e in expected]
    sizes = np.array([e["size"] for e in expected])
    reference = decode_rle_strings(strings, sizes[:, 0], sizes[:, 1])
    assert_array_equal(ours.counts, reference.counts)
    assert_array_equal(ours.offsets, reference.offsets)
    assert_array_equal(ours.heights, heights)
    assert_array_equal(mask_area(ours), mask_utils.area(expected))


def test_rle_strings_bytes_and_str_agree_and_non_ascii_is_refused() -> None:
    rle = mask_utils.encode(np.asfortranarray(np.eye(5, dtype=np.uint8)))
    as_bytes = decode_rle_strings([rle["counts"]] * 2, [5, 5], [5, 5])
    as_str = decode_rle_strings([rle["counts"].decode()] * 2, [5, 5], [5, 5])
    assert_array_equal(as_bytes.counts, as_str.counts)
    assert_array_equal(decode_masks(as_str)[1], np.eye(5, dtype=bool))
    with pytest.raises(ValueError):
        decode_rle_strings(["12é"], [2], [2])


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 14), st.integers(1, 14))
def test_mask_iou_equals_pycocotools_on_random_blobs(seed: int, h: int, w: int) -> None:
    # Rectangles, sparse noise, empty and full masks: runs that cross columns, masks that end
    # early or late, pairs whose columns or rows do not overlap.
    rng = np.random.default_rng(seed)
    masks = np.zeros((8, h, w), bool)
    for i in range(6):
        y0, x0 = rng.integers(0, h), rng.integers(0, w)
        masks[i, y0 : y0 + rng.integers(1, h + 1), x0 : x0 + rng.integers(1, w + 1)] = True
    masks[6] = rng.random((h, w)) < rng.random()
    masks[7] = rng.random() < 0.5  # all or nothing
    rles = coco_rles(masks)
    ours = encode_masks(masks)
    crowd = rng.random(8) < 0.3
    expected = mask_utils.iou(rles, rles, crowd.astype(np.uint8).tolist()).T  # (gt, dt)
    assert_array_equal(mask_iou(ours, ours, crowd=crowd), expected)
