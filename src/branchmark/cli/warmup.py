"""``branchmark warmup``: compile the numba kernels now, so that no later command waits for it."""

from __future__ import annotations

import importlib
import time
from typing import Annotated

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
    "branchmark.analysis.pairs",
    "branchmark.analysis.fp_reasons",
)


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
    total = time.perf_counter() - start
    if as_json:
        payload = {"kernels": kernels, "seconds": round(total, 3), "cache": _cache_dirs()}
        typer.echo(orjson.dumps(payload).decode())
        return
    compiled = sum(not row["cached"] for row in kernels)
    summary = (
        f"numba kernels: {len(kernels)} ({compiled} compiled, the others loaded from the cache) "
        f"in {total:.1f} s"
    )
    if quiet:
        typer.echo(summary)
        return
    for row in kernels:
        state = "loaded from cache" if row["cached"] else "compiled"
        typer.echo(f"{row['seconds']:7.2f} s  {state:17}  {row['kernel']}")
    typer.echo(summary)
    for folder in _cache_dirs():
        typer.echo(f"cache: {folder}")


def _cache_dirs() -> list[str]:
    from branchmark.geometry.kernels import registered_kernels

    return sorted({k.compile().stats.cache_path for k in registered_kernels()} - {None})


def register(app: typer.Typer) -> None:
    """Add the ``warmup`` command to ``app``."""
    app.command("warmup")(warmup)
