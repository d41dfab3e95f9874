"""The ontology model and its Encord JSON (pure, no IO).

``OntologyStructure`` holds ``Object`` classes, ``Classification`` s and ``SkeletonTemplate`` s;
objects and classifications carry nested attributes and options.  Everything here mirrors
``encord.objects`` names so that SDK scripts only change their imports.
"""

from __future__ import annotations

from branchmark.ontology.attributes import (
    Attribute,
    ChecklistAttribute,
    NumericAttribute,
    RadioAttribute,
    TextAttribute,
)
from branchmark.ontology.classification import Classification
from branchmark.ontology.ontology_object import Object
from branchmark.ontology.options import FlatOption, NestableOption, Option
from branchmark.ontology.shape import OntologyClassificationLevel, Shape
from branchmark.ontology.skeleton_template import SkeletonTemplate, SkeletonTemplateCoordinate
from branchmark.ontology.structure import OntologyStructure

__all__ = [
    "Attribute",
    "ChecklistAttribute",
    "Classification",
    "FlatOption",
    "NestableOption",
    "NumericAttribute",
    "Object",
    "OntologyClassificationLevel",
    "OntologyStructure",
    "Option",
    "RadioAttribute",
    "Shape",
    "SkeletonTemplate",
    "SkeletonTemplateCoordinate",
    "TextAttribute",
]
