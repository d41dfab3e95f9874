"""The ``store`` fixture: every store test runs on SQLite and, when configured, PostgreSQL.

On PostgreSQL each test gets a fresh schema (``search_path`` set through the URL's libpq
``options``), dropped at teardown, so the suite can run repeatedly against one database.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from branchmark.store import Store
from tests.conftest import ENCORD_FIXTURES, postgres_url, requires_postgres


def postgres_schema_url(base: str, schema: str) -> str:
    """``base`` with ``search_path`` set to ``schema`` for every connection."""
    separator = "&" if "?" in base else "?"
    return f"{base}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema URL (dropped with everything in it afterwards)."""
    base = postgres_url()
    assert base is not None
    schema = f"bm_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        yield postgres_schema_url(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[requires_postgres, pytest.mark.postgres]),
    ]
)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        opened = Store.open(tmp_path / "ws")
    else:
        url = request.getfixturevalue("postgres_schema")
        opened = Store.open(url, media_root=tmp_path / "media")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ontology() -> dict[str, Any]:
    return json.loads((ENCORD_FIXTURES / "ontology.json").read_text())


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((ENCORD_FIXTURES / name).read_text())
