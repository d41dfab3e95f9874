"""Builders for the analysis tests: a project whose branches hold random boxes, and the same
data as COCO dicts for pycocotools (the oracle)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from branchmark.store import Store, catalog
from branchmark.store.annotations import AnnotationBatch, insert_annotations
from branchmark.store.bulk_rows import add_image_units, ensure_label_rows

WIDTH, HEIGHT = 640, 480


def box_ontology(n_classes: int) -> dict[str, Any]:
    return {
        "objects": [
            {
                "id": str(k + 1),
                "name": f"class{k}",
                "color": "#000000",
                "shape": "bounding_box",
                "featureNodeHash": f"cls{k:05d}",
                "attributes": [],
            }
            for k in range(n_classes)
        ],
        "classifications": [],
    }


@dataclasses.dataclass
class BoxSet:
    """Boxes as columns: image position, class position, xywh pixels, score, crowd."""

    image: np.ndarray
    category: np.ndarray
    xywh: np.ndarray
    score: np.ndarray
    crowd: np.ndarray

    def __len__(self) -> int:
        return len(self.image)


def random_boxes(
    rng: np.random.Generator,
    *,
    n_images: int,
    n_gt: int,
    n_pred: int,
    n_classes: int,
    crowd_rate: float = 0.02,
) -> tuple[BoxSet, BoxSet]:
    """GT boxes and predictions that are jittered copies of GT (some class-swapped) plus noise."""
    img = rng.integers(0, n_images, n_gt)
    cls = rng.integers(0, n_classes, n_gt)
    wh = rng.uniform(8, 160, (n_gt, 2))
    xy = rng.uniform(0, 1, (n_gt, 2)) * (np.array([WIDTH, HEIGHT]) - wh)
    gt = BoxSet(
        img, cls, np.column_stack([xy, wh]).round(2), np.ones(n_gt), rng.random(n_gt) < crowd_rate
    )
    src = rng.integers(0, n_gt, n_pred)
    jitter = rng.normal(0, 0.15, (n_pred, 4)) * np.column_stack([wh[src], wh[src]])
    pxywh = gt.xywh[src] + jitter
    noise = rng.random(n_pred) < 0.3
    pxywh[noise, :2] = rng.uniform(0, 400, (noise.sum(), 2))
    pxywh[:, 2:] = np.abs(pxywh[:, 2:]) + 1
    pcls = np.where(rng.random(n_pred) < 0.1, rng.integers(0, n_classes, n_pred), cls[src])
    score = rng.random(n_pred).round(3)  # rounding makes score ties, as real detectors have
    return gt, BoxSet(img[src], pcls, pxywh.round(2), score, np.zeros(n_pred, bool))


def build_project(
    store: Store,
    gt: BoxSet,
    pred: BoxSet | dict[str, BoxSet],
    *,
    n_images: int,
    n_classes: int,
    title: str = "p",
) -> tuple[Any, list[int]]:
    """A project with ``n_images`` images, ``gt`` on main and each prediction set on its branch."""
    preds = pred if isinstance(pred, dict) else {"preds": pred}
    with store.write() as conn:
        project = catalog.create_project(conn, title, box_ontology(n_classes))
        units = add_image_units(
            conn,
            project.id,
            titles=[f"img{i}.jpg" for i in range(n_images)],
            widths=[WIDTH] * n_images,
            heights=[HEIGHT] * n_images,
            media_paths=[""] * n_images,
            file_types=["image/jpeg"] * n_images,
            client_metadata=[None] * n_images,
        )
    for name, boxes in {"main": gt, **preds}.items():
        write_boxes(store, project.id, name, boxes, units)
    return project, units


def write_boxes(
    store: Store, project_id: int, branch: str, boxes: BoxSet, units: list[int]
) -> None:
    with store.write() as conn:
        record = catalog.ensure_branch(conn, project_id, branch)
        rows = ensure_label_rows(conn, units, record)
        n = len(boxes)
        insert_annotations(
            conn,
            AnnotationBatch(
                label_row_id=np.array([rows[units[i]] for i in boxes.image], np.int64),
                frame=np.zeros(n, np.int64),
                object_hash=[f"{branch[:4]}{i:08d}"[:16] for i in range(n)],
                feature_hash=[f"cls{k:05d}" for k in boxes.category],
                shape=["bounding_box"] * n,
                x=boxes.xywh[:, 0],
                y=boxes.xywh[:, 1],
                w=boxes.xywh[:, 2],
                h=boxes.xywh[:, 3],
                area=boxes.xywh[:, 2] * boxes.xywh[:, 3],
                iscrowd=boxes.crowd,
                confidence=boxes.score,
                manual=np.zeros(n, bool) if branch != "main" else np.ones(n, bool),
            ),
        )


def coco_dicts(
    gt: BoxSet, pred: BoxSet, *, n_images: int, n_classes: int
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The same data as a COCO dataset and results list (ids from 1)."""
    dataset = {
        "images": [{"id": i + 1, "width": WIDTH, "height": HEIGHT} for i in range(n_images)],
        "categories": [{"id": k + 1, "name": f"class{k}"} for k in range(n_classes)],
        "annotations": [
            {
                "id": j + 1,
                "image_id": int(gt.image[j]) + 1,
                "category_id": int(gt.category[j]) + 1,
                "bbox": gt.xywh[j].tolist(),
                "area": float(gt.xywh[j, 2] * gt.xywh[j, 3]),
                "iscrowd": int(gt.crowd[j]),
            }
            for j in range(len(gt))
        ],
    }
    results = [
        {
            "image_id": int(pred.image[j]) + 1,
            "category_id": int(pred.category[j]) + 1,
            "bbox": pred.xywh[j].tolist(),
            "score": float(pred.score[j]),
        }
        for j in range(len(pred))
    ]
    return dataset, results


def set_protocol_version(store: Store, analysis_id: int, version: str) -> None:
    """Rewrite the stored protocol version of an analysis's result (as an older release left it)."""
    from branchmark.store import analysis_schema as s

    r = s.analysis_results
    with store.write() as conn:
        done = conn.execute(
            r.update().where(r.c.analysis_id == analysis_id).values(protocol_version=version)
        )
        if done.rowcount != 1:
            raise ValueError(f"analysis {analysis_id} has no stored result")
