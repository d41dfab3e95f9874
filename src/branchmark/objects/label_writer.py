"""``LabelRowV2.to_encord_dict``: the label-row JSON of SDK >= 0.1.205 (ENCORD_COMPAT.md s.3).

Key order follows the SDK's output (the real-SDK fixtures).  This is the hot path of a bulk
prediction import, so per-box work is one dict literal plus the geometry dict: the ontology
strings are looked up once per object class and timestamps are formatted through a cache.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from branchmark.objects import answers as answer_rules
from branchmark.objects.coordinates import BoundingBoxCoordinates, write_coordinates
from branchmark.objects.frames import frames_to_ranges, ranges_to_list
from branchmark.objects.metadata import DataType
from branchmark.objects.timestamps import format_timestamp

if TYPE_CHECKING:
    from branchmark.objects.classification_instance import ClassificationInstance
    from branchmark.objects.label_row import LabelRowV2
    from branchmark.objects.object_instance import ObjectInstance
    from branchmark.store.label_dict import BoxColumns, ObjectEntry, PreparedLabelRow

ZERO_UUID = "00000000-0000-0000-0000-000000000000"


def write_label_row(row: LabelRowV2) -> dict[str, Any]:
    """The whole label-row dict of ``row``."""
    objects = list(row._objects.values())
    return _label_row_dict(row, objects, _objects_by_frame(objects))


def prepare_label_row(row: LabelRowV2) -> PreparedLabelRow:
    """What :func:`write_label_row` says, for the store: the dict without its object entries
    (``objects`` lists empty) plus those entries as values per frame, or as columns when every
    object is a bounding box on one and the same frame (see
    :class:`~branchmark.store.label_dict.PreparedLabelRow`).  The save path: it makes no dict per
    object entry, and boxes sharing class and times share one entry template."""
    from branchmark.store.label_dict import PreparedLabelRow  # the store's neutral record

    objects = list(row._objects.values())
    boxes = _box_columns(objects)
    if boxes is not None:
        columns, templates = boxes
        skeleton = _label_row_dict(row, objects, {columns.frame: []}, prepared=True)
        return PreparedLabelRow(skeleton, {}, templates, columns)
    entries, templates = _object_entries_by_frame(objects)
    skeleton = _label_row_dict(row, objects, {frame: [] for frame in entries}, prepared=True)
    return PreparedLabelRow(skeleton, entries, templates)


def _label_row_dict(
    row: LabelRowV2,
    objects: list[ObjectInstance],
    by_frame: dict[int, list[dict[str, Any]]],
    *,
    prepared: bool = False,
) -> dict[str, Any]:
    meta = row.label_row_metadata
    classifications = list(row._classifications.values())
    # A row that never had times (new, not yet stored) is stamped now, as the server would.
    now = datetime.now(UTC)
    return {
        "label_hash": meta.label_hash or ZERO_UUID,
        "branch_name": meta.branch_name,
        "created_at": format_timestamp(meta.created_at or now),
        "last_edited_at": format_timestamp(meta.last_edited_at or now),
        "data_hash": meta.data_hash,
        "dataset_hash": meta.dataset_hash,
        "dataset_title": meta.dataset_title,
        "data_title": meta.data_title,
        "data_type": meta.data_type.value,
        "annotation_task_status": meta.annotation_task_status,
        "is_shadow_data": row._is_shadow_data,
        "object_answers": _object_answers(objects, prepared=prepared),
        "classification_answers": _classification_answers(classifications),
        "object_actions": _object_actions(objects),
        "label_status": meta.label_status,
        "data_units": _data_units(row, by_frame),
        "spaces": {},
    }


def _object_answers(objects: list[ObjectInstance], *, prepared: bool = False) -> dict[str, Any]:
    """``object_answers``; ``prepared``: an object without static answers gets just its
    ``objectNumber`` (None when unset) instead of the entry, as ``PreparedLabelRow`` allows."""
    out: dict[str, Any] = {}
    for obj in objects:
        if prepared and not obj._static_map:
            out[obj._object_hash] = obj._object_number
            continue
        entry: dict[str, Any] = {
            "classifications": answer_rules.static_answers_json(obj._ontology_object, obj._static)
            if obj._static_map
            else [],
            "objectHash": obj._object_hash,
        }
        if obj._object_number is not None:
            entry["objectNumber"] = obj._object_number
        out[obj._object_hash] = entry
    return out


def _object_actions(objects: list[ObjectInstance]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for obj in objects:
        if not obj._dynamic_map:
            continue
        actions = []
        for attribute in answer_rules.list_attributes(obj._ontology_object):
            if not attribute.dynamic:
                continue
            for value, manual, frames in obj._dynamic_groups(attribute):
                action = answer_rules.answer_entry(attribute, value, manual)
                action["dynamic"] = True
                action["range"] = ranges_to_list(frames_to_ranges(frames))
                action["shouldPropagate"] = False
                actions.append(action)
        if actions:
            out[obj._object_hash] = {"objectHash": obj._object_hash, "actions": actions}
    return out


def _classification_answers(classifications: list[ClassificationInstance]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ci in classifications:
        meta = ci._meta
        out[ci._hash] = {
            "classifications": answer_rules.static_answers_json(ci._ontology, ci._static),
            "classificationHash": ci._hash,
            "featureHash": ci._ontology.feature_node_hash,
            "spaces": {},
            "range": ranges_to_list(ci.frame_ranges()),
            "createdBy": meta.created_by,
            "createdAt": format_timestamp(meta.created_at),
            "lastEditedBy": meta.last_edited_by,
            "lastEditedAt": format_timestamp(meta.last_edited_at),
            "confidence": meta.confidence,
            "manualAnnotation": meta.manual_annotation,
        }
    return out


ObjectStrings = tuple[str, str, str, str, str]


def _object_strings(obj: ObjectInstance, cache: dict[int, ObjectStrings]) -> ObjectStrings:
    """Name, colour, shape, value and feature hash of ``obj``'s ontology object, read once per
    ontology object (``cache`` is keyed by its id) since every entry repeats them."""
    ontology_object = obj._ontology_object
    cached = cache.get(id(ontology_object))
    if cached is None:
        cached = cache[id(ontology_object)] = (
            ontology_object.name,
            ontology_object.color,
            ontology_object.shape.value,
            ontology_object.value,
            ontology_object.feature_node_hash,
        )
    return cached


def _objects_by_frame(objects: list[ObjectInstance]) -> dict[int, list[dict[str, Any]]]:
    """Per frame, the object entries in instance order."""
    by_frame: dict[int, list[dict[str, Any]]] = {}
    strings: dict[int, ObjectStrings] = {}
    fmt = format_timestamp
    for obj in objects:
        name, color, shape, value, feature_hash = _object_strings(obj, strings)
        object_hash = obj._object_hash
        for (
            frame, coordinates, created_at, created_by, last_edited_at, last_edited_by,
            confidence, manual, _reviews, is_deleted,
        ) in obj._frame_values():  # fmt: skip
            entry = {
                "name": name,
                "color": color,
                "shape": shape,
                "value": value,
                "createdAt": fmt(created_at),
                "createdBy": created_by,
                "confidence": confidence,
                "objectHash": object_hash,
                "featureHash": feature_hash,
                "manualAnnotation": manual,
                "lastEditedAt": fmt(last_edited_at),
            }
            if last_edited_by is not None:
                entry["lastEditedBy"] = last_edited_by
            if is_deleted is not None:
                entry["isDeleted"] = is_deleted
            if type(coordinates) is BoundingBoxCoordinates:
                entry["boundingBox"] = {
                    "h": coordinates.height,
                    "w": coordinates.width,
                    "x": coordinates.top_left_x,
                    "y": coordinates.top_left_y,
                }
            else:
                write_coordinates(coordinates, entry)
            frame_list = by_frame.get(frame)
            if frame_list is None:
                by_frame[frame] = [entry]
            else:
                frame_list.append(entry)
    return by_frame


class _Templates:
    """The entry templates of one row (``PreparedLabelRow.templates``): one per object class,
    times, authors, deletion flag and geometry keys, in order of first use."""

    __slots__ = ("index_of", "strings", "templates")

    def __init__(self) -> None:
        self.templates: list[dict[str, Any]] = []
        self.index_of: dict[tuple[Any, ...], int] = {}
        self.strings: dict[int, ObjectStrings] = {}

    def index(
        self,
        obj: ObjectInstance,
        created_at: datetime,
        created_by: str | None,
        last_edited_at: datetime,
        last_edited_by: str | None,
        is_deleted: bool | None,
        keys: tuple[str, ...],
    ) -> int:
        created, edited = format_timestamp(created_at), format_timestamp(last_edited_at)
        key = (
            id(obj._ontology_object), created, created_by, edited, last_edited_by, is_deleted,
            keys,
        )  # fmt: skip
        index = self.index_of.get(key)
        if index is None:
            name, color, _, value, _ = _object_strings(obj, self.strings)
            # _objects_by_frame's entry, key for key, with the per-box values left out
            template: dict[str, Any] = {
                "name": name,
                "color": color,
                "shape": None,
                "value": value,
                "createdAt": created,
                "createdBy": created_by,
                "confidence": None,
                "objectHash": None,
                "featureHash": None,
                "manualAnnotation": None,
                "lastEditedAt": edited,
            }
            if last_edited_by is not None:
                template["lastEditedBy"] = last_edited_by
            if is_deleted is not None:
                template["isDeleted"] = is_deleted
            template.update(dict.fromkeys(keys))
            index = self.index_of[key] = len(self.templates)
            self.templates.append(template)
        return index


def _box_columns(
    objects: list[ObjectInstance],
) -> tuple[BoxColumns, list[dict[str, Any]]] | None:
    """The entries as :class:`~branchmark.store.label_dict.BoxColumns` when every object on a
    frame is a single-frame bounding box and all are on one frame (a model's predictions for an
    image); None otherwise.  Same entries, order and templates as :func:`_object_entries_by_frame`.
    """
    from branchmark.store.label_dict import BoxColumns

    table = _Templates()
    frame = -1
    hashes: list[str] = []
    features: list[str] = []
    hs: list[Any] = []
    ws: list[Any] = []
    xs: list[Any] = []
    ys: list[Any] = []
    confidences: list[Any] = []
    manuals: list[Any] = []
    indices: list[int] = []
    last: tuple[Any, ...] = ()
    index = -1
    for obj in objects:
        if obj._frame_map is not None:
            return None
        values = obj._compact
        if values is None:
            continue  # on no frame: answers only, no entry
        (
            obj_frame, c, created_at, created_by, edited_at, edited_by, confidence, manual,
            _reviews, deleted,
        ) = values  # fmt: skip
        if frame != obj_frame:
            if frame >= 0:
                return None
            frame = obj_frame
        if type(c) is not tuple:  # a box's values (see ObjectInstance.__init__)
            return None
        onto = obj._ontology_object
        # boxes made together share class and times: an identity check finds their template
        if not (
            last
            and onto is last[0]
            and created_at is last[1]
            and edited_at is last[2]
            and created_by is last[3]
            and edited_by is last[4]
            and deleted is last[5]
        ):
            index = table.index(
                obj, created_at, created_by, edited_at, edited_by, deleted, _BOX_KEYS
            )
            last = (onto, created_at, edited_at, created_by, edited_by, deleted)
        hashes.append(obj._object_hash)
        features.append(onto.feature_node_hash)
        hs.append(c[0])
        ws.append(c[1])
        xs.append(c[2])
        ys.append(c[3])
        confidences.append(confidence)
        manuals.append(manual)
        indices.append(index)
    if frame < 0:
        return None
    columns = BoxColumns(frame, hashes, features, hs, ws, xs, ys, confidences, manuals, indices)
    return columns, table.templates


def _object_entries_by_frame(
    objects: list[ObjectInstance],
) -> tuple[dict[int, list[ObjectEntry]], list[dict[str, Any]]]:
    """Per frame, the object entries of :func:`_objects_by_frame` as ``ObjectEntry`` values,
    and the entry templates they index."""
    by_frame: dict[int, list[ObjectEntry]] = {}
    strings: dict[int, ObjectStrings] = {}
    table = _Templates()
    for obj in objects:
        _, _, shape, _, feature_hash = _object_strings(obj, strings)
        object_hash = obj._object_hash
        for (
            frame, coordinates, created_at, created_by, last_edited_at, last_edited_by,
            confidence, manual, _reviews, is_deleted,
        ) in obj._frame_values():  # fmt: skip
            geometry: dict[str, Any] | tuple[float, float, float, float]
            if type(coordinates) is BoundingBoxCoordinates:
                geometry = (
                    coordinates.height,
                    coordinates.width,
                    coordinates.top_left_x,
                    coordinates.top_left_y,
                )
                keys: tuple[str, ...] = _BOX_KEYS
            else:
                geometry = {}
                write_coordinates(coordinates, geometry)
                keys = tuple(geometry)
            index = table.index(
                obj, created_at, created_by, last_edited_at, last_edited_by, is_deleted, keys
            )
            entry = (
                object_hash, feature_hash, shape, geometry, confidence, manual, index,
            )  # fmt: skip
            frame_list = by_frame.get(frame)
            if frame_list is None:
                by_frame[frame] = [entry]
            else:
                frame_list.append(entry)
    return by_frame, table.templates


_BOX_KEYS = ("boundingBox",)


def _data_units(row: LabelRowV2, by_frame: dict[int, list[Any]]) -> dict[str, Any]:
    meta = row.label_row_metadata
    row._check_bitmask_sizes()
    units: dict[str, Any] = {}
    if meta.data_type is DataType.IMG_GROUP:
        for media in row._group_frames():
            units[media.image_hash] = {
                "data_hash": media.image_hash,
                "data_title": media.title,
                "data_link": media.data_link,
                "data_type": media.file_type,
                "data_sequence": str(media.index),
                "width": media.width,
                "height": media.height,
                "labels": {"objects": by_frame.get(media.index, []), "classifications": []},
            }
        return units
    unit: dict[str, Any] = {
        "data_hash": row._data_unit_key or meta.data_hash,
        "data_title": meta.data_title,
        "data_link": meta.data_link,
        "data_type": meta.file_type,
        "data_sequence": 0,
        "width": meta.width,
        "height": meta.height,
    }
    if meta.data_type is DataType.IMAGE:
        unit["labels"] = {"objects": by_frame.get(0, []), "classifications": []}
    else:
        unit["labels"] = {
            str(frame): {"objects": by_frame[frame], "classifications": []}
            for frame in sorted(by_frame)
        }
    if meta.duration is not None:
        unit["data_duration"] = meta.duration
    if meta.fps is not None:
        unit["data_fps"] = meta.fps
    units[unit["data_hash"]] = unit
    return units
