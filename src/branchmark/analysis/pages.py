"""Paged per-object outcome lists, filtered in SQL on the stored outcome columns.

At ``(IoU t on the grid, confidence c)``, with ``b = 1 << t``:

- a prediction is kept when ``score >= c``; then TP: ``matched & b`` and not ``ignored & b``;
  FP: neither; ignored: ``ignored & b``; its FP reason is ``(reasons >> 3t) & 7``;
- a GT object is ignored (crowd) or matched at ``(t, c)`` when ``match_score_t >= c``, else FN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa

from branchmark.analysis.fp_reasons import REASON_CODES, reason_code
from branchmark.analysis.persist import T
from branchmark.analysis.queries import class_list, grid_index, _result_id
from branchmark.analysis.records import AnalysisRecord, OutcomePage, OutcomeRow
from branchmark.errors import ValidationError
from branchmark.store import Store, catalog
from branchmark.store import analysis_schema as s
from branchmark.store import schema as st

PREDICTION, GROUND_TRUTH = "prediction", "ground_truth"
OUTCOMES = {PREDICTION: ("tp", "fp", "ignored"), GROUND_TRUTH: ("tp", "fn", "ignored")}
MAX_PAGE_SIZE = 1000


def _class_positions(classes: Sequence[str | int], known: list[dict[str, Any]]) -> list[int]:
    out = []
    for c in classes:
        hit = [k["index"] for k in known if c in (k["index"], k["feature_hash"], k["name"])]
        if not hit:
            raise ValidationError(f"class {c!r} is not a class of this analysis")
        out.extend(hit)
    return out


def _bit(column: Any, t: int) -> Any:
    return column.op("&")(1 << t) != 0


def _prediction_filters(table: sa.Table, *, t: int, confidence: float, outcome: str | None,
                        reasons: Sequence[str] | None) -> list[Any]:  # fmt: skip
    where = [table.c.score >= confidence]
    matched, ignored = _bit(table.c.matched_mask, t), _bit(table.c.ignored_mask, t)
    if outcome == "tp":
        where += [matched, sa.not_(ignored)]
    elif outcome == "fp" or reasons:
        where += [sa.not_(matched), sa.not_(ignored)]
    elif outcome == "ignored":
        where.append(ignored)
    if reasons:
        code = table.c.reasons.op(">>")(sa.literal(3 * t, sa.Integer)).op("&")(7)
        where.append(code.in_([reason_code(r) for r in reasons]))
    return where


def _gt_filters(table: sa.Table, *, t: int, confidence: float, outcome: str | None) -> list[Any]:
    score = table.c[f"match_score_{s.GRID_SUFFIXES[t]}"]
    if outcome == "tp":
        return [sa.not_(table.c.ignored), score >= confidence]
    if outcome == "fn":
        return [sa.not_(table.c.ignored), sa.or_(score.is_(None), score < confidence)]
    if outcome == "ignored":
        return [table.c.ignored]
    return []


def outcome_page(
    store: Store,
    record: AnalysisRecord,
    *,
    kind: str = PREDICTION,
    outcome: str | None = None,
    iou_threshold: float = 0.5,
    confidence: float = 0.0,
    classes: Sequence[str | int] | None = None,
    reasons: Sequence[str] | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    data_hash: str | None = None,
    page: int = 0,
    page_size: int = 50,
) -> OutcomePage:
    """Objects of ``kind`` (``"prediction"`` or ``"ground_truth"``) matching every filter.

    ``outcome``: ``tp``/``fp``/``ignored`` for predictions, ``tp`` (matched)/``fn``/``ignored``
    for GT; ``reasons`` (FP reasons, predictions only) implies ``fp``; ``classes`` by name,
    feature hash or position; ``min_score``/``max_score`` bound prediction scores (inclusive);
    ``page`` counts from 0.  Predictions come by descending score, GT by data unit and frame.
    """
    if kind not in OUTCOMES:
        raise ValidationError(f"kind must be one of {list(OUTCOMES)}, got {kind!r}")
    if outcome is not None and outcome not in OUTCOMES[kind]:
        raise ValidationError(f"outcome for {kind} must be one of {list(OUTCOMES[kind])}, got {outcome!r}")
    if reasons and kind != PREDICTION:
        raise ValidationError("FP reasons filter predictions only (kind='prediction')")
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
        raise ValidationError(f"page >= 0 and 1 <= page_size <= {MAX_PAGE_SIZE}, got {page}, {page_size}")
    t = grid_index(iou_threshold)
    known = class_list(store, record)
    table = s.analysis_predictions if kind == PREDICTION else s.analysis_ground_truth
    where = [table.c.result_id == _result_id(record)]
    if kind == PREDICTION:
        where += _prediction_filters(table, t=t, confidence=confidence, outcome=outcome, reasons=reasons)
        if min_score is not None:
            where.append(table.c.score >= min_score)
        if max_score is not None:
            where.append(table.c.score <= max_score)
        order = [table.c.score.desc(), table.c.id]
    else:
        where += _gt_filters(table, t=t, confidence=confidence, outcome=outcome)
        order = [table.c.data_unit_id, table.c.frame, table.c.id]
    if classes is not None:
        where.append(table.c.class_index.in_(_class_positions(classes, known)))
    with store.read() as conn:
        if data_hash is not None:
            unit = catalog.get_data_unit(conn, record_project_id(conn, record), data_hash)
            where.append(table.c.data_unit_id == unit.id)
        total = int(conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar_one())
        a, partner, du = st.annotations, st.annotations.alias("partner"), st.data_units
        rows = conn.execute(
            sa.select(table, a.c.object_hash, partner.c.object_hash.label("partner_hash"),
                      du.c.data_hash, du.c.title)
            .outerjoin(a, a.c.id == table.c.annotation_id)
            .outerjoin(partner, partner.c.id == table.c.partner_id)
            .join(du, du.c.id == table.c.data_unit_id)
            .where(*where).order_by(*order).limit(page_size).offset(page * page_size)
        ).all()  # fmt: skip
    return OutcomePage(total, page, page_size, tuple(_row(r, kind, t, confidence, known) for r in rows))


def record_project_id(conn: sa.Connection, record: AnalysisRecord) -> int:
    return int(conn.execute(sa.select(s.analyses.c.project_id).where(s.analyses.c.id == record.id)).scalar_one())


def _partner_at(row: Any, t: int, matched: bool) -> tuple[int | None, float | None]:
    if row.partners is not None:
        blob = bytes(row.partners)
        ids = np.frombuffer(blob[: 8 * T], np.int64)
        sims = np.frombuffer(blob[8 * T :], np.float64)
        pid = int(ids[t])
        return (pid, float(sims[t])) if pid >= 0 else (None, row.similarity)
    return (row.partner_id if matched else None), row.similarity


def _row(row: Any, kind: str, t: int, confidence: float, known: list[dict[str, Any]]) -> OutcomeRow:
    info = known[row.class_index]
    reason = None
    if kind == PREDICTION:
        matched = bool(row.matched_mask & (1 << t))
        if row.ignored_mask & (1 << t):
            outcome = "ignored"
        elif matched:
            outcome = "tp"
        else:
            outcome = "fp"
            code = (int(row.reasons) >> (3 * t)) & 7
            reason = REASON_CODES[code - 1].value if code else None
        score: float | None = float(row.score)
    else:
        match_score = row._mapping[f"match_score_{s.GRID_SUFFIXES[t]}"]
        matched = match_score is not None and match_score >= confidence
        outcome = "ignored" if row.ignored else ("tp" if matched else "fn")
        score = None
    partner_id, similarity = _partner_at(row, t, matched)
    return OutcomeRow(
        kind=kind, annotation_id=int(row.annotation_id), object_hash=row.object_hash,
        data_hash=row.data_hash, data_title=row.title, frame=int(row.frame),
        class_index=int(row.class_index), class_name=info["name"], feature_hash=info["feature_hash"],
        score=score, outcome=outcome, reason=reason, partner_id=partner_id,
        partner_object_hash=row.partner_hash if partner_id == row.partner_id else None,
        similarity=None if similarity is None or similarity != similarity else float(similarity),
    )  # fmt: skip
