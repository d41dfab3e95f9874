"""Fruit of the demo scenes: outlines (apple, orange, banana) and the colours they are painted.

Outlines are closed polygons in frame pixels, float64 of shape ``(N, 2)`` as ``(x, y)``.  The
ripeness of a fruit is decided here, by the colour family it is painted with: that colour is the
ground truth a detector has to read back from the pixels.
"""

from __future__ import annotations

import colorsys
import dataclasses

import numpy as np
from numpy.typing import NDArray

from branchmark.demo.records import CLASS_NAMES

# Hue ranges in degrees, saturation and value ranges in [0, 1], per (class, ripeness).  Ripe and
# unripe ranges of one class do not overlap, but unripe fruit of different classes do (all are
# green-ish), so a detector must use shape as well as colour.  A banana's ripe and unripe ranges
# meet at 62 degrees.  A fruit's paint mixes one colour from each end (``sample_paint``).
_PALETTE: dict[
    tuple[str, str], tuple[tuple[float, float], tuple[float, float], tuple[float, float]]
] = {
    ("apple", "ripe"): ((-12.0, 10.0), (0.70, 0.92), (0.62, 0.86)),
    ("apple", "unripe"): ((74.0, 96.0), (0.58, 0.80), (0.60, 0.82)),
    ("orange", "ripe"): ((24.0, 36.0), (0.82, 0.97), (0.84, 0.97)),
    ("orange", "unripe"): ((96.0, 124.0), (0.58, 0.80), (0.45, 0.66)),
    ("banana", "ripe"): ((46.0, 62.0), (0.74, 0.92), (0.82, 0.96)),
    ("banana", "unripe"): ((62.0, 90.0), (0.58, 0.82), (0.64, 0.86)),
}

CLASS_WEIGHTS: dict[str, float] = {"apple": 0.4, "orange": 0.36, "banana": 0.24}
"""How often each class is drawn."""


@dataclasses.dataclass(frozen=True)
class Fruit:
    """One fruit to draw: class, ripeness, centre, size, rotation and paint.

    ``size`` is the radius for apples and oranges and two thirds of the half length for
    bananas, in pixels; ``angle`` is in radians; ``aspect`` is the minor/major axis ratio of an
    orange (unused for the others); ``rgb`` is the base paint colour in [0, 1].  The fruit's
    colour decides its ``ripeness``.
    """

    class_name: str
    ripeness: str
    cx: float
    cy: float
    size: float
    angle: float
    aspect: float
    rgb: tuple[float, float, float]


def sample_fruit(
    rng: np.random.Generator, *, width: int, height: int, size_range: tuple[float, float]
) -> Fruit:
    """Draw one fruit at a random place, class, ripening, colour, size (log-uniform) and angle.

    The ground-truth ripeness is decided by the colour: ``"ripe"`` when the paint is at least
    half way from the unripe to the ripe end of the palette (see ``sample_paint``).

    >>> f = sample_fruit(np.random.default_rng(0), width=640, height=480, size_range=(8, 80))
    >>> f.class_name in CLASS_NAMES and 8 <= f.size <= 80
    True
    """
    weights = np.array([CLASS_WEIGHTS[name] for name in CLASS_NAMES])
    class_name = CLASS_NAMES[int(rng.choice(len(CLASS_NAMES), p=weights / weights.sum()))]
    # Most fruit are clearly ripe or unripe, one in eight is turning; ripe means past half way.
    if rng.random() < 0.125:
        ripening = float(rng.uniform(0.3, 0.7))
    else:
        ripening = float(rng.random() < 0.55)
    ripeness = "ripe" if ripening >= 0.5 else "unripe"
    size = float(np.exp(rng.uniform(np.log(size_range[0]), np.log(size_range[1]))))
    margin = 0.3 * size
    return Fruit(
        class_name=class_name,
        ripeness=ripeness,
        cx=float(rng.uniform(-margin, width + margin)),
        cy=float(rng.uniform(-margin, height + margin)),
        size=size,
        angle=float(rng.uniform(-np.pi, np.pi)),
        aspect=float(rng.uniform(0.8, 0.98)),
        rgb=sample_paint(rng, class_name=class_name, ripening=ripening),
    )


def sample_paint(
    rng: np.random.Generator, *, class_name: str, ripening: float
) -> tuple[float, float, float]:
    """An RGB colour in [0, 1] for a fruit ``ripening`` of the way from unripe (0) to ripe (1).

    One colour is drawn from each end of the class's palette and the two are mixed in HSV (hue
    along the shorter arc), so a fruit half way (a turning apple) is orange-yellow.
    """
    if class_name not in CLASS_NAMES or not 0.0 <= ripening <= 1.0:
        raise ValueError(
            f"no paint for class {class_name!r} at ripening {ripening!r}; classes are "
            f"{list(CLASS_NAMES)}, ripening is in [0, 1]"
        )
    ends = []
    for ripeness in ("unripe", "ripe"):
        hues, sats, vals = _PALETTE[(class_name, ripeness)]
        ends.append((rng.uniform(*hues), rng.uniform(*sats), rng.uniform(*vals)))
    (h0, s0, v0), (h1, s1, v1) = ends
    turn = (h1 - h0 + 180.0) % 360.0 - 180.0
    hue = ((h0 + ripening * turn) % 360.0) / 360.0
    saturation = s0 + ripening * (s1 - s0)
    value = v0 + ripening * (v1 - v0)
    rgb = colorsys.hsv_to_rgb(hue, saturation, value)
    return (float(rgb[0]), float(rgb[1]), float(rgb[2]))


def outline_fruit(fruit: Fruit) -> NDArray[np.float64]:
    """The closed outline of ``fruit``, shape ``(N, 2)``, ``(x, y)`` frame pixels.

    >>> f = Fruit("apple", "ripe", 100.0, 100.0, 20.0, 0.0, 1.0, (1.0, 0.0, 0.0))
    >>> pts = outline_fruit(f)
    >>> pts.shape[1], bool(abs(pts[:, 0].mean() - 100) < 2)
    (2, True)
    """
    if fruit.class_name == "apple":
        local = _apple_outline(fruit.size)
    elif fruit.class_name == "orange":
        local = _orange_outline(fruit.size, fruit.aspect)
    elif fruit.class_name == "banana":
        local = _banana_outline(1.5 * fruit.size)
    else:
        raise ValueError(f"unknown fruit class {fruit.class_name!r}; expected one of {CLASS_NAMES}")
    # Apples only tilt a little (the stem dip stays near the top); the others turn freely.
    angle = fruit.angle * 0.25 if fruit.class_name == "apple" else fruit.angle
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s], [s, c]])
    return np.asarray(local @ rotation.T + np.array([fruit.cx, fruit.cy]), dtype=np.float64)


def _apple_outline(radius: float) -> NDArray[np.float64]:
    # phi is measured from "up" (-y); a dip at the top for the stem, shoulders slightly wider.
    phi = np.linspace(-np.pi, np.pi, 96, endpoint=False)
    r = radius * (1.0 - 0.12 * np.exp(-((phi / 0.32) ** 2)) + 0.035 * np.cos(2.0 * phi))
    return np.stack([r * np.sin(phi), -r * np.cos(phi)], axis=1).astype(np.float64)


def _orange_outline(radius: float, aspect: float) -> NDArray[np.float64]:
    t = np.linspace(0.0, 2.0 * np.pi, 96, endpoint=False)
    bump = 1.0 + 0.012 * np.sin(7.0 * t)
    return np.stack([radius * bump * np.cos(t), aspect * radius * bump * np.sin(t)], axis=1)


def _banana_outline(half_length: float) -> NDArray[np.float64]:
    # A crescent: a centre line on an arc of half-angle `span`, thick in the middle, thin tips.
    span = 0.85
    bend = half_length / np.sin(span)
    s = np.linspace(-1.0, 1.0, 48)
    theta = span * s
    centre = np.stack([bend * np.sin(theta), bend * (1.0 - np.cos(theta))], axis=1)
    normal = np.stack([-np.sin(theta), np.cos(theta)], axis=1)
    half_width = 0.2 * half_length * (1.0 - s**2) ** 0.55 + 0.02 * half_length
    upper = centre - normal * half_width[:, None]
    lower = centre + normal * half_width[:, None]
    outline = np.concatenate([upper, lower[::-1]], axis=0)
    return np.asarray(outline - outline.mean(axis=0), dtype=np.float64)
