"""``branchmark analyse``, ``analyses list|show|delete``, ``compare A B``, ``report ANALYSIS``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from branchmark import analysis as an
from branchmark.analysis.persist import clean_json
from branchmark.cli.options import (
    CsvFlag,
    JsonFlag,
    OutputFormat,
    ProjectOption,
    WorkspaceOption,
    emit_json,
    emit_rows,
    pick_format,
    resolve_workspace,
)
from branchmark.client import UserClient

group = typer.Typer(help="List, show and delete stored analyses.", no_args_is_help=True)

ANALYSIS_COLUMNS = (
    "name",
    "branch",
    "ground_truth",
    "match_mode",
    "status",
    "stale",
    "map_coco",
    "created_at",
)
IouOption = Annotated[
    float, typer.Option("--iou", help="IoU threshold (snapped to 0.05:0.05:0.95).")
]
ConfidenceOption = Annotated[
    float, typer.Option("--confidence", help="Keep predictions scoring at least this.")
]


def _row(record: an.AnalysisRecord) -> dict[str, object]:
    stats = ((record.summary or {}).get("coco") or {}).get("stats") or [None]
    return {
        "name": record.name,
        "branch": record.branch,
        "ground_truth": record.ground_truth,
        "match_mode": record.match_mode,
        "status": record.status.value,
        "stale": "; ".join(record.staleness.changes) if record.stale else "",
        "map_coco": stats[0],
        "created_at": record.created_at.isoformat(),
    }


def analyse_command(
    branch: Annotated[str, typer.Argument(help="Prediction branch to analyse.")],
    project: ProjectOption,
    ground_truth: Annotated[
        str, typer.Option("--ground-truth", "-g", help="Ground-truth branch.")
    ] = "main",
    match: Annotated[
        str, typer.Option("--match", "-m", help="Attribute matching: strict or partial.")
    ] = "strict",
    name: Annotated[
        str | None, typer.Option("--name", help="Analysis name [default: <branch>-vs-<gt>-<mode>].")
    ] = None,
    workspace: WorkspaceOption = None,
    json_: JsonFlag = False,
) -> None:
    """Analyse a prediction branch against the ground truth and store the result."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        proj = client.get_project(project)
        # Progress on stderr so that stdout stays parseable (--json).
        console = Console(stderr=True)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            transient=True,
            console=console,
            disable=not console.is_terminal,
        ) as bar:
            task = bar.add_task("loading", total=1.0)

            def progress(stage: str, fraction: float) -> None:
                bar.update(task, completed=fraction, description=stage)

            record = proj.analyse(
                branch, ground_truth=ground_truth, match=match, name=name, progress=progress
            )
    if json_:
        emit_json(clean_json(record.to_dict()))
        return
    coco = (record.summary or {}).get("coco") or {}
    typer.echo(f"analysis {record.name!r}: {record.status.value}")
    for line in coco.get("lines", []):
        typer.echo(line)


@group.command("list")
def list_command(
    project: ProjectOption,
    branch: Annotated[
        str | None, typer.Option("--branch", "-b", help="Only analyses of this branch.")
    ] = None,
    workspace: WorkspaceOption = None,
    json_: JsonFlag = False,
    csv_: CsvFlag = False,
) -> None:
    """List the project's analyses (status, staleness, COCO mAP)."""
    fmt = pick_format(json_, csv_)
    with UserClient.open(resolve_workspace(workspace)) as client:
        records = client.get_project(project).list_analyses(branch)
    emit_rows([_row(r) for r in records], ANALYSIS_COLUMNS, fmt, title="analyses")


@group.command("show")
def show_command(
    analysis: Annotated[str, typer.Argument(help="Analysis name or id.")],
    project: ProjectOption,
    iou: IouOption = 0.5,
    confidence: ConfidenceOption = 0.0,
    workspace: WorkspaceOption = None,
    json_: JsonFlag = False,
    csv_: CsvFlag = False,
) -> None:
    """Show an analysis: job status, staleness and the per-class table at (IoU, confidence)."""
    fmt = pick_format(json_, csv_)
    with UserClient.open(resolve_workspace(workspace)) as client:
        proj = client.get_project(project)
        record = proj.get_analysis(analysis)
        rows = (
            an.class_table(proj.store, record, iou_threshold=iou, confidence=confidence)
            if record.result
            else []
        )
        summary = (
            an.summary_at(proj.store, record, iou_threshold=iou, confidence=confidence)
            if record.result
            else None
        )
    if fmt is OutputFormat.json:
        emit_json(clean_json({"analysis": record.to_dict(), "summary": summary, "classes": rows}))
        return
    if fmt is OutputFormat.table:
        typer.echo(
            f"{record.name}: {record.branch} vs {record.ground_truth} ({record.match_mode}), "
            f"status {record.status.value}"
            + (f" ({record.job.message})" if record.job and record.job.message else "")
        )
        if record.stale:
            typer.echo("stale: " + "; ".join(record.staleness.changes))
    emit_rows(
        rows,
        ("name", "tp", "fp", "fn", "precision", "recall", "f1", "ap", "coco_ap"),
        fmt,
        title="classes",
    )


@group.command("delete")
def delete_command(
    analysis: Annotated[str, typer.Argument(help="Analysis name or id.")],
    project: ProjectOption,
    workspace: WorkspaceOption = None,
) -> None:
    """Delete an analysis and everything stored for it."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        client.get_project(project).delete_analysis(analysis)
    typer.echo(f"deleted analysis {analysis!r}")


def compare_command(
    a: Annotated[str, typer.Argument(help="First analysis (name or id).")],
    b: Annotated[str, typer.Argument(help="Second analysis; deltas are B - A.")],
    project: ProjectOption,
    iou: IouOption = 0.5,
    confidence: ConfidenceOption = 0.0,
    workspace: WorkspaceOption = None,
    json_: JsonFlag = False,
    csv_: CsvFlag = False,
) -> None:
    """Compare two analyses on the same ground truth: per-class deltas and flipped objects."""
    fmt = pick_format(json_, csv_)
    with UserClient.open(resolve_workspace(workspace)) as client:
        result = client.get_project(project).compare_analyses(
            a, b, iou_threshold=iou, confidence=confidence
        )
    if fmt is OutputFormat.json:
        emit_json(clean_json(result.to_dict()))
        return
    rows = [
        {
            "name": r["name"],
            **{f"d_{m}": r["delta"][m] for m in ("ap", "precision", "recall", "f1")},
        }
        for r in result.per_class
    ]
    emit_rows(rows, ("name", "d_ap", "d_precision", "d_recall", "d_f1"), fmt, title=f"{b} - {a}")
    if fmt is OutputFormat.table:
        g, p = result.gt_flips, result.prediction_flips
        typer.echo(
            f"GT TP->FN {g['tp_to_fn']['count']}, FN->TP {g['fn_to_tp']['count']}; "
            f"predictions TP->FP {p['tp_to_fp']['count']}, FP->TP {p['fp_to_tp']['count']}"
        )


def report_command(
    analysis: Annotated[str, typer.Argument(help="Analysis name or id.")],
    project: ProjectOption,
    fmt: Annotated[str, typer.Option("--format", "-f", help="json, csv or html.")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
    iou: IouOption = 0.5,
    confidence: ConfidenceOption = 0.0,
    workspace: WorkspaceOption = None,
) -> None:
    """Write a report: JSON (everything), CSV (per-class table) or self-contained HTML."""
    with UserClient.open(resolve_workspace(workspace)) as client:
        proj = client.get_project(project)
        text = an.render_report(
            proj.store,
            proj.get_analysis(analysis),
            fmt=fmt,
            iou_threshold=iou,
            confidence=confidence,
        )
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")


def register(app: typer.Typer) -> None:
    """Attach ``analyse``, ``analyses``, ``compare`` and ``report``."""
    app.command("analyse")(analyse_command)
    app.add_typer(group, name="analyses")
    app.command("compare")(compare_command)
    app.command("report")(report_command)
