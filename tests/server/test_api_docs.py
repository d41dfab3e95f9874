"""Every endpoint is documented in docs/api.md and every error body has the one shape."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _documented() -> set[tuple[str, str]]:
    rows = re.findall(r"^\| (GET|POST|PATCH|DELETE|PUT) \| `([^`]+)`", DOC.read_text(), re.M)
    return {(method, path) for method, path in rows}


def test_every_endpoint_is_documented_and_no_more(client: Any) -> None:
    spec = client.get("/openapi.json").json()
    served = {(m.upper(), p) for p, item in spec["paths"].items() for m in item}
    assert served == _documented()


def test_html_twins_exist_for_documented_pages(client: Any, small_workspace: Any) -> None:
    twins = re.findall(r"\| `(/[^`]*)` \| [^|]+\|$", DOC.read_text(), re.M)
    assert "/projects/{project}/sets/{branch}" in twins and "/" in twins
    p, unit = small_workspace.project_hash, small_workspace.units["a.png"]
    for twin in twins:
        if "{branch}" in twin or "compare" in twin:
            continue  # covered with an analysed workspace in test_sets_api
        url = twin.replace("{project}", p).replace("{data_hash}", unit)
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("text/html")
