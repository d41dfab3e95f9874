from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from pycocotools import mask as mask_utils

from branchmark.errors import ValidationError
from branchmark.store import (
    AnnotationBatch,
    Store,
    catalog,
    codec,
    insert_annotations,
    read_annotations,
)
from branchmark.store import label_rows as lr
from tests.store.builders import dump_tables

W, H = 640, 480


def _setup(
    store: Store, ontology: dict[str, Any], n_images: int = 3
) -> tuple[Any, list[Any], list[Any]]:
    with store.write() as conn:
        project = catalog.create_project(conn, "coco", ontology)
        branch = catalog.ensure_branch(conn, project.id, "det.v1")
        units = [
            catalog.add_data_unit(
                conn, project.id, title=f"img{i}.jpg", data_type="image", width=W, height=H
            )
            for i in range(n_images)
        ]
        rows = [lr.create_label_row(conn, u, branch) for u in units]
    return branch, units, rows


def _batch(rows: list[Any], rng: np.random.Generator, n: int) -> AnnotationBatch:
    which = rng.integers(0, len(rows), n)
    xywh = rng.uniform(0, 300, (n, 4))
    return AnnotationBatch(
        label_row_id=np.array([rows[i].id for i in which]),
        frame=np.zeros(n, np.int64),
        object_hash=[f"o{i:07d}" for i in range(n)],
        feature_hash=["0b1e4a01"] * n,
        shape=["bounding_box"] * n,
        x=xywh[:, 0],
        y=xywh[:, 1],
        w=xywh[:, 2],
        h=xywh[:, 3],
        area=xywh[:, 2] * xywh[:, 3],
        iscrowd=rng.random(n) < 0.1,
        confidence=rng.random(n),
        manual=np.zeros(n, bool),
    )


def test_bulk_insert_reads_back_exactly(store: Store, ontology: dict[str, Any]) -> None:
    branch, units, rows = _setup(store, ontology)
    batch = _batch(rows, np.random.default_rng(0), 500)
    with store.write() as conn:
        assert insert_annotations(conn, batch) == 500
    with store.read() as conn:
        got = read_annotations(
            conn,
            branch_id=branch.id,
            columns=(
                "label_row_id",
                "frame",
                "object_hash",
                "x",
                "y",
                "w",
                "h",
                "theta",
                "area",
                "iscrowd",
                "confidence",
                "manual",
                "object_number",
            ),
        )
    assert_array_equal(got["label_row_id"], batch.label_row_id)
    for name in ("x", "y", "w", "h", "area", "confidence"):
        assert got[name].dtype == np.float64
        assert_array_equal(got[name], getattr(batch, name))  # bit-exact
    assert_array_equal(got["iscrowd"], batch.iscrowd)
    assert not got["manual"].any()
    assert np.isnan(got["theta"]).all() and np.isnan(got["object_number"]).all()
    assert list(got["object_hash"]) == list(batch.object_hash)


def test_bulk_read_filters_and_empty_shapes(store: Store, ontology: dict[str, Any]) -> None:
    branch, units, rows = _setup(store, ontology)
    with store.read() as conn:
        empty = read_annotations(conn, branch_id=branch.id, columns=("x", "feature_hash", "manual"))
    assert empty["x"].shape == (0,) and empty["x"].dtype == np.float64
    assert empty["manual"].dtype == bool and empty["feature_hash"].dtype == object
    with store.write() as conn:
        insert_annotations(conn, _batch(rows, np.random.default_rng(1), 50))
    with store.read() as conn:
        one = read_annotations(
            conn, branch_id=branch.id, columns=("label_row_id",), label_row_ids=[rows[0].id]
        )
        none = read_annotations(conn, branch_id=branch.id, columns=("id",), feature_hashes=["nope"])
        with pytest.raises(ValueError, match="unknown annotation columns"):
            read_annotations(conn, branch_id=branch.id, columns=("x", "secret"))
    assert set(one["label_row_id"]) == {rows[0].id}
    assert none["id"].shape == (0,)


def test_pixel_geometry_composes_normalised_and_keeps_pixels(
    store: Store, ontology: dict[str, Any]
) -> None:
    branch, units, rows = _setup(store, ontology, 1)
    mask = np.zeros((H, W), np.uint8)
    mask[100:180, 200:260] = 1
    mask[120:130, 210:220] = 0
    coco_rle = mask_utils.encode(np.asfortranarray(mask))
    rle = {"size": [H, W], "counts": coco_rle["counts"].decode()}
    polygon = [[[10.5, 20.25, 110.0, 20.25, 60.0, 90.75]]]
    batch = AnnotationBatch(
        label_row_id=np.full(3, rows[0].id),
        frame=np.zeros(3, np.int64),
        object_hash=["box00001", "poly0001", "mask0001"],
        feature_hash=["0b1e4a01", "0b1e4a03", "0b1e4a06"],
        shape=["bounding_box", "polygon", "bitmask"],
        x=np.array([1.5, 10.5, 200.0]),
        y=np.array([2.5, 20.25, 100.0]),
        w=np.array([30.0, 99.5, 60.0]),
        h=np.array([40.0, 70.5, 80.0]),
        area=np.array([1200.0, 3508.3125, float(mask.sum())]),
        confidence=np.array([0.9, 0.8, 0.7]),
        geometry=[
            None,
            codec.encode_pixels({"polygons": polygon}),
            codec.encode_pixels({"rle": rle}),
        ],
    )
    with store.write() as conn:
        insert_annotations(conn, batch)
    with store.read() as conn:
        d = lr.load_label_rows(
            conn, [(units[0], branch, rows[0])], object_names=catalog.object_names(ontology)
        )[0]
        blobs = read_annotations(conn, branch_id=branch.id, columns=("geometry",))["geometry"]
    assert d is not None
    objects = d["data_units"][units[0].data_hash]["labels"]["objects"]
    assert [o["objectHash"] for o in objects] == ["box00001", "poly0001", "mask0001"]
    assert objects[0]["boundingBox"] == {"h": 40.0 / H, "w": 30.0 / W, "x": 1.5 / W, "y": 2.5 / H}
    assert objects[0]["name"] == "Cherry" and objects[0]["value"] == "cherry"
    assert objects[0]["confidence"] == 0.9 and objects[0]["manualAnnotation"] is True
    assert objects[1]["polygons"] == [
        [[10.5 / W, 20.25 / H, 110.0 / W, 20.25 / H, 60.0 / W, 90.75 / H]]
    ]
    assert objects[1]["polygon"]["2"] == {"x": 60.0 / W, "y": 90.75 / H}
    bitmask = objects[2]["bitmask"]
    encord_rle = {"size": [W, H], "counts": bitmask["rleString"].encode()}
    assert_array_equal(mask_utils.decode(encord_rle).T, mask)  # Encord RLE = COCO RLE of mask.T
    assert set(d["object_answers"]) == {"box00001", "poly0001", "mask0001"}
    # The COCO pixel values are still there, exactly, for an exporter.
    assert codec.decode_geometry(blobs[1]) == ("P", {"polygons": polygon})
    assert codec.decode_geometry(blobs[2]) == ("P", {"rle": rle})


def test_bulk_insert_validates_before_writing(store: Store, ontology: dict[str, Any]) -> None:
    branch, units, rows = _setup(store, ontology)
    good = _batch(rows, np.random.default_rng(2), 10)
    before = dump_tables(store)
    short = AnnotationBatch(**{**good.__dict__, "confidence": np.ones(9)})
    with pytest.raises(
        ValueError, match=r"AnnotationBatch.confidence: expected shape \(10,\), got \(9,\)"
    ):
        with store.write() as conn:
            insert_annotations(conn, short)
    unknown = AnnotationBatch(**{**good.__dict__, "label_row_id": np.full(10, 999)})
    with pytest.raises(ValidationError, match="label_row_id 999 does not exist"):
        with store.write() as conn:
            insert_annotations(conn, unknown)
    late = AnnotationBatch(**{**good.__dict__, "frame": np.arange(10)})
    with pytest.raises(
        ValidationError, match="annotation 1: frame 1 is beyond the data unit's 1 frames"
    ):
        with store.write() as conn:
            insert_annotations(conn, late)
    nan = good.x.copy()
    nan[4] = np.nan
    with pytest.raises(ValidationError, match="annotation 4"):
        with store.write() as conn:
            insert_annotations(conn, AnnotationBatch(**{**good.__dict__, "x": nan}))
    assert dump_tables(store) == before


def test_extent_of_bitmask_and_polygon_match_oracles() -> None:
    rng = np.random.default_rng(3)
    mask = np.zeros((30, 40), np.uint8)
    mask[5:17, 9:31] = rng.random((12, 22)) < 0.7
    counts = mask_utils.encode(np.asfortranarray(mask.T))["counts"].decode()
    x, y, w, h, _, area = codec.extent_of(
        {"bitmask": {"height": 30, "width": 40, "rleString": counts}}, 40, 30
    )
    ys, xs = np.nonzero(mask)
    assert (x, y, w, h) == (xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    assert area == mask.sum()
    shapely = pytest.importorskip("shapely")
    rings = [[0.1, 0.1, 0.9, 0.1, 0.9, 0.9, 0.1, 0.9], [0.3, 0.3, 0.6, 0.3, 0.6, 0.6, 0.3, 0.6]]
    geometry = {"polygons": [rings, [[0.0, 0.0, 0.05, 0.0, 0.0, 0.05]]]}
    _, _, _, _, _, poly_area = codec.extent_of(geometry, 200, 100)

    def scaled(ring: list[float]) -> list[tuple[float, float]]:
        return [(ring[i] * 200, ring[i + 1] * 100) for i in range(0, len(ring), 2)]

    oracle = (
        shapely.Polygon(scaled(rings[0]), [scaled(rings[1])]).area
        + shapely.Polygon(scaled(geometry["polygons"][1][0])).area
    )
    assert poly_area == pytest.approx(oracle)


def test_bulk_rows_on_a_video_compose_frame_keyed_labels(
    store: Store, ontology: dict[str, Any]
) -> None:
    with store.write() as conn:
        project = catalog.create_project(conn, "v", ontology)
        branch = catalog.ensure_branch(conn, project.id, "trk.v1")
        unit = catalog.add_data_unit(
            conn,
            project.id,
            title="clip.mp4",
            data_type="video",
            width=320,
            height=240,
            frames=10,
            fps=5.0,
            duration=2.0,
        )
        row = lr.create_label_row(conn, unit, branch)
        insert_annotations(
            conn,
            AnnotationBatch(
                label_row_id=np.full(3, row.id),
                frame=np.array([7, 3, 7]),
                object_hash=["trk00001", "trk00001", "other001"],
                feature_hash=["0b1e4a01", "0b1e4a01", "0b1e4a05"],
                shape=["bounding_box", "bounding_box", "point"],
                x=np.array([32.0, 16.0, 160.0]),
                y=np.array([24.0, 12.0, 120.0]),
                w=np.array([64.0, 32.0, 0.0]),
                h=np.array([48.0, 24.0, 0.0]),
                object_number=[4, 4, None],
            ),
        )
    with store.read() as conn:
        d = lr.load_label_rows(
            conn,
            [
                (
                    unit,
                    branch,
                    lr.find_label_rows(conn, [(unit.id, branch.id)])[(unit.id, branch.id)],
                )
            ],
            object_names=catalog.object_names(ontology),
        )[0]
    assert d is not None
    labels = d["data_units"][unit.data_hash]["labels"]
    assert list(labels) == ["7", "3"]  # in insertion order of first appearance
    assert [o["objectHash"] for o in labels["7"]["objects"]] == ["trk00001", "other001"]
    assert labels["3"]["objects"][0]["boundingBox"] == {"h": 0.1, "w": 0.1, "x": 0.05, "y": 0.05}
    assert labels["7"]["objects"][1]["point"] == {"0": {"x": 0.5, "y": 0.5}}
    assert d["object_answers"]["trk00001"] == {
        "classifications": [],
        "objectHash": "trk00001",
        "objectNumber": 4,
    }
    assert d["data_units"][unit.data_hash]["data_fps"] == 5.0
    assert d["data_type"] == "video" and d["branch_name"] == "trk.v1"


def test_object_answers_read_in_bulk(store: Store, ontology: dict[str, Any]) -> None:
    from branchmark.store.annotations import read_object_answers
    from tests.store.builders import prepare, save
    from tests.store.conftest import load_fixture

    d = load_fixture("image_all_shapes.json")
    unit, branch, row, d = prepare(store, ontology, d)
    save(store, unit, branch, row, d)
    with store.read() as conn:
        answers = read_object_answers(conn, branch_id=branch.id)
    assert answers == {
        h: e["classifications"] for h, e in d["object_answers"].items() if e["classifications"]
    }
    assert len(answers) == 2  # voeyFsbP and 6MMLq8+z answer something in the fixture
