"""Frame selections (``encord.objects.frames``): ``Range`` and the ``frames`` argument.

The ``frames`` argument accepts exactly what the SDK accepts (ENCORD_COMPAT.md section 2.10):

=====================  ==============================================================
``int``                that frame
``list[int]``          de-duplicated and sorted
``Range(start, end)``  inclusive on both ends; a reversed range selects nothing
``list[Range]``        the union
``[]``                 nothing
=====================  ==============================================================

Sets, tuples, numpy integers and lists mixing ints and ranges raise
``RuntimeError("Unexpected type for frames.")`` as in the SDK.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


@dataclasses.dataclass(frozen=True, slots=True)
class Range:
    """Frames ``start`` to ``end``, both **inclusive**.

    >>> frames_class_to_frames_list(Range(3, 6))
    [3, 4, 5, 6]
    """

    start: int
    end: int

    def __repr__(self) -> str:
        return f"({self.start}:{self.end})"


Ranges = list[Range]
Frames = int | list[int] | Range | list[Range]


def frames_class_to_frames_list(frames: Frames) -> list[int]:
    """The sorted, distinct frame numbers selected by ``frames``.

    >>> frames_class_to_frames_list([5, 1, 5])
    [1, 5]
    >>> frames_class_to_frames_list([Range(1, 2), Range(7, 8)])
    [1, 2, 7, 8]
    """
    if isinstance(frames, int):
        return [frames]
    if isinstance(frames, Range):
        return list(range(frames.start, frames.end + 1))
    if isinstance(frames, list):
        if all(isinstance(f, int) for f in frames):
            return sorted(set(frames))  # type: ignore[arg-type]
        if all(isinstance(f, Range) for f in frames):
            selected: set[int] = set()
            for r in frames:
                selected.update(range(r.start, r.end + 1))  # type: ignore[union-attr]
            return sorted(selected)
    raise RuntimeError("Unexpected type for frames.")


def frames_to_ranges(frames: Iterable[int]) -> Ranges:
    """The fewest inclusive ranges covering ``frames``, in order.

    >>> frames_to_ranges([3, 1, 2, 7])
    [(1:3), (7:7)]
    """
    ranges: Ranges = []
    start = end = None
    for frame in sorted(set(frames)):
        if end is not None and frame == end + 1:
            end = frame
            continue
        if start is not None and end is not None:
            ranges.append(Range(start, end))
        start = end = frame
    if start is not None and end is not None:
        ranges.append(Range(start, end))
    return ranges


def ranges_to_list(ranges: Iterable[Range]) -> list[list[int]]:
    """Ranges as the JSON ``[[start, end], ...]``."""
    return [[r.start, r.end] for r in ranges]


def ranges_from_list(value: Iterable[Iterable[int]]) -> Ranges:
    """JSON ``[[start, end], ...]`` as ranges."""
    out = []
    for pair in value:
        start, end = pair
        out.append(Range(int(start), int(end)))
    return out
