"""Pure geometry: similarity matrices shaped ``(N_gt, N_pred)``.

Boxes are ``xyxy`` float64 in frame pixels; masks are COCO run-length encodings held as flat
arrays (:class:`RleMasks`).  Empty inputs give correctly shaped empty arrays and bad shapes raise
``ValueError`` naming the expected and the actual shape.
"""

from __future__ import annotations

from branchmark.geometry.boxes import (
    box_area,
    box_iou,
    box_iou_pairs,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from branchmark.geometry.masks import (
    RleMasks,
    decode_masks,
    decode_rle_strings,
    empty_masks,
    encode_masks,
    mask_area,
    mask_boxes,
    mask_iou,
    mask_iou_pairs,
    rle_from_coco,
)

__all__ = [
    "RleMasks",
    "box_area",
    "box_iou",
    "box_iou_pairs",
    "decode_masks",
    "decode_rle_strings",
    "empty_masks",
    "encode_masks",
    "mask_area",
    "mask_boxes",
    "mask_iou",
    "mask_iou_pairs",
    "rle_from_coco",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
