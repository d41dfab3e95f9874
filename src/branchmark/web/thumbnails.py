"""Server-made images, cached under the workspace: thumbnails and decoded video frames.

Files are named by data hash and frame; a cached file newer than its source is served as is.
A data unit without a readable media file gets a neutral placeholder of its aspect ratio.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path

from branchmark.errors import FrameOutOfRange, ValidationError
from branchmark.web.media_files import MediaFile

THUMBNAIL_SIZE = 256
JPEG_QUALITY = 85
NEUTRAL_GREY = (96, 96, 96)

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def _fresh(cached: Path, source: Path) -> bool:
    return cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + f".{threading.get_ident()}.part")
    partial.write_bytes(data)
    partial.replace(target)


def read_video_frame(path: Path, frame: int) -> bytes:
    """Frame ``frame`` of a video file as JPEG bytes (OpenCV seek + decode)."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise ValidationError(f"{path.name}: OpenCV cannot open this video")
        capture.set(cv2.CAP_PROP_POS_FRAMES, frame)
        ok, image = capture.read()
    finally:
        capture.release()
    if not ok or image is None:
        raise FrameOutOfRange(f"{path.name}: frame {frame} cannot be decoded")
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValidationError(f"{path.name}: frame {frame} cannot be encoded as JPEG")
    return bytes(encoded.tobytes())


def frame_image(media: MediaFile, *, data_hash: str, frame: int, cache_dir: Path) -> Path:
    """A file holding the pixels of ``frame``: the image itself, or a cached decoded frame.

    ``media`` must be available.
    """
    if media.path is None:
        raise ValidationError(media.notice or "no media file")
    if media.kind == "image":
        return media.path
    target = cache_dir / "frames" / data_hash / f"{frame}.jpg"
    with _lock_for(str(target)):
        if not _fresh(target, media.path):
            _write_atomic(target, read_video_frame(media.path, frame))
    return target


def _placeholder(width: int | None, height: int | None) -> bytes:
    from PIL import Image

    w, h = width or 4, height or 3
    scale = min(1.0, THUMBNAIL_SIZE / max(w, h))  # like Image.thumbnail: never enlarge
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    buffer = io.BytesIO()
    Image.new("RGB", size, NEUTRAL_GREY).save(buffer, "JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


def thumbnail(
    media: MediaFile,
    *,
    data_hash: str,
    frame: int,
    cache_dir: Path,
    width: int | None,
    height: int | None,
) -> tuple[bytes | Path, bool]:
    """The thumbnail of ``frame`` (longest side ``THUMBNAIL_SIZE``) and whether it is real.

    Returns the cached file, or placeholder JPEG bytes (a neutral frame of the data unit's
    aspect ratio) when the media is unavailable or unreadable.
    """
    from PIL import Image, UnidentifiedImageError

    if media.path is None:
        return _placeholder(width, height), False
    target = cache_dir / "thumbnails" / f"{data_hash}-{frame}.jpg"
    with _lock_for(str(target)):
        if _fresh(target, media.path):
            return target, True
        try:
            source = frame_image(media, data_hash=data_hash, frame=frame, cache_dir=cache_dir)
            with Image.open(source) as image:
                image.draft("RGB", (THUMBNAIL_SIZE, THUMBNAIL_SIZE))
                small = image.convert("RGB")
                small.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
        except (OSError, UnidentifiedImageError, ValidationError):
            return _placeholder(width, height), False
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=JPEG_QUALITY)
        _write_atomic(target, buffer.getvalue())
    return target, True
