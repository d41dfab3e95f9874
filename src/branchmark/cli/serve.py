"""``branchmark serve``: the web UI and JSON API over a workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from branchmark.cli.options import resolve_workspace
from branchmark.server.security import TOKEN_ENV, check_bind


def serve_workspace(
    workspace: str,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    media_roots: tuple[Path, ...] = (),
) -> None:
    """Run the server in the foreground until interrupted (prints the URL first)."""
    import uvicorn

    from branchmark.server import create_app

    token = token or os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    app = create_app(workspace, token=token, media_roots=media_roots)
    shown = f"[{host}]" if ":" in host else host
    suffix = f"/?token={token}" if token else "/"
    typer.echo(f"branchmark UI at http://{shown}:{port}{suffix}  (Ctrl+C stops)")
    uvicorn.run(app, host=host, port=port, log_level="warning")


def serve(
    workspace: Annotated[
        str | None,
        typer.Argument(help="Workspace folder or database URL (default: $BRANCHMARK_WORKSPACE).",
                       show_default=False),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to bind.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option("--token", help=f"Token every request must present (env: {TOKEN_ENV}); "
                     "required to bind anything but loopback.", show_default=False),
    ] = None,
    media_root: Annotated[
        list[Path] | None,
        typer.Option("--media-root", help="Another folder media may be served from (repeatable)."),
    ] = None,
) -> None:
    """Serve the web UI and the JSON API (OpenAPI at /openapi.json)."""
    serve_workspace(
        resolve_workspace(workspace), host=host, port=port, token=token,
        media_roots=tuple(media_root or ()),
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach ``branchmark serve``."""
    app.command("serve")(serve)
