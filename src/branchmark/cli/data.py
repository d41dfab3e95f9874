"""``branchmark data``: add media files (images, videos) to a project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress

from branchmark.cli.options import ProjectOption, WorkspaceOption, resolve_workspace
from branchmark.client import UserClient
from branchmark.media import media_kind

group = typer.Typer(help="Add data units (images, videos) to a project.", no_args_is_help=True)


@group.command("add")
def add_data(
    files: Annotated[list[Path], typer.Argument(help="Image and video files.")],
    project: ProjectOption,
    workspace: WorkspaceOption = None,
) -> None:
    """Copy FILES into the workspace as data units (kind chosen by file extension)."""
    kinds = [(path, media_kind(path)) for path in files]  # refuse unknown types before copying
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such file: {missing[0]}")
    with UserClient.open(resolve_workspace(workspace)) as client:
        target = client.get_project(project)
        with Progress(transient=True) as progress:
            task = progress.add_task("adding data units", total=len(kinds))
            for path, kind in kinds:
                if kind == "video":
                    target.add_video(path)
                else:
                    target.add_image(path)
                progress.advance(task)
    counts = {k: sum(1 for _, kind in kinds if kind == k) for k in ("image", "video")}
    typer.echo(
        f"added {counts['image']} image(s) and {counts['video']} video(s) to {target.title!r}"
    )


def register(app: typer.Typer) -> None:
    """Attach ``branchmark data``."""
    app.add_typer(group, name="data")
