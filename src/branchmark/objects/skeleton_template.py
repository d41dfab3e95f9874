"""``encord.objects.skeleton_template`` names: skeleton (object primitive) templates."""

from __future__ import annotations

from branchmark.ontology.skeleton_template import SkeletonTemplate, SkeletonTemplateCoordinate

__all__ = ["SkeletonTemplate", "SkeletonTemplateCoordinate"]
