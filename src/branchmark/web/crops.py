"""Object crops for the outcome browser: the frame around an object, outlined, as a JPEG.

A crop is the object's pixel extent plus a margin (at least ``MIN_SIDE`` pixels around small
objects), scaled so its longer side is ``CROP_SIZE``.  Without media the crop is cut from a
neutral frame, so the outline still shows the object's shape and place.
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageDraw

CROP_SIZE = 160
MIN_SIDE = 32
MARGIN = 0.25
NEUTRAL_GREY = (96, 96, 96)


def crop_object(
    frame_path: Path | None,
    *,
    frame_size: tuple[int, int],
    extent: tuple[float, float, float, float],
    outline: list[tuple[float, float]] | None,
    colour: str,
) -> bytes:
    """JPEG bytes of the region around ``extent`` (``x0, y0, x1, y1`` frame pixels).

    ``outline`` (frame pixels) is drawn in ``colour``; without it the extent's rectangle is.
    """
    width, height = frame_size
    if frame_path is not None:
        with Image.open(frame_path) as opened:
            image = opened.convert("RGB")
        if image.size != (width, height):
            image = image.resize((width, height))
    else:
        image = Image.new("RGB", (width, height), NEUTRAL_GREY)
    x0, y0, x1, y1 = extent
    side = max(x1 - x0, y1 - y0, MIN_SIDE)
    pad = side * MARGIN
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = side / 2 + pad
    box = (int(max(0, cx - half)), int(max(0, cy - half)),
           int(min(width, cx + half + 1)), int(min(height, cy + half + 1)))  # fmt: skip
    if box[2] <= box[0] or box[3] <= box[1]:
        box = (0, 0, width, height)
    draw = ImageDraw.Draw(image)
    if outline and len(outline) > 1:
        draw.line([*outline, outline[0]], fill=colour, width=max(1, round(side / 60)))
    else:
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=max(1, round(side / 60)))
    region = image.crop(box)
    scale = CROP_SIZE / max(region.size)
    region = region.resize(
        (max(1, round(region.width * scale)), max(1, round(region.height * scale)))
    )
    buffer = io.BytesIO()
    region.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()
