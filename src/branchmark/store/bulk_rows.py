"""Bulk label-row and data-unit helpers for importers (the only SQL importers need).

:func:`ensure_label_rows` is the bulk form of ``label_rows.create_label_row``;
:func:`add_image_units` the bulk form of ``catalog.add_data_unit`` for single images;
:func:`label_row_ids` / :func:`count_annotations` answer "what does this branch hold".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import orjson
import sqlalchemy as sa

from branchmark.errors import ValidationError
from branchmark.store import catalog
from branchmark.store import schema as t
from branchmark.store.records import BranchRecord
from branchmark.store.row_writer import insert_rows

CHUNK = 500


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _now(conn: sa.Connection) -> Any:
    now = catalog.utc_now()
    if conn.dialect.name == "sqlite":  # the text SQLAlchemy's DateTime writes on SQLite
        return now.strftime("%Y-%m-%d %H:%M:%S.%f")
    return now


def ensure_label_rows(
    conn: sa.Connection, data_unit_ids: Sequence[int], branch: BranchRecord
) -> dict[int, int]:
    """Label-row id of each data unit on ``branch``, creating the missing rows in bulk.

    The bulk form of :func:`create_label_row` for importers (one ``executemany`` for any number
    of rows); returns ``{data_unit_id: label_row_id}``.
    """
    wanted = sorted({int(i) for i in data_unit_ids})
    lr, du = t.label_rows, t.data_units
    found: dict[int, int] = {}
    owners: dict[int, int] = {}
    for chunk in _chunks(wanted):
        for unit_id, project_id in conn.execute(
            sa.select(du.c.id, du.c.project_id).where(du.c.id.in_(chunk))
        ):
            owners[unit_id] = project_id
        for unit_id, row_id in conn.execute(
            sa.select(lr.c.data_unit_id, lr.c.id).where(
                lr.c.branch_id == branch.id, lr.c.data_unit_id.in_(chunk)
            )
        ):
            found[unit_id] = row_id
    unknown = [i for i in wanted if owners.get(i) != branch.project_id]
    if unknown:
        raise ValidationError(f"data unit id {unknown[0]} is not in the branch's project")
    missing = [i for i in wanted if i not in found]
    if missing:
        now = _now(conn)
        insert_rows(
            conn, lr,
            ("project_id", "data_unit_id", "branch_id", "label_hash", "revision", "created_at",
             "last_edited_at"),
            [(branch.project_id, i, branch.id, str(uuid.uuid4()), 1, now, now) for i in missing],
        )  # fmt: skip
        for chunk in _chunks(missing):
            for unit_id, row_id in conn.execute(
                sa.select(lr.c.data_unit_id, lr.c.id).where(
                    lr.c.branch_id == branch.id, lr.c.data_unit_id.in_(chunk)
                )
            ):
                found[unit_id] = row_id
        catalog.bump_branch_revision(conn, [branch.id])
    return found


def label_row_ids(
    conn: sa.Connection, branch_id: int, *, data_unit_ids: Sequence[int] | None = None
) -> list[int]:
    """Ids of the branch's label rows (all, or those of ``data_unit_ids``)."""
    lr = t.label_rows
    if data_unit_ids is None:
        return [
            int(i)
            for i in conn.execute(sa.select(lr.c.id).where(lr.c.branch_id == branch_id)).scalars()
        ]
    out: list[int] = []
    for chunk in _chunks(sorted({int(i) for i in data_unit_ids})):
        out.extend(
            int(i)
            for i in conn.execute(
                sa.select(lr.c.id).where(lr.c.branch_id == branch_id, lr.c.data_unit_id.in_(chunk))
            ).scalars()
        )
    return out


def count_annotations(conn: sa.Connection, branch_id: int) -> int:
    """How many annotation rows plus classification instances the branch holds."""
    total = 0
    for table in (t.annotations, t.classifications):
        total += int(
            conn.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.branch_id == branch_id)
            ).scalar_one()
        )
    return total


def add_image_units(
    conn: sa.Connection,
    project_id: int,
    *,
    titles: Sequence[str],
    widths: Sequence[int],
    heights: Sequence[int],
    media_paths: Sequence[str],
    file_types: Sequence[str],
    client_metadata: Sequence[dict[str, Any] | None],
) -> list[int]:
    """Add one single-image data unit per entry (one ``executemany``); return their ids in order.

    Sizes must be positive integers (``ValidationError`` names the entry otherwise).
    """
    n = len(titles)
    for name, values in (("width", widths), ("height", heights)):
        for i, v in enumerate(values):
            if not isinstance(v, int) or v < 1:
                raise ValidationError(
                    f"data unit {titles[i]!r}: {name} must be a positive int, got {v!r}"
                )
    hashes = [str(uuid.uuid4()) for _ in range(n)]
    now = _now(conn)
    insert_rows(
        conn, t.data_units,
        ("project_id", "data_hash", "title", "data_type", "width", "height", "frames",
         "media_path", "data_link", "file_type", "dataset_hash", "dataset_title",
         "client_metadata", "created_at"),
        [(project_id, hashes[i], titles[i], "image", int(widths[i]), int(heights[i]), 1,
          media_paths[i], media_paths[i], file_types[i], "", "", None if client_metadata[i] is None
          else orjson.dumps(client_metadata[i]).decode(), now) for i in range(n)],
    )  # fmt: skip
    ids: dict[str, int] = {}
    du = t.data_units
    for chunk in _chunks(hashes):
        for data_hash, unit_id in conn.execute(
            sa.select(du.c.data_hash, du.c.id).where(du.c.data_hash.in_(chunk))
        ):
            ids[data_hash] = int(unit_id)
    return [ids[h] for h in hashes]
