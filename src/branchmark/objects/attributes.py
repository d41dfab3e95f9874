"""``encord.objects.attributes`` names: the attribute classes of the ontology."""

from __future__ import annotations

from branchmark.ontology.attributes import (
    Attribute,
    ChecklistAttribute,
    NumericAttribute,
    RadioAttribute,
    TextAttribute,
)

__all__ = ["Attribute", "ChecklistAttribute", "NumericAttribute", "RadioAttribute", "TextAttribute"]
