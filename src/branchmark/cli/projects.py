"""``branchmark projects``: list and create projects."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
import typer

from branchmark.cli.options import (
    CsvFlag,
    JsonFlag,
    WorkspaceOption,
    emit_rows,
    pick_format,
    resolve_workspace,
)
from branchmark.client import UserClient
from branchmark.errors import ValidationError

group = typer.Typer(help="List and create projects.", no_args_is_help=True)

PROJECT_COLUMNS = ("title", "project_hash", "data_units", "branches", "created_at")


@group.command("list")
def list_projects(
    workspace: WorkspaceOption = None, json_: JsonFlag = False, csv_: CsvFlag = False
) -> None:
    """List the projects of the workspace."""
    fmt = pick_format(json_, csv_)
    with UserClient.open(resolve_workspace(workspace)) as client:
        rows = [
            {
                "title": p.title,
                "project_hash": p.project_hash,
                "data_units": len(p.list_data_units()),
                "branches": len(p.list_branches()),
                "created_at": p.record.created_at.isoformat(),
            }
            for p in client.list_projects()
        ]
    emit_rows(rows, PROJECT_COLUMNS, fmt, title="projects")


@group.command("create")
def create_project(
    title: Annotated[str, typer.Argument(help="Project title (unique in the workspace).")],
    ontology: Annotated[Path, typer.Option("--ontology", "-o", help="Encord ontology JSON file.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Create a project from an Encord ontology JSON file."""
    try:
        structure = orjson.loads(ontology.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"{ontology}: not valid JSON ({exc})") from exc
    with UserClient.open(resolve_workspace(workspace)) as client:
        try:
            project = client.create_project(title, structure)
        except (KeyError, TypeError) as exc:
            raise ValidationError(f"{ontology}: not an Encord ontology ({exc!r})") from exc
        typer.echo(f"created project {project.title!r} ({project.project_hash})")


def register(app: typer.Typer) -> None:
    """Attach ``branchmark projects``."""
    app.add_typer(group, name="projects")
