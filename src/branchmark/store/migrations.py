"""Schema migrations: registered in code, applied in order, recorded in ``schema_migrations``.

Add a migration by appending a function to :data:`MIGRATIONS` with :func:`migration`; never
edit one that has shipped.  ``upgrade`` runs inside the caller's write transaction, so a failed
migration leaves the database as it was (PostgreSQL and SQLite both have transactional DDL).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from branchmark.errors import MigrationError

schema_migrations = sa.Table(
    "schema_migrations",
    sa.MetaData(),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column(
        "applied_at", sa.DateTime, nullable=False, server_default=sa.func.current_timestamp()
    ),
)


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[sa.Connection], None]


MIGRATIONS: list[Migration] = []

MIGRATION_LOCK_KEY = 0x6272616E63686D  # "branchm": the advisory lock upgrades hold on PostgreSQL


def migration(version: int, name: str) -> Callable[[Callable[[sa.Connection], None]], None]:
    """Register ``fn`` as migration ``version`` (versions are consecutive from 1)."""

    def register(fn: Callable[[sa.Connection], None]) -> None:
        if version != len(MIGRATIONS) + 1:
            raise RuntimeError(f"migration {version} registered out of order")
        MIGRATIONS.append(Migration(version, name, fn))

    return register


@migration(1, "initial schema")
def _initial(conn: sa.Connection) -> None:
    # Creates the tables as the schema module defines them now; a later change to it ships as
    # a migration that brings older databases there and does nothing on one created here.
    from branchmark.store.schema import metadata

    metadata.create_all(conn)


@migration(2, "analysis tables")
def _analysis_tables(conn: sa.Connection) -> None:
    from branchmark.store.analysis_schema import create_analysis_tables

    create_analysis_tables(conn)


@migration(3, "annotations indexed by (branch_id, id)")
def _annotations_branch_index(conn: sa.Connection) -> None:
    # Idempotent: a database created by migration 1 from the current schema module already has
    # the new index and never had the old one.
    conn.exec_driver_sql("DROP INDEX IF EXISTS ix_annotations_branch_feature")
    conn.exec_driver_sql(
        "CREATE INDEX IF NOT EXISTS ix_annotations_branch ON annotations (branch_id, id)"
    )


def latest_version() -> int:
    """The schema version this code writes."""
    return MIGRATIONS[-1].version


def applied_versions(conn: sa.Connection) -> list[int]:
    """Versions recorded in the database, ascending (empty for a new database)."""
    if not sa.inspect(conn).has_table("schema_migrations"):
        return []
    rows = conn.execute(sa.select(schema_migrations.c.version).order_by("version"))
    return [int(v) for v in rows.scalars()]


def upgrade(conn: sa.Connection) -> list[int]:
    """Apply every pending migration; return the versions applied now.

    Raises ``MigrationError`` when the database has versions this code does not know (it was
    written by a newer branchmark) or when a migration fails.
    """
    if conn.dialect.name == "postgresql":
        # Two processes opening a new database at once: the second waits here for the first's
        # transaction and then finds nothing pending (SQLite's BEGIN IMMEDIATE does the same).
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")
    schema_migrations.create(conn, checkfirst=True)
    done = applied_versions(conn)
    unknown = [v for v in done if v > latest_version()]
    if unknown:
        raise MigrationError(
            f"database schema version {max(unknown)} is newer than this branchmark knows "
            f"({latest_version()}); upgrade branchmark"
        )
    applied = []
    for step in MIGRATIONS:
        if step.version in done:
            continue
        try:
            step.apply(conn)
        except sa.exc.SQLAlchemyError as exc:
            raise MigrationError(f"migration {step.version} ({step.name}) failed: {exc}") from exc
        conn.execute(schema_migrations.insert().values(version=step.version, name=step.name))
        applied.append(step.version)
    return applied
