"""Fast reads of a stored analysis for the UI: slider summary, per-class table, PR, confusion,
outcome pages.

The per-object outcomes are read once per process and result (:func:`stored_outcomes`, an LRU
keyed by workspace and result id: a re-run writes a new result id), so a summary at any
``(IoU on the grid, confidence)`` is ``evaluation.summarize_thresholds`` on arrays in memory.
Outcome pages are one indexed SQL query each on the per-object rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np
import orjson
import sqlalchemy as sa

from branchmark.analysis.persist import StoredOutcomes, clean_json, read_outcomes, read_pr_npz
from branchmark.analysis.records import AnalysisRecord
from branchmark.errors import NotFoundError, ValidationError
from branchmark.evaluation import ANALYSIS_IOU_THRESHOLDS, summarize_thresholds
from branchmark.store import Store
from branchmark.store import analysis_schema as s

CACHE_SIZE = 4
_cache: OrderedDict[tuple[str, int], StoredOutcomes] = OrderedDict()
_lock = threading.Lock()


def _result_id(record: AnalysisRecord) -> int:
    if record.result is None:
        raise NotFoundError(
            f"analysis {record.name!r} has no result yet (status {record.status.value}"
            + (f": {record.job.message}" if record.job is not None and record.job.message else "")
            + ")"
        )
    return record.result.id


def stored_outcomes(store: Store, record: AnalysisRecord) -> StoredOutcomes:
    """The result's outcomes, loaded once per process and result."""
    key = (store.location, _result_id(record))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    with store.read() as conn:
        loaded = read_outcomes(conn, key[1])
    with _lock:
        _cache[key] = loaded
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return loaded


def remember_outcomes(store: Store, loaded: StoredOutcomes) -> None:
    """Put a result's outcomes in the per-process cache (the run that wrote them has them)."""
    with _lock:
        _cache[(store.location, loaded.result_id)] = loaded
        _cache.move_to_end((store.location, loaded.result_id))
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)


def _result_blob(store: Store, record: AnalysisRecord, column: str) -> bytes:
    r = s.analysis_results
    with store.read() as conn:
        blob = conn.execute(sa.select(r.c[column]).where(r.c.id == _result_id(record))).scalar_one()
    return bytes(blob)


def class_list(store: Store, record: AnalysisRecord) -> list[dict[str, Any]]:
    """``[{"index", "feature_hash", "name", "shape"}]`` of the result's class positions."""
    return list(orjson.loads(_result_blob(store, record, "classes")))


def snap_threshold(iou_threshold: float) -> float:
    """The grid value nearest ``iou_threshold`` (0.05:0.05:0.95); ``ValidationError`` off [0, 1]."""
    if not 0.0 <= iou_threshold <= 1.0:
        raise ValidationError(f"iou_threshold must be within 0..1, got {iou_threshold}")
    return float(
        ANALYSIS_IOU_THRESHOLDS[int(np.argmin(np.abs(ANALYSIS_IOU_THRESHOLDS - iou_threshold)))]
    )


def grid_index(iou_threshold: float) -> int:
    return int(np.argmin(np.abs(ANALYSIS_IOU_THRESHOLDS - snap_threshold(iou_threshold))))


def summary_at(
    store: Store, record: AnalysisRecord, *, iou_threshold: float = 0.5, confidence: float = 0.0
) -> dict[str, Any]:
    """Encord-style summary at ``(iou_threshold, confidence)``, without re-matching.

    Returns ``{"iou_threshold", "confidence", "overall": {tp, fp, fn, precision, recall, f1,
    map}, "per_class": [{class, feature_hash, name, tp, fp, fn, precision, recall, f1, ap}],
    "coco": {stats, coco_stats, lines, class_ap}}`` (NaN as null; IoU snapped to the grid).
    """
    loaded = stored_outcomes(store, record)
    result = summarize_thresholds(
        loaded.outcomes, iou_threshold=snap_threshold(iou_threshold), confidence=float(confidence)
    )
    classes = class_list(store, record)
    data = result.to_dict()
    for row in data["per_class"]:
        info = classes[row["class"]]
        row["feature_hash"], row["name"] = info["feature_hash"], info["name"]
    data["coco"] = (record.summary or {}).get("coco")
    return dict(clean_json(data))


def class_table(
    store: Store, record: AnalysisRecord, *, iou_threshold: float = 0.5, confidence: float = 0.0
) -> list[dict[str, Any]]:
    """Per-class rows at ``(t, c)``: TP, FP, FN, precision, recall, F1, AP@t, and the COCO AP
    (0.50:0.95, area all, maxDets 100) of every ontology class."""
    summary = summary_at(store, record, iou_threshold=iou_threshold, confidence=confidence)
    coco_ap = (record.summary or {}).get("coco", {}).get("class_ap", [])
    by_class = {row["class"]: row for row in summary["per_class"]}
    rows = []
    for info in class_list(store, record):
        k = info["index"]
        row = by_class.get(
            k,
            {
                "class": k,
                "tp": 0,
                "fp": 0,
                "fn": 0,
                "precision": None,
                "recall": None,
                "f1": None,
                "ap": None,
            },
        )
        rows.append(
            {
                **row,
                "feature_hash": info["feature_hash"],
                "name": info["name"],
                "shape": info["shape"],
                "coco_ap": coco_ap[k] if k < len(coco_ap) else None,
            }
        )
    return rows


def pr_arrays(store: Store, record: AnalysisRecord) -> dict[str, Any]:
    """The COCO arrays: ``precision (T, R, K, A, M)``, ``recall (T, K, A, M)``, ``scores``,
    ``iou_thresholds``, ``recall_thresholds``, ``area_labels``, ``max_dets``, ``class_ap``
    (numpy arrays, NaN where undefined)."""
    return read_pr_npz(_result_blob(store, record, "pr_arrays"))


def pr_curves(
    store: Store, record: AnalysisRecord, *, iou_threshold: float = 0.5
) -> list[dict[str, Any]]:
    """Per class at a COCO IoU (0.50:0.05:0.95, snapped): the 101-point interpolated precision
    over recall (area all, largest maxDets), as drawn in the report."""
    arrays = pr_arrays(store, record)
    thresholds = arrays["iou_thresholds"]
    t = int(np.argmin(np.abs(thresholds - iou_threshold)))
    area = list(arrays["area_labels"]).index("all")
    out = []
    for info in class_list(store, record):
        precision = arrays["precision"][t, :, info["index"], area, -1]
        if np.all(np.isnan(precision)):
            continue
        out.append(
            {
                "class": info["index"],
                "name": info["name"],
                "iou_threshold": round(float(thresholds[t]), 10),
                "recall": arrays["recall_thresholds"].tolist(),
                "precision": clean_json(precision),
            }
        )
    return out


def confusion(store: Store, record: AnalysisRecord) -> dict[str, Any]:
    """The class-agnostic confusion matrix at IoU 0.5 with class names for rows and columns."""
    data: dict[str, Any] = orjson.loads(_result_blob(store, record, "confusion"))
    names = {c["index"]: c["name"] for c in class_list(store, record)}
    data["row_names"] = [names.get(c, c) if isinstance(c, int) else c for c in data["rows"]]
    data["column_names"] = [names.get(c, c) if isinstance(c, int) else c for c in data["columns"]]
    return data


def classifications(store: Store, record: AnalysisRecord) -> list[dict[str, Any]]:
    """Frame-level classification metrics (radio, checklist, text) as stored."""
    return list(orjson.loads(_result_blob(store, record, "classifications")))
