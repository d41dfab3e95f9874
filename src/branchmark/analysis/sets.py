"""Prediction-set management: list with counts, rename, keep metadata, delete (one transaction).

Deleting a branch removes its label rows (and through them annotations, answers and
classifications), every analysis that uses it as predictions *or* ground truth, their jobs,
results and per-object rows: all by foreign-key cascades, in one transaction.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa

from branchmark.errors import ConflictError, ValidationError
from branchmark.store import Store, catalog
from branchmark.store import analysis_schema as s
from branchmark.store import schema as t
from branchmark.store.records import BranchKind, ProjectRecord

#: Metadata keys with a meaning of their own (others are kept as given).
KNOWN_META = ("model", "version", "notes")


@dataclasses.dataclass(frozen=True)
class BranchInfo:
    """A branch with its size and analyses."""

    name: str
    kind: str
    meta: dict[str, Any]
    revision: int
    created_at: datetime
    label_rows: int
    objects: int
    analyses: int

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "created_at": self.created_at.isoformat()}


def _count(
    conn: sa.Connection, table: sa.Table, column: sa.Column[Any], project_id: int
) -> dict[int, int]:
    query = sa.select(column, sa.func.count()).select_from(table)
    if "project_id" in table.c:
        query = query.where(table.c.project_id == project_id)
    return {int(k): int(v) for k, v in conn.execute(query.group_by(column))}


def list_branch_info(store: Store, project: ProjectRecord) -> list[BranchInfo]:
    """Every branch, ``main`` first, with label-row, object and analysis counts."""
    with store.read() as conn:
        branches = catalog.list_branches(conn, project.id)
        rows = _count(conn, t.label_rows, t.label_rows.c.branch_id, project.id)
        objects = _count(conn, t.annotations, t.annotations.c.branch_id, project.id)
        analyses = _count(conn, s.analyses, s.analyses.c.branch_id, project.id)
    return [
        BranchInfo(
            b.name,
            b.kind.value,
            b.meta,
            b.revision,
            b.created_at,
            rows.get(b.id, 0),
            objects.get(b.id, 0),
            analyses.get(b.id, 0),
        )
        for b in branches
    ]


def delete_branch(
    store: Store, project: ProjectRecord, name: str, *, allow_main: bool = False
) -> None:
    """Delete a branch with its label rows and every analysis of it (or against it).

    ``main`` (the ground truth) is refused unless ``allow_main``; it is then emptied (its rows
    and analyses go) but stays, as every project has a ``main``.
    """
    with store.write() as conn:
        branch = catalog.get_branch(conn, project.id, name)
        if branch.kind is BranchKind.MAIN and not allow_main:
            raise ValidationError(
                f"branch {name!r} holds the ground truth; pass allow_main to delete it"
            )
        a = s.analyses
        conn.execute(
            a.delete().where(sa.or_(a.c.branch_id == branch.id, a.c.gt_branch_id == branch.id))
        )
        # Annotations reference only their label row; delete them explicitly so that the
        # cascade does not depend on the backend's FK settings.
        rows = sa.select(t.label_rows.c.id).where(t.label_rows.c.branch_id == branch.id)
        for table in (t.annotations, t.object_answers, t.classifications):
            conn.execute(table.delete().where(table.c.label_row_id.in_(rows)))
        conn.execute(t.label_rows.delete().where(t.label_rows.c.branch_id == branch.id))
        if branch.kind is BranchKind.MAIN:
            catalog.bump_branch_revision(conn, [branch.id])
        else:
            conn.execute(t.branches.delete().where(t.branches.c.id == branch.id))


def rename_branch(store: Store, project: ProjectRecord, name: str, new_name: str) -> None:
    """Rename a prediction branch (its analyses follow it); ``main`` cannot be renamed."""
    catalog.validate_branch_name(new_name)
    with store.write() as conn:
        branch = catalog.get_branch(conn, project.id, name)
        if branch.kind is BranchKind.MAIN:
            raise ValidationError("branch 'main' holds the ground truth and cannot be renamed")
        taken = conn.execute(
            sa.select(t.branches.c.id).where(
                t.branches.c.project_id == project.id, t.branches.c.name == new_name
            )
        ).first()
        if taken is not None:
            raise ConflictError(f"a branch named {new_name!r} already exists")
        conn.execute(t.branches.update().where(t.branches.c.id == branch.id).values(name=new_name))


def update_branch_metadata(
    store: Store,
    project: ProjectRecord,
    name: str,
    *,
    model: str | None = None,
    version: str | None = None,
    notes: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Merge model name, version, notes (and ``extra`` keys) into the branch's metadata."""
    with store.write() as conn:
        branch = catalog.get_branch(conn, project.id, name)
        meta = dict(branch.meta)
        for key, value in (
            ("model", model),
            ("version", version),
            ("notes", notes),
            *(extra or {}).items(),
        ):
            if value is not None:
                orjson.dumps(value)  # must be JSON
                meta[key] = value
        return catalog.set_branch_meta(conn, project.id, name, meta).meta
