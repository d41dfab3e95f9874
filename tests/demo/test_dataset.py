"""The built demo folder: deterministic, readable media, consistent tracks, clear refusals."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from branchmark.demo.dataset import build_demo_dataset
from branchmark.demo.records import DemoDataset

SMALL = {"image_count": 3, "video_frames": 8, "width": 192, "height": 144}


def test_same_seed_same_dataset_and_bytes(tmp_path: Path) -> None:
    a = build_demo_dataset(tmp_path / "a", seed=3, **SMALL)
    b = build_demo_dataset(tmp_path / "b", seed=3, **SMALL)
    c = build_demo_dataset(tmp_path / "c", seed=4, **SMALL)
    assert a.data_units == b.data_units and a.ontology == b.ontology
    for unit in a.data_units:
        assert (a.root / unit.path).read_bytes() == (b.root / unit.path).read_bytes()
    assert a.data_units != c.data_units


def test_more_images_leave_the_first_ones_unchanged(tmp_path: Path) -> None:
    few = build_demo_dataset(tmp_path / "few", image_count=2, video_frames=0, width=160, height=120)
    more = build_demo_dataset(
        tmp_path / "more", image_count=4, video_frames=0, width=160, height=120
    )
    assert more.data_units[:2] == few.data_units


def test_images_are_the_pictures_the_truth_describes(tmp_path: Path) -> None:
    demo = build_demo_dataset(tmp_path, seed=1, **SMALL)
    images = [u for u in demo.data_units if u.data_type == "image"]
    assert [u.title for u in images] == ["fruit-000.png", "fruit-001.png", "fruit-002.png"]
    for unit in images:
        pixels = cv2.imread(str(demo.root / unit.path))
        assert pixels.shape == (unit.height, unit.width, 3) and unit.frame_count == 1
        assert unit.fps is None


@pytest.mark.slow
def test_video_opens_with_the_right_frames_and_size(default_demo: DemoDataset) -> None:
    (video,) = [u for u in default_demo.data_units if u.data_type == "video"]
    assert video.path.suffix in {".mp4", ".avi"} and video.fps == 12.0
    capture = cv2.VideoCapture(str(default_demo.root / video.path))
    assert capture.isOpened()
    assert int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)) == video.width == 640
    assert int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == video.height == 480
    decoded = 0
    while capture.read()[0]:
        decoded += 1
    capture.release()
    assert decoded == video.frame_count == 36 == len(video.predictions_of("hough-circle"))


@pytest.mark.slow
def test_video_tracks_keep_identity_and_move_smoothly(default_demo: DemoDataset) -> None:
    (video,) = [u for u in default_demo.data_units if u.data_type == "video"]
    facts: dict[int, tuple[str, str]] = {}
    previous: dict[int, tuple[float, ...]] = {}
    for truth in video.truth:
        current = {}
        for gt in truth.objects:
            assert facts.setdefault(gt.object_id, (gt.class_name, gt.ripeness)) == (
                gt.class_name,
                gt.ripeness,
            )
            current[gt.object_id] = gt.box
            before = previous.get(gt.object_id)
            if before is not None and gt.visible_fraction > 0.95:
                # Centres of unoccluded fruit move a few pixels per frame, never jump.
                shift = np.hypot(
                    (gt.box[0] + gt.box[2] - before[0] - before[2]) / 2,
                    (gt.box[1] + gt.box[3] - before[1] - before[3]) / 2,
                )
                assert shift < 12.0
        previous = current
    assert len(facts) >= 5
    assert {t.lighting for t in video.truth} == {"bright", "dim"}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param({"image_count": -1}, "must be >= 0", id="negative-count"),
        pytest.param({"image_count": 0, "video_frames": 0}, "nothing to build", id="empty"),
        pytest.param({"width": 32}, "at least 64 x 48", id="tiny"),
        pytest.param({"fps": 0.0}, "fps must be positive", id="fps"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(
    tmp_path: Path, options: dict[str, float], message: str
) -> None:
    root = tmp_path / "demo"
    with pytest.raises(ValueError, match=message):
        build_demo_dataset(root, **options)  # type: ignore[arg-type]
    assert not root.exists()


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.write_text("not a folder")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        build_demo_dataset(target, image_count=1, video_frames=0)
    assert target.read_text() == "not a folder"


def test_unknown_detector_names_the_known_ones(tmp_path: Path) -> None:
    demo = build_demo_dataset(tmp_path, image_count=1, video_frames=0, width=128, height=96)
    with pytest.raises(KeyError, match="colour-contour"):
        demo.data_units[0].predictions_of("yolo")
