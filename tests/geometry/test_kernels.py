"""numba kernels: numba is imported on first use, each kernel compiles one signature, wrappers
turn other array types into it (no silent second compile), and a missing cache directory is a
warning, not an import error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import branchmark
from branchmark.evaluation import (
    Detections,
    GroundTruth,
    MatchOutcomes,
    match_objects,
    matching,
)
from branchmark.evaluation.accumulate import _accumulate, accumulate_states
from branchmark.evaluation.matching import _match_groups
from branchmark.evaluation.similarity import BoxSimilarity
from branchmark.evaluation.thresholds import (
    _first_inconsistency,
    _sorted_outcomes,
    _sorted_positions,
)
from branchmark.geometry import decode_rle_strings, encode_masks, mask_iou, mask_iou_pairs
from branchmark.geometry.kernels import Kernel, input_array, kernel, registered_kernels
from branchmark.geometry.masks import _pair_iou


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_importing_the_kernel_modules_does_not_import_numba() -> None:
    done = _run(
        "import sys\n"
        "import branchmark.coco, branchmark.evaluation, branchmark.geometry\n"
        "print('numba' in sys.modules)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_every_kernel_module_names_one_signature() -> None:
    import branchmark.coco  # noqa: F401  (registers its kernel)

    names = [k.name for k in registered_kernels()]
    assert "branchmark.evaluation.matching._match_groups" in names
    assert "branchmark.coco._array_bounds" in names
    assert all(isinstance(k, Kernel) and k.signature.startswith("(") for k in registered_kernels())


def test_other_argument_types_raise_instead_of_compiling_again() -> None:
    @kernel(input_array("int64"))
    def total(values):  # type: ignore[no-untyped-def]
        s = 0
        for v in values:
            s += v
        return s

    assert total(np.arange(4)) == 6
    read_only = np.arange(4)
    read_only.flags.writeable = False
    assert total(read_only) == 6  # a read-only signature takes writable and read-only arrays
    with pytest.raises(TypeError, match="No matching definition"):
        total(np.arange(4, dtype=np.int32))
    with pytest.raises(TypeError, match="No matching definition"):
        total(np.arange(8)[::2])  # strided: not the declared C layout
    assert len(total.compile().signatures) == 1


@kernel("int64")
def _plus_one(x):  # type: ignore[no-untyped-def]
    return x + 1


@kernel("int64")
def _twice_plus_one(x):  # type: ignore[no-untyped-def]
    return _plus_one(x) * 2


def test_a_kernel_calls_another_module_level_kernel() -> None:
    assert _twice_plus_one(3) == 8
    assert isinstance(_plus_one, Kernel)  # the module keeps the Kernel object


def test_masks_of_any_index_type_and_layout_use_the_one_compiled_kernel() -> None:
    rng = np.random.default_rng(0)
    full = encode_masks(rng.random((5, 6, 7)) < 0.4)
    # Heights as a strided column view, as RLE sizes read from an (N, 2) array are.
    sizes = np.stack([full.heights, full.widths], axis=1)
    strided = decode_rle_strings(_strings(full), sizes[:, 0], sizes[:, 1])
    assert not sizes[:, 0].flags.c_contiguous and strided.heights.flags.c_contiguous
    gi32, pi32 = np.array([0, 1, 4], np.int32), np.array([2, 2, 3], np.int32)
    expected = mask_iou(full, full)[gi32, pi32]
    got = mask_iou_pairs(strided, full, gi32, pi32, crowd=np.zeros(6, bool)[::2])
    np.testing.assert_array_equal(got, expected)
    assert len(_pair_iou.compile().signatures) == 1


def _strings(masks):  # type: ignore[no-untyped-def]
    from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

    out = []
    for i in range(len(masks)):
        runs = masks.counts[masks.offsets[i] : masks.offsets[i + 1]].tolist()
        h, w = int(masks.heights[i]), int(masks.widths[i])
        out.append(mask_utils.frPyObjects({"size": [h, w], "counts": runs}, h, w)["counts"])
    return out


def test_matching_and_accumulation_take_read_only_and_strided_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(matching, "NUMPY_MAX_DETECTIONS", -1)  # the kernels, at any size
    boxes = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], float)
    gt = GroundTruth(image=[0, 0], category=[0, 0], area=[100.0, 100.0], crowd=[False, False])
    dt = Detections(image=[0, 0], category=[0, 0], score=[0.9, 0.8], area=[100.0, 100.0])
    thresholds = np.array([0.5, 0.75, 0.25])[::2]  # strided
    thresholds_ro = thresholds.copy()
    thresholds_ro.flags.writeable = False
    sim = BoxSimilarity(boxes, boxes[::-1].copy(), np.zeros(2, bool))
    a = match_objects(gt, dt, sim, thresholds=thresholds)
    b = match_objects(gt, dt, sim, thresholds=thresholds_ro)
    np.testing.assert_array_equal(a.dt_match, b.dt_match)
    assert a.dt_match.tolist() == [[1, 0], [1, 0]]
    assert len(_match_groups.compile().signatures) == 1

    state = np.zeros((2, 1, 2), np.int8)
    state[0] = 1
    acc = accumulate_states(
        dt_class=np.zeros(2, np.int32), dt_rank=np.arange(2), dt_score=np.array([0.9, 0.8]),
        state=state, n_positive=np.array([[2]]), present=np.array([True]),
        max_dets=[100], recall_thresholds=np.linspace(0, 1, 11)[::-1][::-1],
    )  # fmt: skip
    assert acc.recall[:, 0, 0, 0].tolist() == [0.5, 0.5]
    assert len(_accumulate.compile().signatures) == 1


def test_match_outcomes_in_c_and_fortran_order_share_one_compile() -> None:
    match = np.array([[0, -1], [-1, -1]])  # (D, T)
    gt_match = np.array([[0, -1]])  # (G, T)
    kwargs = dict(pred_class=[0, 0], pred_score=[0.9, 0.5], gt_class=[0], gt_ignored=[False],
                  iou_thresholds=[0.5, 0.75])  # fmt: skip
    c_order = MatchOutcomes(pred_match=match, pred_ignored=match < -1, gt_match=gt_match, **kwargs)
    f_order = MatchOutcomes(
        pred_match=np.asfortranarray(match), pred_ignored=np.zeros(2, bool),  # broadcast
        gt_match=np.asfortranarray(gt_match), **kwargs,
    )  # fmt: skip
    np.testing.assert_array_equal(c_order._sorted_outcome, f_order._sorted_outcome)
    np.testing.assert_array_equal(c_order._gt_match_position, f_order._gt_match_position)
    for k in (_first_inconsistency, _sorted_outcomes, _sorted_positions):
        assert len(k.compile().signatures) == 1


def test_no_writable_cache_directory_warns_once_and_still_computes(tmp_path: Path) -> None:
    # numba's cache=True raises at decoration when no cache directory can be made; here: one
    # warning, then in-memory compiles.  As root ignores directory modes, a copy of the package
    # whose __pycache__ paths (and the user cache directory) are plain files stands in for a
    # read-only install with a read-only home.
    package = Path(branchmark.__file__).parent
    copy = tmp_path / "src" / "branchmark"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [copy, *(p for p in copy.rglob("*") if p.is_dir())]:
        (folder / "__pycache__").write_text("")
    (tmp_path / "cache").write_text("")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env.update(PYTHONPATH=str(tmp_path / "src"), HOME=str(tmp_path), PYTHONDONTWRITEBYTECODE="1",
               XDG_CACHE_HOME=str(tmp_path / "cache"))  # fmt: skip
    code = (
        "import warnings\n"
        "import numpy as np\n"
        "import branchmark\n"
        "from branchmark.geometry import mask_area, encode_masks\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    warnings.simplefilter('always')\n"
        "    area = mask_area(encode_masks(np.ones((1, 2, 3), bool)))\n"
        "    area = mask_area(encode_masks(np.ones((1, 2, 2), bool)))\n"
        "print(branchmark.__file__, area.tolist(), [str(w.message)[:38] for w in seen])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == str(copy / "__init__.py")
    assert done.stdout.split(" ", 1)[1].strip() == (
        "[4] ['numba cannot write its cache for branc']"
    )
