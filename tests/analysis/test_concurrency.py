"""Analyses started at once from separate processes finish with correct, independent results;
a worker killed with SIGKILL mid-run leaves nothing that reads as done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from branchmark import analysis as an
from branchmark.store import Store
from tests.analysis.builders import build_project, coco_dicts, random_boxes
from tests.analysis.test_coco_parity import pycocotools_eval

ROOT = Path(__file__).resolve().parents[2]
N_IMAGES, N_CLASSES = 20, 3


def _spawn(store: Store, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.analysis.worker", store.location, "p", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_processes_at_once(store: Store) -> None:
    sets = {
        name: random_boxes(
            np.random.default_rng(seed),
            n_images=N_IMAGES,
            n_gt=150,
            n_pred=900,
            n_classes=N_CLASSES,
        )
        for seed, name in enumerate(("a", "b"))
    }
    gt = sets["a"][0]
    # Both sets predict the same GT: rebuild b's predictions on a's GT with another seed.
    _, b_pred = random_boxes(
        np.random.default_rng(5), n_images=N_IMAGES, n_gt=150, n_pred=900, n_classes=N_CLASSES
    )
    preds = {"a": sets["a"][1], "b": b_pred}
    project, _ = build_project(store, gt, preds, n_images=N_IMAGES, n_classes=N_CLASSES)
    jobs = [("a", "strict"), ("b", "strict"), ("a", "partial")]
    workers = [_spawn(store, branch, mode) for branch, mode in jobs]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0], [o[1][-2000:] for o in outputs]
    assert all(o[0].strip() == "done" for o in outputs)
    records = {r.name: r for r in an.list_analyses(store, project)}
    assert len(records) == 3 and {r.status for r in records.values()} == {an.JobStatus.DONE}
    assert len({r.job.pid for r in records.values()}) == 3  # three separate workers
    for branch, mode in jobs:
        record = records[f"{branch}-vs-main-{mode}"]
        ev = pycocotools_eval(
            *coco_dicts(gt, preds[branch], n_images=N_IMAGES, n_classes=N_CLASSES)
        )
        np.testing.assert_allclose(record.summary["coco"]["coco_stats"], ev.stats, atol=1e-12)
        assert record.summary["counts"]["predictions"] == 900


def test_sigkill_mid_run_reads_as_failed(store: Store) -> None:
    gt, pred = random_boxes(
        np.random.default_rng(1), n_images=N_IMAGES, n_gt=100, n_pred=400, n_classes=N_CLASSES
    )
    project, _ = build_project(store, gt, pred, n_images=N_IMAGES, n_classes=N_CLASSES)
    worker = _spawn(store, "preds", "strict", "matching")
    try:
        assert worker.stdout is not None
        line = worker.stdout.readline().strip()
        assert line == "stalled", worker.communicate(timeout=60)[1][-3000:]
        record = an.get_analysis(store, project, "preds-vs-main-strict")
        assert record.status is an.JobStatus.RUNNING and record.job.stage == "matching"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)
    record = an.get_analysis(store, project, "preds-vs-main-strict")
    assert record.status is an.JobStatus.FAILED and "ended without finishing" in record.job.message
    assert record.result is None and record.summary is None
    time.sleep(0.01)
    done = an.reanalyse(store, project, record.name)
    assert done.status is an.JobStatus.DONE and done.result is not None
