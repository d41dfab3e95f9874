"""Titles and names users actually produce: very long, and full of HTML.

A project, data unit, class and prediction set named with markup and long unbroken strings must
show as text (never run or render as HTML) and must not push any page wider than the window.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ENCORD_FIXTURES
from tests.web.conftest import requires_chromium, screenshot, serve

pytestmark = [pytest.mark.browser, requires_chromium]

PROJECT = "<script>window.pwned=1</script> & <b>Orchard</b> survey " + "north-field-" * 8
UNIT = "DJI_20250115_" + "0123456789" * 8 + "<img src=x onerror=window.pwned=1>.jpg"
CLASS = "Cherry <i>(Prunus avium)</i> " + "very-long-class-name-" * 3
BRANCH = "nightly-training-run-2025-01-15-resnet101-fpn-" + "x" * 60


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """A workspace with hostile names, one GT box and one predicted box, analysed."""
    from branchmark.client import UserClient
    from branchmark.objects import Object
    from branchmark.objects.coordinates import BoundingBoxCoordinates

    root = tmp_path_factory.mktemp("hostile") / "ws"
    ontology = json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
    cherry = next(o for o in ontology["objects"] if o["name"] == "Cherry")
    cherry["name"] = CLASS
    with UserClient.open(root) as client:
        project = client.create_project(PROJECT, ontology, description="<em>not emphasised</em>")
        data_hash = project.add_data_unit(UNIT, "image", 640, 480)
        thing = project.ontology_structure.get_child_by_title(title=CLASS, type_=Object)
        for branch, confidence in (("main", 1.0), (BRANCH, 0.8)):
            [row] = project.list_label_rows_v2(branch_name=branch)
            row.initialise_labels()
            instance = thing.create_instance()
            instance.set_for_frames(
                BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0.25, top_left_y=0.25),
                frames=0, confidence=confidence, manual_annotation=branch == "main",
            )  # fmt: skip
            row.add_object_instance(instance)
            row.save()
        project.analyse(BRANCH)
        project_hash = project.project_hash
    with serve(root) as url:
        yield url, project_hash, data_hash


def _fits_and_shows(page: Any, text: str) -> None:
    """The page is no wider than the window, ``text`` is shown as text, nothing injected ran."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert page.evaluate("window.pwned === undefined")
    assert text in page.locator("main").text_content()


@pytest.mark.parametrize(
    "path, shown, name",
    [
        pytest.param("/", PROJECT, None, id="projects"),
        pytest.param("/projects/{p}", BRANCH, "hostile-project", id="project"),
        pytest.param("/projects/{p}/data", UNIT, None, id="gallery"),
        pytest.param("/projects/{p}/data/{d}", CLASS, "hostile-detail", id="detail"),
        pytest.param("/projects/{p}/sets/" + BRANCH, CLASS, "hostile-prediction-set", id="set"),
    ],
)
def test_hostile_names_show_as_text_and_fit(
    page: Any, hostile_server: tuple[str, str, str], path: str, shown: str, name: str | None
) -> None:
    url, project_hash, data_hash = hostile_server
    page.goto(url + path.format(p=project_hash, d=data_hash))
    page.wait_for_load_state("networkidle")
    if name is not None:
        screenshot(page, name)
    _fits_and_shows(page, shown)
    assert page.locator("script:not([src]):not([type='application/json'])").count() == 0
