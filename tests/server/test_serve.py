"""``serve_workspace``: prints a URL that already answers, blocks, stops cleanly on Ctrl+C."""

from __future__ import annotations

import os
import re
import select
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from branchmark.cli.serve import serve_workspace
from branchmark.errors import ConflictError, ValidationError
from tests.server.conftest import PROJECT_TITLE, SmallWorkspace

SERVE = (
    "import sys; from branchmark.cli.serve import serve_workspace; "
    "serve_workspace(sys.argv[1], port=0)"
)
URL = re.compile(r"branchmark UI at (http://127\.0\.0\.1:(\d+)/)")


def _read_line(process: subprocess.Popen[str], *, timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output within {timeout} s")
    return process.stdout.readline()


def test_serve_prints_a_live_url_and_stops_on_ctrl_c(small_workspace: SmallWorkspace) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("BRANCHMARK_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(small_workspace.path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        line = _read_line(process, timeout=60)
        found = URL.search(line)
        assert found, line
        url, port = found.group(1), int(found.group(2))
        assert port != 0
        listing = httpx.get(f"{url}api/projects", timeout=30).json()
        assert [p["title"] for p in listing["projects"]] == [PROJECT_TITLE]
        assert process.poll() is None  # still serving: the call blocks
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert "stopped" in _read_line(process, timeout=5)
        with pytest.raises(httpx.ConnectError):
            httpx.get(url, timeout=5)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_serve_refuses_a_port_in_use(small_workspace: SmallWorkspace) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConflictError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve_workspace(str(small_workspace.path), port=port)


def test_serve_refuses_a_public_address_without_a_token(
    small_workspace: SmallWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BRANCHMARK_TOKEN", raising=False)
    with pytest.raises(ValidationError, match="--token"):
        serve_workspace(str(small_workspace.path), host="0.0.0.0", port=0)
