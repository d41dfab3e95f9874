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
import os
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


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def run(workspace: str, rows: int, boxes: int, bundle_size: int) -> dict[str, tuple[float, float]]:
    """Wall and process-CPU seconds of each phase (and of the whole)."""
    client = bm.UserClient.open(workspace)
    project = client.create_project("bench", json.loads(ONTOLOGY.read_text()))
    _populate(project, rows)
    rng = np.random.default_rng(0)
    xywh = rng.uniform(0.0, 0.5, (rows, boxes, 4))
    conf = rng.random((rows, boxes))
    cherry = project.ontology_structure.get_child_by_title("Cherry", type_=Object)

    t0 = _clock()
    label_rows = project.list_label_rows_v2(branch_name="bench-model.v1")
    t1 = _clock()
    with project.create_bundle(bundle_size=bundle_size) as bundle:
        for row in label_rows:
            row.initialise_labels(bundle=bundle)
    t2 = _clock()
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
    t3 = _clock()
    for start in range(0, len(label_rows), bundle_size):
        with project.create_bundle(bundle_size=bundle_size) as bundle:
            for row in label_rows[start : start + bundle_size]:
                row.save(bundle=bundle)
    t4 = _clock()
    client.close()
    marks = {"list": (t0, t1), "initialise": (t1, t2), "build": (t2, t3), "save": (t3, t4)}
    marks["total"] = (t0, t4)
    return {k: (b[0] - a[0], b[1] - a[1]) for k, (a, b) in marks.items()}


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
    load = os.getloadavg()[0]
    cpu0 = time.process_time()
    times = run(workspace, args.rows, args.boxes, args.bundle_size)
    cpu = time.process_time() - cpu0
    load = max(load, os.getloadavg()[0])
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = args.rows
    print(f"{n} rows x {args.boxes} boxes ({n * args.boxes} annotations), workspace {workspace}")
    for phase in ("list", "initialise", "build", "save", "total"):
        wall, phase_cpu = times[phase]
        print(
            f"  {phase:<10} {wall:7.2f} s wall {phase_cpu:7.2f} s CPU  {n / wall:9.0f} rows/s "
            f"({n / phase_cpu:.0f} rows per CPU second)"
        )
    print(f"  process CPU {cpu:.2f} s including setup; peak RSS {peak_mib:.0f} MiB")
    print(f"  load average (1 min, max of start and end): {load:.1f}")


if __name__ == "__main__":
    main()
