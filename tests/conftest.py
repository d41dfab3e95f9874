"""Fixtures shared by the whole suite: fixture paths and the PostgreSQL switch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
ENCORD_FIXTURES = FIXTURES / "encord"
COCO_FIXTURES = FIXTURES / "coco-real"

POSTGRES_URL_ENV = "BRANCHMARK_TEST_DATABASE_URL"


def postgres_url() -> str | None:
    """The PostgreSQL URL tests may use, or None when no server is configured."""
    return os.environ.get(POSTGRES_URL_ENV) or None


requires_postgres = pytest.mark.skipif(
    postgres_url() is None,
    reason=f"no PostgreSQL configured: set {POSTGRES_URL_ENV} (CI sets it to 127.0.0.1:5432/test)",
)


@pytest.fixture
def encord_fixtures() -> Path:
    return ENCORD_FIXTURES


@pytest.fixture
def coco_fixtures() -> Path:
    return COCO_FIXTURES
