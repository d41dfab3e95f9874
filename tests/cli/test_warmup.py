"""``branchmark warmup``: it compiles every numba kernel, so that nothing compiles afterwards."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from branchmark.cli.main import app
from branchmark.cli.warmup import KERNEL_MODULES

ROOT = Path(__file__).parents[2]
SRC = ROOT / "src"
REAL = ROOT / "tests" / "fixtures" / "coco-real"


def _module(path: Path) -> str:
    return ".".join(path.relative_to(SRC).with_suffix("").parts)


def _decorators(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef):
            for deco in node.decorator_list:
                func = deco.func if isinstance(deco, ast.Call) else deco
                names.add(ast.unparse(func))
    return names


def test_every_numba_function_is_a_warmed_kernel() -> None:
    kernels, plain = set(), set()
    for path in SRC.rglob("*.py"):
        found = _decorators(path)
        if "kernel" in found:
            kernels.add(_module(path))
        if found & {"numba.njit", "numba.jit", "njit", "jit"}:
            plain.add(_module(path))
    assert kernels == set(KERNEL_MODULES)
    assert "branchmark.analysis.fp_reasons" in kernels  # the walk sees the analysis package
    # A plain numba.njit would be typed on its first call, which compile_kernels cannot reach.
    assert plain == set()


def test_json_lists_every_kernel_and_the_cache() -> None:
    out = CliRunner().invoke(app, ["warmup", "--json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.output)
    assert set(payload) == {"kernels", "seconds", "cache"}
    names = {row["kernel"] for row in payload["kernels"]}
    assert "branchmark.evaluation.accumulate._accumulate" in names
    assert "branchmark.coco._array_bounds" in names
    assert {
        "branchmark.analysis.pairs._lookup",
        "branchmark.analysis.pairs._enumerate_pairs",
        "branchmark.analysis.fp_reasons._flags",
    } <= names
    assert payload["cache"]


# After `branchmark warmup` in an empty numba cache, COCO evaluations of every kind and a stored
# analysis (through the store's read path) compile nothing: the warm-up compiled exactly the
# signatures they use.  Kernels are forced for every size (small inputs take numpy paths) and
# results files are read in chunks (the comma scan is a kernel).
AFTER_WARMUP = """
import contextlib, io, sys, tempfile
import numpy as np
from numba.core import event

compiles = []

class Count(event.Listener):
    def on_start(self, ev):
        d = ev.data["dispatcher"]
        compiles.append(f"{d.py_func.__module__}.{d.py_func.__qualname__}{ev.data['args']}")

    def on_end(self, ev):
        pass

event.register("numba:compile", Count())

import branchmark.coco as coco_module
from branchmark.coco import COCO, COCOeval
from branchmark.evaluation import matching
matching.NUMPY_MAX_DETECTIONS = -1
coco_module._CHUNK_BYTES = 4096
real = sys.argv[1]
runs = [
    ("bbox", "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json",
     "cocoapi/results/instances_val2014_fakebbox100_results.json"),
    ("segm", "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json",
     "cocoapi/results/instances_val2014_fakesegm100_results.json"),
    ("keypoints", "faster_coco_eval/tests/keypoints_dataset/gt_dataset.json",
     "faster_coco_eval/tests/keypoints_dataset/dt_dataset.json"),
]
with contextlib.redirect_stdout(io.StringIO()):
    for kind, gt, res in runs:
        coco = COCO(f"{real}/{gt}")
        ev = COCOeval(coco, coco.loadRes(f"{real}/{res}"), kind)
        ev.evaluate(); ev.accumulate(); ev.summarize()

from branchmark import analysis as an
from branchmark.store import Store
from tests.analysis.builders import build_project, random_boxes
rng = np.random.default_rng(3)
gt, pred = random_boxes(rng, n_images=6, n_gt=40, n_pred=120, n_classes=3)
with tempfile.TemporaryDirectory() as folder:
    store = Store.open(folder)
    project, _ = build_project(store, gt, pred, n_images=6, n_classes=3)
    record = an.analyse(store, project, "preds")
    an.summary_at(store, record, iou_threshold=0.75, confidence=0.3)
    store.close()
print(record.status, compiles)
"""


@pytest.mark.slow
def test_after_warmup_evaluations_and_an_analysis_compile_nothing(tmp_path: Path) -> None:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    warm = subprocess.run(
        [sys.executable, "-m", "branchmark", "warmup"], capture_output=True, text=True, env=env
    )
    assert warm.returncode == 0, warm.stderr
    assert "compiled" in warm.stdout  # the cache was empty
    done = subprocess.run(
        [sys.executable, "-c", AFTER_WARMUP, str(REAL)], capture_output=True, text=True,
        env=env, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done []"
