"""End-to-end COCO evaluation benchmark: pycocotools vs faster-coco-eval vs branchmark.

Each library runs in a fresh subprocess that reads the JSON files, evaluates, accumulates and
summarises; we record wall time, CPU time (user + system), peak RSS and the load average, and
check branchmark's stats against pycocotools'.  branchmark first runs once against an empty
numba cache (``NUMBA_CACHE_DIR`` in a temporary directory): that row is the one-time compile
cost after an install; the timed rows reuse the cache it wrote.

    .venv/bin/python benchmarks/coco_eval.py            # COCO-val scale (5,000 images)
    .venv/bin/python benchmarks/coco_eval.py --small    # quick run (500 images)
    .venv/bin/python benchmarks/coco_eval.py --libraries faster-coco-eval,branchmark --repeat 3
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARIES = ("pycocotools", "faster-coco-eval", "branchmark")
BASE = "faster-coco-eval"


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _worker(library: str, kind: str, gt_path: str, res_path: str) -> None:
    load = _load()
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if library == "pycocotools":
            from pycocotools.coco import COCO
            from pycocotools.cocoeval import COCOeval
        elif library == "faster-coco-eval":
            from faster_coco_eval import COCO
            from faster_coco_eval import COCOeval_faster as COCOeval
        else:
            from branchmark.coco import COCO, COCOeval
        gt = COCO(gt_path)
        ev = COCOeval(gt, gt.loadRes(res_path), kind)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({
        "seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024, "load": max(load, _load()),
        "stats": [float(s) for s in ev.stats[:12]],
    }))  # fmt: skip


def _write_data(out: Path, kind: str, small: bool) -> tuple[Path, Path]:
    sys.path.insert(0, str(HERE))
    from _coco_data import Spec, generate

    size = "small" if small else "full"
    gt_path, res_path = out / f"{kind}-{size}-gt.json", out / f"{kind}-{size}-results.json"
    if not gt_path.exists() or not res_path.exists():
        n_images = 500 if small else 5000
        # COCO val2017: 5,000 images, 80 classes, ~7.3 GT per image, 1% crowd; detectors
        # write 100 results per image (keypoints: persons only, 20 results per image).
        spec = Spec(kind=kind, n_images=n_images, n_classes=80, gt_per_image=7.3,
                    dets_per_image=20 if kind == "keypoints" else 100, crowd_fraction=0.01,
                    edge_cases=False, seed=2024)  # fmt: skip
        dataset, results = generate(spec)
        gt_path.write_text(json.dumps(dataset))
        res_path.write_text(json.dumps(results))
    return gt_path, res_path


def _run(library: str, kind: str, gt: Path, res: Path, env: dict[str, str]) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", library, kind, str(gt), str(res)],
        capture_output=True, text=True, check=True, env=env,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(kind: str, label: str, t: dict, base: dict | None, diff: float | None) -> str:
    ratio = lambda key: f"{t[key] / base[key]:.2f}" if base else ""  # noqa: E731
    d = "" if diff is None else f"{diff:.1e}"
    return (f"| {kind} | {label} | {t['seconds']:.2f} | {ratio('seconds')} | {t['cpu']:.2f} | "
            f"{ratio('cpu')} | {t['rss_mb']:.0f} | {ratio('rss_mb')} | {t['load']:.1f} | "
            f"{d} |")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="500 images instead of 5,000")
    parser.add_argument("--kinds", default="bbox,segm,keypoints")
    parser.add_argument("--libraries", default=",".join(LIBRARIES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per library, fastest kept")
    parser.add_argument("--out", type=Path, default=Path("/tmp/branchmark-coco-bench"))
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    libraries = [lib for lib in LIBRARIES if lib in args.libraries.split(",")]
    print("| iou type | library | wall s | wall / faster-coco-eval | CPU s | CPU / faster | "
          "peak RSS MB | RSS / faster | load avg | max abs(stats - pycocotools) |")  # fmt: skip
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        for kind in args.kinds.split(","):
            gt, res = _write_data(args.out, kind, args.small)
            timings: dict[str, dict] = {}
            if "branchmark" in libraries:
                # Empty numba cache: the first run after an install compiles every kernel.
                for stale in Path(cache).glob("**/*.nb*"):
                    stale.unlink()
                timings["cold"] = _run("branchmark", kind, gt, res, env)
            for lib in libraries:
                runs = [_run(lib, kind, gt, res, env) for _ in range(args.repeat)]
                timings[lib] = min(runs, key=lambda t: t["seconds"])
            ref = timings.get("pycocotools", {}).get("stats")
            base = timings.get(BASE)
            for label, t in timings.items():
                diff = None
                if ref is not None and label in ("branchmark", "cold"):
                    diff = max(abs(a - b) for a, b in zip(ref, t["stats"], strict=True))
                name = "branchmark, first run (empty numba cache)" if label == "cold" else label
                print(_row(kind, name, t, base, diff), flush=True)


if __name__ == "__main__":
    main()
