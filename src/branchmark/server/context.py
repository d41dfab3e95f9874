"""What every request of one server shares: the open store, media roots, caches and jobs."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi import Request

from branchmark.server.branch_index import BranchIndexCache
from branchmark.store import Store

CACHE_DIRNAME = ".branchmark-cache"


@dataclasses.dataclass
class ServerContext:
    """State of one app: the workspace store and what the server keeps between requests.

    ``media_roots`` are the only folders media files are served from: the workspace's own
    ``media/`` plus any given to :func:`~branchmark.server.create_app`.  ``cache_dir`` holds
    generated thumbnails and video frames.
    """

    store: Store
    media_roots: tuple[Path, ...]
    cache_dir: Path
    token: str | None
    branch_indexes: BranchIndexCache
    lock: threading.RLock = dataclasses.field(default_factory=threading.RLock)
    warmed: threading.Event = dataclasses.field(default_factory=threading.Event)
    """Set once the background warm-up (``create_app(warm=True)``) has finished."""
    extras: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def open(
        cls,
        workspace: str | Path | Store,
        *,
        token: str | None = None,
        media_roots: Sequence[str | Path] = (),
        cache_dir: str | Path | None = None,
    ) -> ServerContext:
        """Open ``workspace`` (a folder, a database URL or an open ``Store``)."""
        store = workspace if isinstance(workspace, Store) else Store.open(workspace)
        roots = [Path(r).resolve() for r in media_roots]
        if store.media_root is not None:
            roots.insert(0, Path(store.media_root).resolve())
        if cache_dir is None:
            location = Path(store.location)
            if "://" not in store.location and location.is_dir():
                cache_dir = location / CACHE_DIRNAME
            elif store.media_root is not None:
                cache_dir = Path(store.media_root) / CACHE_DIRNAME
            else:
                cache_dir = Path(tempfile.gettempdir()) / "branchmark-cache"
        folder = Path(cache_dir)
        folder.mkdir(parents=True, exist_ok=True)
        return cls(
            store=store,
            media_roots=tuple(dict.fromkeys(roots)),
            cache_dir=folder,
            token=token,
            branch_indexes=BranchIndexCache(),
        )


def get_context(request: Request) -> ServerContext:
    """FastAPI dependency: the app's :class:`ServerContext`."""
    context: ServerContext = request.app.state.context
    return context
