"""Projects list and project overview pages, and their JSON twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from branchmark.server.context import ServerContext, get_context
from branchmark.server.rendering import FastJSON, render_page
from branchmark.server.services import projects as service

router = APIRouter()
Context = Annotated[ServerContext, Depends(get_context)]
ProjectKey = Annotated[str, Path(description="Project hash (or title).", min_length=1)]


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def projects_page(request: Request, context: Context) -> HTMLResponse:
    return render_page(request, "projects.html", service.list_projects(context))


@router.get("/api/projects", response_class=FastJSON, tags=["projects"])
def projects_json(context: Context) -> Any:
    """Every project with its data unit and branch counts."""
    return FastJSON(service.list_projects(context))


@router.get("/projects/{project}", response_class=HTMLResponse, include_in_schema=False)
def project_page(request: Request, context: Context, project: ProjectKey) -> HTMLResponse:
    return render_page(request, "project.html", service.project_overview(context, project))


@router.get("/api/projects/{project}", response_class=FastJSON, tags=["projects"])
def project_json(context: Context, project: ProjectKey) -> Any:
    """One project: data unit counts, classes, attributes, branches, analyses."""
    return FastJSON(service.project_overview(context, project))
