"""FP reasons of every prediction at every grid threshold, in one pass over the image pairs.

The rules and their order are those of :func:`branchmark.evaluation.label_false_positives`
(``attribute_mismatch`` > ``duplicate`` > ``wrong_class`` > ``low_overlap`` > ``background``);
that function labels one image at one threshold, this kernel labels all images at all
thresholds from the flat pairs of :class:`~branchmark.analysis.pairs.ImagePairs` (the tests
check it against ``label_false_positives`` image by image).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from branchmark.evaluation import FpReason
from branchmark.geometry.kernels import input_array, kernel

#: Stored reason codes (3 bits per threshold in the ``reasons`` column); 0 = none.
REASON_CODES: tuple[FpReason, ...] = (
    FpReason.ATTRIBUTE_MISMATCH,
    FpReason.DUPLICATE,
    FpReason.WRONG_CLASS,
    FpReason.LOW_OVERLAP,
    FpReason.BACKGROUND,
)


def reason_code(reason: FpReason | str) -> int:
    """Stored code (1..5) of a reason."""
    return REASON_CODES.index(FpReason(reason)) + 1


@kernel(
    input_array("int64"), input_array("int64"), input_array("float64"), input_array("bool"),
    input_array("int64"), input_array("int64"), input_array("int64"), input_array("int64", 2),
    input_array("float64"), "int64", nogil=True,
)  # fmt: skip
def _flags(
    pair_gt: NDArray[np.int64],
    pair_dt: NDArray[np.int64],
    similarity: NDArray[np.float64],
    compatible: NDArray[np.bool_],
    gt_class: NDArray[np.int64],
    dt_class: NDArray[np.int64],
    rank: NDArray[np.int64],
    taken_at: NDArray[np.int64],
    thresholds: NDArray[np.float64],
    n_dt: int,
) -> NDArray[np.uint8]:
    """``(T, D)`` bit flags: 1 attribute mismatch, 2 duplicate, 4 wrong class, 8 low overlap."""
    n_thr = len(thresholds)
    flags = np.zeros((n_thr, n_dt), np.uint8)
    for k in range(len(pair_gt)):
        g, d, s = pair_gt[k], pair_dt[k], similarity[k]
        same = gt_class[g] == dt_class[d]
        if same and s > 0:
            for t in range(n_thr):
                flags[t, d] |= 8
        for t in range(n_thr):
            if s < thresholds[t]:
                continue
            if not same:
                flags[t, d] |= 4
            elif taken_at[t, g] < rank[d]:
                flags[t, d] |= 2
            elif not compatible[k]:
                flags[t, d] |= 1
    return flags


def label_all_false_positives(
    *,
    pair_gt: NDArray[np.int64],
    pair_dt: NDArray[np.int64],
    similarity: NDArray[np.float64],
    compatible: NDArray[np.bool_] | None,
    gt_class: NDArray[np.int64],
    gt_crowd: NDArray[np.bool_],
    dt_class: NDArray[np.int64],
    dt_image: NDArray[np.int64],
    dt_score: NDArray[np.float64],
    dt_match: NDArray[np.int64],
    dt_ignored: NDArray[np.bool_],
    thresholds: NDArray[np.float64],
) -> NDArray[np.uint8]:
    """Reason code per prediction and threshold, ``(T, D)`` uint8 (0 for non-FP).

    Parameters
    ----------
    pair_gt, pair_dt, similarity
        ``(P,)`` every same-image pair and its geometric similarity (before attributes).
    compatible
        ``(P,)`` attribute compatibility of each pair (``None``: all compatible).
    gt_class, gt_crowd
        ``(G,)``; crowd GT are never "taken".
    dt_class, dt_image, dt_score
        ``(D,)``; matching order within an image is descending score, ties in input order.
    dt_match, dt_ignored
        ``(T, D)`` matched GT (-1 none) and ignored flags of the matching at each threshold.
    thresholds
        ``(T,)`` the grid.
    """
    n_thr, n_dt = dt_match.shape
    order = np.lexsort((np.arange(n_dt), -dt_score, dt_image))
    rank = np.empty(n_dt, np.int64)
    rank[order] = np.arange(n_dt)
    big = np.iinfo(np.int64).max
    taken_at = np.full((n_thr, len(gt_class)), big, np.int64)
    for t in range(n_thr):
        matched = dt_match[t] >= 0
        np.minimum.at(taken_at[t], dt_match[t][matched], rank[matched])
    taken_at[:, gt_crowd] = big
    allowed = np.ones(len(pair_gt), bool) if compatible is None else compatible
    c, i64 = np.ascontiguousarray, np.int64  # no copy when already so
    flags = _flags(
        c(pair_gt, i64),
        c(pair_dt, i64),
        c(similarity, np.float64),
        c(allowed, bool),
        c(gt_class, i64),
        c(dt_class, i64),
        rank,
        taken_at,
        c(thresholds, np.float64),
        n_dt,
    )
    codes = np.full(flags.shape, 5, np.uint8)  # background unless a flag says otherwise
    for bit, code in ((8, 4), (4, 3), (2, 2), (1, 1)):  # lowest priority first, overwritten later
        codes[(flags & bit) != 0] = code
    codes[(dt_match >= 0) | dt_ignored] = 0
    return codes
