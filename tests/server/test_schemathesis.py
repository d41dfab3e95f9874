"""Property tests of the whole API from its OpenAPI spec: no input may cause a 5xx, and every
error body has the one error shape.  (Operations are driven one by one through their
Hypothesis strategies: schemathesis's pytest plugin does not run under this pytest.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from branchmark.server import create_app  # noqa: E402
from tests.server.conftest import build_small_workspace  # noqa: E402

EXAMPLES = 12


def _check(case: Any) -> None:
    response = case.call()
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"ok", "error", "code", "status"}, body
        assert body["ok"] is False and body["status"] == response.status_code


def test_no_server_errors(tmp_path: Path) -> None:
    ws = build_small_workspace(tmp_path)
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(ws.path))
    checked = []
    for result in schema.get_all_operations():
        operation = result.ok()
        run = settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(case=operation.as_strategy())(_check))
        run()
        checked.append(operation.label)
    paths = schema.raw_schema["paths"]
    assert len(checked) == sum(len(item) for item in paths.values())
