"""Listing the objects of one confusion-matrix cell, exactly.

Stored per object with each result (``analysis_arrays``, written by
:mod:`~branchmark.analysis.persist` from :class:`~branchmark.analysis.confusion_pairs.
ConfusionPairs`): predictions ``confusion_partner`` (annotation id of the matched GT, -1 none),
``confusion_row`` (the matrix row the prediction counts in: the partner's class position, ``K``
for background, -1 when absorbed by a crowd or ignored GT and counted nowhere) and
``confusion_similarity`` (NaN without partner); GT ``confusion_missed`` (counted in the
``missed`` column).  A cell's listing filters these columns, so its total is the cell's count.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from branchmark.analysis.pages import (
    GROUND_TRUTH,
    PREDICTION,
    class_positions,
    gt_labels,
    page_rows,
    prediction_labels,
    validate_page,
)
from branchmark.analysis.queries import class_list, confusion, grid_index, stored_outcomes
from branchmark.analysis.records import AnalysisRecord, OutcomePage
from branchmark.errors import ConflictError, ValidationError
from branchmark.evaluation.confusion import BACKGROUND, MISSED
from branchmark.store import Store


def _axis(value: str | int, special: str, known: list[dict[str, Any]], what: str) -> int:
    """Matrix position of a row or column: a class (``class_positions``) or ``special``."""
    if value == special:
        return len(known)
    positions = class_positions([value], known)
    if len(positions) != 1:
        raise ValidationError(
            f"{what} {value!r} names {len(positions)} classes; use a feature hash or a position"
        )
    return positions[0]


def confusion_objects(
    store: Store,
    record: AnalysisRecord,
    *,
    row: str | int,
    column: str | int,
    page: int = 0,
    page_size: int = 50,
) -> OutcomePage:
    """The objects one confusion-matrix cell counts, exactly (``total`` equals the cell).

    Parameters
    ----------
    store, record
        The workspace and a stored analysis.
    row
        A GT class (name, feature hash or position, as :func:`~branchmark.analysis.pages.
        class_positions` reads them) or ``"background"`` (predictions that matched no GT).
        The labels ``"background"`` and ``"missed"`` always mean the extra row / column; a
        class of that name is reached by feature hash or position.
    column
        A predicted class, or ``"missed"`` (GT that no prediction matched).
    page, page_size
        Page from 0; ``1 <= page_size <= 1000``.

    Returns
    -------
    OutcomePage
        Predictions (cells of a predicted-class column) by descending score, or GT (the
        ``missed`` column) by data unit and frame.  Each row's ``partner_id`` /
        ``partner_object_hash`` / ``similarity`` are those of its confusion pair (class
        agnostic, IoU of the matrix); ``outcome`` / ``reason`` are its per-class outcome at
        that IoU and confidence 0.  ``(background, missed)`` is refused (``ValidationError``).
    """
    validate_page(page, page_size)
    known = class_list(store, record)
    r = _axis(row, BACKGROUND, known, "row")
    c = _axis(column, MISSED, known, "column")
    k = len(known)
    if r == k and c == k:
        raise ValidationError("the (background, missed) cell is always empty")
    loaded = stored_outcomes(store, record)
    t = grid_index(float(confusion(store, record)["iou_threshold"]))
    if c == k:  # the missed column: GT of class r no prediction matched
        cols = loaded.ground_truth
        if "confusion_missed" not in cols:
            raise _no_pairs(record)
        keep = cols["confusion_missed"].astype(bool) & (cols["class_index"] == r)
        kind, order = GROUND_TRUTH, loaded.ground_truth_order
        labels, codes = gt_labels(cols, t, 0.0), None
    else:
        cols = loaded.prediction
        if "confusion_row" not in cols:
            raise _no_pairs(record)
        keep = (cols["confusion_row"] == r) & (cols["class_index"] == c)
        kind, order = PREDICTION, loaded.prediction_order
        labels, codes = prediction_labels(cols, t)
    selected = order[keep[order]]
    chosen = selected[page * page_size : (page + 1) * page_size]
    if kind == PREDICTION:
        partner = cols["confusion_partner"][chosen].astype(np.int64)
        similarity = cols["confusion_similarity"][chosen].astype(np.float64)
    else:
        partner, similarity = np.full(len(chosen), -1, np.int64), np.full(len(chosen), np.nan)
    rows = page_rows(store, loaded, kind, chosen, labels, codes, known, (partner, similarity))
    return OutcomePage(int(len(selected)), page, page_size, rows)


def _no_pairs(record: AnalysisRecord) -> ConflictError:
    return ConflictError(
        f"analysis {record.name!r} was stored before confusion pairs were kept; re-run it to "
        "list the objects of a confusion cell"
    )
