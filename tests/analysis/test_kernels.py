"""The analysis' numba kernels: numba is imported on their first call (not by importing the
analysis, the server or ``branchmark --help``), and inputs of other integer types or layouts are
converted to the one declared signature (no second compile)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
from numpy.testing import assert_array_equal

from branchmark.analysis.fp_reasons import _flags, label_all_false_positives
from branchmark.analysis.inputs import BranchObjects
from branchmark.analysis.pairs import _enumerate_pairs, _lookup, image_pairs


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_the_analysis_and_the_server_does_not_import_numba() -> None:
    done = _run(
        "import sys\n"
        "import branchmark.analysis, branchmark.analysis.pairs, branchmark.analysis.fp_reasons\n"
        "import branchmark.server\n"
        "print('branchmark.analysis.pairs' in sys.modules, 'numba' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True False"


def test_branchmark_help_does_not_import_numba() -> None:
    done = _run(
        "import runpy, sys\n"
        "sys.argv = ['branchmark', '--help']\n"
        "try:\n"
        "    runpy.run_module('branchmark', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print('numba' in sys.modules, file=sys.stderr)\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Usage" in done.stdout and "warmup" in done.stdout
    assert done.stderr.strip() == "False"


def _objects(xyxy: np.ndarray, image: np.ndarray, category: np.ndarray) -> BranchObjects:
    n = len(xyxy)
    wh = xyxy[:, 2:] - xyxy[:, :2]
    return BranchObjects(
        annotation_id=np.arange(1, n + 1), data_unit_id=np.ones(n, np.int64),
        frame=np.zeros(n, np.int64), image=image, category=category, box=xyxy,
        box_xywh=np.concatenate([xyxy[:, :2], wh], axis=1), box_area=wh[:, 0] * wh[:, 1],
        theta=np.zeros(n), area=wh[:, 0] * wh[:, 1], crowd=np.zeros(n, bool),
        score=np.linspace(1.0, 0.5, n), geometry=[None] * n, class_shapes=("bounding_box",),
    )  # fmt: skip


def _box_iou(a: list[float], b: list[float]) -> float:
    """Box IoU by hand (no crowd)."""
    w = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def test_pairs_from_int32_and_strided_columns_match_a_brute_force() -> None:
    rng = np.random.default_rng(7)
    n_images, n_gt, n_dt = 4, 9, 13

    def boxes(n: int) -> np.ndarray:
        xy = rng.uniform(0, 40, (n, 2))
        return np.concatenate([xy, xy + rng.uniform(5, 30, (n, 2))], axis=1)

    gt_box, dt_box = boxes(n_gt), boxes(n_dt)
    # Image columns as int32, and as a strided view: other array types than the kernels'.
    gt_image = rng.integers(0, n_images, n_gt).astype(np.int32)
    dt_image = np.repeat(rng.integers(0, n_images, n_dt), 2)[::2]
    assert not dt_image.flags.c_contiguous
    gt = _objects(gt_box, gt_image, np.zeros(n_gt, np.int64))
    dt = _objects(dt_box, dt_image, np.zeros(n_dt, np.int64))
    pairs = image_pairs(gt, dt, n_images=n_images, image_sizes=[(100, 100)] * n_images)

    expected = [
        (g, d)
        for image in range(n_images)
        for g in range(n_gt)
        if gt_image[g] == image
        for d in range(n_dt)
        if dt_image[d] == image
    ]
    assert list(zip(pairs.pair_gt.tolist(), pairs.pair_dt.tolist(), strict=True)) == expected
    # Every same-image pair, asked with int32 and strided index arrays, in reverse order.
    g_index = np.array([g for g, _ in expected][::-1], np.int32)
    d_index = np.repeat([d for _, d in expected][::-1], 2)[::2]
    got = pairs.lookup(g_index, d_index)
    hand = [_box_iou(gt_box[g].tolist(), dt_box[d].tolist()) for g, d in expected][::-1]
    np.testing.assert_allclose(got, hand, rtol=1e-12, atol=0)
    assert (got > 0).any()  # some pairs overlap: the lookup is not trivially zero
    assert len(_enumerate_pairs.compile().signatures) == 1
    assert len(_lookup.compile().signatures) == 1


def test_fp_reasons_of_int32_and_strided_inputs_equal_those_of_int64() -> None:
    # One image, two GT (classes 0, 1), three predictions; hand-labelled at 0.5 and 0.75.
    pair_gt = np.array([0, 0, 0, 1, 1, 1])
    pair_dt = np.array([0, 1, 2, 0, 1, 2])
    similarity = np.array([0.9, 0.6, 0.0, 0.0, 0.0, 0.8])
    dt_match = np.array([[0, -1, -1], [0, -1, -1]])  # prediction 0 takes GT 0 at both
    kwargs = dict(
        gt_crowd=np.zeros(2, bool), dt_image=np.zeros(3, np.int64),
        dt_score=np.array([0.9, 0.8, 0.7]), dt_match=dt_match,
        dt_ignored=np.zeros((2, 3), bool), compatible=None,
    )  # fmt: skip
    codes = label_all_false_positives(
        pair_gt=pair_gt, pair_dt=pair_dt, similarity=similarity,
        gt_class=np.array([0, 1]), dt_class=np.array([0, 0, 0]),
        thresholds=np.array([0.5, 0.75]), **kwargs,
    )  # fmt: skip
    # Prediction 1 overlaps the taken GT 0 by 0.6: duplicate at 0.5, low overlap at 0.75.
    # Prediction 2 overlaps only GT 1 (class 1) by 0.8: wrong class at both.
    assert codes.tolist() == [[0, 2, 3], [0, 4, 3]]
    strided = label_all_false_positives(
        pair_gt=pair_gt.astype(np.int32), pair_dt=np.repeat(pair_dt, 2)[::2],
        similarity=np.repeat(similarity, 2)[::2], gt_class=np.array([0, 1], np.int32),
        dt_class=np.zeros(3, np.int8), thresholds=[0.5, 0.75], **kwargs,
    )  # fmt: skip
    assert_array_equal(strided, codes)
    assert len(_flags.compile().signatures) == 1
