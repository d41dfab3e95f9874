"""``branchmark branches list|rename|delete|meta``: prediction-set management."""

from __future__ import annotations

from typing import Annotated

import typer

from branchmark import analysis as an
from branchmark.cli.options import (
    CsvFlag,
    JsonFlag,
    ProjectOption,
    WorkspaceOption,
    emit_rows,
    pick_format,
    resolve_workspace,
)
from branchmark.client import UserClient

group = typer.Typer(
    help="List, rename, delete prediction sets (branches) and keep their metadata.",
    no_args_is_help=True,
)

BRANCH_COLUMNS = (
    "name",
    "kind",
    "model",
    "version",
    "notes",
    "label_rows",
    "objects",
    "analyses",
    "revision",
    "created_at",
)


@group.command("list")
def list_command(
    project: ProjectOption,
    workspace: WorkspaceOption = None,
    json_: JsonFlag = False,
    csv_: CsvFlag = False,
) -> None:
    """List branches with their metadata, sizes and number of analyses."""
    fmt = pick_format(json_, csv_)
    with UserClient.open(resolve_workspace(workspace)) as client:
        proj = client.get_project(project)
        infos = an.list_branch_info(proj.store, proj.record)
    rows = [
        {**info.to_dict(), **{k: info.meta.get(k) for k in ("model", "version", "notes")}}
        for info in infos
    ]
    emit_rows(rows, BRANCH_COLUMNS, fmt, title="branches")


@group.command("rename")
def rename_command(
    name: Annotated[str, typer.Argument(help="Current branch name.")],
    new_name: Annotated[str, typer.Argument(help="New branch name.")],
    project: ProjectOption,
    workspace: WorkspaceOption = None,
) -> None:
    """Rename a prediction branch (its analyses follow)."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        client.get_project(project).rename_branch(name, new_name)
    typer.echo(f"renamed branch {name!r} to {new_name!r}")


@group.command("delete")
def delete_command(
    name: Annotated[str, typer.Argument(help="Branch to delete.")],
    project: ProjectOption,
    allow_main: Annotated[
        bool, typer.Option("--allow-main", help="Allow emptying the ground truth (main).")
    ] = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete a prediction set: its label rows and every analysis of it, in one transaction."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        client.get_project(project).delete_branch(name, allow_main=allow_main)
    typer.echo(f"deleted branch {name!r}")


@group.command("meta")
def meta_command(
    name: Annotated[str, typer.Argument(help="Branch name.")],
    project: ProjectOption,
    model: Annotated[str | None, typer.Option("--model", help="Model name.")] = None,
    version: Annotated[str | None, typer.Option("--version", help="Model version.")] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Free text.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Set the model name, version and notes kept on a branch."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        proj = client.get_project(project)
        meta = an.update_branch_metadata(
            proj.store, proj.record, name, model=model, version=version, notes=notes
        )
    typer.echo(", ".join(f"{k}={v}" for k, v in meta.items() if k in ("model", "version", "notes")))


def register(app: typer.Typer) -> None:
    """Attach ``branchmark branches``."""
    app.add_typer(group, name="branches")
