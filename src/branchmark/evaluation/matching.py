"""Greedy matching per image+class group, exactly as pycocotools ``COCOeval.evaluateImg``.

The objects are arranged once into groups (one evaluation image and class, or one image with
``use_cats=False``); the similarities of every GT with each kept detection of its group are
fetched in one call to the similarity provider, and a numba kernel matches all groups for every
area range and threshold.  :func:`match_objects` is the entry point for the analysis layer.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from branchmark.evaluation.objects import Detections, GroundTruth
from branchmark.evaluation.similarity import GroupSimilarity, PairSimilarity, SparseSimilarity
from branchmark.geometry.kernels import input_array, kernel

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
Similarity = PairSimilarity | GroupSimilarity | SparseSimilarity
#: ``(gt_index, pred_index) -> (N,) bool`` or a dense ``(G, D)`` bool array: pairs that may match.
Compatibility = Callable[[IntArray, IntArray], ArrayLike] | NDArray[np.bool_]

#: Detection outcome codes of the kernel (``state`` arrays).
FALSE_POSITIVE, TRUE_POSITIVE, IGNORED = 0, 1, 2
#: Up to this many detections, grouping, matching (with at most ``NUMPY_MAX_RANKS`` detections
#: in a group) and accumulation run on numpy arrays instead of numba kernels, with the same
#: results, in a process that has not loaded numba: numba's import and first dispatch cost
#: ~0.4 s, more than numpy's extra time at this size (0.17 s at 100k detections; ~0.35 s at
#: 200k, the break-even).  Once numba is loaded (masks, an analysis) the kernels are faster.
NUMPY_MAX_DETECTIONS = 100_000
NUMPY_MAX_RANKS = 100  # the numpy matching loops over ranks (COCO keeps at most 100 per group)


def _numba_loaded() -> bool:
    return "numba" in sys.modules


def takes_numpy_path(n_detections: int) -> bool:
    """Whether ``n_detections`` are grouped and accumulated with numpy (see above)."""
    return n_detections <= NUMPY_MAX_DETECTIONS and not _numba_loaded()


@dataclass(frozen=True)
class Groups:
    """Objects arranged per group in COCO order, with the similarity of every needed pair.

    ``gt`` holds ground-truth indices grouped (within a group: class position, then input
    order); ``dt`` holds the kept detection indices grouped and sorted by descending score
    (stable; ``use_cats=False`` breaks ties by class position), at most ``max_det`` per group.
    ``*_start`` are ``(n_groups + 1,)`` offsets; ``dt_rank`` ``(D,)`` int32 is each kept
    detection's rank in its group.  ``similarity`` is flat: group ``i`` owns
    ``similarity[pair_start[i]:pair_start[i + 1]]`` laid out ``[detection, gt]``.
    """

    gt: IntArray
    dt: IntArray
    gt_start: IntArray
    dt_start: IntArray
    pair_start: IntArray
    group_class: IntArray
    dt_rank: NDArray[np.int32]
    similarity: FloatArray
    pair_gt: IntArray
    pair_dt: IntArray
    compatible: NDArray[np.bool_] | None


def _sort_objects(
    gt: GroundTruth, dt: Detections, *, use_cats: bool
) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
    """Evaluated objects in COCO order: ``(gt_sorted, gt_key, dt_sorted, dt_key, n_images)``."""
    gt_idx = np.flatnonzero((gt.image >= 0) & (gt.category >= 0))
    dt_idx = np.flatnonzero((dt.image >= 0) & (dt.category >= 0))
    n_images = int(max(gt.image.max(initial=-1), dt.image.max(initial=-1))) + 1
    score = dt.score[dt_idx]
    if use_cats:
        gt_key = gt.category[gt_idx] * n_images + gt.image[gt_idx]
        dt_key = dt.category[dt_idx] * n_images + dt.image[dt_idx]
        # COCOeval._prepare keeps input order per (image, class); evaluateImg sorts each
        # group's detections with np.argsort(-score, kind="mergesort").  Two stable sorts
        # (score, then key) are lexsort((-score, key)) at a fraction of its cost.
        gt_order = np.argsort(gt_key, kind="stable")
        by_score = np.argsort(-score, kind="stable")
        dt_order = by_score[np.argsort(dt_key[by_score], kind="stable")]
    else:
        # useCats=0 concatenates each image's objects class by class before the score sort.
        gt_key, dt_key = gt.image[gt_idx], dt.image[dt_idx]
        gt_order = np.lexsort((gt.category[gt_idx], gt_key))
        dt_order = np.lexsort((dt.category[dt_idx], -score, dt_key))
    return gt_idx[gt_order], gt_key[gt_order], dt_idx[dt_order], dt_key[dt_order], n_images


@kernel(input_array("int64"), input_array("int64"), "int64", nogil=True)
def _layout_groups(
    gt_key: IntArray, dt_key: IntArray, max_det: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, NDArray[np.int32], IntArray, IntArray, IntArray]:
    """Merge the sorted keys into groups; keep each group's first ``max_det`` detections.

    Returns ``keys``, ``gt_start``, ``dt_start``, ``kept`` (positions into ``dt_key``),
    ``rank`` of each kept detection in its group, ``pair_start`` and, per pair, the GT position
    and the kept-detection position (pairs laid out ``[detection, gt]`` per group).
    """
    n_gt, n_dt = len(gt_key), len(dt_key)
    n_groups = n_kept = n_pairs = 0
    i = j = 0
    while i < n_gt or j < n_dt:  # first pass: sizes
        key = gt_key[i] if j >= n_dt or (i < n_gt and gt_key[i] <= dt_key[j]) else dt_key[j]
        g0, d0 = i, j
        while i < n_gt and gt_key[i] == key:
            i += 1
        while j < n_dt and dt_key[j] == key:
            j += 1
        kept = min(j - d0, max_det)
        n_groups += 1
        n_kept += kept
        n_pairs += (i - g0) * kept
    keys = np.empty(n_groups, np.int64)
    gt_start = np.empty(n_groups + 1, np.int64)
    dt_start = np.empty(n_groups + 1, np.int64)
    pair_start = np.empty(n_groups + 1, np.int64)
    kept_pos = np.empty(n_kept, np.int64)
    rank = np.empty(n_kept, np.int32)
    pair_gt = np.empty(n_pairs, np.int64)
    pair_dt = np.empty(n_pairs, np.int64)
    i = j = 0
    grp = k = p = 0
    while i < n_gt or j < n_dt:
        key = gt_key[i] if j >= n_dt or (i < n_gt and gt_key[i] <= dt_key[j]) else dt_key[j]
        keys[grp], gt_start[grp], dt_start[grp], pair_start[grp] = key, i, k, p
        g0 = i
        while i < n_gt and gt_key[i] == key:
            i += 1
        d0 = j
        while j < n_dt and dt_key[j] == key:
            j += 1
        for d in range(min(j - d0, max_det)):
            kept_pos[k + d] = d0 + d
            rank[k + d] = d
            for g in range(i - g0):
                pair_gt[p] = g0 + g
                pair_dt[p] = k + d
                p += 1
        k += min(j - d0, max_det)
        grp += 1
    gt_start[grp], dt_start[grp], pair_start[grp] = i, k, p
    return keys, gt_start, dt_start, kept_pos, rank, pair_start, pair_gt, pair_dt


def _layout_groups_numpy(
    gt_key: IntArray, dt_key: IntArray, max_det: int
) -> tuple[IntArray, IntArray, IntArray, IntArray, NDArray[np.int32], IntArray, IntArray, IntArray]:
    """:func:`_layout_groups` with whole-array numpy operations (the same arrays)."""
    keys = np.union1d(gt_key, dt_key).astype(np.int64)
    gt_start = np.append(np.searchsorted(gt_key, keys), len(gt_key)).astype(np.int64)
    dt_first = np.searchsorted(dt_key, keys)
    n_kept = np.minimum(np.searchsorted(dt_key, keys, side="right") - dt_first, max_det)
    dt_start = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(n_kept, out=dt_start[1:])
    rank = np.arange(dt_start[-1], dtype=np.int64) - np.repeat(dt_start[:-1], n_kept)
    kept_pos = np.repeat(dt_first, n_kept) + rank
    # Per kept detection, every GT of its group: pairs laid out [detection, gt].
    n_gt = np.repeat(np.diff(gt_start), n_kept)
    pair_of_det = np.zeros(len(n_gt) + 1, np.int64)
    np.cumsum(n_gt, out=pair_of_det[1:])
    pair_dt = np.repeat(np.arange(len(n_gt), dtype=np.int64), n_gt)
    pair_gt = np.repeat(np.repeat(gt_start[:-1], n_kept), n_gt) + (
        np.arange(pair_of_det[-1], dtype=np.int64) - np.repeat(pair_of_det[:-1], n_gt)
    )
    pair_start = pair_of_det[dt_start]
    return (keys, gt_start, dt_start, kept_pos.astype(np.int64), rank.astype(np.int32),
            pair_start, pair_gt, pair_dt)  # fmt: skip


def arrange_groups(
    gt: GroundTruth,
    dt: Detections,
    similarity: Similarity,
    *,
    use_cats: bool,
    max_det: int,
    compatible: Compatibility | None = None,
) -> Groups:
    """Group the objects and fetch the similarities the matching needs (see :class:`Groups`)."""
    gt_sorted, gt_key, dt_sorted, dt_key, n_images = _sort_objects(gt, dt, use_cats=use_cats)
    layout = _layout_groups_numpy if takes_numpy_path(len(dt_key)) else _layout_groups
    keys, gt_start, dt_start, kept, rank, pair_start, pair_gt, pair_dt = layout(
        gt_key, dt_key, max_det
    )
    dt_sorted = dt_sorted[kept]
    pair_gt, pair_dt = gt_sorted[pair_gt], dt_sorted[pair_dt]
    values = _pair_similarity(similarity, pair_gt, pair_dt, pair_start, np.diff(gt_start))
    allowed = None
    if compatible is not None:
        allowed = _compatible_pairs(compatible, pair_gt, pair_dt)
        # Incompatible pairs never match, whatever the threshold (EVALUATION.md).
        values = np.where(allowed, values, -1.0)
    return Groups(
        gt_sorted, dt_sorted, gt_start, dt_start, pair_start, keys // max(n_images, 1), rank,
        values, pair_gt, pair_dt, allowed,
    )  # fmt: skip


def _pair_similarity(
    similarity: Similarity,
    pair_gt: IntArray,
    pair_dt: IntArray,
    pair_start: IntArray,
    group_gt: IntArray,
) -> FloatArray:
    if isinstance(similarity, GroupSimilarity):
        values = np.zeros(len(pair_gt), np.float64)
        for group in np.flatnonzero(np.diff(pair_start)):
            lo, hi, n_gt = pair_start[group], pair_start[group + 1], group_gt[group]
            gts, dts = pair_gt[lo : lo + n_gt], pair_dt[lo:hi:n_gt]
            matrix = np.asarray(similarity.matrix(gts, dts), dtype=np.float64)
            if matrix.shape != (len(gts), len(dts)):
                raise ValueError(
                    f"similarity matrix: expected shape {(len(gts), len(dts))}, got {matrix.shape}"
                )
            values[lo:hi] = matrix.T.ravel()
        return values
    values = np.asarray(similarity(pair_gt, pair_dt), dtype=np.float64)
    if values.shape != pair_gt.shape:
        raise ValueError(f"pair similarity: expected shape {pair_gt.shape}, got {values.shape}")
    return values


def _compatible_pairs(
    compatible: Compatibility, pair_gt: IntArray, pair_dt: IntArray
) -> NDArray[np.bool_]:
    if isinstance(compatible, np.ndarray):
        return np.asarray(compatible, dtype=bool)[pair_gt, pair_dt]
    allowed = np.asarray(compatible(pair_gt, pair_dt), dtype=bool)
    if allowed.shape != pair_gt.shape:
        raise ValueError(f"compatibility: expected shape {pair_gt.shape}, got {allowed.shape}")
    return allowed


def match_groups(
    gt_start: IntArray,
    dt_start: IntArray,
    pair_start: IntArray,
    similarity: FloatArray,
    gt_area: FloatArray,
    gt_ignore: NDArray[np.bool_],
    gt_crowd: NDArray[np.bool_],
    gt_unmatchable: NDArray[np.bool_],
    dt_area: FloatArray,
    area_ranges: FloatArray,
    thresholds: FloatArray,
    want_index: bool,
) -> tuple[NDArray[np.int8], IntArray, IntArray]:
    """The ``COCOeval.evaluateImg`` loop for all groups (arrays in grouped order).

    Returns ``state`` ``(D, A, T)`` (0 false positive, 1 true positive, 2 ignored; one row per
    detection so that accumulation reads a detection's outcomes together) and, when
    ``want_index``, ``dt_match`` ``(A, T, D)`` / ``gt_match`` ``(A, T, G)`` grouped positions of
    the partner (-1 none; a crowd GT keeps its last match).
    """
    c, i64, f64 = np.ascontiguousarray, np.int64, np.float64  # no copy when already so
    ranges, thr = c(area_ranges, f64), c(thresholds, f64)
    n_areas, n_thr = ranges.shape[0], thr.shape[0]
    n_dt, n_gt = int(dt_start[-1]), int(gt_start[-1])
    state = np.zeros((n_dt, n_areas, n_thr), np.int8)
    shape = (n_areas, n_thr) if want_index else (0, 0)
    dt_match = np.full((*shape, n_dt if want_index else 0), -1, np.int64)
    gt_match = np.full((*shape, n_gt if want_index else 0), -1, np.int64)
    values = c(similarity, f64)
    n_ranks = np.diff(dt_start)[np.diff(gt_start) > 0]
    small = takes_numpy_path(n_dt) and n_ranks.max(initial=0) <= NUMPY_MAX_RANKS
    # The numpy path's max-based choice equals the loop's comparisons for numbers, not NaN.
    match = (
        _match_groups_numpy
        if small and np.isfinite(thr).all() and not np.isnan(values).any()
        else _match_groups
    )
    match(
        c(gt_start, i64), c(dt_start, i64), c(pair_start, i64), values,
        c(gt_area, f64), c(gt_ignore, bool), c(gt_crowd, bool), c(gt_unmatchable, bool),
        c(dt_area, f64), ranges, thr, state, dt_match, gt_match,
    )  # fmt: skip
    return state, dt_match, gt_match


@kernel(
    input_array("int64"), input_array("int64"), input_array("int64"), input_array("float64"),
    input_array("float64"), input_array("bool"), input_array("bool"), input_array("bool"),
    input_array("float64"), input_array("float64", 2), input_array("float64"),
    "int8[:, :, ::1]", "int64[:, :, ::1]", "int64[:, :, ::1]", nogil=True,
)  # fmt: skip
def _match_groups(
    gt_start: IntArray,
    dt_start: IntArray,
    pair_start: IntArray,
    similarity: FloatArray,
    gt_area: FloatArray,
    gt_ignore: NDArray[np.bool_],
    gt_crowd: NDArray[np.bool_],
    gt_unmatchable: NDArray[np.bool_],
    dt_area: FloatArray,
    area_ranges: FloatArray,
    thresholds: FloatArray,
    state: NDArray[np.int8],
    dt_match: IntArray,
    gt_match: IntArray,
) -> None:
    """:func:`match_groups` into ``state`` (zeros) and, when not empty, ``dt_match`` and
    ``gt_match`` (-1)."""
    n_areas, n_thr = area_ranges.shape[0], thresholds.shape[0]
    want_index = dt_match.size > 0 or gt_match.size > 0
    largest = 0
    for grp in range(len(gt_start) - 1):
        largest = max(largest, gt_start[grp + 1] - gt_start[grp])
    order = np.empty(largest, np.int64)
    ignored = np.empty(largest, np.bool_)
    taken = np.empty(largest, np.bool_)
    for grp in range(len(gt_start) - 1):
        gs, n_g = gt_start[grp], gt_start[grp + 1] - gt_start[grp]
        ds, n_d = dt_start[grp], dt_start[grp + 1] - dt_start[grp]
        ps = pair_start[grp]
        for a in range(n_areas):
            lo, hi = area_ranges[a, 0], area_ranges[a, 1]
            for g in range(n_g):
                area = gt_area[gs + g]
                ignored[g] = gt_ignore[gs + g] or area < lo or area > hi
            # evaluateImg sorts GT "ignore last" with a stable argsort.
            k = 0
            for g in range(n_g):
                if not ignored[g]:
                    order[k] = g
                    k += 1
            for g in range(n_g):
                if ignored[g]:
                    order[k] = g
                    k += 1
            for t in range(n_thr):
                threshold = min(thresholds[t], 1 - 1e-10)
                for g in range(n_g):
                    taken[g] = False
                for d in range(n_d):
                    best = -1
                    best_iou = threshold
                    base = ps + d * n_g
                    for j in range(n_g):
                        g = order[j]
                        if taken[g] and not gt_crowd[gs + g]:
                            continue
                        if best > -1 and not ignored[best] and ignored[g]:
                            break
                        value = similarity[base + g]
                        if value < best_iou:
                            continue
                        best_iou = value
                        best = g
                    area = dt_area[ds + d]
                    outside = area < lo or area > hi
                    if best == -1:
                        state[ds + d, a, t] = IGNORED if outside else FALSE_POSITIVE
                        continue
                    taken[best] = True
                    # accumulate reads a matched id of 0 as "unmatched" (see GroundTruth).
                    counted = not gt_unmatchable[gs + best]
                    if ignored[best] or (not counted and outside):
                        state[ds + d, a, t] = IGNORED
                    else:
                        state[ds + d, a, t] = TRUE_POSITIVE if counted else FALSE_POSITIVE
                    if want_index:
                        dt_match[a, t, ds + d] = gs + best
                        gt_match[a, t, gs + best] = ds + d


def _match_groups_numpy(
    gt_start: IntArray,
    dt_start: IntArray,
    pair_start: IntArray,
    similarity: FloatArray,
    gt_area: FloatArray,
    gt_ignore: NDArray[np.bool_],
    gt_crowd: NDArray[np.bool_],
    gt_unmatchable: NDArray[np.bool_],
    dt_area: FloatArray,
    area_ranges: FloatArray,
    thresholds: FloatArray,
    state: NDArray[np.int8],
    dt_match: IntArray,
    gt_match: IntArray,
) -> None:
    """:func:`_match_groups` with numpy: the greedy loop runs over the detections' ranks,
    every group, area range and threshold at once.

    At each rank, each group's detection takes, among the GT still free (crowd GT stay free)
    whose similarity reaches the threshold, the last one with the highest similarity, first
    among non-ignored GT, else among ignored ones: what evaluateImg's loop (GT sorted
    non-ignored first, ``<`` comparisons, the break at the first ignored GT once a non-ignored
    one matched) picks.  Needs finite thresholds and no NaN similarity (see the callers).
    """
    lo, hi = area_ranges[:, :1], area_ranges[:, 1:]  # (A, 1)
    gt_ignored = gt_ignore | (gt_area < lo) | (gt_area > hi)  # (A, G)
    outside = (dt_area < lo) | (dt_area > hi)  # (A, D)
    state[:] = np.where(outside.T, IGNORED, FALSE_POSITIVE)[:, :, None]  # unmatched
    want_index = dt_match.size > 0 or gt_match.size > 0
    thr = np.minimum(thresholds, 1 - 1e-10)[:, None]  # (T, 1)
    taken = np.zeros((len(area_ranges), len(thresholds), len(gt_area)), bool)
    n_gt, n_dt = np.diff(gt_start), np.diff(dt_start)
    for rank in range(int(n_dt[n_gt > 0].max(initial=0))):
        groups = np.flatnonzero((n_gt > 0) & (n_dt > rank))
        size = n_gt[groups]
        seg = np.zeros(len(groups) + 1, np.int64)
        np.cumsum(size, out=seg[1:])
        local = np.arange(seg[-1]) - np.repeat(seg[:-1], size)  # GT position in its group
        gt = np.repeat(gt_start[groups], size) + local
        value = similarity[np.repeat(pair_start[groups] + rank * size, size) + local]
        free = (value >= thr) & ~(taken[:, :, gt] & ~gt_crowd[gt])  # (A, T, P)
        counted = ~gt_ignored[:, gt][:, None, :]  # (A, 1, P)
        best = np.maximum.reduceat(np.where(free & counted, value, -np.inf), seg[:-1], axis=2)
        first = best > -np.inf  # a non-ignored GT is taken if any qualifies
        others = np.maximum.reduceat(np.where(free & ~counted, value, -np.inf), seg[:-1], axis=2)
        best = np.where(first, best, others)
        hit = free & (counted == np.repeat(first, size, axis=2))
        hit &= value == np.repeat(best, size, axis=2)
        last = np.maximum.reduceat(np.where(hit, local, -1), seg[:-1], axis=2)  # (A, T, groups)
        a, t, j = np.nonzero(last >= 0)
        g = gt_start[groups[j]] + last[a, t, j]
        d = dt_start[groups[j]] + rank
        taken[a, t, g] = True
        # accumulate reads a matched id of 0 as "unmatched" (see GroundTruth).
        scored = ~gt_unmatchable[g]
        ignored = gt_ignored[a, g] | (~scored & outside[a, d])
        state[d, a, t] = np.where(ignored, IGNORED, np.where(scored, TRUE_POSITIVE, FALSE_POSITIVE))
        if want_index:
            dt_match[a, t, d] = g
            gt_match[a, t, g] = d


@dataclass(frozen=True)
class MatchResult:
    """Per-object outcomes of greedy matching on a threshold grid.

    Attributes
    ----------
    thresholds : ``(T,)`` similarity thresholds.
    dt_match : ``(T, D)`` int64 index of the matched GT per detection, -1 when unmatched or
        when the detection was not evaluated (beyond ``max_dets`` or excluded).
    dt_ignore : ``(T, D)`` bool, the detection is ignored (matched an ignored GT, or unmatched
        and outside the area range).
    dt_evaluated : ``(D,)`` bool, the detection took part (not excluded, within ``max_dets``).
    gt_match : ``(T, G)`` int64 index of the matched detection per GT (-1 none; a crowd GT
        keeps its lowest-scoring match).
    gt_ignore : ``(G,)`` bool, ignored GT (crowd, flagged, or outside the area range).
    pair_gt, pair_dt, pair_similarity : ``(P,)`` every scored pair and its similarity (-1 for
        pairs the compatibility rule forbids).
    pair_compatible : ``(P,)`` bool or ``None`` when no compatibility rule was given.
    """

    thresholds: FloatArray
    dt_match: IntArray
    dt_ignore: NDArray[np.bool_]
    dt_evaluated: NDArray[np.bool_]
    gt_match: IntArray
    gt_ignore: NDArray[np.bool_]
    pair_gt: IntArray
    pair_dt: IntArray
    pair_similarity: FloatArray
    pair_compatible: NDArray[np.bool_] | None


def match_objects(
    gt: GroundTruth,
    dt: Detections,
    similarity: Similarity,
    *,
    thresholds: ArrayLike,
    area_range: tuple[float, float] = (0.0, 1e10),
    max_dets: int | None = None,
    use_cats: bool = True,
    compatible: Compatibility | None = None,
) -> MatchResult:
    """Match detections to ground truth per image+class on any threshold grid.

    Same rules as ``COCOeval.evaluateImg`` (greedy by descending score, crowd, ignore, area
    range), for one area range and no maxDets cap unless ``max_dets`` is given.

    Parameters
    ----------
    gt, dt
        The objects; positions ``-1`` leave an object out.
    similarity
        A pair callable, :class:`GroupSimilarity` or :class:`SparseSimilarity`.
    thresholds
        ``(T,)`` e.g. ``ANALYSIS_IOU_THRESHOLDS`` (0.05:0.05:0.95).
    area_range
        Inclusive ``(min, max)`` area; GT outside are ignored.
    max_dets
        Detections kept per group, highest scores first (``None``: all).
    use_cats
        False matches across classes (class-agnostic).
    compatible
        Pairs that may match (Strict/Partial attributes); others never match.

    Examples
    --------
    >>> from branchmark.evaluation.similarity import BoxSimilarity
    >>> g = GroundTruth(image=[0], category=[0], area=[4.0], crowd=[False])
    >>> d = Detections(image=[0, 0], category=[0, 0], score=[0.9, 0.8], area=[4.0, 4.0])
    >>> sim = BoxSimilarity(np.array([[0, 0, 2, 2.0]]), np.array([[0, 0, 2, 2.0], [0, 0, 2, 1.0]]),
    ...                     np.array([False]))
    >>> match_objects(g, d, sim, thresholds=[0.5]).dt_match.tolist()
    [[0, -1]]
    """
    thr = np.asarray(thresholds, dtype=np.float64).reshape(-1)
    cap = len(dt) + 1 if max_dets is None else int(max_dets)
    groups = arrange_groups(
        gt, dt, similarity, use_cats=use_cats, max_det=cap, compatible=compatible
    )
    ranges = np.asarray([area_range], dtype=np.float64)
    state, dt_pos, gt_pos = match_groups(
        groups.gt_start, groups.dt_start, groups.pair_start, groups.similarity,
        gt.area[groups.gt], gt.ignore[groups.gt], gt.crowd[groups.gt], gt.unmatchable[groups.gt],
        dt.area[groups.dt], ranges, thr, True,
    )  # fmt: skip
    dt_match = np.full((len(thr), len(dt)), -1, np.int64)
    dt_ignore = np.zeros((len(thr), len(dt)), bool)
    gt_match = np.full((len(thr), len(gt)), -1, np.int64)
    # Position -1 (no partner) picks the appended -1.
    dt_match[:, groups.dt] = np.append(groups.gt, -1)[dt_pos[0]]
    dt_ignore[:, groups.dt] = state[:, 0, :].T == IGNORED
    gt_match[:, groups.gt] = np.append(groups.dt, -1)[gt_pos[0]]
    evaluated = np.zeros(len(dt), bool)
    evaluated[groups.dt] = True
    gt_ignore = gt.ignore | (gt.area < ranges[0, 0]) | (gt.area > ranges[0, 1])
    return MatchResult(
        thr, dt_match, dt_ignore, evaluated, gt_match, gt_ignore,
        groups.pair_gt, groups.pair_dt, groups.similarity, groups.compatible,
    )  # fmt: skip
