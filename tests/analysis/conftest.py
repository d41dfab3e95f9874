"""The analysis tests reuse the store fixture: every test runs on SQLite and, when configured,
PostgreSQL (a fresh schema per test)."""

from __future__ import annotations

from tests.store.conftest import ontology, postgres_schema, store

__all__ = ["ontology", "postgres_schema", "store"]
