"""``create_app(warm=True)`` indexes every branch in the background; without it, on demand."""

from __future__ import annotations

import threading

from branchmark.server import create_app
from branchmark.server.branch_index import BranchIndexCache, warm_branch_indexes
from branchmark.store import Store, catalog
from branchmark.store.records import BranchRecord
from tests.server.conftest import SmallWorkspace, TestClient


def _branches(store: Store, project_hash: str) -> list[BranchRecord]:
    with store.read() as conn:
        project = catalog.get_project(conn, project_hash)
        return catalog.list_branches(conn, project.id)


def test_warm_start_indexes_every_branch(small_workspace: SmallWorkspace) -> None:
    app = create_app(small_workspace.path, warm=True)
    context = app.state.context
    with TestClient(app):
        assert context.warmed.wait(30)
        branches = _branches(context.store, small_workspace.project_hash)
        assert [b.name for b in branches] == ["main", "model-a"]
        assert all(context.branch_indexes.holds(b) for b in branches)


def test_cold_start_indexes_on_the_first_request(small_workspace: SmallWorkspace) -> None:
    app = create_app(small_workspace.path)
    context = app.state.context
    with TestClient(app) as client:
        main, model = _branches(context.store, small_workspace.project_hash)
        assert not context.branch_indexes.holds(main) and not context.warmed.is_set()
        url = f"/api/projects/{small_workspace.project_hash}/data-units?branch=model-a"
        assert client.get(url).json()["total"] == 2
        assert context.branch_indexes.holds(model)


def test_warming_stops_when_asked(small_workspace: SmallWorkspace) -> None:
    stop = threading.Event()
    stop.set()
    cache = BranchIndexCache()
    with Store.open(small_workspace.path) as store:
        assert warm_branch_indexes(store, cache, stop=stop) == 0
        assert warm_branch_indexes(store, cache) == 2
        assert all(cache.holds(b) for b in _branches(store, small_workspace.project_hash))
