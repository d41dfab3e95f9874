"""An object on one or more frames (``encord.objects.ObjectInstance``).

One instance placed on several frames is a track: it keeps one ``object_hash`` and holds
coordinates, confidence, the manual flag and the rest of the metadata per frame.

Most instances (every box of an image prediction) are on one frame, so an instance first keeps
that frame's values as one tuple (``_compact``, ``_frame_map`` None; a box's coordinates as their
own tuple of floats): no ``FrameData`` and no dict per box, and nothing the cyclic collector
keeps walking (tuples of plain values leave its lists after its first pass).  A second
frame, or anything that needs a ``FrameData`` (an ``Annotation``, the reader), promotes the
instance to the general ``_frames`` dict once; the two forms behave identically.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from branchmark.errors import LabelRowError
from branchmark.objects import answers as answer_rules
from branchmark.objects.annotation import Annotation, AnswerForFrames, FrameData
from branchmark.objects.coordinates import SHAPE_COORDINATES, BoundingBoxCoordinates
from branchmark.objects.frames import Frames, frames_class_to_frames_list, frames_to_ranges
from branchmark.objects.timestamps import utc_now
from branchmark.objects.validation import (
    check_bitmask_size,
    check_confidence,
    check_normalised,
    frame_out_of_range,
)
from branchmark.ontology.attributes import Attribute
from branchmark.ontology.identifiers import generate_short_hash
from branchmark.ontology.ontology_object import Object

if TYPE_CHECKING:
    from branchmark.objects.label_row import LabelRowV2

FrameValues = tuple[int, Any, datetime, "str | None", datetime, "str | None", Any, Any, Any, Any]
# Keyed by the shape's string: hashing a str-Enum member runs Python code, a str does not.
_COORDINATE_CLASS = {shape.value: cls for shape, (cls, _) in SHAPE_COORDINATES.items()}
_EPOCH = datetime.fromtimestamp(0, UTC)
_NO_FRAMES: dict[int, FrameData] = {}  # a compact instance's first frame: nothing to overwrite


def _coordinates(compact: FrameValues) -> Any:
    """The coordinates object of a compact instance's values (a box is kept as a tuple)."""
    coordinates = compact[1]
    if type(coordinates) is tuple:
        return BoundingBoxCoordinates(*coordinates)
    return coordinates


class ObjectInstance:
    """An instance of an ontology :class:`~branchmark.ontology.Object`.

    ``object_hash`` defaults to a random 8-character base64 string (may hold ``+`` and ``/``).
    """

    __slots__ = (
        "_compact",
        "_dynamic_map",
        "_frame_map",
        "_object_hash",
        "_object_number",
        "_ontology_object",
        "_parent",
        "_static_map",
    )

    def __init__(
        self,
        ontology_object: Object,
        *,
        object_hash: str | None = None,
        object_number: int | None = None,
    ) -> None:
        if ontology_object.shape._value_ not in _COORDINATE_CLASS:
            raise LabelRowError(
                f"objects of shape {ontology_object.shape.value!r} are not supported "
                f"(object {ontology_object.name!r})"
            )
        self._ontology_object = ontology_object
        self._object_hash = object_hash or generate_short_hash()
        self._object_number = _check_object_number(object_number)
        # An instance on one frame (nearly every prediction) keeps that frame's values as one
        # FrameValues tuple in _compact, a bounding box's coordinates as their own tuple; the
        # general form is _frame_map.  Tuples of plain values drop out of the cyclic garbage
        # collector's lists after its first pass, and an instance whose frame data is one
        # such tuple costs a full collection one cold object to visit instead of several: those
        # passes over half a million kept instances were a third of building a prediction set.
        self._frame_map: dict[int, FrameData] | None = None
        self._compact: FrameValues | None = None
        self._parent: LabelRowV2 | None = None
        # answers: dicts made on first use (most predictions have none; see _static)
        self._static_map: answer_rules.StaticAnswers | None = None
        self._dynamic_map: dict[str, dict[int, tuple[Any, bool]]] | None = None

    @property
    def _static(self) -> answer_rules.StaticAnswers:
        """Static answers by attribute hash, made on first use.  Hot readers test
        ``_static_map`` (None when there are none) so as not to make one."""
        answers = self._static_map
        if answers is None:
            answers = self._static_map = {}
        return answers

    @_static.setter
    def _static(self, answers: answer_rules.StaticAnswers) -> None:
        self._static_map = answers

    @property
    def _dynamic(self) -> dict[str, dict[int, tuple[Any, bool]]]:
        """Dynamic answers by attribute hash then frame, made on first use (as ``_static``)."""
        answers = self._dynamic_map
        if answers is None:
            answers = self._dynamic_map = {}
        return answers

    @_dynamic.setter
    def _dynamic(self, answers: dict[str, dict[int, tuple[Any, bool]]]) -> None:
        self._dynamic_map = answers

    # frame storage ------------------------------------------------------------------------
    @property
    def _frames(self) -> dict[int, FrameData]:
        """Frame -> data, the general form (promotes a compact instance)."""
        frames = self._frame_map
        if frames is None:
            frames = self._frame_map = {}
            compact = self._compact
            if compact is not None:
                frame, _, *values = compact
                frames[frame] = FrameData(_coordinates(compact), *values)
                self._compact = None
        return frames

    @_frames.setter
    def _frames(self, frames: dict[int, FrameData]) -> None:
        self._frame_map = frames
        self._compact = None

    def _frame_numbers(self) -> Collection[int]:
        """The frames the instance is on, without promoting a compact instance."""
        frames = self._frame_map
        if frames is not None:
            return frames.keys()
        compact = self._compact
        return (compact[0],) if compact is not None else ()

    def _frame_values(self) -> list[FrameValues]:
        """``(frame, coordinates, created_at, created_by, last_edited_at, last_edited_by,
        confidence, manual_annotation, reviews, is_deleted)`` per frame, in insertion order,
        without promoting a compact instance (the writer's loop)."""
        frames = self._frame_map
        if frames is None:
            compact = self._compact
            if compact is None:
                return []
            return [(compact[0], _coordinates(compact), *compact[2:])]
        return [
            (
                frame, d.coordinates, d.created_at, d.created_by, d.last_edited_at,
                d.last_edited_by, d.confidence, d.manual_annotation, d.reviews, d.is_deleted,
            )
            for frame, d in frames.items()
        ]  # fmt: skip

    # identity -------------------------------------------------------------------------------
    @property
    def object_hash(self) -> str:
        return self._object_hash

    @property
    def feature_hash(self) -> str:
        return self._ontology_object.feature_node_hash

    @property
    def object_name(self) -> str:
        return self._ontology_object.name

    @property
    def ontology_item(self) -> Object:
        return self._ontology_object

    @property
    def object_number(self) -> int | None:
        return self._object_number

    @object_number.setter
    def object_number(self, value: int | None) -> None:
        self._object_number = _check_object_number(value)

    def is_assigned_to_label_row(self) -> bool:
        return self._parent is not None

    def _where(self) -> str:
        return f"ObjectInstance {self._object_hash!r} of {self._ontology_object.name!r}"

    def __repr__(self) -> str:
        return (
            f"ObjectInstance(object_hash={self._object_hash!r}, "
            f"object_name={self._ontology_object.name!r}, frames={sorted(self._frame_numbers())})"
        )

    def _strict(self) -> bool:
        return self._parent is None or self._parent.strict

    # frames ---------------------------------------------------------------------------------
    def set_for_frames(
        self,
        coordinates: Any,
        frames: Frames = 0,
        *,
        overwrite: bool = False,
        created_at: datetime | None = None,
        created_by: str | None = None,
        last_edited_at: datetime | None = None,
        last_edited_by: str | None = None,
        confidence: float | None = None,
        manual_annotation: bool | None = None,
        reviews: list[Any] | None = None,
        is_deleted: bool | None = None,
    ) -> None:
        """Place ``coordinates`` on every frame of ``frames`` (see :mod:`.frames`).

        The coordinate class must match the object's shape (``LabelRowError``); a frame that
        already has data needs ``overwrite=True`` (``LabelRowError``); a negative frame, or a
        frame beyond the data unit when the instance is on a row, raises ``FrameOutOfRange``.
        Defaults as the SDK: ``confidence`` 1.0, ``manual_annotation`` True, times now.  With
        ``overwrite``, metadata not given keeps its previous value.  Strict mode (default)
        also checks normalised coordinates within 0..1, polygon rings of 3+ points, confidence
        finite within 0..1 and bitmask size; the SDK checks none of these.  Nothing changes
        when a check fails.
        """
        expected = _COORDINATE_CLASS[self._ontology_object.shape._value_]
        if type(coordinates) is not expected:
            raise LabelRowError(
                f"Expected coordinates of one of the following types: `[{expected}]`, but got "
                f"type `{type(coordinates)}`. ({self._where()})"
            )
        frame_list = (frames,) if type(frames) is int else frames_class_to_frames_list(frames)
        parent = self._parent
        limit = parent.number_of_frames if parent is not None else None
        compact = self._frame_map is None and self._compact is None and len(frame_list) == 1
        existing = _NO_FRAMES if compact else self._frames
        for frame in frame_list:
            if frame < 0 or (limit is not None and frame >= limit):
                raise frame_out_of_range(frame, limit, where=self._where())
            if not overwrite and frame in existing:
                raise LabelRowError(
                    "Cannot overwrite existing data for a frame. Set `overwrite` to `True` to "
                    f"overwrite. ({self._where()}, frame {frame})"
                )
        if frame_list and (parent is None or parent.strict):
            check_normalised(coordinates, owner=self, frame=frame_list[0])
            if confidence is not None:
                check_confidence(confidence, owner=self, frame=frame_list[0])
            if parent is not None:
                for frame in frame_list:
                    width, height = parent._frame_size(frame)
                    check_bitmask_size(
                        coordinates, width=width, height=height, owner=self, frame=frame
                    )
        # (only read where a time was not given)
        now = utc_now() if created_at is None or last_edited_at is None else _EPOCH
        values = (
            created_at or now,
            created_by,
            last_edited_at or now,
            last_edited_by,
            1.0 if confidence is None else confidence,
            True if manual_annotation is None else manual_annotation,
            reviews,
            is_deleted,
        )
        if compact:  # the first and only frame: one tuple (see __init__)
            self._compact = (
                frame_list[0],
                (
                    (
                        coordinates.height,
                        coordinates.width,
                        coordinates.top_left_x,
                        coordinates.top_left_y,
                    )
                    if type(coordinates) is BoundingBoxCoordinates
                    else coordinates
                ),
                *values,
            )
            return
        for frame in frame_list:
            data = existing.get(frame)
            if data is None:
                existing[frame] = FrameData(coordinates, *values)
                continue
            data.coordinates = coordinates
            if created_at is not None:
                data.created_at = created_at
            if created_by is not None:
                data.created_by = created_by
            data.last_edited_at = last_edited_at or now
            if last_edited_by is not None:
                data.last_edited_by = last_edited_by
            if confidence is not None:
                data.confidence = confidence
            if manual_annotation is not None:
                data.manual_annotation = manual_annotation
            if reviews is not None:
                data.reviews = reviews
            if is_deleted is not None:
                data.is_deleted = is_deleted

    def _check_confidence(self, confidence: Any, frame: int) -> None:
        if self._strict():
            check_confidence(confidence, owner=self, frame=frame)

    def _frame_data(self, frame: int) -> FrameData:
        data = self._frames.get(frame)
        if data is None:
            raise LabelRowError(f"{self._where()} is not on frame {frame}")
        return data

    def get_annotation(self, frame: int = 0) -> Annotation:
        """The :class:`Annotation` of ``frame`` (``LabelRowError`` if not on that frame)."""
        self._frame_data(frame)
        return Annotation(self, frame)

    def get_annotations(self) -> list[Annotation]:
        """Annotations of every frame, sorted by frame."""
        return [Annotation(self, frame) for frame in sorted(self._frames)]

    def get_annotation_frames(self) -> set[int]:
        return set(self._frame_numbers())

    def remove_from_frames(self, frames: Frames) -> None:
        """Remove the instance (and its dynamic answers) from ``frames``."""
        for frame in frames_class_to_frames_list(frames):
            self._frames.pop(frame, None)
            for per_frame in self._dynamic.values():
                per_frame.pop(frame, None)

    def is_valid(self) -> None:
        """``LabelRowError`` when the instance is on no frame (as the SDK)."""
        if not self._frame_numbers():
            raise LabelRowError(
                "ObjectInstance is not on any frames. Please add it to at least one frame."
            )

    def copy(self) -> ObjectInstance:
        """An identical instance with a new hash, on no label row (no ``object_number``)."""
        twin = ObjectInstance(self._ontology_object)
        twin._frames = {frame: data.copy() for frame, data in self._frames.items()}
        twin._static = {
            k: (list(v) if isinstance(v, list) else v, m) for k, (v, m) in self._static.items()
        }
        twin._dynamic = {k: dict(v) for k, v in self._dynamic.items()}
        return twin

    # answers --------------------------------------------------------------------------------
    def set_answer(
        self,
        answer: Any,
        attribute: Attribute | None = None,
        frames: Frames | None = None,
        overwrite: bool = False,
        manual_annotation: bool = True,
    ) -> None:
        """Answer an attribute (inferred from ``answer`` when omitted; SDK rules).

        A dynamic attribute with ``frames=None`` gets the answer on every frame that has
        coordinates; ``frames=`` on a static attribute raises ``LabelRowError``.
        """
        attribute = answer_rules.resolve_attribute(
            self._ontology_object, answer, attribute, kind="Object"
        )
        if not attribute.dynamic:
            if frames is not None:
                raise LabelRowError(
                    "Setting frames is only possible for dynamic attributes. "
                    f"({self._where()}, attribute {attribute.name!r})"
                )
            answer_rules.set_static_answer(
                self._static,
                attribute,
                answer,
                overwrite=overwrite,
                manual=manual_annotation,
                where=self._where(),
            )
            return
        value = answer_rules.check_answer(attribute, answer, where=self._where())
        frame_list = (
            sorted(self._frame_numbers()) if frames is None else frames_class_to_frames_list(frames)
        )
        per_frame = self._dynamic.setdefault(attribute.feature_node_hash, {})
        if not overwrite:
            taken = [f for f in frame_list if f in per_frame]
            if taken:
                raise LabelRowError(
                    "The answer to this attribute was already set. Set `overwrite` to `True` if "
                    f"you want tooverwrite an existing answer to an attribute. ({self._where()}, "
                    f"attribute {attribute.name!r}, frames {taken})"
                )
        for frame in frame_list:
            per_frame[frame] = (value, manual_annotation)

    def get_answer(
        self,
        attribute: Attribute,
        filter_answer: Any = None,
        filter_frame: int | None = None,
        is_dynamic: bool | None = None,
    ) -> Any:
        """Static: the answer (None / ``[]`` when unanswered).  Dynamic: a list of
        :class:`AnswerForFrames`, optionally only those holding ``filter_answer`` or covering
        ``filter_frame``."""
        attribute = answer_rules.resolve_attribute(
            self._ontology_object, None, attribute, kind="Object"
        )
        if not attribute.dynamic:
            return answer_rules.get_static_answer(self._static, attribute)
        groups = self._dynamic_groups(attribute)
        out = []
        for value, _manual, frames in groups:
            if filter_answer is not None and answer_rules.answer_key(
                filter_answer
            ) != answer_rules.answer_key(value):
                continue
            if filter_frame is not None and filter_frame not in frames:
                continue
            out.append(AnswerForFrames(answer=value, ranges=frames_to_ranges(frames)))
        return out

    def delete_answer(self, attribute: Attribute, filter_frame: int | None = None) -> None:
        """Forget the answer of ``attribute`` (of one frame only for a dynamic attribute)."""
        if attribute.dynamic:
            per_frame = self._dynamic.get(attribute.feature_node_hash, {})
            if filter_frame is None:
                per_frame.clear()
            else:
                per_frame.pop(filter_frame, None)
        else:
            self._static.pop(attribute.feature_node_hash, None)

    def _dynamic_groups(self, attribute: Attribute) -> list[tuple[Any, bool, list[int]]]:
        """Distinct (answer, manual flag) of a dynamic attribute with their sorted frames."""
        groups: dict[Any, tuple[Any, bool, list[int]]] = {}
        per_frame = self._dynamic.get(attribute.feature_node_hash, {})
        for frame in sorted(per_frame):
            value, manual = per_frame[frame]
            key = (answer_rules.answer_key(value), manual)
            if key not in groups:
                groups[key] = (value, manual, [])
            groups[key][2].append(frame)
        return list(groups.values())

    def _dynamic_frames(self) -> set[int]:
        return {frame for per_frame in self._dynamic.values() for frame in per_frame}


def _check_object_number(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise LabelRowError(f"object_number must be a non-negative int or None, got {value!r}")
    return value


def iter_frames(instances: Iterable[ObjectInstance]) -> set[int]:
    """Every frame any of ``instances`` is on."""
    return {frame for instance in instances for frame in instance._frame_numbers()}
