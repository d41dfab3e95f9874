"""Every (GT, prediction) pair of every evaluation image, with its geometric similarity.

The analysis needs similarities beyond the same-class pairs the matching scores: the FP reason
"wrong class" and the class-agnostic confusion matrix compare objects across classes.  So the
similarity of *every* GT with *every* prediction of the same image is computed once, laid out in
one flat array per image block (``[gt, prediction]`` row-major), and served to the evaluation
engine as a pair callable (:meth:`ImagePairs.lookup`), so nothing is computed twice.

Similarity by shape (``EVALUATION.md``): boxes by box IoU (crowd: intersection / prediction
area, union from ``w * h`` as pycocotools), rotatable boxes by exact rotated IoU, polygons and
bitmasks by mask IoU on RLE, skeletons by OKS (sigmas from the template's point names), points
by one-point OKS over the frame diagonal, polylines by the line similarity.  A pair of two
different shape families (e.g. a box GT and a polygon prediction, possible only across classes)
is scored by the box IoU of their pixel extents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from branchmark.analysis.inputs import BranchObjects
from branchmark.geometry.boxes import box_iou_pairs
from branchmark.geometry.kernels import input_array, kernel
from branchmark.geometry.keypoints import (
    compute_oks_pairs,
    point_similarity,
    select_keypoint_sigmas,
)
from branchmark.geometry.masks import RleMasks, decode_rle_strings, mask_iou_pairs
from branchmark.geometry.polyline import pack_polylines, polyline_similarity
from branchmark.geometry.rotated import rotated_box_iou

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

#: Shape -> family; pairs within one family use the family's similarity.
FAMILIES = {
    "bounding_box": 0,
    "rotatable_bounding_box": 1,
    "polygon": 2,
    "bitmask": 2,
    "skeleton": 3,
    "point": 4,
    "polyline": 5,
}
BOX, ROTATED, MASK, KEYPOINTS, POINT, POLYLINE = range(6)
PAIR_CHUNK = 1 << 18


@dataclasses.dataclass(frozen=True)
class ImagePairs:
    """All GT x prediction pairs per image.

    Attributes
    ----------
    n_images : number of evaluation images.
    gt_start, dt_start : ``(n_images + 1,)`` offsets into ``gt_sorted`` / ``dt_sorted`` (object
        indices grouped by image, input order within).
    gt_local, dt_local : ``(G,)`` / ``(D,)`` position of each object within its image.
    pair_start : ``(n_images + 1,)`` offsets into the flat pair arrays.
    pair_gt, pair_dt : ``(P,)`` object indices; similarity : ``(P,)`` float64 in [0, 1].
    """

    n_images: int
    gt_sorted: IntArray
    dt_sorted: IntArray
    gt_start: IntArray
    dt_start: IntArray
    gt_local: IntArray
    dt_local: IntArray
    gt_image: IntArray
    pair_start: IntArray
    pair_gt: IntArray
    pair_dt: IntArray
    similarity: FloatArray

    def __post_init__(self) -> None:
        # One array type per field: the kernels take exactly these (see geometry.kernels).
        for field in dataclasses.fields(self):
            if field.name != "n_images":
                dtype = np.float64 if field.name == "similarity" else np.int64
                object.__setattr__(
                    self, field.name, np.ascontiguousarray(getattr(self, field.name), dtype)
                )

    def position(self, gt_index: IntArray, pred_index: IntArray) -> IntArray:
        """Flat pair position of ``(gt_index[k], pred_index[k])`` (same image required)."""
        image = self.gt_image[gt_index]
        n_dt = self.dt_start[image + 1] - self.dt_start[image]
        return self.pair_start[image] + self.gt_local[gt_index] * n_dt + self.dt_local[pred_index]

    def lookup(self, gt_index: IntArray, pred_index: IntArray, /) -> FloatArray:
        """Pair callable for :func:`branchmark.evaluation.match_objects` / ``evaluate_coco``
        (the values of :meth:`position`, gathered in one pass)."""
        g = np.ascontiguousarray(gt_index, dtype=np.int64)
        d = np.ascontiguousarray(pred_index, dtype=np.int64)
        if g.shape != d.shape or g.ndim != 1:
            raise ValueError(f"pred_index: expected shape {g.shape}, got {d.shape}")
        return _lookup(
            g, d, self.gt_image, self.gt_local, self.dt_local, self.dt_start, self.pair_start,
            self.similarity,
        )  # fmt: skip

    def image_matrices(self) -> list[FloatArray]:
        """One ``(G_i, D_i)`` similarity matrix per image (views, no copy)."""
        n_gt, n_dt = np.diff(self.gt_start), np.diff(self.dt_start)
        return [
            self.similarity[self.pair_start[i] : self.pair_start[i + 1]].reshape(n_gt[i], n_dt[i])
            for i in range(self.n_images)
        ]


@kernel(*[input_array("int64")] * 7, input_array("float64"), nogil=True)
def _lookup(
    gt_index: IntArray,
    pred_index: IntArray,
    gt_image: IntArray,
    gt_local: IntArray,
    dt_local: IntArray,
    dt_start: IntArray,
    pair_start: IntArray,
    similarity: FloatArray,
) -> FloatArray:
    out = np.empty(len(gt_index), np.float64)
    for k in range(len(gt_index)):
        image = gt_image[gt_index[k]]
        n_dt = dt_start[image + 1] - dt_start[image]
        out[k] = similarity[
            pair_start[image] + gt_local[gt_index[k]] * n_dt + dt_local[pred_index[k]]
        ]
    return out


@kernel(*[input_array("int64")] * 5, nogil=True)
def _enumerate_pairs(
    gt_sorted: IntArray,
    gt_start: IntArray,
    dt_sorted: IntArray,
    dt_start: IntArray,
    pair_start: IntArray,
) -> tuple[IntArray, IntArray]:
    """``(pair_gt, pair_dt)``: per image, every GT (rows) with every prediction (columns)."""
    pair_gt = np.empty(pair_start[-1], np.int64)
    pair_dt = np.empty(pair_start[-1], np.int64)
    for image in range(len(gt_start) - 1):
        p = pair_start[image]
        for g in range(gt_start[image], gt_start[image + 1]):
            for d in range(dt_start[image], dt_start[image + 1]):
                pair_gt[p] = gt_sorted[g]
                pair_dt[p] = dt_sorted[d]
                p += 1
    return pair_gt, pair_dt


def _grouped(image: IntArray, n_images: int) -> tuple[IntArray, IntArray, IntArray]:
    order = np.argsort(image, kind="stable")
    start = np.zeros(n_images + 1, np.int64)
    np.cumsum(np.bincount(image, minlength=n_images), out=start[1:])
    local = np.empty(len(image), np.int64)
    local[order] = np.arange(len(image)) - start[image[order]]
    return order.astype(np.int64), start, local


def _families(objects: BranchObjects) -> IntArray:
    """Shape family of each object, from its class's shape."""
    table = np.array([FAMILIES.get(s, BOX) for s in objects.class_shapes] + [BOX], np.int64)
    return table[objects.category]


def _geometry(objects: BranchObjects, i: int) -> dict[str, Any]:
    payload = objects.geometry[i]
    if payload is None:  # inputs.read_branch_objects fills every BLOB_SHAPES object
        raise ValueError(f"object {i} has no pixel geometry")
    return payload


def _masks_of(objects: BranchObjects, index: IntArray) -> tuple[RleMasks, IntArray]:
    """RleMasks of the objects at ``index`` and a full-length map object -> mask position."""
    rles = [_geometry(objects, i)["mask"] for i in index.tolist()]
    strings = [r["counts"] for r in rles]
    heights = [int(r["size"][0]) for r in rles]
    widths = [int(r["size"][1]) for r in rles]
    where = np.full(len(objects), -1, np.int64)
    where[index] = np.arange(len(index))
    return decode_rle_strings(strings, heights, widths), where


def _per_image(
    pairs: ImagePairs,
    selected: NDArray[np.bool_],
    matrix: Callable[[IntArray, IntArray, int], FloatArray],
    out: FloatArray,
) -> None:
    """Fill ``out`` at the selected pairs, image by image, from a ``(G, D)`` matrix function."""
    for image in np.unique(
        np.repeat(np.arange(pairs.n_images), np.diff(pairs.pair_start))[selected]
    ):
        lo, hi = pairs.pair_start[image], pairs.pair_start[image + 1]
        chosen = np.flatnonzero(selected[lo:hi]) + lo
        gts, dts = np.unique(pairs.pair_gt[chosen]), np.unique(pairs.pair_dt[chosen])
        values = matrix(gts, dts, int(image))
        row = np.searchsorted(gts, pairs.pair_gt[chosen])
        col = np.searchsorted(dts, pairs.pair_dt[chosen])
        out[chosen] = values[row, col]


def image_pairs(
    gt: BranchObjects,
    dt: BranchObjects,
    *,
    n_images: int,
    image_sizes: Sequence[tuple[int, int]],
) -> ImagePairs:
    """Enumerate every same-image pair and score it (see the module docstring).

    ``image_sizes[i]`` is ``(width, height)`` of image ``i`` (points and polylines scale by it).
    """
    gt_sorted, gt_start, gt_local = _grouped(gt.image, n_images)
    dt_sorted, dt_start, dt_local = _grouped(dt.image, n_images)
    n_gt, n_dt = np.diff(gt_start), np.diff(dt_start)
    pair_start = np.zeros(n_images + 1, np.int64)
    np.cumsum(n_gt * n_dt, out=pair_start[1:])
    pair_gt, pair_dt = _enumerate_pairs(gt_sorted, gt_start, dt_sorted, dt_start, pair_start)
    pairs = ImagePairs(
        n_images,
        gt_sorted,
        dt_sorted,
        gt_start,
        dt_start,
        gt_local,
        dt_local,
        gt.image,
        pair_start,
        pair_gt,
        pair_dt,
        np.zeros(len(pair_gt)),
    )
    sim = np.empty(len(pair_gt))
    # In chunks: the gathered boxes of 5M pairs are 320 MB at once, a few MB per chunk.
    for lo in range(0, len(pair_gt), PAIR_CHUNK):
        g, d = pair_gt[lo : lo + PAIR_CHUNK], pair_dt[lo : lo + PAIR_CHUNK]
        sim[lo : lo + PAIR_CHUNK] = box_iou_pairs(
            gt.box[g], dt.box[d], crowd=gt.crowd[g], gt_area=gt.box_area[g],
            pred_area=dt.box_area[d],
        )  # fmt: skip
    gf, df = _families(gt), _families(dt)
    same = gf[pair_gt] == df[pair_dt]
    family = np.where(same, gf[pair_gt], -1)

    if (family == MASK).any():
        chosen = np.flatnonzero(family == MASK)
        gt_masks, gt_where = _masks_of(gt, np.flatnonzero(gf == MASK))
        dt_masks, dt_where = _masks_of(dt, np.flatnonzero(df == MASK))
        sim[chosen] = mask_iou_pairs(
            gt_masks,
            dt_masks,
            gt_where[pair_gt[chosen]],
            dt_where[pair_dt[chosen]],
            crowd=gt.crowd[pair_gt[chosen]],
        )

    def rotated(gts: IntArray, dts: IntArray, _image: int) -> FloatArray:
        # The stored x, y, w, h, not ``box`` (xyxy): (x + w) - x may differ from w in the last bit.
        def as_xywht(o: BranchObjects, i: IntArray) -> FloatArray:
            return np.column_stack([o.box_xywh[i], o.theta[i]])

        return rotated_box_iou(as_xywht(gt, gts), as_xywht(dt, dts))

    def keypoints(gts: IntArray, dts: IntArray, _image: int) -> FloatArray:
        out = np.zeros((len(gts), len(dts)))
        g_pts = [_geometry(gt, i)["keypoints"] for i in gts.tolist()]
        d_pts = [_geometry(dt, i)["keypoints"] for i in dts.tolist()]
        for k in {len(p) for p in g_pts} & {len(p) for p in d_pts}:
            gi = np.array([j for j, p in enumerate(g_pts) if len(p) == k], np.int64)
            di = np.array([j for j, p in enumerate(d_pts) if len(p) == k], np.int64)
            names = _geometry(gt, int(gts[gi[0]]))["names"]
            sigmas = select_keypoint_sigmas(
                names if len(names) == k else [str(j) for j in range(k)]
            )
            # The stored x, y, w, h, not ``box`` (xyxy): computeOks grows the COCO bbox of a GT
            # without labelled points, and (x + w) - x may differ from w in the last bit.
            pair_g, pair_d = np.divmod(np.arange(len(gi) * len(di), dtype=np.int64), len(di))
            out[np.ix_(gi, di)] = compute_oks_pairs(
                np.stack([g_pts[j] for j in gi]),
                np.stack([d_pts[j] for j in di]),
                pair_g,
                pair_d,
                gt_areas=gt.area[gts[gi]],
                gt_boxes_xywh=gt.box_xywh[gts[gi]],
                sigmas=sigmas,
            ).reshape(len(gi), len(di))
        return out

    def points(gts: IntArray, dts: IntArray, image: int) -> FloatArray:
        return point_similarity(gt.box[gts, :2], dt.box[dts, :2], frame_size=image_sizes[image])

    def polylines(gts: IntArray, dts: IntArray, image: int) -> FloatArray:
        g = pack_polylines([_geometry(gt, i)["points"] for i in gts.tolist()])
        d = pack_polylines([_geometry(dt, i)["points"] for i in dts.tolist()])
        return polyline_similarity(*g, *d, frame_size=image_sizes[image])

    for code, fn in (
        (ROTATED, rotated),
        (KEYPOINTS, keypoints),
        (POINT, points),
        (POLYLINE, polylines),
    ):
        if (family == code).any():
            _per_image(pairs, family == code, fn, sim)
    return dataclasses.replace(pairs, similarity=np.clip(sim, 0.0, 1.0))
