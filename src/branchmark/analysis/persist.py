"""Writing a run's result (one transaction) and reading its per-object outcomes back.

Per-object outcomes are columns (``analysis_arrays``, one ``numpy.save`` blob per column), in
stored object order: predictions by image, then score (descending), ties in input order; GT in
annotation order.  Columns of both sides: ``annotation_id``, ``data_unit_id``, ``frame``,
``class_index``, ``partner`` (annotation id of the partner at the lowest grid threshold where
the object is matched, -1 never), ``similarity`` (to that partner; a never-matched prediction
holds its best same-class similarity, 0 when none), ``varies`` (positions whose partner differs
between thresholds: greedy matching is not monotone in the threshold) with ``varies_partner`` /
``varies_similarity`` ``(V, T)``.  Predictions add ``score``, ``matched_mask`` /
``ignored_mask`` (bit ``t`` = outcome at grid threshold ``t``, 0.05:0.05:0.95) and ``reasons``
(FP reason code of threshold ``t`` in bits ``3t..3t+2``); GT add ``ignored`` and
``match_score`` ``(G, T)``: the score of the prediction matching it at each threshold (NaN
none), so "FN at (t, c)" is ``not (match_score[:, t] >= c)``.  The confusion matrix's pairs:
predictions ``confusion_partner``, ``confusion_row``, ``confusion_similarity``, GT
``confusion_missed`` (see :mod:`~branchmark.analysis.confusion_cells`).
"""

from __future__ import annotations

import dataclasses
import io
import math
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.analysis.compute import (
    PROTOCOL_VERSION,
    AnalysisInputs,
    AnalysisOutputs,
    classes_document,
)
from branchmark.evaluation import ANALYSIS_IOU_THRESHOLDS, MatchOutcomes
from branchmark.store import analysis_schema as s
from branchmark.store.catalog import utc_now

T = len(ANALYSIS_IOU_THRESHOLDS)
_BITS = np.left_shift(np.int64(1), np.arange(T, dtype=np.int64))


def clean_json(value: Any) -> Any:
    """NaN -> None recursively (JSON has no NaN), numpy scalars to Python."""
    if isinstance(value, dict):
        return {k: clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def dumps(value: Any) -> bytes:
    return orjson.dumps(clean_json(value))


def _masks(flags: NDArray[np.bool_]) -> NDArray[np.int64]:
    """``(T, N)`` bool -> ``(N,)`` int64 with bit ``t`` set where ``flags[t]``."""
    out = np.zeros(flags.shape[1], np.int64)
    for t, row in enumerate(flags):  # one pass per threshold, no (T, N) int64 temporary
        out[row] |= _BITS[t]
    return out


def _partners(
    match: NDArray[np.int64], similarity: NDArray[np.float64], partner_ids: NDArray[np.int64]
) -> dict[str, NDArray[Any]]:
    """The partner columns (see the module docstring) from ``(T, N)`` matches and similarities."""
    n = match.shape[1]
    matched = match >= 0
    first = np.argmax(matched, axis=0) if n else np.zeros(0, np.int64)
    cols = np.arange(n)
    any_match = matched.any(axis=0)
    position = np.where(any_match, match[first, cols], -1)
    varies = np.flatnonzero((matched & (match != position[None, :])).any(axis=0))

    def ids(m: NDArray[np.int64]) -> NDArray[np.int64]:
        found = partner_ids[np.maximum(m, 0)] if len(partner_ids) else -1
        return np.where(m >= 0, found, -1).astype(np.int64)

    return {
        "partner": ids(position).astype(np.int64),
        "similarity": np.where(any_match, similarity[first, cols], np.nan),
        "varies": varies.astype(np.int64),
        "varies_partner": ids(match[:, varies].T)
        .astype(np.int64)
        .reshape(len(varies), match.shape[0]),
        "varies_similarity": similarity[:, varies]
        .T.reshape(len(varies), match.shape[0])
        .astype(np.float64),
    }


def _reason_bits(reasons: NDArray[np.uint8]) -> NDArray[np.int64]:
    """``(T, N)`` reason codes (3 bits each) -> ``(N,)`` int64, code ``t`` at bits ``3t..3t+2``."""
    out = np.zeros(reasons.shape[1], np.int64)
    for t, row in enumerate(reasons):
        out |= row.astype(np.int64) << (3 * t)
    return out


def _npy(array: NDArray[Any]) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def _pr_npz(outputs: AnalysisOutputs) -> bytes:
    params = outputs.coco.params
    buffer = io.BytesIO()
    np.savez(  # uncompressed: compressing the NaN-rich arrays costs more than it saves
        buffer,
        precision=outputs.coco.precision,
        recall=outputs.coco.recall,
        scores=outputs.coco.scores,
        iou_thresholds=params.iou_thresholds,
        recall_thresholds=params.recall_thresholds,
        area_labels=np.array(params.area_labels),
        max_dets=np.array(params.max_dets),
        class_ap=outputs.coco.class_ap,
    )
    return buffer.getvalue()


def read_pr_npz(blob: bytes) -> dict[str, NDArray[Any]]:
    with np.load(io.BytesIO(blob)) as data:
        return {k: data[k] for k in data.files}


def write_result(
    conn: sa.Connection,
    *,
    analysis_id: int,
    job_id: int,
    inputs: AnalysisInputs,
    outputs: AnalysisOutputs,
) -> StoredOutcomes:
    """Replace the analysis's result with this run's, in ``conn``'s transaction.

    Returns the result's :class:`StoredOutcomes` built from the columns just written (the
    run's own :class:`MatchOutcomes`), so the caller can cache it without reading it back.
    """
    conn.execute(s.analysis_results.delete().where(s.analysis_results.c.analysis_id == analysis_id))
    coco = outputs.coco
    summary = {
        "coco": {
            **coco.to_dict(),
            "coco_stats": coco.coco_stats(),
            "lines": coco.summary_lines(),
            "max_dets": list(coco.params.max_dets),
        },
        "default": outputs.summary.to_dict(),
        "counts": {
            "ground_truth": len(inputs.gt),
            "predictions": len(inputs.dt),
            "images": len(inputs.image_keys),
        },
        "thresholds": [round(float(v), 10) for v in outputs.thresholds],
    }
    result_id = conn.execute(
        s.analysis_results.insert()
        .values(
            analysis_id=analysis_id,
            job_id=job_id,
            created_at=utc_now(),
            protocol_version=PROTOCOL_VERSION,
            ontology_version=inputs.ontology_version,
            gt_revision=inputs.gt_revision,
            pred_revision=inputs.pred_revision,
            summary=dumps(summary),
            classes=dumps(classes_document(inputs.classes)),
            confusion=dumps(outputs.confusion.to_dict()),
            classifications=dumps(inputs.classifications),
            pr_arrays=_pr_npz(outputs),
        )
        .returning(s.analysis_results.c.id)
    ).scalar_one()
    gt, dt = inputs.gt, inputs.dt
    pred = _partners(outputs.dt_match, outputs.dt_partner_similarity, gt.annotation_id)
    pred["similarity"] = np.where(
        np.isnan(pred["similarity"]), outputs.best_similarity, pred["similarity"]
    )
    pred.update(
        annotation_id=dt.annotation_id,
        data_unit_id=dt.data_unit_id,
        frame=dt.frame,
        class_index=dt.category,
        score=dt.score,
        matched_mask=_masks(outputs.dt_match >= 0),
        ignored_mask=_masks(outputs.dt_ignored),
        reasons=_reason_bits(outputs.reasons),
    )
    confusion = outputs.confusion_pairs
    pred.update(
        confusion_partner=np.where(
            confusion.dt_partner >= 0,
            gt.annotation_id[np.maximum(confusion.dt_partner, 0)] if len(gt) else -1,
            -1,
        ).astype(np.int64),
        confusion_row=confusion.rows(gt.category, len(inputs.classes.feature_hashes)),
        confusion_similarity=confusion.dt_similarity,
    )
    truth = _partners(outputs.gt_match, outputs.gt_partner_similarity, dt.annotation_id)
    hit = outputs.gt_match >= 0
    score = np.where(hit, dt.score[np.maximum(outputs.gt_match, 0)] if len(dt) else 0.0, np.nan)
    truth.update(
        annotation_id=gt.annotation_id,
        data_unit_id=gt.data_unit_id,
        frame=gt.frame,
        class_index=gt.category,
        ignored=outputs.gt_ignored,
        match_score=score.T.reshape(len(gt), T),
        confusion_missed=confusion.missed(),
    )
    conn.execute(
        s.analysis_arrays.insert(),
        [
            {"result_id": result_id, "side": side, "name": name, "data": _npy(np.asarray(array))}
            for side, columns in (("prediction", pred), ("ground_truth", truth))
            for name, array in columns.items()
        ],
    )
    return StoredOutcomes.from_columns(int(result_id), pred, truth, outcomes=outputs.outcomes)


@dataclasses.dataclass(frozen=True)
class StoredOutcomes:
    """A result's per-object columns read back, the slider state built from them, and the
    orders pages list objects in (predictions by descending score, GT by data unit and frame)."""

    result_id: int
    outcomes: MatchOutcomes
    prediction: dict[str, NDArray[Any]]
    ground_truth: dict[str, NDArray[Any]]
    prediction_order: NDArray[np.int64]
    ground_truth_order: NDArray[np.int64]
    prediction_id_sorter: NDArray[np.int64]
    ground_truth_id_sorter: NDArray[np.int64]

    @classmethod
    def from_columns(
        cls,
        result_id: int,
        pred: dict[str, NDArray[Any]],
        truth: dict[str, NDArray[Any]],
        *,
        outcomes: MatchOutcomes | None = None,
    ) -> StoredOutcomes:
        """From the stored columns; ``outcomes`` when the caller has them (the run itself:
        its summaries equal those of the outcomes rebuilt from the columns)."""
        pred_sorter = np.argsort(pred["annotation_id"], kind="stable").astype(np.int64)
        gt_sorter = np.argsort(truth["annotation_id"], kind="stable").astype(np.int64)
        n, m = len(pred["score"]), len(truth["annotation_id"])
        return cls(
            result_id,
            _outcomes_of(pred, truth, gt_sorter) if outcomes is None else outcomes,
            pred,
            truth,
            np.lexsort((np.arange(n), -pred["score"])).astype(np.int64),
            np.lexsort((np.arange(m), truth["frame"], truth["data_unit_id"])).astype(np.int64),
            pred_sorter,
            gt_sorter,
        )

    @property
    def pred_annotation_id(self) -> NDArray[np.int64]:
        return self.prediction["annotation_id"]

    @property
    def gt_annotation_id(self) -> NDArray[np.int64]:
        return self.ground_truth["annotation_id"]


def partner_positions(
    columns: dict[str, NDArray[Any]],
    mask: NDArray[np.int64],
    targets: NDArray[np.int64],
    sorter: NDArray[np.int64] | None = None,
) -> NDArray[np.int64]:
    """``(N, T)`` partner positions into ``targets`` (annotation ids in stored order) or -1.

    ``mask`` (bit ``t`` = matched at ``t``) says where the single-partner objects are matched;
    ``sorter`` is ``argsort(targets)`` when the caller has it.
    """
    sorter = np.argsort(targets, kind="stable") if sorter is None else sorter

    def find(ids: NDArray[np.int64]) -> NDArray[np.int64]:
        pos = (
            np.searchsorted(targets, ids, sorter=sorter)
            if len(targets)
            else np.zeros(ids.shape, np.int64)
        )
        return np.where(
            ids >= 0, sorter[np.minimum(pos, max(len(targets) - 1, 0))] if len(targets) else -1, -1
        )

    partner = find(columns["partner"])
    on = (mask[:, None] & _BITS[None, :]) != 0
    out = np.where(on, partner[:, None], -1).astype(np.int64)
    if len(columns["varies"]):
        out[columns["varies"]] = find(columns["varies_partner"])
    return out


def read_outcomes(conn: sa.Connection, result_id: int) -> StoredOutcomes:
    """Rebuild the result's :class:`MatchOutcomes` from its stored columns."""
    a = s.analysis_arrays
    sides: dict[str, dict[str, NDArray[Any]]] = {"prediction": {}, "ground_truth": {}}
    for side, name, data in conn.execute(
        sa.select(a.c.side, a.c.name, a.c.data).where(a.c.result_id == result_id)
    ):
        sides[side][name] = np.load(io.BytesIO(bytes(data)), allow_pickle=False)
    return StoredOutcomes.from_columns(result_id, sides["prediction"], sides["ground_truth"])


def _outcomes_of(
    pred: dict[str, NDArray[Any]], truth: dict[str, NDArray[Any]], gt_sorter: NDArray[np.int64]
) -> MatchOutcomes:
    pred_match = partner_positions(pred, pred["matched_mask"], truth["annotation_id"], gt_sorter)
    gt_match = np.full((len(truth["annotation_id"]), T), -1, np.int64)
    rows, cols = np.nonzero(pred_match >= 0)
    gt_match[pred_match[rows, cols], cols] = rows  # a crowd GT keeps one of its predictions
    return MatchOutcomes(
        pred_class=pred["class_index"],
        pred_score=pred["score"],
        pred_match=pred_match,
        pred_ignored=(pred["ignored_mask"][:, None] & _BITS[None, :]) != 0,
        gt_class=truth["class_index"],
        gt_ignored=truth["ignored"].astype(bool),
        gt_match=gt_match,
        iou_thresholds=ANALYSIS_IOU_THRESHOLDS,
    )
