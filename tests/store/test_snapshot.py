"""A read transaction sees one snapshot: writes committed meanwhile stay invisible to it."""

from __future__ import annotations

import sqlalchemy as sa

from branchmark.store import Store, catalog


def test_read_transaction_is_a_consistent_snapshot(store: Store) -> None:
    with store.write() as conn:
        catalog.create_project(conn, "before", {"objects": [], "classifications": []})
    with store.read() as reader:
        first = len(catalog.list_projects(reader))
        # A concurrent writer commits between two statements of the reader.
        with store.engine.connect() as other, other.begin():
            if store.dialect == "sqlite":
                other.exec_driver_sql("SELECT 1")  # BEGIN DEFERRED already issued by begin()
            other.execute(
                sa.text(
                    "INSERT INTO projects (project_hash, title, description, ontology_version, "
                    "created_at) VALUES ('00000000-0000-0000-0000-00000000beef', 'during', '', "
                    "1, CURRENT_TIMESTAMP)"
                )
            )
        second = len(catalog.list_projects(reader))
    assert first == second == 1
    with store.read() as conn:
        assert {p.title for p in catalog.list_projects(conn)} == {"before", "during"}
