"""Oracles of the demo tests: brute-force box IoU, greedy matching, 8-connected parts."""

from __future__ import annotations

from collections import deque

import numpy as np

from branchmark.demo.records import Detection, GroundTruthObject


def brute_box_iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """IoU of the sets of pixels whose centres fall inside each box, by counting them."""
    x0 = int(np.floor(min(a[0], b[0])))
    y0 = int(np.floor(min(a[1], b[1])))
    x1 = int(np.ceil(max(a[2], b[2])))
    y1 = int(np.ceil(max(a[3], b[3])))
    cx = np.arange(x0, x1)[None, :] + 0.5
    cy = np.arange(y0, y1)[:, None] + 0.5
    in_a = (cx >= a[0]) & (cx < a[2]) & (cy >= a[1]) & (cy < a[3])
    in_b = (cx >= b[0]) & (cx < b[2]) & (cy >= b[1]) & (cy < b[3])
    union = int((in_a | in_b).sum())
    return int((in_a & in_b).sum()) / union if union else 0.0


def count_matches(
    truth: tuple[GroundTruthObject, ...],
    detections: tuple[Detection, ...],
    *,
    threshold: float = 0.5,
    same_class: bool,
) -> int:
    """Greedy by descending confidence, each detection takes the best free truth >= threshold."""
    used: set[int] = set()
    for detection in sorted(detections, key=lambda d: -d.confidence):
        best, best_iou = None, threshold
        for index, gt in enumerate(truth):
            if index in used or (same_class and gt.class_name != detection.class_name):
                continue
            iou = brute_box_iou(gt.box, detection.box)
            if iou >= best_iou:
                best, best_iou = index, iou
        if best is not None:
            used.add(best)
    return len(used)


def component_sizes(mask: np.ndarray) -> list[int]:
    """Sizes of the 8-connected components of a boolean mask, by breadth-first search."""
    seen = np.zeros_like(mask, dtype=bool)
    sizes = []
    height, width = mask.shape
    for start in zip(*np.nonzero(mask), strict=True):
        if seen[start]:
            continue
        seen[start] = True
        queue, size = deque([start]), 0
        while queue:
            r, c = queue.popleft()
            size += 1
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < height and 0 <= nc < width and mask[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        queue.append((nr, nc))
        sizes.append(size)
    return sizes
