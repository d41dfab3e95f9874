"""The malformed-input corpus: every bad file gives its documented error and changes nothing.

Each case is a file (COCO dataset, COCO results, Encord label-row JSON or YOLO txt) and a regex
its ``ImportFormatError`` message must match: the file, the record (index and id) and the field.
A dump of every table before and after the failed import must be identical.
"""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from branchmark.errors import ImportFormatError
from branchmark.importers import (
    import_coco_dataset,
    import_coco_results,
    import_encord,
    import_yolo,
)
from branchmark.store import Store, catalog
from tests.importers.conftest import BASE_DATASET, write_json
from tests.store.builders import add_unit_for, dump_tables
from tests.store.conftest import load_fixture

Mutate = Callable[[dict[str, Any]], Any]


def _mutated(base: dict[str, Any], mutate: Mutate) -> Any:
    """A deep copy of ``base`` changed by ``mutate``, or what ``mutate`` returns instead."""
    data = copy.deepcopy(base)
    result = mutate(data)
    return data if result is None else result


def _parent(d: dict[str, Any], path: str) -> tuple[Any, str]:
    """The container holding ``annotations.0.bbox``-style ``path``, and the last key."""
    *parents, last = path.split(".")
    target: Any = d
    for p in parents:
        target = target[int(p)] if p.isdigit() else target[p]
    return target, last


def _set(path: str, value: Any) -> Mutate:
    """Set ``annotations.0.bbox``-style paths."""

    def mutate(d: dict[str, Any]) -> None:
        target, last = _parent(d, path)
        target[int(last) if last.isdigit() else last] = value

    return mutate


def _drop(path: str) -> Mutate:
    def mutate(d: dict[str, Any]) -> None:
        target, last = _parent(d, path)
        del target[last]

    return mutate


def _write_case(path: Path, content: Any) -> Path:
    """Raw bytes as they are, anything else as JSON."""
    if isinstance(content, bytes):
        path.write_bytes(content)
        return path
    return write_json(path, content)


def _import_gt(store: Store, tmp_path: Path, project: str, name: str = "gt.json") -> None:
    import_coco_dataset(store, write_json(tmp_path / name, BASE_DATASET), project=project)


@contextlib.contextmanager
def _tables_unchanged(store: Store) -> Iterator[None]:
    before = dump_tables(store)
    yield
    assert dump_tables(store) == before


def _assert_refused(path: Path, expected: str, run: Callable[[], object]) -> None:
    """``run`` raises an ``ImportFormatError`` matching ``expected`` that names ``path``."""
    with pytest.raises(ImportFormatError, match=expected) as info:
        run()
    assert str(path) in info.value.message


A = r"annotations\[{}\] \(id {}\): field \"{}\""
DATASET_CASES: list[Any] = [
    pytest.param(b'{"images": [', r"not valid JSON at line 1", id="truncated"),
    pytest.param(b"", r"file is empty", id="empty"),
    pytest.param(b"   \n", r"file is empty", id="whitespace-only"),
    pytest.param(b'{"images": "\xff\xfe"}', r"not valid JSON .*UTF-8", id="non-utf8"),
    pytest.param(
        b'{"images": [], "categories": [], "annotations": [{"area": NaN}]}',
        r"NaN and Infinity",
        id="nan-literal",
    ),
    pytest.param(
        b'{"images": [{"id": 1, "width": Infinity}]}', r"NaN and Infinity", id="infinity-literal"
    ),
    pytest.param(
        b'{"images": [], "categories": [], "annotations": [{"area": 1e999}]}',
        r"infinity",
        id="overflowing-float",
    ),
    pytest.param(
        [BASE_DATASET["annotations"][0]],
        r"expected a COCO dataset object .*coco-results",
        id="top-level-list",
    ),
    pytest.param(_drop("images"), r'field "images" is missing', id="no-images"),
    pytest.param(
        _set("categories", {"id": 1}),
        r'field "categories": expected a list',
        id="categories-not-list",
    ),
    pytest.param(
        _set("images.0.width", 0),
        r'images\[0\] \(id 1\): field "width": expected a positive integer, got 0',
        id="zero-width",
    ),
    pytest.param(
        _set("images.1.height", -48),
        r'images\[1\] \(id 2\): field "height": expected a positive integer, got -48',
        id="negative-height",
    ),
    pytest.param(
        _set("images.0.width", 100.5),
        r'images\[0\] \(id 1\): field "width": expected an integer',
        id="float-width",
    ),
    pytest.param(
        _set("images.1.id", 1),
        r'images\[1\] \(id 1\): field "id": duplicate id 1 \(first used by images\[0\]\)',
        id="duplicate-image-id",
    ),
    pytest.param(
        _set("annotations.1.id", 10),
        A.format(1, 10, "id") + r": duplicate id 10",
        id="duplicate-annotation-id",
    ),
    pytest.param(
        _set("categories.1.id", 1),
        r'categories\[1\] \(id 1\): field "id": duplicate id',
        id="duplicate-category-id",
    ),
    pytest.param(
        _set("categories.1.name", "box"),
        r'categories\[1\] \(id 2\): field "name": duplicate name',
        id="duplicate-category-name",
    ),
    pytest.param(
        _drop("categories.0.name"),
        r'categories\[0\] \(id 1\): field "name": is missing',
        id="category-without-name",
    ),
    pytest.param(
        _set("annotations.0.bbox", [1, 2, "x", 4]),
        A.format(0, 10, "bbox") + r': expected 4 finite numbers, got \[1, 2, "x", 4\]',
        id="bbox-string",
    ),
    pytest.param(
        _set("annotations.0.bbox", [1, 2, 3]),
        A.format(0, 10, "bbox") + r": expected 4 finite numbers",
        id="bbox-three-numbers",
    ),
    pytest.param(
        _set("annotations.0.bbox", [1, 2, None, 4]),
        A.format(0, 10, "bbox") + r": expected 4 finite numbers",
        id="bbox-null",
    ),
    pytest.param(_set("annotations.0.bbox", "1,2,3,4"), A.format(0, 10, "bbox"), id="bbox-as-text"),
    pytest.param(
        _drop("annotations.0.bbox"), A.format(0, 10, "bbox") + r": is missing", id="bbox-missing"
    ),
    pytest.param(
        _set("annotations.0.bbox", [10, 10, -5, 4]),
        A.format(0, 10, "bbox") + r": width and height must be >= 0",
        id="bbox-negative-size",
    ),
    pytest.param(
        _set("annotations.0.bbox", [90, 10, 30, 4]),
        A.format(0, 10, "bbox") + r": box .* lies outside the 100x80 image",
        id="bbox-outside-image",
    ),
    pytest.param(
        _set("annotations.0.bbox", [1e300, 1, 2, 3]),
        A.format(0, 10, "bbox") + r": box .* lies outside",
        id="bbox-huge-number",
    ),
    pytest.param(
        _set("annotations.0.image_id", 99),
        A.format(0, 10, "image_id") + r": unknown image id 99",
        id="unknown-image-id",
    ),
    pytest.param(
        _set("annotations.0.category_id", 99),
        A.format(0, 10, "category_id") + r": unknown category id 99",
        id="unknown-category-id",
    ),
    pytest.param(
        _set("annotations.0.image_id", "1"),
        A.format(0, 10, "image_id")
        + r": expected a string id like the other records|"
        + A.format(1, 11, "image_id"),
        id="image-id-wrong-type",
    ),
    pytest.param(
        _set("annotations.3.id", 18446744073709551616),
        r'annotations\[3\] \(id 1.8446744073709552e\+19\): field "id": expected an integer',
        id="huge-integer-id",
    ),
    pytest.param(
        _set("annotations.1.segmentation", [[5, 5, 25, 5]]),
        A.format(1, 11, "segmentation") + r": polygon 0 has 2 points, expected at least 3",
        id="polygon-two-points",
    ),
    pytest.param(
        _set("annotations.1.segmentation", [[5, 5, 25, 5, 25]]),
        A.format(1, 11, "segmentation") + r": polygon 0: odd number",
        id="polygon-odd-coordinates",
    ),
    pytest.param(
        _set("annotations.1.segmentation", [[5, 5, 25, 5, 25, 900]]),
        A.format(1, 11, "segmentation") + r": polygon 0 lies outside",
        id="polygon-outside-image",
    ),
    pytest.param(
        _set("annotations.1.segmentation", "polygon"),
        A.format(1, 11, "segmentation") + r": expected polygons or RLE",
        id="segmentation-string",
    ),
    pytest.param(
        _set("annotations.2.segmentation.size", [64, 48]),
        A.format(2, 12, "segmentation")
        + r": RLE size \[64, 48\] does not match the image's \[height, width\] \[48, 64\]",
        id="rle-size-mismatch",
    ),
    pytest.param(
        _set("annotations.2.segmentation.counts", [49, 2, 46]),
        A.format(2, 12, "segmentation") + r": RLE counts cover 97 pixels, the 64x48 image has 3072",
        id="rle-counts-short",
    ),
    pytest.param(
        _set("annotations.2.segmentation.counts", [-1, 3073]),
        A.format(2, 12, "segmentation") + r": RLE counts: expected non-negative",
        id="rle-negative-count",
    ),
    pytest.param(
        _set("annotations.3.keypoints", [12.0, 14.0, 2]),
        A.format(3, 13, "keypoints") + r": expected 9 numbers \(x, y, v for 3 keypoints\), got 3",
        id="keypoints-wrong-count",
    ),
    pytest.param(
        _set("annotations.3.keypoints", [12.0, 14.0, 3, 0, 0, 0, 0, 0, 0]),
        A.format(3, 13, "keypoints") + r": visibility must be 0, 1 or 2",
        id="keypoints-bad-visibility",
    ),
    pytest.param(
        _set("annotations.0.iscrowd", 2),
        A.format(0, 10, "iscrowd") + r": expected 0 or 1, got 2",
        id="iscrowd-two",
    ),
    pytest.param(
        _set("annotations.0.area", -1),
        A.format(0, 10, "area") + r": expected a finite number within \[0, inf\]",
        id="negative-area",
    ),
    pytest.param(
        _set("annotations.0.area", "big"),
        A.format(0, 10, "area") + r': expected a finite number.*got "big"',
        id="area-string",
    ),
    pytest.param(
        _set("annotations.1", [1, 2]),
        r"annotations\[1\]: expected an object, got \[1, 2\]",
        id="annotation-not-object",
    ),
    pytest.param(
        _set("categories.3.skeleton", [[1]]),
        r'categories\[3\] \(id 4\): field "skeleton": expected pairs',
        id="skeleton-not-pairs",
    ),
]


@pytest.mark.parametrize(("content", "expected"), DATASET_CASES)
def test_bad_coco_dataset_is_refused_and_nothing_changes(
    store: Store, tmp_path: Path, content: Any, expected: str
) -> None:
    _import_gt(store, tmp_path, "existing", "ok.json")
    if callable(content):
        content = _mutated(BASE_DATASET, content)
    path = _write_case(tmp_path / "annotations.json", content)
    with _tables_unchanged(store):
        _assert_refused(
            path, expected, lambda: import_coco_dataset(store, path, project="new-project")
        )
        with pytest.raises(ImportFormatError, match=expected):  # into an existing project as well
            import_coco_dataset(store, path, project="existing", mode="append")


RESULT = {"image_id": 1, "category_id": 1, "bbox": [1.0, 2.0, 3.0, 4.0], "score": 0.5}
R = r"results\[{}\] \(image_id {}\): field \"{}\""
RESULTS_CASES: list[Any] = [
    pytest.param(b'[{"image_id": 1, "category_id"', r"not valid JSON", id="truncated"),
    pytest.param(b"", r"file is empty", id="empty"),
    pytest.param(b'[{"image_id": 1, "score": NaN}]', r"NaN and Infinity", id="nan"),
    pytest.param(b'[{"image_id": 1, "score": 1e400}]', r"infinity", id="score-overflow"),
    pytest.param(
        {"image_id": 1}, r"expected a list of result objects, got dict", id="object-not-list"
    ),
    pytest.param(
        [RESULT, {**RESULT, "score": "high"}],
        R.format(1, 1, "score") + r': expected a finite number, got "high"',
        id="score-string",
    ),
    pytest.param(
        [{k: v for k, v in RESULT.items() if k != "score"}],
        R.format(0, 1, "score") + r": is missing",
        id="score-missing",
    ),
    pytest.param(
        [RESULT, {**RESULT, "image_id": 7}],
        R.format(1, 7, "image_id") + r": unknown image id 7",
        id="unknown-image",
    ),
    pytest.param(
        [{**RESULT, "category_id": 42}],
        R.format(0, 1, "category_id") + r": unknown category id 42",
        id="unknown-category",
    ),
    pytest.param(
        [{**RESULT, "image_id": 1.0}],
        R.format(0, 1.0, "image_id") + r": expected an integer",
        id="float-image-id",
    ),
    pytest.param(
        [{**RESULT, "bbox": [1, 2, 3, None]}],
        R.format(0, 1, "bbox") + r": expected 4 finite numbers",
        id="bbox-null",
    ),
    pytest.param(
        [{**RESULT, "bbox": [95, 2, 30, 4]}],
        R.format(0, 1, "bbox") + r": box .* lies outside the 100x80 image",
        id="bbox-outside",
    ),
    pytest.param(
        [{k: v for k, v in RESULT.items() if k != "bbox"}],
        R.format(0, 1, "bbox") + r": is missing",
        id="no-geometry",
    ),
    pytest.param(
        [{**RESULT, "category_id": 3, "segmentation": [[1, 1, 5, 1, 5, 5]]}],
        R.format(0, 1, "segmentation").replace(r" \(image_id 1\)", "")
        + r": Expected format was an RLE",
        id="bitmask-from-polygon",
    ),
    pytest.param(
        [{**RESULT, "category_id": 4}],
        r'results\[0\]: field "keypoints": a skeleton object needs keypoints',
        id="skeleton-without-keypoints",
    ),
    pytest.param([RESULT, "oops"], r"results\[1\]: expected an object", id="record-not-object"),
]


@pytest.mark.parametrize(("content", "expected"), RESULTS_CASES)
def test_bad_coco_results_are_refused_and_nothing_changes(
    store: Store, tmp_path: Path, content: Any, expected: str
) -> None:
    _import_gt(store, tmp_path, "p")
    path = _write_case(tmp_path / "detections.json", content)
    with _tables_unchanged(store):
        _assert_refused(
            path, expected, lambda: import_coco_results(store, path, project="p", branch="model-a")
        )


def _encord_project(store: Store, ontology: dict[str, Any]) -> None:
    with store.write() as conn:
        project = catalog.create_project(conn, "fruit", ontology)
        add_unit_for(conn, project.id, load_fixture("image_all_shapes.json"))


def _first_object(d: dict[str, Any]) -> dict[str, Any]:
    return next(iter(d["data_units"].values()))["labels"]["objects"][0]  # type: ignore[no-any-return]


def _encord(mutate: Mutate) -> Any:
    return _mutated(load_fixture("image_all_shapes.json"), mutate)


ENCORD_CASES: list[Any] = [
    pytest.param(b'{"label_hash": "x", "data_units": {', r"not valid JSON", id="truncated"),
    pytest.param(b"", r"file is empty", id="empty"),
    pytest.param(b"\x80\x81", r"UTF-8", id="non-utf8"),
    pytest.param(
        _encord(lambda d: d.pop("data_units") and None),
        r'field "data_units": expected an object',
        id="no-data-units",
    ),
    pytest.param(
        _encord(lambda d: _first_object(d).update(featureHash="nope1234")),
        r'objects\[0\] \(object voeyFsbP\): field "featureHash": "nope1234" '
        r"is not an object of the ontology",
        id="unknown-feature-hash",
    ),
    pytest.param(
        _encord(lambda d: _first_object(d).update(shape="polygon")),
        r'field "shape": "polygon", the ontology says \'bounding_box\'',
        id="shape-mismatch",
    ),
    pytest.param(
        _encord(
            lambda d: d.update(
                data_hash="00000000-0000-0000-0000-000000000000", data_title="other.png"
            )
        ),
        r'field "data_hash": .* is not in the project and no data unit has the title "other.png"',
        id="unknown-data-unit",
    ),
    pytest.param(
        _encord(
            lambda d: next(iter(d["classification_answers"].values())).update(
                featureHash="0b1e4a01"
            )
        ),
        r'classification_answers\[.*\]: field "featureHash": "0b1e4a01" is not a classification',
        id="object-hash-as-classification",
    ),
    pytest.param(
        _encord(lambda d: [d, d]),
        r"label_rows\[1\] .*a second label row for data unit 'cherry_001.png' "
        r"\(first: .*label_rows\[0\]",
        id="duplicate-row",
    ),
    pytest.param(
        _encord(lambda d: _first_object(d).pop("boundingBox") and None),
        r"objects\[0\] \(object voeyFsbP\): no geometry key",
        id="object-without-geometry",
    ),
    pytest.param(
        _encord(lambda d: "not a row"),
        r'expected a label-row object, got "not a row"',
        id="string-row",
    ),
]


@pytest.mark.parametrize(("content", "expected"), ENCORD_CASES)
def test_bad_encord_json_is_refused_and_nothing_changes(
    store: Store, tmp_path: Path, ontology: dict[str, Any], content: Any, expected: str
) -> None:
    _encord_project(store, ontology)
    path = _write_case(tmp_path / "rows.json", content)
    with _tables_unchanged(store):
        _assert_refused(
            path, expected, lambda: import_encord(store, path, project="fruit", branch="model-a")
        )


YOLO_CASES: list[Any] = [
    pytest.param(
        b"0 0.5 0.5 x 0.2\n", r"a\.txt:1: expected 'class x y ...' numbers", id="not-a-number"
    ),
    pytest.param(
        b"0 0.5 0.5 0.1 0.2\n7 0.5 0.5 0.1 0.2\n",
        r"a\.txt:2: class 7 is not in .*data\.yaml \(2 names\)",
        id="class-out-of-range",
    ),
    pytest.param(
        b"0 0.5 0.5 1.7 0.2\n",
        r"a\.txt:1: coordinates must be normalised to \[0, 1\]",
        id="coordinates-above-one",
    ),
    pytest.param(
        b"1 0.1 0.1 0.2\n", r"a\.txt:1: 3 numbers after the class", id="polygon-under-three-points"
    ),
    pytest.param(
        b"0 0.5 nan 0.1 0.2\n", r"a\.txt:1: coordinates must be finite", id="nan-coordinate"
    ),
    pytest.param(
        b"0 0.5 0.5 0.1 0.2 1e999\n",
        r"a\.txt:1: coordinates must be finite",
        id="infinite-confidence",
    ),
    pytest.param(b"0 0.5 0.5 0.1 0.2\xff\n", r"a\.txt: not UTF-8 text", id="non-utf8"),
    pytest.param(
        b"1 0.5 0.5 0.1 0.2\n",
        r"a\.txt:1: a bounding box line for 'poly', a polygon object",
        id="box-for-polygon-class",
    ),
    pytest.param(
        b"0 0.5 0.5 0.1 0.2 1.5\n",
        r"a\.txt:1: confidence 1.5 is outside",
        id="confidence-above-one",
    ),
    pytest.param(
        b"-1 0.5 0.5 0.1 0.2\n", r"a\.txt:1: class index -1 is negative", id="negative-class"
    ),
]


@pytest.mark.parametrize(("content", "expected"), YOLO_CASES)
def test_bad_yolo_is_refused_and_nothing_changes(
    store: Store, tmp_path: Path, content: bytes, expected: str
) -> None:
    _import_gt(store, tmp_path, "p")
    folder = tmp_path / "yolo"
    (folder / "labels").mkdir(parents=True)
    (folder / "data.yaml").write_text("names: [box, poly]\n")
    (folder / "labels" / "b.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    (folder / "labels" / "a.txt").write_bytes(content)
    with _tables_unchanged(store), pytest.raises(ImportFormatError, match=expected):
        import_yolo(store, folder, project="p", branch="model-a")


def test_yolo_file_without_data_unit_is_refused(store: Store, tmp_path: Path) -> None:
    _import_gt(store, tmp_path, "p")
    folder = tmp_path / "yolo"
    folder.mkdir()
    (folder / "data.yaml").write_text("names: {0: box}\n")
    (folder / "zzz.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    expected = r"zzz\.txt: no data unit has the title stem 'zzz'"
    with _tables_unchanged(store), pytest.raises(ImportFormatError, match=expected):
        import_yolo(store, folder, project="p", branch="m")


def test_corpus_has_at_least_forty_cases() -> None:
    assert len(DATASET_CASES) + len(RESULTS_CASES) + len(ENCORD_CASES) + len(YOLO_CASES) >= 40


def test_message_names_file_record_id_and_field_exactly(store: Store, tmp_path: Path) -> None:
    anns = [{**BASE_DATASET["annotations"][0], "id": 100 + i} for i in range(18)]
    anns[17] = {**anns[17], "id": 42, "bbox": [1, 2, "x", 4]}
    path = write_json(tmp_path / "annotations.json", {**BASE_DATASET, "annotations": anns})
    with pytest.raises(ImportFormatError) as info:
        import_coco_dataset(store, path, project="p")
    assert info.value.message == (
        f'{path}: annotations[17] (id 42): field "bbox": '
        'expected 4 finite numbers, got [1, 2, "x", 4]'
    )
