"""Pure evaluation numbers: the COCO protocol and per-object matching (no store, no IO).

COCO protocol (pycocotools-exact)
---------------------------------
- :func:`evaluate_coco(gt, dt, similarity, *, params, n_classes, compatible=None)
  <branchmark.evaluation.cocoeval.evaluate_coco>` -> :class:`CocoEvalResult` with
  ``precision (T, R, K, A, M)``, ``recall (T, K, A, M)``, ``scores (T, R, K, A, M)``, ``stats``
  (12, or 10 for keypoints), ``class_ap (K,)``; NaN where undefined, ``coco_stats()`` and
  ``summary_lines()`` give pycocotools' -1 convention and print format.
- :class:`CocoParams` (``for_iou_type("bbox" | "segm" | "keypoints")``), :class:`IouType`.

Objects are columns: :class:`GroundTruth` ``(image, category, area, crowd, ignore,
unmatchable)`` and :class:`Detections` ``(image, category, score, area)``, with image and class
*positions* (``-1`` leaves an object out).

Per-object matching for the analysis layer
------------------------------------------
:func:`match_objects(gt, dt, similarity, *, thresholds, area_range=(0, 1e10), max_dets=None,
use_cats=True, compatible=None) <branchmark.evaluation.matching.match_objects>` ->
:class:`MatchResult`: for any threshold grid (e.g. :data:`ANALYSIS_IOU_THRESHOLDS`,
0.05:0.05:0.95), ``dt_match (T, D)`` matched GT index (-1 none), ``dt_ignore (T, D)``,
``gt_match (T, G)`` matched detection index, ``gt_ignore (G,)``, and every scored pair
``pair_gt, pair_dt, pair_similarity`` (``pair_compatible`` when a rule was given).

Similarity providers (``similarity`` argument):

- a pair callable ``f(gt_index (N,), pred_index (N,)) -> (N,)`` — :class:`BoxSimilarity`,
  :class:`MaskSimilarity` and :class:`KeypointSimilarity` (OKS bit for bit as
  ``COCOeval.computeOks``, built by :func:`keypoint_similarity`; its kernel is
  :func:`branchmark.geometry.keypoints.compute_oks_pairs`, which ``compute_oks`` also uses) are
  the built-in fast ones;
- :class:`GroupSimilarity` ``(f(gt_index (G,), pred_index (D,)) -> (G, D))`` called per image+class
  group (rotated boxes, polylines);
- :class:`SparseSimilarity(gt_index, pred_index, value)`: a flat list, unlisted pairs are 0.

``compatible`` (Strict/Partial attribute matching) is ``f(gt_index, pred_index) -> (N,) bool``
or a dense ``(G, D)`` bool array; incompatible pairs never match.  Without it the plain path
runs unchanged.

Beyond the COCO protocol
------------------------
- Attributes: :func:`read_object_answers` (label-row JSON -> :class:`Answers`),
  :func:`~branchmark.evaluation.compatibility.compatibility_matrix` ``(gt, pred, *, mode)`` ->
  ``(G, D)`` bool for :class:`MatchMode` ``"strict"`` / ``"partial"``.
- Sliders: :class:`MatchOutcomes` (``from_match_result``) and :func:`summarize_thresholds` ->
  :class:`ThresholdSummary` at (IoU on the grid, confidence), without re-matching;
  :func:`label_false_positives` gives each FP its :class:`FpReason`.
- :func:`confusion_matrix` (class-agnostic object confusion) and the classification metrics
  :func:`evaluate_radio`, :func:`evaluate_checklist`, :func:`evaluate_text`.
"""

from __future__ import annotations

from branchmark.evaluation.accumulate import Accumulation, accumulate_states
from branchmark.evaluation.classification import (
    ChecklistResult,
    RadioResult,
    TextResult,
    evaluate_checklist,
    evaluate_radio,
    evaluate_text,
)
from branchmark.evaluation.cocoeval import CocoEvalResult, evaluate_coco
from branchmark.evaluation.compatibility import (
    Answer,
    Answers,
    AttributeKind,
    MatchMode,
    answers_compatible,
    compatibility_matrix,
    read_object_answers,
)
from branchmark.evaluation.confusion import ConfusionMatrixResult, confusion_matrix
from branchmark.evaluation.matching import MatchResult, arrange_groups, match_objects
from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.params import (
    ANALYSIS_IOU_THRESHOLDS,
    COCO_IOU_THRESHOLDS,
    COCO_RECALL_THRESHOLDS,
    CocoParams,
    IouType,
)
from branchmark.evaluation.reasons import FpReason, label_false_positives
from branchmark.evaluation.similarity import (
    BoxSimilarity,
    GroupSimilarity,
    KeypointSimilarity,
    MaskSimilarity,
    PairSimilarity,
    SparseSimilarity,
    keypoint_similarity,
)
from branchmark.evaluation.thresholds import (
    MatchOutcomes,
    ThresholdSummary,
    interpolated_ap,
    summarize_thresholds,
)

__all__ = [
    "ANALYSIS_IOU_THRESHOLDS",
    "COCO_IOU_THRESHOLDS",
    "COCO_RECALL_THRESHOLDS",
    "Accumulation",
    "Answer",
    "Answers",
    "AttributeKind",
    "BoxSimilarity",
    "ChecklistResult",
    "CocoEvalResult",
    "CocoParams",
    "ConfusionMatrixResult",
    "Detections",
    "FpReason",
    "GroundTruth",
    "GroupSimilarity",
    "IouType",
    "KeypointSimilarity",
    "MaskSimilarity",
    "MatchMode",
    "MatchOutcomes",
    "MatchResult",
    "PairSimilarity",
    "RadioResult",
    "SparseSimilarity",
    "TextResult",
    "ThresholdSummary",
    "accumulate_states",
    "answers_compatible",
    "arrange_groups",
    "compatibility_matrix",
    "confusion_matrix",
    "evaluate_checklist",
    "evaluate_coco",
    "evaluate_radio",
    "evaluate_text",
    "interpolated_ap",
    "keypoint_similarity",
    "label_false_positives",
    "match_objects",
    "read_object_answers",
    "summarize_thresholds",
]
