"""``encord.objects.options`` names: the answer options of radio and checklist attributes."""

from __future__ import annotations

from branchmark.ontology.options import FlatOption, NestableOption, Option

__all__ = ["FlatOption", "NestableOption", "Option"]
