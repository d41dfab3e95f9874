"""YOLO pose (Ultralytics ``kpt_shape``) import and export.

Oracles: pixel keypoints computed by hand from the hand-written lines below (normalised value x
image size), the input files themselves for the round trip, and pycocotools' COCOeval
(iouType ``keypoints``) on the equivalent COCO files for the analysis of an imported pose
prediction set.  Ultralytics' own prediction lines (per-keypoint confidences in the third place)
are checked against the COCO results import of the same predictions.
"""

from __future__ import annotations

import contextlib
import copy
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose, assert_array_equal
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from branchmark import analysis as an
from branchmark.analysis.compute import load_inputs
from branchmark.analysis.pairs import image_pairs
from branchmark.errors import ImportFormatError, OntologyMismatch
from branchmark.exporters import export_encord, export_yolo
from branchmark.geometry.keypoints import COCO_PERSON_KEYPOINTS
from branchmark.importers import import_coco_dataset, import_coco_results, import_yolo
from branchmark.store import Store, catalog
from branchmark.store.annotations import read_annotations
from branchmark.store.codec import decode_geometry
from tests.importers.conftest import BASE_DATASET, write_json
from tests.store.builders import dump_tables

IMAGES: list[dict[str, Any]] = [
    {"id": 1, "file_name": "a.jpg", "width": 640, "height": 480},
    {"id": 2, "file_name": "b.jpg", "width": 320, "height": 240},
]
FIVE_POINTS = ["head", "neck", "tail", "left_paw", "right_paw"]

# --- The hand-written 2-image datasets -----------------------------------------------------------

#: kpt_shape [5, 3]: visibilities; a ground-truth style line and a prediction (confidence 0.875).
FIVE_YAML = "names:\n  0: person\nkpt_shape: [5, 3]\nflip_idx: [0, 1, 2, 4, 3]\n"
FIVE_LINES = {
    "a": "0 0.5 0.5 0.25 0.5 0.5 0.3 2 0.5 0.4 2 0.5 0.7 1 0.4 0.6 2 0 0 0\n"
    "0 0.123456 0.654321 0.1 0.2 0.1 0.6 2 0.12 0.62 2 0.13 0.63 1 0.14 0.64 0 0.15 0.65 2 0.875\n",
    "b": "0 0.25 0.75 0.125 0.25 0.25 0.7 2 0.2 0.75 1 0.3 0.8 2 0.2 0.85 0 0.3 0.85 2\n",
}
#: By hand: box x = (cx - w / 2) * W, y = (cy - h / 2) * H, w * W, h * H; points x * W, y * H.
#: a.jpg is 640 x 480, b.jpg 320 x 240.
FIVE_PIXELS = [
    # (image, box xywh, keypoints (x, y, v), confidence or None)
    ("a.jpg", [240, 120, 160, 240],
     [[320, 144, 2], [320, 192, 2], [320, 336, 1], [256, 288, 2], [0, 0, 0]], None),
    ("a.jpg", [47.01184, 266.07408, 64, 96],
     [[64, 288, 2], [76.8, 297.6, 2], [83.2, 302.4, 1], [89.6, 307.2, 0], [96, 312, 2]], 0.875),
    ("b.jpg", [60, 150, 40, 60],
     [[80, 168, 2], [64, 180, 1], [96, 192, 2], [64, 204, 0], [96, 204, 2]], None),
]  # fmt: skip
FIVE_VISIBILITY = [
    ["visible", "visible", "occluded", "visible", "invisible"],
    ["visible", "visible", "occluded", "invisible", "visible"],
    ["visible", "occluded", "visible", "invisible", "visible"],
]

#: kpt_shape [3, 2]: no visibilities (every point labelled: stored "visible", COCO code 2).
THREE_YAML = "names: [tri]\nkpt_shape: [3, 2]\n"
THREE_LINES = {
    "a": "0 0.5 0.5 0.5 0.5 0.25 0.25 0.75 0.25 0.5 0.75\n"
    "0 0.3 0.4 0.2 0.3 0.2 0.3 0.4 0.3 0.3 0.5 0.625\n",
    "b": "0 0.5 0.5 1 1 0 0 1 1 0.5 0.5\n",
}
THREE_PIXELS = [
    ("a.jpg", [160, 120, 320, 240], [[160, 120, 2], [480, 120, 2], [320, 360, 2]], None),
    ("a.jpg", [128, 120, 128, 144], [[128, 144, 2], [256, 144, 2], [192, 240, 2]], 0.625),
    ("b.jpg", [0, 0, 320, 240], [[0, 0, 2], [320, 240, 2], [160, 120, 2]], None),
]


#: kpt_shape [5, 3], Ultralytics' own predictions (``predict(save_txt=True, save_conf=True)``):
#: ``"%g"`` of every number, the third of a point its confidence (x and y 0 below 0.5), then the
#: box confidence.
ULTRA_LINES = {
    "a": "0 0.5 0.5 0.25 0.5 0.5 0.3 0.987654 0.5 0.4 0.5 0 0 0.0123456 0.4 0.6 1 0 0 3.1e-05 "
    "0.876543\n"
    "0 0.123456 0.654321 0.1 0.2 0.1 0.6 0.99 0.12 0.62 0.75 0.13 0.63 0.5 0 0 0.25 0.15 0.65 0.6 "
    "0.5\n",
    "b": "0 0.25 0.75 0.125 0.25 0.25 0.7 1 0.2 0.75 0.8 0 0 0 0.2 0.85 0.7 0.3 0.85 0.9 0.95\n",
}
#: By hand as FIVE_PIXELS; the third number of each point is its confidence as written.
ULTRA_PIXELS = [
    ("a.jpg", [240, 120, 160, 240],
     [[320, 144, 0.987654], [320, 192, 0.5], [0, 0, 0.0123456], [256, 288, 1], [0, 0, 3.1e-05]],
     0.876543),
    ("a.jpg", [47.01184, 266.07408, 64, 96],
     [[64, 288, 0.99], [76.8, 297.6, 0.75], [83.2, 302.4, 0.5], [0, 0, 0.25], [96, 312, 0.6]],
     0.5),
    ("b.jpg", [60, 150, 40, 60],
     [[80, 168, 1], [64, 180, 0.8], [0, 0, 0], [64, 204, 0.7], [96, 204, 0.9]], 0.95),
]  # fmt: skip
#: As the COCO results import reads a result's per-point score (coco_rows._skeleton): 0, 1, 2
#: are COCO's codes (0 invisible, 1 occluded), any other positive score is visible.
ULTRA_VISIBILITY = [
    ["visible", "visible", "visible", "occluded", "visible"],
    ["visible"] * 5,
    ["occluded", "visible", "invisible", "visible", "visible"],
]


def _category(name: str, points: list[str]) -> dict[str, Any]:
    return {"id": 1, "name": name, "keypoints": points, "skeleton": [[1, 2]]}


def _project(
    store: Store,
    tmp_path: Path,
    project: str,
    categories: list[dict[str, Any]],
    annotations: list[dict[str, Any]] | None = None,
) -> None:
    dataset = {"images": IMAGES, "categories": categories, "annotations": annotations or []}
    import_coco_dataset(store, write_json(tmp_path / f"{project}.json", dataset), project=project)


def _folder(path: Path, data_yaml: str, lines: dict[str, str]) -> Path:
    (path / "labels").mkdir(parents=True)
    (path / "data.yaml").write_text(data_yaml)
    for stem, text in lines.items():
        (path / "labels" / f"{stem}.txt").write_text(text)
    return path


def _stored(store: Store, project: str, branch: str) -> list[dict[str, Any]]:
    """The branch's rows in store order: image title, box, pixel payload, confidence, manual."""
    with store.read() as conn:
        record = catalog.get_project(conn, project)
        titles = {u.id: u.title for u in catalog.get_data_units(conn, record.id)}
        cols = read_annotations(
            conn,
            branch_id=catalog.get_branch(conn, record.id, branch).id,
            columns=("data_unit_id", "shape", "x", "y", "w", "h", "area", "confidence", "manual",
                     "geometry"),
        )  # fmt: skip
    out = []
    for k in range(len(cols["x"])):
        kind, payload = decode_geometry(cols["geometry"][k])
        out.append(
            {"image": titles[int(cols["data_unit_id"][k])], "shape": cols["shape"][k],
             "box": [float(cols[c][k]) for c in ("x", "y", "w", "h")],
             "area": float(cols["area"][k]), "kind": kind, "payload": payload,
             "confidence": float(cols["confidence"][k]), "manual": bool(cols["manual"][k])}
        )  # fmt: skip
    return out


def _skeletons(store: Store, project: str, branch: str) -> list[dict[str, Any]]:
    """The Encord label-row skeleton entries of the branch, a.jpg then b.jpg, in row order."""
    rows = sorted(
        export_encord(store, project=project, branch=branch), key=lambda r: r["data_title"]
    )
    return [
        obj for row in rows for unit in row["data_units"].values()
        for obj in unit["labels"]["objects"]
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("points", "data_yaml", "lines", "expected", "visibility"),
    [
        pytest.param(FIVE_POINTS, FIVE_YAML, FIVE_LINES, FIVE_PIXELS, FIVE_VISIBILITY, id="K5-D3"),
        pytest.param(FIVE_POINTS, FIVE_YAML, ULTRA_LINES, ULTRA_PIXELS, ULTRA_VISIBILITY,
                     id="K5-D3-ultralytics-predictions"),
        pytest.param(["a", "b", "c"], THREE_YAML, THREE_LINES, THREE_PIXELS, [["visible"] * 3] * 3,
                     id="K3-D2"),
    ],
)  # fmt: skip
def test_pose_lines_import_to_hand_computed_pixels(
    store: Store,
    tmp_path: Path,
    points: list[str],
    data_yaml: str,
    lines: dict[str, str],
    expected: list[Any],
    visibility: list[list[str]],
) -> None:
    name = yaml.safe_load(data_yaml)["names"][0]
    _project(store, tmp_path, "p", [_category(name, points)])
    report = import_yolo(store, _folder(tmp_path / "y", data_yaml, lines), project="p", branch="m")
    assert (report.imported, report.per_shape, report.per_class) == (
        3, {"skeleton": 3}, {name: 3}
    )  # fmt: skip
    stored = _stored(store, "p", "m")
    assert [r["image"] for r in stored] == [e[0] for e in expected]
    for row, (_, box, keypoints, confidence) in zip(stored, expected, strict=True):
        assert row["shape"] == "skeleton" and row["kind"] == "P"
        assert_allclose(row["box"], box, rtol=1e-12, atol=1e-12)
        assert_allclose(
            np.reshape(row["payload"]["keypoints"], (-1, 3)), keypoints, rtol=1e-12, atol=1e-12
        )
        assert np.isnan(row["area"])  # as for YOLO boxes: the evaluation takes w * h
        assert row["manual"] is (confidence is None)
        assert row["confidence"] == (1.0 if confidence is None else confidence)
    # The Encord view: the template's point names and feature hashes, normalised points,
    # visibility mapped as the COCO import maps COCO's v (2 visible, 1 occluded, 0 invisible).
    with store.read() as conn:
        ontology = catalog.get_ontology(conn, catalog.get_project(conn, "p").id)
    template = ontology["skeleton_templates"][0]["template"]["skeleton"]
    sizes = {"a.jpg": (640, 480), "b.jpg": (320, 240)}
    skeletons = _skeletons(store, "p", "m")
    assert len(skeletons) == 3
    for obj, (image, _, keypoints, _), names in zip(skeletons, expected, visibility, strict=True):
        width, height = sizes[image]
        got = [obj["skeleton"][str(k)] for k in range(len(points))]
        assert [p["name"] for p in got] == points
        assert [p["featureHash"] for p in got] == [template[str(k)]["featureHash"]
                                                    for k in range(len(points))]  # fmt: skip
        assert [p["visibility"] for p in got] == names
        assert_allclose(
            [[p["x"] * width, p["y"] * height] for p in got],
            np.array(keypoints)[:, :2], rtol=1e-12, atol=1e-12,
        )  # fmt: skip


@pytest.mark.parametrize(
    ("points", "data_yaml", "lines"),
    [
        pytest.param(FIVE_POINTS, FIVE_YAML, FIVE_LINES, id="K5-D3"),
        pytest.param(FIVE_POINTS, FIVE_YAML, ULTRA_LINES, id="K5-D3-ultralytics-predictions"),
        pytest.param(["a", "b", "c"], THREE_YAML, THREE_LINES, id="K3-D2"),
    ],
)
def test_pose_round_trip_is_byte_for_byte(
    store: Store, tmp_path: Path, points: list[str], data_yaml: str, lines: dict[str, str]
) -> None:
    name = yaml.safe_load(data_yaml)["names"][0]
    _project(store, tmp_path, "p", [_category(name, points)])
    source = _folder(tmp_path / "y", data_yaml, lines)
    import_yolo(store, source, project="p", branch="m")
    out = tmp_path / "out"
    assert export_yolo(store, project="p", branch="m", folder=out, pose=True) == {
        "files": 2, "lines": 3, "skipped": 0
    }  # fmt: skip
    for stem, text in lines.items():
        assert (out / "labels" / f"{stem}.txt").read_bytes() == text.encode()
    written, given = yaml.safe_load((out / "data.yaml").read_text()), yaml.safe_load(data_yaml)
    if isinstance(given["names"], list):  # the export writes names as {index: name}
        given["names"] = dict(enumerate(given["names"]))
    assert written == {**given, "nc": 1}
    # ... and the export imports again to the same rows
    import_yolo(store, out, project="p", branch="again")
    first, again = _stored(store, "p", "m"), _stored(store, "p", "again")
    assert [(r["box"], r["payload"], r["confidence"], r["manual"]) for r in again] == [
        (r["box"], r["payload"], r["confidence"], r["manual"]) for r in first
    ]


def test_ultralytics_keypoint_confidences_read_as_coco_results_scores(
    store: Store, tmp_path: Path
) -> None:
    """The same predictions as a COCO results list: the COCO results import keeps each point's
    score and derives its visibility; the YOLO import must store the same thirds and skeleton
    visibilities (and the "%g" lines are what Ultralytics would write for their numbers)."""
    for text in ULTRA_LINES.values():
        for line in text.splitlines():
            words = line.split()
            assert words[1:] == [format(float(w), "g") for w in words[1:]]  # "%g"
    _project(store, tmp_path, "p", [_category("person", FIVE_POINTS)])
    import_yolo(store, _folder(tmp_path / "y", FIVE_YAML, ULTRA_LINES), project="p", branch="y")
    results = write_json(tmp_path / "results.json", _coco_results(ULTRA_LINES))
    import_coco_results(store, results, project="p", branch="c")
    yolo, coco = _stored(store, "p", "y"), _stored(store, "p", "c")
    assert [r["payload"]["keypoints"][2::3] for r in yolo] == [
        r["payload"]["keypoints"][2::3] for r in coco
    ]
    visibility = [[p["visibility"] for p in obj["skeleton"].values()]
                  for obj in _skeletons(store, "p", "y")]  # fmt: skip
    assert visibility == [[p["visibility"] for p in obj["skeleton"].values()]
                          for obj in _skeletons(store, "p", "c")]  # fmt: skip
    assert visibility == ULTRA_VISIBILITY


def test_pose_export_of_coco_keypoints(store: Store, tmp_path: Path) -> None:
    """A skeleton from a COCO import: b.jpg (64 x 48), bbox [10, 10, 20, 20], keypoints
    [12, 14, 2, 20.5, 22, 1, 0, 0, 0]; boxes, polygons and masks are skipped in pose mode."""
    import_coco_dataset(store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p")
    out = tmp_path / "out"
    summary = export_yolo(store, project="p", branch="main", folder=out, pose=True)
    assert summary == {"files": 2, "lines": 1, "skipped": 3}
    assert (out / "labels" / "a.txt").read_text() == ""
    # cx = 20 / 64, cy = 20 / 48, w = 20 / 64, h = 20 / 48; 12 / 64, 14 / 48; 20.5 / 64, 22 / 48
    assert (out / "labels" / "b.txt").read_text() == (
        "0 0.3125 0.4166666667 0.3125 0.4166666667 0.1875 0.2916666667 2 0.3203125 0.4583333333 1 "
        "0 0 0\n"
    )
    assert yaml.safe_load((out / "data.yaml").read_text()) == {
        "nc": 1, "names": {0: "person"}, "kpt_shape": [3, 3]
    }  # fmt: skip


def test_pose_export_needs_one_point_count(store: Store, tmp_path: Path) -> None:
    _project(
        store, tmp_path, "p",
        [_category("person", FIVE_POINTS), {**_category("tri", ["a", "b", "c"]), "id": 2}],
    )  # fmt: skip
    with pytest.raises(OntologyMismatch, match=r"'person' \(5 points\), 'tri' \(3 points\)"):
        export_yolo(store, project="p", branch="main", folder=tmp_path / "out", pose=True)
    _project(store, tmp_path, "boxes", [{"id": 1, "name": "box"}])
    with pytest.raises(OntologyMismatch, match="no skeleton object"):
        export_yolo(store, project="boxes", branch="main", folder=tmp_path / "o2", pose=True)


# --- Bad input: file, line and field named, nothing written ---------------------------------------

GOOD = "0 0.5 0.5 0.25 0.5 0.5 0.3 2 0.5 0.4 2 0.5 0.7 1 0.4 0.6 2 0 0 0"


def _with(index: int, value: str) -> str:
    """GOOD with the ``index``-th number after the class replaced."""
    words = GOOD.split()
    words[index + 1] = value
    return " ".join(words)


#: An Ultralytics prediction line for GOOD's 5 points: keypoint confidences, box confidence 0.9.
PREDICTED = "0 0.5 0.5 0.25 0.5 0.5 0.3 0.97 0.5 0.4 0.5 0 0 0.1 0.4 0.6 0.88 0 0 0.02 0.9"


def _predicted(index: int, value: str) -> str:
    """PREDICTED with the ``index``-th number after the class replaced."""
    words = PREDICTED.split()
    words[index + 1] = value
    return " ".join(words)


KPT = r'field "kpt_shape": {} numbers after the class; kpt_shape \[5, 3\] of .*data\.yaml needs 19'
KPT_CONF = (
    r'field "keypoint {} visibility": expected a keypoint confidence in \[0, 1\] \(or a '
    r"visibility 0, 1 or 2\), got {}"
)
LINE_CASES = [
    pytest.param(GOOD.rsplit(" ", 1)[0], KPT.format(18) + r" .*, or 20 with a confidence",
                 id="one-number-short"),
    pytest.param(GOOD + " 0.5 0.5", KPT.format(21), id="two-numbers-over"),
    pytest.param("0 0.5 0.5 0.25 0.5" + " 0.5 0.5" * 5, KPT.format(14), id="kpt-shape-2-line"),
    pytest.param("0 0.5 0.5 0.25 0.5", KPT.format(4), id="box-line-in-pose-dataset"),
    pytest.param(_with(8, "abc"), r'field "keypoint 1 y": expected a number, got \'abc\'',
                 id="non-numeric-y"),
    pytest.param("person" + GOOD[1:], r'field "class": expected a class index, got \'person\'',
                 id="non-numeric-class"),
    pytest.param(_with(4, "nan"), r'field "keypoint 0 x": expected a finite number, got \'nan\'',
                 id="nan-x"),
    pytest.param(_with(13, "1.5"),
                 r'field "keypoint 3 x": expected a normalised value in \[0, 1\], got 1.5',
                 id="x-above-one"),
    pytest.param(_with(17, "-0.01"), r'field "keypoint 4 y": expected a normalised value',
                 id="negative-y"),
    pytest.param(_with(0, "-0.1"), r'field "cx": expected a normalised value', id="negative-cx"),
    pytest.param(_with(2, "1.25"), r'field "w": expected a normalised value in \[0, 1\], got 1.25',
                 id="w-above-one"),
    pytest.param(_with(9, "3"), r'field "keypoint 1 visibility": expected 0, 1 or 2, got 3',
                 id="visibility-3"),
    pytest.param(_with(6, "0.5"), r'field "keypoint 0 visibility": expected 0, 1 or 2, got 0.5',
                 id="visibility-fraction"),
    pytest.param(_with(18, "-1"), r'field "keypoint 4 visibility": expected 0, 1 or 2, got -1',
                 id="visibility-negative"),
    pytest.param(GOOD + " 1.5", r'field "confidence": expected a confidence in \[0, 1\], got 1.5',
                 id="confidence-above-one"),
    pytest.param(_with(6, "3.1e-05"),
                 r'field "keypoint 0 visibility": expected 0, 1 or 2, got 3.1e-05',
                 id="keypoint-confidence-on-ground-truth-line"),
    pytest.param(_predicted(9, "1.5"), KPT_CONF.format(1, "1.5"), id="keypoint-confidence-1.5"),
    pytest.param(_predicted(6, "-0.25"), KPT_CONF.format(0, "-0.25"),
                 id="keypoint-confidence-negative"),
    pytest.param(_predicted(18, "3"), KPT_CONF.format(4, "3"), id="prediction-visibility-3"),
    pytest.param(_predicted(12, "nan"),
                 r'field "keypoint 2 visibility": expected a finite number, got \'nan\'',
                 id="keypoint-confidence-nan"),
    pytest.param(_predicted(15, "inf"),
                 r'field "keypoint 3 visibility": expected a finite number, got \'inf\'',
                 id="keypoint-confidence-inf"),
    pytest.param("1" + GOOD[1:], r"class 1 is not in .*data\.yaml \(1 names\)",
                 id="class-not-in-names"),
    pytest.param("-1" + GOOD[1:], r"class index -1 is negative", id="negative-class"),
]  # fmt: skip


@contextlib.contextmanager
def _tables_unchanged(store: Store) -> Iterator[None]:
    before = dump_tables(store)
    yield
    assert dump_tables(store) == before


def _five(store: Store, tmp_path: Path) -> None:
    _project(store, tmp_path, "p", [_category("person", FIVE_POINTS)])


@pytest.mark.parametrize(("line", "expected"), LINE_CASES)
def test_bad_pose_line_is_refused_and_nothing_is_written(
    store: Store, tmp_path: Path, line: str, expected: str
) -> None:
    _five(store, tmp_path)
    # a.txt is good and read first; the bad line is line 2 of b.txt
    folder = _folder(tmp_path / "y", FIVE_YAML, {"a": GOOD + "\n", "b": f"{GOOD}\n{line}\n"})
    with _tables_unchanged(store), pytest.raises(ImportFormatError) as info:
        import_yolo(store, folder, project="p", branch="m")
    assert info.value.message.startswith(f"{folder / 'labels' / 'b.txt'}:2: ")
    assert info.match(expected)


def test_skip_invalid_skips_bad_pose_lines(store: Store, tmp_path: Path) -> None:
    _five(store, tmp_path)
    lines = {"a": f"{GOOD}\n{_with(9, '3')}\n{GOOD} 0.5\n", "b": f"{GOOD[:-2]}\n"}
    folder = _folder(tmp_path / "y", FIVE_YAML, lines)
    report = import_yolo(store, folder, project="p", branch="m", skip_invalid=True)
    assert (report.imported, report.skipped) == (2, 2)
    assert report.reasons[0].startswith(f"{folder / 'labels' / 'a.txt'}:2: ")
    assert report.reasons[1].startswith(f"{folder / 'labels' / 'b.txt'}:1: ")
    assert [r["confidence"] for r in _stored(store, "p", "m")] == [1.0, 0.5]


def test_template_point_count_must_equal_k(store: Store, tmp_path: Path) -> None:
    _five(store, tmp_path)
    line = "0 0.5 0.5 0.25 0.5" + " 0.5 0.5 2" * 4
    folder = _folder(tmp_path / "y", "names: [person]\nkpt_shape: [4, 3]\n", {"a": line + "\n"})
    expected = (
        rf'{folder / "labels" / "a.txt"}:1: field "kpt_shape": kpt_shape \[4, 3\] of '
        rf".*data\.yaml gives 4 keypoints, the ontology's skeleton 'person' has 5 points"
    )
    with _tables_unchanged(store), pytest.raises(ImportFormatError, match=expected):
        import_yolo(store, folder, project="p", branch="m")


@pytest.mark.parametrize(
    ("name", "shape"), [("box", "bounding_box"), ("poly", "polygon"), ("mask", "bitmask")]
)
def test_pose_line_needs_a_skeleton_object(
    store: Store, tmp_path: Path, name: str, shape: str
) -> None:
    """Before pose support, a pose line of a polygon class was read as a polygon (its box numbers
    as vertices, its last visibility as a confidence); now it is refused."""
    import_coco_dataset(store, write_json(tmp_path / "gt.json", BASE_DATASET), project="p")
    line = "0 0.5 0.5 0.2 0.2 0.1 0.1 1 0.2 0.2 1 0.3 0.3 0"
    folder = _folder(tmp_path / "y", f"names: [{name}]\nkpt_shape: [3, 3]\n", {"b": line + "\n"})
    expected = rf"b\.txt:1: a pose line for '{name}', a {shape} object"
    with _tables_unchanged(store), pytest.raises(ImportFormatError, match=expected):
        import_yolo(store, folder, project="p", branch="m")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param("kpt_shape: [5]", r'field "kpt_shape": expected \[K, 2\] or \[K, 3\] with '
                     r"K >= 1, got \[5\]", id="one-number"),
        pytest.param("kpt_shape: [5, 4]", r'field "kpt_shape": .* got \[5, 4\]', id="dims-4"),
        pytest.param("kpt_shape: [0, 3]", r'field "kpt_shape": .* got \[0, 3\]', id="no-points"),
        pytest.param("kpt_shape: [5.0, 3]", r'field "kpt_shape": .* got \[5.0, 3\]', id="float"),
        pytest.param("kpt_shape: 17x3", r'field "kpt_shape": .* got "17x3"', id="text"),
        pytest.param("kpt_shape: [5, 3]\nflip_idx: [0, 1, 2]",
                     r'field "flip_idx": expected 5 point indices in 0\.\.4 '
                     r"\(kpt_shape \[5, 3\]\), got \[0, 1, 2\]", id="flip-too-short"),
        pytest.param("kpt_shape: [5, 3]\nflip_idx: [0, 1, 2, 5, 3]",
                     r'field "flip_idx": .* got \[0, 1, 2, 5, 3\]', id="flip-out-of-range"),
    ],
)  # fmt: skip
def test_bad_kpt_shape_in_data_yaml_is_refused(
    store: Store, tmp_path: Path, fields: str, expected: str
) -> None:
    _five(store, tmp_path)
    folder = _folder(tmp_path / "y", f"names: [person]\n{fields}\n", {"a": GOOD + "\n"})
    with _tables_unchanged(store), pytest.raises(ImportFormatError) as info:
        import_yolo(store, folder, project="p", branch="m")
    assert info.value.message.startswith(f"{folder / 'data.yaml'}: ")
    assert info.match(expected)


# --- Analysis of an imported pose prediction set: pycocotools on the equivalent COCO files ------


def _parity_files(
    points: list[str], *, ultralytics: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """A COCO keypoints GT of IMAGES and YOLO pose prediction lines for it (seeded): two
    predictions near each GT person (small and large error) and a stray one per image.

    ``ultralytics``: the lines as Ultralytics writes its predictions (``"%g"`` of each number,
    a keypoint confidence in the third place, x and y 0 where it is below 0.5), else visibility
    codes and 10 significant digits."""
    rng = np.random.default_rng(5)
    k = len(points)
    annotations: list[dict[str, Any]] = []
    lines: dict[str, list[str]] = {}
    scores = iter(rng.permutation(np.arange(1, 100))[:40] / 100)
    for image in IMAGES:
        size = np.array([image["width"], image["height"]], dtype=np.float64)
        out = lines.setdefault(Path(image["file_name"]).stem, [])
        # one large person (> 96^2 pixels) and one medium (32^2 .. 96^2)
        for x, y, w, h in ((0.1, 0.1, 0.45, 0.7), (0.6, 0.5, 0.15, 0.25)):
            box = np.array([x, y, w, h]) * np.concatenate([size, size])
            xy = rng.uniform([x, y], [x + w, y + h], (k, 2))
            v = rng.integers(0, 3, k)
            v[0] = 2
            pixels = np.where(v[:, None] > 0, xy * size, 0.0)
            annotations.append(
                {"id": len(annotations) + 1, "image_id": image["id"], "category_id": 1,
                 "bbox": box.tolist(), "area": float(box[2] * box[3] * 0.6), "iscrowd": 0,
                 "keypoints": np.column_stack([pixels, v]).ravel().tolist(),
                 "num_keypoints": int((v > 0).sum())}
            )  # fmt: skip
            for noise in (0.01, 0.06):
                guess = np.clip(xy + rng.normal(0, noise, (k, 2)), 0, 1).round(5)
                centred = (x + w / 2, y + h / 2, w, h)
                if ultralytics:
                    out.append(_ultralytics_line(centred, guess, rng, next(scores)))
                else:
                    out.append(_yolo_line(centred, guess, rng.integers(0, 3, k), next(scores)))
        guess = rng.uniform(0.2, 0.8, (k, 2)).round(5)
        if ultralytics:
            out.append(_ultralytics_line((0.5, 0.5, 0.3, 0.3), guess, rng, next(scores)))
        else:
            out.append(_yolo_line((0.5, 0.5, 0.3, 0.3), guess, np.full(k, 2), next(scores)))
    gt = {
        "images": IMAGES,
        "annotations": annotations,
        "categories": [_category("person", points)],
    }
    return gt, {stem: "".join(f"{line}\n" for line in out) for stem, out in lines.items()}


def _yolo_line(box: tuple[float, ...], xy: np.ndarray, v: np.ndarray, score: float) -> str:
    words = ["0", *(format(c, ".10g") for c in box)]
    for (x, y), code in zip(xy.tolist(), v.tolist(), strict=True):
        words += [format(x, ".10g"), format(y, ".10g"), str(code)]
    return " ".join([*words, format(score, ".10g")])


def _ultralytics_line(
    box: tuple[float, ...], xy: np.ndarray, rng: np.random.Generator, score: float
) -> str:
    """A line as ``ultralytics.engine.results.Results.save_txt`` writes a pose prediction:
    ``("%g " * len(line)).rstrip() % line`` of class, box, (x, y, conf) per point and the box
    confidence, after ``Keypoints.__init__`` set x and y of points below 0.5 to 0."""
    conf = rng.uniform(0.3, 1, len(xy))
    # float32 sigmoids saturate ("1", "0") and "%g" writes a tiny one as e.g. "3.1e-05"
    conf[:3] = (1.0, 0.0, rng.uniform(0, 1e-4))
    xy = np.where(conf[:, None] < 0.5, 0.0, xy)
    line = (0, *box, *np.column_stack([xy, conf]).ravel().tolist(), score)
    return ("%g " * len(line)).rstrip() % line


def _coco_results(lines: dict[str, str]) -> list[dict[str, Any]]:
    """The equivalent COCO results: per line ``bbox`` (pixels), ``keypoints`` (pixels, and the
    third number as written: visibility code or keypoint confidence), score.

    A YOLO pose prediction carries a box, so its COCO twin has a ``bbox``; COCO.loadRes then
    gives it the area ``w * h`` (a result without bbox would get its keypoints' extent).
    """
    out = []
    for image in IMAGES:
        width, height = image["width"], image["height"]
        for line in lines[Path(image["file_name"]).stem].splitlines():
            values = [float(v) for v in line.split()[1:]]
            cx, cy, w, h = values[:4]
            triples = np.reshape(values[4:-1], (-1, 3))
            keypoints = [c for x, y, v in triples.tolist() for c in (x * width, y * height, v)]
            out.append(
                {"image_id": image["id"], "category_id": 1,
                 "bbox": [(cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height],
                 "keypoints": keypoints, "score": values[-1]}
            )  # fmt: skip
    return out


def _cocoeval(gt: dict[str, Any], results: list[dict[str, Any]], k: int) -> COCOeval:
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO()
        coco.dataset = copy.deepcopy(gt)
        coco.createIndex()
        ev = COCOeval(coco, coco.loadRes(copy.deepcopy(results)), iouType="keypoints")
        if k != len(COCO_PERSON_KEYPOINTS):
            # branchmark's sigmas for a template that is not COCO's person: Ultralytics'
            # uniform 1 / K (geometry.keypoints.select_keypoint_sigmas)
            ev.params.kpt_oks_sigmas = np.full(k, 1.0 / k)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev


PARITY_POINTS = [
    pytest.param(list(COCO_PERSON_KEYPOINTS), id="coco-person-17"),
    pytest.param(FIVE_POINTS, id="K5"),
]


@pytest.mark.parametrize(
    "ultralytics",
    [pytest.param(False, id="visibility-codes"), pytest.param(True, id="ultralytics-confidences")],
)
@pytest.mark.parametrize("points", PARITY_POINTS)
def test_pose_predictions_analyse_as_pycocotools(
    store: Store, tmp_path: Path, points: list[str], ultralytics: bool
) -> None:
    gt, lines = _parity_files(points, ultralytics=ultralytics)
    import_coco_dataset(store, write_json(tmp_path / "gt.json", gt), project="p")
    data_yaml = f"names: [person]\nkpt_shape: [{len(points)}, 3]\n"
    report = import_yolo(store, _folder(tmp_path / "y", data_yaml, lines), project="p",
                         branch="pose.v1")  # fmt: skip
    assert report.imported == 10
    ev = _cocoeval(gt, _coco_results(lines), len(points))
    with store.read() as conn:
        project = catalog.get_project(conn, "p")
        inputs = load_inputs(conn, project_id=project.id, branch="pose.v1", ground_truth="main")
    pairs = image_pairs(
        inputs.gt, inputs.dt, n_images=len(inputs.image_keys), image_sizes=inputs.image_sizes
    )
    for image, matrix in zip(IMAGES, pairs.image_matrices(), strict=True):
        # GT in file order x predictions by score (all distinct) on both sides
        assert_array_equal(matrix.T, ev.ious[(image["id"], 1)])
    record = an.analyse(store, project, "pose.v1")
    assert record.summary is not None
    stats = record.summary["coco"]["coco_stats"]
    assert stats == ev.stats.tolist()
    assert 0 < stats[0] < 1 and len(set(stats)) > 3  # a test that can tell numbers apart
    theirs = np.where(ev.eval["precision"] < 0, np.nan, ev.eval["precision"])
    assert_array_equal(an.pr_arrays(store, record)["precision"], theirs)


@pytest.mark.parametrize("points", PARITY_POINTS)
def test_ultralytics_predictions_round_trip_byte_for_byte(
    store: Store, tmp_path: Path, points: list[str]
) -> None:
    gt, lines = _parity_files(points, ultralytics=True)
    import_coco_dataset(store, write_json(tmp_path / "gt.json", gt), project="p")
    data_yaml = f"names: [person]\nkpt_shape: [{len(points)}, 3]\n"
    import_yolo(store, _folder(tmp_path / "y", data_yaml, lines), project="p", branch="pose.v1")
    out = tmp_path / "out"
    assert export_yolo(store, project="p", branch="pose.v1", folder=out, pose=True) == {
        "files": 2, "lines": 10, "skipped": 0
    }  # fmt: skip
    for stem, text in lines.items():
        assert (out / "labels" / f"{stem}.txt").read_bytes() == text.encode()
    thirds = {w for text in lines.values() for line in text.splitlines()
              for w in line.split()[7:-1:3]}  # fmt: skip
    assert {"0", "1"} <= thirds and any("e-" in w for w in thirds)  # the cases are there
