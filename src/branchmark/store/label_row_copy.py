"""Copying label rows to another branch in SQL (``Project.copy_labels_to_branch``).

A copied row is the source row with another identity: its own id, label hash, branch and
revision.  Everything else is copied as stored, column for column: the creation and last-edit
times (a row saved as a dict keeps its times in its header anyway; a row imported in bulk has
no header, and its dict's times and its objects' ``createdAt`` are the row's), the header
blob (with its ``branchmark:entry_templates`` list, which the annotations' ``#<i>`` meta
values index, so both travel together), the label status, and every annotation, object-answers
and classification row (geometry and meta blobs, pixel extents, area, crowd flag, confidence,
manual flag, object number).  The copy therefore reads back as the same label-row dict, and an
analysis of it sees the same numbers; a load-and-save round trip would rebuild the blobs instead
(pixel geometry of bulk imports re-encoded as normalised, entries without meta given the
ontology's names of the day).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from branchmark.errors import RevisionConflict, ValidationError
from branchmark.store import catalog
from branchmark.store import schema as t
from branchmark.store.label_rows import CHUNK, find_label_rows
from branchmark.store.records import BranchRecord, LabelRowRecord
from branchmark.store.row_writer import insert_rows

_CHILD_TABLES = (t.annotations, t.object_answers, t.classifications)


def _time(conn: sa.Connection, moment: datetime) -> Any:
    """A stored time as the driver should bind it: on SQLite the text SQLAlchemy's DateTime
    writes (``sqlite3``'s own datetime adapter is deprecated and drops zero microseconds)."""
    if conn.dialect.name == "sqlite":
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")
    return moment


def copy_label_rows(
    conn: sa.Connection, source_row_ids: Sequence[int], target: BranchRecord, *, overwrite: bool
) -> int:
    """Copy label rows (by id) to ``target`` in the caller's transaction; return how many were
    written.

    A data unit that has no row on ``target`` gets one; an existing target row is replaced when
    ``overwrite`` (its revision bumped, as a save does) and otherwise left as it is.  Ids of rows
    that no longer exist are ignored.  Raises ``ValidationError`` for a source row of another
    project or on ``target`` itself, and ``RevisionConflict`` when another writer saved a target
    row being replaced during this transaction (PostgreSQL only; the caller's transaction then
    rolls back).
    """
    lr = t.label_rows
    sources: list[Any] = []  # label_rows rows
    for start in range(0, len(source_row_ids), CHUNK):
        sources += conn.execute(
            sa.select(lr.c.id, lr.c.project_id, lr.c.data_unit_id, lr.c.branch_id,
                      lr.c.label_status, lr.c.created_at, lr.c.last_edited_at, lr.c.header)
            .where(lr.c.id.in_([int(i) for i in source_row_ids[start : start + CHUNK]]))
        ).all()  # fmt: skip
    for row in sources:
        if row.project_id != target.project_id or row.branch_id == target.id:
            raise ValidationError(
                f"label row {row.id} cannot be copied to branch {target.name!r}: it is "
                + ("that branch's own row" if row.branch_id == target.id else "of another project")
            )
    sources.sort(key=lambda row: row.id)
    existing = find_label_rows(conn, [(row.data_unit_id, target.id) for row in sources])
    created = [row for row in sources if (row.data_unit_id, target.id) not in existing]
    replaced = (
        [(row, existing[(row.data_unit_id, target.id)]) for row in sources
         if (row.data_unit_id, target.id) in existing]
        if overwrite else []
    )  # fmt: skip
    if not created and not replaced:
        return 0
    if replaced:
        _replace_rows(conn, replaced)
    insert_rows(
        conn,
        lr,
        ("project_id", "data_unit_id", "branch_id", "label_hash", "revision", "label_status",
         "created_at", "last_edited_at", "header"),
        [(row.project_id, row.data_unit_id, target.id, str(uuid.uuid4()), 1, row.label_status,
          _time(conn, row.created_at), _time(conn, row.last_edited_at), row.header)
         for row in created],
    )  # fmt: skip
    copied = sorted([row.id for row in created] + [row.id for row, _ in replaced])
    for start in range(0, len(copied), CHUNK):
        for table in _CHILD_TABLES:
            _copy_children(conn, table, copied[start : start + CHUNK], target)
    catalog.bump_branch_revision(conn, [target.id])
    return len(copied)


def _replace_rows(conn: sa.Connection, pairs: Sequence[tuple[Any, LabelRowRecord]]) -> None:
    """Give each target row its source's header and status and drop its labels (the copy adds
    them back); the revision goes up by one where it is still the one read, as in a save."""
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(
            f"UPDATE label_rows SET revision = revision + 1, header = {mark}, "
            f"label_status = {mark}, created_at = {mark}, last_edited_at = {mark} "
            f"WHERE id = {mark} AND revision = {mark}",
            [
                (
                    src.header,
                    src.label_status,
                    _time(conn, src.created_at),
                    _time(conn, src.last_edited_at),
                    dst.id,
                    dst.revision,
                )
                for src, dst in pairs
            ],
        )
        updated = cursor.rowcount
    finally:
        cursor.close()
    if updated != len(pairs):
        # Only reachable on PostgreSQL (SQLite's BEGIN IMMEDIATE excludes other writers).
        raise RevisionConflict(
            f"{len(pairs) - updated} of {len(pairs)} label rows being overwritten were saved "
            f"by another writer during the copy; copy again"
        )
    ids = [dst.id for _, dst in pairs]
    for start in range(0, len(ids), CHUNK):
        for table in _CHILD_TABLES:
            conn.execute(table.delete().where(table.c.label_row_id.in_(ids[start : start + CHUNK])))


def _copy_children(
    conn: sa.Connection, table: sa.Table, source_row_ids: Sequence[int], target: BranchRecord
) -> None:
    """``INSERT ... SELECT`` of the rows of ``table`` belonging to these source rows, each moved
    to the target row of its data unit; in id order, so the copies keep the source order (the
    order a load reads them back in)."""
    src, dst = t.label_rows.alias("src"), t.label_rows.alias("dst")
    moved = {"branch_id": dst.c.branch_id, "label_row_id": dst.c.id}
    names = [c.name for c in table.columns if c.name != "id"]
    query = (
        sa.select(*[moved.get(name, table.c[name]) for name in names])
        .join_from(table, src, src.c.id == table.c.label_row_id)
        .join(dst, sa.and_(dst.c.branch_id == target.id, dst.c.data_unit_id == src.c.data_unit_id))
        .where(table.c.label_row_id.in_(list(source_row_ids)))
        .order_by(table.c.id)
    )
    conn.execute(table.insert().from_select(names, query))
