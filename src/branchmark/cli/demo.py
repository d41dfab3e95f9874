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
    video_frames: Annotated[
        int, typer.Option(help="Frames of the demo video (0: none).", min=0)
    ] = 36,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Delete an existing demo workspace folder first.")
    ] = False,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the UI on the workspace at the end.")
    ] = True,
    host: Annotated[str, typer.Option("--host", help="Address the UI binds.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port of the UI.")] = 8000,
) -> None:
    """Render fruit scenes, store their ground truth and two real detectors' predictions,
    analyse both prediction sets in Strict and Partial mode, print the summary, serve the UI.

    An existing demo workspace is reused as it is unless --rebuild is given; analyses that are
    missing or stale are (re)run.
    """
    console = Console(width=max(Console().width, 110))  # the summary table needs ~100 columns
    if rebuild and workspace.exists():
        _remove_demo_workspace(workspace)
    if _has_demo_project(workspace):
        console.print(f"using the demo project already in {workspace} (--rebuild makes it again)")
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
    _analyse_all(console, workspace)
    if serve:
        from branchmark.cli.serve import serve_workspace

        serve_workspace(str(workspace), host=host, port=port)


MATCH_MODES = ("strict", "partial")


def _analyse_all(console: Console, workspace: Path) -> None:
    """Analyse every prediction set in both modes (when missing or stale) and print a summary."""
    from branchmark.analysis import summary_at

    with UserClient.open(workspace) as client:
        project = client.get_project(DEMO_PROJECT_TITLE)
        existing = {record.name: record for record in project.list_analyses()}
        table = Table(
            title="analyses against main: COCO mAP and AP50; TP/FP/FN, P, R, F1 at IoU 0.5"
        )
        for column in ("prediction set", "match", "mAP", "AP50", "TP", "FP", "FN", "P", "R", "F1"):
            table.add_column(column, no_wrap=True)
        for branch in project.list_branches():
            if branch == "main":
                continue
            for mode in MATCH_MODES:
                name = f"{branch}-vs-main-{mode}"
                record = existing.get(name)
                if record is None:
                    with console.status(f"analysing {branch} ({mode})"):
                        record = project.analyse(branch, match=mode, name=name)
                elif record.result is None or record.stale:
                    with console.status(f"re-analysing {name}"):
                        record = project.reanalyse(name)
                summary = summary_at(project.store, record, iou_threshold=0.5, confidence=0.0)
                overall = summary["overall"]
                stats = summary["coco"]["coco_stats"]
                table.add_row(
                    branch,
                    mode,
                    _fmt(stats[0]),
                    _fmt(stats[1]),
                    str(overall["tp"]),
                    str(overall["fp"]),
                    str(overall["fn"]),
                    _fmt(overall["precision"]),
                    _fmt(overall["recall"]),
                    _fmt(overall["f1"]),
                )
        console.print(table)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or value < 0 else f"{value:.3f}"


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
