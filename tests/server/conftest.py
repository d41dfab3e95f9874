"""A small workspace built through the SDK, and TestClients over it.

Project ``Fruit <b>&</b>`` (a title that must be escaped) with the real-SDK fixture ontology:

- ``a.png`` 64x48 (red): main holds one object of every shape; ``model-a`` one box (0.9)
  matching main's box and one stray box (0.3);
- ``b.png`` 64x48 (blue): main one box answered Unripe; ``model-a`` nothing;
- ``clip.avi`` 8 frames 64x48: main one box on frames 0-3;
- ``pair`` an image group of two 32x24 images;
- ``coco-only.jpg`` 80x60 without any media file: main one box (as a COCO import without
  images would leave it).
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image
from starlette.exceptions import StarletteDeprecationWarning

from branchmark.client import UserClient
from branchmark.objects import Object
from branchmark.objects.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RotatableBoundingBoxCoordinates,
    SkeletonCoordinate,
    SkeletonCoordinates,
)
from tests.conftest import ENCORD_FIXTURES

with warnings.catch_warnings():
    # Starlette deprecates driving its TestClient through httpx in favour of httpx2; the
    # client still works the same, and the warning is raised once, at import time.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

PROJECT_TITLE = "Fruit <b>&</b>"


@dataclasses.dataclass(frozen=True)
class SmallWorkspace:
    path: Path
    project_hash: str
    units: dict[str, str]
    """title -> data hash"""


def _png(path: Path, size: tuple[int, int], colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def _video(path: Path, frames: int, size: tuple[int, int]) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 4.0, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), 20 * i, dtype=np.uint8))
    writer.release()
    return path


def _obj(project: Any, name: str) -> Object:
    found: Object = project.ontology_structure.get_child_by_title(title=name, type_=Object)
    return found


def _fill_main(project: Any, units: dict[str, str]) -> None:
    rows = {r.data_title: r for r in project.list_label_rows_v2(branch_name="main")}
    for row in rows.values():
        row.initialise_labels()
    a = rows["a.png"]
    cherry = _obj(project, "Cherry")
    box = cherry.create_instance()
    box.set_for_frames(
        BoundingBoxCoordinates(height=0.5, width=0.25, top_left_x=0.5, top_left_y=0.25), frames=0
    )
    box.set_answer(cherry.attributes[0].options[0])  # Ripe
    a.add_object_instance(box)
    rotated = _obj(project, "Other type of fruit").create_instance()
    rotated.set_for_frames(
        RotatableBoundingBoxCoordinates(
            height=0.25, width=0.25, top_left_x=0.0, top_left_y=0.0, theta=30.0
        ),
        frames=0,
    )
    a.add_object_instance(rotated)
    polygon = _obj(project, "Persimmon").create_instance()
    outer = [
        PointCoordinate(0.1, 0.5),
        PointCoordinate(0.4, 0.5),
        PointCoordinate(0.4, 0.9),
        PointCoordinate(0.1, 0.9),
    ]
    hole = [
        PointCoordinate(0.2, 0.6),
        PointCoordinate(0.3, 0.6),
        PointCoordinate(0.3, 0.8),
        PointCoordinate(0.2, 0.8),
    ]
    polygon.set_for_frames(PolygonCoordinates(polygons=[[outer, hole]]), frames=0)
    a.add_object_instance(polygon)
    line = _obj(project, "Branch").create_instance()
    line.set_for_frames(
        PolylineCoordinates([PointCoordinate(0.0, 1.0), PointCoordinate(0.5, 0.5)]), frames=0
    )
    a.add_object_instance(line)
    point = _obj(project, "Pedicel").create_instance()
    point.set_for_frames(PointCoordinate(0.75, 0.125), frames=0)
    a.add_object_instance(point)
    mask = np.zeros((48, 64), dtype=bool)
    mask[10:20, 40:60] = True
    blueberry = _obj(project, "Blueberry").create_instance()
    blueberry.set_for_frames(BitmaskCoordinates(mask), frames=0)
    a.add_object_instance(blueberry)
    template = project.ontology_structure.skeleton_templates["Triangle"]
    hashes = [c.feature_hash for c in template.skeleton.values()]
    skeleton = _obj(project, "Strawberry").create_instance()
    skeleton.set_for_frames(
        SkeletonCoordinates(
            values=[
                SkeletonCoordinate(x=0.25, y=0.25, name="point_0", feature_hash=hashes[0]),
                SkeletonCoordinate(x=0.5, y=0.25, name="point_1", feature_hash=hashes[1]),
                SkeletonCoordinate(x=0.5, y=0.5, name="point_2", feature_hash=hashes[2]),
            ],
            name="Triangle",
        ),
        frames=0,
    )
    a.add_object_instance(skeleton)
    b = rows["b.png"]
    unripe = cherry.create_instance()
    unripe.set_for_frames(
        BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0.25, top_left_y=0.25), frames=0
    )
    unripe.set_answer(cherry.attributes[0].options[1])  # Unripe
    b.add_object_instance(unripe)
    clip = rows["clip.avi"]
    moving = cherry.create_instance()
    for f in range(4):
        moving.set_for_frames(
            BoundingBoxCoordinates(height=0.25, width=0.25, top_left_x=0.1 * f, top_left_y=0.5),
            frames=f,
        )
    clip.add_object_instance(moving)
    coco = rows["coco-only.jpg"]
    lone = cherry.create_instance()
    lone.set_for_frames(
        BoundingBoxCoordinates(height=0.5, width=0.5, top_left_x=0.25, top_left_y=0.25), frames=0
    )
    coco.add_object_instance(lone)
    for row in rows.values():
        row.save()


def _fill_prediction(project: Any) -> None:
    rows = {r.data_title: r for r in project.list_label_rows_v2(branch_name="model-a")}
    cherry = _obj(project, "Cherry")
    for title, boxes in (
        ("a.png", [((0.5, 0.25, 0.25, 0.5), 0.9), ((0.0, 0.75, 0.25, 0.25), 0.3)]),
        ("coco-only.jpg", [((0.25, 0.25, 0.5, 0.5), 0.8)]),
    ):
        row = rows[title]
        row.initialise_labels()
        for (x, y, w, h), confidence in boxes:
            instance = cherry.create_instance()
            instance.set_for_frames(
                BoundingBoxCoordinates(height=h, width=w, top_left_x=x, top_left_y=y),
                frames=0, confidence=confidence, manual_annotation=False,
            )  # fmt: skip
            instance.set_answer(cherry.attributes[0].options[0])
            row.add_object_instance(instance)
        row.save()
    project.set_branch_metadata("model-a", {"model": "tiny <i>net</i>", "version": "1"})


def build_small_workspace(root: Path) -> SmallWorkspace:
    """Build the workspace described in this module's docstring under ``root``."""
    sources = root / "sources"
    sources.mkdir(parents=True)
    ontology = json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
    with UserClient.open(root / "ws") as client:
        project = client.create_project(PROJECT_TITLE, ontology)
        units = {
            "a.png": project.add_image(_png(sources / "a.png", (64, 48), (200, 30, 30))),
            "b.png": project.add_image(_png(sources / "b.png", (64, 48), (30, 30, 200))),
            "clip.avi": project.add_video(_video(sources / "clip.avi", 8, (64, 48))),
            "pair": project.add_image_group(
                [
                    _png(sources / "p0.png", (32, 24), (0, 128, 0)),
                    _png(sources / "p1.png", (32, 24), (0, 0, 0)),
                ],
                title="pair",
            ),
            "coco-only.jpg": project.add_data_unit("coco-only.jpg", "image", 80, 60),
        }
        _fill_main(project, units)
        _fill_prediction(project)
        return SmallWorkspace(root / "ws", project.project_hash, units)


@pytest.fixture(scope="session")
def small_workspace(tmp_path_factory: pytest.TempPathFactory) -> SmallWorkspace:
    return build_small_workspace(tmp_path_factory.mktemp("server-ws"))


@pytest.fixture
def fresh_workspace(tmp_path: Path) -> SmallWorkspace:
    """A workspace of its own, for tests that change it."""
    return build_small_workspace(tmp_path)


@pytest.fixture
def client(small_workspace: SmallWorkspace) -> Iterator[TestClient]:
    from branchmark.server import create_app

    with TestClient(create_app(small_workspace.path)) as test_client:
        yield test_client
