"""UI latency on a large workspace: gallery page and slider update, p50/p95 over real HTTP.

Builds (once, in --workspace) a project of --images media-less image data units with ground
truth and --predictions predicted boxes (bulk store inserts), analyses the prediction branch
(Strict, COCO protocol), starts the server on 127.0.0.1 (ephemeral port, in a thread) and times:

- the gallery page (HTML) and its JSON twin, filtered by the prediction branch and a class;
- the slider update (``/summary`` at a random IoU of the grid and a random confidence);
- the data unit detail (JSON: ground truth and predictions of one image, gallery neighbours).

The first request of each kind builds caches (branch index, stored outcomes) and is reported
on its own.  Usage: ``python benchmarks/ui_latency.py [--predictions 1000000] [--images 10000]``.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from branchmark import analysis
from branchmark.server import create_app
from branchmark.store import AnnotationBatch, Store, catalog, insert_annotations
from branchmark.store.bulk_rows import add_image_units, ensure_label_rows

CLASSES = ("car", "person", "bike")
WIDTH, HEIGHT = 640, 480


def _ontology() -> dict[str, object]:
    return {"objects": [{"id": str(i + 1), "name": n, "color": "#D33115", "shape": "bounding_box",
                         "featureNodeHash": f"feat{i:04d}", "attributes": []}
                        for i, n in enumerate(CLASSES)], "classifications": []}  # fmt: skip


def _batch(rows: dict[int, int], units: np.ndarray, per_unit: int, rng: np.random.Generator,
           *, scores: bool, base: np.ndarray | None) -> AnnotationBatch:  # fmt: skip
    n = len(units) * per_unit
    unit_of = np.repeat(units, per_unit)
    if base is None:
        x, y = rng.uniform(0, WIDTH - 60, n), rng.uniform(0, HEIGHT - 60, n)
        w, h = rng.uniform(10, 60, n), rng.uniform(10, 60, n)
        cls = rng.integers(0, len(CLASSES), n)
    else:  # predictions jitter the GT boxes (each GT repeated), some far off
        reps = -(-n // base.shape[1])  # ceil: each GT box repeated
        x, y, w, h, cls = (np.tile(c, reps)[:n] for c in base)
        x = x + rng.normal(0, 4, n)
        y = y + rng.normal(0, 4, n)
    return AnnotationBatch(
        label_row_id=np.array([rows[int(u)] for u in unit_of], dtype=np.int64),
        frame=np.zeros(n, dtype=np.int64),
        object_hash=[f"{i:08x}" for i in range(n)],
        feature_hash=[f"feat{int(c):04d}" for c in cls],
        shape=["bounding_box"] * n,
        x=x,
        y=y,
        w=w,
        h=h,
        confidence=rng.uniform(0, 1, n) if scores else None,
        manual=np.zeros(n, bool) if scores else None,
    ), np.stack([x, y, w, h, cls])  # type: ignore[return-value]


def build(workspace: Path, *, images: int, predictions: int, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    per_pred = predictions // images
    per_gt = max(1, per_pred // 5)
    with Store.open(workspace) as store:
        with store.write() as conn:
            project = catalog.create_project(conn, "ui-latency", _ontology())
            ids = add_image_units(
                conn, project.id, titles=[f"img-{i:06d}.jpg" for i in range(images)],
                widths=[WIDTH] * images, heights=[HEIGHT] * images, media_paths=[""] * images,
                file_types=["image/jpeg"] * images, client_metadata=[None] * images,
            )  # fmt: skip
            main = catalog.get_branch(conn, project.id, "main")
            pred = catalog.create_branch(conn, project.id, "detector")
        units = np.array(ids, dtype=np.int64)
        for start in range(0, images, 1000):
            chunk = units[start : start + 1000]
            with store.write() as conn:
                gt_rows = ensure_label_rows(conn, chunk.tolist(), main)
                pred_rows = ensure_label_rows(conn, chunk.tolist(), pred)
                gt, boxes = _batch(gt_rows, chunk, per_gt, rng, scores=False, base=None)
                insert_annotations(conn, gt)
                predicted, _ = _batch(pred_rows, chunk, per_pred, rng, scores=True, base=boxes)
                insert_annotations(conn, predicted)
        return project.project_hash


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _time(client: httpx.Client, urls: list[str]) -> list[float]:
    out = []
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
    return out


def _report(label: str, values: list[float]) -> None:
    p50, p95 = statistics.median(values), float(np.percentile(values, 95))
    print(f"{label:<34} n={len(values):4d}  p50={p50:7.1f} ms  p95={p95:7.1f} ms")


def _print_load() -> None:
    one, five, fifteen = os.getloadavg()
    print(f"load average (1, 5, 15 min): {one:.2f} {five:.2f} {fifteen:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workspace", type=Path, default=Path("/tmp/branchmark-ui-latency"))
    parser.add_argument("--predictions", type=int, default=1_000_000)
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=60)
    args = parser.parse_args()
    if not (args.workspace / "branchmark.db").exists():
        started = time.perf_counter()
        build(args.workspace, images=args.images, predictions=args.predictions)
        print(f"built workspace in {time.perf_counter() - started:.1f} s")
    with Store.open(args.workspace) as store:
        with store.read() as conn:
            project = catalog.get_project(conn, "ui-latency")
        if not analysis.list_analyses(store, project):
            started = time.perf_counter()
            analysis.analyse(store, project, "detector", wait=True)
            print(f"analysed in {time.perf_counter() - started:.1f} s")
        [record] = analysis.list_analyses(store, project)
        with store.read() as conn:
            hashes = [u.data_hash for u in catalog.get_data_units(conn, project.id)]
    import uvicorn

    _print_load()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(args.workspace), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    rng = np.random.default_rng(1)
    base = f"http://127.0.0.1:{port}"
    p = project.project_hash
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            pages = rng.integers(1, max(2, args.images // 48), args.requests)
            gallery = [
                f"/projects/{p}/data?branch=detector&class=feat0001&page={int(k)}" for k in pages
            ]
            gallery_json = [
                f"/api/projects/{p}/data-units?branch=detector&page={int(k)}" for k in pages
            ]
            grid = [round(0.05 * (i + 1), 2) for i in range(19)]
            details = [f"/api/projects/{p}/data-units/{hashes[int(k)]}?branch=detector"
                       for k in rng.integers(0, len(hashes), args.requests)]  # fmt: skip
            summary = f"/api/projects/{p}/analyses/{record.name}/summary"
            sliders = [f"{summary}?iou={rng.choice(grid)}&confidence={rng.uniform():.2f}"
                       for _ in range(args.requests)]  # fmt: skip
            for label, urls in (("gallery page (HTML)", gallery), ("gallery JSON", gallery_json),
                                ("slider update (summary JSON)", sliders),
                                ("data unit detail (JSON)", details)):  # fmt: skip
                first = _time(client, urls[:1])[0]
                print(f"{label:<34} first request {first:7.1f} ms (builds caches)")
                _report(label, _time(client, urls[1:]))
        _print_load()
    finally:
        server.should_exit = True
        thread.join(timeout=10)


if __name__ == "__main__":
    main()
