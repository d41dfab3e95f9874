"""Prediction sets over the analysis layer: jobs, slider summary, outcomes, confusion, compare,
delete and rename.  Numbers are checked against the analysis service and hand counts."""

from __future__ import annotations

import time
from typing import Any

import pytest
from markupsafe import escape

from branchmark import analysis
from branchmark.analysis.compute import PROTOCOL_VERSION
from branchmark.server import create_app
from branchmark.store import Store, catalog
from tests.analysis.builders import set_protocol_version
from tests.server.conftest import SmallWorkspace, TestClient


def _wait(client: Any, project: str, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record: dict[str, Any] = client.get(f"/api/projects/{project}/analyses/{name}").json()
        if not record["busy"]:
            return record
        time.sleep(0.1)
    raise AssertionError(f"analysis {name} did not finish")


@pytest.fixture
def analysed(fresh_workspace: SmallWorkspace) -> Any:
    with TestClient(create_app(fresh_workspace.path)) as client:
        p = fresh_workspace.project_hash
        started = client.post(f"/api/projects/{p}/analyses", json={"branch": "model-a"})
        assert started.status_code == 202
        assert started.json()["name"] == "model-a-vs-main-strict"
        assert started.json()["status"] in ("queued", "running", "done")
        done = _wait(client, p, "model-a-vs-main-strict")
        assert done["status"] == "done" and done["has_result"] and not done["is_stale"]
        yield client, fresh_workspace


def test_summary_counts_follow_the_confidence_slider(analysed: Any) -> None:
    client, ws = analysed
    url = f"/api/projects/{ws.project_hash}/analyses/model-a-vs-main-strict/summary"
    # model-a (all answered Ripe): a.png box 0.9 exactly on main's Ripe Cherry box (TP), a
    # stray box 0.3 (FP); coco-only.jpg box 0.8 on its Cherry box, which has no answer, so a
    # Strict match is refused (FP).  main: 7 Cherry GT (a.png, b.png, coco-only.jpg, 4 video
    # frames) and 6 objects of other classes that no prediction can match.
    expected = {0.0: (1, 2, 6), 0.5: (1, 1, 6), 0.85: (1, 0, 6), 0.95: (0, 0, 7)}
    for confidence, (tp, fp, fn) in expected.items():
        body = client.get(url, params={"iou": 0.5, "confidence": confidence}).json()
        overall = body["overall"]
        assert (overall["tp"], overall["fp"], overall["fn"]) == (tp, fp, fn + 6), confidence
        cherry = next(r for r in body["per_class"] if r["name"] == "Cherry")
        assert (cherry["tp"], cherry["fp"], cherry["fn"]) == (tp, fp, fn)
    with Store.open(ws.path) as store:
        with store.read() as conn:
            project = catalog.get_project(conn, ws.project_hash)
        record = analysis.get_analysis(store, project, "model-a-vs-main-strict")
        direct = analysis.summary_at(store, record, iou_threshold=0.7, confidence=0.4)
    served = client.get(url, params={"iou": 0.7, "confidence": 0.4}).json()
    assert served["overall"] == direct["overall"]


def test_set_page_json_and_html(analysed: Any) -> None:
    client, ws = analysed
    body = client.get(
        f"/api/projects/{ws.project_hash}/sets/model-a", params={"confidence": 0.5}
    ).json()
    assert (
        body["branch"]["name"] == "model-a" and body["analysis"]["name"] == "model-a-vs-main-strict"
    )
    assert (body["point"]["overall"]["tp"], body["point"]["overall"]["fp"]) == (1, 1)
    assert body["confusion"]["row_names"][-1] == "background"
    assert len(body["pr_curves"]) == 7 and "Cherry" in [
        c["name"] for c in body["pr_curves"]
    ]  # classes with GT
    html = client.get(f"/projects/{ws.project_hash}/sets/model-a").text
    assert 'id="confidence"' in html and "model-a-vs-main-strict" in html


def test_outcome_lists_with_crops(analysed: Any) -> None:
    client, ws = analysed
    url = f"/api/projects/{ws.project_hash}/analyses/model-a-vs-main-strict/outcomes"
    fp = client.get(url, params={"outcome": "fp"}).json()
    assert fp["total"] == 2
    mismatch, row = fp["rows"]  # by descending score
    assert (mismatch["data_title"], mismatch["reason"]) == ("coco-only.jpg", "attribute_mismatch")
    assert row["score"] == pytest.approx(0.3) and row["data_title"] == "a.png" and row["reason"]
    crop = client.get(row["crop_url"])
    assert crop.status_code == 200 and crop.headers["content-type"] == "image/jpeg"
    assert client.get(row["detail_url"]).status_code == 200
    fn = client.get(url, params={"kind": "ground_truth", "outcome": "fn", "class": "Cherry"}).json()
    assert fn["total"] == 6
    assert sorted({r["data_title"] for r in fn["rows"]}) == ["b.png", "clip.avi", "coco-only.jpg"]
    # the class filter reads a digit string as the class position when no class has that name
    position = next(c["index"] for c in _classes(ws) if c["name"] == "Cherry")
    by_position = client.get(
        url, params={"kind": "ground_truth", "outcome": "fn", "class": str(position)}
    )
    assert by_position.json()["total"] == 6
    unknown = client.get(url, params={"class": "no-such-class"})
    assert unknown.status_code == 422 and "no-such-class" in unknown.json()["error"]
    bad = client.get(url, params={"kind": "ground_truth", "outcome": "fp"})
    assert bad.status_code == 422 and bad.json()["code"] == "invalid"


def _classes(ws: SmallWorkspace) -> list[dict[str, Any]]:
    with Store.open(ws.path) as store:
        with store.read() as conn:
            project = catalog.get_project(conn, ws.project_hash)
        record = analysis.get_analysis(store, project, "model-a-vs-main-strict")
        return analysis.queries.class_list(store, record)


def test_confusion_cells(analysed: Any) -> None:
    client, ws = analysed
    base = f"/api/projects/{ws.project_hash}/analyses/model-a-vs-main-strict/confusion"
    matrix = client.get(base).json()
    k = matrix["row_names"].index("Cherry")
    missed = len(matrix["columns"]) - 1
    diagonal = client.get(f"{base}/{k}/{k}").json()
    # class-agnostic matching ignores answers: both Cherry boxes on Cherry GT pair up, and the
    # cell lists exactly those two predictions (one a Strict TP, one an attribute mismatch)
    assert diagonal["cell"]["count"] == 2 and diagonal["total"] == 2 and diagonal["exact"]
    assert diagonal["kind"] == "prediction" and diagonal["iou_threshold"] == 0.5
    assert sorted(r["outcome"] for r in diagonal["rows"]) == ["fp", "tp"]
    assert all(r["class_name"] == "Cherry" and r["partner_object_hash"] for r in diagonal["rows"])
    assert all(r["crop_url"] and r["detail_url"] for r in diagonal["rows"])
    missed_cell = client.get(f"{base}/{k}/{missed}").json()
    assert missed_cell["cell"]["count"] == 5 and missed_cell["total"] == 5 and missed_cell["exact"]
    assert {r["kind"] for r in missed_cell["rows"]} == {"ground_truth"}
    background = client.get(f"{base}/{len(matrix['rows']) - 1}/{k}").json()
    assert background["cell"]["count"] == background["total"] == 1 and background["exact"]
    assert background["rows"][0]["score"] == pytest.approx(0.3)
    for r in range(len(matrix["rows"])):  # every cell lists what it counts
        for c in range(len(matrix["columns"])):
            if (r, c) != (len(matrix["rows"]) - 1, missed):
                cell = client.get(f"{base}/{r}/{c}", params={"page_size": 1}).json()
                assert cell["total"] == matrix["matrix"][r][c] and cell["exact"], (r, c)
    assert client.get(f"{base}/{len(matrix['rows']) - 1}/{missed}").status_code == 422
    outside = client.get(f"{base}/{len(matrix['rows'])}/0")
    assert outside.status_code == 422


def test_stale_badge_and_rerun(analysed: Any) -> None:
    client, ws = analysed
    p = ws.project_hash
    with Store.open(ws.path) as store, store.write() as conn:
        project = catalog.get_project(conn, p)
        catalog.bump_branch_revision(conn, [catalog.get_branch(conn, project.id, "model-a").id])
    stale = client.get(f"/api/projects/{p}/analyses/model-a-vs-main-strict").json()
    assert (
        stale["is_stale"] and "predictions branch 'model-a' changed" in stale["stale"]["changes"][0]
    )
    assert "stale" in client.get(f"/projects/{p}").text
    assert (
        client.post(f"/api/projects/{p}/analyses/model-a-vs-main-strict/rerun").status_code == 202
    )
    again = _wait(client, p, "model-a-vs-main-strict")
    assert again["status"] == "done" and not again["is_stale"]


def test_result_of_an_older_protocol_is_stale_on_api_and_pages_until_rerun(analysed: Any) -> None:
    client, ws = analysed
    p, name = ws.project_hash, "model-a-vs-main-strict"
    url, set_page = f"/api/projects/{p}/analyses/{name}", f"/projects/{p}/sets/model-a"
    with Store.open(ws.path) as store:
        set_protocol_version(store, client.get(url).json()["id"], "coco-1")
    change = f"protocol changed (version coco-1 -> {PROTOCOL_VERSION})"
    stale = client.get(url).json()
    assert stale["is_stale"] and stale["stale"] == {"stale": True, "changes": [change]}
    assert stale["result"]["protocol_version"] == "coco-1"
    listed = client.get(f"/api/projects/{p}/analyses").json()["analyses"]
    assert [a["stale"]["changes"] for a in listed if a["name"] == name] == [[change]]
    shown = str(escape(change))
    assert f'title="{shown}">stale</span>' in client.get(f"/projects/{p}").text
    page = client.get(set_page, params={"analysis": name}).text
    assert f'id="stale-badge" title="{shown}">stale: {shown}</span>' in page
    assert client.post(f"{url}/rerun").status_code == 202
    again = _wait(client, p, name)
    assert again["status"] == "done" and not again["is_stale"]
    assert again["result"]["protocol_version"] == PROTOCOL_VERSION
    assert again["result"]["id"] != stale["result"]["id"]
    assert 'id="stale-badge"' not in client.get(set_page, params={"analysis": name}).text


def test_several_analyses_and_compare(analysed: Any) -> None:
    client, ws = analysed
    p = ws.project_hash
    started = client.post(
        f"/api/projects/{p}/analyses", json={"branch": "model-a", "match": "partial"}
    )
    assert started.status_code == 202
    _wait(client, p, "model-a-vs-main-partial")
    names = [a["name"] for a in client.get(f"/api/projects/{p}/analyses").json()["analyses"]]
    assert names == ["model-a-vs-main-partial", "model-a-vs-main-strict"]
    body = client.get(
        f"/api/projects/{p}/compare",
        params={"a": "model-a-vs-main-strict", "b": "model-a-vs-main-partial"},
    ).json()
    cherry = next(r for r in body["comparison"]["per_class"] if r["name"] == "Cherry")
    assert cherry["delta"]["recall"] == pytest.approx(0.0)  # every answer agrees: no flip
    assert body["comparison"]["gt_flips"]["tp_to_fn"]["count"] == 0
    assert (
        client.get(
            f"/projects/{p}/compare",
            params={"a": "model-a-vs-main-strict", "b": "model-a-vs-main-partial"},
        ).status_code
        == 200
    )


def test_compare_refuses_an_older_protocol_on_api_and_page_until_rerun(analysed: Any) -> None:
    client, ws = analysed
    p, old, new = ws.project_hash, "model-a-vs-main-strict", "model-a-vs-main-partial"
    started = client.post(
        f"/api/projects/{p}/analyses", json={"branch": "model-a", "match": "partial"}
    )
    assert started.status_code == 202
    _wait(client, p, new)
    api, page = f"/api/projects/{p}/compare", f"/projects/{p}/compare"
    pair = {"a": old, "b": new}
    before = client.get(api, params=pair).json()["comparison"]
    with Store.open(ws.path) as store:
        set_protocol_version(
            store, client.get(f"/api/projects/{p}/analyses/{old}").json()["id"], "coco-1"
        )
    message = (
        f"{old!r} and {new!r} were computed under different protocol versions "
        f"(coco-1 vs {PROTOCOL_VERSION}); reanalyse {old!r} to bring it to {PROTOCOL_VERSION}"
    )
    refused = client.get(api, params=pair)
    assert refused.status_code == 409
    assert refused.json() == {"ok": False, "error": message, "code": "conflict", "status": 409}
    shown = client.get(page, params=pair)
    assert shown.status_code == 409 and str(escape(message)) in shown.text
    assert client.post(f"/api/projects/{p}/analyses/{old}/rerun").status_code == 202
    assert _wait(client, p, old)["result"]["protocol_version"] == PROTOCOL_VERSION
    again = client.get(api, params=pair)
    assert again.status_code == 200 and again.json()["comparison"] == before
    assert client.get(page, params=pair).status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param({"branch": "nope"}, 404, "branch_not_found", id="branch"),
        pytest.param({"branch": "model-a", "match": "fuzzy"}, 422, "invalid", id="mode"),
        pytest.param({"branch": "main"}, 422, "invalid", id="self"),
        pytest.param(
            {"branch": "model-a", "name": "bad name"}, 422, "invalid_branch_name", id="name"
        ),
        pytest.param({}, 422, "invalid", id="missing"),
    ],
)
def test_start_analysis_errors(
    client: Any, small_workspace: SmallWorkspace, body: dict[str, Any], status: int, code: str
) -> None:
    response = client.post(f"/api/projects/{small_workspace.project_hash}/analyses", json=body)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["ok"] is False


def test_analysis_not_found(client: Any, small_workspace: SmallWorkspace) -> None:
    response = client.get(f"/api/projects/{small_workspace.project_hash}/analyses/nope/summary")
    assert response.status_code == 404 and response.json()["code"] == "analysis_not_found"


def test_rename_and_delete_a_set(analysed: Any) -> None:
    client, ws = analysed
    p = ws.project_hash
    taken = client.patch(f"/api/projects/{p}/sets/model-a", json={"name": "main"})
    assert taken.status_code == 409 and taken.json()["code"] == "conflict"
    bad = client.patch(f"/api/projects/{p}/sets/model-a", json={"name": "a b"})
    assert bad.status_code == 422
    renamed = client.patch(f"/api/projects/{p}/sets/model-a", json={"name": "model-b"})
    assert renamed.json() == {"ok": True, "renamed": "model-a", "branch": "model-b"}
    overview = client.get(f"/api/projects/{p}").json()
    assert [b["name"] for b in overview["branches"]] == ["main", "model-b"]
    assert [a["branch"] for a in overview["analyses"]] == ["model-b"]
    assert (
        client.get(f"/api/projects/{p}/data-units", params={"branch": "model-b"}).json()["total"]
        == 2
    )
    refused = client.delete(f"/api/projects/{p}/sets/main")
    assert refused.status_code == 422
    assert client.delete(f"/api/projects/{p}/sets/model-b").json() == {
        "ok": True,
        "deleted": "model-b",
    }
    overview = client.get(f"/api/projects/{p}").json()
    assert [b["name"] for b in overview["branches"]] == ["main"] and overview["analyses"] == []
    gone = client.get(f"/api/projects/{p}/sets/model-b")
    assert gone.status_code == 404 and gone.json()["code"] == "branch_not_found"
