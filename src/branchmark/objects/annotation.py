"""Per-frame data of an instance and the ``Annotation`` view over it."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from branchmark.objects.frames import Range

if TYPE_CHECKING:
    from branchmark.objects.object_instance import ObjectInstance

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class FrameData:
    """Coordinates and metadata of an instance on one frame (plain slots: this is per box)."""

    __slots__ = (
        "confidence",
        "coordinates",
        "created_at",
        "created_by",
        "is_deleted",
        "last_edited_at",
        "last_edited_by",
        "manual_annotation",
        "reviews",
    )

    def __init__(
        self,
        coordinates: Any,
        created_at: datetime,
        created_by: str | None,
        last_edited_at: datetime,
        last_edited_by: str | None,
        confidence: float,
        manual_annotation: bool,
        reviews: list[Any] | None,
        is_deleted: bool | None,
    ) -> None:
        self.coordinates = coordinates
        self.created_at = created_at
        self.created_by = created_by
        self.last_edited_at = last_edited_at
        self.last_edited_by = last_edited_by
        self.confidence = confidence
        self.manual_annotation = manual_annotation
        self.reviews = reviews
        self.is_deleted = is_deleted

    def copy(self) -> FrameData:
        return FrameData(
            self.coordinates,
            self.created_at,
            self.created_by,
            self.last_edited_at,
            self.last_edited_by,
            self.confidence,
            self.manual_annotation,
            None if self.reviews is None else list(self.reviews),
            self.is_deleted,
        )


def check_email(value: str | None) -> str | None:
    """``value`` if None or an e-mail address, else ``ValueError("Invalid email address")``."""
    if value is not None and not _EMAIL.match(value):
        raise ValueError("Invalid email address")
    return value


class Annotation:
    """One frame of an object instance: ``frame``, ``coordinates`` and metadata (read/write).

    Setting ``coordinates`` goes through ``set_for_frames(..., overwrite=True)`` so the same
    checks apply; setting ``created_by``/``last_edited_by`` checks for an e-mail address
    (``ValueError``), as the SDK does.
    """

    __slots__ = ("_frame", "_instance")

    def __init__(self, instance: ObjectInstance, frame: int) -> None:
        self._instance = instance
        self._frame = frame

    def _data(self) -> FrameData:
        return self._instance._frame_data(self._frame)

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def coordinates(self) -> Any:
        return self._data().coordinates

    @coordinates.setter
    def coordinates(self, value: Any) -> None:
        self._instance.set_for_frames(value, self._frame, overwrite=True)

    @property
    def confidence(self) -> float:
        return self._data().confidence

    @confidence.setter
    def confidence(self, value: float) -> None:
        self._instance._check_confidence(value, self._frame)
        self._data().confidence = value

    @property
    def manual_annotation(self) -> bool:
        return self._data().manual_annotation

    @manual_annotation.setter
    def manual_annotation(self, value: bool) -> None:
        self._data().manual_annotation = bool(value)

    @property
    def created_at(self) -> datetime:
        return self._data().created_at

    @created_at.setter
    def created_at(self, value: datetime) -> None:
        self._data().created_at = value

    @property
    def created_by(self) -> str | None:
        return self._data().created_by

    @created_by.setter
    def created_by(self, value: str | None) -> None:
        self._data().created_by = check_email(value)

    @property
    def last_edited_at(self) -> datetime:
        return self._data().last_edited_at

    @last_edited_at.setter
    def last_edited_at(self, value: datetime) -> None:
        self._data().last_edited_at = value

    @property
    def last_edited_by(self) -> str | None:
        return self._data().last_edited_by

    @last_edited_by.setter
    def last_edited_by(self, value: str | None) -> None:
        self._data().last_edited_by = check_email(value)

    @property
    def is_deleted(self) -> bool | None:
        return self._data().is_deleted

    @property
    def reviews(self) -> list[Any] | None:
        return self._data().reviews

    def __repr__(self) -> str:
        return f"Annotation(frame={self._frame}, coordinates={self.coordinates!r})"


@dataclasses.dataclass(frozen=True)
class AnswerForFrames:
    """A dynamic answer and the inclusive frame ranges it holds on."""

    answer: Any
    ranges: list[Range]
