"""The demo ontology is valid Encord ontology JSON (ENCORD_COMPAT.md section 4)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

from branchmark.demo.ontology import build_demo_ontology, describe_objects, object_title

FIXTURE = Path(__file__).parents[1] / "fixtures" / "encord" / "ontology.json"


def _attribute_nodes(attributes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nodes = []
    for attribute in attributes:
        nodes.append(attribute)
        for option in attribute.get("options", []):
            nodes.append(option)
            nodes.extend(_attribute_nodes(option.get("options", [])))
    return nodes


def _all_nodes(ontology: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = []
    for root in ontology["objects"] + ontology["classifications"]:
        nodes.append(root)
        nodes.extend(_attribute_nodes(root.get("attributes", [])))
    return nodes


def test_every_feature_node_hash_is_unique_and_in_encord_format() -> None:
    ontology = build_demo_ontology()
    nodes = _all_nodes(ontology)
    hashes = [node["featureNodeHash"] for node in nodes]
    assert len(hashes) == len(set(hashes)) == 6 * 4 + 4
    for root in ontology["objects"] + ontology["classifications"]:
        assert re.fullmatch(r"[0-9a-f]{8}", root["featureNodeHash"])
    roots = {id(r) for r in ontology["objects"] + ontology["classifications"]}
    for node in nodes:
        if id(node) not in roots:
            assert len(node["featureNodeHash"]) == 8
            assert len(base64.b64decode(node["featureNodeHash"], validate=True)) == 6


def test_ids_follow_section_4() -> None:
    ontology = build_demo_ontology()
    assert [o["id"] for o in ontology["objects"]] == [str(i) for i in range(1, 7)]
    assert [c["id"] for c in ontology["classifications"]] == ["1"]
    for root in ontology["objects"] + ontology["classifications"]:
        (attribute,) = root["attributes"]
        assert attribute["id"] == f"{root['id']}.1"
        assert [o["id"] for o in attribute["options"]] == [f"{root['id']}.1.1", f"{root['id']}.1.2"]


def test_keys_and_types_are_those_of_the_real_sdk_fixture() -> None:
    fixture = json.loads(FIXTURE.read_text())
    ontology = build_demo_ontology()
    assert set(ontology) == set(fixture)
    object_keys = set().union(*(o.keys() for o in fixture["objects"]))
    radio = next(
        a for a in _attribute_nodes(fixture["objects"][0]["attributes"]) if a.get("type") == "radio"
    )
    option = next(o for o in radio["options"] if "options" not in o)
    for obj in ontology["objects"]:
        assert set(obj) <= object_keys
        assert obj["shape"] in {"bounding_box", "polygon"}
        assert re.fullmatch(r"#[0-9A-F]{6}", obj["color"])
        (attribute,) = obj["attributes"]
        assert set(attribute) == set(radio) and attribute["type"] == "radio"
        assert all(set(o) == set(option) for o in attribute["options"])
        assert [o["value"] for o in attribute["options"]] == ["ripe", "unripe"]
    (lighting,) = ontology["classifications"]
    assert set(lighting) == set(fixture["classifications"][0])
    assert lighting["attributes"][0]["name"] == "Lighting"
    assert [o["value"] for o in lighting["attributes"][0]["options"]] == ["bright", "dim"]


def test_titles_and_described_hashes_agree_with_the_json() -> None:
    ontology = build_demo_ontology()
    described = describe_objects()
    assert [d.title for d in described] == [o["name"] for o in ontology["objects"]]
    for d, obj in zip(described, ontology["objects"], strict=True):
        assert d.feature_hash == obj["featureNodeHash"]
        assert d.shape == obj["shape"] and object_title(d.class_name, d.shape) == d.title
        options = obj["attributes"][0]["options"]
        assert d.option_hash("unripe") == options[1]["featureNodeHash"]
    assert build_demo_ontology() == ontology  # deterministic
