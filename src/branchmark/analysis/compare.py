"""Comparing two analyses on the same ground truth: per-class deltas and flipped objects."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.analysis.compute import PROTOCOL_VERSION
from branchmark.analysis.persist import StoredOutcomes
from branchmark.analysis.queries import grid_index, snap_threshold, stored_outcomes, summary_at
from branchmark.analysis.records import AnalysisRecord
from branchmark.errors import ConflictError
from branchmark.store import Store

METRICS = ("ap", "precision", "recall", "f1")
#: Flipped ids listed per direction (the counts are always exact).
MAX_LISTED = 1000


@dataclasses.dataclass(frozen=True)
class Comparison:
    """``b`` minus ``a`` at one ``(IoU, confidence)`` point.

    ``per_class``: ``[{"class", "name", "a": {...}, "b": {...}, "delta": {ap, precision, recall,
    f1}}]``; ``gt_flips``: GT annotation ids found (TP) by one analysis and missed (FN) by the
    other; ``prediction_flips``: predictions present in both (same prediction branch) that are
    TP in one and FP in the other.
    """

    a: str
    b: str
    iou_threshold: float
    confidence: float
    overall: dict[str, Any]
    per_class: list[dict[str, Any]]
    gt_flips: dict[str, Any]
    prediction_flips: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else b - a


def _gt_found(
    loaded: StoredOutcomes, t: int, confidence: float
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    o = loaded.outcomes
    match = o.gt_match[:, t]
    scores = np.append(o.pred_score, -np.inf)[np.where(match >= 0, match, len(o.pred_score))]
    return loaded.gt_annotation_id, scores >= confidence, o.gt_ignored


def _pred_tp(
    loaded: StoredOutcomes, t: int, confidence: float
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    o = loaded.outcomes
    kept = (o.pred_score >= confidence) & ~o.pred_ignored[:, t]
    return loaded.pred_annotation_id, o.pred_match[:, t] >= 0, kept


def _flips(
    ids_a: NDArray[np.int64],
    on_a: NDArray[np.bool_],
    ids_b: NDArray[np.int64],
    on_b: NDArray[np.bool_],
    labels: tuple[str, str],
) -> dict[str, Any]:
    common, ia, ib = np.intersect1d(ids_a, ids_b, assume_unique=True, return_indices=True)
    lost = common[on_a[ia] & ~on_b[ib]]
    gained = common[~on_a[ia] & on_b[ib]]
    return {
        "compared": int(len(common)),
        labels[0]: {"count": int(len(lost)), "annotation_ids": lost[:MAX_LISTED].tolist()},
        labels[1]: {"count": int(len(gained)), "annotation_ids": gained[:MAX_LISTED].tolist()},
    }


def compare_analyses(
    store: Store,
    a: AnalysisRecord,
    b: AnalysisRecord,
    *,
    iou_threshold: float = 0.5,
    confidence: float = 0.0,
) -> Comparison:
    """Per-class deltas (``b - a``) of AP, precision, recall, F1 and the objects that flipped.

    Both analyses must use the same ground-truth branch, analysed at the same revision (else
    GT objects cannot be paired), and results of the same protocol version (else objects flip
    because the rules changed, not the models): ``ConflictError`` says which to re-run.
    """
    if a.ground_truth != b.ground_truth:
        raise ConflictError(
            f"{a.name!r} uses ground truth {a.ground_truth!r}, {b.name!r} uses {b.ground_truth!r}"
        )
    sa_, sb = (
        summary_at(store, a, iou_threshold=iou_threshold, confidence=confidence),
        summary_at(store, b, iou_threshold=iou_threshold, confidence=confidence),
    )
    assert a.result is not None and b.result is not None  # summary_at raised otherwise
    if a.result.gt_revision != b.result.gt_revision:
        raise ConflictError(
            f"{a.name!r} and {b.name!r} saw different revisions of {a.ground_truth!r} "
            f"({a.result.gt_revision} vs {b.result.gt_revision}); reanalyse the older one"
        )
    versions = (a.result.protocol_version, b.result.protocol_version)
    if versions[0] != versions[1]:
        # Only this code's PROTOCOL_VERSION can be produced again, so the one to re-run is the
        # one (or both) not at it.
        old = [r.name for r, v in zip((a, b), versions, strict=True) if v != PROTOCOL_VERSION]
        todo = f"{old[0]!r} to bring it" if len(old) == 1 else "both to bring them"
        raise ConflictError(
            f"{a.name!r} and {b.name!r} were computed under different protocol versions "
            f"({versions[0]} vs {versions[1]}); reanalyse {todo} to {PROTOCOL_VERSION}"
        )
    rows_a = {r["class"]: r for r in sa_["per_class"]}
    rows_b = {r["class"]: r for r in sb["per_class"]}
    per_class = []
    for k in sorted(set(rows_a) | set(rows_b)):
        ra, rb = rows_a.get(k, {}), rows_b.get(k, {})
        per_class.append(
            {
                "class": k,
                "name": (ra or rb).get("name"),
                "a": ra,
                "b": rb,
                "delta": {m: _delta(ra.get(m), rb.get(m)) for m in METRICS},
            }
        )
    oa, ob = sa_["overall"], sb["overall"]
    overall = {
        "a": oa,
        "b": ob,
        "delta": {m: _delta(oa.get(m), ob.get(m)) for m in ("map", *METRICS[1:])},
    }
    t = grid_index(iou_threshold)
    la, lb = stored_outcomes(store, a), stored_outcomes(store, b)
    ga, fa, ia = _gt_found(la, t, confidence)
    gb, fb, ib = _gt_found(lb, t, confidence)
    gt_flips = _flips(ga[~ia], fa[~ia], gb[~ib], fb[~ib], ("tp_to_fn", "fn_to_tp"))
    pa, ta, ka = _pred_tp(la, t, confidence)
    pb, tb, kb = _pred_tp(lb, t, confidence)
    if a.branch == b.branch:
        prediction_flips = _flips(pa[ka], ta[ka], pb[kb], tb[kb], ("tp_to_fp", "fp_to_tp"))
    else:
        prediction_flips = {
            "compared": 0,
            "tp_to_fp": {"count": 0, "annotation_ids": []},
            "fp_to_tp": {"count": 0, "annotation_ids": []},
        }
    return Comparison(
        a.name,
        b.name,
        snap_threshold(iou_threshold),
        float(confidence),
        overall,
        per_class,
        gt_flips,
        prediction_flips,
    )
