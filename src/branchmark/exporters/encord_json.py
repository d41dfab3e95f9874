"""Encord label-row JSON export of a branch: one ``to_encord_dict``-shaped dict per label row.

The dicts are composed by the store from the annotation rows (``label_rows.load_label_rows``), so
rows saved from Encord JSON come back as they went in (with this workspace's ``label_hash`` and
the branch's name) and rows imported from COCO or YOLO are normalised to the frame size.
"""

from __future__ import annotations

from typing import Any

from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr


def export_encord(store: Store, *, project: str, branch: str) -> list[dict[str, Any]]:
    """Every label row of ``branch`` that holds labels, in data-unit order.

    Examples
    --------
    >>> # rows = export_encord(store, project="fruit", branch="main")
    """
    with store.read() as conn:
        record = catalog.get_project(conn, project)
        target = catalog.get_branch(conn, record.id, branch)
        names = catalog.object_names(catalog.get_ontology(conn, record.id))
        requests = [
            (e.data_unit, target, e.row)
            for e in lr.list_label_rows(conn, record.id, branch_name=branch)
            if e.row is not None
        ]
        dicts = lr.load_label_rows(conn, requests, object_names=names)
    return [d for d in dicts if d is not None]
