"""Pure geometry: similarity matrices shaped ``(N_gt, N_pred)``.

Boxes are ``xyxy`` float64 in frame pixels; masks are COCO run-length encodings held as flat
arrays (:class:`RleMasks`).  Empty inputs give correctly shaped empty arrays and bad shapes raise
``ValueError`` naming the expected and the actual shape.  Rotated boxes (``x, y, w, h, theta``,
Encord's convention), OKS / point similarity and polyline similarity follow the same rules.
"""

from __future__ import annotations

from branchmark.geometry.boxes import (
    box_area,
    box_iou,
    box_iou_pairs,
    xywh_to_xyxy,
    xyxy_to_xywh,
)
from branchmark.geometry.keypoints import (
    COCO_PERSON_KEYPOINTS,
    COCO_PERSON_SIGMAS,
    VISIBILITY_CODES,
    compute_oks,
    point_similarity,
    select_keypoint_sigmas,
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
from branchmark.geometry.polyline import pack_polylines, polyline_similarity, resample_polylines
from branchmark.geometry.rotated import rotated_box_corners, rotated_box_iou

__all__ = [
    "COCO_PERSON_KEYPOINTS",
    "COCO_PERSON_SIGMAS",
    "RleMasks",
    "VISIBILITY_CODES",
    "box_area",
    "box_iou",
    "box_iou_pairs",
    "compute_oks",
    "decode_masks",
    "decode_rle_strings",
    "empty_masks",
    "encode_masks",
    "mask_area",
    "mask_boxes",
    "mask_iou",
    "mask_iou_pairs",
    "pack_polylines",
    "point_similarity",
    "polyline_similarity",
    "resample_polylines",
    "rle_from_coco",
    "rotated_box_corners",
    "rotated_box_iou",
    "select_keypoint_sigmas",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
