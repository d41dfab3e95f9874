"""Safe defaults: loopback unless a token is set, token checks, headers, media roots only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from branchmark.errors import ValidationError
from branchmark.server import create_app
from branchmark.server.security import check_bind, is_loopback
from branchmark.store import Store, catalog
from tests.conftest import ENCORD_FIXTURES
from tests.server.conftest import SmallWorkspace, TestClient


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.3.2.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("192.168.1.4", False), ("::", False), ("example.org", False)],
)  # fmt: skip
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_binding_elsewhere_needs_a_token() -> None:
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "s3cret")
    with pytest.raises(ValidationError, match="--token"):
        check_bind("0.0.0.0", None)
    with pytest.raises(ValidationError):
        check_bind("0.0.0.0", "")


def test_token_is_required_everywhere_but_static(small_workspace: SmallWorkspace) -> None:
    with TestClient(create_app(small_workspace.path, token="s3cret")) as client:
        for path in (
            "/api/projects",
            "/",
            f"/projects/{small_workspace.project_hash}",
            "/openapi.json",
        ):
            assert client.get(path).status_code == 401, path
        refused = client.get("/api/projects", headers={"Authorization": "Bearer wrong"})
        assert refused.json() == {
            "ok": False, "error": "a valid token is required (Authorization: Bearer)",
            "code": "unauthorized", "status": 401,
        }  # fmt: skip
        assert client.get("/static/style.css").status_code == 200
        ok = client.get("/api/projects", headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 200
        # ?token= once sets an HttpOnly cookie that later requests (the page's fetches) carry
        first = client.get("/?token=s3cret")
        assert first.status_code == 200
        assert "httponly" in first.headers["set-cookie"].lower()
        assert client.get("/api/projects").status_code == 200


def test_token_from_the_environment(
    small_workspace: SmallWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BRANCHMARK_TOKEN", "from-env")
    with TestClient(create_app(small_workspace.path)) as client:
        assert client.get("/api/projects").status_code == 401
        assert (
            client.get("/api/projects", headers={"Authorization": "Bearer from-env"}).status_code
            == 200
        )


def test_security_headers(client: Any) -> None:
    headers = client.get("/").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


@pytest.fixture
def escaping_workspace(tmp_path: Path) -> tuple[Path, str, dict[str, str]]:
    """Data units whose media paths point outside the media folder (and one inside)."""
    secret = tmp_path / "secret.png"
    Image.new("RGB", (4, 3), (1, 2, 3)).save(secret)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    Image.new("RGB", (4, 3), (9, 9, 9)).save(outside / "ok.png")
    ontology = json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
    units = {}
    with Store.open(tmp_path / "ws") as store, store.write() as conn:
        project = catalog.create_project(conn, "Escapes", ontology)
        for title, path in (("relative-up", "../../secret.png"), ("absolute", str(secret)),
                            ("allowed", str(outside / "ok.png"))):  # fmt: skip
            unit = catalog.add_data_unit(
                conn, project.id, title=title, data_type="image", width=4, height=3, media_path=path
            )
            units[title] = unit.data_hash
    return tmp_path, project.project_hash, units


def test_media_only_from_media_roots(escaping_workspace: tuple[Path, str, dict[str, str]]) -> None:
    root, project, units = escaping_workspace
    with TestClient(create_app(root / "ws")) as client:
        for title in ("relative-up", "absolute", "allowed"):
            response = client.get(f"/media/{project}/{units[title]}/0/image")
            assert response.status_code == 404, title
            assert "outside the served media roots" in response.json()["error"]
            detail = client.get(f"/api/projects/{project}/data-units/{units[title]}").json()
            assert detail["media"]["available"] is False
    # naming the other folder as a media root lets exactly its files through
    with TestClient(create_app(root / "ws", media_roots=[root / "elsewhere"])) as client:
        assert client.get(f"/media/{project}/{units['allowed']}/0/image").status_code == 200
        assert client.get(f"/media/{project}/{units['absolute']}/0/image").status_code == 404
