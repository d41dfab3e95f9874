"""Demo data of ``branchmark demo``: rendered fruit scenes, exact truth, two real detectors.

Pure numpy + OpenCV; nothing here knows the store or the SDK objects.  The entry point is
:func:`build_demo_dataset`; everything it returns is a frozen dataclass from ``records``.
"""

from __future__ import annotations

from branchmark.demo.dataset import build_demo_dataset
from branchmark.demo.detectors import (
    COLOUR_CONTOUR,
    HOUGH_CIRCLE,
    detect_colour_contours,
    detect_hough_circles,
)
from branchmark.demo.ontology import build_demo_ontology, describe_objects, object_title
from branchmark.demo.records import (
    DemoDataset,
    DemoDataUnit,
    Detection,
    DetectorInfo,
    DetectorRun,
    FrameDetections,
    FrameTruth,
    GroundTruthObject,
)

__all__ = [
    "COLOUR_CONTOUR",
    "HOUGH_CIRCLE",
    "DemoDataUnit",
    "DemoDataset",
    "Detection",
    "DetectorInfo",
    "DetectorRun",
    "FrameDetections",
    "FrameTruth",
    "GroundTruthObject",
    "build_demo_dataset",
    "build_demo_ontology",
    "describe_objects",
    "detect_colour_contours",
    "detect_hough_circles",
    "object_title",
]
