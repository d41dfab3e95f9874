"""Media probing: size (and for videos frame count and fps) read from the files themselves.

Images are read with Pillow (header only); videos with OpenCV's ``VideoCapture``.  A file that
cannot be read raises ``ValidationError`` naming it.
"""

from __future__ import annotations

import dataclasses
import mimetypes
from pathlib import Path

from branchmark.errors import ValidationError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"})
VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg"})


@dataclasses.dataclass(frozen=True)
class MediaInfo:
    """What a data unit needs to know about a media file."""

    width: int
    height: int
    frames: int = 1
    fps: float | None = None
    file_type: str = ""

    @property
    def duration(self) -> float | None:
        """Seconds (frames / fps) for a video, None otherwise."""
        return None if not self.fps else self.frames / self.fps


def media_kind(path: str | Path) -> str:
    """``"image"`` or ``"video"`` by file extension; ``ValidationError`` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in IMAGE_SUFFIXES:
        return "image"
    if suffix in VIDEO_SUFFIXES:
        return "video"
    raise ValidationError(
        f"{path}: unsupported media extension {suffix or '(none)'!r}; images: "
        f"{', '.join(sorted(IMAGE_SUFFIXES))}; videos: {', '.join(sorted(VIDEO_SUFFIXES))}"
    )


def _mime(path: Path, default: str) -> str:
    return mimetypes.guess_type(path.name)[0] or default


def probe_image(path: str | Path) -> MediaInfo:
    """Width and height of an image file.

    >>> import tempfile, PIL.Image
    >>> p = Path(tempfile.mkdtemp()) / "a.png"; PIL.Image.new("RGB", (4, 3)).save(p)
    >>> probe_image(p)
    MediaInfo(width=4, height=3, frames=1, fps=None, file_type='image/png')
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as image:
            width, height = image.size
    except FileNotFoundError:
        raise ValidationError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, OSError) as exc:
        raise ValidationError(f"{path}: not a readable image ({exc})") from exc
    return MediaInfo(width=width, height=height, file_type=_mime(path, "image/unknown"))


def probe_video(path: str | Path) -> MediaInfo:
    """Width, height, frame count and fps of a video file (OpenCV)."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"{path}: no such video file")
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValidationError(f"{path}: OpenCV cannot open this video")
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
        fps = float(capture.get(cv2.CAP_PROP_FPS))
        if frames <= 0:  # some containers do not record a count: decode to count
            frames = 0
            while capture.grab():
                frames += 1
    finally:
        capture.release()
    if width <= 0 or height <= 0 or frames <= 0:
        raise ValidationError(f"{path}: video has no readable frames")
    return MediaInfo(
        width=width,
        height=height,
        frames=frames,
        fps=fps if fps > 0 else None,
        file_type=_mime(path, "video/unknown"),
    )
