"""Link per-frame detections of a video into tracks, as a detector's simple tracker would."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from branchmark.demo.records import Box, Detection, FrameDetections


def link_tracks(
    frames: Sequence[FrameDetections], *, min_iou: float = 0.3
) -> tuple[FrameDetections, ...]:
    """Give every detection a ``track_id`` by greedy box-IoU linking to the previous frame.

    Frame by frame, detections in descending confidence each take the unclaimed track of the
    previous frame with the same class and the highest box IoU of at least ``min_iou``; the
    others start new tracks (ids 1, 2, ... in order of appearance).  A track that is not seen
    on a frame ends.

    >>> d = Detection("apple", "ripe", 0.9, (0.0, 0.0, 10.0, 10.0), ())
    >>> moved = dataclasses.replace(d, box=(1.0, 0.0, 11.0, 10.0))
    >>> linked = link_tracks([FrameDetections(0, "dim", 0.6, (d,)),
    ...                       FrameDetections(1, "dim", 0.6, (moved,))])
    >>> [f.detections[0].track_id for f in linked]
    [1, 1]
    """
    next_id = 1
    previous: list[Detection] = []
    linked_frames = []
    for frame in frames:
        claimed: set[int] = set()
        linked: list[Detection] = []
        for detection in sorted(frame.detections, key=lambda d: -d.confidence):
            best_id, best_iou = None, min_iou
            for earlier in previous:
                if earlier.track_id in claimed or earlier.class_name != detection.class_name:
                    continue
                overlap = box_iou(earlier.box, detection.box)
                if overlap >= best_iou:
                    best_id, best_iou = earlier.track_id, overlap
            if best_id is None:
                best_id, next_id = next_id, next_id + 1
            claimed.add(best_id)
            linked.append(dataclasses.replace(detection, track_id=best_id))
        previous = linked
        linked_frames.append(dataclasses.replace(frame, detections=tuple(linked)))
    return tuple(linked_frames)


def box_iou(a: Box, b: Box) -> float:
    """IoU of two ``(x0, y0, x1, y1)`` boxes; 0 when both are empty.

    >>> box_iou((0, 0, 2, 2), (1, 0, 3, 2))
    0.3333333333333333
    """
    width = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    height = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = width * height
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0
