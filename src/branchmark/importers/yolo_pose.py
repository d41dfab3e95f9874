"""YOLO pose lines (Ultralytics): ``class cx cy w h x0 y0 [v0] ... x(K-1) y(K-1) [v(K-1)] [conf]``.

``kpt_shape: [K, 2|3]`` in ``data.yaml`` gives the ``K`` points of every line and whether each
carries a visibility: 0 not labelled, 1 labelled but not visible, 2 visible.  Those are COCO's
codes and map to the Encord skeleton ``visibility`` exactly as the COCO keypoint import maps
them (:data:`~branchmark.importers.coco_rows.VISIBILITY_NAMES`: ``invisible``, ``occluded``,
``visible``).  A ``[K, 2]`` point has no visibility; Ultralytics counts every such point as
labelled, so it is stored ``visible``.  One more number at the end of a line is the confidence
of a prediction, as for boxes.  Every value is normalised to the image and must lie in [0, 1].
``flip_idx`` (optional, ``K`` point indices) is checked and kept for the export.

A prediction line (one with that confidence) may carry per-keypoint confidences in the third
place, as Ultralytics writes its own predictions (``predict(save_txt=True, save_conf=True)``:
``"%g"`` of the point's confidence in [0, 1], its x and y set to 0 below 0.5).  There each third
number is a confidence in [0, 1] or the visibility 2; it is kept as read (so the export writes
the line back) and gives the point's ``visibility`` as the COCO results import reads a
detection's per-point score (:func:`detection_visibility`).  pycocotools' OKS does not read a
detection's third numbers, so they change no match.  A ground-truth line keeps the codes 0, 1, 2.

Messages name a bad value by its field: ``cx``, ``cy``, ``w``, ``h``, ``keypoint 2 y`` (points
counted from 0, as ``flip_idx`` counts them), ``keypoint 2 visibility`` (also on a prediction
line, where it may be a confidence), ``confidence``.

A pose line becomes a ``skeleton`` annotation: the box in the pixel columns, and the pixel
geometry ``{"keypoints": [x, y, v, ...], "skeleton": {Encord skeleton}, "yolo": {"kpt_shape":
[K, D], "flip_idx"?: [...]}}``: the COCO keypoint import's form (pixel ``keypoints`` with COCO
visibility codes, or on a prediction line the third numbers as read, as the COCO results import
keeps a result's scores; normalised Encord ``skeleton`` built from the ontology's template),
plus what a YOLO export needs to write the lines and ``data.yaml`` back.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from branchmark.errors import ImportFormatError
from branchmark.importers.coco_rows import VISIBILITY_NAMES
from branchmark.importers.json_files import show_value

BOX_FIELDS = ("cx", "cy", "w", "h")
VISIBILITY_CODES = (0, 1, 2)
UNMARKED_VISIBILITY = 2
"""COCO code stored for a point of a ``[K, 2]`` file (labelled; Ultralytics' mask is 1)."""


def detection_visibility(score: float) -> int:
    """The COCO code of a prediction point whose third number is ``score``.

    The rule of the COCO results import (``coco_rows._skeleton``): a visibility code 0, 1 or 2
    stays itself, another positive score is visible (2), anything else not labelled (0).

    >>> [detection_visibility(s) for s in (0, 3.1e-05, 0.5, 1, 2)]
    [0, 2, 2, 1, 2]
    """
    if score in VISIBILITY_CODES:
        return int(score)
    return 2 if score > 0 else 0


@dataclasses.dataclass(frozen=True)
class PoseShape:
    """``kpt_shape`` (``points`` K, ``dims`` 2 or 3) and ``flip_idx`` of a YOLO pose dataset.

    >>> shape = PoseShape(points=2, dims=3)
    >>> shape.numbers, [shape.field(j) for j in (0, 4, 6, 9, 10)]
    (10, ['cx', 'keypoint 0 x', 'keypoint 0 visibility', 'keypoint 1 visibility', 'confidence'])
    """

    points: int
    dims: int
    flip_idx: tuple[int, ...] | None = None

    @property
    def numbers(self) -> int:
        """How many numbers follow the class on a line without a confidence."""
        return len(BOX_FIELDS) + self.points * self.dims

    def field(self, j: int) -> str:
        """The name of the ``j``-th number after the class."""
        if j < len(BOX_FIELDS):
            return BOX_FIELDS[j]
        if j >= self.numbers:
            return "confidence"
        point, axis = divmod(j - len(BOX_FIELDS), self.dims)
        return f"keypoint {point} {('x', 'y', 'visibility')[axis]}"

    def to_dict(self) -> dict[str, Any]:
        """The ``"yolo"`` entry stored with each pose annotation."""
        out: dict[str, Any] = {"kpt_shape": [self.points, self.dims]}
        if self.flip_idx is not None:
            out["flip_idx"] = list(self.flip_idx)
        return out


def read_pose_shape(data: Any, *, source: str | Path) -> PoseShape | None:
    """The pose shape of a parsed ``data.yaml`` (None when it has no ``kpt_shape``).

    ``ImportFormatError`` names ``source`` and the field for a ``kpt_shape`` other than
    ``[K, 2]`` or ``[K, 3]`` (K >= 1), or a ``flip_idx`` that is not K indices in 0..K-1.

    >>> read_pose_shape({"kpt_shape": [17, 3], "names": ["person"]}, source="data.yaml")
    PoseShape(points=17, dims=3, flip_idx=None)
    """
    raw = data.get("kpt_shape") if isinstance(data, dict) else None
    if raw is None:
        return None
    if not (
        isinstance(raw, list)
        and len(raw) == 2
        and all(type(v) is int for v in raw)
        and raw[0] >= 1
        and raw[1] in (2, 3)
    ):
        raise ImportFormatError(
            f'{source}: field "kpt_shape": expected [K, 2] or [K, 3] with K >= 1, got '
            f"{show_value(raw)}"
        )
    points, dims = raw
    flip = data.get("flip_idx")
    if flip is None:
        return PoseShape(points, dims)
    if not (
        isinstance(flip, list)
        and len(flip) == points
        and all(type(v) is int and 0 <= v < points for v in flip)
    ):
        raise ImportFormatError(
            f'{source}: field "flip_idx": expected {points} point indices in 0..{points - 1} '
            f"(kpt_shape {raw}), got {show_value(flip)}"
        )
    return PoseShape(points, dims, tuple(flip))


@dataclasses.dataclass(frozen=True)
class PoseLine:
    """One checked pose line: normalised ``box`` (cx, cy, w, h), ``points`` ``[(x, y), ...]``,
    COCO ``visibility`` codes, the confidence (None: ground truth), and a ``[K, 3]`` prediction
    line's third numbers as read (``scores``: keypoint confidences or codes; None otherwise)."""

    cls: int
    box: tuple[float, float, float, float]
    points: list[tuple[float, float]]
    visibility: list[int]
    confidence: float | None
    scores: list[float] | None = None


def parse_pose_line(line: str, shape: PoseShape, *, source: str | Path) -> PoseLine | str:
    """Check one line against ``shape``; the problem (naming the field) when it is bad.

    >>> shape = PoseShape(points=2, dims=3)
    >>> line = parse_pose_line("0 .5 .5 .2 .4 .45 .4 2 .55 .6 1 .9", shape, source="data.yaml")
    >>> line.box, line.points, line.visibility, line.confidence
    ((0.5, 0.5, 0.2, 0.4), [(0.45, 0.4), (0.55, 0.6)], [2, 1], 0.9)
    >>> parse_pose_line("0 .5 .5 .2 .4 .45 .4 2 .55 .6 3", shape, source="data.yaml")
    'field "keypoint 1 visibility": expected 0, 1 or 2, got 3'
    >>> line = parse_pose_line("0 .5 .5 .2 .4 .45 .4 .97 0 0 .02 .9", shape, source="data.yaml")
    >>> line.visibility, line.scores
    ([2, 2], [0.97, 0.02])
    """
    parts = line.split()
    count, expected = len(parts) - 1, shape.numbers
    prediction = count == expected + 1
    if count not in (expected, expected + 1):
        return (
            f'field "kpt_shape": {count} numbers after the class; kpt_shape '
            f"[{shape.points}, {shape.dims}] of {source} needs {expected} (cx cy w h and "
            f"{shape.points} points of {shape.dims} numbers), or {expected + 1} with a confidence"
        )
    try:
        cls = int(parts[0])
    except ValueError:
        return f'field "class": expected a class index, got {parts[0]!r}'
    if cls < 0:
        return f"class index {cls} is negative"
    values: list[float] = []
    for j, token in enumerate(parts[1:]):
        name = shape.field(j)
        try:
            value = float(token)
        except ValueError:
            return f'field "{name}": expected a number, got {token!r}'
        if not math.isfinite(value):
            return f'field "{name}": expected a finite number, got {token!r}'
        if name.endswith("visibility") and prediction:
            # Ultralytics writes a point's confidence here; 2 is a code no confidence can be.
            if not (0.0 <= value <= 1.0 or value == UNMARKED_VISIBILITY):
                return (
                    f'field "{name}": expected a keypoint confidence in [0, 1] (or a visibility '
                    f"0, 1 or 2), got {token}"
                )
        elif name.endswith("visibility"):
            if value not in VISIBILITY_CODES:
                return f'field "{name}": expected 0, 1 or 2, got {token}'
        elif not 0.0 <= value <= 1.0:
            what = "a confidence" if name == "confidence" else "a normalised value"
            return f'field "{name}": expected {what} in [0, 1], got {token}'
        values.append(value)
    body = values[len(BOX_FIELDS) : expected]
    triples = [body[i : i + shape.dims] for i in range(0, len(body), shape.dims)]
    scores: list[float] | None = None
    if shape.dims == 2:
        visibility = [UNMARKED_VISIBILITY] * len(triples)
    elif not prediction:
        visibility = [int(t[2]) for t in triples]
    else:
        # Codes stay integers, so a line of codes is stored as it was before confidences.
        scores = [int(t[2]) if t[2] in VISIBILITY_CODES else t[2] for t in triples]
        visibility = [detection_visibility(v) for v in scores]
    return PoseLine(
        cls=cls,
        box=(values[0], values[1], values[2], values[3]),
        points=[(t[0], t[1]) for t in triples],
        visibility=visibility,
        confidence=values[expected] if prediction else None,
        scores=scores,
    )


def template_points(template: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The vertices of a skeleton template, in the order the COCO import uses."""
    return list((template or {}).get("skeleton", {}).values())


def pose_payload(
    line: PoseLine,
    template: Mapping[str, Any] | None,
    shape: PoseShape,
    *,
    width: int,
    height: int,
) -> dict[str, Any]:
    """Pixel geometry of a pose line whose class has a ``K``-point ``template`` (see above)."""
    vertices = template_points(template)
    keypoints: list[float] = []
    skeleton: dict[str, dict[str, Any]] = {}
    thirds = line.visibility if line.scores is None else line.scores
    for k, ((x, y), v, third, vertex) in enumerate(
        zip(line.points, line.visibility, thirds, vertices, strict=True)
    ):
        keypoints += [x * width, y * height, third]
        # Key order and defaults as coco_rows builds a skeleton point from COCO keypoints.
        skeleton[str(k)] = {
            "x": x,
            "y": y,
            "name": vertex.get("name", str(k)),
            "color": vertex.get("color", "#000000"),
            "featureHash": vertex.get("featureHash", ""),
            "value": vertex.get("value", ""),
            "visibility": VISIBILITY_NAMES[v],
        }
    return {"keypoints": keypoints, "skeleton": skeleton, "yolo": shape.to_dict()}
