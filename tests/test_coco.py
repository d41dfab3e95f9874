"""The drop-in COCO/COCOeval on the real fixtures: published values and pycocotools."""

from __future__ import annotations

import contextlib
import copy
import io
import subprocess
import sys
from pathlib import Path
from unittest.mock import patch

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from branchmark.coco import COCO, COCOeval, FrameIndex, iter_json_array
from branchmark.errors import ImportFormatError
from tests.evaluation.coco_helpers import coco_data

REAL = Path(__file__).parent / "fixtures" / "coco-real"
VAL100 = REAL / "faster_coco_eval/tests/dataset/cocoapi/instances_val2014_100.json"
PUBLISHED = {  # faster_coco_eval/README.md item 1 (asserted there to 10 places)
    "bbox": [0.5045806987249628, 0.6969727247299577, 0.5729816669904824, 0.5856257209410443,
             0.5193996948036719, 0.5013978986347466, 0.38681277964578054, 0.5936795762842003,
             0.595352982877607, 0.6398109626113442, 0.5664205978994309, 0.5642905982905982],
    "segm": [0.3195452758576433, 0.5622883972521636, 0.29892653412086784, 0.3873740315997838,
             0.31018272403369485, 0.3269339071005138, 0.2682297225711534, 0.41544868114906375,
             0.4168394992198818, 0.4694498622754236, 0.37675922666197265, 0.3814715099715099],
}  # fmt: skip


def evaluate(coco_cls, eval_cls, gt_path, res, kind, **params):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        gt = coco_cls(str(gt_path))
        ev = eval_cls(gt, gt.loadRes(res), kind)
        for key, value in params.items():
            setattr(ev.params, key, value)
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev, out.getvalue()


@pytest.mark.parity
@pytest.mark.parametrize("kind", ["bbox", "segm"])
def test_cocoapi_fake_results_equal_published_and_pycocotools(kind: str) -> None:
    res = str(REAL / f"cocoapi/results/instances_val2014_fake{kind}100_results.json")
    ours, printed = evaluate(COCO, COCOeval, VAL100, res, kind)
    reference, expected_print = evaluate(PyCOCO, PyCOCOeval, VAL100, res, kind)
    np.testing.assert_allclose(ours.stats, PUBLISHED[kind], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(ours.eval["precision"], reference.eval["precision"])
    assert [line for line in printed.splitlines() if "Average" in line] == [
        line for line in expected_print.splitlines() if "Average" in line
    ]


@pytest.mark.parity
def test_keypoints_fixture_equals_published() -> None:
    folder = REAL / "faster_coco_eval/tests/keypoints_dataset"
    ours, _ = evaluate(
        COCO, COCOeval, folder / "gt_dataset.json", str(folder / "dt_dataset.json"), "keypoints"
    )
    expected = [0.5048844884488449, 0.7227722772277227, 0.6336633663366337, 0.46633663366336636,
                0.7504950495049505, 0.5181818181818182, 0.7272727272727273, 0.6363636363636364,
                0.4666666666666666, 0.75]  # fmt: skip
    np.testing.assert_allclose(ours.stats, expected, rtol=0, atol=1e-12)


@pytest.mark.parity
def test_review_object_detection_metrics_sampled_gt() -> None:
    folder = REAL / "review_object_detection_metrics/tests/test_coco_eval"
    import orjson

    dets = orjson.loads((folder / "dets/sampled_bbox_results.json").read_bytes())["annotations"]
    ours, _ = evaluate(COCO, COCOeval, folder / "gts/sampled_gts_bbox_area.json", dets, "bbox")
    expected = [0.503647, 0.696973, 0.571667, 0.593252, 0.557991, 0.489363,
                0.386813, 0.593680, 0.595353, 0.654764, 0.603130, 0.553744]  # fmt: skip
    np.testing.assert_allclose(ours.stats, expected, atol=1e-6)


def test_lookups_and_numpy_results() -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        ref = PyCOCO(str(VAL100))
    ours = COCO(VAL100)
    assert sorted(ours.getImgIds()) == sorted(ref.getImgIds())
    assert ours.getCatIds(catNms=["person"]) == ref.getCatIds(catNms=["person"])
    assert ours.getAnnIds(imgIds=ref.getImgIds()[:3], iscrowd=None) == ref.getAnnIds(
        imgIds=ref.getImgIds()[:3]
    )
    assert ours.loadImgs(ref.getImgIds()[0]) == ref.loadImgs(ref.getImgIds()[0])
    ann = ours.loadAnns(ours.getAnnIds()[0])[0]
    np.testing.assert_array_equal(ours.annToMask(ann), ref.annToMask(ann))
    img = ref.getImgIds()[0]
    rows = np.array([[img, 10, 10, 50, 40, 0.9, 1], [img, 0, 0, 20, 20, 0.5, 3]], float)
    res = ours.loadRes(rows)
    assert [a["id"] for a in res.dataset["annotations"]] == [1, 2]
    assert res.dataset["annotations"][0]["area"] == 2000.0


def test_bad_results_name_record_and_field(tmp_path: Path) -> None:
    gt = COCO(VAL100)
    with pytest.raises(ImportFormatError, match=r"results\[0\]: field 'image_id' 12345"):
        gt.loadRes([{"image_id": 12345, "category_id": 1, "bbox": [0, 0, 1, 1], "score": 1}])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ImportFormatError, match="bad.json: not valid JSON"):
        COCO(bad)


def test_frame_index_is_encord_shaped() -> None:
    assert FrameIndex("abc") == FrameIndex(data_hash="abc", frame=0)
    with pytest.raises(AttributeError):
        FrameIndex("abc").frame = 2  # type: ignore[misc]


def test_drop_in_import_loads_no_store_server_or_sdk() -> None:
    # ``import branchmark`` is lazy (PEP 562): the SDK names load on first access only.
    code = (
        "import sys\n"
        "from branchmark.coco import COCO, COCOeval\n"
        "heavy = ('sqlalchemy', 'fastapi', 'branchmark.client', 'branchmark.project')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "import branchmark\n"
        "print(branchmark.UserClient.__module__, 'sqlalchemy' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "branchmark.client True"]


def test_package_getattr_names_unknown_attribute() -> None:
    import branchmark

    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        branchmark.no_such_name  # noqa: B018
    assert set(branchmark.__all__) <= set(dir(branchmark))


SCALARS = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet='[]{},:"\\ab\n\t é', max_size=8)
)  # fmt: skip
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(JSON_VALUES, max_size=12), st.integers(1, 40), st.sampled_from(["", " ", "\n  "]),
       st.booleans())  # fmt: skip
def test_chunked_array_parse_equals_orjson(values, chunk: int, pad: str, indent: bool) -> None:
    text = orjson.dumps(values, option=orjson.OPT_INDENT_2 if indent else 0)
    raw = pad.encode() + text + pad.encode()
    with patch("branchmark.coco._CHUNK_BYTES", chunk):
        chunks = list(iter_json_array(raw, source="r.json"))
    assert [v for part in chunks for v in part] == orjson.loads(raw)


@pytest.mark.parametrize(
    "text", ["[1,2,]", "[,1,2]", "[1,2] x", "[1,2", "[1 2,3]", '[1,"a,]', "{} []"]
)
def test_chunked_parse_of_invalid_json_names_the_file(text: str) -> None:
    with patch("branchmark.coco._CHUNK_BYTES", 1):
        with pytest.raises(ImportFormatError, match="r.json: not valid JSON"):
            list(iter_json_array(text.encode(), source="r.json"))


def test_non_array_documents_come_whole() -> None:
    with patch("branchmark.coco._CHUNK_BYTES", 1):
        assert list(iter_json_array(b' {"a": [1, 2]} ', source="r")) == [{"a": [1, 2]}]


@pytest.mark.parametrize("kind", ["bbox", "segm", "keypoints"])
def test_results_file_read_in_chunks_equals_pycocotools(tmp_path: Path, kind: str) -> None:
    dataset, results = coco_data.generate(coco_data.Spec(kind=kind, seed=11, n_images=15))
    if kind == "segm":  # polygons and RLE mixed across chunks take the per-object path
        for r in results[::7]:
            r["segmentation"] = [[10, 10, 30, 10, 30, 25, 10, 25]]
    gt_path, res_path = tmp_path / "gt.json", tmp_path / "res.json"
    gt_path.write_bytes(orjson.dumps(dataset))
    res_path.write_bytes(orjson.dumps(results))
    with patch("branchmark.coco._CHUNK_BYTES", 3000):
        ours, _ = evaluate(COCO, COCOeval, gt_path, str(res_path), kind)
    reference, _ = evaluate(PyCOCO, PyCOCOeval, gt_path, str(res_path), kind)
    np.testing.assert_array_equal(ours.stats, reference.stats)
    np.testing.assert_array_equal(ours.eval["precision"], reference.eval["precision"])


def test_results_dataset_is_parsed_on_demand_and_then_read_by_evaluate(tmp_path: Path) -> None:
    dataset, results = coco_data.generate(coco_data.Spec(kind="bbox", seed=12, n_images=10))
    res_path = tmp_path / "res.json"
    res_path.write_bytes(orjson.dumps(results))
    evals = []
    for coco_cls, eval_cls in ((PyCOCO, PyCOCOeval), (COCO, COCOeval)):
        with contextlib.redirect_stdout(io.StringIO()):
            gt = coco_cls()
            gt.dataset = copy.deepcopy(dataset)
            gt.createIndex()
            res = gt.loadRes(str(res_path))
            if coco_cls is COCO:
                assert "annotations" not in res._dataset  # nothing per result built up front
            # Records changed in place (pycocotools' index holds the same dicts) count.
            for ann in res.dataset["annotations"][::2]:
                ann["score"] = 0.25
            ev = eval_cls(gt, res, "bbox")
            ev.evaluate()
            ev.accumulate()
        evals.append((res, ev))
    (ref_res, ref_ev), (our_res, our_ev) = evals
    assert our_res.dataset["annotations"] == ref_res.dataset["annotations"]  # ids, areas, crowd
    assert our_res.getAnnIds(imgIds=[results[0]["image_id"]]) == ref_res.getAnnIds(
        imgIds=[results[0]["image_id"]]
    )
    np.testing.assert_array_equal(our_ev.eval["precision"], ref_ev.eval["precision"])


def test_bad_record_in_a_later_chunk_is_named_by_its_file_position(tmp_path: Path) -> None:
    records = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.5}] * 300
    records = [dict(r) for r in records]
    records[257]["bbox"] = [0, 0, 5]
    records[290].pop("score")
    path = tmp_path / "res.json"
    path.write_bytes(orjson.dumps(records))
    gt = COCO()
    gt.dataset = {"images": [{"id": 1, "width": 10, "height": 10}], "annotations": [],
                  "categories": [{"id": 1, "name": "a"}]}  # fmt: skip
    with patch("branchmark.coco._CHUNK_BYTES", 500):
        res = gt.loadRes(path)
        assert len(res._columns.parts["bbox"]) > 5  # type: ignore[union-attr]
    missing = r"res.json: results\[290\]: field 'score' is missing"
    with pytest.raises(ImportFormatError, match=missing):
        COCOeval(gt, res, "bbox").evaluate()
    records[290]["score"] = 0.5
    path.write_bytes(orjson.dumps(records))
    with patch("branchmark.coco._CHUNK_BYTES", 500):
        res = gt.loadRes(path)
    with pytest.raises(ImportFormatError, match=r"results\[257\]: field 'bbox' must be 4 numbers"):
        COCOeval(gt, res, "bbox").evaluate()


def test_per_image_records_are_absent_with_a_clear_error() -> None:
    ev = COCOeval(COCO(VAL100), iouType="bbox")
    for name in ("evalImgs", "ious"):
        message = f"COCOeval.{name}: branchmark's COCOeval keeps no"
        with pytest.raises(AttributeError, match=message):
            getattr(ev, name)
    assert not hasattr(ev, "evalImgs")
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        ev.nonsense  # noqa: B018
