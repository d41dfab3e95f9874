"""Every code example of the seed guide, run as a script against a fresh workspace.

Each script under ``scripts/`` is the guide's example after the substitutions of ENCORD_COMPAT
"How branchmark names map", with placeholders filled (and only the seed defects of ENCORD_COMPAT
s.8 fixed, each marked in its script).  They run in order, each in its own process; a NEW process
then reads the workspace back and every instance, frame, coordinate, confidence, answer and
branch is checked against the values written in the scripts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import branchmark as bm
from tests.conftest import ENCORD_FIXTURES, postgres_url, requires_postgres

SCRIPTS = Path(__file__).parent / "scripts"
EXAMPLES = sorted(p.name for p in SCRIPTS.glob("ex*.py"))
BRANCH = "yolo-v8.run_01"
UNITS = [  # title, data type, width, height, frames, fps
    ("cherry_001.png", "image", 64, 48, 1, None),
    ("apple_001.png", "image", 120, 80, 1, None),
    ("persimmon_001.jpg", "image", 200, 100, 1, None),
    ("blueberry_003.jpg", "image", 1254, 836, 1, None),
    ("strawberries_10.jpg", "image", 640, 480, 1, None),
    ("Cherries_video.mp4", "video", 320, 240, 300, 25.0),
    ("Blueberries_video.mp4", "video", 1920, 1080, 250, 25.0),
]


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[requires_postgres, pytest.mark.postgres]),
    ],
)
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """Run every example in order on a fresh workspace; yield the workspace read back."""
    if request.param == "sqlite":
        workspace = str(tmp_path_factory.mktemp("seed") / "ws")
        cleanup = None
    else:
        import uuid

        import sqlalchemy as sa

        from tests.store.conftest import postgres_schema_url

        base = postgres_url()
        assert base is not None
        schema = f"bm_seed_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(base)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        workspace = postgres_schema_url(base, schema)

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
            admin.dispose()

    with bm.UserClient.open(workspace) as client:
        project = client.create_project(
            "Fruit", json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
        )
        for title, kind, width, height, frames, fps in UNITS:
            project.add_data_unit(title, kind, width, height, frames=frames, fps=fps)
    env = {
        **os.environ,
        "BRANCHMARK_WORKSPACE": workspace,
        "SEED_PROJECT_HASH": project.project_hash,
    }
    outputs = {}
    for name in EXAMPLES:
        done = subprocess.run(
            [sys.executable, str(SCRIPTS / name)],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{name} failed:\n{done.stderr}"
        outputs[name] = done.stdout
    dump = subprocess.run(
        [sys.executable, str(SCRIPTS / "dump_workspace.py"), workspace, project.project_hash],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert dump.returncode == 0, dump.stderr
    rows = json.loads(dump.stdout)
    try:
        yield {"rows": rows, "outputs": outputs, "project_hash": project.project_hash}
    finally:
        if cleanup is not None:
            cleanup()


def _row(seeded: dict[str, Any], title: str, branch: str = BRANCH) -> dict[str, Any]:
    [row] = [r for r in seeded["rows"] if r["title"] == title and r["branch"] == branch]
    return row


def _frame_objects(row: dict[str, Any], frame: int) -> list[dict[str, Any]]:
    units = list(row["dict"]["data_units"].values())
    labels = units[0]["labels"]
    return (
        labels["objects"]
        if "objects" in labels
        else labels.get(str(frame), {"objects": []})["objects"]
    )


def test_every_example_ran(seeded: dict[str, Any]) -> None:
    assert len(EXAMPLES) == 11
    assert (
        "Data units found: ['cherry_001.png', 'Cherries_video.mp4']"
        in seeded["outputs"]["ex01_bounding_box.py"]
    )
    assert "Branch is: boilerplate.v1" in seeded["outputs"]["ex10_boilerplate.py"]


def test_bounding_boxes(seeded: dict[str, Any]) -> None:
    for title in ("cherry_001.png", "Cherries_video.mp4"):
        row = _row(seeded, title)
        boxes = [o for o in row["objects"] if o["name"] == "Cherry"]
        assert [b["frames"] for b in boxes] == [[{"frame": 0, "confidence": 1.0, "manual": False}]]
        [entry] = [o for o in _frame_objects(row, 0) if o["shape"] == "bounding_box"]
        assert entry["boundingBox"] == {"h": 0.1, "w": 0.1, "x": 0.5, "y": 0.5}
        assert entry["manualAnnotation"] is False and entry["confidence"] == 1


def test_rotatable_boxes_on_three_frames(seeded: dict[str, Any]) -> None:
    row = _row(seeded, "Cherries_video.mp4")
    rbbs = [o for o in row["objects"] if o["name"] == "Other type of fruit"]
    assert sorted(f["frame"] for o in rbbs for f in o["frames"]) == [0, 5, 10]
    assert all(f["confidence"] == 1.0 and f["manual"] is False for o in rbbs for f in o["frames"])
    expected = {
        0: (0.3, 0.2, 0.1, 0.1, 15),
        5: (0.25, 0.25, 0.15, 0.15, 30),
        10: (0.2, 0.3, 0.2, 0.2, 45),
    }
    for frame, (h, w, x, y, theta) in expected.items():
        [entry] = [o for o in _frame_objects(row, frame) if o["shape"] == "rotatable_bounding_box"]
        assert entry["rotatableBoundingBox"] == {"h": h, "w": w, "x": x, "y": y, "theta": theta}


def test_polygon_and_polyline(seeded: dict[str, Any]) -> None:
    row = _row(seeded, "persimmon_001.jpg")
    by_shape = {o["shape"]: o for o in _frame_objects(row, 0)}
    assert by_shape["polygon"]["polygons"] == [[[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]]]
    assert by_shape["polygon"]["manualAnnotation"] is False
    line = by_shape["polyline"]["polyline"]
    assert [(line[k]["x"], line[k]["y"]) for k in sorted(line, key=int)] == [
        (0.1, 0.9),
        (0.1, 0.9),
        (0.2, 0.85),
        (0.13, 0.456),
    ]
    assert by_shape["polyline"]["manualAnnotation"] is True  # as the seed writes it
    assert sorted(o["name"] for o in row["objects"]) == ["Branch", "Persimmon"]


def test_keypoint_and_checklist_on_the_video(seeded: dict[str, Any]) -> None:
    row = _row(seeded, "Blueberries_video.mp4")
    [point] = row["objects"]
    assert (point["name"], point["frames"]) == (
        "Pedicel",
        [{"frame": 3, "confidence": 1.0, "manual": True}],
    )
    [entry] = _frame_objects(row, 3)
    assert entry["point"] == {"0": {"x": 0.42, "y": 0.37}}
    [checklist] = row["classifications"]
    assert (checklist["name"], checklist["frames"], checklist["answer"]) == (
        "Many types of fruit?",
        [177],
        ["Apple", "Kiwi"],
    )
    [stored] = row["dict"]["classification_answers"].values()
    assert stored["range"] == [[177, 177]]


def test_bitmask_and_radio(seeded: dict[str, Any]) -> None:
    row = _row(seeded, "blueberry_003.jpg")
    [mask] = row["objects"]
    assert mask["frames"] == [
        {
            "frame": 0,
            "confidence": 1.0,
            "manual": True,
            "mask_shape": [836, 1254],
            "mask_sum": 836 * 1254,
        }
    ]
    [radio] = row["classifications"]
    assert (radio["name"], radio["frames"], radio["answer"]) == (
        "Blueberry or Cherry?",
        [0],
        "Blueberry",
    )


def test_skeleton(seeded: dict[str, Any]) -> None:
    row = _row(seeded, "strawberries_10.jpg")
    [entry] = _frame_objects(row, 0)
    points = entry["skeleton"]
    assert [
        (points[k]["name"], points[k]["x"], points[k]["y"]) for k in sorted(points, key=int)
    ] == [("point_0", 0.2, 0.6), ("point_1", 0.3, 0.65), ("point_2", 0.4, 0.7)]
    ontology = json.loads((ENCORD_FIXTURES / "ontology.json").read_text())
    [template] = [
        t["template"] for t in ontology["skeleton_templates"] if t["template"]["name"] == "Triangle"
    ]
    assert [points[k]["featureHash"] for k in sorted(points, key=int)] == [
        template["skeleton"][k]["featureHash"] for k in sorted(template["skeleton"], key=int)
    ]


def test_boilerplate_branch_has_one_box_per_data_unit(seeded: dict[str, Any]) -> None:
    rows = [r for r in seeded["rows"] if r["branch"] == "boilerplate.v1"]
    assert sorted(r["title"] for r in rows) == sorted(u[0] for u in UNITS)
    for row in rows:
        [obj] = row["objects"]
        assert obj["frames"] == [{"frame": 0, "confidence": 1.0, "manual": False}]
        [entry] = _frame_objects(row, 0)
        assert entry["boundingBox"] == {"h": 0.8, "w": 0.8, "x": 0.1, "y": 0.1}


def test_branches_and_verify_listing(seeded: dict[str, Any]) -> None:
    touched = {
        "cherry_001.png",
        "Cherries_video.mp4",
        "persimmon_001.jpg",
        "Blueberries_video.mp4",
        "blueberry_003.jpg",
        "strawberries_10.jpg",
    }
    on_branch = {r["title"] for r in seeded["rows"] if r["branch"] == BRANCH}
    assert on_branch == touched  # apple_001.png was never initialised on the prediction branch
    listing = re.findall(r"^Title: (.+), branch: (.+)$", seeded["outputs"]["ex11_verify.py"], re.M)
    expected = (
        {(u[0], "main") for u in UNITS}
        | {(u[0], "boilerplate.v1") for u in UNITS}
        | {(t, BRANCH) for t in touched}
    )
    assert sorted(listing) == sorted(expected)
    frames = re.findall(r"^Frame (\d+) -> ", seeded["outputs"]["ex11_verify.py"], re.M)
    # 2 boxes + 3 rotated + polygon + polyline + point + bitmask + skeleton, + 7 boilerplate boxes
    assert len(frames) == 10 + 7
    names = re.findall(r"^Classification name: (.+)$", seeded["outputs"]["ex11_verify.py"], re.M)
    hashes = re.findall(
        r"^Classification answer hash: (.+)$", seeded["outputs"]["ex11_verify.py"], re.M
    )
    # radio: the option's value and hash; checklist: a list has neither (s.8 item 6 guard)
    assert sorted(zip(names, hashes, strict=True)) == [
        ("Blueberry or Cherry?", "Mni/URlu"),
        ("Many types of fruit?", "None"),
    ]
    assert "Classification answer: blueberry" in seeded["outputs"]["ex11_verify.py"]
    # the verify listing initialised main rows (as the SDK does), and they hold nothing
    assert all(
        not r["objects"] and not r["classifications"]
        for r in seeded["rows"]
        if r["branch"] == "main"
    )
