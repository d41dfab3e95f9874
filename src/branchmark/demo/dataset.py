"""Build the demo dataset in a folder: rendered images and video, truth, two detectors' output.

``build_demo_dataset`` is what ``branchmark demo`` calls before it fills a workspace.  It writes
``images/fruit-NNN.png`` and ``video/fruit-video.mp4`` (``.avi`` when this OpenCV cannot write
mp4v) under the folder and returns a :class:`~branchmark.demo.records.DemoDataset`: the Encord
ontology JSON, every data unit's ground truth per frame, and each detector's predictions.

The detectors see exactly what a user would open: the still images as rendered (PNG is
lossless) and the video frames as decoded from the written file, compression included.

Every image and the video draw from their own child of ``numpy.random.SeedSequence(seed)``,
so a seed gives the same dataset everywhere, and asking for more images leaves the first ones
unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from branchmark.demo.detectors import (
    COLOUR_CONTOUR,
    HOUGH_CIRCLE,
    detect_colour_contours,
    detect_hough_circles,
)
from branchmark.demo.ontology import build_demo_ontology
from branchmark.demo.records import DemoDataset, DemoDataUnit, DetectorRun, FrameDetections
from branchmark.demo.scene import render_scene
from branchmark.demo.tracking import link_tracks
from branchmark.demo.video import read_video, render_video, write_video

Detector = Callable[..., FrameDetections]

DETECTORS: tuple[tuple[str, Detector], ...] = (
    (COLOUR_CONTOUR.name, detect_colour_contours),
    (HOUGH_CIRCLE.name, detect_hough_circles),
)

VIDEO_TITLE = "fruit-video"


def build_demo_dataset(
    root: Path | str,
    *,
    seed: int = 0,
    image_count: int = 24,
    video_frames: int = 36,
    fps: float = 12.0,
    width: int = 640,
    height: int = 480,
) -> DemoDataset:
    """Render, write and detect the whole demo dataset under ``root``.

    Parameters
    ----------
    root
        Folder to write into (created if missing); existing demo files are overwritten.
    seed
        Seed of everything random; the same seed gives the same images, video and outputs.
    image_count
        Number of still images (0 or more).
    video_frames
        Number of video frames; 0 leaves the video out.
    fps
        Frame rate written into the video.
    width, height
        Frame size in pixels of images and video (at least 64 x 48).

    Returns
    -------
    DemoDataset
        The images first (titles ``fruit-000.png``, ...), then the video.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     demo = build_demo_dataset(tmp, image_count=1, video_frames=2, width=128, height=96)
    >>> [u.data_type for u in demo.data_units], [d.name for d in demo.detectors]
    (['image', 'video'], ['colour-contour', 'hough-circle'])
    """
    root = Path(root)
    _check_options(
        root,
        image_count=image_count,
        video_frames=video_frames,
        fps=fps,
        width=width,
        height=height,
    )
    image_seeds, video_seed = _split_seed(seed, image_count)
    (root / "images").mkdir(parents=True, exist_ok=True)
    units = []
    for index, image_seed in enumerate(image_seeds):
        rendered = render_scene(np.random.default_rng(image_seed), width=width, height=height)
        relative = Path("images") / f"fruit-{index:03d}.png"
        if not cv2.imwrite(str(root / relative), rendered.image[..., ::-1]):
            raise OSError(f"{root / relative}: could not write the image")
        units.append(
            DemoDataUnit(
                title=relative.name,
                path=relative,
                data_type="image",
                width=width,
                height=height,
                fps=None,
                truth=(rendered.truth,),
                predictions=_detect([rendered.image], tracked=False),
            )
        )
    if video_frames:
        (root / "video").mkdir(parents=True, exist_ok=True)
        frames = render_video(
            np.random.default_rng(video_seed), frame_count=video_frames, width=width, height=height
        )
        written = write_video([f.image for f in frames], root / "video" / VIDEO_TITLE, fps=fps)
        decoded = read_video(written)
        if len(decoded) != len(frames):
            raise RuntimeError(f"{written}: wrote {len(frames)} frames but decoded {len(decoded)}")
        units.append(
            DemoDataUnit(
                title=written.name,
                path=written.relative_to(root),
                data_type="video",
                width=width,
                height=height,
                fps=fps,
                truth=tuple(f.truth for f in frames),
                predictions=_detect(decoded, tracked=True),
            )
        )
    return DemoDataset(
        root=root,
        seed=seed,
        ontology=build_demo_ontology(),
        data_units=tuple(units),
        detectors=(COLOUR_CONTOUR, HOUGH_CIRCLE),
    )


def _detect(images: list[NDArray[np.uint8]], *, tracked: bool) -> tuple[DetectorRun, ...]:
    runs = []
    for name, detector in DETECTORS:
        frames = tuple(detector(image, frame=index) for index, image in enumerate(images))
        runs.append(DetectorRun(detector=name, frames=link_tracks(frames) if tracked else frames))
    return tuple(runs)


def _split_seed(
    seed: int, image_count: int
) -> tuple[list[np.random.SeedSequence], np.random.SeedSequence]:
    # Child 0 is the video, children 1.. the images: adding images never changes earlier ones.
    video_seed, *image_seeds = np.random.SeedSequence(seed).spawn(image_count + 1)
    return image_seeds, video_seed


def _check_options(
    root: Path, *, image_count: int, video_frames: int, fps: float, width: int, height: int
) -> None:
    if root.exists() and not root.is_dir():
        raise ValueError(f"{root}: exists and is not a folder")
    if image_count < 0 or video_frames < 0:
        raise ValueError(
            f"image_count and video_frames must be >= 0, got {image_count} and {video_frames}"
        )
    if image_count == 0 and video_frames == 0:
        raise ValueError("nothing to build: image_count and video_frames are both 0")
    if width < 64 or height < 48:
        raise ValueError(f"frame size must be at least 64 x 48, got {width} x {height}")
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps}")
