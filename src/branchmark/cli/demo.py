"""``branchmark demo``: the main job of the README, end to end on data it makes itself."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from branchmark.client import UserClient
from branchmark.demo.workspace import DEMO_PROJECT_TITLE, build_demo_workspace
from branchmark.errors import ConflictError, ProjectNotFound

DEFAULT_DEMO_WORKSPACE = "demo-workspace"


def demo(
    workspace: Annotated[
        Path,
        typer.Option("--workspace", "-w", help="Folder of the demo workspace."),
    ] = Path(DEFAULT_DEMO_WORKSPACE),
    seed: Annotated[int, typer.Option(help="Seed of the rendered scenes.")] = 0,
    images: Annotated[int, typer.Option(help="Number of still images.", min=1)] = 24,
    video_frames: Annotated[int, typer.Option(help="Frames of the demo video (0: none).", min=0)] = 36,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Delete an existing demo workspace folder first.")
    ] = False,
) -> None:
    """Render fruit scenes, store their ground truth and two real detectors' predictions.

    An existing demo workspace is reused as it is unless --rebuild is given.
    """
    console = Console()
    if rebuild and workspace.exists():
        _remove_demo_workspace(workspace)
    if _has_demo_project(workspace):
        console.print(
            f"using the demo project already in {workspace} (--rebuild makes it again)"
        )
    else:
        started = time.perf_counter()
        with console.status("rendering scenes, running both detectors, storing labels"):
            built = build_demo_workspace(
                workspace, seed=seed, image_count=images, video_frames=video_frames
            )
        console.print(
            f"built [bold]{built.project_title}[/] in {workspace} "
            f"({time.perf_counter() - started:.1f} s)"
        )
    _print_contents(console, workspace)


def _has_demo_project(workspace: Path) -> bool:
    if not (workspace / "branchmark.db").exists():
        return False
    with UserClient.open(workspace) as client:
        try:
            client.get_project(DEMO_PROJECT_TITLE)
        except ProjectNotFound:
            return False
    return True


def _remove_demo_workspace(workspace: Path) -> None:
    # Only ever delete a folder that is a branchmark workspace, never an arbitrary path.
    if not any(workspace.iterdir()):
        return
    if not (workspace / "branchmark.db").exists():
        raise ConflictError(
            f"{workspace} exists but is not a branchmark workspace; not deleting it"
        )
    shutil.rmtree(workspace)


def _print_contents(console: Console, workspace: Path) -> None:
    with UserClient.open(workspace) as client:
        project = client.get_project(DEMO_PROJECT_TITLE)
        table = Table(title=f"{project.title}: {len(project.list_data_units())} data units")
        for column in ("branch", "kind", "objects", "classifications"):
            table.add_column(column)
        for branch in project.list_branches():
            rows = project.list_label_rows_v2(branch_name=branch)
            with project.create_bundle() as bundle:
                for row in rows:
                    row.initialise_labels(bundle=bundle)
            objects = sum(len(row.get_object_instances()) for row in rows)
            classifications = sum(len(row.get_classification_instances()) for row in rows)
            kind = "ground truth" if branch == "main" else "predictions"
            table.add_row(branch, kind, str(objects), str(classifications))
        console.print(table)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
