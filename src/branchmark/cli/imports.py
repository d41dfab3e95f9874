"""``branchmark import``: COCO (dataset, results), Encord label-row JSON and YOLO into a branch.

Every command runs its format's importer from the registry in one transaction: a bad record
stops the import with a message naming file, record and field, and nothing is written
(``--skip-invalid`` skips and counts bad records instead).  ``--json`` prints the summary
(``ImportReport.to_dict``: counts per class and shape, skipped, seconds) as JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from branchmark.cli.options import ProjectOption, WorkspaceOption, emit_json, resolve_workspace
from branchmark.importers import WriteMode, get_format
from branchmark.importers.report import ImportReport
from branchmark.store import Store

group = typer.Typer(
    help="Import annotations (COCO, Encord JSON, YOLO) into a branch.", no_args_is_help=True
)

BranchOption = Annotated[
    str, typer.Option("--branch", "-b", help="Branch to write (created when missing).")
]
SkipOption = Annotated[
    bool, typer.Option("--skip-invalid", help="Skip bad records (counted) instead of failing.")
]
ReplaceOption = Annotated[
    bool, typer.Option("--replace", help="Clear the labels the import covers first.")
]
AppendOption = Annotated[
    bool, typer.Option("--append", help="Add to labels already on the branch.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a machine-readable summary.")]


def _mode(replace: bool, append: bool) -> WriteMode:
    if replace and append:
        raise typer.BadParameter("give at most one of --replace and --append")
    return WriteMode.REPLACE if replace else WriteMode.APPEND if append else WriteMode.NEW


def run_import(
    name: str, source: Path, *, workspace: str | None, as_json: bool, **options: Any
) -> ImportReport:
    """Run importer ``name`` with a Rich progress display (hidden for ``--json``)."""
    spec = get_format("import", name)
    console = Console(stderr=True)
    with (
        Store.open(resolve_workspace(workspace)) as store,
        Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=as_json,
        ) as progress,
    ):
        task = progress.add_task(f"reading {source.name}", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, description="writing rows", completed=done, total=total)

        report: ImportReport = spec.run(store, source, progress=advance, **options)
    if as_json:
        emit_json(report.to_dict())
    else:
        _print(report)
    return report


def _print(report: ImportReport) -> None:
    console = Console()
    console.print(
        f"imported {report.imported} object(s) into {report.project!r} branch {report.branch!r} "
        f"({report.label_rows} label row(s), {report.data_units} new data unit(s)) in "
        f"{report.seconds:.2f} s"
    )
    for title, counts in (("per class", report.per_class), ("per shape", report.per_shape)):
        if counts:
            console.print(f"  {title}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if report.skipped:
        console.print(f"  skipped {report.skipped} record(s); first reasons:")
        for reason in report.reasons:
            console.print(f"    {reason}", markup=False)


@group.command("coco-dataset")
def coco_dataset(
    file: Annotated[Path, typer.Argument(help="COCO dataset JSON.")],
    project: ProjectOption,
    branch: BranchOption = "main",
    images: Annotated[
        Path | None, typer.Option("--images", help="Folder holding the images.")
    ] = None,
    skip_invalid: SkipOption = False,
    replace: ReplaceOption = False,
    append: AppendOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a COCO dataset: data units, ontology (for a new project) and annotations."""
    run_import(
        "coco-dataset",
        file,
        workspace=workspace,
        as_json=as_json,
        project=project,
        branch=branch,
        images_dir=images,
        skip_invalid=skip_invalid,
        mode=_mode(replace, append),
    )


@group.command("coco-results")
def coco_results(
    file: Annotated[Path, typer.Argument(help="COCO results JSON list.")],
    project: ProjectOption,
    branch: BranchOption,
    image_map: Annotated[
        Path | None,
        typer.Option("--image-map", help='JSON {"<image id>": "<data hash or title>"}.'),
    ] = None,
    category_map: Annotated[
        Path | None,
        typer.Option("--category-map", help='JSON {"<category id>": "<feature hash or name>"}.'),
    ] = None,
    skip_invalid: SkipOption = False,
    replace: ReplaceOption = False,
    append: AppendOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import a COCO results list (a model's output) into a prediction branch."""
    run_import(
        "coco-results",
        file,
        workspace=workspace,
        as_json=as_json,
        project=project,
        branch=branch,
        image_map=image_map,
        category_map=category_map,
        skip_invalid=skip_invalid,
        mode=_mode(replace, append),
    )


@group.command("encord")
def encord(
    path: Annotated[
        Path, typer.Argument(help="Label-row JSON file (a row or a list) or a folder of them.")
    ],
    project: ProjectOption,
    branch: BranchOption,
    skip_invalid: SkipOption = False,
    replace: ReplaceOption = False,
    append: AppendOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import Encord label rows (either classification layout) into a branch."""
    run_import("encord", path, workspace=workspace, as_json=as_json, project=project, branch=branch,
               skip_invalid=skip_invalid, mode=_mode(replace, append))  # fmt: skip


@group.command("yolo")
def yolo(
    folder: Annotated[Path, typer.Argument(help="Folder of YOLO txt files (or holding labels/).")],
    project: ProjectOption,
    branch: BranchOption,
    names: Annotated[
        Path | None,
        typer.Option(
            "--names",
            help="data.yaml (names; kpt_shape for pose) or a names file (default: data.yaml "
            "beside the labels).",
        ),
    ] = None,
    skip_invalid: SkipOption = False,
    replace: ReplaceOption = False,
    append: AppendOption = False,
    as_json: JsonOption = False,
    workspace: WorkspaceOption = None,
) -> None:
    """Import YOLO txt files (boxes, segment polygons, optional confidence) into a branch.

    With kpt_shape: [K, 2|3] in data.yaml every line is a pose line (box + K keypoints, visibility
    0/1/2 when D is 3; on prediction lines, which end with a confidence, a keypoint confidence
    in 0..1 as Ultralytics saves it) and becomes a skeleton of its class's K-point skeleton
    object.
    """
    run_import("yolo", folder, workspace=workspace, as_json=as_json, project=project, branch=branch,
               names=names, skip_invalid=skip_invalid, mode=_mode(replace, append))  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach ``branchmark import``."""
    app.add_typer(group, name="import")
