"""Exporters: a branch as COCO (dataset or results), Encord label-row JSON or YOLO.

Registered in :mod:`branchmark.importers.registry` beside the importers, so the CLI lists both
from one place.  ``import`` then ``export`` gives back what the format can hold.
"""

from __future__ import annotations

from branchmark.exporters.coco import export_coco_dataset, export_coco_results
from branchmark.exporters.encord_json import export_encord
from branchmark.exporters.yolo import export_yolo
from branchmark.importers.registry import register_exporter


def register_builtin_exporters() -> None:
    """Register the formats that ship with branchmark."""
    register_exporter(
        "coco-dataset", summary="COCO dataset JSON of a branch", run=export_coco_dataset
    )
    register_exporter(
        "coco-results",
        summary="COCO results list of a branch (score = confidence)",
        run=export_coco_results,
    )
    register_exporter("encord", summary="Encord label-row JSON list of a branch", run=export_encord)
    register_exporter("yolo", summary="YOLO labels/*.txt + data.yaml of a branch", run=export_yolo)


register_builtin_exporters()

__all__ = ["export_coco_dataset", "export_coco_results", "export_encord", "export_yolo"]
