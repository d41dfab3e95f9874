"""Every form of the ``frames`` argument (ENCORD_COMPAT.md s.2.10)."""

from __future__ import annotations

import numpy as np
import pytest

from branchmark.errors import LabelRowError
from branchmark.objects import OntologyStructure
from branchmark.objects.coordinates import BoundingBoxCoordinates
from branchmark.objects.frames import Range, frames_class_to_frames_list, frames_to_ranges

BOX = BoundingBoxCoordinates(0.1, 0.1, 0.2, 0.2)


@pytest.mark.parametrize(
    ("frames", "expected"),
    [
        pytest.param(3, [3], id="int"),
        pytest.param([5, 1, 5], [1, 5], id="list-dedup-sorted"),
        pytest.param(Range(3, 6), [3, 4, 5, 6], id="range-inclusive"),
        pytest.param([Range(1, 2), Range(7, 8)], [1, 2, 7, 8], id="list-of-ranges"),
        pytest.param([Range(1, 4), Range(3, 5)], [1, 2, 3, 4, 5], id="overlapping-ranges"),
        pytest.param([], [], id="empty"),
        pytest.param(Range(6, 3), [], id="reversed-range"),
    ],
)
def test_accepted_forms(ontology: OntologyStructure, frames, expected) -> None:  # type: ignore[no-untyped-def]
    assert frames_class_to_frames_list(frames) == expected
    instance = ontology.objects[0].create_instance()
    instance.set_for_frames(BOX, frames)
    assert [a.frame for a in instance.get_annotations()] == expected


@pytest.mark.parametrize(
    "frames",
    [
        pytest.param({1, 2}, id="set"),
        pytest.param((1, 2), id="tuple"),
        pytest.param(np.int64(3), id="numpy-int"),
        pytest.param([1, Range(2, 3)], id="mixed"),
        pytest.param("3", id="str"),
    ],
)
def test_rejected_forms_raise_runtime_error(ontology: OntologyStructure, frames) -> None:  # type: ignore[no-untyped-def]
    instance = ontology.objects[0].create_instance()
    with pytest.raises(RuntimeError, match="Unexpected type for frames."):
        instance.set_for_frames(BOX, frames)
    assert instance.get_annotations() == []


def test_negative_frame(ontology: OntologyStructure) -> None:
    instance = ontology.objects[0].create_instance()
    with pytest.raises(
        LabelRowError, match="`-1` is not within the acceptable bounds of `0` to `inf`"
    ):
        instance.set_for_frames(BOX, -1)


def test_frames_to_ranges_against_brute_force() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        frames = sorted(set(rng.integers(0, 30, size=rng.integers(0, 15)).tolist()))
        ranges = frames_to_ranges(frames)
        assert frames_class_to_frames_list(ranges) == frames
        # ranges are maximal: consecutive ranges never touch
        assert all(b.start > a.end + 1 for a, b in zip(ranges, ranges[1:], strict=False))
