"""Options and output helpers shared by every CLI command."""

from __future__ import annotations

import csv
import enum
import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.table import Table

DEFAULT_WORKSPACE = "branchmark-workspace"
"""Folder (relative to the current directory) used when neither --workspace nor
$BRANCHMARK_WORKSPACE is given."""

WorkspaceOption = Annotated[
    str | None,
    typer.Option(
        "--workspace",
        "-w",
        help="Workspace folder or database URL "
        f"[default: $BRANCHMARK_WORKSPACE, else ./{DEFAULT_WORKSPACE}]",
        show_default=False,
    ),
]

ProjectOption = Annotated[str, typer.Option("--project", "-p", help="Project title or hash.")]


def resolve_workspace(workspace: str | None) -> str:
    """The workspace a command works on: the option, then the environment, then the default."""
    if workspace:
        return workspace
    env = os.environ.get("BRANCHMARK_WORKSPACE")
    if env:
        return env
    return str(Path(DEFAULT_WORKSPACE))


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="Listing format: table, json or csv."),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
CsvFlag = Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")]


def pick_format(json_flag: bool, csv_flag: bool) -> OutputFormat:
    """Turn the shared ``--json/--csv`` flags into one format (table when neither is set)."""
    if json_flag and csv_flag:
        raise typer.BadParameter("give at most one of --json and --csv")
    if json_flag:
        return OutputFormat.json
    if csv_flag:
        return OutputFormat.csv
    return OutputFormat.table


def emit_rows(
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[str],
    fmt: OutputFormat,
    *,
    title: str | None = None,
) -> None:
    """Print a listing as a Rich table, a JSON array or CSV with ``columns`` in order."""
    if fmt is OutputFormat.json:
        data = [{c: row.get(c) for c in columns} for row in rows]
        typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
        return
    if fmt is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: row.get(c) for c in columns})
        typer.echo(buffer.getvalue(), nl=False)
        return
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    Console().print(table)


def emit_json(data: Any) -> None:
    """Print one JSON document (NaN is not valid JSON: callers turn it into null first)."""
    typer.echo(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode())
