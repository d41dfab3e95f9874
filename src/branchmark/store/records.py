"""Plain records the store hands out (frozen dataclasses; times are aware UTC)."""

from __future__ import annotations

import dataclasses
import enum
from datetime import UTC, datetime
from typing import Any


class BranchKind(enum.StrEnum):
    """What a branch holds: ground truth, a model's predictions, or a consensus set."""

    MAIN = "main"
    PREDICTION = "prediction"
    CONSENSUS = "consensus"


def as_utc(moment: datetime | None) -> datetime | None:
    """Attach UTC to a naive datetime read from the database."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclasses.dataclass(frozen=True)
class ProjectRecord:
    id: int
    project_hash: str
    title: str
    description: str
    ontology_version: int
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class FrameRecord:
    """One image of an image group (``data_unit_frames``)."""

    frame: int
    image_hash: str
    title: str
    width: int
    height: int
    media_path: str = ""
    data_link: str = ""
    file_type: str = ""


@dataclasses.dataclass(frozen=True)
class DataUnitRecord:
    id: int
    project_id: int
    data_hash: str
    title: str
    data_type: str
    width: int | None
    height: int | None
    frames: int
    fps: float | None
    duration: float | None
    media_path: str
    data_link: str
    file_type: str
    dataset_hash: str
    dataset_title: str
    client_metadata: dict[str, Any] | None
    created_at: datetime
    frame_media: tuple[FrameRecord, ...] = ()

    def frame_size(self, frame: int) -> tuple[int | None, int | None]:
        """``(width, height)`` of ``frame`` (per image for image groups)."""
        for media in self.frame_media:
            if media.frame == frame:
                return media.width, media.height
        return self.width, self.height


@dataclasses.dataclass(frozen=True)
class BranchRecord:
    id: int
    project_id: int
    name: str
    kind: BranchKind
    meta: dict[str, Any]
    revision: int
    created_at: datetime


@dataclasses.dataclass(frozen=True)
class LabelRowRecord:
    id: int
    data_unit_id: int
    branch_id: int
    label_hash: str
    revision: int
    label_status: str
    created_at: datetime
    last_edited_at: datetime
