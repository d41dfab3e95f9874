"""Plain records of the demo data: ground truth, detections, frames and data units.

Everything here is a frozen dataclass of plain Python values (str, int, float, tuples), so the
SDK glue reads them without knowing numpy or OpenCV.  Geometry is in **frame pixels**:

* boxes are ``(x0, y0, x1, y1)``; a pixel ``(col, row)`` covers ``[col, col + 1) x [row, row + 1)``,
  so a box is the exact extent of its pixels (``x1 - x0`` is the width in pixels);
* polygon rings are flat ``(x1, y1, x2, y2, ...)`` tuples whose vertices are the **centres of the
  region's boundary pixels** (the convention of ``cv2.findContours`` / ``cv2.fillPoly``: filling
  the ring with ``cv2.fillPoly`` gives back the pixels it was traced from).  A ground-truth region
  is a tuple of polygons, each a tuple of rings (outer ring first, holes after): exactly the
  nesting of Encord's ``PolygonCoordinates.polygons``, before normalisation.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

Box = tuple[float, float, float, float]
Ring = tuple[float, ...]
Polygon = tuple[Ring, ...]

CLASS_NAMES: tuple[str, ...] = ("apple", "orange", "banana")
"""Fruit classes of the demo, in ontology order."""

RIPENESS_VALUES: tuple[str, ...] = ("ripe", "unripe")
"""Answers of the per-object ripeness radio attribute."""

LIGHTING_VALUES: tuple[str, ...] = ("bright", "dim")
"""Answers of the per-frame lighting classification."""


@dataclasses.dataclass(frozen=True)
class GroundTruthObject:
    """One fruit as rendered: its visible region after occlusion and the facts it was drawn from.

    ``object_id`` is unique within a data unit; in a video it is the track id, the same on every
    frame the fruit is visible.  ``area`` is the number of visible pixels; ``visible_fraction`` is
    that area over the area of the unoccluded shape inside the frame.
    """

    object_id: int
    class_name: str
    ripeness: str
    box: Box
    polygons: tuple[Polygon, ...]
    area: int
    visible_fraction: float


@dataclasses.dataclass(frozen=True)
class Detection:
    """One object a detector found on the pixels.

    ``polygon`` is a single outer ring (no holes).  ``confidence`` is in ``(0, 1]`` and comes
    from the detector's own evidence.  ``ripeness`` is None where the detector abstains.
    ``track_id`` is set for video frames (detections linked frame to frame by the detector's
    tracker) and None for still images.
    """

    class_name: str
    ripeness: str | None
    confidence: float
    box: Box
    polygon: Ring
    track_id: int | None = None


@dataclasses.dataclass(frozen=True)
class FrameTruth:
    """Ground truth of one frame: its lighting (how it was rendered) and its visible fruit."""

    frame: int
    lighting: str
    objects: tuple[GroundTruthObject, ...]


@dataclasses.dataclass(frozen=True)
class FrameDetections:
    """What one detector said about one frame: objects, and the lighting with its confidence."""

    frame: int
    lighting: str
    lighting_confidence: float
    detections: tuple[Detection, ...]


@dataclasses.dataclass(frozen=True)
class DetectorRun:
    """All frames of one data unit as seen by one detector (one prediction set)."""

    detector: str
    frames: tuple[FrameDetections, ...]


@dataclasses.dataclass(frozen=True)
class DemoDataUnit:
    """One written media file (an image or the video) with its truth and every detector's output.

    ``path`` is relative to the dataset root; ``data_type`` is ``"image"`` or ``"video"``;
    ``fps`` is None for an image.  ``truth`` and each run's ``frames`` have one entry per frame.
    """

    title: str
    path: Path
    data_type: str
    width: int
    height: int
    fps: float | None
    truth: tuple[FrameTruth, ...]
    predictions: tuple[DetectorRun, ...]

    @property
    def frame_count(self) -> int:
        """Number of frames (1 for an image)."""
        return len(self.truth)

    def predictions_of(self, detector: str) -> tuple[FrameDetections, ...]:
        """The frames of ``detector``'s run; ``KeyError`` naming the known detectors otherwise."""
        for run in self.predictions:
            if run.detector == detector:
                return run.frames
        known = [run.detector for run in self.predictions]
        raise KeyError(f"data unit {self.title!r} has no run of detector {detector!r}; has {known}")


@dataclasses.dataclass(frozen=True)
class DetectorInfo:
    """Name (a valid branch name), version and one-line description of a demo detector."""

    name: str
    version: str
    description: str


@dataclasses.dataclass(frozen=True)
class DemoDataset:
    """A built demo workspace folder: ontology JSON, media files, ground truth and predictions."""

    root: Path
    seed: int
    ontology: dict[str, object] = dataclasses.field(hash=False, compare=False)
    data_units: tuple[DemoDataUnit, ...]
    detectors: tuple[DetectorInfo, ...]
