"""Bulk store API throughput: ``insert_annotations`` and ``read_annotations`` on one branch.

.venv/bin/python benchmarks/store_bulk.py --images 10000 --per-image 100
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from branchmark.store import AnnotationBatch, Store, catalog, insert_annotations, read_annotations
from branchmark.store import schema as t

ONTOLOGY = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "encord" / "ontology.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--per-image", type=int, default=100)
    args = parser.parse_args()
    store = Store.open(Path(tempfile.mkdtemp()) / "ws")
    n_img, per = args.images, args.per_image
    with store.write() as conn:
        project = catalog.create_project(conn, "bench", json.loads(ONTOLOGY.read_text()))
        branch = catalog.ensure_branch(conn, project.id, "pred")
        now = catalog.utc_now()
        conn.execute(
            t.data_units.insert(),
            [
                {
                    "project_id": project.id,
                    "data_hash": f"00000000-0000-0000-0000-{i:012d}",
                    "title": f"img_{i}.jpg",
                    "data_type": "image",
                    "width": 640,
                    "height": 480,
                    "created_at": now,
                }
                for i in range(n_img)
            ],
        )
        units = catalog.get_data_units(conn, project.id)
        from branchmark.store.label_rows import create_label_rows

        rows = create_label_rows(conn, [(u, branch) for u in units])
    n = n_img * per
    rng = np.random.default_rng(0)
    xywh = rng.uniform(0, 300, (n, 4))
    batch = AnnotationBatch(
        label_row_id=np.repeat([r.id for r in rows], per),
        frame=np.zeros(n, np.int64),
        object_hash=[f"o{i:07d}" for i in range(n)],
        feature_hash=["0b1e4a01", "0b1e4a05"] * (n // 2),
        shape=["bounding_box", "point"] * (n // 2),
        x=xywh[:, 0],
        y=xywh[:, 1],
        w=xywh[:, 2],
        h=xywh[:, 3],
        confidence=rng.random(n),
    )
    for label, fn in (
        ("insert_annotations", lambda: _insert(store, batch)),
        (
            "read 7 numeric columns",
            lambda: _read(
                store, branch.id, ("label_row_id", "frame", "x", "y", "w", "h", "confidence")
            ),
        ),
        (
            "read + feature_hash",
            lambda: _read(
                store,
                branch.id,
                ("label_row_id", "frame", "feature_hash", "x", "y", "w", "h", "confidence"),
            ),
        ),
    ):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        print(
            f"{label:<24} {n:>9} rows  {time.perf_counter() - wall:6.2f} s wall  "
            f"{time.process_time() - cpu:6.2f} s CPU"
        )
    store.close()
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f}")


def _insert(store: Store, batch: AnnotationBatch) -> None:
    with store.write() as conn:
        insert_annotations(conn, batch)


def _read(store: Store, branch_id: int, columns: tuple[str, ...]) -> None:
    with store.read() as conn:
        read_annotations(conn, branch_id=branch_id, columns=columns)


if __name__ == "__main__":
    main()
