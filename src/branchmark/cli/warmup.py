"""``branchmark warmup``: compile the numba kernels now, so that no later command waits for it."""

from __future__ import annotations

import importlib
import time
from typing import Annotated, Any

import orjson
import typer

#: Modules whose numba kernels ``warmup`` compiles (``@kernel``: one declared signature each).
#: ``tests/cli/test_warmup.py`` checks that every module using ``@kernel`` is listed.
KERNEL_MODULES = (
    "branchmark.geometry.masks",
    "branchmark.geometry.rotated",
    "branchmark.geometry.polyline",
    "branchmark.evaluation.matching",
    "branchmark.evaluation.accumulate",
    "branchmark.evaluation.thresholds",
    "branchmark.coco",
)
#: Modules with plain ``numba.njit`` functions (typed on first call): a two-box analysis runs
#: through them.
ANALYSIS_MODULES = ("branchmark.analysis.pairs", "branchmark.analysis.fp_reasons")


def warmup(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the table.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the summary line.")] = False,
) -> None:
    """Compile every numba kernel into numba's on-disk cache.

    The first COCO evaluation or analysis after an install, or after the
    sources change, otherwise compiles the kernels it needs (seconds).
    ./dev.sh runs this after installing; run again, it only loads them.

    The cache is numba's: NUMBA_CACHE_DIR when set, else next to the
    installed sources when writable, else ~/.cache/numba.
    """
    from branchmark.geometry.kernels import compile_kernels

    start = time.perf_counter()
    for module in KERNEL_MODULES:
        importlib.import_module(module)
    kernels = [
        {"kernel": k.name, "cached": k.cached, "seconds": round(k.seconds, 3)}
        for k in compile_kernels()
    ]
    analysis = _analysis_kernels()
    total = time.perf_counter() - start
    if as_json:
        payload = {
            "kernels": kernels, "analysis": analysis, "seconds": round(total, 3),
            "cache": _cache_dirs(),
        }  # fmt: skip
        typer.echo(orjson.dumps(payload).decode())
        return
    compiled = sum(not row["cached"] for row in kernels)
    summary = (
        f"numba kernels: {len(kernels)} ({compiled} compiled, the others loaded from the cache) "
        f"and a two-box analysis in {total:.1f} s"
    )
    if quiet:
        typer.echo(summary)
        return
    for row in kernels:
        state = "loaded from cache" if row["cached"] else "compiled"
        typer.echo(f"{row['seconds']:7.2f} s  {state:17}  {row['kernel']}")
    state = "loaded from cache" if analysis["cached"] else "compiled"
    typer.echo(f"{analysis['seconds']:7.2f} s  {state:17}  a two-box analysis: "
               f"{', '.join(analysis['functions'])}")  # fmt: skip
    typer.echo(summary)
    for folder in _cache_dirs():
        typer.echo(f"cache: {folder}")


def _analysis_kernels() -> dict[str, Any]:
    """Run a two-box analysis in memory: the analysis modules' numba functions are typed on
    their first call.  ``{"functions", "cached", "seconds"}`` (numba does not time each)."""
    import numpy as np
    from numba.core.registry import CPUDispatcher

    from branchmark.analysis.answers import AnswerCodes
    from branchmark.analysis.compute import AnalysisInputs, compute_outputs
    from branchmark.analysis.inputs import BranchObjects, ObjectClasses

    def objects(xywh: list[list[float]], *, score: list[float], crowd: list[bool]) -> BranchObjects:
        n = len(xywh)
        box = np.array(xywh, np.float64)
        corners = np.concatenate([box[:, :2], box[:, :2] + box[:, 2:]], axis=1)
        return BranchObjects(
            annotation_id=np.arange(1, n + 1), data_unit_id=np.ones(n, np.int64),
            frame=np.zeros(n, np.int64), image=np.zeros(n, np.int64),
            category=np.zeros(n, np.int64), box=corners, box_xywh=box,
            box_area=box[:, 2] * box[:, 3], theta=np.zeros(n), area=box[:, 2] * box[:, 3],
            crowd=np.array(crowd), score=np.array(score), geometry=[None] * n,
            class_shapes=("bounding_box",),
        )  # fmt: skip

    no_answers: AnswerCodes = (np.zeros(0, np.int64), [])
    inputs = AnalysisInputs(
        classes=ObjectClasses(("box0000",), ("box",), ("bounding_box",), ((),)),
        ontology={}, ontology_version=1, gt_revision=1, pred_revision=1,
        gt=objects([[0, 0, 10, 10], [20, 20, 5, 5]], score=[1.0, 1.0], crowd=[False, True]),
        dt=objects([[1, 1, 10, 10], [30, 30, 4, 4]], score=[0.9, 0.6], crowd=[False, False]),
        image_keys=[(1, 0)], image_sizes=[(64, 64)], gt_answers=no_answers,
        dt_answers=no_answers, classifications=[],
    )  # fmt: skip
    start = time.perf_counter()
    compute_outputs(inputs, mode="strict")
    seconds = time.perf_counter() - start
    functions, cached = [], True
    for module in ANALYSIS_MODULES:
        for name, value in vars(importlib.import_module(module)).items():
            if isinstance(value, CPUDispatcher):
                functions.append(f"{module}.{name}")
                stats = value.stats
                cached &= bool(stats.cache_hits) and not stats.cache_misses
    return {"functions": functions, "cached": cached, "seconds": round(seconds, 3)}


def _cache_dirs() -> list[str]:
    from branchmark.geometry.kernels import registered_kernels

    return sorted({k.compile().stats.cache_path for k in registered_kernels()} - {None})


def register(app: typer.Typer) -> None:
    """Add the ``warmup`` command to ``app``."""
    app.command("warmup")(warmup)
