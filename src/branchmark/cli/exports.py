"""``branchmark export``: a branch as COCO (dataset or results), Encord label-row JSON or YOLO."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

from branchmark.cli.options import ProjectOption, WorkspaceOption, emit_json, resolve_workspace
from branchmark.exporters import (
    export_coco_dataset,
    export_coco_results,
    export_encord,
    export_yolo,
)
from branchmark.store import Store

group = typer.Typer(help="Export a branch (COCO, Encord JSON, YOLO).", no_args_is_help=True)

BranchOption = Annotated[str, typer.Option("--branch", "-b", help="Branch to export.")]
OutOption = Annotated[
    Path, typer.Option("--out", "-o", help="File (or folder, for YOLO) to write.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")]


def _done(as_json: bool, summary: dict[str, object]) -> None:
    if as_json:
        emit_json({"ok": True, **summary})
    else:
        typer.echo(", ".join(f"{k}: {v}" for k, v in summary.items()))


@group.command("coco")
def coco(
    project: ProjectOption,
    out: OutOption,
    branch: BranchOption = "main",
    results: Annotated[
        bool, typer.Option("--results", help="Write the results list form (with scores).")
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the branch as a COCO dataset (default) or results list."""
    data: list[dict[str, Any]] | dict[str, Any]  # results list or dataset
    with Store.open(resolve_workspace(workspace)) as store:
        if results:
            data, skipped = export_coco_results(store, project=project, branch=branch)
            count = len(data)
        else:
            dataset, skipped = export_coco_dataset(store, project=project, branch=branch)
            data, count = dataset, len(dataset["annotations"])
    out.write_bytes(orjson.dumps(data))
    _done(as_json, {"file": str(out), "annotations": count, "skipped": skipped})


@group.command("encord")
def encord(project: ProjectOption, out: OutOption, branch: BranchOption = "main",
           as_json: JsonOption = False, workspace: WorkspaceOption = None) -> None:  # fmt: skip
    """Write the branch's label rows as an Encord label-row JSON list."""
    with Store.open(resolve_workspace(workspace)) as store:
        rows = export_encord(store, project=project, branch=branch)
    out.write_bytes(orjson.dumps(rows))
    _done(as_json, {"file": str(out), "label_rows": len(rows)})


@group.command("yolo")
def yolo(
    project: ProjectOption,
    out: OutOption,
    branch: BranchOption = "main",
    pose: Annotated[
        bool,
        typer.Option(
            "--pose",
            help="Write the skeletons as YOLO pose (box + keypoints, kpt_shape in data.yaml) "
            "instead of the boxes and polygons.",
        ),
    ] = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Write the branch as YOLO labels/*.txt and data.yaml under a folder."""
    with Store.open(resolve_workspace(workspace)) as store:
        summary = export_yolo(store, project=project, branch=branch, folder=out, pose=pose)
    _done(as_json, {"folder": str(out), **summary})


def register(app: typer.Typer) -> None:
    """Attach ``branchmark export``."""
    app.add_typer(group, name="export")
