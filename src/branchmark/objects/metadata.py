"""Identity and media facts of one label row, known before its labels are loaded.

This is what ``Project.list_label_rows_v2`` hands to each ``LabelRowV2`` (Encord's
``LabelRowMetadata``), and what the store backend gives back after a load or a save.
"""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any


class DataType(str, enum.Enum):  # noqa: UP042  (a StrEnum's str() would give the value)
    """Media type of a data unit; values are the lower-case strings of the label-row JSON."""

    IMAGE = "image"
    VIDEO = "video"
    IMG_GROUP = "img_group"
    IMAGE_SEQUENCE = "image_sequence"
    DICOM = "dicom"

    @classmethod
    def parse(cls, value: DataType | str) -> DataType:
        """Accept the enum, its value in any case (``"VIDEO"`` as in listings), or its name."""
        if isinstance(value, DataType):
            return value
        member = _BY_TEXT.get(value)  # the stored value itself: every listed row asks
        if member is not None:
            return member
        text = str(value).strip().lower()
        for member in cls:
            if member.value == text or member.name.lower() == text:
                return member
        raise ValueError(f"unknown data type {value!r}; expected one of {[m.value for m in cls]}")


_BY_TEXT: dict[Any, DataType] = {member.value: member for member in DataType}


@dataclasses.dataclass(frozen=True)
class FrameMedia:
    """One frame of a data unit that has per-frame media (an image of an image group).

    ``image_hash`` keys the frame's entry in the label-row JSON ``data_units``.
    """

    index: int
    image_hash: str
    title: str
    width: int
    height: int
    data_link: str = ""
    file_type: str = ""


@dataclasses.dataclass(frozen=True)
class LabelRowMetadata:
    """Everything about a label row except its labels.

    ``label_hash`` is None until the row exists on ``branch_name`` (Encord semantics: listing a
    branch that has nothing saved for this data unit yet gives such a row). ``revision`` is the
    store's revision number of the row, 0 for a row that does not exist yet; ``save`` checks it.
    """

    data_hash: str
    data_title: str
    data_type: DataType
    branch_name: str = "main"
    label_hash: str | None = None
    revision: int = 0
    dataset_hash: str = ""
    dataset_title: str = ""
    project_hash: str = ""
    label_status: str = "NOT_LABELLED"
    annotation_task_status: str | None = None
    created_at: datetime | None = None
    last_edited_at: datetime | None = None
    number_of_frames: int = 1
    fps: float | None = None
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    file_type: str = ""
    data_link: str = ""
    client_metadata: dict[str, Any] | None = None
    frames: tuple[FrameMedia, ...] = ()

    def replace(self, **changes: Any) -> LabelRowMetadata:
        """A copy with ``changes`` applied."""
        return dataclasses.replace(self, **changes)
