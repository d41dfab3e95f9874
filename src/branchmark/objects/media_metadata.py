"""Media facts given by the caller, for a label row that has no project yet.

``LabelRowV2.from_media_metadata`` (Encord SDK >= 0.1.198) builds a *detached* row from one of
these instead of from a project listing: ``CustomerProvidedImageMetadata`` gives an image,
``CustomerProvidedVideoMetadata`` a video of ``ceil(fps * duration)`` frames, and a list of
image metadata an image group.  The classes keep Encord's names, fields and field order (the
SDK defines them in ``encord.orm.storage``); here they are plain frozen dataclasses.  Encord's
audio, text and PDF metadata have no branchmark data type, so they are refused with a
``LabelRowError`` naming the class.

A detached row's identity is the zero UUID (label, data and dataset hash) with empty titles and
links, as in the SDK; ``LabelRowV2.attach_to_project`` later replaces it with a stored row's.
"""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Sequence
from typing import Any, TypeAlias

from branchmark.errors import LabelRowError
from branchmark.objects.label_writer import ZERO_UUID
from branchmark.objects.metadata import DataType, FrameMedia, LabelRowMetadata


@dataclasses.dataclass(frozen=True)
class CustomerProvidedImageMetadata:
    """An image: MIME type (e.g. ``image/png``), file size in bytes, height and width in pixels."""

    mime_type: str
    file_size: int
    height: int
    width: int


@dataclasses.dataclass(frozen=True)
class CustomerProvidedVideoMetadata:
    """A video: frames per second, duration in seconds, width and height in pixels, file size
    in bytes and MIME type (e.g. ``video/mp4``)."""

    fps: float
    duration: float
    width: int
    height: int
    file_size: int
    mime_type: str


MediaMetadata: TypeAlias = (
    CustomerProvidedImageMetadata
    | CustomerProvidedVideoMetadata
    | Sequence[CustomerProvidedImageMetadata]
)
"""What ``LabelRowV2.from_media_metadata`` accepts; a sequence of images is an image group."""

_SUPPORTED = (
    "CustomerProvidedImageMetadata (an image), CustomerProvidedVideoMetadata (a video) or a "
    "list of CustomerProvidedImageMetadata (an image group)"
)


def detached_metadata(
    media_metadata: MediaMetadata, *, branch_name: str = "main"
) -> LabelRowMetadata:
    """The listing metadata of a detached row over ``media_metadata``.

    ``LabelRowError`` for an empty image list and for any other kind of metadata (Encord's
    audio, text and PDF metadata included), naming its type.

    >>> video = CustomerProvidedVideoMetadata(29.97, 10.0, 640, 480, 0, "video/mp4")
    >>> meta = detached_metadata(video)
    >>> (meta.data_type.value, meta.number_of_frames, meta.data_hash == ZERO_UUID)
    ('video', 300, True)
    """
    if isinstance(media_metadata, CustomerProvidedImageMetadata):
        return _detached(
            branch_name,
            data_type=DataType.IMAGE,
            number_of_frames=1,
            width=media_metadata.width,
            height=media_metadata.height,
            file_type=media_metadata.mime_type,
        )
    if isinstance(media_metadata, CustomerProvidedVideoMetadata):
        return _detached(
            branch_name,
            data_type=DataType.VIDEO,
            number_of_frames=math.ceil(media_metadata.fps * media_metadata.duration),
            fps=media_metadata.fps,
            duration=media_metadata.duration,
            width=media_metadata.width,
            height=media_metadata.height,
            file_type=media_metadata.mime_type,
        )
    if isinstance(media_metadata, Sequence) and not isinstance(media_metadata, str | bytes):
        frames = _group_frames(media_metadata)
        return _detached(
            branch_name,
            data_type=DataType.IMG_GROUP,
            number_of_frames=len(frames),
            frames=frames,
        )
    raise LabelRowError(
        f"from_media_metadata does not support {type(media_metadata).__name__}: branchmark "
        f"builds detached rows from {_SUPPORTED} only (audio, text and PDF rows are not "
        f"implemented)."
    )


def _detached(branch_name: str, **media: Any) -> LabelRowMetadata:
    return LabelRowMetadata(
        data_hash=ZERO_UUID,
        data_title="",
        branch_name=branch_name,
        label_hash=ZERO_UUID,
        dataset_hash=ZERO_UUID,
        **media,
    )


def _group_frames(images: Sequence[object]) -> tuple[FrameMedia, ...]:
    if not images:
        raise LabelRowError(
            "Cannot build an image group from an empty list of image metadata: give one "
            "CustomerProvidedImageMetadata per image."
        )
    frames = []
    for index, image in enumerate(images):
        if not isinstance(image, CustomerProvidedImageMetadata):
            raise LabelRowError(
                f"Image {index} of the image group is a {type(image).__name__}: every item of "
                f"an image group's list must be a CustomerProvidedImageMetadata."
            )
        frames.append(
            FrameMedia(
                index=index,
                # Distinct placeholder image hashes (the zero UUID plus index + 1), the same
                # from run to run; attach_to_project swaps in the stored images' hashes.
                image_hash=str(uuid.UUID(int=index + 1)),
                title="",
                width=image.width,
                height=image.height,
                file_type=image.mime_type,
            )
        )
    return tuple(frames)


def media_mismatch(row: LabelRowMetadata, unit: LabelRowMetadata) -> str | None:
    """The first media fact of ``row`` that ``unit`` contradicts, described; None if none does.

    Compared: data type; for an image group the number of images and each image's width and
    height; otherwise width, height and number of frames.  A fact the row leaves unknown (None)
    contradicts nothing.  MIME type, fps and duration are not compared: the unit's win.
    """
    facts: list[tuple[str, object, object]] = [
        ("data_type", row.data_type.value, unit.data_type.value)
    ]
    if row.data_type is DataType.IMG_GROUP and unit.data_type is DataType.IMG_GROUP:
        facts.append(("number of images", len(row.frames), len(unit.frames)))
        if len(row.frames) == len(unit.frames):
            for mine, theirs in zip(row.frames, unit.frames, strict=True):
                facts.append((f"image {mine.index} width", mine.width, theirs.width))
                facts.append((f"image {mine.index} height", mine.height, theirs.height))
    else:
        facts += [
            ("width", row.width, unit.width),
            ("height", row.height, unit.height),
            ("number_of_frames", row.number_of_frames, unit.number_of_frames),
        ]
    for name, mine_value, unit_value in facts:
        if mine_value is not None and mine_value != unit_value:
            return (
                f"{name} is {mine_value!r} in the row's media metadata but {unit_value!r} in "
                f"the data unit"
            )
    return None
