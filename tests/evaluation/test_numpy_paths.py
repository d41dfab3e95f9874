"""Small inputs are grouped, matched and accumulated with numpy instead of the numba kernels
(in a process without numba): both paths give the same arrays (random cases, the kernel as
oracle), both are pycocotools-exact whatever else the test session loaded, and a small
evaluation never imports numba."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from branchmark.evaluation import accumulate as acc
from branchmark.evaluation import matching
from tests.evaluation.coco_helpers import assert_same, coco_data, run_both

REAL = Path(__file__).parents[1] / "fixtures" / "coco-real"


@pytest.fixture
def kernels_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every size takes the numba kernels."""
    monkeypatch.setattr(matching, "NUMPY_MAX_DETECTIONS", -1)
    yield


@pytest.fixture
def numpy_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Small inputs take the numpy path even when this process has loaded numba."""
    monkeypatch.setattr(matching, "_numba_loaded", lambda: False)
    yield


@pytest.mark.parametrize("seed", range(4))
def test_layout_equals_the_kernel(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for _ in range(100):
        n_keys = int(rng.integers(1, 12))
        gt_key = np.sort(rng.integers(0, n_keys, rng.integers(0, 30)))
        dt_key = np.sort(rng.integers(0, n_keys, rng.integers(0, 60)))
        max_det = int(rng.integers(1, 6))
        for ours, kernel in zip(
            matching._layout_groups_numpy(gt_key, dt_key, max_det),
            matching._layout_groups(gt_key, dt_key, max_det),
            strict=True,
        ):
            assert ours.dtype == kernel.dtype
            np.testing.assert_array_equal(ours, kernel)


def _groups(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Random groups: GT and detection counts, similarities with ties, -1 (incompatible) and 1."""
    n_groups = int(rng.integers(0, 12))
    n_gt, n_dt = rng.integers(0, 6, n_groups), rng.integers(0, 7, n_groups)
    starts = [np.concatenate([[0], np.cumsum(n)]).astype(np.int64) for n in (n_gt, n_dt)]
    pair_start = np.concatenate([[0], np.cumsum(n_gt * n_dt)]).astype(np.int64)
    n_pairs, g, d = int(pair_start[-1]), int(starts[0][-1]), int(starts[1][-1])
    similarity = np.round(rng.random(n_pairs), 1)
    similarity[rng.random(n_pairs) < 0.1] = -1.0
    similarity[rng.random(n_pairs) < 0.05] = 1.0
    areas = np.array([10.0, 50.0, 200.0, 5000.0])
    crowd = rng.random(g) < 0.2
    return (
        starts[0], starts[1], pair_start, similarity, rng.choice(areas, g),
        crowd | (rng.random(g) < 0.1), crowd, rng.random(g) < 0.1, rng.choice(areas, d),
    )  # fmt: skip


@pytest.mark.parametrize("want_index", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_matching_equals_the_kernel(seed: int, want_index: bool) -> None:
    rng = np.random.default_rng(seed)
    ranges = np.array([[0, 1e10], [0, 32.0], [32, 96.0], [96, 1e10]])
    # 1.0 is matched as 1 - 1e-10 (evaluateImg); 0.5000001 sits between tied values' neighbours.
    thresholds = np.array([0.1, 0.5, 0.5000001, 0.9, 1.0, 0.0, 0.3])
    for _ in range(100):
        groups = _groups(rng)
        n_gt, n_dt = len(groups[4]), len(groups[8])
        results = []
        for match in (matching._match_groups_numpy, matching._match_groups):
            shape = (len(ranges), len(thresholds)) if want_index else (0, 0)
            state = np.zeros((n_dt, len(ranges), len(thresholds)), np.int8)
            dt_match = np.full((*shape, n_dt if want_index else 0), -1, np.int64)
            gt_match = np.full((*shape, n_gt if want_index else 0), -1, np.int64)
            match(*groups, ranges, thresholds, state, dt_match, gt_match)
            results.append((state, dt_match, gt_match))
        for ours, kernel in zip(*results, strict=True):
            np.testing.assert_array_equal(ours, kernel)


RECALL_THRESHOLDS = [
    np.linspace(0, 1, 101),
    np.linspace(0, 1, 11),
    np.array([0.0, 0.5, 0.3, 1.0]),  # not ascending: pycocotools stops at the first miss
    np.array([0.2, np.nan, 1.5, -0.1]),
]


@pytest.mark.parametrize("seed", range(4))
def test_accumulation_equals_the_kernel(seed: int) -> None:
    rng = np.random.default_rng(seed)
    for trial in range(150):
        k, d, a, t = (int(rng.integers(lo, hi)) for lo, hi in ((1, 6), (0, 60), (1, 4), (1, 5)))
        dt_class = np.sort(rng.integers(0, k, d))
        class_start = np.searchsorted(dt_class, np.arange(k + 1)).astype(np.int64)
        rank = rng.integers(0, 8, d).astype(np.int32)
        score = np.round(rng.random(d), 1)  # ties
        order = np.lexsort((-score, dt_class)).astype(np.int64)
        state = rng.choice(np.array([0, 1, 2], np.int8), (d, a, t), p=[0.4, 0.4, 0.2])
        n_positive = rng.integers(0, 30, (k, a))
        present = rng.random(k) < 0.8
        max_dets = np.sort(rng.choice([1, 3, 5, 100], int(rng.integers(1, 4)), replace=False))
        recall_thresholds = RECALL_THRESHOLDS[trial % len(RECALL_THRESHOLDS)]
        args = (class_start, rank, score, order, state, n_positive, present, max_dets,
                recall_thresholds)  # fmt: skip
        shapes = [(t, len(recall_thresholds), k, a, len(max_dets)), (t, k, a, len(max_dets))]
        ours = [np.full(shapes[i], np.nan) for i in (0, 1, 0)]
        kernel = [np.full(shapes[i], np.nan) for i in (0, 1, 0)]
        acc._accumulate_numpy(*args, *ours)
        scratch = np.empty((int(np.diff(class_start).max(initial=0)), a, t), np.int8)
        acc._accumulate(*args, scratch, *kernel)
        for x, y in zip(ours, kernel, strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parity
@pytest.mark.parametrize("path", ["kernels_only", "numpy_only"])
@pytest.mark.parametrize("kind", ["bbox", "segm", "keypoints"])
def test_both_paths_equal_pycocotools(kind: str, path: str, request: pytest.FixtureRequest) -> None:
    request.getfixturevalue(path)
    dataset, results = coco_data.generate(coco_data.Spec(kind=kind, seed=0))
    assert_same(*run_both(dataset, results, kind))


@pytest.mark.parity
@pytest.mark.parametrize("path", ["kernels_only", "numpy_only"])
@pytest.mark.parametrize(
    "params",
    [
        {"useCats": 0},
        {"maxDets": [50, 1, 10]},
        {"recThrs": np.array([0.0, 0.5, 0.3, 1.0])},
        {"iouThrs": np.array([0.3, 0.5, 0.75])},
    ],  # fmt: skip
    ids=["useCats-0", "maxDets-unsorted", "recThrs-unsorted", "iouThrs"],
)
def test_both_paths_with_custom_params_equal_pycocotools(
    params: dict, path: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(path)
    dataset, results = coco_data.generate(coco_data.Spec(kind="bbox", seed=5, n_images=20))
    assert_same(*run_both(dataset, results, "bbox", **params))


def test_a_small_evaluation_does_not_import_numba() -> None:
    gt = REAL / "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
    res = REAL / "cocoapi/results/instances_val2014_fakebbox100_results.json"
    code = (
        "import contextlib, io, sys\n"
        "from branchmark.coco import COCO, COCOeval\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    gt = COCO({str(gt)!r})\n"
        f"    ev = COCOeval(gt, gt.loadRes({str(res)!r}), 'bbox')\n"
        "    ev.evaluate(); ev.accumulate(); ev.summarize()\n"
        "print(round(ev.stats[0], 4), 'numba' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0.5046", "False"]
