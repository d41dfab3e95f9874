"""Ontology JSON round trip, lookups and builders against the real-SDK fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from branchmark.errors import OntologyError
from branchmark.ontology import (
    ChecklistAttribute,
    Classification,
    NestableOption,
    NumericAttribute,
    Object,
    OntologyStructure,
    Option,
    RadioAttribute,
    Shape,
    SkeletonTemplate,
    SkeletonTemplateCoordinate,
    TextAttribute,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "encord" / "ontology.json"


@pytest.fixture
def raw() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture
def structure(raw: dict) -> OntologyStructure:
    return OntologyStructure.from_dict(raw)


def test_fixture_round_trips_to_identical_json(raw: dict, structure: OntologyStructure) -> None:
    assert structure.to_dict() == raw
    assert json.dumps(structure.to_dict()) == json.dumps(raw)  # key order too


def test_parsed_model(structure: OntologyStructure) -> None:
    cherry = structure.objects[0]
    assert (cherry.uid, cherry.name, cherry.shape, cherry.color) == (
        1,
        "Cherry",
        Shape.BOUNDING_BOX,
        "#D33115",
    )
    ripeness = cherry.attributes[0]
    assert isinstance(ripeness, RadioAttribute) and ripeness.uid == [1, 1]
    ripe = ripeness.options[0]
    assert isinstance(ripe, NestableOption)
    assert [a.name for a in ripe.nested_options] == ["Ripe note", "Defects", "Grade"]
    assert cherry.attributes[2].dynamic is True
    template = structure.skeleton_templates["Triangle"]
    assert template.feature_node_hash == structure.objects[6].feature_node_hash == "0b1e4a07"
    assert [v.name for v in template.skeleton.values()] == ["point_0", "point_1", "point_2"]


def test_title_lookup_rules(structure: OntologyStructure) -> None:
    assert structure.get_child_by_title("Cherry", type_=Object).feature_node_hash == "0b1e4a01"
    # "Cherry" is also an option of a classification: ambiguous without type_
    with pytest.raises(OntologyError, match="More than one item"):
        structure.get_child_by_title("Cherry")
    with pytest.raises(OntologyError, match="No item was found"):
        structure.get_child_by_title("Cherry", type_=Classification)
    with pytest.raises(OntologyError, match="No item was found"):
        structure.get_child_by_title("Nope", type_=Object)
    assert (
        structure.get_child_by_title("Caption", type_=Classification).feature_node_hash
        == "c1a55003"
    )
    assert len(structure.get_children_by_title("Cherry")) == 2
    assert structure.get_children_by_title("Nope") == []


def test_hash_lookup_rules(structure: OntologyStructure) -> None:
    assert structure.get_child_by_hash("lPlMnJe/").label == "Crack"
    with pytest.raises(OntologyError, match="can't find an item with a hash nope"):
        structure.get_child_by_hash("nope")
    with pytest.raises(TypeError, match="Expected"):
        structure.get_child_by_hash("0b1e4a01", type_=Classification)


def test_subtree_lookups(structure: OntologyStructure) -> None:
    radio = structure.get_child_by_title("Blueberry or Cherry?", type_=Classification)
    option = radio.get_child_by_title("Blueberry", type_=Option)
    assert option.feature_node_hash == "Mni/URlu"
    cherry = structure.get_child_by_title("Cherry", type_=Object)
    assert cherry.get_child_by_hash("y472REtD", type_=TextAttribute).name == "Grader"
    with pytest.raises(OntologyError):
        cherry.get_child_by_title("Caption")


def test_builders_produce_the_documented_json() -> None:
    s = OntologyStructure()
    obj = s.add_object("Apple tree", Shape.POLYGON, feature_node_hash="aaaa0001")
    radio = obj.add_attribute(RadioAttribute, "Health", feature_node_hash="attr0001")
    sick = radio.add_option("Very Sick", feature_node_hash="optn0001")
    sick.add_nested_attribute(TextAttribute, "Why", feature_node_hash="attr0002")
    obj.add_attribute(NumericAttribute, "Height", dynamic=True)
    cls = s.add_classification(feature_node_hash="clss0001")
    checklist = cls.add_attribute(ChecklistAttribute, "Tags")
    checklist.add_option("Red fruit")
    d = s.to_dict()
    assert d["objects"][0]["id"] == "1" and d["objects"][0]["color"] == "#D33115"
    health = d["objects"][0]["attributes"][0]
    assert health["id"] == "1.1" and health["options"][0]["value"] == "very_sick"
    assert health["options"][0]["options"][0]["id"] == "1.1.1.1"  # nested under "options"
    assert d["objects"][0]["attributes"][1]["dynamic"] is True
    assert d["classifications"][0]["attributes"][0]["options"][0]["value"] == "red_fruit"
    assert len(d["objects"][0]["attributes"][1]["featureNodeHash"]) == 8
    assert OntologyStructure.from_dict(d).to_dict() == d


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(
            lambda s: s.add_object("X", Shape.POINT, feature_node_hash="0b1e4a01"), id="object-hash"
        ),
        pytest.param(lambda s: s.add_object("X", Shape.POINT, uid=1), id="object-uid"),
        pytest.param(
            lambda s: s.add_classification(feature_node_hash="c1a55001"), id="classification-hash"
        ),
        pytest.param(
            lambda s: s.classifications[0].add_attribute(TextAttribute, "Second"), id="second-root"
        ),
        pytest.param(
            lambda s: s.objects[0].attributes[0].add_option("Dup", feature_node_hash="/kHMlo6Y"),
            id="option-hash",
        ),
    ],
)
def test_builders_refuse_duplicates(structure: OntologyStructure, build) -> None:  # type: ignore[no-untyped-def]
    before = structure.to_dict()
    with pytest.raises(ValueError):
        build(structure)
    assert structure.to_dict() == before


def test_from_dict_type_errors() -> None:
    with pytest.raises(TypeError, match="shape 'blob'"):
        OntologyStructure.from_dict(
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
        )
    bad_attribute = {
        "id": "1.1",
        "name": "a",
        "type": "slider",
        "featureNodeHash": "a",
        "required": False,
    }
    with pytest.raises(TypeError, match="Attribute is ill-formed"):
        OntologyStructure.from_dict(
            {
                "classifications": [
                    {"id": "1", "featureNodeHash": "c", "attributes": [bad_attribute]}
                ]
            }
        )


def test_classification_without_attribute_cannot_serialise() -> None:
    s = OntologyStructure()
    s.add_classification()
    with pytest.raises(ValueError):
        s.to_dict()


def test_skeleton_object_shares_template_hash() -> None:
    s = OntologyStructure()
    template = SkeletonTemplate(
        name="Line",
        width=0.5,
        height=0.5,
        skeleton={
            "0": SkeletonTemplateCoordinate(0.1, 0.1, "a", value="a", feature_hash="vtx00001"),
            "1": SkeletonTemplateCoordinate(0.4, 0.4, "b", value="b", feature_hash="vtx00002"),
        },
        skeleton_edges={"0": {"1": {"color": "#000000"}}},
    )
    obj = s.add_skeleton_object("Limb", template)
    assert obj.shape is Shape.SKELETON
    assert obj.feature_node_hash == s.skeleton_templates["Line"].feature_node_hash
    assert (
        s.to_dict()["skeleton_templates"][0]["template"]["feature_node_hash"]
        == obj.feature_node_hash
    )
