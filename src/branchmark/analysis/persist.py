"""Writing a run's result (one transaction) and reading the stored per-object outcomes back.

Per-object encoding (the columns of ``analysis_predictions`` / ``analysis_ground_truth``, see
``store.analysis_schema``): bit ``t`` of ``matched_mask`` / ``ignored_mask`` is the outcome at
grid threshold ``t``; ``reasons`` holds 3 bits per threshold; ``partner_id`` is the annotation id
of the partner at the lowest threshold where the object is matched, ``similarity`` their
similarity (for a prediction never matched: its best same-class similarity, 0 when none), and
``partners`` is NULL unless the partner differs between thresholds (greedy matching is not
monotone in the threshold), then ``int64[T]`` partner ids (-1 none) followed by ``float64[T]``
similarities.
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
from branchmark.store.annotations import insert_rows
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
    return (flags.astype(np.int64) * _BITS[:, None]).sum(axis=0) if flags.size else np.zeros(flags.shape[1], np.int64)


def _partners(
    match: NDArray[np.int64], similarity: NDArray[np.float64], partner_ids: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.float64], list[bytes | None]]:
    """``(partner_id (-1 none), similarity (NaN none), blobs)`` per object from ``(T, N)``."""
    n = match.shape[1]
    matched = match >= 0
    first = np.argmax(matched, axis=0)
    any_match = matched.any(axis=0)
    cols = np.arange(n)
    partner = np.where(any_match, match[first, cols], -1)
    sim = np.where(any_match, similarity[first, cols], np.nan)
    varies = (matched & (match != partner[None, :])).any(axis=0)
    blobs: list[bytes | None] = [None] * n
    for i in np.flatnonzero(varies).tolist():
        ids = np.where(match[:, i] >= 0, partner_ids[np.maximum(match[:, i], 0)], -1).astype(np.int64)
        blobs[i] = ids.tobytes() + similarity[:, i].astype(np.float64).tobytes()
    pid = np.where(partner >= 0, partner_ids[np.maximum(partner, 0)] if len(partner_ids) else -1, -1)
    return pid.astype(np.int64), sim, blobs


def _none_nan(values: NDArray[np.float64]) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]


def _pr_npz(outputs: AnalysisOutputs) -> bytes:
    params = outputs.coco.params
    buffer = io.BytesIO()
    np.savez(  # uncompressed: compressing the NaN-rich arrays costs more than it saves
        buffer, precision=outputs.coco.precision, recall=outputs.coco.recall,
        scores=outputs.coco.scores, iou_thresholds=params.iou_thresholds,
        recall_thresholds=params.recall_thresholds, area_labels=np.array(params.area_labels),
        max_dets=np.array(params.max_dets), class_ap=outputs.coco.class_ap,
    )  # fmt: skip
    return buffer.getvalue()


def read_pr_npz(blob: bytes) -> dict[str, NDArray[Any]]:
    with np.load(io.BytesIO(blob)) as data:
        return {k: data[k] for k in data.files}


def write_result(
    conn: sa.Connection, *, analysis_id: int, job_id: int, inputs: AnalysisInputs, outputs: AnalysisOutputs
) -> int:
    """Replace the analysis's result with this run's, in ``conn``'s transaction; return its id."""
    conn.execute(s.analysis_results.delete().where(s.analysis_results.c.analysis_id == analysis_id))
    coco = outputs.coco
    summary = {
        "coco": {**coco.to_dict(), "coco_stats": coco.coco_stats(), "lines": coco.summary_lines(),
                 "max_dets": list(coco.params.max_dets)},
        "default": outputs.summary.to_dict(),
        "counts": {"ground_truth": len(inputs.gt), "predictions": len(inputs.dt),
                   "images": len(inputs.image_keys)},
        "thresholds": [round(float(v), 10) for v in outputs.thresholds],
    }  # fmt: skip
    result_id = conn.execute(
        s.analysis_results.insert().values(
            analysis_id=analysis_id, job_id=job_id, created_at=utc_now(),
            protocol_version=PROTOCOL_VERSION, ontology_version=inputs.ontology_version,
            gt_revision=inputs.gt_revision, pred_revision=inputs.pred_revision,
            summary=dumps(summary), classes=dumps(classes_document(inputs.classes)),
            confusion=dumps(outputs.confusion.to_dict()),
            classifications=dumps(inputs.classifications), pr_arrays=_pr_npz(outputs),
        )  # fmt: skip
    ).inserted_primary_key[0]
    gt, dt = inputs.gt, inputs.dt
    matched = outputs.dt_match >= 0
    pid, sim, blobs = _partners(outputs.dt_match, outputs.dt_partner_similarity, gt.annotation_id)
    sim = np.where(np.isnan(sim), outputs.best_similarity, sim)
    reasons = (outputs.reasons.astype(np.int64) << (3 * np.arange(T, dtype=np.int64))[:, None]).sum(axis=0)
    n = len(dt)
    insert_rows(
        conn, s.analysis_predictions,
        ("result_id", "annotation_id", "data_unit_id", "frame", "class_index", "score",
         "matched_mask", "ignored_mask", "reasons", "partner_id", "similarity", "partners"),
        list(zip([result_id] * n, dt.annotation_id.tolist(), dt.data_unit_id.tolist(),
                 dt.frame.tolist(), dt.category.tolist(), dt.score.tolist(),
                 _masks(matched).tolist(), _masks(outputs.dt_ignored).tolist(),
                 reasons.tolist(), [None if p < 0 else p for p in pid.tolist()],
                 _none_nan(sim), blobs, strict=True)),
    )  # fmt: skip
    g_pid, g_sim, g_blobs = _partners(outputs.gt_match, outputs.gt_partner_similarity, dt.annotation_id)
    scores = np.where(outputs.gt_match >= 0, dt.score[np.maximum(outputs.gt_match, 0)] if n else 0.0, np.nan)
    m = len(gt)
    insert_rows(
        conn, s.analysis_ground_truth,
        ("result_id", "annotation_id", "data_unit_id", "frame", "class_index", "ignored",
         *(f"match_score_{x}" for x in s.GRID_SUFFIXES), "partner_id", "similarity", "partners"),
        list(zip([result_id] * m, gt.annotation_id.tolist(), gt.data_unit_id.tolist(),
                 gt.frame.tolist(), gt.category.tolist(), outputs.gt_ignored.tolist(),
                 *(_none_nan(scores[t]) for t in range(T)),
                 [None if p < 0 else p for p in g_pid.tolist()], _none_nan(g_sim), g_blobs,
                 strict=True)),
    )  # fmt: skip
    return int(result_id)


@dataclasses.dataclass(frozen=True)
class StoredOutcomes:
    """A result's per-object outcomes read back: the slider state plus row ids for paging."""

    result_id: int
    outcomes: MatchOutcomes
    pred_annotation_id: NDArray[np.int64]
    gt_annotation_id: NDArray[np.int64]


def _fetch(conn: sa.Connection, query: sa.Select[Any], dtype: np.dtype[Any]) -> NDArray[Any]:
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    cursor = conn.connection.cursor()
    try:
        cursor.execute(str(compiled))
        return np.fromiter(cursor, dtype=dtype)
    finally:
        cursor.close()


def _partner_matrix(
    conn: sa.Connection, table: sa.Table, result_id: int, rows: NDArray[Any], target_ids: NDArray[np.int64]
) -> NDArray[np.int64]:
    """``(N, T)`` partner positions (into ``target_ids``, sorted ascending) or -1."""
    mask_bits = rows["matched"][:, None] & _BITS[None, :]
    position = np.searchsorted(target_ids, rows["partner"]) if len(target_ids) else np.zeros(len(rows), np.int64)
    out = np.where(mask_bits != 0, position[:, None], -1).astype(np.int64)
    varied = conn.execute(
        sa.select(table.c.id, table.c.partners).where(table.c.result_id == result_id, table.c.partners.is_not(None))
    ).all()
    if varied:
        index = np.searchsorted(rows["id"], [r[0] for r in varied])
        for i, (_, blob) in zip(index.tolist(), varied, strict=True):
            ids = np.frombuffer(bytes(blob)[: 8 * T], dtype=np.int64)
            out[i] = np.where(ids >= 0, np.searchsorted(target_ids, ids), -1)
    return out


def read_outcomes(conn: sa.Connection, result_id: int) -> StoredOutcomes:
    """Rebuild the result's :class:`MatchOutcomes` from its rows (predictions in stored order)."""
    p, g = s.analysis_predictions, s.analysis_ground_truth
    preds = _fetch(conn, sa.select(p.c.id, p.c.annotation_id, p.c.class_index, p.c.score, p.c.matched_mask,
                                   p.c.ignored_mask, sa.func.coalesce(p.c.partner_id, -1))
                   .where(p.c.result_id == result_id).order_by(p.c.id),
                   np.dtype([("id", np.int64), ("ann", np.int64), ("cls", np.int64), ("score", np.float64),
                             ("matched", np.int64), ("ignored", np.int64), ("partner", np.int64)]))  # fmt: skip
    gts = _fetch(conn, sa.select(g.c.id, g.c.annotation_id, g.c.class_index, sa.cast(g.c.ignored, sa.Integer),
                                 sa.func.coalesce(g.c.partner_id, -1))
                 .where(g.c.result_id == result_id).order_by(g.c.id),
                 np.dtype([("id", np.int64), ("ann", np.int64), ("cls", np.int64), ("ignored", np.int64),
                           ("partner", np.int64)]))  # fmt: skip
    # Rows were inserted in annotation-id order (read_annotations' order), so row ids and
    # annotation ids ascend together and a partner's position is a binary search.
    pred_match = _partner_matrix(conn, p, result_id, preds, gts["ann"])
    gt_match = np.full((len(gts), T), -1, np.int64)
    rows, cols = np.nonzero(pred_match >= 0)
    gt_match[pred_match[rows, cols], cols] = rows  # a crowd GT keeps one of its predictions
    pred_ignored = (preds["ignored"][:, None] & _BITS[None, :]) != 0
    outcomes = MatchOutcomes(
        pred_class=preds["cls"], pred_score=preds["score"], pred_match=pred_match,
        pred_ignored=pred_ignored, gt_class=gts["cls"], gt_ignored=gts["ignored"].astype(bool),
        gt_match=gt_match,
        iou_thresholds=ANALYSIS_IOU_THRESHOLDS,
    )  # fmt: skip
    return StoredOutcomes(result_id, outcomes, preds["ann"], gts["ann"])

