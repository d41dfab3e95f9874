"""Fixtures of the demo tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchmark.demo.dataset import build_demo_dataset
from branchmark.demo.records import DemoDataset


@pytest.fixture(scope="session")
def default_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoDataset:
    """The dataset ``branchmark demo`` builds by default (seed 0, 24 images, 36-frame video)."""
    root: Path = tmp_path_factory.mktemp("demo-default")
    return build_demo_dataset(root)
