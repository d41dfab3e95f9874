"""An Encord ontology from COCO categories, each object's shape chosen by what the file holds.

A category with ``keypoints`` names becomes a ``skeleton`` object with a template of those names
and the category's ``skeleton`` edges; otherwise a category whose annotations carry polygon lists
becomes a ``polygon`` (crowd RLE regions of it are traced, the RLE kept for COCO export), one with
only RLE a ``bitmask``, and one with no segmentation at all a ``bounding_box``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from branchmark.importers.coco_format import CocoDataset
from branchmark.ontology import (
    OntologyStructure,
    Shape,
    SkeletonTemplate,
    SkeletonTemplateCoordinate,
)
from branchmark.ontology.identifiers import generate_short_hash, value_from_title


def category_shapes(dataset: CocoDataset) -> dict[int, str]:
    """Category id -> the Encord shape its annotations call for (see the module docstring)."""
    anns = dataset.annotations
    ids = dataset.category_table.ids
    has_polygons = np.zeros(len(ids), dtype=bool)
    has_rle = np.zeros(len(ids), dtype=bool)
    for k, seg in enumerate(anns.segmentation):
        if isinstance(seg, list) and seg:
            has_polygons[anns.category[k]] = True
        elif isinstance(seg, dict):
            has_rle[anns.category[k]] = True
    shapes = {}
    for row, category_id in enumerate(ids.tolist()):
        record = next(c for c in dataset.categories if c["id"] == category_id)
        if record.get("keypoints"):
            shapes[category_id] = Shape.SKELETON.value
        elif has_polygons[row]:
            shapes[category_id] = Shape.POLYGON.value
        elif has_rle[row]:
            shapes[category_id] = Shape.BITMASK.value
        else:
            shapes[category_id] = Shape.BOUNDING_BOX.value
    return shapes


def _template(
    name: str, keypoints: Sequence[str], skeleton: Sequence[Sequence[int]]
) -> SkeletonTemplate:
    # COCO stores no template layout: vertices go round a circle (the UI can rearrange them).
    count = len(keypoints)
    vertices = {}
    for k, point in enumerate(keypoints):
        angle = 2 * math.pi * k / max(count, 1)
        vertices[str(k)] = SkeletonTemplateCoordinate(
            x=round(0.5 + 0.4 * math.cos(angle), 6), y=round(0.5 + 0.4 * math.sin(angle), 6),
            name=point, value=value_from_title(point), feature_hash=generate_short_hash(),
        )  # fmt: skip
    edges: dict[str, dict[str, dict[str, str]]] = {}
    for a, b in skeleton:
        if not (1 <= a <= count and 1 <= b <= count):
            continue  # an edge to a point the category does not have (see coco_format)
        edges.setdefault(str(a - 1), {})[str(b - 1)] = {"color": "#000000"}
    return SkeletonTemplate(
        name=name, width=1.0, height=1.0, skeleton=vertices, skeleton_edges=edges
    )


def ontology_from_categories(dataset: CocoDataset) -> dict[str, Any]:
    """The Encord ontology dict for the dataset's categories, in file order."""
    shapes = category_shapes(dataset)
    structure = OntologyStructure()
    for record in dataset.categories:
        shape = shapes[record["id"]]
        if shape == Shape.SKELETON.value:
            template = _template(record["name"], record["keypoints"], record.get("skeleton", []))
            structure.add_skeleton_object(record["name"], template)
        else:
            structure.add_object(record["name"], shape)
    return structure.to_dict()
