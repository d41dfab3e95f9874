"""Label rows: listing (with not-yet-existing branch rows), creating, loading and saving.

A save replaces the whole row (annotations, answers, classifications) and checks the revision
the caller loaded: if the row changed meanwhile, ``RevisionConflict`` is raised and, because the
caller's transaction rolls back, nothing is written.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from branchmark.errors import LabelRowError, RevisionConflict, ValidationError
from branchmark.store import catalog
from branchmark.store import schema as t
from branchmark.store.label_dict import (
    ANNOTATION_FIELDS,
    PreparedLabelRow,
    RowIdentity,
    compose_label_row,
    format_time,
    split_label_row,
)
from branchmark.store.records import BranchRecord, DataUnitRecord, LabelRowRecord, as_utc
from branchmark.store.row_writer import insert_columns, insert_rows

CHUNK = 500


@dataclasses.dataclass(frozen=True)
class LabelRowListing:
    """One entry of a listing: a data unit on a branch, with its row if it exists."""

    data_unit: DataUnitRecord
    branch_name: str
    row: LabelRowRecord | None


def _record(row: sa.Row[Any]) -> LabelRowRecord:
    return LabelRowRecord(
        id=row.id,
        data_unit_id=row.data_unit_id,
        branch_id=row.branch_id,
        label_hash=row.label_hash,
        revision=row.revision,
        label_status=row.label_status,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        last_edited_at=as_utc(row.last_edited_at),  # type: ignore[arg-type]
    )


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def list_label_rows(
    conn: sa.Connection,
    project_id: int,
    *,
    branch_name: str | None = None,
    include_all_branches: bool = False,
    data_hashes: Iterable[str] | None = None,
    label_hashes: Iterable[str] | None = None,
    title_eq: str | None = None,
    title_like: str | None = None,
) -> list[LabelRowListing]:
    """Rows of the project's data units on ``branch_name`` (default ``main``).

    A data unit with nothing on that branch yet gives an entry with ``row=None`` (Encord's
    ``label_hash=None``).  With ``include_all_branches`` there is one entry per existing row on
    any branch, plus ``row=None`` entries on ``main`` for data units with no main row.
    """
    branch_name = catalog.validate_branch_name(branch_name or catalog.MAIN_BRANCH)
    units = catalog.get_data_units(
        conn, project_id, data_hashes=data_hashes, title_eq=title_eq, title_like=title_like
    )
    by_id = {u.id: u for u in units}
    lr, br = t.label_rows, t.branches
    query = (
        sa.select(lr, br.c.name.label("branch_name"))
        .join(br, br.c.id == lr.c.branch_id)
        .where(lr.c.project_id == project_id)
        .order_by(lr.c.data_unit_id, br.c.name)
    )
    if not include_all_branches:
        query = query.where(br.c.name == branch_name)
    if label_hashes is not None:
        query = query.where(lr.c.label_hash.in_([str(h) for h in label_hashes]))
    found: dict[int, list[tuple[str, LabelRowRecord]]] = {}
    for row in conn.execute(query):
        if row.data_unit_id in by_id:
            found.setdefault(row.data_unit_id, []).append((row.branch_name, _record(row)))
    listing = []
    for unit in units:
        rows = found.get(unit.id, [])
        if include_all_branches:
            rows = sorted(rows, key=lambda r: (r[0] != catalog.MAIN_BRANCH, r[0]))
            if label_hashes is None and not any(name == catalog.MAIN_BRANCH for name, _ in rows):
                listing.append(LabelRowListing(unit, catalog.MAIN_BRANCH, None))
            listing.extend(LabelRowListing(unit, name, rec) for name, rec in rows)
        elif rows:
            listing.extend(LabelRowListing(unit, name, rec) for name, rec in rows)
        elif label_hashes is None:
            listing.append(LabelRowListing(unit, branch_name, None))
    return listing


def get_label_row(
    conn: sa.Connection, *, data_unit_id: int, branch_id: int
) -> LabelRowRecord | None:
    """The row of a data unit on a branch, or None."""
    row = conn.execute(
        sa.select(t.label_rows).where(
            t.label_rows.c.data_unit_id == data_unit_id, t.label_rows.c.branch_id == branch_id
        )
    ).first()
    return None if row is None else _record(row)


def find_label_rows(
    conn: sa.Connection, pairs: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], LabelRowRecord]:
    """Existing rows of ``(data_unit_id, branch_id)`` pairs, keyed by the pair (batched)."""
    lr = t.label_rows
    found: dict[tuple[int, int], LabelRowRecord] = {}
    by_branch: dict[int, list[int]] = {}
    for unit_id, branch_id in pairs:
        by_branch.setdefault(branch_id, []).append(unit_id)
    for branch_id, unit_ids in by_branch.items():
        for chunk in _chunks(sorted(set(unit_ids))):
            for row in conn.execute(
                sa.select(lr).where(lr.c.branch_id == branch_id, lr.c.data_unit_id.in_(chunk))
            ):
                found[(row.data_unit_id, row.branch_id)] = _record(row)
    return found


def create_label_rows(
    conn: sa.Connection, pairs: Sequence[tuple[DataUnitRecord, BranchRecord]]
) -> list[LabelRowRecord]:
    """The row of each ``(data_unit, branch)``, created (empty, revision 1) where missing.

    One query finds the existing rows, one ``executemany`` creates the rest, and each branch
    that gained rows has its revision bumped once.
    """
    keys = [(unit.id, branch.id) for unit, branch in pairs]
    found = find_label_rows(conn, keys)
    missing = {}
    for unit, branch in pairs:
        if (unit.id, branch.id) not in found:
            missing[(unit.id, branch.id)] = (unit, branch)
    if missing:
        now = catalog.utc_now()
        insert_rows(
            conn,
            t.label_rows,
            (
                "project_id",
                "data_unit_id",
                "branch_id",
                "label_hash",
                "revision",
                "label_status",
                "created_at",
                "last_edited_at",
            ),
            [
                (
                    unit.project_id,
                    unit.id,
                    branch.id,
                    str(uuid.uuid4()),
                    1,
                    "NOT_LABELLED",
                    now,
                    now,
                )
                for unit, branch in missing.values()
            ],
        )
        catalog.bump_branch_revision(conn, {branch_id for _, branch_id in missing})
        found.update(find_label_rows(conn, list(missing)))
    return [found[key] for key in keys]


def create_label_row(
    conn: sa.Connection, data_unit: DataUnitRecord, branch: BranchRecord
) -> LabelRowRecord:
    """The row of ``data_unit`` on ``branch``, created (empty, revision 1) if missing."""
    return create_label_rows(conn, [(data_unit, branch)])[0]


def default_header(unit: DataUnitRecord, row: LabelRowRecord) -> dict[str, Any]:
    """The header of a row that has labels but was never saved as a dict (bulk imports)."""
    created = format_time(row.created_at)
    header: dict[str, Any] = {
        "label_hash": None,
        "branch_name": None,
        "created_at": created,
        "last_edited_at": format_time(row.last_edited_at),
        "data_hash": None,
        "dataset_hash": unit.dataset_hash,
        "dataset_title": unit.dataset_title,
        "data_title": unit.title,
        "data_type": unit.data_type,
        "is_shadow_data": False,
        "object_answers": None,
        "classification_answers": None,
        "object_actions": None,
        "label_status": None,
        "data_units": {},
        "spaces": {},
    }
    if unit.frame_media:
        for f in unit.frame_media:
            header["data_units"][f.image_hash] = {
                "data_hash": f.image_hash,
                "data_title": f.title,
                "data_link": f.data_link,
                "data_type": f.file_type,
                "data_sequence": str(f.frame),
                "width": f.width,
                "height": f.height,
                "labels": {"objects": None, "classifications": []},
            }
        return header
    entry: dict[str, Any] = {
        "data_hash": unit.data_hash,
        "data_title": unit.title,
        "data_link": unit.data_link,
        "data_type": unit.file_type,
        "data_sequence": 0,
        "width": unit.width,
        "height": unit.height,
    }
    if unit.data_type == "video":
        entry.update(data_duration=unit.duration, data_fps=unit.fps, labels={})
    else:
        entry["labels"] = {"objects": None, "classifications": []}
    header["data_units"][unit.data_hash] = entry
    return header


def load_label_rows(
    conn: sa.Connection,
    rows: Sequence[tuple[DataUnitRecord, BranchRecord, LabelRowRecord]],
    *,
    object_names: Mapping[str, tuple[str, str]],
) -> list[dict[str, Any] | None]:
    """The Encord label-row dict of each row (None for a row that holds nothing yet)."""
    results: list[dict[str, Any] | None] = []
    for chunk in _chunks(list(rows)):
        ids = [lr.id for _, _, lr in chunk]
        # Header and status are read here, not taken from the records passed in, which may
        # be older than the row (a listing made before someone else's save).
        headers: dict[int, Any] = {}
        statuses: dict[int, str] = {}
        for i, header, status in conn.execute(
            sa.select(t.label_rows.c.id, t.label_rows.c.header, t.label_rows.c.label_status).where(
                t.label_rows.c.id.in_(ids)
            )
        ):
            headers[i], statuses[i] = header, status
        a = t.annotations
        cols = [
            a.c.label_row_id,
            a.c.frame,
            a.c.object_hash,
            a.c.feature_hash,
            a.c.shape,
            a.c.x,
            a.c.y,
            a.c.w,
            a.c.h,
            a.c.theta,
            a.c.confidence,
            a.c.manual,
            a.c.object_number,
            a.c.geometry,
            a.c.meta,
        ]
        annotations: dict[int, list[tuple[Any, ...]]] = {i: [] for i in ids}
        for r in conn.execute(sa.select(*cols).where(a.c.label_row_id.in_(ids)).order_by(a.c.id)):
            annotations[r[0]].append(r[1:])
        answers: dict[int, list[Any]] = {i: [] for i in ids}
        oa = t.object_answers
        for r in conn.execute(
            sa.select(oa.c.label_row_id, oa.c.object_hash, oa.c.answers, oa.c.actions)
            .where(oa.c.label_row_id.in_(ids))
            .order_by(oa.c.id)
        ):
            answers[r[0]].append(r[1:])
        classes: dict[int, list[Any]] = {i: [] for i in ids}
        c = t.classifications
        for r in conn.execute(
            sa.select(
                c.c.label_row_id,
                c.c.classification_hash,
                c.c.feature_hash,
                c.c.ranges,
                c.c.confidence,
                c.c.manual,
                c.c.entry,
            )
            .where(c.c.label_row_id.in_(ids))
            .order_by(c.c.id)
        ):
            classes[r[0]].append(r[1:])
        for unit, branch, lr in chunk:
            blob = headers.get(lr.id)
            if (
                blob is None
                and not annotations[lr.id]
                and not classes[lr.id]
                and not answers[lr.id]
            ):
                results.append(None)
                continue
            header = default_header(unit, lr) if blob is None else orjson.loads(blob)
            results.append(
                compose_label_row(
                    header,
                    RowIdentity(lr.label_hash, branch.name, unit.data_hash, statuses[lr.id]),
                    annotations[lr.id],
                    answers[lr.id],
                    classes[lr.id],
                    object_names=object_names,
                    default_time=format_time(lr.created_at),
                )
            )
    return results


@dataclasses.dataclass(frozen=True)
class SaveRequest:
    """One row to replace: where it lives, the revision its writer loaded, the new dict."""

    data_unit: DataUnitRecord
    branch: BranchRecord
    label_hash: str | None
    revision: int
    label_dict: Mapping[str, Any] | PreparedLabelRow


def save_label_rows(conn: sa.Connection, requests: Sequence[SaveRequest]) -> list[LabelRowRecord]:
    """Replace each row with its dict (in the caller's transaction), checking revisions.

    Every dict is validated before anything is written.  Raises ``RevisionConflict`` when a
    row's revision is not the one its writer loaded (someone saved it in between) and
    ``ValidationError`` for a malformed dict; the caller's transaction then rolls back.
    """
    parts = []
    for req in requests:
        where = (
            f"label row {req.label_hash or '(new)'} of data unit {req.data_unit.title!r} "
            f"on branch {req.branch.name!r}"
        )
        given_dict = (
            req.label_dict.skeleton
            if isinstance(req.label_dict, PreparedLabelRow)
            else req.label_dict
        )
        for key, expected in (
            ("data_hash", req.data_unit.data_hash),
            ("label_hash", req.label_hash),
        ):
            given = given_dict.get(key)
            if expected is not None and given is not None and str(given) != expected:
                raise ValidationError(f"{where}: dict has {key}={given!r}, expected {expected!r}")
        try:
            parts.append(split_label_row(req.label_dict, frame_size=req.data_unit.frame_size))
        except ValidationError as exc:
            raise ValidationError(f"{where}: {exc.message}") from exc
    now = catalog.utc_now()
    existing = find_label_rows(conn, [(r.data_unit.id, r.branch.id) for r in requests])
    to_create = []
    for req in requests:
        row = existing.get((req.data_unit.id, req.branch.id))
        if row is None and (req.label_hash is not None or req.revision != 0):
            raise LabelRowError(
                f"label row {req.label_hash} of {req.data_unit.title!r} no longer exists on "
                f"branch {req.branch.name!r}"
            )
        if row is not None and (req.label_hash is None or req.label_hash != row.label_hash):
            raise RevisionConflict(
                f"label row of data unit {req.data_unit.title!r} on branch {req.branch.name!r} was "
                f"created by another writer after this one listed it; list and load it again"
            )
        if row is None:
            to_create.append((req.data_unit, req.branch))
    if to_create:
        for (unit, branch), row in zip(to_create, create_label_rows(conn, to_create), strict=True):
            # a freshly created row is at revision 1: the writer saves on top of it
            existing[(unit.id, branch.id)] = row
    saved_ids = [existing[(r.data_unit.id, r.branch.id)].id for r in requests]
    loaded: list[int] = []
    for req in requests:
        row = existing[(req.data_unit.id, req.branch.id)]
        if req.label_hash is not None and row.revision != req.revision:
            raise RevisionConflict(
                f"label row {row.label_hash} (data unit {req.data_unit.title!r}, branch "
                f"{req.branch.name!r}) was saved by another writer: loaded revision "
                f"{req.revision}, now {row.revision}; reload it and save again"
            )
        loaded.append(row.revision)
    # One UPDATE per row, sent as one executemany: bump the revision only where it is still
    # the one the writer loaded.  Fewer rows updated than requested means someone else saved.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(
            f"UPDATE label_rows SET revision = revision + 1, header = {mark}, "
            f"label_status = {mark}, "
            f"last_edited_at = {mark} WHERE id = {mark} AND revision = {mark}",
            [
                (part.header, part.label_status, now, row_id, revision)
                for part, row_id, revision in zip(parts, saved_ids, loaded, strict=True)
            ],
        )
        updated = cursor.rowcount
    finally:
        cursor.close()
    if updated != len(requests):
        # Only reachable on PostgreSQL, where another transaction can commit between the read
        # above and this UPDATE (SQLite's BEGIN IMMEDIATE excludes other writers).
        raise RevisionConflict(
            f"{len(requests) - updated} of {len(requests)} label rows were saved by another "
            f"writer during this save; reload them and save again"
        )
    for chunk in _chunks(saved_ids):
        for table in (t.annotations, t.object_answers, t.classifications):
            conn.execute(table.delete().where(table.c.label_row_id.in_(chunk)))
    owners = ("project_id", "branch_id", "data_unit_id", "label_row_id")
    columns: dict[str, list[Any]] = {name: [] for name in (*owners, *ANNOTATION_FIELDS)}
    ans_rows: list[tuple[Any, ...]] = []
    cls_rows: list[tuple[Any, ...]] = []
    for req, part, row_id in zip(requests, parts, saved_ids, strict=True):
        base = (req.data_unit.project_id, req.branch.id, req.data_unit.id, row_id)
        n = len(part.annotations["frame"])
        for name, value in zip(owners, base, strict=True):
            columns[name] += [value] * n
        for name in ANNOTATION_FIELDS:
            columns[name] += part.annotations[name]
        ans_rows.extend((req.branch.id, row_id) + r for r in part.answers)
        cls_rows.extend(base + r for r in part.classifications)
    insert_columns(conn, t.annotations, columns, n=len(columns["frame"]))
    insert_rows(
        conn,
        t.object_answers,
        ("branch_id", "label_row_id", "object_hash", "answers", "actions"),
        ans_rows,
    )
    insert_rows(
        conn,
        t.classifications,
        (
            "project_id",
            "branch_id",
            "data_unit_id",
            "label_row_id",
            "classification_hash",
            "feature_hash",
            "ranges",
            "confidence",
            "manual",
            "entry",
        ),
        cls_rows,
    )
    catalog.bump_branch_revision(conn, [req.branch.id for req in requests])
    records = _records_chunked(conn, saved_ids)
    return [records[i] for i in saved_ids]


def _records_chunked(conn: sa.Connection, ids: Sequence[int]) -> dict[int, LabelRowRecord]:
    out = {}
    for chunk in _chunks(list(ids)):
        for r in conn.execute(sa.select(t.label_rows).where(t.label_rows.c.id.in_(chunk))):
            out[r.id] = _record(r)
    return out
