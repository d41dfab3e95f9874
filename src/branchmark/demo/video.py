"""The demo video: fruit moving smoothly over one surface while the light dims or brightens.

Every fruit is a track: its ``object_id`` is the same on every frame.  The draw order is fixed,
so fruit that cross occlude each other and the visible regions change from frame to frame.  The
light ramps from one lighting class to the other; a frame is ``"bright"`` when its gain is at
least ``LIGHTING_GAIN_THRESHOLD``, the midpoint of the still images' two gain ranges.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from branchmark.demo.fruit import sample_fruit
from branchmark.demo.scene import RenderedFrame, render_background, render_frame, sample_style

LIGHTING_GAIN_THRESHOLD = 0.82

# (fourcc, suffix) in order of preference; mp4v is in every opencv-python wheel's FFmpeg.
_CODECS: tuple[tuple[str, str], ...] = (("mp4v", ".mp4"), ("MJPG", ".avi"))


def render_video(
    rng: np.random.Generator,
    *,
    frame_count: int = 36,
    width: int = 640,
    height: int = 480,
    fruit_count: int = 7,
) -> list[RenderedFrame]:
    """Render ``frame_count`` frames of ``fruit_count`` fruit tracks (ids 1..fruit_count).

    Each fruit drifts at a constant velocity plus a slow sway, and turns slowly.

    >>> frames = render_video(np.random.default_rng(0), frame_count=3, width=96, height=64)
    >>> len(frames), frames[0].image.shape
    (3, (64, 96, 3))
    """
    if frame_count < 1 or fruit_count < 1:
        raise ValueError(f"need at least one frame and one fruit, got {frame_count}, {fruit_count}")
    brightening = bool(rng.random() < 0.5)
    style = sample_style(rng, lighting="dim" if brightening else "bright")
    background = render_background(rng, surface=style.surface, width=width, height=height)
    starts = [
        sample_fruit(rng, width=width, height=height, size_range=(12.0, 60.0))
        for _ in range(fruit_count)
    ]
    velocity = rng.uniform(-4.0, 4.0, size=(fruit_count, 2))
    sway = rng.uniform(0.0, 12.0, size=fruit_count)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=fruit_count)
    spin = rng.uniform(-0.04, 0.04, size=fruit_count)
    low, high = 0.5, 1.08
    frames = []
    for t in range(frame_count):
        progress = t / max(frame_count - 1, 1)
        ramp = progress * progress * (3.0 - 2.0 * progress)  # smoothstep
        gain = low + (high - low) * ramp if brightening else high - (high - low) * ramp
        lighting = "bright" if gain >= LIGHTING_GAIN_THRESHOLD else "dim"
        frame_style = dataclasses.replace(
            style, gain=gain, lighting=lighting, noise_sigma=float(2.5 / np.sqrt(gain))
        )
        fruits = [
            (
                index + 1,
                dataclasses.replace(
                    fruit,
                    cx=fruit.cx
                    + velocity[index, 0] * t
                    + sway[index] * np.sin(0.2 * t + phase[index]),
                    cy=fruit.cy + velocity[index, 1] * t,
                    angle=fruit.angle + spin[index] * t,
                ),
            )
            for index, fruit in enumerate(starts)
        ]
        frames.append(
            render_frame(fruits, background=background, style=frame_style, rng=rng, frame=t)
        )
    return frames


def write_video(images: list[NDArray[np.uint8]], path_without_suffix: Path, *, fps: float) -> Path:
    """Encode RGB frames to ``path_without_suffix`` + ``.mp4`` (mp4v), or ``.avi`` (MJPG).

    The first codec this OpenCV build can open wins; the written path is returned.  All frames
    must share one shape ``(H, W, 3)``.
    """
    if not images:
        raise ValueError("a video needs at least one frame")
    height, width = images[0].shape[:2]
    for index, image in enumerate(images):
        if image.shape != (height, width, 3) or image.dtype != np.uint8:
            raise ValueError(
                f"frame {index}: expected uint8 of shape {(height, width, 3)}, got "
                f"{image.dtype} {image.shape}"
            )
    for fourcc, suffix in _CODECS:
        path = path_without_suffix.with_suffix(suffix)
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, (width, height))
        if not writer.isOpened():
            writer.release()
            path.unlink(missing_ok=True)
            continue
        for image in images:
            writer.write(np.ascontiguousarray(image[..., ::-1]))
        writer.release()
        return path
    raise RuntimeError(f"this OpenCV build can write none of the codecs {[c for c, _ in _CODECS]}")


def read_video(path: Path) -> list[NDArray[np.uint8]]:
    """Decode every frame of a video file to RGB ``uint8`` arrays of shape ``(H, W, 3)``."""
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"{path}: OpenCV cannot open this video")
    frames = []
    try:
        while True:
            ok, bgr = capture.read()
            if not ok:
                break
            frames.append(np.ascontiguousarray(bgr[..., ::-1], dtype=np.uint8))
    finally:
        capture.release()
    return frames
