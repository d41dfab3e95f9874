"""Drop-in replacements for pycocotools' ``COCO`` and ``COCOeval``, plus Encord's ``FrameIndex``.

``from branchmark.coco import COCO, COCOeval`` is the only change an existing script needs.
The numbers equal pycocotools'; the work runs on arrays (:mod:`branchmark.evaluation`), and the
per-annotation index (``anns``, ``imgToAnns``...) is only built when a script asks for it.
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]  # ships no types

from branchmark.errors import ImportFormatError
from branchmark.evaluation.cocoeval import CocoEvalResult
from branchmark.evaluation.params import CocoParams, IouType
from branchmark.evaluation.protocol import evaluate_arrays
from branchmark.evaluation.records import (
    CocoGroundTruthArrays,
    ResultColumns,
    read_ground_truth,
    read_result_columns,
    read_results,
    result_images,
)
from branchmark.geometry.kernels import input_array, kernel


@dataclass(frozen=True)
class FrameIndex:
    """A frame of a data unit (``encord.utilities.coco.datastructure.FrameIndex``)."""

    data_hash: str
    frame: int = 0


def load_json(path: str | Path) -> Any:
    """Parse a JSON file with orjson; errors name the file."""
    return _parse(Path(path).read_bytes(), str(path))


def _parse(raw: bytes | memoryview, source: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ImportFormatError(f"{source}: not valid JSON: {exc}") from None


#: Bytes of JSON parsed at a time: orjson's intermediate document stays this small.
_CHUNK_BYTES = 4 << 20


@kernel(input_array("uint8"), "int64", nogil=True)
def _array_bounds(buffer: NDArray[np.uint8], chunk: int) -> tuple[int, int, NDArray[np.int64]]:
    """``(open, close, commas)`` of a top-level JSON array: its brackets and element-separating
    commas about ``chunk`` bytes apart.  ``open == -1`` when the text is not one array."""
    n = len(buffer)
    commas = np.empty(n // max(chunk, 1) + 1, np.int64)
    k = 0
    depth = 0
    opened = closed = -1
    in_string = escaped = False
    last = 0
    for p in range(n):
        c = buffer[p]
        if in_string:
            if escaped:
                escaped = False
            elif c == 92:  # backslash
                escaped = True
            elif c == 34:
                in_string = False
        elif c == 34:
            in_string = True
        elif c == 91 or c == 123:  # [ {
            if depth == 0:
                if opened >= 0 or c != 91:
                    return -1, -1, commas[:0]
                opened = p
            depth += 1
        elif c == 93 or c == 125:  # ] }
            depth -= 1
            if depth == 0:
                closed = p
            elif depth < 0:
                return -1, -1, commas[:0]
        elif depth == 1 and c == 44 and p - last >= chunk and k < len(commas):
            commas[k] = p
            k += 1
            last = p
        elif depth == 0 and c not in (32, 9, 10, 13):  # text outside the array
            return -1, -1, commas[:0]
    if depth != 0 or closed < 0:
        return -1, -1, commas[:0]
    return opened, closed, commas[:k]


def iter_json_array(raw: bytes, *, source: str) -> Iterator[Any]:
    """Parse ``raw``; a top-level array comes as consecutive lists of its elements, each list
    parsed from a few MB of text, so no document-sized intermediate is held.  Anything else is
    yielded whole.  Invalid JSON raises :class:`ImportFormatError` naming ``source``.
    """
    if len(raw) <= 2 * _CHUNK_BYTES:
        # Parsed in one piece: splitting would save at most one chunk's intermediate document,
        # and the comma scan (a numba kernel) would cost numba's start-up, ~0.4 s.
        yield _parse(raw, source)
        return
    opened, closed, commas = _array_bounds(np.frombuffer(raw, dtype=np.uint8), _CHUNK_BYTES)
    if opened < 0 or len(commas) == 0:
        yield _parse(raw, source)
        return
    view = memoryview(raw)
    edges = [opened, *commas.tolist(), closed]
    pieces = [view[a + 1 : b] for a, b in zip(edges[:-1], edges[1:], strict=True)]
    # Chosen commas are megabytes apart: only "[,..." or "...,]" can leave an empty piece,
    # which would parse as "[]"; let orjson say where the error is.
    if not bytes(pieces[0]).strip() or not bytes(pieces[-1]).strip():
        yield _parse(raw, source)
        return
    for piece in pieces:
        try:
            yield orjson.loads(b"".join((b"[", piece, b"]")))
        except orjson.JSONDecodeError:
            _parse(raw, source)  # raises with the position in the file
            raise


def _ids(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple | np.ndarray) else [value]


class COCO:
    """pycocotools ``COCO``: a dataset (or results) with its lookup index."""

    def __init__(self, annotation_file: str | Path | None = None) -> None:
        self._dataset: dict[str, Any] = {}
        self._pending: list[dict[str, Any]] | None = None  # loadRes records not yet completed
        # Results read from a file are kept as columns plus the file's bytes; the records are
        # parsed from the bytes only if a script reads ``dataset`` (or the index).
        self._columns: ResultColumns | None = None
        self._raw: bytes | None = None
        self._index: dict[str, Any] | None = None
        self._arrays: dict[IouType, CocoGroundTruthArrays] = {}
        self._results_of: COCO | None = None
        self.source = "<dataset>"
        if annotation_file is not None:
            self.source = str(annotation_file)
            data = load_json(annotation_file)
            if not isinstance(data, dict):
                raise ImportFormatError(f"{annotation_file}: expected a COCO dataset object")
            self._dataset = data

    # -- dataset and index, built on first use -------------------------------------------
    @property
    def dataset(self) -> dict[str, Any]:
        if self._raw is not None:
            raw, self._raw, self._columns = self._raw, None, None
            self._pending = self._dataset["annotations"] = _parse(raw, self.source)
        if self._pending is not None:
            self._complete_results()
        return self._dataset

    @dataset.setter
    def dataset(self, value: dict[str, Any]) -> None:
        self._dataset, self._pending, self._index = value, None, None
        self._columns = self._raw = None
        self._arrays.clear()

    def createIndex(self) -> None:  # noqa: N802 (pycocotools name)
        anns, imgs, cats = {}, {}, {}
        img_to_anns, cat_to_imgs = defaultdict(list), defaultdict(list)
        for ann in self.dataset.get("annotations", []):
            img_to_anns[ann["image_id"]].append(ann)
            anns[ann["id"]] = ann
        for img in self.dataset.get("images", []):
            imgs[img["id"]] = img
        for cat in self.dataset.get("categories", []):
            cats[cat["id"]] = cat
        for ann in self.dataset.get("annotations", []):
            if "category_id" in ann:
                cat_to_imgs[ann["category_id"]].append(ann["image_id"])
        self._index = {"anns": anns, "imgs": imgs, "cats": cats, "imgToAnns": img_to_anns,
                       "catToImgs": cat_to_imgs}  # fmt: skip

    def _get(self, name: str) -> Any:
        if self._index is None:
            self.createIndex()
        assert self._index is not None
        return self._index[name]

    anns = property(lambda self: self._get("anns"))
    imgs = property(lambda self: self._get("imgs"))
    cats = property(lambda self: self._get("cats"))
    imgToAnns = property(lambda self: self._get("imgToAnns"))  # noqa: N815
    catToImgs = property(lambda self: self._get("catToImgs"))  # noqa: N815

    def info(self) -> None:
        for key, value in self.dataset.get("info", {}).items():
            print(f"{key}: {value}")

    def getAnnIds(
        self, imgIds: Any = (), catIds: Any = (), areaRng: Any = (), iscrowd: Any = None
    ) -> list[Any]:  # noqa: N802,N803
        img_ids, cat_ids = _ids(imgIds), _ids(catIds)
        if img_ids:
            lists = [self.imgToAnns[i] for i in img_ids if i in self.imgToAnns]
            anns = list(itertools.chain.from_iterable(lists))
        else:
            anns = self.dataset.get("annotations", [])
        if cat_ids:
            anns = [a for a in anns if a["category_id"] in cat_ids]
        if len(areaRng):
            anns = [a for a in anns if areaRng[0] < a["area"] < areaRng[1]]
        if iscrowd is not None:
            return [a["id"] for a in anns if a["iscrowd"] == iscrowd]
        return [a["id"] for a in anns]

    def getCatIds(self, catNms: Any = (), supNms: Any = (), catIds: Any = ()) -> list[Any]:  # noqa: N802,N803
        names, sups, ids = _ids(catNms), _ids(supNms), _ids(catIds)
        cats = self.dataset.get("categories", [])
        cats = [c for c in cats if not names or c["name"] in names]
        cats = [c for c in cats if not sups or c["supercategory"] in sups]
        return [c["id"] for c in cats if not ids or c["id"] in ids]

    def _image_ids(self) -> list[Any]:
        """Sorted unique image ids (unsorted if they mix types), without the annotation index."""
        ids = self.getImgIds()
        try:
            return sorted(set(ids))
        except TypeError:
            return ids

    def getImgIds(self, imgIds: Any = (), catIds: Any = ()) -> list[Any]:  # noqa: N802,N803
        img_ids, cat_ids = _ids(imgIds), _ids(catIds)
        if not img_ids and not cat_ids:
            if self._index is not None:
                return list(self.imgs.keys())
            # The keys of createIndex's imgs dict, in its order, without building the index.
            return list(dict.fromkeys(img["id"] for img in self.dataset.get("images", [])))
        ids = set(img_ids) if img_ids else set(self.imgs.keys())
        for i, cat in enumerate(cat_ids):
            found = set(self.catToImgs[cat])
            ids = (ids & found) if (img_ids or i) else found
        return list(ids)

    def loadAnns(self, ids: Any = ()) -> list[dict[str, Any]]:  # noqa: N802
        return [self.anns[i] for i in _ids(ids)]

    def loadCats(self, ids: Any = ()) -> list[dict[str, Any]]:  # noqa: N802
        return [self.cats[i] for i in _ids(ids)]

    def loadImgs(self, ids: Any = ()) -> list[dict[str, Any]]:  # noqa: N802
        return [self.imgs[i] for i in _ids(ids)]

    # -- results ---------------------------------------------------------------------------
    def loadRes(self, resFile: str | Path | NDArray[Any] | list[dict[str, Any]]) -> COCO:  # noqa: N802,N803
        """Results as a ``COCO`` (``COCO.loadRes``); ids, areas and boxes are filled lazily."""
        res = COCO()
        res._dataset["info"] = copy.deepcopy(self.dataset.get("info", {}))
        res._dataset["images"] = list(self.dataset["images"])
        res._dataset["categories"] = copy.deepcopy(self.dataset["categories"])
        res._results_of = self
        if isinstance(resFile, str | Path):
            res.source = str(resFile)
            raw = Path(resFile).read_bytes()
            chunks = iter_json_array(raw, source=res.source)
            columns = read_result_columns(chunks, source=res.source)
            result_images(columns, self._image_ids(), ground_truth=self.source)
            res._columns, res._raw = columns, raw
            return res
        anns = self.loadNumpyAnnotations(resFile) if isinstance(resFile, np.ndarray) else resFile
        if not isinstance(anns, list):
            raise ImportFormatError(f"{res.source}: results in not an array of objects")
        columns = read_result_columns([anns], source=res.source)
        result_images(columns, self._image_ids(), ground_truth=self.source)
        # The caller's records stay the truth (they may change them before evaluate()).
        res._pending = res._dataset["annotations"] = anns
        return res

    def _results(self) -> ResultColumns | list[Any]:
        """What :meth:`COCOeval.evaluate` reads: the columns, or the records once parsed."""
        if self._columns is not None:
            return self._columns
        return self._dataset.get("annotations", [])  # type: ignore[no-any-return]

    def _complete_results(self) -> None:
        """What ``COCO.loadRes`` does to each record, done on first access to ``dataset``."""
        anns, self._pending = self._pending or [], None
        if not anns:
            return
        first = anns[0]
        for number, ann in enumerate(anns, start=1):
            if "bbox" in first and first["bbox"] != []:
                x, y, w, h = ann["bbox"]
                ann.setdefault("segmentation", [[x, y, x, y + h, x + w, y + h, x + w, y]])
                ann["area"] = w * h
                ann["iscrowd"] = 0
            elif "segmentation" in first:
                ann["area"] = mask_utils.area(ann["segmentation"])
                if "bbox" not in ann:
                    ann["bbox"] = mask_utils.toBbox(ann["segmentation"])
                ann["iscrowd"] = 0
            elif "keypoints" in first:
                xs, ys = ann["keypoints"][0::3], ann["keypoints"][1::3]
                x0, x1, y0, y1 = np.min(xs), np.max(xs), np.min(ys), np.max(ys)
                ann["area"] = (x1 - x0) * (y1 - y0)
                ann["bbox"] = [x0, y0, x1 - x0, y1 - y0]
            ann["id"] = number

    def loadNumpyAnnotations(self, data: NDArray[Any]) -> list[dict[str, Any]]:  # noqa: N802
        if data.ndim != 2 or data.shape[1] != 7:
            raise ValueError(f"data: expected shape (N, 7), got {data.shape}")
        return [
            {
                "image_id": int(r[0]),
                "bbox": [r[1], r[2], r[3], r[4]],
                "score": r[5],
                "category_id": int(r[6]),
            }
            for r in data
        ]

    def annToRLE(self, ann: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        img = self.imgs[ann["image_id"]]
        h, w = img["height"], img["width"]
        segm: list[Any] | dict[str, Any] = ann["segmentation"]  # polygons or an RLE
        if isinstance(segm, list):
            return mask_utils.merge(mask_utils.frPyObjects(segm, h, w))  # type: ignore[no-any-return]
        if isinstance(segm["counts"], list):
            return mask_utils.frPyObjects(segm, h, w)  # type: ignore[no-any-return]
        return segm

    def annToMask(self, ann: dict[str, Any]) -> NDArray[np.uint8]:  # noqa: N802
        return mask_utils.decode(self.annToRLE(ann))  # type: ignore[no-any-return]

    def _ground_truth_arrays(self, kind: IouType) -> CocoGroundTruthArrays:
        if kind not in self._arrays:
            self._arrays[kind] = read_ground_truth(self.dataset, source=self.source, iou_type=kind)
        return self._arrays[kind]


class Params:
    """pycocotools ``Params``: mutable evaluation settings read by :meth:`COCOeval.evaluate`."""

    def __init__(self, iouType: str = "segm") -> None:  # noqa: N803
        if iouType not in ("segm", "bbox", "keypoints"):
            raise ValueError(f"iouType: expected 'segm', 'bbox' or 'keypoints', got {iouType!r}")
        defaults = CocoParams.for_iou_type(iouType)
        self.iouType = iouType
        self.imgIds: list[Any] = []
        self.catIds: list[Any] = []
        self.iouThrs = np.array(defaults.iou_thresholds)
        self.recThrs = np.array(defaults.recall_thresholds)
        self.maxDets = list(defaults.max_dets)
        self.areaRng = defaults.area_ranges.tolist()
        self.areaRngLbl = list(defaults.area_labels)
        self.useCats = 1
        self.kpt_oks_sigmas = np.array(defaults.keypoint_sigmas)
        self.useSegm = None

    def to_params(self) -> CocoParams:
        """The frozen :class:`CocoParams` these settings describe."""
        kind = self.iouType
        if self.useSegm is not None:  # COCOeval.evaluate honours the deprecated useSegm
            kind = "segm" if self.useSegm == 1 else "bbox"
        return CocoParams(
            iou_type=IouType(kind), iou_thresholds=self.iouThrs, recall_thresholds=self.recThrs,
            max_dets=tuple(self.maxDets), area_ranges=np.asarray(self.areaRng, dtype=np.float64),
            area_labels=tuple(self.areaRngLbl), use_cats=bool(self.useCats),
            keypoint_sigmas=self.kpt_oks_sigmas,
        )  # fmt: skip


#: pycocotools ``COCOeval`` attributes holding per-image Python records, not kept here.
_PER_IMAGE_RECORDS = ("evalImgs", "ious", "_gts", "_dts", "_paramsEval")


class COCOeval:
    """pycocotools ``COCOeval``: ``evaluate()``, ``accumulate()``, ``summarize()``, ``stats``,
    ``eval["precision" | "recall" | "scores"]`` (-1 where undefined, as pycocotools).

    The per-image records pycocotools keeps (``evalImgs``, ``ious``, ``_gts``, ``_dts``) are not
    built: the matching runs on arrays.  Reading them raises ``AttributeError`` saying so; the
    arrays are in ``eval`` and in ``result`` (:class:`~branchmark.evaluation.CocoEvalResult`).
    """

    def __getattr__(self, name: str) -> Any:  # only reached for attributes not set
        if name in _PER_IMAGE_RECORDS:
            raise AttributeError(
                f"COCOeval.{name}: branchmark's COCOeval keeps no per-image records; read "
                "eval['precision' | 'recall' | 'scores'] or .result, or use pycocotools for them"
            )
        raise AttributeError(f"'COCOeval' object has no attribute {name!r}")

    def __init__(
        self, cocoGt: COCO | None = None, cocoDt: COCO | None = None, iouType: str = "segm"
    ) -> None:  # noqa: N803
        self.cocoGt = cocoGt
        self.cocoDt = cocoDt
        self.params = Params(iouType)
        self.eval: dict[str, Any] = {}
        self.stats: NDArray[np.float64] = np.zeros(0)
        self.result: CocoEvalResult | None = None
        self.category_ids: list[Any] = []
        if cocoGt is not None:
            self.params.imgIds = sorted(cocoGt.getImgIds())
            self.params.catIds = sorted(cocoGt.getCatIds())

    def evaluate(self) -> None:
        """Match every image and class (``COCOeval.evaluate``)."""
        if self.cocoGt is None or self.cocoDt is None:
            raise ValueError("COCOeval needs cocoGt and cocoDt before evaluate()")
        p = self.params
        params = p.to_params()
        p.maxDets = list(params.max_dets)
        gt = self.cocoGt._ground_truth_arrays(params.iou_type)
        records = self.cocoDt._results()
        res = read_results(records, gt, source=self.cocoDt.source, iou_type=params.iou_type)
        self.result, self.category_ids = evaluate_arrays(
            gt, res, params=params, image_ids=p.imgIds, category_ids=p.catIds
        )

    def accumulate(self, p: Params | None = None) -> None:
        """Fill ``eval`` with precision ``[T,R,K,A,M]``, recall ``[T,K,A,M]`` and scores."""
        if self.result is None:
            raise ValueError("Please run evaluate() first")
        r = self.result
        self.eval = {
            "params": self.params,
            "counts": list(r.precision.shape),
            "precision": np.nan_to_num(r.precision, nan=-1.0),
            "recall": np.nan_to_num(r.recall, nan=-1.0),
            "scores": np.nan_to_num(r.scores, nan=-1.0),
        }

    def summarize(self) -> None:
        """Print the summary lines and set ``stats`` (12 values, 10 for keypoints)."""
        if not self.eval or self.result is None:
            raise ValueError("Please run accumulate() first")
        for line in self.result.summary_lines():
            print(line)
        self.stats = np.array(self.result.coco_stats())

    def __str__(self) -> str:
        self.summarize()
        return ""


__all__ = ["COCO", "COCOeval", "FrameIndex", "Params", "load_json"]
