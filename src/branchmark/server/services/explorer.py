"""The data explorer: a filtered, paged gallery of data units and one data unit in detail."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray

from branchmark.errors import BranchNotFound, FrameOutOfRange, NotFoundError, ValidationError
from branchmark.server.context import ServerContext
from branchmark.server.services.overlays import overlay_objects, skeleton_edges
from branchmark.server.services.projects import (
    describe_attributes,
    describe_classes,
    describe_project,
)
from branchmark.store import catalog, explorer_queries
from branchmark.store import label_rows as store_rows
from branchmark.store.records import BranchRecord, DataUnitRecord, ProjectRecord
from branchmark.web.media_files import resolve_media

DATA_TYPES = ("image", "video", "img_group", "img_sequence", "dicom")
MAX_PER_PAGE = 200


class ObjectNotFound(NotFoundError):
    """No object with that hash on that branch and frame (a crop of a changed branch)."""

    code = "object_not_found"


@dataclasses.dataclass(frozen=True)
class GalleryFilter:
    """What the gallery shows.

    ``branch``: only data units with objects on this branch (None: every data unit).
    ``feature_hash`` / ``answer`` (``"attribute=option"``): only data units with such an object
    on ``branch`` (``main`` when no branch is given).  ``data_type``: one of ``DATA_TYPES``.
    """

    branch: str | None = None
    feature_hash: str | None = None
    answer: str | None = None
    data_type: str | None = None

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        pairs = {"branch": self.branch, "class": self.feature_hash, "answer": self.answer,
                 "data_type": self.data_type}  # fmt: skip
        return {k: v for k, v in pairs.items() if v}


def _kept_ids(
    context: ServerContext, conn: sa.Connection, project: ProjectRecord, chosen: GalleryFilter
) -> NDArray[np.int64] | None:
    """Sorted ids of the data units the branch/class/answer part of ``chosen`` keeps.

    ``None`` when that part is empty (every unit passes).  The ids come from the branch's
    cached indexes (rebuilt when the branch's revision moves), not from a scan per request.
    """
    if chosen.data_type is not None and chosen.data_type not in DATA_TYPES:
        raise ValidationError(
            f"data_type {chosen.data_type!r} is not one of {', '.join(DATA_TYPES)}"
        )
    if chosen.branch is None and chosen.feature_hash is None and chosen.answer is None:
        return None
    if chosen.answer is not None and "=" not in chosen.answer:
        raise ValidationError(f"answer {chosen.answer!r}: expected 'attribute=option'")
    branch = catalog.get_branch(conn, project.id, chosen.branch or catalog.MAIN_BRANCH)
    keep = context.branch_indexes.objects(conn, branch).units_with(feature_hash=chosen.feature_hash)
    if chosen.answer is not None:
        answered = context.branch_indexes.answers(conn, branch).units.get(
            chosen.answer, np.empty(0, dtype=np.int64)
        )
        keep = np.intersect1d(keep, answered, assume_unique=True)
    return keep


def _passing_ids(
    context: ServerContext, conn: sa.Connection, project: ProjectRecord, chosen: GalleryFilter
) -> NDArray[np.int64]:
    """Sorted ids of every data unit of ``project`` that passes ``chosen``."""
    keep = _kept_ids(context, conn, project, chosen)
    ids = explorer_queries.data_unit_ids(conn, project.id, data_type=chosen.data_type)
    return ids if keep is None else ids[np.isin(ids, keep)]


def _project_unit_at(
    conn: sa.Connection, project_key: str, data_hash: str, frame: int
) -> tuple[ProjectRecord, DataUnitRecord]:
    """The project and its data unit ``data_hash``; ``FrameOutOfRange`` when it has no ``frame``."""
    project = catalog.get_project(conn, project_key)
    unit = catalog.get_data_unit(conn, project.id, data_hash)
    if not 0 <= frame < unit.frames:
        raise FrameOutOfRange(
            f"frame {frame} is outside data unit {unit.title!r} (frames 0..{unit.frames - 1})"
        )
    return project, unit


def _media_urls(project: ProjectRecord, unit: DataUnitRecord, frame: int) -> dict[str, str]:
    base = f"/media/{project.project_hash}/{unit.data_hash}/{frame}"
    return {"image_url": f"{base}/image", "thumbnail_url": f"{base}/thumbnail"}


def gallery(
    context: ServerContext,
    project_key: str,
    *,
    chosen: GalleryFilter = GalleryFilter(),
    page: int = 1,
    per_page: int = 48,
) -> dict[str, Any]:
    """One page of the project's data units that pass ``chosen``, with object counts.

    Each item carries ``objects``: the count on every branch (``{branch: n}``).
    """
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"page must be >= 1 and per_page in 1..{MAX_PER_PAGE}")
    with context.store.read() as conn:
        project = catalog.get_project(conn, project_key)
        listed = explorer_queries.data_unit_page(
            conn, project.id, data_type=chosen.data_type,
            ids=_kept_ids(context, conn, project, chosen),
            offset=(page - 1) * per_page, limit=per_page,
        )  # fmt: skip
        branches = catalog.list_branches(conn, project.id)
        shown = listed.units
        ids = np.array([u.id for u in shown], dtype=np.int64)
        counts = {
            b.name: context.branch_indexes.objects(conn, b).counts_of(ids).tolist()
            for b in branches
        }
        ontology = catalog.get_ontology(conn, project.id)
    items = []
    for i, unit in enumerate(shown):
        items.append(
            {
                "data_hash": unit.data_hash,
                "title": unit.title,
                "data_type": unit.data_type,
                "frames": unit.frames,
                "width": unit.frame_size(0)[0],
                "height": unit.frame_size(0)[1],
                "detail_url": f"/projects/{project.project_hash}/data/{unit.data_hash}",
                **_media_urls(project, unit, 0),
                "objects": {name: int(values[i]) for name, values in counts.items()},
            }
        )
    return {
        "project": describe_project(project),
        "filter": chosen.query(),
        "page": page,
        "per_page": per_page,
        "total": listed.total,
        "pages": max(1, math.ceil(listed.total / per_page)),
        "items": items,
        "branches": [b.name for b in branches],
        "classes": describe_classes(ontology),
        "attributes": describe_attributes(ontology),
        "data_types": list(DATA_TYPES),
    }


def _neighbours(
    conn: sa.Connection, project: ProjectRecord, passing: NDArray[np.int64], unit: DataUnitRecord
) -> tuple[str | None, str | None]:
    """Hashes of the units before and after ``unit`` among ``passing`` (None at the ends or
    when ``unit`` itself does not pass)."""
    at = int(np.searchsorted(passing, unit.id))
    if at >= len(passing) or passing[at] != unit.id:
        return None, None
    around = [int(passing[i]) for i in (at - 1, at + 1) if 0 <= i < len(passing)]
    hashes = {
        u.id: u.data_hash for u in catalog.get_data_units(conn, project.id, data_unit_ids=around)
    }
    before = hashes.get(int(passing[at - 1])) if at > 0 else None
    after = hashes.get(int(passing[at + 1])) if at + 1 < len(passing) else None
    return before, after


def _layers(
    conn: sa.Connection,
    project: ProjectRecord,
    unit: DataUnitRecord,
    branches: Sequence[BranchRecord],
    frame: int,
) -> list[dict[str, Any]]:
    ontology = catalog.get_ontology(conn, project.id)
    names = catalog.object_names(ontology)
    edges = skeleton_edges(ontology)
    rows = [
        (b, store_rows.get_label_row(conn, data_unit_id=unit.id, branch_id=b.id)) for b in branches
    ]
    present = [(unit, b, r) for b, r in rows if r is not None]
    loaded = iter(store_rows.load_label_rows(conn, present, object_names=names))
    width, height = unit.frame_size(frame)
    layers = []
    for branch, row in rows:
        label_row = next(loaded) if row is not None else None
        layers.append(
            {
                "branch": branch.name,
                "kind": branch.kind.value,
                "objects": overlay_objects(
                    label_row,
                    frame,
                    frame_size=(float(width or 0), float(height or 0)),
                    edges=edges,
                ),
            }
        )
    return layers


def data_unit_detail(
    context: ServerContext,
    project_key: str,
    data_hash: str,
    *,
    frame: int = 0,
    branches: Sequence[str] | None = None,
    chosen: GalleryFilter = GalleryFilter(),
    analysis_name: str | None = None,
    iou: float = 0.5,
    confidence: float = 0.0,
) -> dict[str, Any]:
    """One frame of a data unit with every requested branch's objects drawn in pixels.

    With ``analysis_name``, the objects of its prediction and ground-truth branches carry
    ``outcome`` (``TP``/``FP``/``FN``/``IGNORED``) and ``reason`` at ``(iou, confidence)``, as
    the analysis's outcome lists give them (predictions below ``confidence`` have none).

    ``branches`` defaults to all branches of the project (``main`` first).  ``media`` says
    whether the frame's pixels can be served; when not, ``notice`` says why and the UI draws
    the overlays on a neutral frame of ``width`` x ``height``.  ``previous`` / ``next`` are
    the neighbouring data units under ``chosen`` (the gallery's filter).
    """
    with context.store.read() as conn:
        project, unit = _project_unit_at(conn, project_key, data_hash, frame)
        every = catalog.list_branches(conn, project.id)
        if branches is None:
            wanted = every
        else:
            by_name = {b.name: b for b in every}
            missing = [n for n in branches if n not in by_name]
            if missing:
                raise BranchNotFound(f"no branch {missing[0]!r} in project {project.title!r}")
            wanted = [by_name[n] for n in branches]
        layers = _layers(conn, project, unit, wanted, frame)
        passing = _passing_ids(context, conn, project, chosen)
        previous, following = _neighbours(conn, project, passing, unit)
    if analysis_name:
        _mark_outcomes(
            context, project, unit.data_hash, frame, layers, analysis_name, iou, confidence
        )
    media = resolve_media(unit, frame, context.media_roots)
    width, height = unit.frame_size(frame)
    urls = _media_urls(project, unit, frame)
    return {
        "project": describe_project(project),
        "data_unit": {
            "data_hash": unit.data_hash,
            "title": unit.title,
            "data_type": unit.data_type,
            "frames": unit.frames,
            "fps": unit.fps,
        },
        "frame": frame,
        "width": width,
        "height": height,
        "media": {
            "available": media.available,
            "url": urls["image_url"] if media.available else None,
            "notice": media.notice,
        },
        "layers": layers,
        "branches": [b.name for b in every],
        "previous": previous,
        "next": following,
        "filter": chosen.query(),
        "analysis": analysis_name,
    }


def _mark_outcomes(
    context: ServerContext, project: ProjectRecord, data_hash: str, frame: int,
    layers: list[dict[str, Any]], name: str, iou: float, confidence: float,
) -> None:  # fmt: skip
    from branchmark import analysis

    record = analysis.get_analysis(context.store, project, name)
    for kind, branch in (("prediction", record.branch), ("ground_truth", record.ground_truth)):
        found = analysis.outcome_page(
            context.store, record, kind=kind, iou_threshold=iou, confidence=confidence,
            data_hash=data_hash, page_size=1000,
        )  # fmt: skip
        by_hash = {(r.object_hash, r.frame): r for r in found.rows}
        for layer in layers:
            if layer["branch"] != branch:
                continue
            for obj in layer["objects"]:
                row = by_hash.get((obj["object_hash"], frame))
                if row is not None:
                    obj["outcome"], obj["reason"] = row.outcome.upper(), row.reason


def find_object(
    context: ServerContext,
    project_key: str,
    data_hash: str,
    *,
    frame: int,
    branch: str,
    object_hash: str,
) -> tuple[DataUnitRecord, dict[str, Any]]:
    """The data unit and the drawable object ``object_hash`` of ``branch`` at ``frame``."""
    with context.store.read() as conn:
        project, unit = _project_unit_at(conn, project_key, data_hash, frame)
        record = catalog.get_branch(conn, project.id, branch)
        [layer] = _layers(conn, project, unit, [record], frame)
    for found in layer["objects"]:
        if found["object_hash"] == object_hash:
            return unit, found
    raise ObjectNotFound(
        f"no object {object_hash!r} on branch {branch!r} at frame {frame} of {unit.title!r}"
    )
