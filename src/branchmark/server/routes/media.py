"""Media: a frame's image (a file from a media root, or a decoded video frame) and thumbnails."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import FileResponse, Response

from branchmark.errors import FrameOutOfRange, MediaNotFound
from branchmark.server.context import ServerContext, get_context
from branchmark.server.services.explorer import find_object
from branchmark.server.services.overlays import geometry_extent
from branchmark.store import catalog
from branchmark.store.records import DataUnitRecord
from branchmark.web.crops import crop_object
from branchmark.web.media_files import MediaFile, resolve_media
from branchmark.web.thumbnails import frame_image, thumbnail

router = APIRouter(tags=["media"])
Context = Annotated[ServerContext, Depends(get_context)]
ProjectKey = Annotated[str, Path(description="Project hash (or title).", min_length=1)]
DataHash = Annotated[str, Path(description="Data unit hash.", min_length=1)]
FrameIndex = Annotated[int, Path(ge=0, le=10_000_000)]
CACHE = {"Cache-Control": "private, max-age=3600"}


def _locate(
    context: ServerContext, project: str, data_hash: str, frame: int
) -> tuple[DataUnitRecord, MediaFile]:
    with context.store.read() as conn:
        record = catalog.get_project(conn, project)
        unit = catalog.get_data_unit(conn, record.id, data_hash)
    if frame >= unit.frames:
        raise FrameOutOfRange(
            f"frame {frame} is outside data unit {unit.title!r} (frames 0..{unit.frames - 1})"
        )
    return unit, resolve_media(unit, frame, context.media_roots)


@router.get(
    "/media/{project}/{data_hash}/{frame}/image",
    responses={200: {"content": {"image/*": {}}}, 404: {"description": "no media file"}},
)
def frame_media(
    context: Context, project: ProjectKey, data_hash: DataHash, frame: FrameIndex
) -> Response:
    """The pixels of one frame, only from the workspace's media roots."""
    unit, media = _locate(context, project, data_hash, frame)
    if not media.available:
        raise MediaNotFound(f"data unit {unit.title!r} frame {frame}: {media.notice}")
    path = frame_image(media, data_hash=unit.data_hash, frame=frame, cache_dir=context.cache_dir)
    return FileResponse(path, headers=CACHE)


@router.get(
    "/media/{project}/{data_hash}/{frame}/thumbnail",
    responses={200: {"content": {"image/jpeg": {}}}},
)
def frame_thumbnail(
    context: Context, project: ProjectKey, data_hash: DataHash, frame: FrameIndex
) -> Response:
    """A cached JPEG thumbnail; a neutral frame of the right aspect when media is missing."""
    unit, media = _locate(context, project, data_hash, frame)
    width, height = unit.frame_size(frame)
    made, real = thumbnail(
        media, data_hash=unit.data_hash, frame=frame, cache_dir=context.cache_dir,
        width=width, height=height,
    )  # fmt: skip
    headers = {**CACHE, "X-Media-Available": "1" if real else "0"}
    if isinstance(made, bytes):
        return Response(made, media_type="image/jpeg", headers=headers)
    return FileResponse(made, media_type="image/jpeg", headers=headers)


@router.get(
    "/media/{project}/{data_hash}/{frame}/crop",
    responses={200: {"content": {"image/jpeg": {}}}},
)
def object_crop(
    context: Context, project: ProjectKey, data_hash: DataHash, frame: FrameIndex,
    branch: Annotated[str, Query(description="Branch holding the object.", min_length=1)],
    object_hash: Annotated[str, Query(alias="object", description="Object hash.", min_length=1)],
) -> Response:  # fmt: skip
    """The frame around one object, outlined (neutral background when media is missing)."""
    unit, found = find_object(
        context, project, data_hash, frame=frame, branch=branch, object_hash=object_hash
    )
    media = resolve_media(unit, frame, context.media_roots)
    path = None
    if media.available:
        path = frame_image(
            media, data_hash=unit.data_hash, frame=frame, cache_dir=context.cache_dir
        )
    width, height = unit.frame_size(frame)
    geometry = found["geometry"]
    outline = None
    if geometry["type"] == "polygon" and geometry["polygons"]:
        ring = geometry["polygons"][0][0]
        outline = list(zip(ring[0::2], ring[1::2], strict=True))
    data = crop_object(
        path, frame_size=(int(width or 1), int(height or 1)), extent=geometry_extent(geometry),
        outline=outline, colour="#ffd400",
    )  # fmt: skip
    return Response(data, media_type="image/jpeg", headers=CACHE)
