"""``LabelRowV2.from_labels_dict``: parse an Encord label-row dict into instances.

Both classification layouts are read (ENCORD_COMPAT.md s.3.7): SDK >= 0.1.205 keeps each
instance's frames as ``range`` in ``classification_answers``; SDK <= 0.1.202 lists one entry per
frame under ``labels[...].classifications`` with per-frame metadata, which become ranges here
(the last frame's metadata becomes the instance's, as a ``set_for_frames`` sequence would).
Parsing builds new instances and touches the row only when everything parsed.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from branchmark.errors import LabelRowError, OntologyError
from branchmark.objects import answers as answer_rules
from branchmark.objects.annotation import FrameData
from branchmark.objects.classification_instance import ClassificationInstance
from branchmark.objects.coordinates import SHAPE_COORDINATES, SkeletonCoordinates
from branchmark.objects.frames import ranges_from_list
from branchmark.objects.metadata import DataType, FrameMedia, LabelRowMetadata
from branchmark.objects.object_instance import ObjectInstance
from branchmark.objects.timestamps import parse_timestamp
from branchmark.ontology.attributes import Attribute, ChecklistAttribute
from branchmark.ontology.node import OntologyNode
from branchmark.ontology.shape import Shape

if TYPE_CHECKING:
    from branchmark.objects.label_row import LabelRowV2

#: Top-level keys a label-row dict must have (the SDK raises KeyError for each).
REQUIRED_KEYS = (
    "label_hash",
    "branch_name",
    "created_at",
    "last_edited_at",
    "data_hash",
    "dataset_hash",
    "dataset_title",
    "data_title",
    "data_type",
    "object_answers",
    "classification_answers",
    "object_actions",
    "label_status",
    "data_units",
)
DATA_UNIT_KEYS = ("data_hash", "data_title", "data_link", "data_type", "data_sequence")
SUPPORTED_TYPES = (DataType.IMAGE, DataType.VIDEO, DataType.IMG_GROUP)


@dataclasses.dataclass
class ParsedLabelRow:
    metadata: LabelRowMetadata
    is_shadow_data: bool
    data_unit_key: str | None
    objects: list[ObjectInstance]
    classifications: list[ClassificationInstance]


class _Reader:
    def __init__(self, row: LabelRowV2) -> None:
        structure = row.ontology_structure
        self.objects_by_hash = {o.feature_node_hash: o for o in structure.objects}
        self.classifications_by_hash = {c.feature_node_hash: c for c in structure.classifications}
        self.times: dict[str, datetime] = {}
        self.attribute_indexes: dict[int, dict[str, Attribute]] = {}
        self.now = datetime.now(UTC)

    def time(self, value: Any, default: datetime) -> datetime:
        if not value:
            return default
        parsed = self.times.get(value)
        if parsed is None:
            parsed = parse_timestamp(value)
            self.times[value] = parsed
        return parsed

    def attributes(self, item: OntologyNode) -> dict[str, Attribute]:
        index = self.attribute_indexes.get(id(item))
        if index is None:
            index = answer_rules.index_attributes(item)
            self.attribute_indexes[id(item)] = index
        return index


def _unknown_feature(feature_hash: object) -> OntologyError:
    return OntologyError(
        f"Item not found: can't find an item with a hash {feature_hash} in the ontology."
    )


def read_label_row(row: LabelRowV2, d: dict[str, Any]) -> ParsedLabelRow:
    """Parse ``d`` for ``row`` (see the module docstring); raises before changing anything."""
    for key in REQUIRED_KEYS:
        d[key]  # noqa: B018 - a missing key is the SDK's KeyError
    data_type = DataType.parse(d["data_type"])
    if data_type not in SUPPORTED_TYPES:
        raise LabelRowError(
            f"data_type {d['data_type']!r} is not supported; expected one of "
            f"{[t.value for t in SUPPORTED_TYPES]}"
        )
    reader = _Reader(row)
    instances: dict[str, ObjectInstance] = {}
    legacy: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    group_frames: list[FrameMedia] = []
    meta = row.label_row_metadata
    unit_key: str | None = None
    changes: dict[str, Any] = {}
    for key, unit in d["data_units"].items():
        for required in DATA_UNIT_KEYS:
            unit[required]  # noqa: B018
        labels = unit.get("labels", {})
        if data_type is DataType.IMG_GROUP:
            index = int(unit["data_sequence"])
            group_frames.append(
                FrameMedia(
                    index=index,
                    image_hash=key,
                    title=unit["data_title"],
                    width=unit.get("width"),
                    height=unit.get("height"),
                    data_link=unit["data_link"] or "",
                    file_type=unit["data_type"] or "",
                )
            )
            per_frame = [(index, labels)]
        else:
            unit_key = key
            changes.update(
                data_link=unit["data_link"] or "",
                file_type=unit["data_type"] or "",
                width=unit.get("width", meta.width),
                height=unit.get("height", meta.height),
            )
            if data_type is DataType.IMAGE:
                per_frame = [(0, labels)]
            else:
                per_frame = [(_frame_number(f), labels[f]) for f in labels]
        for frame, frame_labels in per_frame:
            for entry in frame_labels.get("objects", []):
                _read_object(reader, instances, frame, entry)
            for entry in frame_labels.get("classifications", []):
                legacy.setdefault(entry["classificationHash"], []).append((frame, entry))
    for object_hash, entry in d["object_answers"].items():
        _read_object_answers(reader, instances, object_hash, entry)
    for object_hash, entry in d["object_actions"].items():
        _read_object_actions(reader, instances, object_hash, entry)
    classifications = _read_classifications(reader, d["classification_answers"], legacy)
    if group_frames:
        changes["frames"] = tuple(sorted(group_frames, key=lambda m: m.index))
    metadata = meta.replace(
        label_hash=d["label_hash"],
        branch_name=d["branch_name"],
        data_hash=d["data_hash"],
        dataset_hash=d["dataset_hash"],
        dataset_title=d["dataset_title"],
        data_title=d["data_title"],
        data_type=data_type,
        label_status=d["label_status"],
        annotation_task_status=d.get("annotation_task_status", meta.annotation_task_status),
        created_at=reader.time(d["created_at"], meta.created_at or reader.now),
        last_edited_at=reader.time(d["last_edited_at"], meta.last_edited_at or reader.now),
        **changes,
    )
    return ParsedLabelRow(
        metadata=metadata,
        is_shadow_data=bool(d.get("is_shadow_data", False)),
        data_unit_key=unit_key,
        objects=list(instances.values()),
        classifications=classifications,
    )


def _frame_number(key: str) -> int:
    try:
        frame = int(key)
    except ValueError:
        raise LabelRowError(f"labels key {key!r} is not a frame number") from None
    if frame < 0:
        raise LabelRowError(f"labels key {key!r} is a negative frame number")
    return frame


def _read_object(
    reader: _Reader, instances: dict[str, ObjectInstance], frame: int, entry: dict[str, Any]
) -> None:
    object_hash = entry["objectHash"]
    feature_hash = entry["featureHash"]
    shape = entry["shape"]
    ontology_object = reader.objects_by_hash.get(feature_hash)
    if ontology_object is None:
        raise _unknown_feature(feature_hash)
    where = f"object {object_hash!r} on frame {frame}"
    if shape != ontology_object.shape.value:
        raise LabelRowError(
            f"{where}: shape {shape!r} differs from the ontology object "
            f"{ontology_object.name!r} ({ontology_object.shape.value})"
        )
    cls, key = SHAPE_COORDINATES[Shape(shape)]
    entry[key]  # noqa: B018 - the geometry key is required (KeyError, as the SDK)
    coordinates = cls.from_dict(entry)
    if cls is SkeletonCoordinates:
        coordinates.name = ontology_object.name
    instance = instances.get(object_hash)
    if instance is None:
        instance = ObjectInstance(ontology_object, object_hash=object_hash)
        instances[object_hash] = instance
    elif instance.ontology_item is not ontology_object:
        raise LabelRowError(f"{where}: the same objectHash is used by two ontology objects")
    if frame in instance._frames:
        raise LabelRowError(f"{where}: the object appears twice on this frame")
    created_at = reader.time(entry.get("createdAt"), reader.now)
    instance._frames[frame] = FrameData(
        coordinates,
        created_at,
        entry.get("createdBy"),
        reader.time(entry.get("lastEditedAt"), created_at),
        entry.get("lastEditedBy"),
        entry.get("confidence", 1.0),
        entry.get("manualAnnotation", True),
        entry.get("reviews"),
        entry.get("isDeleted"),
    )


def _instance(instances: dict[str, ObjectInstance], object_hash: str, field: str) -> ObjectInstance:
    instance = instances.get(object_hash)
    if instance is None:
        raise LabelRowError(f"{field}[{object_hash!r}]: no object with this hash is on any frame")
    return instance


def _merge(attribute: Attribute, previous: Any, value: Any) -> Any:
    """Several entries for one checklist attribute merge into one answer (editor output)."""
    if previous is None or not isinstance(attribute, ChecklistAttribute):
        return value
    return previous + [o for o in value if not any(o is p for p in previous)]


def _read_object_answers(
    reader: _Reader, instances: dict[str, ObjectInstance], object_hash: str, entry: dict[str, Any]
) -> None:
    instance = _instance(instances, object_hash, "object_answers")
    index = reader.attributes(instance.ontology_item)
    where = f"object_answers[{object_hash!r}]"
    for answer in entry.get("classifications", []):
        attribute = index.get(answer["featureHash"])
        if attribute is None:
            raise answer_rules.unknown_attribute(answer["featureHash"])
        value = answer_rules.parse_answer(attribute, answer["answers"], where=where)
        previous = instance._static.get(attribute.feature_node_hash)
        merged = _merge(attribute, previous[0] if previous else None, value)
        instance._static[attribute.feature_node_hash] = (
            merged,
            bool(answer.get("manualAnnotation", True)),
        )
    if entry.get("objectNumber") is not None:
        instance.object_number = entry["objectNumber"]


def _read_object_actions(
    reader: _Reader, instances: dict[str, ObjectInstance], object_hash: str, entry: dict[str, Any]
) -> None:
    instance = _instance(instances, object_hash, "object_actions")
    index = reader.attributes(instance.ontology_item)
    where = f"object_actions[{object_hash!r}]"
    for action in entry.get("actions", []):
        attribute = index.get(action["featureHash"])
        if attribute is None:
            raise answer_rules.unknown_attribute(action["featureHash"])
        value = answer_rules.parse_answer(attribute, action["answers"], where=where)
        per_frame = instance._dynamic.setdefault(attribute.feature_node_hash, {})
        manual = bool(action.get("manualAnnotation", True))
        for frame_range in ranges_from_list(action.get("range", [])):
            for frame in range(frame_range.start, frame_range.end + 1):
                previous = per_frame.get(frame)
                per_frame[frame] = (
                    _merge(attribute, previous[0] if previous else None, value),
                    manual,
                )


def _read_classifications(
    reader: _Reader,
    answers: dict[str, Any],
    legacy: dict[str, list[tuple[int, dict[str, Any]]]],
) -> list[ClassificationInstance]:
    out = []
    for classification_hash in dict.fromkeys([*answers, *legacy]):
        entry = answers.get(classification_hash)
        frames_entries = legacy.get(classification_hash, [])
        feature_hash = (
            entry["featureHash"] if entry is not None else frames_entries[0][1]["featureHash"]
        )
        classification = reader.classifications_by_hash.get(feature_hash)
        if classification is None:
            raise _unknown_feature(feature_hash)
        ci = ClassificationInstance(classification, classification_hash=classification_hash)
        if entry is not None and "range" in entry:
            frames = [
                f for r in ranges_from_list(entry["range"]) for f in range(r.start, r.end + 1)
            ]
            meta_source: dict[str, Any] | None = entry
        else:
            frames = [frame for frame, _ in frames_entries]
            meta_source = frames_entries[-1][1] if frames_entries else None
        if meta_source is not None:
            created_at = reader.time(meta_source.get("createdAt"), reader.now)
            data = FrameData(
                None,
                created_at,
                meta_source.get("createdBy"),
                reader.time(meta_source.get("lastEditedAt"), created_at),
                meta_source.get("lastEditedBy"),
                meta_source.get("confidence", 1.0),
                meta_source.get("manualAnnotation", True),
                meta_source.get("reviews"),
                None,
            )
            ci._set_metadata(data)
            for frame in frames:
                ci._frames[frame] = data
        if entry is not None:
            index = reader.attributes(classification)
            where = f"classification_answers[{classification_hash!r}]"
            for answer in entry.get("classifications", []):
                attribute = index.get(answer["featureHash"])
                if attribute is None:
                    raise answer_rules.unknown_attribute(answer["featureHash"])
                value = answer_rules.parse_answer(attribute, answer["answers"], where=where)
                ci._static[attribute.feature_node_hash] = (
                    value,
                    bool(answer.get("manualAnnotation", True)),
                )
        out.append(ci)
    return out
