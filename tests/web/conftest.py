"""A live server over the demo workspace and a headless Debian Chromium driven by Playwright.

Browser tests are marked ``browser`` and skipped, with the reason shown, when
``/usr/bin/chromium`` is missing (``apt-get install chromium``; no browser is downloaded).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

requires_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"{CHROMIUM} is missing: apt-get install chromium"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo workspace (small), with both prediction sets analysed (Strict)."""
    from branchmark import analysis
    from branchmark.demo.workspace import build_demo_workspace
    from branchmark.store import Store, catalog

    root = tmp_path_factory.mktemp("demo") / "ws"
    built = build_demo_workspace(root, image_count=6, video_frames=8)
    with Store.open(root) as store:
        with store.read() as conn:
            project = catalog.get_project(conn, built.project_hash)
        for branch in built.prediction_branches:
            analysis.analyse(store, project, branch, wait=True)
    return root


@contextlib.contextmanager
def serve(workspace: Path) -> Iterator[str]:
    """The app over ``workspace`` on 127.0.0.1 and an ephemeral port, in a thread."""
    import uvicorn

    from branchmark.server import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(workspace), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def live_server(demo_workspace: Path) -> Iterator[str]:
    """The app over the demo workspace; stopped at the end of the session."""
    with serve(demo_workspace) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    # The test's own probes (wait_for_function) are evaluated strings, which the app's CSP
    # (no 'unsafe-eval') rightly refuses: bypass it for the probes only; the app's scripts are
    # the same either way.
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save ``docs/screenshots/<name>.png`` once every image on the page has loaded.

    Lazy images below the fold never load in a full-page capture (they would show as empty
    tiles), so they are switched to eager first.  ``full_page=False`` captures the viewport
    (a modal dialog's backdrop covers the viewport, not the whole scrollable page).
    """
    page.evaluate(
        """() => Promise.all(Array.from(document.images, (img) => {
            img.loading = "eager";
            if (img.complete) return null;
            return new Promise((done) => { img.onload = img.onerror = done; });
        }))"""
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
