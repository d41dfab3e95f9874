"""``Project.import_coco_labels``: Encord's COCO import (ENCORD_COMPAT section 6), done exactly.

Same arguments and defaults as the SDK: a COCO dict, ``category_id -> feature hash``,
``image_id -> FrameIndex``, ``branch_name`` (None: ``main``) and ``confidence_field_name``.
As in the SDK, an annotation whose image id is not in the frame-index map, whose data hash is not
in the project, or whose category is not mapped is skipped with a logged warning (``strict=True``
makes those errors); an unknown feature hash raises ``OntologyError`` (``TypeError`` for a
classification's); geometry is normalised by the COCO image's size; objects are appended.

Additions the SDK lacks (keyword-only): ``manual_annotation`` (False marks the rows as a
model's), ``replace`` (clear the mapped rows first: re-running gives the same branch) and
``strict``.  Unlike the SDK, bad records (non-finite boxes, polygons under 3 points, RLE of the
wrong size ...) raise ``ImportFormatError`` and nothing is written; a COCO image whose size differs
from its data unit's frame is refused rather than silently rescaled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from branchmark.errors import ImportFormatError
from branchmark.importers.coco_format import read_coco_dataset
from branchmark.importers.coco_rows import build_rows
from branchmark.importers.columns import RecordCheck, read_floats
from branchmark.importers.json_files import show_value
from branchmark.importers.report import ImportReport, Problems
from branchmark.importers.targets import (
    FrameTarget,
    ObjectClass,
    OntologyObjects,
    WriteMode,
    count_by,
    frame_target,
    prepare_branch,
    write_rows,
)
from branchmark.store import Store, catalog

log = logging.getLogger(__name__)

SOURCE = "labels_dict"


def import_coco_labels(
    store: Store,
    project_hash: str,
    labels_dict: Mapping[str, Any],
    category_id_to_feature_hash: Mapping[Any, str],
    image_id_to_frame_index: Mapping[Any, Any],
    branch_name: str | None = None,
    confidence_field_name: str | None = None,
    *,
    manual_annotation: bool = True,
    replace: bool = False,
    strict: bool = False,
) -> ImportReport:
    """Import a COCO labels dict into ``branch_name`` of the project (see the module docstring).

    ``image_id_to_frame_index`` values are ``branchmark.coco.FrameIndex`` (anything with
    ``data_hash`` and ``frame``).  Returns an :class:`ImportReport` (the SDK returns None).

    Examples
    --------
    >>> # import_coco_labels(store, project_hash, coco, {1: "0b1e4a01"}, {7: FrameIndex(h, 0)})
    """
    started = time.perf_counter()
    branch = branch_name or catalog.MAIN_BRANCH
    problems = Problems(skip_invalid=False)
    dataset = read_coco_dataset(dict(labels_dict), source=SOURCE, problems=problems)
    anns = dataset.annotations
    confidence = np.ones(len(anns))
    if confidence_field_name is not None and len(anns):
        records = labels_dict.get("annotations") or []
        check = RecordCheck(
            [records[int(i)] for i in anns.index],
            source=SOURCE,
            section="annotations",
            problems=problems,
        )
        check.label = lambda k: f" (id {show_value(anns.ids[k].item())})"
        values, given = read_floats(check, confidence_field_name, required=False, low=0.0, high=1.0)
        confidence = np.where(given, values, 1.0)  # the SDK falls back to 1.0 when absent
    skipped: list[str] = []

    def skip(message: str) -> None:
        if strict:
            raise ImportFormatError(message)
        skipped.append(message)

    with store.write() as conn:
        project = catalog.get_project(conn, project_hash)
        ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, project.id))
        mapped: dict[Any, ObjectClass] = {
            k: ontology.by_hash(h) for k, h in category_id_to_feature_hash.items()
        }
        units = {u.data_hash: u for u in catalog.get_data_units(conn, project.id, data_hashes=[
            f.data_hash for f in image_id_to_frame_index.values()])}  # fmt: skip
        images = dict(
            zip(dataset.image_table.ids.tolist(), range(len(dataset.image_table.ids)), strict=True)
        )
        targets: list[FrameTarget | None] = [None] * len(images)
        for image_id, index in image_id_to_frame_index.items():
            if image_id not in images:
                raise ValueError(
                    f"image id {image_id!r} is in image_id_to_frame_index but not in the labels' "
                    "images"
                )
            unit = units.get(index.data_hash)
            if unit is None:
                skip(
                    f"{SOURCE}: image id {image_id!r}: data hash {index.data_hash!r} is not in the "
                    "project"
                )
                continue
            row = images[image_id]
            target = frame_target(unit, int(index.frame), where=f"{SOURCE}: image id {image_id!r}")
            coco_size = (
                int(dataset.image_table.widths[row]),
                int(dataset.image_table.heights[row]),
            )
            if coco_size != (target.width, target.height):
                raise ImportFormatError(
                    f"{SOURCE}: image id {image_id!r} is {coco_size[0]}x{coco_size[1]} but data "
                    "unit "
                    f"{unit.title!r} frame {target.frame} is {target.width}x{target.height}"
                )
            targets[row] = target
        classes = [mapped.get(c) for c in dataset.category_table.ids.tolist()]
        keep = np.ones(len(anns), dtype=bool)
        for k in range(len(anns)):
            if targets[int(anns.image[k])] is None:
                skip(
                    f"{SOURCE}: annotations[{int(anns.index[k])}]: image id {anns.ids[k]!r} has no "
                    "frame index"
                )
                keep[k] = False
            elif classes[int(anns.category[k])] is None:
                skip(
                    f"{SOURCE}: annotations[{int(anns.index[k])}]: category is not in "
                    "category_id_to_feature_hash"
                )
                keep[k] = False
        if skipped:
            log.warning(
                "import_coco_labels skipped %d annotations; first: %s", len(skipped), skipped[0]
            )
        anns = anns.subset(keep)
        confidence = confidence[keep]
        placeholder = FrameTarget(0, 0, 1, 1)  # unmapped images have no annotations left
        rows = build_rows(
            anns, targets=[t or placeholder for t in targets], classes=classes,
            manual=manual_annotation, results=False, problems=problems,
            name_record=lambda k: f"{SOURCE}: annotations[{int(anns.index[k])}]",
            confidence=confidence,
        )  # fmt: skip
        mode = WriteMode.REPLACE if replace else WriteMode.APPEND
        data_units = sorted({t.data_unit_id for t in targets if t is not None})
        target_branch = prepare_branch(
            conn, project.id, branch, mode=mode, data_unit_ids=data_units
        )
        touched = write_rows(conn, target_branch, rows)
    return ImportReport(
        source=SOURCE, project=project.title, branch=branch, imported=len(rows),
        per_class=count_by(rows.feature_hash, ontology.names()), per_shape=count_by(rows.shape),
        skipped=len(skipped), reasons=tuple(skipped[:10]), seconds=time.perf_counter() - started,
        label_rows=touched, replaced=replace,
    )  # fmt: skip
