"""Importer tests run on every store backend (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.store.conftest import ontology, postgres_schema, store  # noqa: F401  (fixtures)

BASE_DATASET: dict[str, Any] = {
    "info": {"description": "tiny"},
    "images": [
        {"id": 1, "file_name": "a.jpg", "width": 100, "height": 80},
        {"id": 2, "file_name": "b.jpg", "width": 64, "height": 48},
    ],
    "categories": [
        {"id": 1, "name": "box", "supercategory": "thing"},
        {"id": 2, "name": "poly", "supercategory": "thing"},
        {"id": 3, "name": "mask", "supercategory": "thing"},
        {
            "id": 4,
            "name": "person",
            "supercategory": "thing",
            "keypoints": ["a", "b", "c"],
            "skeleton": [[1, 2], [2, 3]],
        },
    ],
    "annotations": [
        {
            "id": 10,
            "image_id": 1,
            "category_id": 1,
            "bbox": [10.5, 20.25, 30.0, 15.0],
            "area": 450.0,
            "iscrowd": 0,
        },
        {
            "id": 11,
            "image_id": 1,
            "category_id": 2,
            "bbox": [5.0, 5.0, 20.0, 10.0],
            "area": 150.0,
            "iscrowd": 0,
            "segmentation": [
                [5.0, 5.0, 25.0, 5.0, 25.0, 15.0, 5.0, 15.0],
                [40, 40, 50, 40, 45, 50],
            ],
        },
        {
            "id": 12,
            "image_id": 2,
            "category_id": 3,
            "bbox": [1.0, 1.0, 3.0, 2.0],
            "area": 6.0,
            "iscrowd": 1,
            "segmentation": {"size": [48, 64], "counts": [49, 2, 46, 2, 46, 2, 2925]},
        },
        {
            "id": 13,
            "image_id": 2,
            "category_id": 4,
            "bbox": [10.0, 10.0, 20.0, 20.0],
            "area": 400.0,
            "iscrowd": 0,
            "keypoints": [12.0, 14.0, 2, 20.5, 22.0, 1, 0, 0, 0],
            "num_keypoints": 2,
        },
    ],
}


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path
