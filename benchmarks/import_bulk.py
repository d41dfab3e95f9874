"""Benchmark: 1,000,000 predicted boxes on 10,000 images, as a COCO results file, into a branch.

    .venv/bin/python benchmarks/import_bulk.py                      # SQLite, temp workspace
    .venv/bin/python benchmarks/import_bulk.py --database-url postgresql+psycopg://...
    .venv/bin/python benchmarks/import_bulk.py --profile            # pyinstrument report

The workspace gets a COCO dataset of 10,000 images and 80 categories (no annotations) first; then
the timed step imports the results list (seeded random boxes inside each image, scores in
(0, 1)) with ``import_coco_results`` in a child process, whose wall time and peak RSS
(``ru_maxrss``) are reported.  Targets (SQLite): <= 10 s and <= 2 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import orjson

N_IMAGES = 10_000
N_BOXES = 1_000_000
N_CLASSES = 80
WIDTH, HEIGHT = 640, 480


def write_files(folder: Path, *, n_images: int, n_boxes: int, seed: int = 0) -> tuple[Path, Path]:
    """A COCO dataset (images, categories) and a results list of ``n_boxes`` boxes."""
    rng = np.random.default_rng(seed)
    dataset = {
        "images": [
            {"id": i + 1, "file_name": f"{i + 1:012d}.jpg", "width": WIDTH, "height": HEIGHT}
            for i in range(n_images)
        ],
        "categories": [
            {"id": c + 1, "name": f"class_{c + 1}", "supercategory": "thing"}
            for c in range(N_CLASSES)
        ],
        "annotations": [],
    }
    w = rng.uniform(2, 200, n_boxes)
    h = rng.uniform(2, 200, n_boxes)
    x = rng.uniform(0, 1, n_boxes) * (WIDTH - w)
    y = rng.uniform(0, 1, n_boxes) * (HEIGHT - h)
    boxes = np.round(np.stack([x, y, w, h], axis=1), 2).tolist()
    images = rng.integers(1, n_images + 1, n_boxes).tolist()
    categories = rng.integers(1, N_CLASSES + 1, n_boxes).tolist()
    scores = np.round(rng.uniform(0.001, 1, n_boxes), 5).tolist()
    results = [
        {"image_id": i, "category_id": c, "bbox": b, "score": s}
        for i, c, b, s in zip(images, categories, boxes, scores, strict=True)
    ]
    dataset_file, results_file = folder / "dataset.json", folder / "results.json"
    dataset_file.write_bytes(orjson.dumps(dataset))
    results_file.write_bytes(orjson.dumps(results))
    return dataset_file, results_file


def run_import(workspace: str, results_file: str, profile: bool) -> None:
    """The timed step (runs in a child process): import the results into branch ``bench``."""
    from branchmark.importers import import_coco_results
    from branchmark.store import Store

    store = Store.open(workspace)
    profiler = None
    if profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    started = time.perf_counter()
    report = import_coco_results(store, results_file, project="bench", branch="bench")
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
    store.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    # CPU time next to wall time: on a shared machine the wall clock also measures the others.
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"rows": report.imported, "seconds": round(seconds, 2),
                      "cpu_seconds": round(cpu, 2), "peak_rss_mb": round(peak_mb)}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a SQLite temp workspace)")
    parser.add_argument("--boxes", type=int, default=N_BOXES)
    parser.add_argument("--images", type=int, default=N_IMAGES)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--child", nargs=2, metavar=("WORKSPACE", "RESULTS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        run_import(args.child[0], args.child[1], args.profile)
        return
    from branchmark.importers import import_coco_dataset
    from branchmark.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        dataset_file, results_file = write_files(folder, n_images=args.images, n_boxes=args.boxes)
        workspace = args.database_url or str(folder / "ws")
        if args.database_url:  # a fresh schema per run, dropped afterwards
            from urllib.parse import quote

            import sqlalchemy as sa

            schema = f"bm_bench_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(args.database_url)
            with admin.begin() as conn:
                conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
            sep = "&" if "?" in args.database_url else "?"
            workspace = f"{args.database_url}{sep}options={quote(f'-csearch_path={schema}')}"
        try:
            with Store.open(workspace) as store:
                started = time.perf_counter()
                import_coco_dataset(store, dataset_file, project="bench")
                setup = time.perf_counter() - started
            size_mb = results_file.stat().st_size / 1e6
            cmd = [sys.executable, __file__, "--child", workspace, str(results_file)]
            if args.profile:
                cmd.append("--profile")
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            if args.profile:
                print(out.stderr)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            backend = "postgresql" if args.database_url else "sqlite"
            print(json.dumps({"backend": backend, "images": args.images,
                              "results_file_mb": round(size_mb, 1),
                              "dataset_import_s": round(setup, 2), **result}))  # fmt: skip
        finally:
            if args.database_url:
                with admin.begin() as conn:
                    conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
                admin.dispose()


if __name__ == "__main__":
    main()
