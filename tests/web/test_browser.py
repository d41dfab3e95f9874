"""The UI in a real browser over the demo workspace: what users see matches the JSON API."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.web.conftest import requires_chromium, screenshot

pytestmark = [pytest.mark.browser, requires_chromium]

GT_RGB = (0x00, 0xE5, 0xFF)  # colors.js GROUND_TRUTH
PREDICTION_RGB = (0xFF, 0x2B, 0xD6)  # colors.js PREDICTION_PALETTE[0] (first prediction branch)


def _json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - 127.0.0.1 test server
        return json.loads(response.read())


def _project(live_server: str) -> str:
    [project] = _json(f"{live_server}/api/projects")["projects"]
    return str(project["project_hash"])


def test_open_the_project(page: Any, live_server: str) -> None:
    page.goto(live_server + "/")
    screenshot(page, "projects")
    page.click("a.project-card")
    page.wait_for_selector("table.branches")
    names = page.locator("table.branches tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.branch)"
    )
    assert names == ["main", "colour-contour", "hough-circle"]
    assert page.locator("#analyses-table tbody tr").count() == 2
    screenshot(page, "project")
    page.click("text=Explore the data ›")
    page.wait_for_selector(".grid .tile")
    assert page.locator(".grid .tile").count() == 7  # 6 images + the video
    screenshot(page, "gallery")


def test_confidence_slider_matches_the_api(page: Any, live_server: str) -> None:
    p = _project(live_server)
    page.goto(f"{live_server}/projects/{p}/sets/colour-contour")
    page.wait_for_selector("#confusion table")
    name = page.locator("[data-rerun]").first.get_attribute("data-rerun")
    before = page.locator('[data-metric="tp"]').inner_text()
    page.locator("#confidence").fill("0.6")
    page.wait_for_function("document.body.dataset.summary === '0.5:0.6'")
    api = _json(f"{live_server}/api/projects/{p}/analyses/{name}/summary?iou=0.5&confidence=0.6")
    for key in ("tp", "fp", "fn"):
        assert page.locator(f'[data-metric="{key}"]').inner_text() == str(api["overall"][key])
    assert page.locator('[data-metric="tp"]').inner_text() != before or api["overall"]["tp"] == int(
        before
    )
    rows = page.locator("#class-table tbody tr")
    assert rows.count() == len(api["per_class"])
    first = rows.nth(0).locator("td")
    assert [first.nth(i).inner_text() for i in (1, 2, 3)] == [
        str(api["per_class"][0][k]) for k in ("tp", "fp", "fn")
    ]
    page.wait_for_function("document.getElementById('outcome-list').dataset.total !== undefined")
    screenshot(page, "prediction-set")


def test_pr_legend_tells_coinciding_curves_apart(page: Any, live_server: str) -> None:
    p = _project(live_server)
    page.goto(f"{live_server}/projects/{p}/sets/colour-contour")
    page.wait_for_selector("#pr-chart polyline")
    name = page.locator("[data-rerun]").first.get_attribute("data-rerun")
    curves = _json(f"{live_server}/api/projects/{p}/analyses/{name}/pr-curves?iou=0.5")["curves"]
    entries = page.locator("#pr-legend .legend-entry").all_text_contents()
    assert len(entries) == len(curves)
    for i, curve in enumerate(curves):
        earlier = [
            c["name"]
            for c in curves[:i]
            if (c["recall"], c["precision"]) == (curve["recall"], curve["precision"])
        ]
        expected = f"{curve['name']} (same curve as {earlier[0]})" if earlier else curve["name"]
        assert entries[i] == expected
    assert any("same curve as" in e for e in entries)  # the demo has such classes
    styles = page.locator("#pr-chart polyline").evaluate_all(
        "lines => lines.map(l => [l.getAttribute('stroke'), l.getAttribute('stroke-dasharray')])"
    )
    assert all(a != b for a, b in zip(styles, styles[1:], strict=False))


def test_confusion_cell_lists_its_objects(page: Any, live_server: str) -> None:
    p = _project(live_server)
    page.goto(f"{live_server}/projects/{p}/sets/colour-contour")
    page.wait_for_selector("#confusion td.cell")
    name = page.locator("[data-rerun]").first.get_attribute("data-rerun")
    cell = page.locator('#confusion td.cell[data-row="0"][data-column="0"]')
    cell.click()
    page.wait_for_function(
        "document.getElementById('outcome-caption').textContent.startsWith('confusion cell')"
    )
    api = _json(f"{live_server}/api/projects/{p}/analyses/{name}/confusion/0/0?page=0&page_size=24")
    assert page.locator("#outcome-list").get_attribute("data-total") == str(api["total"])
    crops = page.locator("#outcome-list a.crop")
    assert crops.count() == len(api["rows"]) > 0
    assert api["total"] == api["cell"]["count"]  # the listing is exact
    assert page.locator('#outcome-tabs button[aria-pressed="true"]').count() == 0
    shown = [crops.nth(i).get_attribute("data-outcome") for i in range(crops.count())]
    assert shown == [r["outcome"].upper() for r in api["rows"]]  # each object's own outcome
    caption = page.locator("#outcome-caption").inner_text()
    assert f": {api['total']} predictions at IoU" in caption
    screenshot(page, "confusion-cell")


def _count_colour(page: Any, rgb: tuple[int, int, int]) -> int:
    return int(page.evaluate(
        """([r, g, b]) => {
            const c = document.getElementById('overlay');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 0; i < d.length; i += 4)
                if (Math.abs(d[i] - r) < 8 && Math.abs(d[i + 1] - g) < 8
                    && Math.abs(d[i + 2] - b) < 8) n++;
            return n;
        }""",
        list(rgb),
    ))  # fmt: skip


def test_detail_view_draws_the_overlays(page: Any, live_server: str) -> None:
    p = _project(live_server)
    gallery = _json(f"{live_server}/api/projects/{p}/data-units")
    unit = gallery["items"][0]
    page.goto(f"{live_server}/projects/{p}/data/{unit['data_hash']}?branches=main,colour-contour")
    page.wait_for_function("Number(document.getElementById('overlay').dataset.drawn) > 0")
    api = _json(
        f"{live_server}/api/projects/{p}/data-units/{unit['data_hash']}?branches=main,colour-contour"
    )
    drawn = int(page.locator("#overlay").get_attribute("data-drawn"))
    assert drawn == sum(len(layer["objects"]) for layer in api["layers"])
    assert _count_colour(page, GT_RGB) > 50
    assert _count_colour(page, PREDICTION_RGB) > 50
    screenshot(page, "detail")
    # hiding the ground truth removes its colour
    page.locator('#branch-toggles input[data-branch="main"]').uncheck()
    page.wait_for_function(f"Number(document.getElementById('overlay').dataset.drawn) < {drawn}")
    assert _count_colour(page, GT_RGB) == 0
    # the right arrow moves to the next data unit
    page.keyboard.press("ArrowRight")
    page.wait_for_url(f"**/data/{gallery['items'][1]['data_hash']}*")


def test_video_frame_scrubber(page: Any, live_server: str) -> None:
    p = _project(live_server)
    video = next(
        i
        for i in _json(f"{live_server}/api/projects/{p}/data-units")["items"]
        if i["data_type"] == "video"
    )
    page.goto(f"{live_server}/projects/{p}/data/{video['data_hash']}")
    page.wait_for_function("document.getElementById('overlay').dataset.frame === '0'")
    page.locator("#frame").fill("5")
    page.wait_for_function("document.getElementById('overlay').dataset.frame === '5'")
    api = _json(f"{live_server}/api/projects/{p}/data-units/{video['data_hash']}?frame=5")
    assert int(page.locator("#overlay").get_attribute("data-drawn")) == sum(
        len(x["objects"]) for x in api["layers"]
    )
    screenshot(page, "video-frame")


def test_compare_page(page: Any, live_server: str) -> None:
    p = _project(live_server)
    page.goto(
        f"{live_server}/projects/{p}/compare?a=colour-contour-vs-main-strict&b=hough-circle-vs-main-strict"
    )
    page.wait_for_selector("#compare-classes tbody tr")
    api = _json(
        f"{live_server}/api/projects/{p}/compare?a=colour-contour-vs-main-strict&b=hough-circle-vs-main-strict"
    )
    assert page.locator("#compare-classes tbody tr").count() == len(api["comparison"]["per_class"])
    flips = page.locator('[data-flip="fn_to_tp"] a.crop').count()
    assert flips == len(api["flipped"]["fn_to_tp"])
    screenshot(page, "compare")


def test_delete_a_set(page: Any, live_server: str) -> None:
    p = _project(live_server)
    page.goto(f"{live_server}/projects/{p}/sets/hough-circle")
    page.wait_for_function("document.getElementById('outcome-list').dataset.total !== undefined")
    page.click("#delete-set")
    screenshot(page, "delete-confirmation", full_page=False)
    page.click("#confirm-delete-button")
    page.wait_for_url(f"{live_server}/projects/{p}")
    names = page.locator("table.branches tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.branch)"
    )
    assert names == ["main", "colour-contour"]
    assert [b["name"] for b in _json(f"{live_server}/api/projects/{p}")["branches"]] == [
        "main",
        "colour-contour",
    ]
