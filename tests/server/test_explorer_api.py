"""Data explorer: gallery filters and paging, detail overlays in pixels, media and thumbnails."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from tests.server.conftest import SmallWorkspace


def _gallery(client: Any, ws: SmallWorkspace, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/projects/{ws.project_hash}/data-units", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(body: dict[str, Any]) -> list[str]:
    return [item["title"] for item in body["items"]]


def test_gallery_lists_everything_in_creation_order(
    client: Any, small_workspace: SmallWorkspace
) -> None:
    body = _gallery(client, small_workspace)
    assert _titles(body) == ["a.png", "b.png", "clip.avi", "pair", "coco-only.jpg"]
    assert body["total"] == 5 and body["pages"] == 1
    counts = {i["title"]: i["objects"] for i in body["items"]}
    assert counts["a.png"] == {"main": 7, "model-a": 2}
    assert counts["clip.avi"] == {"main": 4, "model-a": 0}
    assert counts["pair"] == {"main": 0, "model-a": 0}
    pair = body["items"][3]
    assert (pair["width"], pair["height"], pair["frames"]) == (32, 24, 2)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        pytest.param({"branch": "model-a"}, ["a.png", "coco-only.jpg"], id="branch"),
        pytest.param(
            {"branch": "main"}, ["a.png", "b.png", "clip.avi", "coco-only.jpg"], id="main"
        ),
        pytest.param({"class": "0b1e4a06"}, ["a.png"], id="class-on-main"),
        pytest.param(
            {"class": "0b1e4a01", "branch": "model-a"},
            ["a.png", "coco-only.jpg"],
            id="class-on-branch",
        ),
        pytest.param({"class": "ffffffff"}, [], id="unknown-class"),
        pytest.param({"answer": "Ripeness=Unripe"}, ["b.png"], id="answer"),
        pytest.param({"answer": "Ripeness=Ripe"}, ["a.png"], id="answer-ripe"),
        pytest.param(
            {"answer": "Ripeness=Ripe", "branch": "model-a"},
            ["a.png", "coco-only.jpg"],
            id="answer-branch",
        ),
        pytest.param({"data_type": "video"}, ["clip.avi"], id="type"),
        pytest.param(
            {"data_type": "image", "class": "0b1e4a01"},
            ["a.png", "b.png", "coco-only.jpg"],
            id="type+class",
        ),
        pytest.param(
            {"branch": "", "class": ""},
            ["a.png", "b.png", "clip.avi", "pair", "coco-only.jpg"],
            id="empty",
        ),
    ],
)
def test_gallery_filters(
    client: Any, small_workspace: SmallWorkspace, params: dict[str, str], expected: list[str]
) -> None:
    assert _titles(_gallery(client, small_workspace, **params)) == expected


def test_gallery_paging(client: Any, small_workspace: SmallWorkspace) -> None:
    pages = [_gallery(client, small_workspace, per_page=2, page=p) for p in (1, 2, 3, 4)]
    assert [_titles(p) for p in pages] == [
        ["a.png", "b.png"],
        ["clip.avi", "pair"],
        ["coco-only.jpg"],
        [],
    ]
    assert {p["pages"] for p in pages} == {3}


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        pytest.param({"branch": "nope"}, 404, "branch_not_found", id="branch"),
        pytest.param({"branch": "bad name!"}, 422, "invalid_branch_name", id="branch-name"),
        pytest.param({"data_type": "hologram"}, 422, "invalid", id="type"),
        pytest.param({"answer": "no-equals"}, 422, "invalid", id="answer"),
        pytest.param({"page": 0}, 422, "invalid", id="page"),
        pytest.param({"per_page": 1000}, 422, "invalid", id="per-page"),
        pytest.param({"page": "x"}, 422, "invalid", id="page-type"),
    ],
)
def test_gallery_bad_filters(
    client: Any, small_workspace: SmallWorkspace, params: dict[str, Any], status: int, code: str
) -> None:
    response = client.get(f"/api/projects/{small_workspace.project_hash}/data-units", params=params)
    assert response.status_code == status
    body = response.json()
    assert body["ok"] is False and body["status"] == status and body["code"] == code
    assert isinstance(body["error"], str) and body["error"]


def _detail(client: Any, ws: SmallWorkspace, title: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        f"/api/projects/{ws.project_hash}/data-units/{ws.units[title]}", params=params
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_class(layer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["class"]: o for o in layer["objects"]}


def test_detail_geometry_in_frame_pixels(client: Any, small_workspace: SmallWorkspace) -> None:
    body = _detail(client, small_workspace, "a.png")
    assert (body["width"], body["height"], body["frame"]) == (64, 48, 0)
    assert body["media"]["available"] is True
    main = _by_class(body["layers"][0])
    assert body["layers"][0]["branch"] == "main"
    # hand-computed: normalised coordinates times 64 x 48
    assert main["Cherry"]["geometry"] == {"type": "box", "x": 32.0, "y": 12.0, "w": 16.0, "h": 24.0}
    assert main["Cherry"]["attributes"] == [{"name": "Ripeness", "value": "Ripe"}]
    assert main["Other type of fruit"]["geometry"] == {
        "type": "rotated_box", "x": 0.0, "y": 0.0, "w": 16.0, "h": 12.0, "theta": 30.0,
    }  # fmt: skip
    [[outer, hole]] = main["Persimmon"]["geometry"]["polygons"]
    np.testing.assert_allclose(outer, [6.4, 24, 25.6, 24, 25.6, 43.2, 6.4, 43.2])
    np.testing.assert_allclose(hole, [12.8, 28.8, 19.2, 28.8, 19.2, 38.4, 12.8, 38.4])
    np.testing.assert_allclose(main["Branch"]["geometry"]["points"], [0, 48, 32, 24])
    assert main["Pedicel"]["geometry"] == {"type": "point", "points": [48.0, 6.0]}
    skeleton = main["Strawberry"]["geometry"]
    np.testing.assert_allclose(skeleton["points"], [16, 12, 32, 12, 32, 24])
    assert sorted(skeleton["edges"]) == [[0, 1], [1, 2], [2, 0]]
    assert skeleton["names"] == ["point_0", "point_1", "point_2"]
    mask = main["Blueberry"]["geometry"]
    assert {k: mask[k] for k in ("type", "x", "y", "w", "h")} == {
        "type": "bitmask",
        "x": 40,
        "y": 10,
        "w": 20,
        "h": 10,
    }
    png = Image.open(io.BytesIO(__import__("base64").b64decode(mask["mask"].split(",", 1)[1])))
    assert png.size == (20, 10) and np.asarray(png)[..., 3].min() == 255


def test_detail_prediction_layer_and_branch_choice(
    client: Any, small_workspace: SmallWorkspace
) -> None:
    body = _detail(client, small_workspace, "a.png", branches="model-a")
    [layer] = body["layers"]
    assert layer["branch"] == "model-a" and layer["kind"] == "prediction"
    assert sorted(o["confidence"] for o in layer["objects"]) == [0.3, 0.9]
    assert {o["geometry"]["type"] for o in layer["objects"]} == {"box"}
    assert body["branches"] == ["main", "model-a"]


def test_detail_video_frames(client: Any, small_workspace: SmallWorkspace) -> None:
    for frame in range(8):
        body = _detail(client, small_workspace, "clip.avi", frame=frame)
        main = body["layers"][0]["objects"]
        if frame < 4:
            [box] = main
            assert box["geometry"]["x"] == pytest.approx(6.4 * frame)
        else:
            assert main == []
    response = client.get(
        f"/api/projects/{small_workspace.project_hash}/data-units/{small_workspace.units['clip.avi']}",
        params={"frame": 8},
    )
    assert response.status_code == 422 and response.json()["code"] == "frame_out_of_range"


def test_detail_image_group_frames_have_their_sizes(
    client: Any, small_workspace: SmallWorkspace
) -> None:
    body = _detail(client, small_workspace, "pair", frame=1)
    assert (body["width"], body["height"]) == (32, 24)
    image = client.get(body["media"]["url"])
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).getpixel((3, 3)) == (0, 0, 0)


def test_detail_without_media_draws_on_a_neutral_frame(
    client: Any, small_workspace: SmallWorkspace
) -> None:
    body = _detail(client, small_workspace, "coco-only.jpg")
    assert body["media"] == {
        "available": False,
        "url": None,
        "notice": "no media file recorded for this data unit",
    }
    assert (body["width"], body["height"]) == (80, 60)
    assert body["layers"][0]["objects"][0]["geometry"] == {
        "type": "box",
        "x": 20.0,
        "y": 15.0,
        "w": 40.0,
        "h": 30.0,
    }
    base = f"/media/{small_workspace.project_hash}/{small_workspace.units['coco-only.jpg']}/0"
    missing = client.get(f"{base}/image")
    assert missing.status_code == 404 and missing.json()["code"] == "media_not_found"
    thumb = client.get(f"{base}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["x-media-available"] == "0"
    placeholder = Image.open(io.BytesIO(thumb.content))
    assert placeholder.size == (80, 60)  # the data unit's size (thumbnails never enlarge)


def test_detail_neighbours_follow_the_filter(client: Any, small_workspace: SmallWorkspace) -> None:
    plain = _detail(client, small_workspace, "b.png")
    assert (plain["previous"], plain["next"]) == (
        small_workspace.units["a.png"],
        small_workspace.units["clip.avi"],
    )
    filtered = _detail(client, small_workspace, "a.png", branch="model-a")
    assert (filtered["previous"], filtered["next"]) == (
        None,
        small_workspace.units["coco-only.jpg"],
    )
    assert filtered["filter"] == {"branch": "model-a"}


def test_thumbnails_are_made_once_and_cached(client: Any, small_workspace: SmallWorkspace) -> None:
    url = f"/media/{small_workspace.project_hash}/{small_workspace.units['a.png']}/0/thumbnail"
    first = client.get(url)
    assert first.status_code == 200 and first.headers["x-media-available"] == "1"
    image = Image.open(io.BytesIO(first.content))
    assert image.size == (64, 48)  # never enlarged
    r, g, b = image.getpixel((32, 24))
    assert r > 150 and g < 80 and b < 80  # a.png is red
    cached = list(
        (small_workspace.path / ".branchmark-cache" / "thumbnails").glob(
            f"{small_workspace.units['a.png']}-0.jpg"
        )
    )
    assert len(cached) == 1
    assert client.get(url).content == first.content


def test_video_frame_is_decoded(client: Any, small_workspace: SmallWorkspace) -> None:
    url = f"/media/{small_workspace.project_hash}/{small_workspace.units['clip.avi']}/5/image"
    response = client.get(url)
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    grey = np.asarray(Image.open(io.BytesIO(response.content)).convert("L"), dtype=float)
    assert abs(grey.mean() - 100) < 6  # frame 5 was written with value 20 * 5


@pytest.mark.parametrize(
    ("suffix", "status", "code"),
    [
        pytest.param("nope/0/image", 404, "data_unit_not_found", id="unit"),
        pytest.param("{a}/1/image", 422, "frame_out_of_range", id="frame"),
        pytest.param("{a}/-1/image", 422, "invalid", id="negative"),
    ],
)
def test_media_errors(
    client: Any, small_workspace: SmallWorkspace, suffix: str, status: int, code: str
) -> None:
    url = f"/media/{small_workspace.project_hash}/" + suffix.format(
        a=small_workspace.units["a.png"]
    )
    response = client.get(url)
    assert response.status_code == status
    assert response.json()["code"] == code


def test_answer_filter_keeps_units_apart_when_object_hashes_repeat(
    fresh_workspace: SmallWorkspace,
) -> None:
    """Object hashes are unique only within a label row (imports may number them per file):
    the same hash on two data units with different answers must not be merged."""
    from fastapi.testclient import TestClient

    from branchmark.client import UserClient
    from branchmark.objects import Object, ObjectInstance
    from branchmark.objects.coordinates import BoundingBoxCoordinates
    from branchmark.server import create_app

    with UserClient.open(fresh_workspace.path) as user:
        project = user.get_project(fresh_workspace.project_hash)
        cherry = project.ontology_structure.get_child_by_title(title="Cherry", type_=Object)
        rows = {r.data_title: r for r in project.list_label_rows_v2(branch_name="twins")}
        for title, option in (("a.png", 0), ("b.png", 1)):  # Ripe on a.png, Unripe on b.png
            row = rows[title]
            row.initialise_labels()
            instance = ObjectInstance(cherry, object_hash="twin0001")  # same hash on both rows
            instance.set_for_frames(
                BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0.25, top_left_y=0.25),
                frames=0, confidence=0.5, manual_annotation=False,
            )  # fmt: skip
            instance.set_answer(cherry.attributes[0].options[option])
            row.add_object_instance(instance)
            row.save()
    with TestClient(create_app(fresh_workspace.path)) as client:
        for answer, expected in (("Ripeness=Ripe", ["a.png"]), ("Ripeness=Unripe", ["b.png"])):
            body = _gallery(client, fresh_workspace, branch="twins", answer=answer)
            assert _titles(body) == expected
