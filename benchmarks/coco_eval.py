"""End-to-end COCO evaluation benchmark: pycocotools vs faster-coco-eval vs branchmark.

Each library runs in a fresh subprocess that reads the JSON files, evaluates, accumulates and
summarises; we record wall time and peak RSS and check branchmark's stats against pycocotools'.

    .venv/bin/python benchmarks/coco_eval.py            # COCO-val scale (5,000 images)
    .venv/bin/python benchmarks/coco_eval.py --small    # quick run (500 images)
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LIBRARIES = ("pycocotools", "faster-coco-eval", "branchmark")


def _worker(library: str, kind: str, gt_path: str, res_path: str) -> None:
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
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "rss_mb": rss_mb, "stats": [float(s) for s in ev.stats[:12]]}))


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


def _run(library: str, kind: str, gt: Path, res: Path) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", library, kind, str(gt), str(res)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="500 images instead of 5,000")
    parser.add_argument("--kinds", default="bbox,segm,keypoints")
    parser.add_argument("--out", type=Path, default=Path("/tmp/branchmark-coco-bench"))
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(*args.worker)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind in args.kinds.split(","):
        gt, res = _write_data(args.out, kind, args.small)
        _run("branchmark", kind, gt, res)  # warm numba's on-disk cache (first install only)
        timings = {lib: _run(lib, kind, gt, res) for lib in LIBRARIES}
        ref = timings["pycocotools"]["stats"]
        same = max(abs(a - b) for a, b in zip(ref, timings["branchmark"]["stats"], strict=True))
        base = timings["faster-coco-eval"]
        for lib in LIBRARIES:
            t = timings[lib]
            rows.append((kind, lib, t["seconds"], t["seconds"] / base["seconds"], t["rss_mb"],
                         t["rss_mb"] / base["rss_mb"], same if lib == "branchmark" else None))  # fmt: skip
    print("| iou type | library | seconds | time / faster-coco-eval | peak RSS MB | RSS / faster | max |stats - pycocotools| |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for kind, lib, sec, ratio, rss, rss_ratio, diff in rows:
        d = "" if diff is None else f"{diff:.1e}"
        print(f"| {kind} | {lib} | {sec:.2f} | {ratio:.2f} | {rss:.0f} | {rss_ratio:.2f} | {d} |")


if __name__ == "__main__":
    main()
