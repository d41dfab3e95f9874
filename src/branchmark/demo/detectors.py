"""Two classical fruit detectors that see only pixels: colour contours and Hough circles.

Neither detector is given anything but the RGB ``uint8`` image of shape ``(H, W, 3)``.  Both
answer, per object, the class, the ripeness (from the colour they see) and a confidence computed
from their own evidence, and per frame the lighting with a confidence.  Their failure modes are
real and different: the colour detector merges touching fruit of one colour and is fooled by
coloured napkins; the circle detector misses bananas, fires on plates and cannot see occlusion.

Geometry follows ``branchmark.demo.records``: boxes ``(x0, y0, x1, y1)`` in pixel-extent
coordinates, polygon vertices at pixel centres.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from branchmark.demo.records import Box, Detection, DetectorInfo, FrameDetections

COLOUR_CONTOUR = DetectorInfo(
    name="colour-contour",
    version="1",
    description="HSV colour families, morphology and contours; class from hue and shape",
)
HOUGH_CIRCLE = DetectorInfo(
    name="hough-circle",
    version="1",
    description="Hough circles on the grey image; class and ripeness from the colour inside",
)


@dataclasses.dataclass(frozen=True)
class _Family:
    """A hue band (degrees, ``low <= hue < high``) and what fruit of that colour is."""

    name: str
    low: float
    high: float
    round_class: str
    ripeness: str


# The detectors' own colour knowledge (hand-tuned, as a classical pipeline would be).
_FAMILIES: tuple[_Family, ...] = (
    _Family("red", -30.0, 16.0, "apple", "ripe"),
    _Family("orange", 16.0, 42.0, "orange", "ripe"),
    _Family("yellow", 42.0, 64.0, "orange", "ripe"),
    _Family("yellow-green", 64.0, 97.0, "apple", "unripe"),
    _Family("green", 97.0, 160.0, "orange", "unripe"),
)
_MIN_SATURATION = 100  # of 255: fruit is vivid, the surfaces are not
_MIN_AREA = 30.0  # pixels: smaller blobs are noise for the colour detector
_MIN_RIPENESS_SHARE = 0.6
"""The circle detector answers ripeness only when at least this share of the vivid pixels in the
circle lies in one colour family; otherwise it abstains (leaves the attribute unanswered), which
is what makes Strict and Partial matching differ on its predictions."""


def detect_colour_contours(image: NDArray[np.uint8], *, frame: int = 0) -> FrameDetections:
    """Find fruit as connected regions of one colour family.

    Steps: a 5x5 Gaussian, HSV, a vivid-pixel mask (saturation and a value floor relative to
    the frame's highlights), one mask per hue family, opening then closing, external contours.
    A region is a banana when it is elongated (unless cut by the frame edge) or clearly
    non-convex, otherwise the family's round fruit; the ripeness is the family's.  Confidence
    multiplies the region's colour purity, a size term, a shape-fit term and the hue margin to
    the family's borders.  A region whose box lies mostly inside a far more confident one's is
    dropped.

    >>> dets = detect_colour_contours(np.zeros((48, 64, 3), np.uint8))
    >>> dets.detections, dets.lighting
    ((), 'dim')
    """
    hue, saturation, value = _hsv_planes(image)
    vivid = (saturation >= _MIN_SATURATION) & (value >= max(20.0, 0.2 * _percentile(value, 99)))
    detections = []
    kernel_open = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
    kernel_close = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for family in _FAMILIES:
        raw = vivid & _in_band(hue, family.low, family.high)
        mask = cv2.morphologyEx(raw.astype(np.uint8), cv2.MORPH_OPEN, kernel_open)
        mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel_close)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            detection = _describe_region(contour, raw, hue, family, image.shape[:2])
            if detection is not None:
                detections.append(detection)
    detections = _drop_contained(sorted(detections, key=lambda d: -d.confidence))
    # Highlights scale with the light: the 99th percentile of value is the lighting evidence.
    lighting, confidence = _classify_lighting(_percentile(value, 99), threshold=160.0, scale=14.0)
    return FrameDetections(frame, lighting, confidence, tuple(detections))


def detect_hough_circles(image: NDArray[np.uint8], *, frame: int = 0) -> FrameDetections:
    """Find round fruit with ``cv2.HoughCircles`` and read class and ripeness inside each circle.

    Circles come from the gradient Hough transform (``HOUGH_GRADIENT_ALT``) run on two planes,
    the grey image and the saturation, each stretched to its 99th percentile and blurred: a fruit
    as bright as its surface still stands out in saturation.  Evidence per circle: the share of
    its perimeter on Canny edges of either plane, the share of vivid pixels in the inner disc and
    the share of those in the dominant hue family.  Of two circles whose centres lie within half
    a radius, the more confident is kept.  The lighting is read from the grey level's 90th
    percentile.

    >>> dets = detect_hough_circles(np.zeros((48, 64, 3), np.uint8))
    >>> dets.detections
    ()
    """
    height, width = image.shape[:2]
    hue, saturation, _ = _hsv_planes(image)
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    edges = np.zeros((height, width), np.uint8)
    candidates: list[tuple[float, float, float]] = []
    for plane, gradient_threshold, perfectness in ((grey, 200, 0.8), (saturation, 150, 0.7)):
        stretched = np.clip(plane * (230.0 / max(_percentile(plane, 99), 1.0)), 0, 255)
        smooth = cv2.GaussianBlur(stretched.astype(np.uint8), (0, 0), 1.5)
        canny = cv2.Canny(smooth, gradient_threshold // 2, gradient_threshold)
        edges = np.bitwise_or(edges, np.asarray(canny, dtype=np.uint8))
        found = cv2.HoughCircles(
            smooth,
            cv2.HOUGH_GRADIENT_ALT,
            dp=2.0,
            minDist=10,
            param1=gradient_threshold,
            param2=perfectness,
            minRadius=5,
            maxRadius=150,
        )
        if found is not None:
            candidates.extend((float(c[0]), float(c[1]), float(c[2])) for c in found[0])
    support = np.asarray(cv2.dilate(edges, np.ones((3, 3), np.uint8)), dtype=np.uint8)
    detections = []
    for cx, cy, r in candidates:
        detection = _describe_circle(cx, cy, r, support, hue, saturation, width, height)
        if detection is not None:
            detections.append((detection, (cx, cy, r)))
    kept = _suppress_overlaps(detections)
    lighting, confidence = _classify_lighting(_percentile(grey, 90), threshold=135.0, scale=12.0)
    return FrameDetections(frame, lighting, confidence, tuple(kept))


def _hsv_planes(
    image: NDArray[np.uint8],
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(
            f"expected an RGB uint8 image of shape (H, W, 3), got {image.dtype} {image.shape}"
        )
    blurred = cv2.GaussianBlur(image, (5, 5), 0)
    hsv = cv2.cvtColor(blurred, cv2.COLOR_RGB2HSV_FULL).astype(np.float32)
    return hsv[..., 0] * (360.0 / 256.0), hsv[..., 1], hsv[..., 2]


def _percentile(plane: NDArray[np.float32], q: float) -> float:
    return float(np.percentile(plane[::2, ::2], q))


def _in_band(hue: NDArray[np.float32], low: float, high: float) -> NDArray[np.bool_]:
    if low < 0:
        return (hue >= low + 360.0) | (hue < high)
    return (hue >= low) & (hue < high)


def _hue_margin(hue: float, family: _Family) -> float:
    """Distance in degrees from ``hue`` to the nearer border of the family's band."""
    centred = (hue - family.low) % 360.0
    return min(centred, (family.high - family.low) - centred)


def _circular_median(hues: NDArray[np.float32]) -> float:
    angles = np.deg2rad(hues)
    mean = np.arctan2(np.sin(angles).mean(), np.cos(angles).mean())
    return float(np.rad2deg(mean) % 360.0)


def _classify_lighting(statistic: float, *, threshold: float, scale: float) -> tuple[str, float]:
    p_bright = 1.0 / (1.0 + np.exp(-(statistic - threshold) / scale))
    if p_bright >= 0.5:
        return "bright", float(p_bright)
    return "dim", float(1.0 - p_bright)


def _describe_region(
    contour: NDArray[Any],
    raw: NDArray[np.bool_],
    hue: NDArray[np.float32],
    family: _Family,
    frame_shape: tuple[int, ...],
) -> Detection | None:
    area = float(cv2.contourArea(contour))
    if area < _MIN_AREA:
        return None
    x, y, w, h = cv2.boundingRect(contour)
    filled = np.zeros((h, w), np.uint8)
    cv2.drawContours(filled, [contour], -1, 1, thickness=-1, offset=(-x, -y))
    inside = filled.astype(bool)
    own = raw[y : y + h, x : x + w] & inside
    purity = float(own.sum()) / max(float(inside.sum()), 1.0)
    region_hue = _circular_median(hue[y : y + h, x : x + w][own]) if own.any() else family.low
    hull_area = float(cv2.contourArea(cv2.convexHull(contour)))
    solidity = area / hull_area if hull_area > 0 else 0.0
    (_, _), (side_a, side_b), _ = cv2.minAreaRect(contour)
    elongation = max(side_a, side_b) / max(min(side_a, side_b), 1.0)
    # A fruit cut by the frame edge looks elongated: there only non-convexity says banana.
    cut = x == 0 or y == 0 or x + w == frame_shape[1] or y + h == frame_shape[0]
    if (elongation > 1.9 and not cut) or solidity < 0.8:
        class_name, shape_fit = "banana", min(1.0, (elongation - 1.0) / 1.5)
    else:
        class_name, shape_fit = family.round_class, solidity
    size = 1.0 - np.exp(-area / 250.0)
    margin = min(1.0, _hue_margin(region_hue, family) / 8.0)
    confidence = purity * size * (0.5 + 0.5 * shape_fit) * (0.6 + 0.4 * margin)
    epsilon = max(0.7, 0.006 * cv2.arcLength(contour, True))
    ring = cv2.approxPolyDP(contour, epsilon, True).reshape(-1)
    return Detection(
        class_name=class_name,
        ripeness=family.ripeness,
        confidence=float(np.clip(confidence, 1e-3, 1.0)),
        box=(float(x), float(y), float(x + w), float(y + h)),
        polygon=tuple(float(v) for v in ring),
    )


def _describe_circle(
    cx: float,
    cy: float,
    r: float,
    edges: NDArray[np.uint8],
    hue: NDArray[np.float32],
    saturation: NDArray[np.float32],
    width: int,
    height: int,
) -> Detection | None:
    angles = np.linspace(0.0, 2.0 * np.pi, 72, endpoint=False)
    px = np.round(cx + r * np.cos(angles)).astype(int)
    py = np.round(cy + r * np.sin(angles)).astype(int)
    on_frame = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    if on_frame.sum() < 18:
        return None
    support = float((edges[py[on_frame], px[on_frame]] > 0).mean())
    x0, y0 = max(int(cx - r), 0), max(int(cy - r), 0)
    x1, y1 = min(int(np.ceil(cx + r)) + 1, width), min(int(np.ceil(cy + r)) + 1, height)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= (0.8 * r) ** 2
    if not disc.any():
        return None
    vivid = saturation[y0:y1, x0:x1][disc] >= _MIN_SATURATION
    colourful = float(vivid.mean())
    hues = hue[y0:y1, x0:x1][disc][vivid]
    shares = [float(_in_band(hues, f.low, f.high).mean()) if hues.size else 0.0 for f in _FAMILIES]
    best = int(np.argmax(shares))
    family = _FAMILIES[best]
    # A ripe yellow disc is a banana seen as a circle; any other colour is the family's round fruit.
    class_name = "banana" if family.name == "yellow" else family.round_class
    confidence = support**0.8 * (0.1 + 0.9 * colourful * shares[best])
    ring_angles = np.linspace(0.0, 2.0 * np.pi, 32, endpoint=False)
    ring_x = np.clip(cx + r * np.cos(ring_angles), 0.0, width - 1.0)
    ring_y = np.clip(cy + r * np.sin(ring_angles), 0.0, height - 1.0)
    box: Box = (
        float(max(cx - r, 0.0)),
        float(max(cy - r, 0.0)),
        float(min(cx + r, width)),
        float(min(cy + r, height)),
    )
    return Detection(
        class_name=class_name,
        ripeness=family.ripeness if shares[best] >= _MIN_RIPENESS_SHARE else None,
        confidence=float(np.clip(confidence, 1e-3, 1.0)),
        box=box,
        polygon=tuple(float(v) for v in np.stack([ring_x, ring_y], axis=1).reshape(-1)),
    )


def _drop_contained(detections: list[Detection]) -> list[Detection]:
    """Greedy by confidence: drop a region whose box lies 70% inside a kept region's box while
    its confidence is under half of that region's.

    Shading can split a fruit into a big region and weak islands of a neighbouring hue; a
    small fruit in front of a big one is confident and stays.
    """
    kept: list[Detection] = []
    for detection in detections:
        x0, y0, x1, y1 = detection.box
        own = (x1 - x0) * (y1 - y0)
        inside = (
            max(0.0, min(x1, k.box[2]) - max(x0, k.box[0]))
            * max(0.0, min(y1, k.box[3]) - max(y0, k.box[1]))
            for k in kept
        )
        if all(
            overlap < 0.7 * own or detection.confidence >= 0.5 * k.confidence
            for overlap, k in zip(inside, kept, strict=True)
        ):
            kept.append(detection)
    return kept


def _suppress_overlaps(
    found: list[tuple[Detection, tuple[float, float, float]]],
) -> list[Detection]:
    """Greedy by confidence: drop a circle whose centre lies inside a kept circle's inner half."""
    kept: list[tuple[Detection, tuple[float, float, float]]] = []
    for detection, (cx, cy, r) in sorted(found, key=lambda item: -item[0].confidence):
        if all(np.hypot(cx - kx, cy - ky) > 0.5 * max(r, kr) for _, (kx, ky, kr) in kept):
            kept.append((detection, (cx, cy, r)))
    return [detection for detection, _ in kept]
