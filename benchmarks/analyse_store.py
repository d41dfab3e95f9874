"""Analysis of a prediction set held in the store: end to end, slider summary, outcome page.

Setup (not timed): a SQLite workspace with 100,000 GT boxes on ``main`` and 1,000,000 predicted
boxes on ``preds`` (20,000 images, 80 classes; predictions are jittered GT copies, class swaps
and background noise, scores rounded to 3 decimals so ties occur), written with the store's bulk
insert.  Timed, each in this process:

1. ``analyse`` end to end: load both branches, match, COCO protocol, FP reasons, confusion,
   persist every per-object row, commit;
2. a summary at a new (IoU, confidence) point: first call (the run cached its outcomes), a
   "cold" call after clearing the cache (what another process pays once: reading the stored
   columns), then warm calls at other points;
3. a page of 50 outcomes (FP of one class at IoU 0.75, confidence 0.3, with its total count),
   a page of FN GT, and pages of exact confusion-matrix cells.

    .venv/bin/python benchmarks/analyse_store.py              # full scale
    .venv/bin/python benchmarks/analyse_store.py --scale 0.1  # quick run
    .venv/bin/python benchmarks/analyse_store.py --profile    # pyinstrument of the analyse step
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from branchmark import analysis as an
from branchmark.store import Store, catalog
from branchmark.store.annotations import AnnotationBatch, insert_annotations
from branchmark.store.bulk_rows import add_image_units, ensure_label_rows

N_CLASSES, WIDTH, HEIGHT = 80, 640, 480


def _ontology() -> dict[str, object]:
    return {
        "objects": [
            {
                "id": str(k),
                "name": f"class{k}",
                "color": "#000000",
                "shape": "bounding_box",
                "featureNodeHash": f"c{k:07d}",
                "attributes": [],
            }
            for k in range(N_CLASSES)
        ],
        "classifications": [],
    }


def _boxes(
    rng: np.random.Generator, n_images: int, n_gt: int, n_pred: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    image = rng.integers(0, n_images, n_gt)
    cls = rng.integers(0, N_CLASSES, n_gt)
    wh = rng.uniform(6, 200, (n_gt, 2))
    xy = rng.uniform(0, 1, (n_gt, 2)) * (np.array([WIDTH, HEIGHT]) - wh)
    gt = {
        "image": image,
        "cls": cls,
        "xywh": np.column_stack([xy, wh]).round(2),
        "crowd": rng.random(n_gt) < 0.01,
        "score": np.ones(n_gt),
    }
    src = rng.integers(0, n_gt, n_pred)
    xywh = gt["xywh"][src] + rng.normal(0, 0.12, (n_pred, 4)) * np.column_stack([wh[src], wh[src]])
    noise = rng.random(n_pred) < 0.4
    xywh[noise, :2] = rng.uniform(0, 440, (int(noise.sum()), 2))
    xywh[:, 2:] = np.abs(xywh[:, 2:]) + 1
    pcls = np.where(rng.random(n_pred) < 0.1, rng.integers(0, N_CLASSES, n_pred), cls[src])
    pred = {
        "image": image[src],
        "cls": pcls,
        "xywh": xywh.round(2),
        "crowd": np.zeros(n_pred, bool),
        "score": rng.random(n_pred).round(3),
    }
    return gt, pred


def build(folder: Path, *, scale: float) -> tuple[Store, object]:
    n_images, n_gt, n_pred = int(20_000 * scale), int(100_000 * scale), int(1_000_000 * scale)
    gt, pred = _boxes(np.random.default_rng(2024), n_images, n_gt, n_pred)
    store = Store.open(folder)
    with store.write() as conn:
        project = catalog.create_project(conn, "bench", _ontology())
        units = add_image_units(
            conn,
            project.id,
            titles=[f"{i}.jpg" for i in range(n_images)],
            widths=[WIDTH] * n_images,
            heights=[HEIGHT] * n_images,
            media_paths=[""] * n_images,
            file_types=["image/jpeg"] * n_images,
            client_metadata=[None] * n_images,
        )
    for name, boxes in (("main", gt), ("preds", pred)):
        with store.write() as conn:
            rows = ensure_label_rows(conn, units, catalog.ensure_branch(conn, project.id, name))
            row_of = np.array([rows[u] for u in units], np.int64)
            n = len(boxes["image"])
            insert_annotations(
                conn,
                AnnotationBatch(
                    label_row_id=row_of[boxes["image"]],
                    frame=np.zeros(n, np.int64),
                    object_hash=[f"{i:08x}" for i in range(n)],
                    feature_hash=[f"c{k:07d}" for k in boxes["cls"].tolist()],
                    shape=["bounding_box"] * n,
                    x=boxes["xywh"][:, 0],
                    y=boxes["xywh"][:, 1],
                    w=boxes["xywh"][:, 2],
                    h=boxes["xywh"][:, 3],
                    area=boxes["xywh"][:, 2] * boxes["xywh"][:, 3],
                    iscrowd=boxes["crowd"],
                    confidence=boxes["score"],
                ),
            )
    return store, project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the analyse step")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(args.workdir or tempfile.mkdtemp(prefix="bm-analyse-")) / f"ws-{args.scale}"
    started = time.perf_counter()
    if (folder / "branchmark.db").exists():
        store = Store.open(folder)
        with store.read() as conn:
            project = catalog.get_project(conn, "bench")
    else:
        store, project = build(folder, scale=args.scale)
    setup = time.perf_counter() - started

    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    t0, c0 = time.perf_counter(), time.process_time()
    record = an.analyse(store, project, "preds", name="bench")  # type: ignore[arg-type]
    analyse_s, analyse_cpu = time.perf_counter() - t0, time.process_time() - c0
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))

    t0 = time.perf_counter()
    an.summary_at(store, record, iou_threshold=0.65, confidence=0.4)
    first_summary = time.perf_counter() - t0
    # Another process (e.g. a server started later) reads the stored columns first.
    from branchmark.analysis import queries

    queries._cache.clear()
    t0 = time.perf_counter()
    an.summary_at(store, record, iou_threshold=0.7, confidence=0.45)
    cold_summary = time.perf_counter() - t0
    warm = []
    for t, c in ((0.3, 0.1), (0.75, 0.5), (0.9, 0.8), (0.5, 0.25), (0.55, 0.6)):
        t0 = time.perf_counter()
        an.summary_at(store, record, iou_threshold=t, confidence=c)
        warm.append(time.perf_counter() - t0)
    pages = []
    for k, t in ((3, 0.75), (17, 0.5), (42, 0.9)):
        t0 = time.perf_counter()
        page = an.outcome_page(
            store,
            record,
            outcome="fp",
            classes=[f"class{k}"],
            iou_threshold=t,
            confidence=0.3,
            page=2,
            page_size=50,
        )
        pages.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    gt_page = an.outcome_page(
        store,
        record,
        kind="ground_truth",
        outcome="fn",
        iou_threshold=0.5,
        confidence=0.5,
        page_size=50,
    )
    gt_page_s = time.perf_counter() - t0
    cells = []
    for row, column in ((3, 3), ("background", 17), (42, "missed"), (5, 9)):
        t0 = time.perf_counter()
        cell = an.confusion_objects(store, record, row=row, column=column, page=1, page_size=50)
        cells.append(time.perf_counter() - t0)
    print(
        json.dumps(
            {
                "scale": args.scale,
                "ground_truth": record.summary["counts"]["ground_truth"],  # type: ignore[index]
                "predictions": record.summary["counts"]["predictions"],  # type: ignore[index]
                "setup_s": round(setup, 1),
                "analyse_s": round(analyse_s, 2),
                "analyse_cpu_s": round(analyse_cpu, 2),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "first_summary_ms": round(first_summary * 1000, 1),
                "cold_summary_ms": round(cold_summary * 1000, 1),
                "warm_summary_ms_median": round(statistics.median(warm) * 1000, 1),
                "warm_summary_ms_max": round(max(warm) * 1000, 1),
                "page_ms_median": round(statistics.median(pages) * 1000, 1),
                "page_ms_max": round(max(pages) * 1000, 1),
                "page_total": page.total,
                "gt_fn_page_ms": round(gt_page_s * 1000, 1),
                "gt_fn_total": gt_page.total,
                "confusion_cell_ms_max": round(max(cells) * 1000, 1),
                "confusion_cell_total": cell.total,
                "coco_map": record.summary["coco"]["stats"][0],  # type: ignore[index]
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
