"""``branchmark eval coco``: evaluate COCO files without a store, numbers equal pycocotools'."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import orjson
import typer

eval_app = typer.Typer(
    help="Evaluate prediction files directly (no workspace needed).", no_args_is_help=True
)


class IouTypeChoice(StrEnum):
    BBOX = "bbox"
    SEGM = "segm"
    KEYPOINTS = "keypoints"


@eval_app.command("coco")
def coco(
    ground_truth: Annotated[
        Path, typer.Argument(help="COCO dataset JSON (images, annotations, categories).")
    ],
    results: Annotated[Path, typer.Argument(help="COCO results JSON (a list of detections).")],
    iou_type: Annotated[
        IouTypeChoice, typer.Option("--iou-type", help="What to compare.")
    ] = IouTypeChoice.BBOX,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object instead of the summary.")
    ] = False,
) -> None:
    """Evaluate RESULTS against GROUND_TRUTH with the COCO protocol (pycocotools-exact).

    Prints pycocotools' summary lines, or with --json one object
    {"iou_type", "stats", "per_class_ap", "seconds"} (-1 where pycocotools gives -1).
    """
    from branchmark.coco import iter_json_array, load_json
    from branchmark.evaluation.params import CocoParams
    from branchmark.evaluation.protocol import evaluate_arrays
    from branchmark.evaluation.records import read_ground_truth, read_result_columns, read_results

    start = time.perf_counter()
    kind = str(iou_type)
    gt = read_ground_truth(load_json(ground_truth), source=str(ground_truth), iou_type=kind)
    # Results are read a few MB at a time into columns: no per-detection dicts are kept.
    chunks = iter_json_array(results.read_bytes(), source=str(results))
    columns = read_result_columns(chunks, source=str(results))
    res = read_results(columns, gt, source=str(results), iou_type=kind)
    result, category_ids = evaluate_arrays(gt, res, params=CocoParams.for_iou_type(kind))
    seconds = time.perf_counter() - start
    if not as_json:
        for line in result.summary_lines():
            typer.echo(line)
        return
    per_class = {
        str(c): (-1.0 if ap != ap else float(ap))
        for c, ap in zip(category_ids, result.class_ap, strict=True)
    }
    payload = {
        "iou_type": kind,
        "stats": result.coco_stats(),
        "per_class_ap": per_class,
        "seconds": seconds,
    }
    typer.echo(orjson.dumps(payload).decode())


def register(app: typer.Typer) -> None:
    """Add the ``eval`` group to ``app``."""
    app.add_typer(eval_app, name="eval")
