"""Walk the real SDK's validation probe (84 cases) and check branchmark raises the same class.

Each offline case is reproduced here by name.  Where branchmark is stricter on purpose, the
case lists the stricter documented error instead (see branchmark.objects.validation).  The
``coco`` and ``auth`` groups and the project-level ``list_label_rows_v2``/bundle cases belong to
the project and importer layers and are tested there.
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from branchmark import errors
from branchmark.objects import (
    Classification,
    Object,
    OntologyStructure,
    TextAttribute,
)
from branchmark.objects.coordinates import (
    BitmaskCoordinates,
    BoundingBoxCoordinates,
    PointCoordinate,
    PolygonCoordinates,
    SkeletonCoordinate,
)
from branchmark.objects.frames import Range
from branchmark.objects.metadata import DataType

PROBE = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "encord" / "validation_probe.json").read_text()
)
BOX = BoundingBoxCoordinates(0.1, 0.1, 0.5, 0.5)
NOT_HERE = {"coco", "auth"}
PROJECT_CASES = {
    "exception raised inside `with project.create_bundle()`",
    (
        "list_label_rows_v2(branch_name=..., include_all_label_branches=True) [SDK forwards; "
        "rejection here is the emulated server's]"
    ),
}
#: Cases where branchmark deliberately differs: case name -> the exception raised instead.
STRICTER: dict[str, type[BaseException]] = {
    "confidence=7 (no range check)": errors.InvalidConfidence,
    "confidence='high' (no type check)": errors.InvalidConfidence,
    (
        "frame 999 on a 50-frame video set BEFORE add_object_instance (not re-checked)"
    ): errors.FrameOutOfRange,
    # pydantic's ValidationError cannot be subclassed; a missing argument is Python's TypeError.
    "SkeletonCoordinate without name": TypeError,
}


class Env:
    def __init__(self, ontology: OntologyStructure, make_row: Callable[..., Any]) -> None:
        self.o = ontology
        self.make_row = make_row
        self.cherry = ontology.get_child_by_title("Cherry", type_=Object)

    def row(self, **kw: Any) -> Any:
        return self.make_row(self.o, **kw)

    def video(self) -> Any:
        return self.make_row(self.o, data_type=DataType.VIDEO, frames=50)

    def cherry_on(self, frames: Any = 0) -> Any:
        inst = self.cherry.create_instance()
        inst.set_for_frames(BOX, frames)
        return inst

    def h(self, feature_hash: str) -> Any:
        return self.o.get_child_by_hash(feature_hash)


def _twice(e: Env, **kw: Any) -> Any:
    inst = e.cherry_on()
    inst.set_for_frames(BOX, 0, **kw)


def _instance_set(e: Env, frames: Any) -> list[int]:
    inst = e.cherry.create_instance()
    inst.set_for_frames(BOX, frames)
    return [a.frame for a in inst.get_annotations()]


def _on_row(e: Env, row: Any, frame: int) -> None:
    inst = e.cherry_on()
    row.add_object_instance(inst)
    inst.set_for_frames(BOX, frame)


def _bitmask_wrong_size(e: Env) -> None:
    row = e.row()
    row.strict = False  # the SDK's own check, at serialisation
    inst = e.o.objects[5].create_instance()
    inst.set_for_frames(BitmaskCoordinates(np.zeros((10, 10), bool)))
    row.add_object_instance(inst)
    row.to_encord_dict()


def _duplicate_numbers(e: Env) -> None:
    row = e.row()
    for _ in range(2):
        inst = e.cherry.create_instance(object_number=7)
        inst.set_for_frames(BOX)
        row.add_object_instance(inst)
    row.save()


def _from_dict(e: Env, mutate: Callable[[dict], None]) -> None:
    d = json.loads(
        (Path(__file__).parents[1] / "fixtures" / "encord" / "image_all_shapes.json").read_text()
    )
    mutate(d)
    e.row(initialise=False).from_labels_dict(d)


def _second_row_add(e: Env) -> None:
    inst = e.cherry_on()
    e.row().add_object_instance(inst)
    e.row().add_object_instance(inst)


def _added_twice(e: Env) -> None:
    row = e.row()
    inst = e.cherry_on()
    row.add_object_instance(inst)
    row.add_object_instance(inst)


def _overlap(e: Env) -> None:
    row = e.video()
    for frames in (Range(10, 12), 12):
        ci = e.o.classifications[2].create_instance()
        ci.set_for_frames(frames)
        row.add_classification_instance(ci)


def _disjoint(e: Env) -> int:
    row = e.video()
    for frames in (1, 12):
        ci = e.o.classifications[2].create_instance()
        ci.set_for_frames(frames)
        row.add_classification_instance(ci)
    return len(row.get_classification_instances())


def _unanswered(e: Env) -> Any:
    row = e.row()
    ci = e.o.classifications[2].create_instance()
    ci.set_for_frames(0)
    row.add_classification_instance(ci)
    return row.to_encord_dict()["classification_answers"][ci.classification_hash]["classifications"]


def _classification_beyond(e: Env) -> None:
    row = e.video()
    ci = e.o.classifications[2].create_instance()
    ci.set_for_frames(0)
    row.add_classification_instance(ci)
    ci.set_for_frames(60)


def _frame_999(e: Env) -> None:
    inst = e.cherry_on(999)
    e.video().add_object_instance(inst)


def _dynamic_without_coordinates(e: Env) -> None:
    inst = e.cherry_on(0)
    inst.set_answer([e.h("kZoR+UgJ")], attribute=e.h("y4/24zdI"), frames=3)
    e.video().add_object_instance(inst)


def _radio_twice(e: Env, overwrite: bool) -> str:
    inst = e.cherry.create_instance()
    inst.set_answer(e.h("/kHMlo6Y"))
    inst.set_answer(e.h("DjmeIGZV"), overwrite=overwrite)
    return inst.get_answer(e.h("bMP4Agsf")).label


def _nested_after(e: Env) -> str:
    inst = e.cherry.create_instance()
    inst.set_answer(e.h("/kHMlo6Y"))
    inst.set_answer("x", attribute=e.h("pWE9IaDN"))
    return inst.get_answer(e.h("pWE9IaDN"))


def _radio_str_nested(e: Env) -> Any:
    ci = e.o.classifications[0].create_instance()
    ci.set_answer("Blueberry")
    ci.set_for_frames(0)
    row = e.row()
    row.add_classification_instance(ci)
    return row.to_encord_dict()["classification_answers"][ci.classification_hash]["classifications"]


def _get_answer_radio(e: Env) -> Any:
    ci = e.o.classifications[0].create_instance()
    ci.set_answer(e.h("+Iys4i3m"))
    answer = ci.get_answer()
    return {
        "type": type(answer).__name__,
        "value": answer.value,
        "label": answer.label,
        "feature_node_hash": answer.feature_node_hash,
    }


def _text_value(e: Env) -> Any:
    ci = e.o.classifications[2].create_instance()
    ci.set_answer("three cherries")
    return ci.get_answer().value


CASES: dict[str, Callable[[Env], Any]] = {
    "get_child_by_title: no match": lambda e: e.o.get_child_by_title("Nope", type_=Object),
    "get_child_by_title: title matches an Object and an Option, no type_": lambda e: (
        e.o.get_child_by_title("Cherry")
    ),
    "get_child_by_title: exists but type_ differs": lambda e: e.o.get_child_by_title(
        "Cherry", type_=Classification
    ),
    "get_child_by_title: classification found by its root attribute name": lambda e: (
        e.o.get_child_by_title("Caption", type_=Classification).feature_node_hash
    ),
    "get_child_by_hash: unknown hash": lambda e: e.o.get_child_by_hash("nope"),
    "get_child_by_hash: wrong type_": lambda e: e.o.get_child_by_hash(
        "0b1e4a01", type_=Classification
    ),
    "Classification.add_attribute twice": lambda e: e.o.classifications[0].add_attribute(
        TextAttribute, "again"
    ),
    "add_object with duplicate feature_node_hash": lambda e: e.o.add_object(
        "x", "point", feature_node_hash="0b1e4a01"
    ),
    "from_dict: unknown object shape": lambda e: OntologyStructure.from_dict(
        {
            "objects": [
                {
                    "id": "1",
                    "name": "x",
                    "color": "#000000",
                    "shape": "blob",
                    "featureNodeHash": "aa",
                }
            ]
        }
    ),
    "from_dict: unknown attribute type": lambda e: OntologyStructure.from_dict(
        {
            "classifications": [
                {
                    "id": "1",
                    "featureNodeHash": "c",
                    "attributes": [
                        {
                            "id": "1.1",
                            "name": "a",
                            "type": "slider",
                            "featureNodeHash": "a",
                            "required": False,
                        }
                    ],
                }
            ]
        }
    ),
    "PolygonCoordinates with no points": lambda e: PolygonCoordinates(),
    "BoundingBoxCoordinates outside 0..1 / negative (no range check)": lambda e: repr(
        BoundingBoxCoordinates(height=2, width=-1, top_left_x=5, top_left_y=5)
    ),
    "BitmaskCoordinates from float array": lambda e: BitmaskCoordinates(np.zeros((4, 4))),
    "BitmaskCoordinates from 3-D bool array": lambda e: BitmaskCoordinates(
        np.zeros((2, 2, 2), bool)
    ),
    "BitmaskCoordinates from a python list": lambda e: BitmaskCoordinates([[True]]),
    "SkeletonCoordinate without name": lambda e: SkeletonCoordinate(x=0.1, y=0.1),  # type: ignore[call-arg]
    "frames=int": lambda e: _instance_set(e, 3),
    "frames=[5, 1, 5]": lambda e: _instance_set(e, [5, 1, 5]),
    "frames=Range(3, 6) (inclusive)": lambda e: _instance_set(e, Range(3, 6)),
    "frames=[Range(1,2), Range(7,8)]": lambda e: _instance_set(e, [Range(1, 2), Range(7, 8)]),
    "frames=[] (no-op)": lambda e: _instance_set(e, []),
    "frames=Range(6, 3) (reversed -> empty)": lambda e: _instance_set(e, Range(6, 3)),
    "frames={1, 2} (set)": lambda e: _instance_set(e, {1, 2}),
    "frames=(1, 2) (tuple)": lambda e: _instance_set(e, (1, 2)),
    "frames=numpy.int64(3)": lambda e: _instance_set(e, np.int64(3)),
    "frames=[1, Range(2, 3)] (mixed)": lambda e: _instance_set(e, [1, Range(2, 3)]),
    "frames=-1": lambda e: _instance_set(e, -1),
    "coordinates class does not match the object's shape": lambda e: (
        e.cherry.create_instance().set_for_frames(PointCoordinate(0.1, 0.1))
    ),
    "same frame twice, overwrite=False": lambda e: _twice(e),
    "same frame twice, overwrite=True": lambda e: _twice(e, overwrite=True),
    "confidence=7 (no range check)": lambda e: e.cherry.create_instance().set_for_frames(
        BOX, confidence=7
    ),
    "confidence='high' (no type check)": lambda e: e.cherry.create_instance().set_for_frames(
        BOX, confidence="high"
    ),  # type: ignore[arg-type]
    "created_by='bob' via set_for_frames (not validated)": lambda e: (
        e.cherry.create_instance().set_for_frames(BOX, created_by="bob")
    ),
    "Annotation.created_by = 'bob' (setter validates email)": lambda e: setattr(
        e.cherry_on().get_annotation(0), "created_by", "bob"
    ),
    "frame == number_of_frames after the instance is on a row": lambda e: _on_row(e, e.video(), 50),
    "frame 999 on a 50-frame video set BEFORE add_object_instance (not re-checked)": _frame_999,
    "frames=1 on an image row (attached)": lambda e: _on_row(e, e.row(), 1),
    "add_object_instance with no frames": lambda e: e.row().add_object_instance(
        e.cherry.create_instance()
    ),
    "same ObjectInstance added twice": _added_twice,
    "same ObjectInstance added to a second row": _second_row_add,
    "ObjectInstance.copy() then add to a second row": lambda e: e.row().add_object_instance(
        e.cherry_on().copy()
    ),
    "add_object_instance before initialise_labels": lambda e: e.row(
        initialise=False
    ).add_object_instance(e.cherry_on()),
    "save before initialise_labels": lambda e: e.row(initialise=False).save(),
    "get_object_instances before initialise_labels": lambda e: e.row(
        initialise=False
    ).get_object_instances(),
    "initialise_labels twice without overwrite=True": lambda e: e.row().initialise_labels(),
    "bitmask 10x10 on a 64x48 image (fails at serialisation)": _bitmask_wrong_size,
    "two Cherry instances with object_number=7, save()": _duplicate_numbers,
    "from_labels_dict with an object featureHash not in the ontology": lambda e: _from_dict(
        e,
        lambda d: next(iter(d["data_units"].values()))["labels"]["objects"][0].update(
            featureHash="deadbeef"
        ),
    ),
    "from_labels_dict with an attribute featureHash not in the ontology": lambda e: _from_dict(
        e,
        lambda d: d["object_answers"]["voeyFsbP"]["classifications"][0].update(
            featureHash="deadbeef"
        ),
    ),
    "nested attribute before its parent option is selected": lambda e: (
        e.cherry.create_instance().set_answer("x", attribute=e.h("pWE9IaDN"))
    ),
    "nested attribute after its parent option is selected": _nested_after,
    "radio answered twice, overwrite=False": lambda e: _radio_twice(e, False),
    "radio answered twice, overwrite=True": lambda e: _radio_twice(e, True),
    "option that belongs to another ontology node": lambda e: e.cherry.create_instance().set_answer(
        e.h("Mni/URlu")
    ),
    "str answer with no attribute= while several TextAttributes are reachable": lambda e: (
        e.cherry.create_instance().set_answer("text")
    ),
    "str answer with no attribute= and no TextAttribute at all": lambda e: (
        e.o.objects[2].create_instance().set_answer("text")
    ),
    "int answer inferred to the only NumericAttribute": lambda e: (
        e.cherry.create_instance().set_answer(12)
    ),
    "static attribute answered with frames=": lambda e: e.cherry.create_instance().set_answer(
        3.0, attribute=e.h("AKAvxRWr"), frames=0
    ),
    "checklist [] with no attribute": lambda e: e.cherry.create_instance().set_answer([]),
    "checklist option from another checklist, explicit attribute": lambda e: (
        e.cherry.create_instance().set_answer([e.h("kZoR+UgJ")], attribute=e.h("1caF8lyR"))
    ),
    "radio attribute given a text value (explicit attribute)": lambda e: (
        e.cherry.create_instance().set_answer("Ripe", attribute=e.h("bMP4Agsf"))
    ),
    (
        "radio classification (no text attribute anywhere) answered with a str, as in the seed's "
        "radio example"
    ): lambda e: e.o.classifications[4].create_instance().set_answer("Yes"),
    (
        "radio classification whose option has a nested TextAttribute, answered with a str "
        "(parent-selected check is skipped when attribute is inferred)"
    ): _radio_str_nested,
    "ClassificationInstance.get_answer().value on a text classification": _text_value,
    "ClassificationInstance.get_answer() on a radio classification": _get_answer_radio,
    (
        "dynamic answer on frames without coordinates (raised at add_object_instance)"
    ): _dynamic_without_coordinates,
    "add_classification_instance with no frames": lambda e: e.row().add_classification_instance(
        e.o.classifications[2].create_instance()
    ),
    "same classification feature on overlapping frames": _overlap,
    "same classification feature on disjoint frames (separate instances)": _disjoint,
    "classification with no answer is accepted (empty answer list)": _unanswered,
    "classification frame beyond number_of_frames (attached)": _classification_beyond,
}

#: "ok" cases whose string result is comparable as is.
EXACT_RESULTS = {
    "get_child_by_title: classification found by its root attribute name",
    "BoundingBoxCoordinates outside 0..1 / negative (no range check)",
    "nested attribute after its parent option is selected",
    "radio answered twice, overwrite=True",
}

OFFLINE = [
    c for c in PROBE["cases"] if c["group"] not in NOT_HERE and c["case"] not in PROJECT_CASES
]


def _sdk_class(case: dict[str, Any]) -> type[BaseException]:
    if case["exception_module"] == "encord.exceptions":
        return getattr(errors, case["outcome"])  # type: ignore[no-any-return]
    return getattr(builtins, case["outcome"])  # type: ignore[no-any-return]


def test_every_offline_case_is_reproduced() -> None:
    assert sorted(CASES) == sorted(c["case"] for c in OFFLINE)
    assert len(PROBE["cases"]) == 84


@pytest.mark.parametrize("case", OFFLINE, ids=[c["case"][:60] for c in OFFLINE])
def test_probe_case(case: dict[str, Any], ontology: OntologyStructure, make_row) -> None:  # type: ignore[no-untyped-def]
    env = Env(ontology, make_row)
    run = CASES[case["case"]]
    expected = STRICTER.get(case["case"])
    if expected is None and case["outcome"] != "ok":
        expected = _sdk_class(case)
    if expected is None:
        result = run(env)
        if isinstance(case.get("result"), list | dict | int) or case["case"] in EXACT_RESULTS:
            assert result == case["result"]
        return
    with pytest.raises(expected) as info:
        run(env)
    if case["case"] not in STRICTER and case.get("message"):
        # the SDK's message is kept (branchmark may append where it happened)
        head = re.split(r"[`'<]", case["message"])[0][:40]
        assert head in str(info.value)
