"""IdTable.positions (the lookup-table path for dense ids and the binary search for the rest)
against a brute-force dict."""

from __future__ import annotations

import numpy as np
import pytest

from branchmark.importers.coco_format import IdTable

BIG = np.iinfo(np.int64).max
SMALL = np.iinfo(np.int64).min


@pytest.mark.parametrize(
    "ids",
    [
        pytest.param([1, 2, 3, 5, 8], id="dense"),
        pytest.param([-4, -1, 0, 7], id="negative-dense"),
        pytest.param([3, 10**12, 10**15], id="sparse"),
        pytest.param([SMALL, 0, BIG], id="int64-extremes"),
        pytest.param([42], id="one"),
    ],
)
def test_positions_match_a_dict(ids: list[int]) -> None:
    rng = np.random.default_rng(7)
    queries = np.concatenate(
        [
            np.array(ids, dtype=np.int64),
            rng.integers(-20, 20, 200),
            np.array([SMALL, SMALL + 1, BIG - 1, BIG, 10**12 - 1, 10**15 + 1], dtype=np.int64),
        ]
    )
    rng.shuffle(queries)
    row = {v: i for i, v in enumerate(ids)}
    expected = [row.get(int(q), -1) for q in queries]
    got = IdTable(np.array(ids, dtype=np.int64)).positions(queries)
    assert got.dtype == np.int64
    assert got.tolist() == expected


def test_positions_of_other_kinds_and_empty_tables() -> None:
    assert IdTable(np.array(["a", "c"])).positions(np.array(["c", "b"])).tolist() == [1, -1]
    assert IdTable(np.array([1, 2])).positions(np.array(["1"])).tolist() == [-1]
    assert IdTable(np.zeros(0, np.int64)).positions(np.array([1])).tolist() == [-1]
    assert IdTable(np.array([1, 2])).positions(np.zeros(0, np.int64)).tolist() == []
