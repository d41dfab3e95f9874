from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from branchmark.errors import MigrationError, StoreError
from branchmark.store import Store, migrations


def test_opening_records_every_migration_once(store: Store) -> None:
    with store.read() as conn:
        rows = conn.execute(sa.select(migrations.schema_migrations)).all()
    assert [r.version for r in rows] == [m.version for m in migrations.MIGRATIONS]
    with store.write() as conn:
        assert migrations.upgrade(conn) == []  # nothing pending on reopen


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path / "ws").close()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'ws' / 'branchmark.db'}")
    with engine.begin() as conn:
        conn.execute(
            migrations.schema_migrations.insert().values(version=999, name="from the future")
        )
    engine.dispose()
    with pytest.raises(MigrationError, match="schema version 999 is newer"):
        Store.open(tmp_path / "ws")


def test_sqlite_workspace_settings(tmp_path: Path) -> None:
    with Store.open(tmp_path / "ws") as store, store.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    assert (tmp_path / "ws" / "branchmark.db").is_file()


def test_workspace_path_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="is a file"):
        Store.open(tmp_path / "f")


def test_busy_workspace_gives_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    from branchmark.store import database

    Store.open(tmp_path / "ws").close()
    holder = sqlite3.connect(tmp_path / "ws" / "branchmark.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
    monkeypatch.setattr(database, "BUSY_TIMEOUT_MS", 200)
    try:
        with pytest.raises(StoreError, match="is busy: another process held its write lock"):
            Store.open(tmp_path / "ws")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("kind", ["file-url", "memory"])
def test_sqlite_urls_get_the_workspace_settings(tmp_path: Path, kind: str) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}" if kind == "file-url" else "sqlite://"
    with Store.open(url) as store:
        with store.write() as conn:
            conn.exec_driver_sql(
                "INSERT INTO projects (project_hash, title, created_at) "
                "VALUES ('h', 't', CURRENT_TIMESTAMP)"
            )
        with store.read() as conn:  # another pooled connection sees the same database
            assert conn.exec_driver_sql("SELECT title FROM projects").scalar() == "t"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            expected = "wal" if kind == "file-url" else "memory"
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == expected


def test_annotations_index_migration_replaces_the_feature_index(store: Store) -> None:
    """A database from before migration 3 (index on branch and feature hash) gets the
    ``(branch_id, id)`` index; reads then walk it in order, without sorting."""
    with store.write() as conn:
        conn.exec_driver_sql("DROP INDEX ix_annotations_branch")
        conn.exec_driver_sql(
            "CREATE INDEX ix_annotations_branch_feature ON annotations (branch_id, feature_hash)"
        )
        conn.execute(
            migrations.schema_migrations.delete().where(migrations.schema_migrations.c.version == 3)
        )
    with store.write() as conn:
        assert migrations.upgrade(conn) == [3]
    with store.read() as conn:
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("annotations")}
        assert "ix_annotations_branch" in names
        assert "ix_annotations_branch_feature" not in names
        if store.dialect == "sqlite":
            plan = " ".join(
                str(r[-1])
                for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT x FROM annotations WHERE branch_id = 1 ORDER BY id"
                )
            )
            assert "ix_annotations_branch" in plan and "TEMP B-TREE" not in plan
