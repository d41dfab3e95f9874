"""``create_app``: the FastAPI app over one workspace (pages, JSON API, media, static files)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from branchmark import __version__
from branchmark.errors import BranchmarkError
from branchmark.server.branch_index import warm_branch_indexes
from branchmark.server.context import ServerContext
from branchmark.server.handlers import install_error_handlers
from branchmark.server.security import TOKEN_ENV, token_middleware
from branchmark.store import Store
from branchmark.web import STATIC_DIR

log = logging.getLogger("branchmark.server")


def _warm(context: ServerContext, stop: threading.Event) -> None:
    try:
        count = warm_branch_indexes(context.store, context.branch_indexes, stop=stop)
        log.info("indexed %d branches", count)
    except (BranchmarkError, sa.exc.SQLAlchemyError) as exc:  # a broken workspace: say so, serve on
        log.warning("warming the branch indexes failed: %s", exc)
    finally:
        context.warmed.set()


def create_app(
    workspace: str | Path | Store,
    *,
    token: str | None = None,
    media_roots: Sequence[str | Path] = (),
    cache_dir: str | Path | None = None,
    warm: bool = False,
) -> FastAPI:
    """The branchmark web app over ``workspace`` (a folder, a database URL or an open ``Store``).

    Parameters
    ----------
    workspace
        What to serve.
    token
        When set (or ``$BRANCHMARK_TOKEN``), every request but ``/static`` must present it.
    media_roots
        Folders media may be served from besides the workspace's own ``media/`` (e.g. the
        images folder a COCO dataset was imported from).  Nothing outside them is read.
    cache_dir
        Where thumbnails and decoded video frames are cached (default: under the workspace).
    warm
        Index every branch in a background thread at startup, so the first gallery request
        of a large workspace does not wait for it (``context.warmed`` is set when done).

    >>> import tempfile
    >>> app = create_app(tempfile.mkdtemp())
    >>> sorted(p for p in app.openapi()["paths"] if p.startswith("/api/projects"))[:2]
    ['/api/projects', '/api/projects/{project}']
    """
    token = token or os.environ.get(TOKEN_ENV) or None
    context = ServerContext.open(
        workspace, token=token, media_roots=media_roots, cache_dir=cache_dir
    )
    owns_store = not isinstance(workspace, Store)

    stop = threading.Event()

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        worker = None
        if warm:
            worker = threading.Thread(
                target=_warm, args=(context, stop), name="branchmark-warm", daemon=True
            )
            worker.start()
        yield
        stop.set()
        if worker is not None:
            worker.join(timeout=30)
        if owns_store:
            context.store.close()

    app = FastAPI(
        lifespan=lifespan,
        title="branchmark",
        version=__version__,
        description="Ground truth and model prediction sets side by side. Every HTML page has "
        "a JSON twin under /api produced by the same service call; errors are "
        '{"ok": false, "error", "code", "status"}.',
    )
    app.state.context = context
    install_error_handlers(app)
    app.middleware("http")(token_middleware(token))
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")

    from branchmark.server.routes import explorer, media, projects, sets

    for module in (projects, explorer, media, sets):
        app.include_router(module.router)
    return app
