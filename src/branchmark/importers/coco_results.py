"""``import coco-results``: a COCO results list (a model's output) into a prediction branch.

Records ``{image_id, category_id, bbox | segmentation | keypoints, score}`` are mapped to frames
and ontology objects through the ids recorded by ``import coco-dataset`` (data units'
``client_metadata["coco_image"]`` and the ``main`` branch's ``"coco"`` categories), or through
explicit mapping files.  Unknown ids are errors unless ``skip_invalid``.  Rows are written as
predictions (``manual`` false, confidence = ``score``) in one transaction.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from branchmark.collector import paused_collector
from branchmark.errors import ImportFormatError
from branchmark.importers.coco_format import CategoryTable, ImageTable, read_coco_results
from branchmark.importers.coco_rows import build_rows
from branchmark.importers.json_files import read_json_file, show_value
from branchmark.importers.report import ImportReport, Problems
from branchmark.importers.targets import (
    COCO_META_KEY,
    FrameTarget,
    ObjectClass,
    OntologyObjects,
    Progress,
    WriteMode,
    coco_image_targets,
    count_by,
    frame_target,
    prepare_branch,
    write_rows,
)
from branchmark.store import Store, catalog
from branchmark.store.records import ProjectRecord


def _key(text: str) -> Any:
    """A JSON object key back to the id it names (COCO ids are mostly integers)."""
    return int(text) if text.lstrip("-").isdigit() else text


def image_table(targets: Mapping[Any, FrameTarget]) -> tuple[ImageTable, list[FrameTarget]]:
    """The image table of a ``{image_id: FrameTarget}`` map and the targets in table order."""
    ids = sorted(targets, key=lambda v: (isinstance(v, str), v))
    kinds = {type(i) for i in ids}
    if len(kinds) > 1:
        raise ImportFormatError("image ids mix integers and strings")
    array = np.array(ids, dtype=str if kinds == {str} else np.int64)
    ordered = [targets[i] for i in ids]
    widths = np.array([t.width for t in ordered], dtype=np.int64)
    heights = np.array([t.height for t in ordered], dtype=np.int64)
    return ImageTable(array, widths, heights), ordered


def category_table(
    classes: Mapping[Any, ObjectClass],
) -> tuple[CategoryTable, list[ObjectClass | None]]:
    """The category table of a ``{category_id: ObjectClass}`` map, keypoint counts from the
    skeleton templates."""
    ids = sorted(classes, key=lambda v: (isinstance(v, str), v))
    ordered: list[ObjectClass | None] = [classes[i] for i in ids]
    counts = np.array(
        [len((c.template or {}).get("skeleton", {})) if c else 0 for c in ordered], dtype=np.int64
    )
    kinds = {type(i) for i in ids}
    array = np.array(ids, dtype=str if kinds == {str} else np.int64)
    return CategoryTable(array, counts), ordered


def _image_map(
    conn: sa.Connection, project: ProjectRecord, path: Path | None
) -> dict[Any, FrameTarget]:
    units = catalog.get_data_units(conn, project.id)
    if path is None:
        found = coco_image_targets(units)
        if not found:
            raise ImportFormatError(
                f"project {project.title!r} has no images recorded by a COCO dataset import; "
                "import the dataset first or give an image mapping file"
            )
        return found
    mapping = read_json_file(path)
    if not isinstance(mapping, dict):
        raise ImportFormatError(
            f"{path}: expected an object "
            f'{{"<image id>": "<data hash or title>" | {{"data_hash", "frame"}}}}'
        )
    by_hash = {u.data_hash: u for u in units}
    by_title: dict[str, list[Any]] = {}
    for u in units:
        by_title.setdefault(u.title, []).append(u)
    out = {}
    for key, value in mapping.items():
        where = f"{path}: [{show_value(key)}]"
        ref, frame = (
            (value.get("data_hash"), value.get("frame", 0))
            if isinstance(value, dict)
            else (value, 0)
        )
        if not isinstance(ref, str) or type(frame) is not int:
            raise ImportFormatError(
                f"{where}: expected a data hash or title (and an integer frame), got "
                f"{show_value(value)}"
            )
        unit = by_hash.get(ref) or (by_title[ref][0] if len(by_title.get(ref, [])) == 1 else None)
        if unit is None:
            problem = (
                "is ambiguous (several data units have that title)"
                if ref in by_title
                else "is not a data unit of the project"
            )
            raise ImportFormatError(f"{where}: {show_value(ref)} {problem}")
        out[_key(key)] = frame_target(unit, frame, where=where)
    return out


def _category_map(
    conn: sa.Connection, project: ProjectRecord, ontology: OntologyObjects, path: Path | None
) -> dict[Any, ObjectClass]:
    if path is None:
        main = catalog.get_branch(conn, project.id, catalog.MAIN_BRANCH)
        recorded = main.meta.get(COCO_META_KEY, {}).get("categories", [])
        if not recorded:
            raise ImportFormatError(
                f"project {project.title!r} has no categories recorded by a COCO dataset import; "
                "import the dataset first or give a category mapping file"
            )
        return {c["id"]: ontology.by_hash(c["feature_hash"]) for c in recorded}
    mapping = read_json_file(path)
    if not isinstance(mapping, dict):
        raise ImportFormatError(
            f'{path}: expected an object {{"<category id>": "<feature hash or object name>"}}'
        )
    out = {}
    for key, ref in mapping.items():
        found = (
            next((c for c in ontology.classes if c.feature_hash == ref), None)
            if isinstance(ref, str)
            else None
        )
        found = found or (ontology.by_name(ref) if isinstance(ref, str) else None)
        if found is None:
            raise ImportFormatError(
                f"{path}: [{show_value(key)}]: {show_value(ref)} is not an object of the ontology"
            )
        out[_key(key)] = found
    return out


def import_results_records(
    conn: sa.Connection,
    records: Any,
    *,
    source: str,
    project: ProjectRecord,
    branch: str,
    targets: Mapping[Any, FrameTarget],
    classes: Mapping[Any, ObjectClass],
    problems: Problems,
    mode: WriteMode,
    manual: bool = False,
    clear_data_unit_ids: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> tuple[Any, int]:
    """Check and write results ``records`` in ``conn``'s transaction; ``(rows, label rows)``."""
    images, ordered_targets = image_table(targets)
    categories, ordered_classes = category_table(classes)
    anns = read_coco_results(
        records, source=source, images=images, categories=categories, problems=problems
    )

    section = "annotations" if isinstance(records, dict) else "results"

    def name_record(k: int) -> str:
        return f"{source}: {section}[{int(anns.index[k])}]"

    rows = build_rows(
        anns, targets=ordered_targets, classes=ordered_classes, manual=manual, results=True,
        problems=problems, name_record=name_record,
    )  # fmt: skip
    target = prepare_branch(conn, project.id, branch, mode=mode, data_unit_ids=clear_data_unit_ids)
    return rows, write_rows(conn, target, rows, progress=progress)


def import_coco_results(
    store: Store,
    path: str | Path,
    *,
    project: str,
    branch: str,
    skip_invalid: bool = False,
    mode: WriteMode | str = WriteMode.NEW,
    image_map: str | Path | None = None,
    category_map: str | Path | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the COCO results list at ``path`` into prediction branch ``branch``.

    Parameters
    ----------
    store, project, branch
        Workspace, project (title or hash) and the branch to write (created when missing).
    path
        JSON list of ``{image_id, category_id, bbox | segmentation | keypoints, score}``.
    skip_invalid
        Skip bad or unknown-id records (counted in the report) instead of failing.
    mode
        ``new``, ``append`` or ``replace`` (clears the whole branch first).
    image_map, category_map
        Optional JSON files mapping image ids to data units (hash or title, or
        ``{"data_hash", "frame"}``) and category ids to ontology objects (hash or name).
    progress
        Called with ``(rows_written, rows_total)``.

    Returns
    -------
    ImportReport

    Examples
    --------
    >>> # import_coco_results(store, "detections.json", project="coco-val", branch="yolo-v8")
    """
    started = time.perf_counter()
    problems = Problems(skip_invalid=skip_invalid)
    source = str(path)
    # A results file parses into millions of containers that live until the import ends and
    # form no cycles; with the cyclic collector running, its full passes over them took ~1.6 s
    # of the 2.4 s parse of a 1M-box file (and more during validation).
    with paused_collector():
        records = read_json_file(path)  # parsed before the write transaction takes the lock
        with store.write() as conn:
            record = catalog.get_project(conn, project)
            ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, record.id))
            targets = _image_map(conn, record, None if image_map is None else Path(image_map))
            classes = _category_map(
                conn, record, ontology, None if category_map is None else Path(category_map)
            )
            rows, touched = import_results_records(
                conn, records, source=source, project=record, branch=branch, targets=targets,
                classes=classes, problems=problems, mode=WriteMode(mode), progress=progress,
            )  # fmt: skip
    return ImportReport(
        source=source, project=record.title, branch=branch, imported=len(rows),
        per_class=count_by(rows.feature_hash, ontology.names()), per_shape=count_by(rows.shape),
        skipped=problems.skipped, reasons=tuple(problems.reasons),
        seconds=time.perf_counter() - started, label_rows=touched,
        replaced=WriteMode(mode) is WriteMode.REPLACE,
    )  # fmt: skip
