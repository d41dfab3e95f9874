"""The Encord ontology of the demo: fruit as boxes and as polygons, ripeness, frame lighting.

Every fruit class appears twice, once per shape (``"Apple box"`` is a ``bounding_box``,
``"Apple polygon"`` a ``polygon``), because an Encord object has exactly one shape and the demo
scores both box IoU and mask IoU.  Each object carries a static radio attribute ``Ripeness``
(``Ripe`` / ``Unripe``); one per-frame radio classification ``Lighting`` (``Bright`` / ``Dim``)
describes the whole frame.

Feature hashes are derived from the node's path with SHA-256, so the same demo always has the
same ontology: objects and classifications get 8 hex characters (Encord's ``uuid4()[:8]``
format), attributes and options 8 base64 characters (6 bytes, as Encord generates them).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from typing import Any

from branchmark.demo.records import CLASS_NAMES, LIGHTING_VALUES, RIPENESS_VALUES

SHAPES: tuple[str, ...] = ("bounding_box", "polygon")
"""The Encord shapes each fruit class is offered in."""

_SHAPE_SUFFIX = {"bounding_box": "box", "polygon": "polygon"}
_COLOURS = {"apple": "#D33115", "orange": "#E27300", "banana": "#FCC400"}
_POLYGON_COLOURS = {"apple": "#9F0500", "orange": "#C45100", "banana": "#B0B000"}


@dataclasses.dataclass(frozen=True)
class DemoOntologyObject:
    """Hashes of one ontology object and of its ripeness attribute and options."""

    class_name: str
    shape: str
    title: str
    feature_hash: str
    ripeness_hash: str
    option_hashes: tuple[tuple[str, str], ...]

    def option_hash(self, ripeness: str) -> str:
        """The feature hash of the ``ripeness`` option (``"ripe"`` or ``"unripe"``)."""
        for value, feature_hash in self.option_hashes:
            if value == ripeness:
                return feature_hash
        raise KeyError(f"{self.title!r} has no ripeness option {ripeness!r}")


def object_title(class_name: str, shape: str) -> str:
    """The ontology title of a fruit class in a shape.

    >>> object_title("apple", "polygon")
    'Apple polygon'
    """
    if class_name not in CLASS_NAMES or shape not in SHAPES:
        raise ValueError(
            f"no demo object for class {class_name!r} and shape {shape!r}; classes "
            f"{list(CLASS_NAMES)}, shapes {list(SHAPES)}"
        )
    return f"{class_name.capitalize()} {_SHAPE_SUFFIX[shape]}"


def describe_objects() -> tuple[DemoOntologyObject, ...]:
    """The demo's ontology objects with their hashes, in ontology order (class, then shape)."""
    described = []
    for class_name in CLASS_NAMES:
        for shape in SHAPES:
            path = f"{class_name}/{shape}"
            described.append(
                DemoOntologyObject(
                    class_name=class_name,
                    shape=shape,
                    title=object_title(class_name, shape),
                    feature_hash=_hex_hash(path),
                    ripeness_hash=_short_hash(f"{path}/ripeness"),
                    option_hashes=tuple(
                        (value, _short_hash(f"{path}/ripeness/{value}"))
                        for value in RIPENESS_VALUES
                    ),
                )
            )
    return tuple(described)


def build_demo_ontology() -> dict[str, Any]:
    """The demo ontology as Encord ontology JSON (``OntologyStructure.to_dict()`` layout).

    >>> ontology = build_demo_ontology()
    >>> [o["name"] for o in ontology["objects"]][:2], ontology["objects"][1]["shape"]
    (['Apple box', 'Apple polygon'], 'polygon')
    """
    objects = []
    for uid, described in enumerate(describe_objects(), start=1):
        colours = _COLOURS if described.shape == "bounding_box" else _POLYGON_COLOURS
        options = [
            {
                "id": f"{uid}.1.{index}",
                "label": value.capitalize(),
                "value": value,
                "featureNodeHash": described.option_hash(value),
                "archived": False,
            }
            for index, value in enumerate(RIPENESS_VALUES, start=1)
        ]
        objects.append(
            {
                "id": str(uid),
                "name": described.title,
                "color": colours[described.class_name],
                "shape": described.shape,
                "featureNodeHash": described.feature_hash,
                "required": False,
                "archived": False,
                "attributes": [
                    {
                        "id": f"{uid}.1",
                        "name": "Ripeness",
                        "type": "radio",
                        "featureNodeHash": described.ripeness_hash,
                        "required": False,
                        "archived": False,
                        "dynamic": False,
                        "options": options,
                    }
                ],
            }
        )
    lighting_options = [
        {
            "id": f"1.1.{index}",
            "label": value.capitalize(),
            "value": value,
            "featureNodeHash": _short_hash(f"lighting/{value}"),
            "archived": False,
        }
        for index, value in enumerate(LIGHTING_VALUES, start=1)
    ]
    classifications = [
        {
            "id": "1",
            "featureNodeHash": _hex_hash("lighting"),
            "attributes": [
                {
                    "id": "1.1",
                    "name": "Lighting",
                    "type": "radio",
                    "featureNodeHash": _short_hash("lighting/attribute"),
                    "required": False,
                    "archived": False,
                    "dynamic": False,
                    "options": lighting_options,
                }
            ],
        }
    ]
    return {"objects": objects, "classifications": classifications, "skeleton_templates": []}


def _digest(path: str) -> bytes:
    return hashlib.sha256(f"branchmark-demo/{path}".encode()).digest()


def _hex_hash(path: str) -> str:
    return _digest(path)[:4].hex()


def _short_hash(path: str) -> str:
    return base64.b64encode(_digest(path)[:6]).decode("ascii")
