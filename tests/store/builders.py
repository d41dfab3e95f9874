"""Small builders shared by the store tests: a project, data units matching the fixture dicts."""

from __future__ import annotations

import copy
from typing import Any

from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr
from branchmark.store.records import BranchRecord, DataUnitRecord, FrameRecord, LabelRowRecord

ISO_TIME = "Wed, 15 Jan 2025 12:00:00 UTC"


def video_dict() -> dict[str, Any]:
    """A video label row with a tracked box (frames 103-105), a dynamic checklist answer,
    a static answer with objectNumber, a polygon on frame 7 and a range classification."""

    def box(frame_conf: float, x: float) -> dict[str, Any]:
        return {
            "name": "Cherry",
            "color": "#D33115",
            "shape": "bounding_box",
            "value": "cherry",
            "createdAt": ISO_TIME,
            "createdBy": "a@b.c",
            "confidence": frame_conf,
            "objectHash": "trk+/0AA",
            "featureHash": "0b1e4a01",
            "manualAnnotation": False,
            "lastEditedAt": ISO_TIME,
            "boundingBox": {"h": 0.1, "w": 0.2, "x": x, "y": 0.3},
        }

    return {
        "label_hash": None,
        "branch_name": "main",
        "created_at": ISO_TIME,
        "last_edited_at": ISO_TIME,
        "data_hash": None,
        "dataset_hash": "",
        "dataset_title": "",
        "data_title": "cherries.mp4",
        "data_type": "video",
        "annotation_task_status": "QUEUED",
        "is_shadow_data": False,
        "object_answers": {
            "trk+/0AA": {
                "classifications": [
                    {
                        "name": "Diameter mm",
                        "value": "diameter_mm",
                        "answers": 11,
                        "featureHash": "AKAvxRWr",
                        "manualAnnotation": True,
                    }
                ],
                "objectHash": "trk+/0AA",
                "objectNumber": 3,
            },
            "poly0001": {"classifications": [], "objectHash": "poly0001"},
        },
        "classification_answers": {
            "cls00001": {
                "classifications": [
                    {
                        "name": "Caption",
                        "value": "caption",
                        "answers": "two cherries",
                        "featureHash": "F2ylKQaw",
                        "manualAnnotation": True,
                    }
                ],
                "classificationHash": "cls00001",
                "featureHash": "c1a55003",
                "spaces": {},
                "range": [[0, 4], [100, 110]],
                "createdBy": None,
                "createdAt": ISO_TIME,
                "lastEditedBy": None,
                "lastEditedAt": ISO_TIME,
                "confidence": 0.25,
                "manualAnnotation": False,
            }
        },
        "object_actions": {
            "trk+/0AA": {
                "objectHash": "trk+/0AA",
                "actions": [
                    {
                        "name": "Visible parts",
                        "value": "visible_parts",
                        "featureHash": "y4/24zdI",
                        "answers": [{"name": "Stem", "value": "stem", "featureHash": "kZoR+UgJ"}],
                        "manualAnnotation": False,
                        "dynamic": True,
                        "range": [[103, 104]],
                        "shouldPropagate": False,
                    }
                ],
            }
        },
        "label_status": "LABELLED",
        "data_units": {
            "VIDEO_UNIT": {
                "data_hash": "VIDEO_UNIT",
                "data_title": "cherries.mp4",
                "data_link": "media/c.mp4",
                "data_type": "video/mp4",
                "data_sequence": 0,
                "width": 320,
                "height": 240,
                "data_duration": 12.0,
                "data_fps": 25.0,
                "labels": {
                    "7": {
                        "objects": [
                            {
                                "name": "Persimmon",
                                "color": "#16406C",
                                "shape": "polygon",
                                "value": "persimmon",
                                "createdAt": ISO_TIME,
                                "createdBy": None,
                                "confidence": 0.5,
                                "objectHash": "poly0001",
                                "featureHash": "0b1e4a03",
                                "manualAnnotation": True,
                                "polygon": {
                                    "0": {"x": 0.1, "y": 0.1},
                                    "1": {"x": 0.4, "y": 0.1},
                                    "2": {"x": 0.25, "y": 0.35},
                                },
                                "polygons": [[[0.1, 0.1, 0.4, 0.1, 0.25, 0.35]]],
                            }
                        ],
                        "classifications": [],
                    },
                    "103": {"objects": [box(0.9, 0.1)], "classifications": []},
                    "104": {"objects": [box(0.8, 0.11)], "classifications": []},
                    "105": {"objects": [box(0.7, 0.12)], "classifications": []},
                },
            }
        },
        "spaces": {},
    }


def add_unit_for(conn: Any, project_id: int, label_dict: dict[str, Any]) -> DataUnitRecord:
    """A data unit shaped like the one ``label_dict`` labels (same hash and sizes)."""
    units = list(label_dict["data_units"].values())
    data_type = label_dict["data_type"]
    frame_media: list[FrameRecord] = []
    if data_type == "img_group":
        frame_media = [
            FrameRecord(
                frame=int(u["data_sequence"]),
                image_hash=u["data_hash"],
                title=u["data_title"],
                width=u["width"],
                height=u["height"],
                data_link=u.get("data_link", ""),
                file_type=u.get("data_type", ""),
            )
            for u in units
        ]
    first = units[0]
    return catalog.add_data_unit(
        conn,
        project_id,
        title=label_dict["data_title"],
        data_type=data_type,
        width=None if frame_media else first["width"],
        height=None if frame_media else first["height"],
        frames=len(frame_media) or (300 if data_type == "video" else 1),
        fps=first.get("data_fps"),
        data_hash=label_dict["data_hash"],
        dataset_hash=label_dict.get("dataset_hash") or "",
        dataset_title=label_dict.get("dataset_title") or "",
        data_link=first.get("data_link", ""),
        file_type=first.get("data_type", ""),
        frame_media=frame_media,
    )


def prepare(
    store: Store, ontology: dict[str, Any], label_dict: dict[str, Any], *, branch: str | None = None
) -> tuple[DataUnitRecord, BranchRecord, LabelRowRecord, dict[str, Any]]:
    """Project + data unit + created row for ``label_dict``; returns the dict re-identified."""
    d = copy.deepcopy(label_dict)
    with store.write() as conn:
        try:
            project = catalog.get_project(conn, "p")
        except Exception:
            project = catalog.create_project(conn, "p", ontology)
        if d["data_hash"] is None:
            import uuid

            d["data_hash"] = str(uuid.uuid4())
        unit = add_unit_for(conn, project.id, d)
        b = catalog.ensure_branch(conn, project.id, branch or d["branch_name"])
        row = lr.create_label_row(conn, unit, b)
    d["label_hash"] = row.label_hash
    d["branch_name"] = b.name
    return unit, b, row, d


def save(
    store: Store, unit: DataUnitRecord, branch: BranchRecord, row: LabelRowRecord, d: dict[str, Any]
) -> LabelRowRecord:
    with store.write() as conn:
        return lr.save_label_rows(
            conn, [lr.SaveRequest(unit, branch, row.label_hash, row.revision, d)]
        )[0]


def load(
    store: Store,
    unit: DataUnitRecord,
    branch: BranchRecord,
    row: LabelRowRecord,
    names: dict[str, tuple[str, str]] | None = None,
) -> dict[str, Any] | None:
    with store.read() as conn:
        return lr.load_label_rows(conn, [(unit, branch, row)], object_names=names or {})[0]


def dump_tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for before/after comparisons."""
    import sqlalchemy as sa

    from branchmark.store.schema import metadata

    with store.read() as conn:
        return {
            name: [
                tuple(r)
                for r in conn.execute(sa.select(table).order_by(*table.primary_key.columns))
            ]
            for name, table in metadata.tables.items()
        }
