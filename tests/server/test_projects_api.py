"""Projects list and project overview: JSON twins, HTML pages, escaping, errors."""

from __future__ import annotations

from typing import Any

from tests.server.conftest import PROJECT_TITLE, SmallWorkspace


def test_projects_list_counts(client: Any, small_workspace: SmallWorkspace) -> None:
    body = client.get("/api/projects").json()
    [project] = body["projects"]
    assert project["title"] == PROJECT_TITLE
    assert project["project_hash"] == small_workspace.project_hash
    assert project["data_units"] == 5
    assert project["branches"] == 2


def test_overview_branches_and_types(client: Any, small_workspace: SmallWorkspace) -> None:
    body = client.get(f"/api/projects/{small_workspace.project_hash}").json()
    assert body["data_units"] == {"total": 5, "by_type": {"image": 3, "img_group": 1, "video": 1}}
    branches = {b["name"]: b for b in body["branches"]}
    assert [b["name"] for b in body["branches"]] == ["main", "model-a"]
    # main: 7 objects on a.png, 1 on b.png, 4 frames of one video track, 1 on coco-only.jpg
    assert branches["main"]["objects"] == 7 + 1 + 4 + 1
    assert branches["main"]["data_units"] == 4
    assert branches["main"]["kind"] == "main"
    assert branches["model-a"] == {
        **branches["model-a"], "kind": "prediction", "objects": 3, "data_units": 2,
        "meta": {"model": "tiny <i>net</i>", "version": "1"},
    }  # fmt: skip
    names = [c["name"] for c in body["classes"]]
    assert names[:2] == ["Cherry", "Other type of fruit"]
    ripeness = next(a for a in body["attributes"] if a["name"] == "Ripeness")
    assert ripeness == {"name": "Ripeness", "kind": "radio", "options": ["Ripe", "Unripe"]}


def test_unknown_route_has_the_error_shape(client: Any) -> None:
    response = client.get("/api/no/such/route")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False,
        "error": "Not Found",
        "code": "not_found",
        "status": 404,
    }
    wrong_method = client.post("/api/projects")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["code"] == "method_not_allowed"


def test_html_pages_escape_titles_and_metadata(
    client: Any, small_workspace: SmallWorkspace
) -> None:
    for path in ("/", f"/projects/{small_workspace.project_hash}"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        html = response.text
        assert "Fruit <b>&</b>" not in html
        assert "Fruit &lt;b&gt;&amp;&lt;/b&gt;" in html
    overview = client.get(f"/projects/{small_workspace.project_hash}").text
    assert "<i>net</i>" not in overview and "tiny &lt;i&gt;net&lt;/i&gt;" in overview
    # the embedded page data cannot close its <script> element
    assert overview.count("</script>") == overview.count("<script")


def test_unknown_project_json_and_html(client: Any) -> None:
    response = client.get("/api/projects/no-such-project")
    assert response.status_code == 404
    assert response.json() == {
        "ok": False, "error": "no project with hash or title 'no-such-project'",
        "code": "project_not_found", "status": 404,
    }  # fmt: skip
    page = client.get("/projects/no-such-project")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "no project with hash or title &#39;no-such-project&#39;" in page.text
