"""Seeded generator of COCO ground truth and results for parity tests and benchmarks.

One generator serves both: tiny datasets full of edge cases for the pycocotools parity suite
(crowd GT, score ties, duplicate detections, zero-area boxes, images without GT, detections on
them, polygon / compressed / uncompressed RLE GT, keypoints with visibility 0/1/2, classes
without detections, string ids) and COCO-val-scale files for ``benchmarks/coco_eval.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

KIND_CHOICES = ("bbox", "segm", "keypoints")
N_KEYPOINTS = 17


@dataclass(frozen=True)
class Spec:
    """Size and flavour of a generated dataset."""

    kind: str = "bbox"
    n_images: int = 40
    n_classes: int = 6
    gt_per_image: float = 7.0
    dets_per_image: int = 30
    crowd_fraction: float = 0.05
    edge_cases: bool = True
    string_ids: bool = False
    det_bbox: bool = True  # segm results carry "bbox" (as detectron2 writes them)
    seed: int = 0


def _polygon(rng: np.random.Generator, box: np.ndarray, n: int = 8) -> list[float]:
    x, y, w, h = box
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    radius = rng.uniform(0.6, 1.0, n)
    px = x + w / 2 + np.cos(angles) * radius * w / 2
    py = y + h / 2 + np.sin(angles) * radius * h / 2
    return np.round(np.stack([px, py], axis=1).ravel(), 2).tolist()


def _keypoints(rng: np.random.Generator, box: np.ndarray, vis: np.ndarray) -> list[float]:
    x, y, w, h = box
    px = np.round(x + rng.uniform(0, 1, N_KEYPOINTS) * w, 1)
    py = np.round(y + rng.uniform(0, 1, N_KEYPOINTS) * h, 1)
    px, py = np.where(vis > 0, px, 0.0), np.where(vis > 0, py, 0.0)
    return np.stack([px, py, vis.astype(float)], axis=1).ravel().tolist()


def generate(spec: Spec) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A COCO dataset dict and a results list for ``spec``."""
    rng = np.random.default_rng(spec.seed)
    keypoints = spec.kind == "keypoints"
    n_classes = 1 if keypoints else spec.n_classes
    image_id = (lambda i: f"img-{i:05d}") if spec.string_ids else (lambda i: int(i * 3 + 1))
    cat_id = (lambda c: f"cat{c}") if spec.string_ids else (lambda c: int(c * 2 + 1))
    categories = [
        {"id": cat_id(c), "name": f"class{c}", "supercategory": "thing"} for c in range(n_classes)
    ]
    if keypoints:
        categories[0].update(name="person", keypoints=[f"k{i}" for i in range(N_KEYPOINTS)])
    images, anns, results = [], [], []
    # Classes detections never use (edge case: categories without detections).
    silent = {n_classes - 1} if spec.edge_cases and n_classes > 2 else set()
    for i in range(spec.n_images):
        width, height = int(rng.integers(320, 641)), int(rng.integers(240, 481))
        images.append(
            {"id": image_id(i), "width": width, "height": height, "file_name": f"{i}.jpg"}
        )
        n_gt = int(rng.poisson(spec.gt_per_image))
        if spec.edge_cases and i % 7 == 3:
            n_gt = 0  # images without GT (detections still land on some)
        boxes = []
        for _ in range(n_gt):
            scale = rng.choice([12.0, 40.0, 120.0])
            w = float(np.round(min(rng.uniform(0.3, 1.0) * scale * 2, width - 2), 2))
            h = float(np.round(min(rng.uniform(0.3, 1.0) * scale * 2, height - 2), 2))
            x = float(np.round(rng.uniform(0, width - w), 2))
            y = float(np.round(rng.uniform(0, height - h), 2))
            box = np.array([x, y, w, h])
            c = int(rng.integers(0, n_classes))
            crowd = int(rng.random() < spec.crowd_fraction)
            ann: dict[str, Any] = {"id": len(anns) + 1, "image_id": image_id(i),
                                   "category_id": cat_id(c), "bbox": box.tolist(),
                                   "iscrowd": crowd}  # fmt: skip
            if spec.kind == "segm" or (spec.kind == "bbox" and spec.edge_cases):
                poly = _polygon(rng, box)
                form = rng.random()
                if crowd or (spec.edge_cases and form < 0.15):
                    rle = mask_utils.merge(mask_utils.frPyObjects([poly], height, width))
                    if crowd and form < 0.5:  # uncompressed RLE, as COCO stores crowds
                        decoded = mask_utils.decode(rle).ravel(order="F")
                        change = np.flatnonzero(decoded[1:] != decoded[:-1]) + 1
                        runs = np.diff(np.concatenate([[0], change, [decoded.size]]))
                        if decoded[0]:
                            runs = np.concatenate([[0], runs])
                        ann["segmentation"] = {"size": [height, width], "counts": runs.tolist()}
                        area = float(decoded.sum())
                    else:
                        ann["segmentation"] = {
                            "size": rle["size"],
                            "counts": rle["counts"].decode(),
                        }
                        area = float(mask_utils.area(rle))
                else:
                    ann["segmentation"] = [poly]
                    area = float(
                        mask_utils.area(
                            mask_utils.merge(mask_utils.frPyObjects([poly], height, width))
                        )
                    )
                ann["area"] = area
            else:
                ann["area"] = float(np.round(w * h * rng.uniform(0.5, 1.0), 2))
            if keypoints:
                vis = rng.choice([0, 1, 2], size=N_KEYPOINTS, p=[0.3, 0.2, 0.5])
                if spec.edge_cases and rng.random() < 0.1:
                    vis[:] = 0
                ann["keypoints"] = _keypoints(rng, box, vis)
                ann["num_keypoints"] = int(np.count_nonzero(vis))
            if spec.edge_cases and rng.random() < 0.03:
                ann["bbox"][2] = 0.0  # zero-area box
            anns.append(ann)
            boxes.append((box, c, ann))
        n_det = int(rng.poisson(spec.dets_per_image))
        for _ in range(n_det):
            if boxes and rng.random() < 0.6:
                box, c, source = boxes[int(rng.integers(0, len(boxes)))]
                jitter = rng.normal(0, 0.12, 4) * np.array([box[2], box[3], box[2], box[3]])
                box = np.maximum(box + jitter, [0, 0, 0.5, 0.5])
                if rng.random() < 0.15:
                    c = int(rng.integers(0, n_classes))  # class confusion
            else:
                source = None
                w, h = rng.uniform(4, 200, 2)
                box = np.array([rng.uniform(0, width - 4), rng.uniform(0, height - 4), w, h])
                c = int(rng.integers(0, n_classes))
            if c in silent:
                c = 0
            box = np.round(box, 2)
            score = float(np.round(rng.random(), 2 if spec.edge_cases else 6))  # ties
            det: dict[str, Any] = {
                "image_id": image_id(i),
                "category_id": cat_id(c),
                "score": score,
            }
            if spec.kind != "keypoints" or rng.random() < 0.5:
                det["bbox"] = box.tolist()
            if spec.kind == "segm":
                if source is not None and isinstance(source.get("segmentation"), list):
                    shift = np.tile(
                        box[:2] - np.array(source["bbox"][:2]), len(source["segmentation"][0]) // 2
                    )
                    poly = np.round(np.array(source["segmentation"][0]) + shift, 2).tolist()
                else:
                    poly = _polygon(rng, box)
                rle = mask_utils.merge(mask_utils.frPyObjects([poly], height, width))
                det["segmentation"] = {"size": rle["size"], "counts": rle["counts"].decode()}
                if not spec.det_bbox:
                    det.pop("bbox", None)
            if keypoints:
                if source is not None:
                    g = np.array(source["keypoints"], dtype=float).reshape(-1, 3)
                    noise = rng.normal(0, 0.05 * np.sqrt(source["area"] + 1), (N_KEYPOINTS, 2))
                    pts = np.where(
                        g[:, 2:] > 0,
                        g[:, :2] + noise,
                        rng.uniform(0, 1, (N_KEYPOINTS, 2)) * box[2:] + box[:2],
                    )
                else:
                    pts = rng.uniform(0, 1, (N_KEYPOINTS, 2)) * box[2:] + box[:2]
                det["keypoints"] = (
                    np.hstack([np.round(pts, 2), np.ones((N_KEYPOINTS, 1))]).ravel().tolist()
                )
                det.pop("bbox", None)
            results.append(det)
            if spec.edge_cases and rng.random() < 0.05:
                results.append(dict(det))  # duplicate detection
    if keypoints:
        for r in results:
            r.pop("bbox", None)
    dataset = {"info": {"description": f"branchmark synthetic {spec}"}, "images": images,
               "annotations": anns, "categories": categories}  # fmt: skip
    return dataset, results
