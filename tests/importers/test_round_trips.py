"""Import then export gives the input back; write modes, skipping and the store's columns.

Oracles: the real COCO files under tests/fixtures/coco-real (their own content), the Encord
fixtures written by the real SDK (including the legacy-layout twins, which must come back in the
current layout exactly as SDK 0.1.211 wrote them), and pycocotools for areas and boxes.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pytest
from numpy.testing import assert_array_equal
from pycocotools import mask as mask_utils

from branchmark.errors import ConflictError, ImportFormatError
from branchmark.exporters import (
    export_coco_dataset,
    export_coco_results,
    export_encord,
    export_yolo,
)
from branchmark.importers import (
    import_coco_dataset,
    import_coco_results,
    import_encord,
    import_yolo,
)
from branchmark.store import Store, catalog
from branchmark.store.annotations import read_annotations
from tests.conftest import COCO_FIXTURES, ENCORD_FIXTURES
from tests.importers.conftest import BASE_DATASET, write_json
from tests.store.builders import add_unit_for
from tests.store.conftest import load_fixture

CASES = [
    pytest.param(
        "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json",
        [
            "cocoapi/results/instances_val2014_fakebbox100_results.json",
            "cocoapi/results/instances_val2014_fakesegm100_results.json",
        ],
        id="val2014-polygons-rle",
    ),
    pytest.param(
        "faster_coco_eval/tests/keypoints_dataset/gt_dataset.json",
        ["faster_coco_eval/tests/keypoints_dataset/dt_dataset.json"],
        id="keypoints",
    ),
    pytest.param(
        "faster_coco_eval/tests/dataset/example_crowdpose_val.json",
        ["faster_coco_eval/tests/dataset/example_crowdpose_preds.json"],
        id="crowdpose",
    ),
    pytest.param(
        "review_object_detection_metrics/tests/test_coco_eval/gts/sampled_gts_bbox_area.json",
        [],
        id="boxes",
    ),
]


def _without_ids(annotations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in a.items() if k != "id"} for a in annotations]


def _by_image(annotations: list[dict[str, Any]]) -> dict[Any, list[dict[str, Any]]]:
    """Each image's annotations (ids aside) in their order: what COCO evaluation depends on.

    The importer stores rows grouped by image; pycocotools evaluates per image (stable score
    sort) and joins images in image-id order, so the order across images carries nothing.
    """
    out: dict[Any, list[dict[str, Any]]] = {}
    for a in _without_ids(annotations):
        out.setdefault(a["image_id"], []).append(a)
    return out


def _json(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


@pytest.mark.parametrize(("dataset", "results"), CASES)
def test_real_coco_files_round_trip(store: Store, dataset: str, results: list[str]) -> None:
    source = json.loads((COCO_FIXTURES / dataset).read_text())
    import_coco_dataset(store, COCO_FIXTURES / dataset, project="p")
    exported, skipped = export_coco_dataset(store, project="p")
    exported = _json(exported)
    assert skipped == 0
    assert exported["images"] == source["images"]
    assert exported["categories"] == source["categories"]
    assert len(exported["annotations"]) == len(source["annotations"])
    assert _by_image(exported["annotations"]) == _by_image(source["annotations"])
    assert {
        k: v for k, v in exported.items() if k not in ("images", "annotations", "categories")
    } == {k: v for k, v in source.items() if k not in ("images", "annotations", "categories")}
    for i, name in enumerate(results):
        import_coco_results(store, COCO_FIXTURES / name, project="p", branch=f"model-{i}")
        out, skipped = export_coco_results(store, project="p", branch=f"model-{i}")
        assert skipped == 0
        records = json.loads((COCO_FIXTURES / name).read_text())
        assert len(out) == len(records)
        assert _by_image(_json(out)) == _by_image(records)


def _in_store_order(
    records: list[dict[str, Any]], stored_images: list[Any]
) -> list[dict[str, Any]]:
    """``records`` in the store's image order, file order within each image (a stable sort);
    checks that the store holds exactly that image sequence."""
    rank: dict[Any, int] = {}
    for image in stored_images:
        rank.setdefault(image, len(rank))
    order = np.argsort([rank[r["image_id"]] for r in records], kind="stable")
    out = [records[i] for i in order.tolist()]
    assert [r["image_id"] for r in out] == stored_images
    return out


def test_coco_columns_match_pycocotools(store: Store) -> None:
    """Areas kept as given; boxes exact; predictions unmanual with score as confidence."""
    name = "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
    source = json.loads((COCO_FIXTURES / name).read_text())
    import_coco_dataset(store, COCO_FIXTURES / name, project="p")
    segm = "cocoapi/results/instances_val2014_fakesegm100_results.json"
    import_coco_results(store, COCO_FIXTURES / segm, project="p", branch="segm")
    records = json.loads((COCO_FIXTURES / segm).read_text())
    columns = ("data_unit_id", "x", "y", "w", "h", "area", "iscrowd", "manual")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
        main = catalog.get_branch(conn, project.id, "main")
        pred = catalog.get_branch(conn, project.id, "segm")
        gt = read_annotations(conn, branch_id=main.id, columns=columns)
        dt = read_annotations(
            conn, branch_id=pred.id, columns=("data_unit_id", "area", "confidence", "manual")
        )
        image_of = {
            u.id: u.client_metadata["coco_image"]["id"]
            for u in catalog.get_data_units(conn, project.id)
        }
    gt_source = _in_store_order(source["annotations"], [image_of[u] for u in gt["data_unit_id"]])
    records = _in_store_order(records, [image_of[u] for u in dt["data_unit_id"]])
    assert_array_equal(np.stack([gt[k] for k in "xywh"], 1), [a["bbox"] for a in gt_source])
    assert_array_equal(gt["area"], [a["area"] for a in gt_source])
    assert_array_equal(gt["iscrowd"], [bool(a["iscrowd"]) for a in gt_source])
    assert gt["manual"].all() and not dt["manual"].any()
    assert_array_equal(dt["confidence"], [r["score"] for r in records])
    # COCO.loadRes gives a segm result the area of its mask.
    assert_array_equal(dt["area"], [float(mask_utils.area(r["segmentation"])) for r in records])


@pytest.mark.parametrize("layout", ["current", "legacy"])
def test_encord_fixtures_round_trip(
    store: Store, ontology: dict[str, Any], tmp_path: Path, layout: str
) -> None:
    folder = tmp_path / "rows"
    folder.mkdir()
    base = ENCORD_FIXTURES if layout == "current" else ENCORD_FIXTURES / "legacy-sdk-0.1.202"
    for name in ("image_all_shapes.json", "image_group.json"):
        shutil.copy(base / name, folder / name)
    with store.write() as conn:
        project = catalog.create_project(conn, "fruit", ontology)
        for name in ("image_all_shapes.json", "image_group.json"):
            add_unit_for(conn, project.id, load_fixture(name))
    report = import_encord(store, folder, project="fruit", branch="yolo-v8.run_01")
    assert report.label_rows == 2 and report.per_shape["bitmask"] == 4
    exported = {
        d["data_title"]: d for d in export_encord(store, project="fruit", branch="yolo-v8.run_01")
    }
    for name in ("image_all_shapes.json", "image_group.json"):
        expected = load_fixture(name)  # what SDK 0.1.211 writes (also for the legacy twin)
        got = exported[expected["data_title"]]
        assert got["branch_name"] == "yolo-v8.run_01"
        strip = {"label_hash", "branch_name"}
        assert json.dumps({k: v for k, v in got.items() if k not in strip}) == json.dumps(
            {k: v for k, v in expected.items() if k not in strip}
        )
    # Importing the same rows again replaces them: the branch is unchanged.
    import_encord(store, folder, project="fruit", branch="yolo-v8.run_01", mode="append")
    again = {
        d["data_title"]: d for d in export_encord(store, project="fruit", branch="yolo-v8.run_01")
    }
    assert again == exported


def _yolo_folder(tmp_path: Path, lines: dict[str, str]) -> Path:
    folder = tmp_path / "yolo"
    (folder / "labels").mkdir(parents=True)
    (folder / "data.yaml").write_text("names:\n  0: box\n  1: poly\n")
    for stem, text in lines.items():
        (folder / "labels" / f"{stem}.txt").write_text(text)
    return folder


def _parse(folder: Path) -> dict[str, list[list[float]]]:
    return {
        p.stem: [[float(v) for v in line.split()] for line in p.read_text().splitlines()]
        for p in sorted((folder / "labels").glob("*.txt"))
    }


def test_yolo_round_trip(store: Store, tmp_path: Path) -> None:
    import_coco_dataset(store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p")
    lines = {
        "a": "0 0.5 0.5 0.25 0.125 0.91\n1 0.1 0.1 0.4 0.1 0.25 0.35 0.5\n",
        "b": "0 0.123456 0.654321 0.1 0.2 0.33\n",
    }
    source = _yolo_folder(tmp_path, lines)
    report = import_yolo(store, source, project="p", branch="yolo")
    assert report.imported == 3 and report.per_shape == {"bounding_box": 2, "polygon": 1}
    out = tmp_path / "out"
    summary = export_yolo(store, project="p", branch="yolo", folder=out)
    assert summary == {"files": 2, "lines": 3, "skipped": 0}
    assert _parse(out) == _parse(source)
    names = (out / "data.yaml").read_text()
    assert '0: "box"' in names and '1: "poly"' in names
    # pixels in the store: cx * width etc.
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
        branch = catalog.get_branch(conn, project.id, "yolo")
        cols = read_annotations(
            conn, branch_id=branch.id, columns=("x", "y", "w", "h", "confidence", "manual")
        )
    assert cols["x"][0] == pytest.approx((0.5 - 0.125) * 100) and cols["h"][0] == pytest.approx(
        0.125 * 80
    )
    assert not cols["manual"].any()


def test_write_modes_new_append_replace(store: Store, tmp_path: Path) -> None:
    gt = write_json(tmp_path / "gt.json", BASE_DATASET)
    results = write_json(
        tmp_path / "r.json", [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}]
    )
    import_coco_dataset(store, gt, project="p")
    import_coco_results(store, results, project="p", branch="m")
    with pytest.raises(ConflictError, match="already holds labels"):
        import_coco_results(store, results, project="p", branch="m")
    assert import_coco_results(store, results, project="p", branch="m", mode="append").imported == 1
    assert len(export_coco_results(store, project="p", branch="m")[0]) == 2
    import_coco_results(store, results, project="p", branch="m", mode="replace")
    import_coco_results(store, results, project="p", branch="m", mode="replace")
    assert len(export_coco_results(store, project="p", branch="m")[0]) == 1


def test_skip_invalid_counts_and_keeps_good_records(store: Store, tmp_path: Path) -> None:
    import_coco_dataset(store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p")
    good = {"image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "score": 0.5}
    records = [
        good,
        {**good, "image_id": 9},
        {**good, "bbox": [1, "x", 3, 4]},
        {**good, "category_id": 77},
        good,
    ]
    path = write_json(tmp_path / "r.json", records)
    with pytest.raises(ImportFormatError):
        import_coco_results(store, path, project="p", branch="m")
    report = import_coco_results(store, path, project="p", branch="m", skip_invalid=True)
    assert report.imported == 2 and report.skipped == 3
    assert any("results[1] (image_id 9)" in r for r in report.reasons)
    assert any('results[2] (image_id 1): field "bbox"' in r for r in report.reasons)
    assert report.to_dict()["per_class"] == {"box": 2}


def test_dataset_import_builds_ontology_by_content_and_records_ids(
    store: Store, tmp_path: Path
) -> None:
    import_coco_dataset(store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p")
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
        ontology = catalog.get_ontology(conn, project.id)
        units = catalog.get_data_units(conn, project.id)
        main = catalog.get_branch(conn, project.id, "main")
    assert [(o["name"], o["shape"]) for o in ontology["objects"]] == [
        ("box", "bounding_box"),
        ("poly", "polygon"),
        ("mask", "bitmask"),
        ("person", "skeleton"),
    ]
    template = ontology["skeleton_templates"][0]["template"]
    assert [v["name"] for v in template["skeleton"].values()] == ["a", "b", "c"]
    assert template["skeletonEdges"] == {
        "0": {"1": {"color": "#000000"}},
        "1": {"2": {"color": "#000000"}},
    }
    assert [u.client_metadata["coco_image"]["id"] for u in units] == [1, 2]  # type: ignore[index]
    assert [c["name"] for c in main.meta["coco"]["categories"]] == ["box", "poly", "mask", "person"]
    # A second dataset with the same images reuses the data units.
    again = import_coco_dataset(
        store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p", branch="copy"
    )
    assert again.data_units == 0 and again.imported == 4


def test_sdk_rows_export_to_coco(store: Store, ontology: dict[str, Any]) -> None:
    """Rows saved as Encord dicts convert to COCO: box pixels, bitmask RLE equal to the mask."""
    d = load_fixture("image_all_shapes.json")
    with store.write() as conn:
        project = catalog.create_project(conn, "fruit", ontology)
        add_unit_for(conn, project.id, d)
    folder_file = Path(str(ENCORD_FIXTURES / "image_all_shapes.json"))
    import_encord(store, folder_file, project="fruit", branch="main", mode="append")
    dataset, skipped = export_coco_dataset(store, project="fruit")
    assert skipped == 2  # the polyline and the point have no COCO form
    anns: dict[Any, dict[str, Any]] = {}
    for a in dataset["annotations"]:
        anns.setdefault(a["category_id"], a)  # the first object of each class
    cats = {c["name"]: c["id"] for c in dataset["categories"]}
    assert anns[cats["Cherry"]]["bbox"] == pytest.approx([0.5 * 64, 0.5 * 48, 0.1 * 64, 0.1 * 48])
    bitmask = next(
        o
        for o in next(iter(d["data_units"].values()))["labels"]["objects"]
        if o["shape"] == "bitmask"
    )["bitmask"]
    transposed = mask_utils.decode({"size": [64, 48], "counts": bitmask["rleString"].encode()})
    coco = anns[cats["Blueberry"]]["segmentation"]
    assert_array_equal(
        mask_utils.decode({"size": coco["size"], "counts": coco["counts"].encode()}), transposed.T
    )
    assert copy.deepcopy(anns[cats["Strawberry"]]["keypoints"][2::3]) == [2, 1, 0]


def _coco_eval(dataset: dict[str, Any], results: list[dict[str, Any]]) -> Any:
    """pycocotools' bbox ``COCOeval`` after ``evaluate`` and ``accumulate`` (output silenced)."""
    import contextlib
    import io

    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = copy.deepcopy(dataset)
        gt.createIndex()
        ev = COCOeval(gt, gt.loadRes(copy.deepcopy(results)), iouType="bbox")
        ev.evaluate()
        ev.accumulate()
    return ev


def test_grouped_export_evaluates_like_the_file(store: Store, tmp_path: Path) -> None:
    """The exported results (grouped by image) give pycocotools' exact numbers for the file.

    Scores rounded to one decimal make many ties, which pycocotools breaks by the order of the
    detections within an image (stable sorts); reversing that order changes the numbers, so the
    oracle can tell a reordering that matters from one that does not.
    """
    dataset_name = "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
    dataset = json.loads((COCO_FIXTURES / dataset_name).read_text())
    records = json.loads(
        (COCO_FIXTURES / "cocoapi/results/instances_val2014_fakebbox100_results.json").read_text()
    )
    for r in records:
        r["score"] = round(r["score"], 1)
    import_coco_dataset(store, COCO_FIXTURES / dataset_name, project="p")
    import_coco_results(store, write_json(tmp_path / "dets.json", records), project="p", branch="m")
    exported, _ = export_coco_results(store, project="p", branch="m")
    exported = _json(exported)
    images = [r["image_id"] for r in exported]
    assert images != [r["image_id"] for r in records]  # the file is not grouped by image
    runs = 1 + sum(a != b for a, b in zip(images, images[1:], strict=False))
    assert runs == len(set(images))  # each image's rows are contiguous
    expected = _coco_eval(dataset, records)
    got = _coco_eval(dataset, exported)
    assert_array_equal(got.eval["precision"], expected.eval["precision"])
    assert_array_equal(got.eval["recall"], expected.eval["recall"])
    assert_array_equal(got.eval["scores"], expected.eval["scores"])
    reversed_within = [r for image in _by_image(records).values() for r in image[::-1]]
    assert not np.array_equal(
        _coco_eval(dataset, reversed_within).eval["precision"], expected.eval["precision"]
    )
