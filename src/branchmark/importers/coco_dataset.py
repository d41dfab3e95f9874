"""``import coco-dataset``: a COCO dataset file into a project (created when missing).

Images become single-image data units (the COCO image record is kept in the unit's
``client_metadata["coco_image"]``, which is how later results files find their images); the
categories become ontology objects when the project has none yet (else they are matched to the
ontology's objects by name); annotations go to the branch (``main`` by default) with ``iscrowd``
and ``area`` kept.  The categories and the file's other top-level keys are recorded under
``"coco"`` in the ``main`` branch's metadata.  Everything happens in one transaction.
"""

from __future__ import annotations

import mimetypes
import time
from pathlib import Path

import sqlalchemy as sa

from branchmark.errors import ImportFormatError, ProjectNotFound
from branchmark.importers.coco_format import CocoDataset, read_coco_dataset
from branchmark.importers.coco_ontology import ontology_from_categories
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
    prepare_branch,
    write_rows,
)
from branchmark.store import Store, catalog
from branchmark.store.bulk_rows import add_image_units
from branchmark.store.records import ProjectRecord


def _project(conn: sa.Connection, title: str, dataset: CocoDataset) -> ProjectRecord:
    try:
        project = catalog.get_project(conn, title)
    except ProjectNotFound:
        return catalog.create_project(conn, title, ontology_from_categories(dataset))
    if not catalog.get_ontology(conn, project.id).get("objects"):
        catalog.set_ontology(conn, project.id, ontology_from_categories(dataset))
    return project


def _classes(
    dataset: CocoDataset, ontology: OntologyObjects, problems: Problems
) -> list[ObjectClass | None]:
    by_id = {c["id"]: (i, c) for i, c in enumerate(dataset.categories)}
    classes: list[ObjectClass | None] = []
    for category_id in dataset.category_table.ids.tolist():
        index, record = by_id[category_id]
        found = ontology.by_name(record["name"])
        if found is None:
            problems.fail(
                f'{dataset.source}: categories[{index}] (id {category_id}): field "name": the '
                f"project's ontology has no object named {record['name']!r}"
            )
        classes.append(found)
    return classes


def _media(dataset: CocoDataset, images_dir: Path | None) -> list[str]:
    if images_dir is None:
        return [str(r.get("file_name", "")) for r in dataset.images]
    paths = []
    for i, record in enumerate(dataset.images):
        name = record.get("file_name")
        file = images_dir / str(name)
        if not name or not file.is_file():
            raise ImportFormatError(
                f'{dataset.source}: images[{i}] (id {record["id"]}): field "file_name": '
                f"{show_value(name)} not found under {images_dir}"
            )
        paths.append(str(file.resolve()))
    return paths


def _targets(
    conn: sa.Connection, project: ProjectRecord, dataset: CocoDataset, media: list[str]
) -> tuple[list[FrameTarget], int]:
    """Frame target per image-table row, creating the data units of new images."""
    existing = coco_image_targets(catalog.get_data_units(conn, project.id))
    new = [i for i, r in enumerate(dataset.images) if r["id"] not in existing]
    for i, record in enumerate(dataset.images):
        known = existing.get(record["id"])
        if known is not None and (known.width, known.height) != (record["width"], record["height"]):
            raise ImportFormatError(
                f"{dataset.source}: images[{i}] (id {record['id']}): size {record['width']}x"
                f"{record['height']} differs from the data unit already imported for it "
                f"({known.width}x{known.height})"
            )
    titles = [str(dataset.images[i].get("file_name") or dataset.images[i]["id"]) for i in new]
    ids = add_image_units(
        conn, project.id, titles=titles,
        widths=[dataset.images[i]["width"] for i in new],
        heights=[dataset.images[i]["height"] for i in new],
        media_paths=[media[i] for i in new],
        file_types=[mimetypes.guess_type(t)[0] or "" for t in titles],
        client_metadata=[{"coco_image": dataset.images[i]} for i in new],
    )  # fmt: skip
    for i, unit_id in zip(new, ids, strict=True):
        r = dataset.images[i]
        existing[r["id"]] = FrameTarget(unit_id, 0, r["width"], r["height"])
    return [existing[i] for i in dataset.image_table.ids.tolist()], len(new)


def _record_categories(
    conn: sa.Connection,
    project: ProjectRecord,
    dataset: CocoDataset,
    classes: list[ObjectClass | None],
) -> None:
    main = catalog.get_branch(conn, project.id, catalog.MAIN_BRANCH)
    meta = dict(main.meta)
    known = {c["id"]: c for c in meta.get(COCO_META_KEY, {}).get("categories", [])}
    hashes = dict(zip(dataset.category_table.ids.tolist(), classes, strict=True))
    for record in dataset.categories:
        cls = hashes[record["id"]]
        previous = known.get(record["id"])
        if previous is not None and previous.get("name") != record["name"]:
            raise ImportFormatError(
                f"{dataset.source}: category id {record['id']} is {record['name']!r} here but "
                f"{previous.get('name')!r} in an earlier import into this project"
            )
        if cls is not None:
            known[record["id"]] = {**record, "feature_hash": cls.feature_hash}
    meta[COCO_META_KEY] = {
        "categories": [known[k] for k in sorted(known)],
        "header": {**meta.get(COCO_META_KEY, {}).get("header", {}), **dataset.header},
    }
    catalog.set_branch_meta(conn, project.id, catalog.MAIN_BRANCH, meta)


def import_coco_dataset(
    store: Store,
    path: str | Path,
    *,
    project: str,
    branch: str = catalog.MAIN_BRANCH,
    images_dir: str | Path | None = None,
    skip_invalid: bool = False,
    mode: WriteMode | str = WriteMode.NEW,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the COCO dataset at ``path`` into ``project`` (created when it does not exist).

    Parameters
    ----------
    store
        The open workspace.
    path
        COCO dataset JSON (``{"images", "annotations", "categories", ...}``).
    project
        Project title or hash; a new project is created with this title when none matches.
    branch
        Where the annotations go (ground truth: ``main``).
    images_dir
        Folder holding the images; every ``file_name`` must exist under it when given.
    skip_invalid
        Skip bad records (counted in the report) instead of failing.
    mode
        ``new`` (refuse a branch holding labels), ``append`` or ``replace`` (see ``WriteMode``).
    progress
        Called with ``(rows_written, rows_total)`` while writing.

    Returns
    -------
    ImportReport
        Counts per class and shape, skipped records, data units created, seconds.

    Examples
    --------
    >>> # import_coco_dataset(store, "instances_val2017.json", project="coco-val")
    """
    started = time.perf_counter()
    problems = Problems(skip_invalid=skip_invalid)
    source = str(path)
    dataset = read_coco_dataset(read_json_file(path), source=source, problems=problems)
    media = _media(dataset, None if images_dir is None else Path(images_dir))
    with store.write() as conn:
        record = _project(conn, project, dataset)
        ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, record.id))
        classes = _classes(dataset, ontology, problems)
        targets, created = _targets(conn, record, dataset, media)
        _record_categories(conn, record, dataset, classes)
        target = prepare_branch(
            conn, record.id, branch, mode=WriteMode(mode),
            data_unit_ids=sorted({t.data_unit_id for t in targets}),
        )  # fmt: skip
        anns = dataset.annotations
        ids = anns.ids

        def name_record(k: int) -> str:
            return f"{source}: annotations[{int(anns.index[k])}] (id {show_value(ids[k].item())})"

        rows = build_rows(
            anns, targets=targets, classes=classes, manual=True, results=False,
            problems=problems, name_record=name_record,
        )  # fmt: skip
        touched = write_rows(conn, target, rows, progress=progress)
    names = ontology.names()
    return ImportReport(
        source=source, project=record.title, branch=branch, imported=len(rows),
        per_class=count_by(rows.feature_hash, names), per_shape=count_by(rows.shape),
        skipped=problems.skipped, reasons=tuple(problems.reasons),
        seconds=time.perf_counter() - started, data_units=created, label_rows=touched,
        replaced=WriteMode(mode) is WriteMode.REPLACE,
    )  # fmt: skip
