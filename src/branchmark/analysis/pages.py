"""Paged per-object outcome lists, filtered on the columns cached per process.

At ``(IoU t on the grid, confidence c)``, with ``b = 1 << t``:

- a prediction is kept when ``score >= c``; then TP: ``matched_mask & b`` and not
  ``ignored_mask & b``; FP: neither; ignored: ``ignored_mask & b``; its FP reason is
  ``(reasons >> 3t) & 7``;
- a GT object is ignored (crowd, or a keypoint GT without labelled points, which
  ``COCOeval._prepare`` ignores too), or matched at ``(t, c)`` when ``match_score[:, t] >= c``,
  else FN.

The filters are boolean masks over the cached columns (a few milliseconds for a million
objects); only the page's rows go to SQL, for object hashes and data-unit names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.analysis.fp_reasons import REASON_CODES, reason_code
from branchmark.analysis.persist import StoredOutcomes, partner_positions
from branchmark.analysis.queries import class_list, grid_index, stored_outcomes
from branchmark.analysis.records import AnalysisRecord, OutcomePage, OutcomeRow
from branchmark.errors import ValidationError
from branchmark.store import Store
from branchmark.store import analysis_schema as s
from branchmark.store import schema as st

PREDICTION, GROUND_TRUTH = "prediction", "ground_truth"
OUTCOMES = {PREDICTION: ("tp", "fp", "ignored"), GROUND_TRUTH: ("tp", "fn", "ignored")}
MAX_PAGE_SIZE = 1000


def class_positions(classes: Sequence[str | int], known: list[dict[str, Any]]) -> list[int]:
    """Class positions named by ``classes`` (the one rule of every analysis query).

    An ``int`` is a class position (``0 <= k < K``).  A ``str`` is a class name or feature
    hash (a name shared by several classes selects them all); a ``str`` of decimal digits
    that is no class's name or hash is a position, so ``"3"`` from a URL means position 3
    unless a class is named ``"3"``.  Anything else raises ``ValidationError`` naming it.

    >>> known = [{"index": 0, "feature_hash": "f0", "name": "cat"},
    ...          {"index": 1, "feature_hash": "f1", "name": "7"}]
    >>> class_positions(["cat", 1, "0", "7", "f1"], known)
    [0, 1, 0, 1, 1]
    """
    out: list[int] = []
    for c in classes:
        if isinstance(c, bool) or not isinstance(c, str | int | np.integer):
            raise ValidationError(f"class {c!r}: expected a class name, feature hash or position")
        if isinstance(c, str):
            hit = [k["index"] for k in known if c in (k["feature_hash"], k["name"])]
            if hit:
                out.extend(hit)
                continue
            if not (c.isascii() and c.isdigit()):
                raise ValidationError(f"class {c!r} is not a class of this analysis")
        position = int(c)
        if not 0 <= position < len(known):
            raise ValidationError(
                f"class position {position} is outside this analysis's {len(known)} classes"
            )
        out.append(position)
    return out


def validate_page(page: int, page_size: int) -> None:
    """``ValidationError`` unless ``page >= 0`` and ``1 <= page_size <= MAX_PAGE_SIZE``."""
    if not 1 <= page_size <= MAX_PAGE_SIZE or page < 0:
        raise ValidationError(
            f"page >= 0 and 1 <= page_size <= {MAX_PAGE_SIZE}, got {page}, {page_size}"
        )


#: Outcome codes of the filters (small ints, not strings: a million labels per page call).
TP, FP_OR_FN, IGNORED = 0, 1, 2
_NAMES = {PREDICTION: ("tp", "fp", "ignored"), GROUND_TRUTH: ("tp", "fn", "ignored")}


def prediction_labels(
    cols: dict[str, NDArray[Any]], t: int
) -> tuple[NDArray[np.int8], NDArray[np.int64]]:
    bit = 1 << t
    matched = (cols["matched_mask"] & bit) != 0
    ignored = (cols["ignored_mask"] & bit) != 0
    labels = np.where(ignored, IGNORED, np.where(matched, TP, FP_OR_FN)).astype(np.int8)
    return labels, (cols["reasons"] >> (3 * t)) & 7


def gt_labels(cols: dict[str, NDArray[Any]], t: int, confidence: float) -> NDArray[np.int8]:
    found = cols["match_score"][:, t] >= confidence
    return np.where(cols["ignored"], IGNORED, np.where(found, TP, FP_OR_FN)).astype(np.int8)


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
    for GT; ``reasons`` (FP reasons, predictions only) implies ``fp``; ``classes``: names,
    feature hashes or positions (``int``, or a digit string naming no class; see
    :func:`class_positions`); ``min_score``/``max_score`` bound prediction scores (inclusive),
    on top of the confidence cut; ``page`` counts from 0.  Predictions come by descending score
    (ties in stored order), GT by data unit and frame.
    """
    if kind not in OUTCOMES:
        raise ValidationError(f"kind must be one of {list(OUTCOMES)}, got {kind!r}")
    if outcome is not None and outcome not in OUTCOMES[kind]:
        raise ValidationError(
            f"outcome for {kind} must be one of {list(OUTCOMES[kind])}, got {outcome!r}"
        )
    if reasons and kind != PREDICTION:
        raise ValidationError("FP reasons filter predictions only (kind='prediction')")
    validate_page(page, page_size)
    t = grid_index(iou_threshold)
    known = class_list(store, record)
    loaded = stored_outcomes(store, record)
    cols = loaded.prediction if kind == PREDICTION else loaded.ground_truth
    order = loaded.prediction_order if kind == PREDICTION else loaded.ground_truth_order
    keep = np.ones(len(cols["annotation_id"]), bool)
    if kind == PREDICTION:
        labels, codes = prediction_labels(cols, t)
        keep &= cols["score"] >= confidence
        if min_score is not None:
            keep &= cols["score"] >= min_score
        if max_score is not None:
            keep &= cols["score"] <= max_score
        if reasons:
            keep &= (labels == FP_OR_FN) & np.isin(codes, [reason_code(r) for r in reasons])
    else:
        labels, codes = gt_labels(cols, t, confidence), None
    if outcome is not None:
        keep &= labels == _NAMES[kind].index(outcome)
    if classes is not None:
        keep &= np.isin(cols["class_index"], class_positions(classes, known))
    if data_hash is not None:
        with store.read() as conn:
            unit = conn.execute(
                sa.select(st.data_units.c.id).where(
                    st.data_units.c.data_hash == data_hash,
                    st.data_units.c.project_id
                    == sa.select(s.analyses.c.project_id)
                    .where(s.analyses.c.id == record.id)
                    .scalar_subquery(),
                )
            ).scalar_one_or_none()
        if unit is None:
            raise ValidationError(f"no data unit {data_hash!r} in this project")
        keep &= cols["data_unit_id"] == unit
    selected = order[keep[order]]
    chosen = selected[page * page_size : (page + 1) * page_size]
    partners = match_partners(loaded, kind, chosen, t)
    rows = page_rows(store, loaded, kind, chosen, labels, codes, known, partners)
    return OutcomePage(int(len(selected)), page, page_size, rows)


def match_partners(
    loaded: StoredOutcomes, kind: str, chosen: NDArray[np.int64], t: int
) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """``(partner annotation id (-1 none), similarity (NaN none))`` at grid threshold ``t`` of
    the objects at ``chosen`` (positions into ``kind``'s stored columns)."""
    cols = loaded.prediction if kind == PREDICTION else loaded.ground_truth
    targets = loaded.ground_truth if kind == PREDICTION else loaded.prediction
    if kind == PREDICTION:
        mask = cols["matched_mask"][chosen]
    else:  # a GT is matched at t when some prediction's score is recorded for it there
        score = cols["match_score"][chosen]
        mask = (~np.isnan(score) * (1 << np.arange(score.shape[1]))).sum(axis=1)
    # Only the page's objects: their partner at t (from the varying list when it varies).
    varies = np.searchsorted(cols["varies"], chosen)
    inside = np.minimum(varies, max(len(cols["varies"]) - 1, 0))
    hit = (cols["varies"][inside] == chosen) if len(cols["varies"]) else np.zeros(len(chosen), bool)
    sub = {
        "partner": cols["partner"][chosen],
        "varies": np.flatnonzero(hit),
        "varies_partner": cols["varies_partner"][varies[hit]],
    }
    sorter = loaded.ground_truth_id_sorter if kind == PREDICTION else loaded.prediction_id_sorter
    partner_pos = partner_positions(sub, mask, targets["annotation_id"], sorter)[:, t]
    similarity = cols["similarity"][chosen].copy()
    similarity[hit] = cols["varies_similarity"][varies[hit], t]
    partner_ids = np.where(
        partner_pos >= 0, targets["annotation_id"][np.maximum(partner_pos, 0)], -1
    ).astype(np.int64)
    return partner_ids, similarity


def page_rows(
    store: Store,
    loaded: StoredOutcomes,
    kind: str,
    chosen: NDArray[np.int64],
    labels: NDArray[np.int8],
    codes: NDArray[np.int64] | None,
    known: list[dict[str, Any]],
    partners: tuple[NDArray[np.int64], NDArray[np.float64]],
) -> tuple[OutcomeRow, ...]:
    """The :class:`OutcomeRow` of each object at ``chosen``, with its outcome label / FP reason
    code and the ``(partner id, similarity)`` to show; one SQL query each for the object hashes
    and the data units of the page."""
    cols = loaded.prediction if kind == PREDICTION else loaded.ground_truth
    partner_ids, similarity = partners
    ids = sorted(
        {int(i) for i in cols["annotation_id"][chosen]} | {int(i) for i in partner_ids if i >= 0}
    )
    units = sorted({int(u) for u in cols["data_unit_id"][chosen]})
    a, du = st.annotations, st.data_units
    with store.read() as conn:
        hashes = (
            dict(conn.execute(sa.select(a.c.id, a.c.object_hash).where(a.c.id.in_(ids))).all())
            if ids
            else {}
        )
        names = (
            {
                int(r[0]): (r[1], r[2])
                for r in conn.execute(
                    sa.select(du.c.id, du.c.data_hash, du.c.title).where(du.c.id.in_(units))
                )
            }
            if units
            else {}
        )
    out = []
    for j, i in enumerate(chosen.tolist()):
        info = known[int(cols["class_index"][i])]
        label = _NAMES[kind][int(labels[i])]
        code = int(codes[i]) if codes is not None else 0
        partner = int(partner_ids[j]) if partner_ids[j] >= 0 else None
        sim = float(similarity[j])
        unit = names.get(int(cols["data_unit_id"][i]), ("", ""))
        out.append(
            OutcomeRow(
                kind=kind,
                annotation_id=int(cols["annotation_id"][i]),
                object_hash=hashes.get(int(cols["annotation_id"][i])),
                data_hash=unit[0],
                data_title=unit[1],
                frame=int(cols["frame"][i]),
                class_index=int(cols["class_index"][i]),
                class_name=info["name"],
                feature_hash=info["feature_hash"],
                score=float(cols["score"][i]) if kind == PREDICTION else None,
                outcome=label,
                reason=REASON_CODES[code - 1].value if label == "fp" and code else None,
                partner_id=partner,
                partner_object_hash=hashes.get(partner) if partner is not None else None,
                similarity=None if sim != sim else sim,
            )
        )
    return tuple(out)
