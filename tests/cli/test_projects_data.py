"""``branchmark projects`` and ``branchmark data`` through CliRunner, output parsed."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from typer.testing import CliRunner

from branchmark.cli.main import app
from branchmark.client import UserClient
from tests.conftest import ENCORD_FIXTURES

ONTOLOGY = str(ENCORD_FIXTURES / "ontology.json")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_create_then_list_in_every_format(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    code, out, _ = _run("projects", "create", "Fruit QA", "--ontology", ONTOLOGY, "-w", ws)
    assert code == 0 and "Fruit QA" in out
    _run("projects", "create", "Apples", "--ontology", ONTOLOGY, "--workspace", ws)
    code, out, _ = _run("projects", "list", "-w", ws, "--json")
    listed = json.loads(out)
    assert [p["title"] for p in listed] == ["Apples", "Fruit QA"]
    assert listed[0]["data_units"] == 0 and listed[0]["branches"] == 1
    with UserClient.open(ws) as client:
        assert {p.project_hash for p in client.list_projects()} == {
            p["project_hash"] for p in listed
        }
    code, out, _ = _run("projects", "list", "-w", ws, "--csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["title"] for r in rows] == ["Apples", "Fruit QA"]
    code, out, _ = _run("projects", "list", "-w", ws)
    assert code == 0 and "Fruit QA" in out and "Apples" in out


def test_workspace_from_environment(tmp_path: Path, monkeypatch: object) -> None:
    ws = tmp_path / "env-ws"
    monkeypatch.setenv("BRANCHMARK_WORKSPACE", str(ws))  # type: ignore[attr-defined]
    assert _run("projects", "create", "P", "--ontology", ONTOLOGY)[0] == 0
    assert (ws / "branchmark.db").is_file()


def test_errors_are_one_line_on_stderr(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _run("projects", "create", "P", "--ontology", ONTOLOGY, "-w", ws)
    code, out, err = _run("projects", "create", "P", "--ontology", ONTOLOGY, "-w", ws)
    assert code == 1 and err == "error: a project titled 'P' already exists\n"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, _, err = _run("projects", "create", "Q", "--ontology", str(bad), "-w", ws)
    assert code == 1 and err.startswith(f"error: {bad}: not valid JSON") and err.count("\n") == 1
    code, _, err = _run("data", "add", str(bad), "--project", "P", "-w", ws)
    assert code == 1 and "unsupported media extension '.json'" in err
    img = tmp_path / "a.png"
    Image.new("RGB", (5, 4)).save(img)
    code, _, err = _run("data", "add", str(img), "--project", "nope", "-w", ws)
    assert (code, err) == (1, "error: no project with hash or title 'nope'\n")


def test_data_add_images_and_video(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    _run("projects", "create", "P", "--ontology", ONTOLOGY, "-w", ws)
    img = tmp_path / "cherry.png"
    Image.new("RGB", (64, 48)).save(img)
    jpg = tmp_path / "b.JPG"
    Image.new("RGB", (10, 20)).save(jpg, format="JPEG")
    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 12.0, (32, 24))
    for i in range(9):
        writer.write(np.full((24, 32, 3), i * 20, np.uint8))
    writer.release()
    with UserClient.open(ws) as client:
        project_hash = client.get_project("P").project_hash
    code, out, err = _run(
        "data", "add", str(img), str(jpg), str(video), "--project", project_hash, "-w", ws
    )
    assert code == 0, err
    assert "added 2 image(s) and 1 video(s)" in out
    with UserClient.open(ws) as client:
        units = {u.title: u for u in client.get_project("P").list_data_units()}
    assert (
        units["cherry.png"].width,
        units["cherry.png"].height,
        units["cherry.png"].data_type,
    ) == (64, 48, "image")
    assert (units["b.JPG"].width, units["b.JPG"].height) == (10, 20)
    clip = units["clip.avi"]
    assert (clip.data_type, clip.width, clip.height, clip.frames, clip.fps) == (
        "video",
        32,
        24,
        9,
        12.0,
    )
    assert (Path(ws) / "media" / clip.media_path).read_bytes() == video.read_bytes()
