"""A classification on frames of a data unit (``encord.objects.ClassificationInstance``).

Since SDK 0.1.205 the label-row JSON keeps **one** metadata set per instance (confidence, manual
flag, creator, times); per-frame metadata is kept in memory and the last ``set_for_frames`` call
sets the instance's values, as the SDK does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from branchmark.errors import LabelRowError
from branchmark.objects import answers as answer_rules
from branchmark.objects.annotation import FrameData
from branchmark.objects.frames import Frames, Range, frames_class_to_frames_list, frames_to_ranges
from branchmark.objects.validation import check_confidence, frame_out_of_range
from branchmark.ontology.attributes import Attribute
from branchmark.ontology.classification import Classification
from branchmark.ontology.identifiers import generate_short_hash

if TYPE_CHECKING:
    from branchmark.objects.label_row import LabelRowV2


class ClassificationAnnotation:
    """One frame of a classification instance (``frame`` and the instance's metadata)."""

    __slots__ = ("_data", "frame")

    def __init__(self, frame: int, data: FrameData) -> None:
        self.frame = frame
        self._data = data

    @property
    def confidence(self) -> float:
        return self._data.confidence

    @property
    def manual_annotation(self) -> bool:
        return self._data.manual_annotation

    @property
    def created_at(self) -> datetime:
        return self._data.created_at

    @property
    def created_by(self) -> str | None:
        return self._data.created_by

    @property
    def last_edited_at(self) -> datetime:
        return self._data.last_edited_at

    @property
    def last_edited_by(self) -> str | None:
        return self._data.last_edited_by

    def __repr__(self) -> str:
        return f"ClassificationAnnotation(frame={self.frame})"


class ClassificationInstance:
    """An instance of an ontology :class:`~branchmark.ontology.Classification`."""

    __slots__ = ("_frames", "_hash", "_meta", "_ontology", "_parent", "_range_only", "_static")

    def __init__(
        self,
        ontology_classification: Classification,
        *,
        classification_hash: str | None = None,
        range_only: bool = False,
    ) -> None:
        self._ontology = ontology_classification
        self._hash = classification_hash or generate_short_hash()
        self._range_only = range_only
        self._frames: dict[int, FrameData] = {}
        now = datetime.now(UTC)
        self._meta = FrameData(None, now, None, now, None, 1.0, True, None, None)
        self._parent: LabelRowV2 | None = None
        self._static: answer_rules.StaticAnswers = {}

    @property
    def classification_hash(self) -> str:
        return self._hash

    @property
    def feature_hash(self) -> str:
        return self._ontology.feature_node_hash

    @property
    def classification_name(self) -> str:
        return self._ontology.title

    @property
    def ontology_item(self) -> Classification:
        return self._ontology

    @property
    def confidence(self) -> float:
        return self._meta.confidence

    @property
    def manual_annotation(self) -> bool:
        return self._meta.manual_annotation

    @property
    def created_at(self) -> datetime:
        return self._meta.created_at

    @property
    def created_by(self) -> str | None:
        return self._meta.created_by

    @property
    def last_edited_at(self) -> datetime:
        return self._meta.last_edited_at

    @property
    def last_edited_by(self) -> str | None:
        return self._meta.last_edited_by

    def is_global(self) -> bool:
        return self._ontology.is_global

    def is_range_only(self) -> bool:
        return self._range_only

    def is_assigned_to_label_row(self) -> bool:
        return self._parent is not None

    def _where(self) -> str:
        return f"ClassificationInstance {self._hash!r} of {self._ontology.title!r}"

    def __repr__(self) -> str:
        return (
            f"ClassificationInstance(classification_hash={self._hash!r}, "
            f"classification_name={self.classification_name!r}, frames={sorted(self._frames)})"
        )

    def set_for_frames(
        self,
        frames: Frames = 0,
        *,
        overwrite: bool = False,
        created_at: datetime | None = None,
        created_by: str | None = None,
        confidence: float = 1.0,
        manual_annotation: bool = True,
        last_edited_at: datetime | None = None,
        last_edited_by: str | None = None,
        reviews: list[Any] | None = None,
    ) -> None:
        """Put the classification on ``frames``; the instance's metadata becomes this call's.

        Frame bounds (``FrameOutOfRange``) and overlap with another instance of the same
        classification (``LabelRowError``) are checked when the instance is on a row; strict
        mode also checks the confidence (finite, within 0..1).
        """
        frame_list = [frames] if type(frames) is int else frames_class_to_frames_list(frames)
        parent = self._parent
        limit = parent.number_of_frames if parent is not None else None
        for frame in frame_list:
            if frame < 0 or (limit is not None and frame >= limit):
                raise frame_out_of_range(frame, limit, where=self._where())
            if not overwrite and frame in self._frames:
                raise LabelRowError(
                    "Cannot overwrite existing data for a frame. Set `overwrite` to `True` to "
                    f"overwrite. ({self._where()}, frame {frame})"
                )
        if parent is None or parent.strict:
            check_confidence(confidence, owner=self, frame=frame_list[0] if frame_list else None)
        if parent is not None:
            parent._check_classification_overlap(self, frame_list)
        now = datetime.now(UTC)
        data = FrameData(
            None,
            created_at or now,
            created_by,
            last_edited_at or now,
            last_edited_by,
            confidence,
            manual_annotation,
            reviews,
            None,
        )
        for frame in frame_list:
            self._frames[frame] = data
        if frame_list:
            self._meta = data

    def _set_metadata(self, data: FrameData) -> None:
        self._meta = data

    def get_annotations(self) -> list[ClassificationAnnotation]:
        return [
            ClassificationAnnotation(frame, self._frames[frame]) for frame in sorted(self._frames)
        ]

    def get_annotation(self, frame: int = 0) -> ClassificationAnnotation:
        data = self._frames.get(frame)
        if data is None:
            raise LabelRowError(f"{self._where()} is not on frame {frame}")
        return ClassificationAnnotation(frame, data)

    def get_annotation_frames(self) -> set[int]:
        return set(self._frames)

    def frame_ranges(self) -> list[Range]:
        return frames_to_ranges(self._frames)

    def remove_from_frames(self, frames: Frames) -> None:
        for frame in frames_class_to_frames_list(frames):
            self._frames.pop(frame, None)

    def is_valid(self) -> None:
        if not self._frames and not self._ontology.is_global and not self._range_only:
            raise LabelRowError(
                "ClassificationInstance is not on any frames. Please add it to at least one frame."
            )

    def copy(self) -> ClassificationInstance:
        """An identical instance with a new hash, on no label row."""
        twin = ClassificationInstance(self._ontology, range_only=self._range_only)
        twin._frames = {frame: data.copy() for frame, data in self._frames.items()}
        twin._meta = self._meta.copy()
        twin._static = dict(self._static)
        return twin

    def set_answer(
        self, answer: Any, attribute: Attribute | None = None, overwrite: bool = False
    ) -> None:
        """Answer the root attribute or a nested one (SDK rules; no manual flag: answers are
        written with ``manualAnnotation: true``).

        SDK quirk kept for compatibility: when ``attribute`` is inferred, the check that the
        parent option is selected is skipped, so a ``str`` answer on a radio classification
        lands in a text attribute nested under one of its options.
        """
        inferred = attribute is None
        attribute = answer_rules.resolve_attribute(
            self._ontology, answer, attribute, kind="Classification"
        )
        answer_rules.set_static_answer(
            self._static,
            attribute,
            answer,
            overwrite=overwrite,
            manual=True,
            where=self._where(),
            check_parent=not inferred,
        )

    def get_answer(self, attribute: Attribute | None = None) -> Any:
        """The answer of ``attribute`` (default: the root attribute)."""
        if attribute is None:
            if not self._ontology.attributes:
                raise LabelRowError(f"{self._where()}: the classification has no attribute")
            attribute = self._ontology.attributes[0]
        attribute = answer_rules.resolve_attribute(
            self._ontology, None, attribute, kind="Classification"
        )
        return answer_rules.get_static_answer(self._static, attribute)

    def delete_answer(self, attribute: Attribute | None = None) -> None:
        attribute = attribute or self._ontology.attributes[0]
        self._static.pop(attribute.feature_node_hash, None)
