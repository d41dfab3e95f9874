"""Importers: COCO (dataset and results), Encord label-row JSON and YOLO into the store.

Each format is registered in :mod:`.registry` the way a plugin would register one; the CLI
dispatches through the registry.  The bulk paths build no per-object SDK objects: files are
checked column by column (:mod:`.columns`, :mod:`.coco_format`), mapped to frames and ontology
objects (:mod:`.targets`) and appended with the store's ``insert_annotations``, in one
transaction per import.  A bad record raises ``ImportFormatError`` naming file, record and field
and nothing is written; ``skip_invalid`` skips and counts bad records instead.
"""

from __future__ import annotations

from branchmark.importers.coco_dataset import import_coco_dataset
from branchmark.importers.coco_labels import import_coco_labels
from branchmark.importers.coco_results import import_coco_results
from branchmark.importers.encord_json import import_encord
from branchmark.importers.registry import (
    get_format,
    list_formats,
    register_exporter,
    register_importer,
)
from branchmark.importers.report import ImportReport
from branchmark.importers.targets import WriteMode
from branchmark.importers.yolo import import_yolo


def register_builtin_importers() -> None:
    """Register the formats that ship with branchmark (as a plugin's entry point would)."""
    register_importer(
        "coco-dataset",
        summary="COCO dataset JSON (images, categories, annotations)",
        run=import_coco_dataset,
    )
    register_importer(
        "coco-results",
        summary="COCO results list [{image_id, category_id, bbox|segmentation|keypoints, score}]",
        run=import_coco_results,
    )
    register_importer(
        "encord", summary="Encord label-row JSON (a row, a list, or a folder)", run=import_encord
    )
    register_importer(
        "yolo",
        summary="YOLO txt files (boxes, segment polygons, pose keypoints) + data.yaml",
        run=import_yolo,
    )


register_builtin_importers()

__all__ = [
    "ImportReport",
    "WriteMode",
    "get_format",
    "import_coco_dataset",
    "import_coco_labels",
    "import_coco_results",
    "import_encord",
    "import_yolo",
    "list_formats",
    "register_exporter",
    "register_importer",
]
