"""Prediction sets and analyses: the set page, sliders, outcomes, jobs, compare, delete, rename."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from branchmark.server.context import ServerContext, get_context
from branchmark.server.rendering import FastJSON, render_page
from branchmark.server.services import prediction_sets as service

router = APIRouter()
Context = Annotated[ServerContext, Depends(get_context)]
ProjectKey = Annotated[str, Path(description="Project hash (or title).", min_length=1)]
BranchName = Annotated[str, Path(description="Prediction branch name.", min_length=1)]
AnalysisName = Annotated[str, Path(description="Analysis name (or id).", min_length=1)]
Iou = Annotated[
    float, Query(ge=0.0, le=1.0, description="IoU threshold (snapped to 0.05:0.05:0.95).")
]
Confidence = Annotated[
    float, Query(ge=0.0, le=1.0, description="Keep predictions with score >= this.")
]
PageIndex = Annotated[int, Query(ge=0, le=1_000_000, description="Page, counted from 0.")]
PageSize = Annotated[int, Query(ge=1, le=1000)]


class AnalysisRequest(BaseModel):
    """What to analyse."""

    branch: str = Field(min_length=1, description="Prediction branch.")
    ground_truth: str = Field("main", min_length=1, description="Ground-truth branch.")
    match: str = Field("strict", description="strict or partial attribute matching.")
    name: str | None = Field(None, description="Analysis name (default <branch>-vs-<gt>-<match>).")


class RenameRequest(BaseModel):
    """A new name for a prediction set."""

    name: str = Field(min_length=1, description="New branch name (^[A-Za-z0-9._-]+$).")


@router.get(
    "/projects/{project}/sets/{branch}", response_class=HTMLResponse, include_in_schema=False
)
def set_page(
    request: Request, context: Context, project: ProjectKey, branch: BranchName,
    analysis: Annotated[str | None, Query()] = None, iou: Iou = 0.5, confidence: Confidence = 0.0,
) -> HTMLResponse:  # fmt: skip
    data = service.prediction_set(
        context, project, branch, analysis_name=analysis or None, iou=iou, confidence=confidence
    )
    return render_page(request, "prediction_set.html", data)


@router.get(
    "/api/projects/{project}/sets/{branch}", response_class=FastJSON, tags=["prediction sets"]
)
def set_json(
    context: Context,
    project: ProjectKey,
    branch: BranchName,
    analysis: Annotated[
        str | None, Query(description="Analysis name (default: first with a result).")
    ] = None,
    iou: Iou = 0.5,
    confidence: Confidence = 0.0,
) -> Any:
    """A prediction set, its analyses and the chosen one's summary, table, curves, confusion."""
    return FastJSON(
        service.prediction_set(
            context, project, branch, analysis_name=analysis or None, iou=iou, confidence=confidence
        )
    )


@router.delete(
    "/api/projects/{project}/sets/{branch}", response_class=FastJSON, tags=["prediction sets"]
)
def delete_set(context: Context, project: ProjectKey, branch: BranchName) -> Any:
    """Delete a prediction set with its labels and analyses (main is refused)."""
    return FastJSON(service.delete_set(context, project, branch))


@router.patch(
    "/api/projects/{project}/sets/{branch}", response_class=FastJSON, tags=["prediction sets"]
)
def rename_set(
    context: Context,
    project: ProjectKey,
    branch: BranchName,
    body: Annotated[RenameRequest, Body()],
) -> Any:
    """Rename a prediction set (its analyses follow it)."""
    return FastJSON(service.rename_set(context, project, branch, body.name))


@router.get("/api/projects/{project}/analyses", response_class=FastJSON, tags=["analyses"])
def analyses_json(context: Context, project: ProjectKey) -> Any:
    """Every analysis of the project with job status and stale flag."""
    return FastJSON(service.analyses_payload(context, project))


@router.post(
    "/api/projects/{project}/analyses", response_class=FastJSON, status_code=202, tags=["analyses"]
)
def start_analysis(
    context: Context, project: ProjectKey, body: Annotated[AnalysisRequest, Body()]
) -> Any:
    """Queue an analysis (it runs in the server's background); poll its status."""
    data = service.start_analysis(
        context, project, branch=body.branch, ground_truth=body.ground_truth, match=body.match,
        name=body.name,
    )  # fmt: skip
    return FastJSON(data, status_code=202)


@router.get("/api/projects/{project}/analyses/{name}", response_class=FastJSON, tags=["analyses"])
def analysis_json(context: Context, project: ProjectKey, name: AnalysisName) -> Any:
    """One analysis: parameters, latest job (status, progress, message), result, stale flag."""
    return FastJSON(service.analysis_status(context, project, name))


@router.post(
    "/api/projects/{project}/analyses/{name}/rerun", response_class=FastJSON, status_code=202,
    tags=["analyses"],
)  # fmt: skip
def rerun_analysis(context: Context, project: ProjectKey, name: AnalysisName) -> Any:
    """Run an analysis again with the same parameters (e.g. when stale)."""
    return FastJSON(service.rerun_analysis(context, project, name), status_code=202)


@router.get(
    "/api/projects/{project}/analyses/{name}/summary", response_class=FastJSON, tags=["analyses"]
)
def summary_json(
    context: Context,
    project: ProjectKey,
    name: AnalysisName,
    iou: Iou = 0.5,
    confidence: Confidence = 0.0,
) -> Any:
    """Summary and per-class table at (IoU, confidence), from stored outcomes (no re-matching)."""
    return FastJSON(service.summary_payload(context, project, name, iou=iou, confidence=confidence))


@router.get(
    "/api/projects/{project}/analyses/{name}/pr-curves", response_class=FastJSON, tags=["analyses"]
)
def curves_json(context: Context, project: ProjectKey, name: AnalysisName, iou: Iou = 0.5) -> Any:
    """Per-class PR curves at the COCO IoU nearest ``iou``."""
    return FastJSON(service.curves_payload(context, project, name, iou=iou))


@router.get(
    "/api/projects/{project}/analyses/{name}/confusion", response_class=FastJSON, tags=["analyses"]
)
def confusion_json(context: Context, project: ProjectKey, name: AnalysisName) -> Any:
    """The class-agnostic confusion matrix at IoU 0.5."""
    return FastJSON(service.confusion_payload(context, project, name))


@router.get(
    "/api/projects/{project}/analyses/{name}/confusion/{row}/{column}", response_class=FastJSON,
    tags=["analyses"],
)  # fmt: skip
def confusion_cell_json(
    context: Context, project: ProjectKey, name: AnalysisName,
    row: Annotated[int, Path(ge=0, le=100_000)], column: Annotated[int, Path(ge=0, le=100_000)],
    page: PageIndex = 0, page_size: PageSize = 48,
) -> Any:  # fmt: skip
    """The objects behind one confusion-matrix cell (see docs/api.md for ``exact``)."""
    return FastJSON(service.confusion_cell_payload(
        context, project, name, row=row, column=column, page=page, page_size=page_size
    ))  # fmt: skip


@router.get(
    "/api/projects/{project}/analyses/{name}/outcomes", response_class=FastJSON, tags=["analyses"]
)
def outcomes_json(
    context: Context,
    project: ProjectKey,
    name: AnalysisName,
    kind: Annotated[str, Query(description="prediction or ground_truth")] = "prediction",
    outcome: Annotated[str | None, Query(description="tp, fp, fn or ignored")] = None,
    iou: Iou = 0.5,
    confidence: Confidence = 0.0,
    class_: Annotated[
        list[str] | None, Query(alias="class", description="Class name, feature hash or index.")
    ] = None,
    reason: Annotated[list[str] | None, Query(description="FP reason(s).")] = None,
    data_hash: Annotated[str | None, Query(description="Only this data unit.")] = None,
    page: PageIndex = 0,
    page_size: PageSize = 48,
) -> Any:
    """A page of TP / FP (with reason) / FN objects with crop and data unit links."""
    return FastJSON(service.outcomes_payload(
        context, project, name, kind=kind, outcome=outcome or None, iou=iou, confidence=confidence,
        classes=class_ or None, reasons=reason or None, data_hash=data_hash or None, page=page,
        page_size=page_size,
    ))  # fmt: skip


@router.get("/projects/{project}/compare", response_class=HTMLResponse, include_in_schema=False)
def compare_page(
    request: Request, context: Context, project: ProjectKey,
    a: Annotated[str, Query(min_length=1)], b: Annotated[str, Query(min_length=1)],
    iou: Iou = 0.5, confidence: Confidence = 0.0,
) -> HTMLResponse:  # fmt: skip
    data = service.compare_payload(context, project, a, b, iou=iou, confidence=confidence)
    return render_page(request, "compare.html", data)


@router.get("/api/projects/{project}/compare", response_class=FastJSON, tags=["analyses"])
def compare_json(
    context: Context, project: ProjectKey,
    a: Annotated[str, Query(min_length=1, description="Analysis A.")],
    b: Annotated[str, Query(min_length=1, description="Analysis B.")],
    iou: Iou = 0.5, confidence: Confidence = 0.0,
) -> Any:  # fmt: skip
    """B minus A per class and overall, and the objects that flipped."""
    return FastJSON(service.compare_payload(context, project, a, b, iou=iou, confidence=confidence))
