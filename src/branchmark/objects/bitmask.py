"""Full-frame bitmasks and Encord's ``rleString`` (ENCORD_COMPAT.md section 5).

Encord flattens the H x W mask **row-major** and writes the run lengths with the COCO compressed
alphabet; COCO flattens column-major.  So Encord's ``rleString`` is exactly pycocotools'
``counts`` of the **transposed** mask, which is how it is computed here (no second RLE codec).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from pycocotools import mask as coco_mask  # type: ignore[import-untyped]  # ships no types

from branchmark.errors import EncordException


def encode_rle(mask: NDArray[np.bool_]) -> str:
    """Encord ``rleString`` of a 2-D bool mask of shape ``(height, width)``.

    >>> encode_rle(np.array([[True, False], [True, True]]))
    '0111'
    """
    # The transpose of a C-ordered (H, W) array is already Fortran-ordered (W, H): no copy.
    fortran = np.asfortranarray(mask.T, dtype=np.uint8)
    counts: bytes = coco_mask.encode(fortran)["counts"]
    return counts.decode("ascii")


def decode_rle(rle_string: str, *, height: int, width: int) -> NDArray[np.bool_]:
    """The ``(height, width)`` bool mask of an Encord ``rleString``.

    >>> decode_rle('0111', height=2, width=2).tolist()
    [[True, False], [True, True]]
    """
    rle = {"size": [width, height], "counts": rle_string.encode("ascii")}
    decoded: NDArray[np.uint8] = coco_mask.decode(rle)
    return np.ascontiguousarray(decoded.T, dtype=bool)


@dataclasses.dataclass(frozen=True, slots=True)
class EncodedBitmask:
    """A bitmask as written in label rows: ``top``/``left`` (always 0), full-frame size, RLE."""

    top: int
    left: int
    height: int
    width: int
    rle_string: str


class BitmaskCoordinates:
    """A full-frame mask (``encord.objects.coordinates.BitmaskCoordinates``).

    ``source`` is a 2-D bool array (anything with ``__array_interface__`` and typestr ``|b1``),
    an :class:`EncodedBitmask` or its JSON dict (``top``, ``left``, ``height``, ``width``,
    ``rleString``).  A non-bool or non-2-D array raises ``EncordException`` and any other type
    ``ValueError``, as the SDK.  The mask's size must equal the frame's; the label row checks
    that when the instance is attached and when it is saved.
    """

    EncodedBitmask: TypeAlias = EncodedBitmask  # the SDK's nested name

    __slots__ = ("_encoded",)

    def __init__(self, source: Any) -> None:
        if isinstance(source, EncodedBitmask):
            self._encoded = source
        elif isinstance(source, dict):
            self._encoded = EncodedBitmask(
                top=int(source["top"]),
                left=int(source["left"]),
                height=int(source["height"]),
                width=int(source["width"]),
                rle_string=str(source["rleString"]),
            )
        elif hasattr(source, "__array_interface__"):
            if source.__array_interface__["typestr"] != "|b1":
                raise EncordException(
                    "Bitmask should be an array of boolean values. For numpy array call "
                    ".astype(bool)."
                )
            array = np.asarray(source)
            if array.ndim != 2:
                raise EncordException("Bitmask should be a 2-dimensional array.")
            height, width = array.shape
            self._encoded = EncodedBitmask(0, 0, int(height), int(width), encode_rle(array))
        else:
            raise ValueError(
                f"Failed to create BitmaskCoordinates from an object of type {type(source)}"
            )

    @property
    def height(self) -> int:
        return self._encoded.height

    @property
    def width(self) -> int:
        return self._encoded.width

    @property
    def top(self) -> int:
        return self._encoded.top

    @property
    def left(self) -> int:
        return self._encoded.left

    @property
    def rle_string(self) -> str:
        return self._encoded.rle_string

    @property
    def encoded(self) -> EncodedBitmask:
        return self._encoded

    def to_numpy_array(self) -> NDArray[np.bool_]:
        """The ``(height, width)`` bool mask."""
        e = self._encoded
        return decode_rle(e.rle_string, height=e.height, width=e.width)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> NDArray[Any]:
        array = self.to_numpy_array()
        return array if dtype is None else array.astype(dtype)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BitmaskCoordinates):
            return NotImplemented
        return self._encoded == other._encoded

    def __hash__(self) -> int:
        return hash(self._encoded)

    def __repr__(self) -> str:
        e = self._encoded
        return (
            f"BitmaskCoordinates(height={e.height}, width={e.width}, rle_string={e.rle_string!r})"
        )

    def to_dict(self) -> dict[str, Any]:
        """The ``bitmask`` JSON value."""
        e = self._encoded
        return {
            "top": e.top,
            "left": e.left,
            "height": e.height,
            "width": e.width,
            "rleString": e.rle_string,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> BitmaskCoordinates:
        """Read an object entry's ``bitmask`` value."""
        return cls(d["bitmask"])
