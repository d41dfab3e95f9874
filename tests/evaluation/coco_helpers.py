"""Shared helpers of the COCO evaluation tests: the seeded generator and both engines."""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import io
import sys
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from branchmark.coco import COCO, COCOeval

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "_coco_data.py"
_spec = importlib.util.spec_from_file_location("_coco_data", _PATH)
assert _spec is not None and _spec.loader is not None
coco_data = importlib.util.module_from_spec(_spec)
sys.modules["_coco_data"] = coco_data
_spec.loader.exec_module(coco_data)


def run_both(
    dataset: dict[str, Any], results: Any, iou_type: str, **params: Any
) -> tuple[PyCOCOeval, COCOeval]:
    """Evaluate with pycocotools and with branchmark's drop-in, same inputs and params."""
    evals = []
    for coco_cls, eval_cls in ((PyCOCO, PyCOCOeval), (COCO, COCOeval)):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = coco_cls()
            gt.dataset = copy.deepcopy(dataset)
            gt.createIndex()
            dt = gt.loadRes(copy.deepcopy(results))
            ev = eval_cls(gt, dt, iou_type)
            for key, value in params.items():
                setattr(ev.params, key, value)
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
        evals.append(ev)
    return evals[0], evals[1]


def class_ap(ev: Any) -> np.ndarray:
    """Per-class AP from a ``COCOeval.eval`` (mean over T and R at area index 0, last maxDets)."""
    p = ev.eval["precision"][:, :, :, 0, -1]
    return np.array([p[:, :, k][p[:, :, k] > -1].mean() if (p[:, :, k] > -1).any() else -1.0
                     for k in range(p.shape[2])])  # fmt: skip


def assert_same(reference: Any, ours: Any) -> None:
    """Stats, per-class AP within 1e-12; precision / recall / scores arrays equal."""
    np.testing.assert_allclose(ours.stats, reference.stats, rtol=0, atol=1e-12)
    np.testing.assert_allclose(class_ap(ours), class_ap(reference), rtol=0, atol=1e-12)
    for key in ("precision", "recall", "scores"):
        assert ours.eval[key].shape == reference.eval[key].shape, key
        np.testing.assert_allclose(
            ours.eval[key], reference.eval[key], rtol=0, atol=1e-12, err_msg=key
        )
