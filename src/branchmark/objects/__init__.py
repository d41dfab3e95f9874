"""The Encord-compatible SDK objects: coordinates, instances, ``LabelRowV2``.

``from encord.objects import X`` becomes ``from branchmark.objects import X``.  The ontology
classes live in :mod:`branchmark.ontology` and are re-exported here.
"""

from __future__ import annotations

from branchmark.objects.annotation import Annotation, AnswerForFrames
from branchmark.objects.classification_instance import ClassificationInstance
from branchmark.objects.label_row import LabelRowV2
from branchmark.objects.media_metadata import (
    CustomerProvidedImageMetadata,
    CustomerProvidedVideoMetadata,
)
from branchmark.objects.metadata import DataType, FrameMedia, LabelRowMetadata
from branchmark.objects.object_instance import ObjectInstance
from branchmark.ontology import (
    ChecklistAttribute,
    Classification,
    FlatOption,
    NestableOption,
    NumericAttribute,
    Object,
    OntologyClassificationLevel,
    OntologyStructure,
    Option,
    RadioAttribute,
    Shape,
    SkeletonTemplate,
    TextAttribute,
)

__all__ = [
    "Annotation",
    "AnswerForFrames",
    "ChecklistAttribute",
    "Classification",
    "ClassificationInstance",
    "CustomerProvidedImageMetadata",
    "CustomerProvidedVideoMetadata",
    "DataType",
    "FlatOption",
    "FrameMedia",
    "LabelRowMetadata",
    "LabelRowV2",
    "NestableOption",
    "NumericAttribute",
    "Object",
    "ObjectInstance",
    "OntologyClassificationLevel",
    "OntologyStructure",
    "Option",
    "RadioAttribute",
    "Shape",
    "SkeletonTemplate",
    "TextAttribute",
]
