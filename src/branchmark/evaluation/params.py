"""Parameters of the COCO protocol (pycocotools ``Params.setDetParams`` / ``setKpParams``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.geometry.keypoints import COCO_PERSON_SIGMAS


class IouType(StrEnum):
    """What the similarity compares: boxes, masks (``segm``) or keypoints (OKS)."""

    BBOX = "bbox"
    SEGM = "segm"
    KEYPOINTS = "keypoints"


def _linspace(start: float, stop: float, step: float) -> NDArray[np.float64]:
    # Params.setDetParams builds the grids this way; stats look thresholds up by equality.
    return np.linspace(start, stop, int(np.round((stop - start) / step)) + 1, endpoint=True)


#: IoU thresholds 0.50:0.05:0.95, bit-identical to pycocotools' ``iouThrs`` (0.8999999999999999
#: included): parity depends on it, do not round.
COCO_IOU_THRESHOLDS: NDArray[np.float64] = _linspace(0.5, 0.95, 0.05)
#: Recall thresholds 0:0.01:1 (101-point interpolation).
COCO_RECALL_THRESHOLDS: NDArray[np.float64] = _linspace(0.0, 1.0, 0.01)
#: The grid the analysis layer stores outcomes on: 0.05:0.05:0.95, each value the double nearest
#: its two-decimal label (linspace gives 0.49999999999999994 for "0.5", so an IoU just below 0.5
#: would match at 0.5).  Matching keeps COCO's ``>=``: an IoU of exactly 0.5 matches at 0.5.
ANALYSIS_IOU_THRESHOLDS: NDArray[np.float64] = np.round(_linspace(0.05, 0.95, 0.05), 2)


def _frozen(values: ArrayLike, shape_tail: tuple[int, ...], name: str) -> NDArray[np.float64]:
    array = np.array(values, dtype=np.float64)
    if array.ndim != 1 + len(shape_tail) or array.shape[1:] != shape_tail:
        expected = "(N" + "".join(f", {s}" for s in shape_tail) + ")"
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    array.flags.writeable = False
    return array


@dataclass(frozen=True)
class CocoParams:
    """One COCO evaluation's parameters.

    Attributes
    ----------
    iou_type : what is compared.
    iou_thresholds : ``(T,)`` similarity thresholds.
    recall_thresholds : ``(R,)`` recall points of the interpolated precision.
    max_dets : detections kept per image and class, ascending (``maxDets``).
    area_ranges : ``(A, 2)`` inclusive ``[min, max]`` object areas in pixels² (``areaRng``).
    area_labels : ``A`` names (``areaRngLbl``); the summary looks ``all``, ``small``... up.
    use_cats : False pools all categories (``useCats=0``).
    keypoint_sigmas : ``(K,)`` OKS sigmas (keypoints only).
    """

    iou_type: IouType = IouType.BBOX
    iou_thresholds: NDArray[np.float64] = field(default_factory=lambda: COCO_IOU_THRESHOLDS)
    recall_thresholds: NDArray[np.float64] = field(default_factory=lambda: COCO_RECALL_THRESHOLDS)
    max_dets: tuple[int, ...] = (1, 10, 100)
    area_ranges: NDArray[np.float64] = field(
        default_factory=lambda: np.array([[0, 1e10], [0, 32**2], [32**2, 96**2], [96**2, 1e10]])
    )
    area_labels: tuple[str, ...] = ("all", "small", "medium", "large")
    use_cats: bool = True
    keypoint_sigmas: NDArray[np.float64] = field(default_factory=lambda: COCO_PERSON_SIGMAS)

    def __post_init__(self) -> None:
        object.__setattr__(self, "iou_type", IouType(self.iou_type))
        object.__setattr__(self, "iou_thresholds", _frozen(self.iou_thresholds, (), "iouThrs"))
        object.__setattr__(
            self, "recall_thresholds", _frozen(self.recall_thresholds, (), "recThrs")
        )
        object.__setattr__(self, "area_ranges", _frozen(self.area_ranges, (2,), "areaRng"))
        object.__setattr__(self, "keypoint_sigmas", _frozen(self.keypoint_sigmas, (), "sigmas"))
        # COCOeval.evaluate sorts maxDets; the largest one truncates detections per image.
        object.__setattr__(self, "max_dets", tuple(sorted(int(m) for m in self.max_dets)))
        object.__setattr__(self, "area_labels", tuple(str(a) for a in self.area_labels))
        if len(self.area_labels) != len(self.area_ranges):
            raise ValueError(
                f"areaRngLbl: expected {len(self.area_ranges)} labels, got {len(self.area_labels)}"
            )
        if not self.max_dets:
            raise ValueError("maxDets: expected at least one value, got none")

    @classmethod
    def for_iou_type(cls, iou_type: IouType | str) -> CocoParams:
        """pycocotools' defaults for ``iou_type`` (keypoints: maxDets 20, no ``small``).

        Examples
        --------
        >>> CocoParams.for_iou_type("keypoints").max_dets
        (20,)
        """
        kind = IouType(iou_type)
        if kind is IouType.KEYPOINTS:
            return cls(
                iou_type=kind,
                max_dets=(20,),
                area_ranges=np.array([[0, 1e10], [32**2, 96**2], [96**2, 1e10]]),
                area_labels=("all", "medium", "large"),
            )
        return cls(iou_type=kind)
