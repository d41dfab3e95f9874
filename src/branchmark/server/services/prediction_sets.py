"""Prediction sets and their analyses: the set page, slider updates, outcome lists, jobs,
comparison, delete and rename.  Every number comes from :mod:`branchmark.analysis`; this module
only picks the analysis, shapes the payload and adds links.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import numpy as np

from branchmark import analysis
from branchmark.analysis.records import AnalysisRecord
from branchmark.errors import AnalysisNotFound, ValidationError
from branchmark.evaluation import ANALYSIS_IOU_THRESHOLDS
from branchmark.server.context import ServerContext
from branchmark.server.services.projects import describe_branch, describe_project
from branchmark.store import catalog, read_annotations
from branchmark.store.records import BranchKind, ProjectRecord

IOU_GRID = [round(float(v), 2) for v in ANALYSIS_IOU_THRESHOLDS]
MATCH_MODES = ("strict", "partial")
CONFUSION_IOU = 0.5


def _project(context: ServerContext, project_key: str) -> ProjectRecord:
    with context.store.read() as conn:
        return catalog.get_project(conn, project_key)


def _check_point(iou: float, confidence: float) -> None:
    if not 0.0 <= confidence <= 1.0:
        raise ValidationError(f"confidence must be within 0..1, got {confidence}")
    if not 0.0 <= iou <= 1.0:
        raise ValidationError(f"iou must be within 0..1, got {iou}")


def describe_analysis(record: AnalysisRecord) -> dict[str, Any]:
    """An analysis record as JSON (``analysis.AnalysisRecord.to_dict()``) with the flags the
    UI shows: ``has_result``, ``is_stale``, ``busy`` (a job queued or running)."""
    data = record.to_dict()
    data.update(
        has_result=record.result is not None,
        is_stale=record.stale,
        busy=record.status.value in ("queued", "running"),
    )
    return data


def list_project_analyses(context: ServerContext, project: ProjectRecord) -> list[dict[str, Any]]:
    """Every analysis of the project with status and stale flag."""
    return [describe_analysis(r) for r in analysis.list_analyses(context.store, project)]


def analyses_payload(context: ServerContext, project_key: str) -> dict[str, Any]:
    """``{"project", "analyses", "branches"}`` (prediction and ground-truth branch names)."""
    project = _project(context, project_key)
    with context.store.read() as conn:
        branches = catalog.list_branches(conn, project.id)
    return {
        "project": describe_project(project),
        "analyses": list_project_analyses(context, project),
        "prediction_branches": [b.name for b in branches if b.kind is BranchKind.PREDICTION],
        "ground_truth_branches": [b.name for b in branches if b.kind is not BranchKind.PREDICTION],
        "match_modes": list(MATCH_MODES),
    }


def _pick(
    records: Sequence[AnalysisRecord], name: str | None, branch: str
) -> AnalysisRecord | None:
    if name is not None:
        for record in records:
            if record.name == name:
                return record
        raise AnalysisNotFound(f"no analysis {name!r} of prediction set {branch!r}")
    with_result = [r for r in records if r.result is not None]
    candidates = with_result or list(records)
    return candidates[0] if candidates else None


def point_summary(
    context: ServerContext, record: AnalysisRecord, *, iou: float, confidence: float
) -> dict[str, Any]:
    """Summary cards and the per-class table at ``(iou, confidence)`` (no re-matching)."""
    _check_point(iou, confidence)
    summary = analysis.summary_at(context.store, record, iou_threshold=iou, confidence=confidence)
    table = analysis.class_table(context.store, record, iou_threshold=iou, confidence=confidence)
    return {
        "analysis": record.name,
        "iou_threshold": summary["iou_threshold"],
        "confidence": summary["confidence"],
        "overall": summary["overall"],
        "per_class": table,
        "coco": summary.get("coco"),
    }


def prediction_set(
    context: ServerContext,
    project_key: str,
    branch: str,
    *,
    analysis_name: str | None = None,
    iou: float = 0.5,
    confidence: float = 0.0,
) -> dict[str, Any]:
    """The prediction-set page: the branch, its analyses and, for the chosen analysis (by
    default the first with a result), summary, per-class table, PR curves and confusion."""
    _check_point(iou, confidence)
    project = _project(context, project_key)
    with context.store.read() as conn:
        record_branch = catalog.get_branch(conn, project.id, branch)
        described = describe_branch(context, conn, record_branch)
        others = [b.name for b in catalog.list_branches(conn, project.id)
                  if b.kind is BranchKind.PREDICTION and b.name != branch]  # fmt: skip
    records = analysis.list_analyses(context.store, project, branch=branch)
    chosen = _pick(records, analysis_name, branch)
    payload: dict[str, Any] = {
        "project": describe_project(project),
        "branch": described,
        "analyses": [describe_analysis(r) for r in records],
        "analysis": None if chosen is None else describe_analysis(chosen),
        "other_sets": others,
        "compare_candidates": [
            describe_analysis(r)
            for r in analysis.list_analyses(context.store, project)
            if r.result is not None
            and chosen is not None
            and r.name != chosen.name
            and r.ground_truth == chosen.ground_truth
        ],
        "iou_grid": IOU_GRID,
        "match_modes": list(MATCH_MODES),
        "ground_truth_branches": [catalog.MAIN_BRANCH],
        "point": None,
        "pr_curves": [],
        "confusion": None,
    }
    if chosen is not None and chosen.result is not None:
        payload["point"] = point_summary(context, chosen, iou=iou, confidence=confidence)
        payload["pr_curves"] = analysis.pr_curves(context.store, chosen, iou_threshold=iou)
        payload["confusion"] = analysis.confusion(context.store, chosen)
    return payload


def _record(
    context: ServerContext, project_key: str, name: str
) -> tuple[ProjectRecord, AnalysisRecord]:
    project = _project(context, project_key)
    return project, analysis.get_analysis(context.store, project, name)


def analysis_status(context: ServerContext, project_key: str, name: str) -> dict[str, Any]:
    """One analysis: parameters, latest job (status, progress, stage, message), stale flag."""
    return describe_analysis(_record(context, project_key, name)[1])


def summary_payload(
    context: ServerContext, project_key: str, name: str, *, iou: float, confidence: float
) -> dict[str, Any]:
    """The slider update: summary cards and per-class table at ``(iou, confidence)``."""
    return point_summary(
        context, _record(context, project_key, name)[1], iou=iou, confidence=confidence
    )


def curves_payload(
    context: ServerContext, project_key: str, name: str, *, iou: float
) -> dict[str, Any]:
    """PR curves (101-point interpolated precision per class) at the COCO IoU nearest ``iou``."""
    _check_point(iou, 0.0)
    _, record = _record(context, project_key, name)
    return {
        "analysis": record.name,
        "curves": analysis.pr_curves(context.store, record, iou_threshold=iou),
    }


def confusion_payload(context: ServerContext, project_key: str, name: str) -> dict[str, Any]:
    """The stored class-agnostic confusion matrix (IoU 0.5) with row and column names."""
    _, record = _record(context, project_key, name)
    return {"analysis": record.name, **analysis.confusion(context.store, record)}


def _crop_url(base: str, branch: str, object_hash: str) -> str:
    return f"{base}/crop?{urlencode({'branch': branch, 'object': object_hash})}"


def _with_links(
    project: ProjectRecord, rows: list[dict[str, Any]], branch_of: dict[str, str],
    point: dict[str, Any],
) -> list[dict[str, Any]]:  # fmt: skip
    for row in rows:
        branch = branch_of[row["kind"]]
        base = f"/media/{project.project_hash}/{row['data_hash']}/{row['frame']}"
        row["crop_url"] = (
            _crop_url(base, branch, row["object_hash"]) if row["object_hash"] else None
        )
        query = urlencode(
            {
                "frame": row["frame"],
                "branches": ",".join(dict.fromkeys(branch_of.values())),
                **point,
            }
        )
        row["detail_url"] = f"/projects/{project.project_hash}/data/{row['data_hash']}?{query}"
    return rows


def outcomes_payload(
    context: ServerContext,
    project_key: str,
    name: str,
    *,
    kind: str = "prediction",
    outcome: str | None = None,
    iou: float = 0.5,
    confidence: float = 0.0,
    classes: Sequence[str | int] | None = None,
    reasons: Sequence[str] | None = None,
    data_hash: str | None = None,
    page: int = 0,
    page_size: int = 48,
) -> dict[str, Any]:
    """A page of TP / FP (with reason) / FN objects at ``(iou, confidence)``, each with a crop
    and a link to its data unit."""
    _check_point(iou, confidence)
    project, record = _record(context, project_key, name)
    # Classes as the URL gives them: names, feature hashes or positions, read by
    # analysis.outcome_page's one rule (a digit string naming no class is a position).
    found = analysis.outcome_page(
        context.store, record, kind=kind, outcome=outcome, iou_threshold=iou,
        confidence=confidence, classes=classes, reasons=reasons, data_hash=data_hash,
        page=page, page_size=page_size,
    ).to_dict()  # fmt: skip
    branch_of = {"prediction": record.branch, "ground_truth": record.ground_truth}
    point = {"analysis": record.name, "iou": iou, "confidence": confidence}
    found["rows"] = _with_links(project, found["rows"], branch_of, point)
    return {"analysis": record.name, "kind": kind, "outcome": outcome, "iou_threshold": iou,
            "confidence": confidence, **found}  # fmt: skip


def confusion_cell_payload(
    context: ServerContext, project_key: str, name: str, *, row: int, column: int,
    page: int = 0, page_size: int = 48,
) -> dict[str, Any]:  # fmt: skip
    """The objects a confusion-matrix cell counts, exactly (``analysis.confusion_objects``).

    ``row`` / ``column`` index the matrix: GT classes then ``background`` / predicted classes
    then ``missed``.  Rows are predictions (with their confusion partner) except in the
    ``missed`` column (GT); ``exact`` is always true, ``total`` equals the cell's count.
    """
    project, record = _record(context, project_key, name)
    matrix = analysis.confusion(context.store, record)
    rows, columns = matrix["rows"], matrix["columns"]
    if not (0 <= row < len(rows) and 0 <= column < len(columns)):
        raise ValidationError(
            f"cell ({row}, {column}) is outside the {len(rows)}x{len(columns)} matrix"
        )
    found = analysis.confusion_objects(
        context.store,
        record,
        row=rows[row],
        column=columns[column],
        page=page,
        page_size=page_size,
    ).to_dict()
    iou = float(matrix["iou_threshold"])
    kind = "ground_truth" if column == len(columns) - 1 else "prediction"
    branch_of = {"prediction": record.branch, "ground_truth": record.ground_truth}
    point = {"analysis": record.name, "iou": iou, "confidence": 0.0}
    found["rows"] = _with_links(project, found["rows"], branch_of, point)
    count = int(matrix["matrix"][row][column])
    return {
        "analysis": record.name, "kind": kind, "outcome": None, "iou_threshold": iou,
        "confidence": 0.0, **found,
        "cell": {"row": row, "column": column, "row_name": matrix["row_names"][row],
                 "column_name": matrix["column_names"][column], "count": count},
        "exact": found["total"] == count,
    }  # fmt: skip


def start_analysis(
    context: ServerContext, project_key: str, *, branch: str, ground_truth: str,
    match: str, name: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Queue an analysis in a background thread of the server; returns the queued record."""
    if match not in MATCH_MODES:
        raise ValidationError(f"match must be one of {list(MATCH_MODES)}, got {match!r}")
    project = _project(context, project_key)
    record = analysis.analyse(
        context.store, project, branch, ground_truth=ground_truth, match=match, name=name or None,
        wait=False,
    )  # fmt: skip
    return describe_analysis(record)


def rerun_analysis(context: ServerContext, project_key: str, name: str) -> dict[str, Any]:
    """Run an analysis again (e.g. a stale one) in the background."""
    project = _project(context, project_key)
    return describe_analysis(analysis.reanalyse(context.store, project, name, wait=False))


def _flipped_objects(
    context: ServerContext, project: ProjectRecord, branch: str, annotation_ids: list[int]
) -> list[dict[str, Any]]:
    if not annotation_ids:
        return []
    with context.store.read() as conn:
        record = catalog.get_branch(conn, project.id, branch)
        arrays = read_annotations(
            conn,
            branch_id=record.id,
            columns=("id", "data_unit_id", "frame", "object_hash", "feature_hash"),
        )
        keep = np.isin(arrays["id"], np.asarray(annotation_ids, dtype=np.int64))
        unit_ids = np.unique(arrays["data_unit_id"][keep]).tolist()
        units = {u.id: u for u in catalog.get_data_units(conn, project.id, data_unit_ids=unit_ids)}
        names = catalog.object_names(catalog.get_ontology(conn, project.id))
    out = []
    for i in np.flatnonzero(keep).tolist():
        unit = units[int(arrays["data_unit_id"][i])]
        frame, object_hash = int(arrays["frame"][i]), str(arrays["object_hash"][i])
        base = f"/media/{project.project_hash}/{unit.data_hash}/{frame}"
        out.append({
            "annotation_id": int(arrays["id"][i]), "object_hash": object_hash,
            "class_name": names.get(str(arrays["feature_hash"][i]), ("", ""))[0],
            "data_hash": unit.data_hash, "data_title": unit.title, "frame": frame,
            "crop_url": _crop_url(base, branch, object_hash),
            "detail_url": f"/projects/{project.project_hash}/data/{unit.data_hash}?frame={frame}",
        })  # fmt: skip
    return out


def compare_payload(
    context: ServerContext, project_key: str, a: str, b: str, *, iou: float = 0.5,
    confidence: float = 0.0, listed: int = 60,
) -> dict[str, Any]:  # fmt: skip
    """``b - a`` per class and overall, and (up to ``listed`` of each kind) the objects that
    flipped: ground truth found by one and missed by the other, predictions TP in one and FP
    in the other (when both analyse the same branch)."""
    _check_point(iou, confidence)
    project = _project(context, project_key)
    record_a = analysis.get_analysis(context.store, project, a)
    record_b = analysis.get_analysis(context.store, project, b)
    result = analysis.compare_analyses(
        context.store, record_a, record_b, iou_threshold=iou, confidence=confidence
    ).to_dict()
    flipped: dict[str, list[dict[str, Any]]] = {}
    for group, branch in (
        ("gt_flips", record_a.ground_truth),
        ("prediction_flips", record_a.branch),
    ):
        for label, entry in result[group].items():
            if isinstance(entry, dict):
                flipped[label] = _flipped_objects(
                    context, project, branch, entry["annotation_ids"][:listed]
                )
    return {
        "project": describe_project(project),
        "a": describe_analysis(record_a),
        "b": describe_analysis(record_b),
        "comparison": result,
        "flipped": flipped,
        "iou_grid": IOU_GRID,
        "analyses": [
            r.name for r in analysis.list_analyses(context.store, project) if r.result is not None
        ],
    }


def delete_set(context: ServerContext, project_key: str, branch: str) -> dict[str, Any]:
    """Delete a prediction set with its label rows and analyses."""
    project = _project(context, project_key)
    with context.store.read() as conn:
        record = catalog.get_branch(conn, project.id, branch)
    analysis.delete_branch(context.store, project, branch)
    context.branch_indexes.forget(record.id)
    return {"ok": True, "deleted": branch}


def rename_set(
    context: ServerContext, project_key: str, branch: str, new_name: str
) -> dict[str, Any]:
    """Rename a prediction set (its analyses follow it)."""
    project = _project(context, project_key)
    analysis.rename_branch(context.store, project, branch, new_name)
    return {"ok": True, "renamed": branch, "branch": new_name}
