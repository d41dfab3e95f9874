"""The drop-in COCO/COCOeval on the real fixtures: published values and pycocotools."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from pycocotools.coco import COCO as PyCOCO
from pycocotools.cocoeval import COCOeval as PyCOCOeval

from branchmark.coco import COCO, COCOeval, FrameIndex
from branchmark.errors import ImportFormatError

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
    ours, _ = evaluate(COCO, COCOeval, folder / "gt_dataset.json", str(folder / "dt_dataset.json"), "keypoints")
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
    assert ours.getAnnIds(imgIds=ref.getImgIds()[:3], iscrowd=None) == ref.getAnnIds(imgIds=ref.getImgIds()[:3])
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
