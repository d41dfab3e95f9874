"""Entry point of the ``branchmark`` command.

Errors raised on purpose (``BranchmarkError``) and file-system errors print one line on stderr
that says what to fix and exit with status 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from branchmark import __version__
from branchmark.cli import commands
from branchmark.errors import BranchmarkError


class CommandError(click.ClickException):
    """A deliberate error turned into one line on stderr and exit status 1."""

    exit_code = 1

    def show(self, file: Any = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True, file=file)


class _Root(TyperGroup):
    """The root group; command groups are imported when used (:mod:`branchmark.cli.commands`)."""

    # ``ctx`` is Typer's vendored click context (``typer._click.Context``), not
    # ``click.Context``; it is typed ``Any`` because that class is private to Typer.
    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        return names + [name for name in commands.command_names() if name not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        module = commands.module_of(cmd_name)
        if cmd_name not in self.commands and module is not None:
            for name, command in commands.load_commands(module).items():
                self.commands.setdefault(name, command)
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (BranchmarkError, OSError, ValueError) as exc:
            if isinstance(ctx.obj, dict) and ctx.obj.get("debug"):
                raise
            message = exc.message if isinstance(exc, BranchmarkError) else str(exc)
            # Typer >= 0.25 vendors its own click, so a ``click.ClickException`` raised here is
            # not recognised by Typer's main loop: print the line and exit ourselves.
            CommandError(message).show()
            raise typer.Exit(CommandError.exit_code) from exc


app = typer.Typer(
    cls=_Root,
    name="branchmark",
    help="Ground truth and model prediction sets side by side: import, analyse, compare, browse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"branchmark {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
) -> None:
    ctx.obj = {"debug": debug}


def main() -> None:
    app(prog_name="branchmark")
