"""Projects: the list, and one project's overview (data units, branches, classes, analyses)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from branchmark.server.context import ServerContext
from branchmark.store import catalog, explorer_queries
from branchmark.store.records import BranchRecord, ProjectRecord


def describe_project(project: ProjectRecord) -> dict[str, Any]:
    """The identity keys every project payload shares."""
    return {
        "project_hash": project.project_hash,
        "title": project.title,
        "description": project.description,
        "ontology_version": project.ontology_version,
        "created_at": project.created_at.isoformat(),
    }


def describe_classes(ontology: dict[str, Any]) -> list[dict[str, Any]]:
    """The ontology's object classes: ``feature_hash, name, color, shape``, in ontology order."""
    return [
        {
            "feature_hash": str(o.get("featureNodeHash", "")),
            "name": str(o.get("name", "")),
            "color": str(o.get("color", "")),
            "shape": str(o.get("shape", "")),
        }
        for o in ontology.get("objects", [])
    ]


def describe_attributes(ontology: dict[str, Any]) -> list[dict[str, Any]]:
    """Top-level attributes of the object classes with their options (for answer filters).

    Each entry: ``name``, ``kind`` (``radio``, ``checklist``, ``text``), ``options`` (names;
    empty for text).  One entry per attribute name, options merged across classes.
    """
    merged: dict[str, dict[str, Any]] = {}
    for obj in ontology.get("objects", []):
        for attribute in obj.get("attributes", []) or []:
            name = str(attribute.get("name", ""))
            entry = merged.setdefault(
                name, {"name": name, "kind": str(attribute.get("type", "")), "options": []}
            )
            for option in attribute.get("options", []) or []:
                label = str(option.get("label", option.get("value", "")))
                if label not in entry["options"]:
                    entry["options"].append(label)
    return list(merged.values())


def list_projects(context: ServerContext) -> dict[str, Any]:
    """Every project of the workspace with its data unit and branch counts."""
    with context.store.read() as conn:
        projects = catalog.list_projects(conn)
        rows = []
        for project in projects:
            rows.append(
                {
                    **describe_project(project),
                    "data_units": sum(explorer_queries.count_data_units(conn, project.id).values()),
                    "branches": len(catalog.list_branches(conn, project.id)),
                }
            )
    return {"projects": rows}


def describe_branch(
    context: ServerContext, conn: sa.Connection, branch: BranchRecord
) -> dict[str, Any]:
    """A branch with its object count and how many data units it annotates."""
    index = context.branch_indexes.objects(conn, branch)
    return {
        "name": branch.name,
        "kind": branch.kind.value,
        "objects": index.objects,
        "data_units": int(len(index.unit_ids)),
        "revision": branch.revision,
        "created_at": branch.created_at.isoformat(),
        "meta": branch.meta,
    }


def project_overview(context: ServerContext, project_key: str) -> dict[str, Any]:
    """One project: identity, data unit counts by type, classes, branches and analyses."""
    from branchmark.server.services.prediction_sets import analyses_payload

    with context.store.read() as conn:
        project = catalog.get_project(conn, project_key)
        by_type = explorer_queries.count_data_units(conn, project.id)
        ontology = catalog.get_ontology(conn, project.id)
        branches = [
            describe_branch(context, conn, b) for b in catalog.list_branches(conn, project.id)
        ]
    return {
        "project": describe_project(project),
        "data_units": {"total": sum(by_type.values()), "by_type": by_type},
        "classes": describe_classes(ontology),
        "attributes": describe_attributes(ontology),
        "branches": branches,
        **{
            k: v
            for k, v in analyses_payload(context, project.project_hash).items()
            if k != "project"
        },
    }
