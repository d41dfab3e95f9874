"""``branchmark serve``: the web UI and JSON API over a workspace."""

from __future__ import annotations

import os
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

from branchmark.cli.options import resolve_workspace
from branchmark.errors import ConflictError
from branchmark.server.security import TOKEN_ENV, check_bind


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``(host, port)`` (port 0: an ephemeral one), or ``ConflictError``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConflictError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    return sock


def serve_workspace(
    workspace: str | Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    token: str | None = None,
    media_roots: Sequence[str | Path] = (),
) -> None:
    """Serve the UI and JSON API over ``workspace`` in the foreground until interrupted.

    The address is bound before anything is printed, so the URL printed (``port=0`` binds an
    ephemeral port and prints the real one) is already accepting connections; then the call
    blocks until Ctrl+C / SIGTERM.  Branch indexes are built in the background at startup.
    A non-loopback ``host`` needs ``token`` (or
    ``$BRANCHMARK_TOKEN``): ``ValidationError`` otherwise; a port in use raises
    ``ConflictError``.
    """
    import uvicorn

    from branchmark.server import create_app

    token = token or os.environ.get(TOKEN_ENV) or None
    check_bind(host, token)
    sock = _listen(host, port)
    try:
        app = create_app(workspace, token=token, media_roots=media_roots, warm=True)
        bound = int(sock.getsockname()[1])
        shown = f"[{host}]" if ":" in host else host
        suffix = f"/?token={token}" if token else "/"
        typer.echo(f"branchmark UI at http://{shown}:{bound}{suffix}  (Ctrl+C stops)")
        uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the Ctrl+C it shut down on
        typer.echo("branchmark UI stopped")
    finally:
        sock.close()


def serve(
    workspace: Annotated[
        str | None,
        typer.Argument(
            help="Workspace folder or database URL (default: $BRANCHMARK_WORKSPACE).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Port to bind (0: any free one).")
    ] = 8000,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            help=f"Token every request must present (env: {TOKEN_ENV}); "
            "required to bind anything but loopback.",
            show_default=False,
        ),
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
