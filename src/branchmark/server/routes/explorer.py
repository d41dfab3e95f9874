"""Data explorer pages (gallery, data unit detail) and their JSON twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse

from branchmark.server.context import ServerContext, get_context
from branchmark.server.rendering import FastJSON, render_page
from branchmark.server.services import explorer as service

router = APIRouter()
Context = Annotated[ServerContext, Depends(get_context)]
ProjectKey = Annotated[str, Path(description="Project hash (or title).", min_length=1)]
DataHash = Annotated[str, Path(description="Data unit hash.", min_length=1)]


def gallery_filter(
    branch: Annotated[str | None, Query(description="Only data units with objects on it.")] = None,
    class_: Annotated[
        str | None, Query(alias="class", description="Feature hash of an object class.")
    ] = None,
    answer: Annotated[
        str | None, Query(description="'attribute=option' an object's answers include.")
    ] = None,
    data_type: Annotated[str | None, Query(description="image, video, img_group ...")] = None,
) -> service.GalleryFilter:
    """The gallery filter from query parameters (empty strings mean no filter)."""
    return service.GalleryFilter(
        branch=branch or None, feature_hash=class_ or None, answer=answer or None,
        data_type=data_type or None,
    )  # fmt: skip


Filter = Annotated[service.GalleryFilter, Depends(gallery_filter)]
Page = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=service.MAX_PER_PAGE)]
Frame = Annotated[int, Query(ge=0, le=10_000_000)]
Branches = Annotated[str | None, Query(description="Comma-separated branch names (default: all).")]
AnalysisName = Annotated[
    str | None, Query(description="Colour objects by this analysis's outcomes.", min_length=1)
]
Iou = Annotated[float, Query(ge=0.0, le=1.0)]
Confidence = Annotated[float, Query(ge=0.0, le=1.0)]


def _branch_list(branches: str | None) -> list[str] | None:
    if branches is None:
        return None
    return [b for b in branches.split(",") if b]


@router.get("/projects/{project}/data", response_class=HTMLResponse, include_in_schema=False)
def gallery_page(
    request: Request, context: Context, project: ProjectKey, chosen: Filter,
    page: Page = 1, per_page: PerPage = 48,
) -> HTMLResponse:  # fmt: skip
    data = service.gallery(context, project, chosen=chosen, page=page, per_page=per_page)
    return render_page(request, "gallery.html", data)


@router.get("/api/projects/{project}/data-units", response_class=FastJSON, tags=["explorer"])
def gallery_json(
    context: Context, project: ProjectKey, chosen: Filter, page: Page = 1, per_page: PerPage = 48
) -> Any:
    """One page of data units passing the filter, with object counts per branch."""
    return FastJSON(service.gallery(context, project, chosen=chosen, page=page, per_page=per_page))


@router.get(
    "/projects/{project}/data/{data_hash}", response_class=HTMLResponse, include_in_schema=False
)
def detail_page(
    request: Request, context: Context, project: ProjectKey, data_hash: DataHash, chosen: Filter,
    frame: Frame = 0, branches: Branches = None, analysis: AnalysisName = None,
    iou: Iou = 0.5, confidence: Confidence = 0.0,
) -> HTMLResponse:  # fmt: skip
    data = service.data_unit_detail(
        context,
        project,
        data_hash,
        frame=frame,
        branches=_branch_list(branches),
        chosen=chosen,
        analysis_name=analysis,
        iou=iou,
        confidence=confidence,
    )
    return render_page(request, "detail.html", data)


@router.get(
    "/api/projects/{project}/data-units/{data_hash}", response_class=FastJSON, tags=["explorer"]
)
def detail_json(
    context: Context, project: ProjectKey, data_hash: DataHash, chosen: Filter,
    frame: Frame = 0, branches: Branches = None, analysis: AnalysisName = None,
    iou: Iou = 0.5, confidence: Confidence = 0.0,
) -> Any:  # fmt: skip
    """One frame of a data unit with each branch's objects in frame pixels (and outcomes)."""
    return FastJSON(
        service.data_unit_detail(
            context,
            project,
            data_hash,
            frame=frame,
            branches=_branch_list(branches),
            chosen=chosen,
            analysis_name=analysis,
            iou=iou,
            confidence=confidence,
        )
    )
