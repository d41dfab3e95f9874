"""store.explorer_queries against brute force over ``get_data_units`` and ``read_annotations``."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

from branchmark.errors import ValidationError
from branchmark.store import AnnotationBatch, Store, catalog, insert_annotations, read_annotations
from branchmark.store.bulk_rows import add_image_units, ensure_label_rows
from branchmark.store.explorer_queries import (
    count_data_units,
    count_object_pairs,
    data_unit_ids,
    data_unit_page,
)

EMPTY_ONTOLOGY: dict[str, Any] = {"objects": [], "classifications": []}


def _two_projects(store: Store) -> tuple[int, int]:
    """Project ``p`` with 7 images and 3 videos interleaved; project ``q`` with 4 images."""
    with store.write() as conn:
        p = catalog.create_project(conn, "p", EMPTY_ONTOLOGY).id
        q = catalog.create_project(conn, "q", EMPTY_ONTOLOGY).id
        for i in range(10):
            kind = "video" if i % 3 == 1 else "image"
            catalog.add_data_unit(conn, p, title=f"p{i}", data_type=kind, width=8, height=6)
            if i < 4:
                catalog.add_data_unit(conn, q, title=f"q{i}", data_type="image", width=8, height=6)
    return p, q


def test_ids_and_counts_match_the_records(store: Store) -> None:
    p, q = _two_projects(store)
    with store.read() as conn:
        every = catalog.get_data_units(conn, p)
        assert data_unit_ids(conn, p).tolist() == [u.id for u in every]
        assert data_unit_ids(conn, p, data_type="video").tolist() == [
            u.id for u in every if u.data_type == "video"
        ]
        assert data_unit_ids(conn, p, data_type="dicom").shape == (0,)
        assert count_data_units(conn, p) == {"image": 7, "video": 3}
        assert count_data_units(conn, q) == {"image": 4}
        assert count_data_units(conn, 999) == {}


@pytest.mark.parametrize("limit", [1, 3, 10, 25])
@pytest.mark.parametrize("data_type", [None, "image", "video"])
def test_pages_cover_every_passing_unit_once(
    store: Store, limit: int, data_type: str | None
) -> None:
    p, q = _two_projects(store)
    with store.read() as conn:
        every = catalog.get_data_units(conn, p)
        others = [u.id for u in catalog.get_data_units(conn, q)]
        wanted_ids = [u.id for u in every[::2]] + others  # other projects' ids are ignored
        expected = [u for u in every[::2] if data_type is None or u.data_type == data_type]
        seen = []
        for offset in range(0, 12, limit):
            page = data_unit_page(
                conn, p, data_type=data_type, ids=wanted_ids, offset=offset, limit=limit
            )
            assert page.total == len(expected)
            assert len(page.units) <= limit
            seen.extend(page.units)
        assert seen == expected  # same records as the full listing, in id order


def test_page_without_ids_and_past_the_end(store: Store) -> None:
    p, _ = _two_projects(store)
    with store.read() as conn:
        every = catalog.get_data_units(conn, p)
        page = data_unit_page(conn, p, offset=8, limit=5)
        assert (page.total, page.units) == (10, tuple(every[8:]))
        assert data_unit_page(conn, p, offset=40, limit=5).units == ()
        assert (
            data_unit_page(conn, p, ids=np.empty(0, dtype=np.int64), offset=0, limit=5).total == 0
        )
        with pytest.raises(ValidationError, match="offset"):
            data_unit_page(conn, p, offset=-1, limit=5)


def test_object_pairs_equal_counting_the_rows(store: Store) -> None:
    rng = np.random.default_rng(7)
    with store.write() as conn:
        project = catalog.create_project(conn, "pairs", EMPTY_ONTOLOGY)
        ids = add_image_units(
            conn, project.id, titles=[f"u{i}" for i in range(6)], widths=[10] * 6,
            heights=[10] * 6, media_paths=[""] * 6, file_types=[""] * 6, client_metadata=[None] * 6,
        )  # fmt: skip
        branch = catalog.create_branch(conn, project.id, "model")
        rows = ensure_label_rows(conn, ids[1:], branch)  # unit 0 has no objects
        n = 40
        units = rng.choice(ids[1:], n)
        features = rng.choice(["zz", "aa", "mm"], n)
        insert_annotations(
            conn,
            AnnotationBatch(
                label_row_id=np.array([rows[int(u)] for u in units], dtype=np.int64),
                frame=np.zeros(n, dtype=np.int64), object_hash=[f"{i:08x}" for i in range(n)],
                feature_hash=features.tolist(), shape=["bounding_box"] * n,
                x=np.ones(n), y=np.ones(n), w=np.ones(n), h=np.ones(n),
            ),
        )  # fmt: skip
        empty = catalog.create_branch(conn, project.id, "empty")
    with store.read() as conn:
        pairs = count_object_pairs(conn, branch_id=branch.id)
        arrays = read_annotations(
            conn, branch_id=branch.id, columns=("data_unit_id", "feature_hash")
        )
        expected = Counter(
            zip(arrays["feature_hash"].tolist(), arrays["data_unit_id"].tolist(), strict=True)
        )
        found = {
            (pairs.features[f], int(u)): int(c)
            for f, u, c in zip(pairs.pair_feature, pairs.pair_unit, pairs.pair_count, strict=True)
        }
        assert found == dict(expected)
        assert pairs.features == ("aa", "mm", "zz")
        keys = list(zip(pairs.pair_feature.tolist(), pairs.pair_unit.tolist(), strict=True))
        assert keys == sorted(keys)
        nothing = count_object_pairs(conn, branch_id=empty.id)
        assert nothing.features == () and nothing.pair_unit.shape == (0,)
