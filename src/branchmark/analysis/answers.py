"""Attribute answers (Strict/Partial matching) and frame-level classifications, read in bulk.

Objects: each object's answers at its frame become an :class:`~branchmark.evaluation.Answers`
tree (``evaluation.read_object_answers``); equal trees share one code, and the compatibility of
every (GT code, prediction code) pair is computed once (``evaluation.compatibility_matrix``), so
a pair's compatibility is a table lookup.

Classifications: every top-level ontology classification is scored per frame
(``evaluation.evaluate_radio`` / ``evaluate_checklist`` / ``evaluate_text``) over the frames
where either branch answers it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.analysis.inputs import ObjectClasses, read_answer_rows
from branchmark.evaluation import (
    Answers,
    MatchMode,
    compatibility_matrix,
    evaluate_checklist,
    evaluate_radio,
    evaluate_text,
    read_object_answers,
)
from branchmark.store import schema as t
from branchmark.store.annotations import read_annotations

AnswerCodes = tuple[NDArray[np.int64], list[Answers]]


def answer_codes(
    conn: sa.Connection,
    *,
    branch_id: int,
    classes: ObjectClasses,
    category: NDArray[np.int64],
    frame: NDArray[np.int64],
) -> AnswerCodes:
    """``(code per object, distinct Answers)`` for the branch's objects (in ``read_annotations``
    order); objects without answers share ``Answers()``."""
    n = len(category)
    rows = read_answer_rows(conn, branch_id=branch_id)
    distinct: dict[Answers, int] = {Answers(): 0}
    codes = np.zeros(n, np.int64)
    if not rows or n == 0:
        return codes, list(distinct)
    hashes = read_annotations(conn, branch_id=branch_id, columns=("object_hash",))["object_hash"]
    parsed: dict[tuple[str, int], int] = {}
    for i, object_hash in enumerate(hashes.tolist()):
        entry = rows.get(object_hash)
        if entry is None:
            continue
        static, dynamic = entry
        key = (object_hash, int(frame[i]) if dynamic else -1)
        if key not in parsed:
            answers = read_object_answers(
                static,
                attributes=classes.attributes[int(category[i])],
                actions=dynamic,
                frame=int(frame[i]),
                object_hash=object_hash,
            )
            parsed[key] = distinct.setdefault(answers, len(distinct))
        codes[i] = parsed[key]
    return codes, list(distinct)


def compatibility_table(
    gt: AnswerCodes, dt: AnswerCodes, *, mode: MatchMode | str
) -> NDArray[np.bool_]:
    """``(n_gt_codes, n_dt_codes)`` bool: may answers ``i`` (GT) and ``j`` (prediction) match."""
    return compatibility_matrix(gt[1], dt[1], mode=mode)


# -- frame-level classifications -----------------------------------------------------------


def _classification_frames(
    conn: sa.Connection, branch_id: int
) -> dict[str, dict[tuple[int, int], tuple[dict[str, Any], float]]]:
    """Feature hash -> {(data unit, frame): (raw answer, confidence)} of the branch."""
    c = t.classifications
    out: dict[str, dict[tuple[int, int], tuple[dict[str, Any], float]]] = {}
    for unit, feature, ranges, confidence, entry in conn.execute(
        sa.select(c.c.data_unit_id, c.c.feature_hash, c.c.ranges, c.c.confidence, c.c.entry)
        .where(c.c.branch_id == branch_id)
        .order_by(c.c.id)
    ):
        # The entry lists the top-level attribute's answer and nested ones, by feature hash.
        raw = {
            str(a.get("featureHash")): a.get("answers")
            for a in orjson.loads(entry).get("classifications", [])
        }
        score = 1.0 if confidence is None else float(confidence)
        frames = out.setdefault(str(feature), {})
        for start, end in orjson.loads(ranges):
            for f in range(int(start), int(end) + 1):
                frames[(int(unit), f)] = (raw, score)
    return out


def _options(raw: Any) -> list[str]:
    if isinstance(raw, list):
        return [str(o.get("featureHash")) for o in raw if isinstance(o, Mapping)]
    return []


def _first_option(raw: Any) -> str | None:
    chosen = _options(raw) if raw is not None else []
    return chosen[0] if chosen else None


def evaluate_classifications(
    conn: sa.Connection, *, gt_branch_id: int, branch_id: int, ontology: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Per ontology classification: ``{"feature_hash", "name", "kind", "n_frames", "metrics"}``
    with ``metrics`` the ``to_dict()`` of the evaluation result (only classifications that
    either branch answers)."""
    gt_frames = _classification_frames(conn, gt_branch_id)
    dt_frames = _classification_frames(conn, branch_id)
    results = []
    for spec in ontology.get("classifications", []):
        feature = str(spec.get("featureNodeHash"))
        attributes: Sequence[Mapping[str, Any]] = spec.get("attributes", [])
        gt, dt = gt_frames.get(feature, {}), dt_frames.get(feature, {})
        if not (gt or dt) or not attributes:
            continue
        attribute = attributes[0]
        kind = str(attribute.get("type"))
        frames = sorted(set(gt) | set(dt))
        key = str(attribute.get("featureNodeHash"))
        g = [gt[k][0].get(key) if k in gt else None for k in frames]
        d = [dt[k][0].get(key) if k in dt else None for k in frames]
        scores = [dt.get(k, (None, 0.0))[1] for k in frames]
        options = [str(o.get("featureNodeHash")) for o in attribute.get("options", [])]
        if kind == "radio":
            first, pred = [_first_option(v) for v in g], [_first_option(v) for v in d]
            metrics = evaluate_radio(first, pred, scores=scores, options=options or None).to_dict()
        elif kind == "checklist":
            metrics = evaluate_checklist(
                [None if v is None else _options(v) for v in g],
                [None if v is None else _options(v) for v in d],
                options=options or None,
            ).to_dict()
        elif kind == "text":
            metrics = evaluate_text(
                [None if v is None else str(v) for v in g],
                [None if v is None else str(v) for v in d],
            ).to_dict()
        else:
            continue  # numeric classifications have no metric in EVALUATION.md
        results.append(
            {
                "feature_hash": feature,
                "name": str(spec.get("name", attribute.get("name", ""))),
                "kind": kind,
                "n_frames": len(frames),
                "metrics": metrics,
            }
        )
    return results
