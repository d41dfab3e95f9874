"""The objects an evaluation scores: ground truth and detections as columns of arrays.

Images and categories are positions (``0..n-1``) into the caller's lists of evaluated images and
classes; ``-1`` leaves an object out (an image or class not evaluated).  Geometry is not held
here: a similarity provider (:mod:`branchmark.evaluation.similarity`) scores pairs by index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray


def _column(
    values: ArrayLike, dtype: type[np.generic], length: int | None, name: str
) -> NDArray[Any]:
    array = np.ascontiguousarray(values, dtype=dtype)
    if array.ndim != 1 or (length is not None and len(array) != length):
        expected = f"({length if length is not None else 'N'},)"
        raise ValueError(f"{name}: expected shape {expected}, got {array.shape}")
    return array


@dataclass(frozen=True)
class GroundTruth:
    """``G`` ground-truth objects.

    Attributes
    ----------
    image, category : ``(G,)`` int64 positions of the object's evaluation image and class.
    area : ``(G,)`` float64 area in pixels² that decides the area range (COCO ``area``).
    crowd : ``(G,)`` bool; a crowd region is ignored and may absorb many detections.
    ignore : ``(G,)`` bool; ignored whatever its area (defaults to ``crowd``; for keypoints
        also a GT without labelled points, as ``COCOeval._prepare``).
    unmatchable : ``(G,)`` bool; a detection matched to it still counts as unmatched.  Only
        the COCO readers set it, for annotations with ``id`` 0: ``COCOeval.evaluateImg`` stores
        the matched id and ``accumulate`` reads id 0 as "no match".
    """

    image: NDArray[np.int64]
    category: NDArray[np.int64]
    area: NDArray[np.float64]
    crowd: NDArray[np.bool_]
    # None (the default) is replaced by an array in __post_init__: readers always see arrays.
    ignore: NDArray[np.bool_] = None  # type: ignore[assignment]
    unmatchable: NDArray[np.bool_] = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        n = len(np.asarray(self.image))
        object.__setattr__(self, "image", _column(self.image, np.int64, None, "image"))
        object.__setattr__(self, "category", _column(self.category, np.int64, n, "category"))
        object.__setattr__(self, "area", _column(self.area, np.float64, n, "area"))
        object.__setattr__(self, "crowd", _column(self.crowd, np.bool_, n, "crowd"))
        ignore = self.crowd if self.ignore is None else self.ignore
        object.__setattr__(self, "ignore", _column(ignore, np.bool_, n, "ignore") | self.crowd)
        unmatchable = np.zeros(n, bool) if self.unmatchable is None else self.unmatchable
        object.__setattr__(self, "unmatchable", _column(unmatchable, np.bool_, n, "unmatchable"))

    def __len__(self) -> int:
        return len(self.image)


@dataclass(frozen=True)
class Detections:
    """``D`` detections (predictions).

    Attributes
    ----------
    image, category : ``(D,)`` int64 positions, as in :class:`GroundTruth`.
    score : ``(D,)`` float64 confidence; ties keep input order (stable sort, as pycocotools).
    area : ``(D,)`` float64 area in pixels²; an unmatched detection outside the area range is
        ignored.
    """

    image: NDArray[np.int64]
    category: NDArray[np.int64]
    score: NDArray[np.float64]
    area: NDArray[np.float64]

    def __post_init__(self) -> None:
        n = len(np.asarray(self.image))
        object.__setattr__(self, "image", _column(self.image, np.int64, None, "image"))
        object.__setattr__(self, "category", _column(self.category, np.int64, n, "category"))
        object.__setattr__(self, "score", _column(self.score, np.float64, n, "score"))
        object.__setattr__(self, "area", _column(self.area, np.float64, n, "area"))

    def __len__(self) -> int:
        return len(self.image)
