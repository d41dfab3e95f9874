"""Coordinate classes: JSON round trips (Hypothesis) and bitmask RLE against pycocotools."""

from __future__ import annotations

import dataclasses
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from pycocotools import mask as coco_mask

from branchmark.errors import EncordException, LabelRowError
from branchmark.objects.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
    PolylineCoordinates,
    RotatableBoundingBoxCoordinates,
    SkeletonCoordinate,
    SkeletonCoordinates,
    Visibility,
    write_coordinates,
)

unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
points = st.builds(PointCoordinate, unit, unit)
rings = st.lists(points, min_size=3, max_size=8)


def round_trip(coordinates):  # type: ignore[no-untyped-def]
    entry: dict = {}
    write_coordinates(coordinates, entry)
    return type(coordinates).from_dict(entry)


@given(st.builds(BoundingBoxCoordinates, unit, unit, unit, unit))
def test_bounding_box_round_trip(box: BoundingBoxCoordinates) -> None:
    assert round_trip(box) == box
    assert box.to_dict() == {
        "h": box.height,
        "w": box.width,
        "x": box.top_left_x,
        "y": box.top_left_y,
    }


@given(st.builds(RotatableBoundingBoxCoordinates, unit, unit, unit, unit, st.floats(-360, 360)))
def test_rotatable_box_round_trip(box: RotatableBoundingBoxCoordinates) -> None:
    assert round_trip(box) == box


@given(points)
def test_point_round_trip(point: PointCoordinate) -> None:
    assert round_trip(point) == point


@given(st.lists(st.lists(rings, min_size=1, max_size=3), min_size=1, max_size=3))
def test_polygon_round_trip(polygons) -> None:  # type: ignore[no-untyped-def]
    coords = PolygonCoordinates(polygons=polygons)
    back = round_trip(coords)
    assert back == coords
    assert back.values == polygons[0][0]


@given(st.lists(points, min_size=2, max_size=10))
def test_polyline_round_trip(values) -> None:  # type: ignore[no-untyped-def]
    assert round_trip(PolylineCoordinates(values)) == PolylineCoordinates(values)


@given(
    st.lists(
        st.builds(
            SkeletonCoordinate,
            x=unit,
            y=unit,
            name=st.text(min_size=1, max_size=5),
            color=st.none() | st.just("#000000"),
            feature_hash=st.none() | st.text(min_size=8, max_size=8),
            visibility=st.none() | st.sampled_from(list(Visibility)),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_skeleton_round_trip(values) -> None:  # type: ignore[no-untyped-def]
    assert round_trip(SkeletonCoordinates(values=values)).values == values


@settings(max_examples=60)
@given(arrays(np.bool_, st.tuples(st.integers(1, 12), st.integers(1, 12))))
def test_bitmask_rle_is_pycocotools_on_transposed_mask(mask: np.ndarray) -> None:
    coords = BitmaskCoordinates(mask)
    expected = coco_mask.encode(np.asfortranarray(mask.T.astype(np.uint8)))["counts"].decode()
    assert coords.rle_string == expected
    assert coords.to_dict() == {
        "top": 0,
        "left": 0,
        "height": mask.shape[0],
        "width": mask.shape[1],
        "rleString": expected,
    }
    np.testing.assert_array_equal(coords.to_numpy_array(), mask)
    assert round_trip(coords) == coords


def test_rle_hand_computed() -> None:
    # row-major T,F / T,T -> runs 0 zeros, 1 one, 1 zero, 2 ones; the 4th count is a delta (2-1)
    mask = np.array([[True, False], [True, True]])
    assert BitmaskCoordinates(mask).rle_string == "0111"
    assert BitmaskCoordinates(np.zeros((2, 3), bool)).rle_string == "6"


def test_bitmask_sources() -> None:
    mask = np.eye(4, dtype=bool)
    encoded = BitmaskCoordinates(mask)
    assert BitmaskCoordinates(encoded.to_dict()) == encoded
    assert BitmaskCoordinates(encoded.encoded) == encoded
    with pytest.raises(EncordException, match="boolean"):
        BitmaskCoordinates(mask.astype(float))
    with pytest.raises(EncordException, match="2-dimensional"):
        BitmaskCoordinates(np.zeros((2, 2, 2), bool))
    with pytest.raises(ValueError, match="list"):
        BitmaskCoordinates([[True]])


def test_polygon_needs_points() -> None:
    with pytest.raises(LabelRowError, match="Either `values` or `polygons`"):
        PolygonCoordinates()
    with pytest.raises(LabelRowError):
        PolygonCoordinates(values=[])


def test_polygon_legacy_only_entry_and_both_given() -> None:
    entry = {
        "polygon": {"0": {"x": 0.1, "y": 0.1}, "1": {"x": 0.2, "y": 0.1}, "2": {"x": 0.2, "y": 0.3}}
    }
    coords = PolygonCoordinates.from_dict(entry)
    assert coords.polygons == [[coords.values]]
    other = [[[PointCoordinate(0.5, 0.5), PointCoordinate(0.6, 0.5), PointCoordinate(0.6, 0.6)]]]
    assert PolygonCoordinates(values=coords.values, polygons=other).values == other[0][0]


def test_coordinates_do_not_check_ranges_at_construction() -> None:
    # as the SDK: BoundingBoxCoordinates(height=2, width=-1, top_left_x=5, top_left_y=5) is fine
    box = BoundingBoxCoordinates(height=2, width=-1, top_left_x=5, top_left_y=5)
    assert box.to_dict() == {"h": 2, "w": -1, "x": 5, "y": 5}


def test_skeleton_coordinate_requires_name() -> None:
    with pytest.raises(TypeError):
        SkeletonCoordinate(x=0.1, y=0.2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    "cls", [BoundingBoxCoordinates, RotatableBoundingBoxCoordinates, PointCoordinate]
)
def test_fast_init_behaves_as_the_dataclass_one(cls: type) -> None:
    """The descriptor-filling __init__ against a plain frozen dataclass with the same fields."""
    fields = [f.name for f in dataclasses.fields(cls)]
    reference = dataclasses.make_dataclass("Reference", fields, frozen=True)
    values = [0.125 * (i + 1) for i in range(len(fields))]
    by_position, by_name = cls(*values), cls(**dict(zip(fields, values, strict=True)))
    assert by_position == by_name
    assert dataclasses.asdict(by_position) == dataclasses.asdict(reference(*values))
    assert hash(by_position) == hash(cls(*values))
    assert repr(by_position) == repr(reference(*values)).replace("Reference", cls.__name__)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(by_position, fields[0], 0.5)
    assert getattr(dataclasses.replace(by_position, **{fields[0]: 0.5}), fields[0]) == 0.5
    assert pickle.loads(pickle.dumps(by_position)) == by_position
    for bad_args, bad_kwargs in ((values[:-1], {}), ([*values, 1.0], {}), (values[:-1], {"z": 1})):
        with pytest.raises(TypeError) as ours:
            cls(*bad_args, **bad_kwargs)
        with pytest.raises(TypeError) as theirs:
            reference(*bad_args, **bad_kwargs)
        assert str(ours.value).split("()", 1)[1] == str(theirs.value).split("()", 1)[1]
