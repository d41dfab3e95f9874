"""The demo glue stores exactly what the renderer drew and the detectors said."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from branchmark import UserClient
from branchmark.cli.main import app
from branchmark.demo.workspace import DemoWorkspace, build_demo_workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoWorkspace:
    root = tmp_path_factory.mktemp("demo")
    return build_demo_workspace(root, seed=5, image_count=3, video_frames=4)


def _value(answer: object) -> str | None:
    return None if answer is None else answer.value  # type: ignore[attr-defined]


def _rows(workspace: Path, branch: str) -> dict[str, object]:
    client = UserClient.open(workspace)
    project = client.get_project("Fruit demo")
    rows = project.list_label_rows_v2(branch_name=branch)
    with project.create_bundle() as bundle:
        for row in rows:
            row.initialise_labels(bundle=bundle)
    return {row.data_title: row for row in rows}


def test_branches_and_metadata(demo: DemoWorkspace) -> None:
    with UserClient.open(demo.workspace) as client:
        project = client.get_project(demo.project_hash)
        assert project.list_branches() == ["main", "colour-contour", "hough-circle"]
        meta = project.get_branch_metadata("hough-circle")
        assert meta["model"] == "hough-circle"
        assert len(project.list_data_units()) == 4


def test_ground_truth_matches_the_rendered_truth(demo: DemoWorkspace) -> None:
    rows = _rows(demo.workspace, "main")
    for unit in demo.dataset.data_units:
        row = rows[unit.title]
        instances = row.get_object_instances()
        # one box and one polygon instance per fruit (per track in the video)
        fruit_ids = {fruit.object_id for frame in unit.truth for fruit in frame.objects}
        assert len(instances) == 2 * len(fruit_ids)
        frames_with_boxes = sorted(
            a.frame
            for inst in instances
            if inst.ontology_item.shape.value == "bounding_box"
            for a in inst.get_annotations()
        )
        expected = sorted(frame.frame for frame in unit.truth for _ in frame.objects)
        assert frames_with_boxes == expected
        for inst in instances:
            for annotation in inst.get_annotations():
                assert annotation.manual_annotation is True
        boxes = sorted(
            round(a.coordinates.top_left_x * unit.width, 6)
            for inst in instances
            if inst.ontology_item.shape.value == "bounding_box"
            for a in inst.get_annotations()
        )
        assert boxes == sorted(
            round(fruit.box[0], 6) for frame in unit.truth for fruit in frame.objects
        )


@pytest.mark.parametrize("branch", ["colour-contour", "hough-circle"])
def test_predictions_keep_detector_confidence_and_answers(demo: DemoWorkspace, branch: str) -> None:
    rows = _rows(demo.workspace, branch)
    for unit in demo.dataset.data_units:
        row = rows[unit.title]
        detections = [d for f in unit.predictions_of(branch) for d in f.detections]
        stored = [
            (a.confidence, _value(inst.get_answer(inst.ontology_item.attributes[0])))
            for inst in row.get_object_instances()
            if inst.ontology_item.shape.value == "bounding_box"
            for a in inst.get_annotations()
        ]
        assert sorted(stored, key=repr) == sorted(
            ((d.confidence, d.ripeness) for d in detections), key=repr
        )
        for inst in row.get_object_instances():
            assert all(a.manual_annotation is False for a in inst.get_annotations())
        lighting = row.get_classification_instances()
        frames = sorted(a.frame for c in lighting for a in c.get_annotations())
        assert frames == list(range(unit.frame_count))


def test_demo_command_reuses_and_refuses_to_delete_foreign_folders(tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["demo", "--workspace", str(tmp_path / "ws"), "--images", "1", "--video-frames", "0",
            "--no-serve"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "built Fruit demo" in first.output
    assert "analyses against main" in first.output
    assert first.output.count("strict") >= 2 and first.output.count("partial") >= 2
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert "using the demo project already" in again.output
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    refused = runner.invoke(
        app, ["demo", "--workspace", str(foreign), "--rebuild", "--no-serve"]
    )
    assert refused.exit_code == 1
    assert "not a branchmark workspace" in refused.output
    assert (foreign / "notes.txt").read_text() == "mine"
