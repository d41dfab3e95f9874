"""Finding a data unit's media file, only ever inside the workspace's media roots.

``media_path`` is stored relative to the workspace's media folder (files copied in by the SDK)
or absolute (a COCO dataset imported with its images folder).  Either way the resolved file must
lie inside one of the server's media roots; anything else is reported as unavailable, never
read.  A data unit imported without its images simply has no file: the UI then draws the
overlays on a neutral frame of the right size.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from branchmark.store.records import DataUnitRecord


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """Where a frame's pixels are: ``path`` (None when unavailable) and why not."""

    path: Path | None
    kind: str
    """``"image"`` (the file is the frame) or ``"video"`` (the frame is decoded from it)."""
    notice: str | None = None

    @property
    def available(self) -> bool:
        return self.path is not None


def _inside(path: Path, roots: Sequence[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def resolve_media(unit: DataUnitRecord, frame: int, roots: Sequence[Path]) -> MediaFile:
    """The media file of ``frame`` of ``unit`` (per image for image groups and sequences).

    Relative paths are taken from the first root (the workspace's media folder); a path that
    resolves outside every root (``..``, a symlink out, an absolute path elsewhere) is refused.

    >>> from branchmark.store.records import DataUnitRecord
    >>> import datetime
    >>> unit = DataUnitRecord(1, 1, "h", "a.png", "image", 4, 3, 1, None, None, "", "", "", "",
    ...                       "", None, datetime.datetime.now())
    >>> resolve_media(unit, 0, [Path("/tmp")]).notice
    'no media file recorded for this data unit'
    """
    kind = "video" if unit.data_type == "video" else "image"
    stored = unit.media_path
    for media in unit.frame_media:
        if media.frame == frame:
            stored = media.media_path
            break
    if not stored:
        return MediaFile(None, kind, "no media file recorded for this data unit")
    if not roots:
        return MediaFile(None, kind, "the server has no media root")
    candidate = Path(stored)
    if not candidate.is_absolute():
        candidate = roots[0] / candidate
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):
        return MediaFile(None, kind, f"media path {stored!r} cannot be resolved")
    if not _inside(resolved, roots):
        return MediaFile(None, kind, f"media file {stored!r} is outside the served media roots")
    if not resolved.is_file():
        return MediaFile(None, kind, f"media file {stored!r} is missing")
    return MediaFile(resolved, kind)
