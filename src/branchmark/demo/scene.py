"""Render fruit scenes with their exact ground truth.

A frame is painted back to front: a textured surface (wood, cloth or slate) with an unlabelled
plate or napkin as bait for false positives, then each fruit with its drop shadow, shading and
highlight.  A label image records, per pixel, the id of the fruit painted last there: the visible
region of every fruit after occlusion.  Only then are the lighting (gain, colour cast, vignette),
the Gaussian blur and the sensor noise applied, so the ground truth is the sharp geometry and the
detectors see a degraded picture of it.

Images are RGB ``uint8`` of shape ``(H, W, 3)``; label images are ``int32`` of shape ``(H, W)``
with 0 for background.  All randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import colorsys
import dataclasses
from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from branchmark.demo.fruit import Fruit, outline_fruit, sample_fruit
from branchmark.demo.records import FrameTruth, GroundTruthObject

MIN_COMPONENT_PIXELS = 6
"""Visible slivers smaller than this (8-connected pixels) are not part of the ground truth."""

MIN_VISIBLE_PIXELS = 24
"""A fruit with fewer visible pixels than this is not annotated at all (nothing to see)."""

SURFACES: tuple[str, ...] = ("wood", "cloth", "slate")

_SHIFT = 4  # sub-pixel bits for cv2.fillPoly: outlines keep 1/16 pixel precision


@dataclasses.dataclass(frozen=True)
class SceneStyle:
    """How a frame is lit and degraded; ``lighting`` is its ground-truth classification.

    ``gain`` multiplies the linear picture, ``cast`` the RGB channels; ``blur_sigma`` and
    ``noise_sigma`` are in pixels and in ``uint8`` grey levels.
    """

    surface: str
    lighting: str
    gain: float
    cast: tuple[float, float, float]
    blur_sigma: float
    noise_sigma: float


@dataclasses.dataclass(frozen=True, eq=False)
class RenderedFrame:
    """A rendered frame: the RGB picture, its label image and its ground truth."""

    image: NDArray[np.uint8]
    labels: NDArray[np.int32]
    truth: FrameTruth


def sample_style(
    rng: np.random.Generator, *, surface: str | None = None, lighting: str | None = None
) -> SceneStyle:
    """Draw a surface, a lighting class and the degradations; either choice may be fixed.

    The two lighting classes have overlapping surroundings (a dim cloth is as bright as a lit
    slate), so the lighting is learnable but not trivially so.

    >>> sample_style(np.random.default_rng(1), lighting="dim").lighting
    'dim'
    """
    surface = surface or SURFACES[int(rng.integers(len(SURFACES)))]
    lighting = lighting or ("bright" if rng.random() < 0.5 else "dim")
    if surface not in SURFACES or lighting not in ("bright", "dim"):
        raise ValueError(f"unknown surface {surface!r} or lighting {lighting!r}")
    gain = rng.uniform(0.92, 1.18) if lighting == "bright" else rng.uniform(0.42, 0.72)
    cast = tuple(float(c) for c in 1.0 + rng.uniform(-0.08, 0.08, size=3))
    return SceneStyle(
        surface=surface,
        lighting=lighting,
        gain=float(gain),
        cast=(cast[0], cast[1], cast[2]),
        blur_sigma=float(rng.choice([0.0, rng.uniform(0.6, 2.2)])),
        noise_sigma=float(rng.uniform(1.5, 5.0) / np.sqrt(gain)),
    )


def render_background(
    rng: np.random.Generator, *, surface: str, width: int, height: int
) -> NDArray[np.float32]:
    """A textured surface with an unlabelled plate or napkin on it, RGB float32 in [0, 1]."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    smooth = _smooth_noise(rng, width=width, height=height, cells=8)
    if surface == "wood":
        base = _hsv(rng.uniform(28, 38), rng.uniform(0.2, 0.34), 1.0)
        period = rng.uniform(9.0, 18.0)
        grain = np.sin(2 * np.pi * (y + 14.0 * smooth) / period)
        value = rng.uniform(0.46, 0.66) * (1.0 + 0.09 * grain + 0.08 * smooth)
    elif surface == "cloth":
        base = _hsv(rng.uniform(195, 235), rng.uniform(0.06, 0.2), 1.0)
        cell = int(rng.integers(24, 48))
        checks = ((x // cell + y // cell) % 2) * 0.07
        weave = 0.025 * np.sin(x * 1.9) * np.sin(y * 1.9)
        value = rng.uniform(0.66, 0.84) * (0.96 + checks + weave + 0.04 * smooth)
    elif surface == "slate":
        base = _hsv(rng.uniform(0, 360), rng.uniform(0.02, 0.07), 1.0)
        value = rng.uniform(0.24, 0.36) * (1.0 + 0.12 * smooth)
    else:
        raise ValueError(f"unknown surface {surface!r}; expected one of {SURFACES}")
    canvas = value[..., None] * np.asarray(base, dtype=np.float32)
    if rng.random() < 0.5:
        _paint_plate(canvas, rng)
    if rng.random() < 0.3:
        _paint_napkin(canvas, rng)
    return np.asarray(canvas, dtype=np.float32)


def render_frame(
    fruits: Sequence[tuple[int, Fruit]],
    *,
    background: NDArray[np.float32],
    style: SceneStyle,
    rng: np.random.Generator,
    frame: int = 0,
) -> RenderedFrame:
    """Paint ``fruits`` (``(object_id, fruit)``, back to front) over ``background``.

    Object ids must be positive and distinct; they become the ground truth ``object_id``.
    """
    ids = [object_id for object_id, _ in fruits]
    if any(i <= 0 for i in ids) or len(set(ids)) != len(ids):
        raise ValueError(f"object ids must be positive and distinct, got {ids}")
    height, width = background.shape[:2]
    canvas = background.copy()
    labels = np.zeros((height, width), dtype=np.int32)
    extents: dict[int, tuple[int, int, int, int, int]] = {}
    for object_id, fruit in fruits:
        outline = outline_fruit(fruit)
        full_area = _paint_fruit(canvas, labels, outline, fruit, object_id, rng)
        if full_area:
            x0, y0 = np.floor(outline.min(axis=0)).astype(int)
            x1, y1 = np.ceil(outline.max(axis=0)).astype(int) + 1
            extents[object_id] = (
                max(x0, 0),
                max(y0, 0),
                min(x1, width),
                min(y1, height),
                full_area,
            )
    image = _degrade(canvas, style, rng)
    by_id = dict(fruits)
    objects = []
    for object_id, (x0, y0, x1, y1, full_area) in extents.items():
        gt = extract_object(
            labels[y0:y1, x0:x1],
            object_id,
            fruit=by_id[object_id],
            offset=(x0, y0),
            full_area=full_area,
        )
        if gt is not None:
            objects.append(gt)
    truth = FrameTruth(frame=frame, lighting=style.lighting, objects=tuple(objects))
    return RenderedFrame(image=image, labels=labels, truth=truth)


def render_scene(
    rng: np.random.Generator,
    *,
    width: int = 640,
    height: int = 480,
    fruit_count: tuple[int, int] = (4, 12),
    size_range: tuple[float, float] = (7.0, 85.0),
) -> RenderedFrame:
    """One still image: a random style, surface and ``fruit_count`` (inclusive range) fruit.

    >>> frame = render_scene(np.random.default_rng(3), width=160, height=120)
    >>> frame.image.shape, frame.image.dtype.name, frame.labels.shape
    ((120, 160, 3), 'uint8', (120, 160))
    """
    style = sample_style(rng)
    background = render_background(rng, surface=style.surface, width=width, height=height)
    count = int(rng.integers(fruit_count[0], fruit_count[1] + 1))
    fruits: list[tuple[int, Fruit]] = []
    for i in range(count):
        fruit = sample_fruit(rng, width=width, height=height, size_range=size_range)
        if fruits and rng.random() < 0.45:
            fruit = _place_beside(fruit, fruits[int(rng.integers(len(fruits)))][1], rng)
        fruits.append((i + 1, fruit))
    return render_frame(fruits, background=background, style=style, rng=rng)


def _place_beside(fruit: Fruit, other: Fruit, rng: np.random.Generator) -> Fruit:
    """Move ``fruit`` so that it touches or partly covers ``other`` (piles, occlusion)."""
    direction = rng.uniform(-np.pi, np.pi)
    distance = (fruit.size + other.size) * rng.uniform(0.45, 1.0)
    return dataclasses.replace(
        fruit,
        cx=other.cx + distance * float(np.cos(direction)),
        cy=other.cy + distance * float(np.sin(direction)),
    )


def extract_object(
    labels: NDArray[np.int32],
    object_id: int,
    *,
    fruit: Fruit,
    offset: tuple[int, int] = (0, 0),
    full_area: int,
) -> GroundTruthObject | None:
    """The ground truth of ``object_id`` from a label image (or a crop of one at ``offset``).

    The region is the pixels labelled ``object_id`` minus 8-connected slivers smaller than
    ``MIN_COMPONENT_PIXELS``; None when fewer than ``MIN_VISIBLE_PIXELS`` remain.  Rings are
    traced with ``cv2.findContours`` (``RETR_CCOMP``): outer rings through the centres of the
    region's border pixels, hole rings through the region's pixels that border each hole.
    """
    mask = (labels == object_id).astype(np.uint8)
    count, components, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    small = np.flatnonzero(stats[:, cv2.CC_STAT_AREA] < MIN_COMPONENT_PIXELS)
    small = small[small > 0]
    if small.size:
        mask[np.isin(components, small)] = 0
    area = int(mask.sum())
    if area < MIN_VISIBLE_PIXELS:
        return None
    contours, hierarchy = cv2.findContours(
        mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE, offset=offset
    )
    polygons = []
    for index, contour in enumerate(contours):
        if hierarchy[0, index, 3] != -1:
            continue  # a hole: collected under its outer ring below
        rings = [_flat_ring(contour)]
        child = hierarchy[0, index, 2]
        while child != -1:
            rings.append(_flat_ring(contours[child]))
            child = hierarchy[0, child, 0]
        polygons.append(tuple(rings))
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    box = (
        float(cols[0] + offset[0]),
        float(rows[0] + offset[1]),
        float(cols[-1] + 1 + offset[0]),
        float(rows[-1] + 1 + offset[1]),
    )
    return GroundTruthObject(
        object_id=object_id,
        class_name=fruit.class_name,
        ripeness=fruit.ripeness,
        box=box,
        polygons=tuple(polygons),
        area=area,
        visible_fraction=area / full_area,
    )


def _flat_ring(contour: NDArray[np.int32]) -> tuple[float, ...]:
    return tuple(float(v) for v in contour.reshape(-1))


def _hsv(hue_degrees: float, saturation: float, value: float) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb((hue_degrees % 360.0) / 360.0, saturation, value)


def _smooth_noise(
    rng: np.random.Generator, *, width: int, height: int, cells: int
) -> NDArray[np.float32]:
    coarse = rng.normal(0.0, 1.0, size=(cells, cells)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(smooth, dtype=np.float32)


def _fill(shape: tuple[int, int], points: NDArray[np.float64]) -> NDArray[np.uint8]:
    mask = np.zeros(shape, dtype=np.uint8)
    fixed = np.round(points * (1 << _SHIFT)).astype(np.int32)
    cv2.fillPoly(mask, [fixed], 1, lineType=cv2.LINE_8, shift=_SHIFT)
    return mask


def _paint_fruit(
    canvas: NDArray[np.float32],
    labels: NDArray[np.int32],
    outline: NDArray[np.float64],
    fruit: Fruit,
    object_id: int,
    rng: np.random.Generator,
) -> int:
    """Paint shadow and body of one fruit; return its unoccluded pixel count inside the frame."""
    height, width = labels.shape
    radius = float(np.ptp(outline, axis=0).max()) / 2.0
    pad = int(np.ceil(0.5 * radius)) + 2
    x0 = max(int(np.floor(outline[:, 0].min())) - pad, 0)
    y0 = max(int(np.floor(outline[:, 1].min())) - pad, 0)
    x1 = min(int(np.ceil(outline[:, 0].max())) + pad + 1, width)
    y1 = min(int(np.ceil(outline[:, 1].max())) + pad + 1, height)
    if x1 <= x0 or y1 <= y0:
        return 0
    shape = (y1 - y0, x1 - x0)
    local = outline - np.array([x0, y0])
    shadow = _fill(shape, local + np.array([0.12, 0.2]) * radius).astype(np.float32)
    shadow = np.asarray(cv2.GaussianBlur(shadow, (0, 0), max(0.2 * radius, 0.8)), np.float32)
    region = canvas[y0:y1, x0:x1]
    region *= (1.0 - 0.45 * shadow)[..., None]

    body = _fill(shape, local).astype(bool)
    yy, xx = np.ogrid[0 : shape[0], 0 : shape[1]]
    centre = local.mean(axis=0)
    light = centre - np.array([0.35, 0.42]) * radius
    dist = (np.hypot(xx - light[0], yy - light[1]) / (1.7 * radius)).astype(np.float32)
    shade = np.clip(1.1 - 0.6 * dist**2, 0.45, 1.1)
    shade *= 1.0 + 0.025 * rng.standard_normal(size=shape, dtype=np.float32)
    spec = 0.3 * np.exp(-((dist / 0.14) ** 2))
    colour = np.asarray(fruit.rgb, dtype=np.float32) * shade[..., None]
    colour += spec[..., None] * (1.0 - colour)
    region[body] = colour[body]
    labels[y0:y1, x0:x1][body] = object_id
    return int(body.sum())


def _paint_plate(canvas: NDArray[np.float32], rng: np.random.Generator) -> None:
    height, width = canvas.shape[:2]
    centre = (int(rng.uniform(0.2, 0.8) * width), int(rng.uniform(0.2, 0.8) * height))
    radius = int(rng.uniform(0.18, 0.3) * min(width, height))
    tone = float(rng.uniform(0.78, 0.92))
    cv2.circle(canvas, centre, radius, (tone, tone, tone * 0.97), -1, cv2.LINE_AA)
    rim = (tone * 0.86, tone * 0.86, tone * 0.84)
    cv2.circle(canvas, centre, int(radius * 0.78), rim, max(2, radius // 30), cv2.LINE_AA)


def _paint_napkin(canvas: NDArray[np.float32], rng: np.random.Generator) -> None:
    height, width = canvas.shape[:2]
    w, h = rng.uniform(0.12, 0.25) * width, rng.uniform(0.12, 0.25) * height
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    box = ((float(cx), float(cy)), (float(w), float(h)), float(rng.uniform(0, 90)))
    corners = cv2.boxPoints(box).astype(np.int32)
    hue = float(rng.choice([5.0, 30.0, 55.0, 140.0, 215.0]))
    colour = _hsv(hue, float(rng.uniform(0.45, 0.7)), 0.75)
    cv2.fillPoly(canvas, [corners], colour, cv2.LINE_AA)


def _degrade(
    canvas: NDArray[np.float32], style: SceneStyle, rng: np.random.Generator
) -> NDArray[np.uint8]:
    height, width = canvas.shape[:2]
    x = (np.arange(width, dtype=np.float32) - width / 2) ** 2 / (
        (width / 2) ** 2 + (height / 2) ** 2
    )
    y = (np.arange(height, dtype=np.float32) - height / 2) ** 2 / (
        (width / 2) ** 2 + (height / 2) ** 2
    )
    factor = np.float32(style.gain * 255.0) * (1.0 - 0.28 * (y[:, None] + x[None, :]))
    lit = cv2.multiply(canvas, cv2.merge([factor * np.float32(c) for c in style.cast]))
    if style.blur_sigma > 0:
        lit = cv2.GaussianBlur(lit, (0, 0), style.blur_sigma)
    picture: NDArray[np.float32] = np.asarray(lit, dtype=np.float32)
    noise = rng.standard_normal(size=picture.shape, dtype=np.float32)
    picture += np.float32(style.noise_sigma) * noise
    np.clip(picture, 0.0, 255.0, out=picture)
    return np.rint(picture).astype(np.uint8)
