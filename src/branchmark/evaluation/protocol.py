"""COCO files as arrays, through the COCO protocol: the path shared by ``branchmark eval coco``
and the drop-in :class:`branchmark.coco.COCOeval`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation.cocoeval import CocoEvalResult, evaluate_coco
from branchmark.evaluation.matching import Similarity
from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.params import CocoParams, IouType
from branchmark.evaluation.records import CocoGroundTruthArrays, CocoResultArrays
from branchmark.evaluation.similarity import BoxSimilarity, MaskSimilarity, keypoint_similarity


def _remap(known: list[Any], wanted: Sequence[Any]) -> NDArray[np.int64]:
    """For each known id, its position in ``wanted`` (first occurrence) or -1."""
    first: dict[Any, int] = {}
    for i, value in enumerate(wanted):
        first.setdefault(value, i)
    return np.array([first.get(k, -1) for k in known] + [-1], dtype=np.int64)


def _similarity(
    kind: IouType, gt: CocoGroundTruthArrays, res: CocoResultArrays, params: CocoParams
) -> Similarity:
    if kind is IouType.BBOX:
        assert res.boxes is not None and res.box_area is not None  # read_results sets them for bbox
        return BoxSimilarity(gt.boxes, res.boxes, gt.crowd, gt.box_area, res.box_area)
    if kind is IouType.SEGM:
        assert res.masks is not None  # read_results decodes masks for segm
        return MaskSimilarity(gt.masks(), res.masks, gt.crowd)
    assert gt.keypoints is not None and res.keypoints is not None
    k = len(params.keypoint_sigmas)
    if gt.keypoints.shape[1] != k or res.keypoints.shape[1] != k:
        raise ValueError(
            f"keypoints: expected {k} points per object (kpt_oks_sigmas), "
            f"got {gt.keypoints.shape[1]} in GT and {res.keypoints.shape[1]} in results"
        )
    return keypoint_similarity(
        gt.keypoints, res.keypoints, gt_areas=gt.area, gt_boxes_xywh=gt.boxes_xywh,
        sigmas=params.keypoint_sigmas,
    )  # fmt: skip


def evaluate_arrays(
    gt: CocoGroundTruthArrays,
    res: CocoResultArrays,
    *,
    params: CocoParams,
    image_ids: Sequence[Any] | None = None,
    category_ids: Sequence[Any] | None = None,
) -> tuple[CocoEvalResult, list[Any]]:
    """Evaluate COCO arrays on an image/category selection (``params.imgIds`` / ``catIds``).

    Returns the result and the category ids of its class axis (``[-1]`` with ``use_cats=False``).
    """
    images = gt.image_ids if image_ids is None else list(np.unique(np.asarray(list(image_ids))))
    cats: list[Any] = gt.category_ids if category_ids is None else list(category_ids)
    if params.use_cats:
        cats = list(np.unique(np.asarray(cats))) if cats else []
    image_map = _remap(gt.image_ids, images)
    cat_map = _remap(gt.category_ids, cats)
    annotation_ids = gt.annotation_ids
    unmatchable = np.array([a == 0 for a in annotation_ids], dtype=bool)
    ground_truth = GroundTruth(
        image=image_map[gt.image], category=cat_map[gt.category], area=gt.area, crowd=gt.crowd,
        ignore=gt.crowd | gt.no_keypoints, unmatchable=unmatchable,
    )  # fmt: skip
    detections = Detections(
        image=image_map[res.image], category=cat_map[res.category], score=res.score, area=res.area
    )
    result = evaluate_coco(
        ground_truth, detections, _similarity(params.iou_type, gt, res, params),
        params=params, n_classes=len(cats),
    )  # fmt: skip
    return result, (
        [-1] if not params.use_cats else [c.item() if hasattr(c, "item") else c for c in cats]
    )
