"""SDK save throughput: label rows built and saved through the SDK on a prediction branch.

N image rows with K boxes each: list the branch, initialise every row in bundles, create the
instances with ``set_for_frames(..., manual_annotation=False, confidence=...)``, save in bundles.
Prints rows/s for the whole thing and per phase, and the peak RSS.

    .venv/bin/python benchmarks/sdk_save.py --rows 10000 --boxes 50
    .venv/bin/python benchmarks/sdk_save.py --rows 2000 --profile   # pyinstrument report
"""

from __future__ import annotations

import argparse
import json
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

import branchmark as bm
from branchmark.objects import Object
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.store import catalog

ONTOLOGY = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "encord" / "ontology.json"


def _populate(project: bm.Project, rows: int) -> None:
    """Register the data units in one transaction (not what is being measured)."""
    with project.store.write() as conn:
        for i in range(rows):
            catalog.add_data_unit(
                conn,
                project.record.id,
                title=f"img_{i:06d}.jpg",
                data_type="image",
                width=640,
                height=480,
                file_type="image/jpeg",
            )


def run(workspace: str, rows: int, boxes: int, bundle_size: int) -> dict[str, float]:
    client = bm.UserClient.open(workspace)
    project = client.create_project("bench", json.loads(ONTOLOGY.read_text()))
    _populate(project, rows)
    rng = np.random.default_rng(0)
    xywh = rng.uniform(0.0, 0.5, (rows, boxes, 4))
    conf = rng.random((rows, boxes))
    cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)

    t0 = time.perf_counter()
    label_rows = project.list_label_rows_v2(branch_name="bench-model.v1")
    t1 = time.perf_counter()
    with project.create_bundle(bundle_size=bundle_size) as bundle:
        for row in label_rows:
            row.initialise_labels(bundle=bundle)
    t2 = time.perf_counter()
    for r, row in enumerate(label_rows):
        for b in range(boxes):
            x, y, w, h = xywh[r, b].tolist()
            inst = cherry.create_instance()
            inst.set_for_frames(
                BoundingBoxCoordinates(height=h, width=w, top_left_x=x, top_left_y=y),
                frames=0,
                manual_annotation=False,
                confidence=float(conf[r, b]),
            )
            row.add_object_instance(inst)
    t3 = time.perf_counter()
    for start in range(0, len(label_rows), bundle_size):
        with project.create_bundle(bundle_size=bundle_size) as bundle:
            for row in label_rows[start : start + bundle_size]:
                row.save(bundle=bundle)
    t4 = time.perf_counter()
    client.close()
    return {
        "list": t1 - t0,
        "initialise": t2 - t1,
        "build": t3 - t2,
        "save": t4 - t3,
        "total": t4 - t0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--boxes", type=int, default=50)
    parser.add_argument("--bundle-size", type=int, default=1000)
    parser.add_argument("--workspace", help="folder or database URL (default: a temp folder)")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile")
    args = parser.parse_args()
    workspace = args.workspace or str(Path(tempfile.mkdtemp()) / "ws")
    profiler = None
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    cpu0 = time.process_time()
    times = run(workspace, args.rows, args.boxes, args.bundle_size)
    cpu = time.process_time() - cpu0
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.rows
    print(f"{n} rows x {args.boxes} boxes ({n * args.boxes} annotations), workspace {workspace}")
    for phase in ("list", "initialise", "build", "save"):
        print(f"  {phase:<10} {times[phase]:7.2f} s  {n / times[phase]:9.0f} rows/s")
    print(
        f"  {'total':<10} {times['total']:7.2f} s  {n / times['total']:9.0f} rows/s "
        f"(process CPU {cpu:.2f} s)"
    )
    print(f"  peak RSS   {peak_mib:7.0f} MiB")


if __name__ == "__main__":
    main()
