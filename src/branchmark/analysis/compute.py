"""One analysis run, from the branches in the store to result arrays (no writes here).

:func:`load_inputs` reads both branches in one read transaction (a consistent snapshot, with
the revisions it saw); :func:`compute_outputs` runs ``evaluation/`` on the arrays:

- ``evaluate_coco`` (the COCO protocol: 12 stats, precision/recall/scores arrays, per-class AP),
- ``match_objects`` on the analysis grid 0.05:0.05:0.95 (per-object outcomes, no maxDets cap),
- FP reasons at every grid threshold, the class-agnostic confusion matrix at IoU 0.5 with its
  matched pairs (``confusion_pairs.match_confusion``, on the same pair similarities and with
  the same ignored GT),
- the Encord-style summary at (0.5, 0.0) via ``summarize_thresholds``,
- frame-level classification metrics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.analysis import answers as answer_io
from branchmark.analysis.confusion_pairs import ConfusionPairs, match_confusion
from branchmark.analysis.fp_reasons import label_all_false_positives
from branchmark.analysis.inputs import (
    BranchObjects,
    ObjectClasses,
    branch_objects,
    image_positions,
    read_branch_rows,
    read_unit_layout,
    size_of,
)
from branchmark.analysis.pairs import ImagePairs, image_pairs
from branchmark.evaluation import (
    ANALYSIS_IOU_THRESHOLDS,
    CocoEvalResult,
    CocoParams,
    ConfusionMatrixResult,
    Detections,
    GroundTruth,
    MatchMode,
    MatchOutcomes,
    ThresholdSummary,
    evaluate_coco,
    match_objects,
    summarize_thresholds,
)
from branchmark.store import catalog
from branchmark.store import schema as t

#: Bumped whenever a change to this package or ``evaluation/`` changes stored numbers
#: (coco-2: skeleton GT without labelled points is ignored, as COCOeval._prepare ignores it, in
#: the COCO numbers, the outcomes and the confusion matrix; rotated IoU from the stored x, y, w,
#: h, which moves it in the last bit).  A stored result of another version is stale.
PROTOCOL_VERSION = "coco-2"
CONFUSION_IOU = 0.5
Progress = Callable[[str, float], None]


@dataclasses.dataclass(frozen=True)
class AnalysisInputs:
    """Both branches read in one snapshot, with the revisions and ontology version seen."""

    classes: ObjectClasses
    ontology: dict[str, Any]
    ontology_version: int
    gt_revision: int
    pred_revision: int
    gt: BranchObjects
    dt: BranchObjects
    image_keys: list[tuple[int, int]]
    image_sizes: list[tuple[int, int]]
    gt_answers: answer_io.AnswerCodes
    dt_answers: answer_io.AnswerCodes
    classifications: list[dict[str, Any]]


def load_inputs(
    conn: sa.Connection, *, project_id: int, branch: str, ground_truth: str
) -> AnalysisInputs:
    """Read everything an analysis needs from ``conn`` (a read transaction)."""
    gt_branch = catalog.get_branch(conn, project_id, ground_truth)
    dt_branch = catalog.get_branch(conn, project_id, branch)
    version = _ontology_version(conn, project_id)
    ontology = catalog.get_ontology(conn, project_id, version)
    classes = ObjectClasses.from_ontology(ontology)
    sizes, order_of_unit = read_unit_layout(conn, project_id)
    gt_rows = read_branch_rows(
        conn, branch_id=gt_branch.id, branch_name=ground_truth, classes=classes, ground_truth=True
    )
    dt_rows = read_branch_rows(
        conn, branch_id=dt_branch.id, branch_name=branch, classes=classes, ground_truth=False
    )
    (gt_image, dt_image), keys = image_positions([gt_rows, dt_rows], order_of_unit)
    with_attributes = any(classes.attributes)
    empty: answer_io.AnswerCodes = (np.zeros(0, np.int64), [])
    gt_answers = dt_answers = empty
    if with_attributes:  # codes in read (id) order
        gt_answers, dt_answers = (
            answer_io.answer_codes(
                conn,
                branch_id=side.id,
                classes=classes,
                category=rows.category,
                frame=rows.columns["frame"],
            )
            for side, rows in ((gt_branch, gt_rows), (dt_branch, dt_rows))
        )
    # Predictions by image, then score (descending), ties in input (id) order: the order in
    # which COCOeval.accumulate meets them, which MatchOutcomes keeps for its score ties.
    score = np.nan_to_num(dt_rows.columns["confidence"], nan=1.0)
    order = np.lexsort((dt_rows.columns["id"], -score, dt_image))
    gt = branch_objects(
        conn,
        gt_rows,
        branch_id=gt_branch.id,
        image=gt_image,
        index=None,
        classes=classes,
        sizes=sizes,
    )
    dt = branch_objects(
        conn,
        dt_rows,
        branch_id=dt_branch.id,
        image=dt_image,
        index=order,
        classes=classes,
        sizes=sizes,
    )
    if len(dt_answers[0]):
        dt_answers = (dt_answers[0][order], dt_answers[1])
    classifications = answer_io.evaluate_classifications(
        conn, gt_branch_id=gt_branch.id, branch_id=dt_branch.id, ontology=ontology
    )
    return AnalysisInputs(
        classes=classes,
        ontology=ontology,
        ontology_version=version,
        gt_revision=gt_branch.revision,
        pred_revision=dt_branch.revision,
        gt=gt,
        dt=dt,
        image_keys=keys,
        image_sizes=[size_of(sizes, u, f) for u, f in keys],
        gt_answers=gt_answers,
        dt_answers=dt_answers,
        classifications=classifications,
    )


def _ontology_version(conn: sa.Connection, project_id: int) -> int:
    return int(
        conn.execute(
            sa.select(t.projects.c.ontology_version).where(t.projects.c.id == project_id)
        ).scalar_one()
    )


@dataclasses.dataclass(frozen=True)
class AnalysisOutputs:
    """Everything a run produces (plain arrays; :mod:`~branchmark.analysis.persist` stores it).

    ``dt_match`` ``(T, D)`` / ``gt_match`` ``(T, G)`` are object indices (-1 none) on the grid
    ``thresholds``; ``reasons`` ``(T, D)`` uint8 FP reason codes; ``pair_*`` the partner's
    similarity per threshold (NaN none); ``best_similarity`` ``(D,)`` the best same-class
    geometric similarity of each prediction.
    """

    thresholds: NDArray[np.float64]
    coco: CocoEvalResult
    outcomes: MatchOutcomes
    summary: ThresholdSummary
    confusion: ConfusionMatrixResult
    confusion_pairs: ConfusionPairs
    dt_match: NDArray[np.int64]
    dt_ignored: NDArray[np.bool_]
    gt_match: NDArray[np.int64]
    gt_ignored: NDArray[np.bool_]
    reasons: NDArray[np.uint8]
    dt_partner_similarity: NDArray[np.float64]
    gt_partner_similarity: NDArray[np.float64]
    best_similarity: NDArray[np.float64]


def _coco_params(gt: BranchObjects, dt: BranchObjects) -> CocoParams:
    shapes = gt.shapes_present() | dt.shapes_present()
    if shapes == {"skeleton"}:
        return CocoParams.for_iou_type("keypoints")
    return CocoParams.for_iou_type(
        "segm" if shapes <= {"polygon", "bitmask"} and shapes else "bbox"
    )


def _ignored_gt(gt: BranchObjects) -> NDArray[np.bool_]:
    """``(G,)`` the GT the evaluation ignores: crowd, and skeletons without labelled points.

    ``COCOeval._prepare`` ignores a keypoint GT whose ``num_keypoints`` is 0, crowd or not;
    skeletons are always scored by OKS here, so the rule holds for every skeleton GT.
    """
    skeletons = [k for k, shape in enumerate(gt.class_shapes) if shape == "skeleton"]
    ignored = gt.crowd.astype(bool)
    for i in np.flatnonzero(np.isin(gt.category, skeletons)).tolist():
        payload = gt.geometry[i]
        ignored[i] |= payload is not None and payload["num_keypoints"] == 0
    return ignored


def _partner_similarity(
    pairs: ImagePairs, gt_index: NDArray[np.int64], dt_index: NDArray[np.int64]
) -> NDArray[np.float64]:
    out = np.full(gt_index.shape, np.nan)
    hit = (gt_index >= 0) & (dt_index >= 0)
    if hit.any():
        out[hit] = pairs.lookup(gt_index[hit], dt_index[hit])
    return out


def compute_outputs(
    inputs: AnalysisInputs, *, mode: MatchMode | str, progress: Progress | None = None
) -> AnalysisOutputs:
    """Run the evaluation of ``inputs`` under Strict or Partial attribute matching."""
    say = progress or (lambda stage, fraction: None)
    gt, dt = inputs.gt, inputs.dt
    n_images = len(inputs.image_keys)
    say("similarity", 0.35)
    pairs = image_pairs(gt, dt, n_images=n_images, image_sizes=inputs.image_sizes)
    compatible: Callable[[NDArray[np.int64], NDArray[np.int64]], NDArray[np.bool_]] | None = None
    pair_compatible = None
    # Only objects with answers can be incompatible; without any, the plain path runs.
    if len(inputs.gt_answers[1]) > 1 or len(inputs.dt_answers[1]) > 1:
        table = answer_io.compatibility_table(inputs.gt_answers, inputs.dt_answers, mode=mode)
        gt_codes, dt_codes = inputs.gt_answers[0], inputs.dt_answers[0]

        def compatible(g: NDArray[np.int64], d: NDArray[np.int64]) -> NDArray[np.bool_]:
            allowed: NDArray[np.bool_] = table[gt_codes[g], dt_codes[d]]
            return allowed

        pair_compatible = compatible(pairs.pair_gt, pairs.pair_dt)
    area_gt = np.where(np.isnan(gt.area), gt.box_area, gt.area)
    area_dt = np.where(np.isnan(dt.area), dt.box_area, dt.area)
    # One ignore rule for the COCO protocol, the per-object outcomes and the confusion matrix.
    gt_ignore = _ignored_gt(gt)
    g = GroundTruth(
        image=gt.image, category=gt.category, area=area_gt, crowd=gt.crowd, ignore=gt_ignore
    )
    d = Detections(image=dt.image, category=dt.category, score=dt.score, area=area_dt)
    n_classes = len(inputs.classes.feature_hashes)
    say("coco", 0.45)
    coco = evaluate_coco(
        g, d, pairs.lookup, params=_coco_params(gt, dt), n_classes=n_classes, compatible=compatible
    )
    say("matching", 0.6)
    match = match_objects(
        g, d, pairs.lookup, thresholds=ANALYSIS_IOU_THRESHOLDS, compatible=compatible
    )
    dt_ignored = match.dt_ignore | ~match.dt_evaluated[None, :]
    say("reasons", 0.7)
    reasons = label_all_false_positives(
        pair_gt=pairs.pair_gt,
        pair_dt=pairs.pair_dt,
        similarity=pairs.similarity,
        compatible=pair_compatible,
        gt_class=gt.category,
        gt_crowd=gt.crowd,
        dt_class=dt.category,
        dt_image=dt.image,
        dt_score=dt.score,
        dt_match=match.dt_match,
        dt_ignored=dt_ignored,
        thresholds=ANALYSIS_IOU_THRESHOLDS,
    )
    outcomes = MatchOutcomes.from_match_result(match, gt=g, dt=d)
    say("confusion", 0.75)
    # The predictions are in matching order (image, score descending, id) and GT in id order,
    # the per-image order evaluation.confusion_matrix takes; the pairs' similarities are reused.
    confusion_pairs = match_confusion(
        gt_image=gt.image,
        gt_crowd=gt.crowd,
        gt_ignored=gt_ignore,
        dt_image=dt.image,
        dt_score=dt.score,
        similarity=pairs.lookup,
        iou_threshold=CONFUSION_IOU,
    )
    same = gt.category[pairs.pair_gt] == dt.category[pairs.pair_dt]
    best = np.zeros(len(dt))
    np.maximum.at(best, pairs.pair_dt[same], pairs.similarity[same])
    dt_partner = (
        np.stack(
            [
                _partner_similarity(pairs, match.dt_match[t], np.arange(len(dt)))
                for t in range(len(match.thresholds))
            ]
        )
        if len(dt)
        else np.zeros((len(match.thresholds), 0))
    )
    gt_partner = (
        np.stack(
            [
                _partner_similarity(pairs, np.arange(len(gt)), match.gt_match[t])
                for t in range(len(match.thresholds))
            ]
        )
        if len(gt)
        else np.zeros((len(match.thresholds), 0))
    )
    return AnalysisOutputs(
        thresholds=match.thresholds,
        coco=coco,
        outcomes=outcomes,
        summary=summarize_thresholds(outcomes, iou_threshold=0.5, confidence=0.0),
        confusion=confusion_pairs.matrix(
            gt_class=gt.category, dt_class=dt.category, n_classes=n_classes
        ),
        confusion_pairs=confusion_pairs,
        dt_match=match.dt_match,
        dt_ignored=dt_ignored,
        gt_match=match.gt_match,
        gt_ignored=match.gt_ignore,
        reasons=reasons,
        dt_partner_similarity=dt_partner,
        gt_partner_similarity=gt_partner,
        best_similarity=best,
    )


def classes_document(classes: ObjectClasses) -> list[Mapping[str, Any]]:
    """The stored class list: position -> feature hash, name, shape."""
    return [
        {"index": i, "feature_hash": h, "name": n, "shape": s}
        for i, (h, n, s) in enumerate(
            zip(classes.feature_hashes, classes.names, classes.shapes, strict=True)
        )
    ]
