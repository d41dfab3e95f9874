"""One frame of a label row (``LabelRowV2.get_frame_view``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from branchmark.ontology.classification import Classification
from branchmark.ontology.ontology_object import Object

if TYPE_CHECKING:
    from branchmark.objects.classification_instance import ClassificationInstance
    from branchmark.objects.label_row import LabelRowV2
    from branchmark.objects.object_instance import ObjectInstance


class FrameView:
    """A frame's media facts (per image for an image group) and the labels on it."""

    __slots__ = ("_frame", "_row")

    def __init__(self, row: LabelRowV2, frame: int) -> None:
        self._row = row
        self._frame = frame

    @property
    def frame(self) -> int:
        return self._frame

    @property
    def width(self) -> int | None:
        return self._row._frame_size(self._frame)[0]

    @property
    def height(self) -> int | None:
        return self._row._frame_size(self._frame)[1]

    @property
    def image_hash(self) -> str:
        frames = self._row.label_row_metadata.frames
        return frames[self._frame].image_hash if frames else self._row.data_hash

    @property
    def image_title(self) -> str:
        frames = self._row.label_row_metadata.frames
        return frames[self._frame].title if frames else self._row.data_title

    @property
    def data_link(self) -> str:
        frames = self._row.label_row_metadata.frames
        return frames[self._frame].data_link if frames else self._row.data_link

    @property
    def file_type(self) -> str:
        frames = self._row.label_row_metadata.frames
        return frames[self._frame].file_type if frames else self._row.file_type

    def get_object_instances(
        self, filter_ontology_object: Object | None = None
    ) -> list[ObjectInstance]:
        return self._row.get_object_instances(filter_ontology_object, filter_frames=self._frame)

    def get_classification_instances(
        self, filter_ontology_classification: Classification | None = None
    ) -> list[ClassificationInstance]:
        return self._row.get_classification_instances(
            filter_ontology_classification, filter_frames=self._frame
        )

    def __repr__(self) -> str:
        return f"FrameView(frame={self._frame}, width={self.width}, height={self.height})"
