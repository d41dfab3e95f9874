"""Encord label-row dicts to store rows and back (pure: no database here).

:func:`split_label_row` cuts a dict into a *header* (the dict with its labels taken out: top-level
keys, ``data_units`` entries, legacy per-frame classification lists), one annotation row per object
per frame, one answers row per object and one row per classification instance.
:func:`compose_label_row` puts the same dict back together from those rows.  Values the store keeps
in columns are left in the header and in the per-entry ``meta`` as ``None`` placeholders so key
order and presence survive; geometry goes to the ``geometry`` blob (see ``codec``).

Entries of one row mostly share their ``meta`` (a model's boxes differ only in the column values
and geometry), so each distinct ``meta`` blob is kept once, in the header under
:data:`ENTRY_TEMPLATES_KEY`, and an annotation's ``meta`` column holds ``#<index>`` into that list.
Rows stored before this kept the JSON itself in ``meta``; both read back the same.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import mul
from typing import Any

import orjson

from branchmark.errors import ValidationError
from branchmark.store import codec

ENTRY_COLUMN_KEYS = ("confidence", "objectHash", "featureHash", "manualAnnotation", "shape")
CLASSIFICATION_COLUMN_KEYS = (
    "classificationHash",
    "featureHash",
    "range",
    "confidence",
    "manualAnnotation",
)
HEADER_COLUMN_KEYS = (
    "label_hash",
    "branch_name",
    "data_hash",
    "label_status",
    "object_answers",
    "classification_answers",
    "object_actions",
)
TIME_FORMAT = "%a, %d %b %Y %H:%M:%S UTC"
_ENTRY_BLANK = frozenset(ENTRY_COLUMN_KEYS)
INT_MARK = 0
"""Placeholder of a ``confidence`` given as an int (a float column would return ``1.0``)."""
_GEOMETRY_KEY_SET = frozenset(codec.GEOMETRY_KEYS)
ENTRY_TEMPLATES_KEY = "branchmark:entry_templates"
"""Header key of the row's distinct entry ``meta`` blobs (never a key of an Encord dict)."""
TEMPLATE_REF = b"#"
_BOX_FIELDS = ("h", "w", "x", "y")
_pack_box_blob = struct.Struct("<c4d").pack  # marker byte + h, w, x, y: codec.encode_box's B form


class _Templates:
    """The distinct ``meta`` blobs of one row's entries, each kept once (see the module doc)."""

    __slots__ = ("blobs", "refs")

    def __init__(self) -> None:
        self.blobs: list[bytes] = []
        self.refs: dict[bytes, bytes] = {}

    def ref(self, blob: bytes) -> bytes:
        """The ``meta`` column value standing for ``blob``."""
        ref = self.refs.get(blob)
        if ref is None:
            ref = self.refs[blob] = b"#%d" % len(self.blobs)
            self.blobs.append(blob)
        return ref


AnnotationRow = tuple[Any, ...]
"""``(frame, object_hash, feature_hash, shape, x, y, w, h, theta, area, iscrowd, confidence,
manual, object_number, geometry, meta)``: the ``annotations`` columns a save writes."""

ANNOTATION_FIELDS = (
    "frame",
    "object_hash",
    "feature_hash",
    "shape",
    "x",
    "y",
    "w",
    "h",
    "theta",
    "area",
    "iscrowd",
    "confidence",
    "manual",
    "object_number",
    "geometry",
    "meta",
)


AnnotationColumns = dict[str, list[Any]]
"""The annotation rows of a label row as one list per :data:`ANNOTATION_FIELDS` name."""


@dataclasses.dataclass(frozen=True)
class LabelRowParts:
    """A label-row dict cut into the rows the store writes."""

    header: bytes
    label_status: str
    created_at: datetime | None
    annotations: AnnotationColumns
    answers: list[tuple[str, bytes | None, bytes | None]]  # object_hash, answers, actions
    classifications: list[tuple[str, str, str, float | None, bool, bytes]]


ObjectEntry = tuple[
    str, str, str, "dict[str, Any] | tuple[float, float, float, float]", Any, Any, int
]
"""One object entry of a frame given as values: ``(objectHash, featureHash, shape, geometry,
confidence, manualAnnotation, template)``.  ``geometry`` holds the entry's geometry keys
(``{"polygon": ..., "polygons": ...}``), or for a bounding box just its ``(h, w, x, y)``;
``template`` indexes :attr:`PreparedLabelRow.templates`.  Entries of boxes hold no container
the cyclic garbage collector has to follow, so the collector stops tracking them."""


@dataclasses.dataclass(frozen=True)
class BoxColumns:
    """The object entries of a row that are all bounding boxes on one frame, as columns.

    Entry ``i`` is the :data:`ObjectEntry` ``(object_hash[i], feature_hash[i], "bounding_box",
    (h[i], w[i], x[i], y[i]), confidence[i], manual[i], template[i])`` of ``frame``; a model's
    boxes for an image come this way, and the store turns whole columns into annotation columns.
    """

    frame: int
    object_hash: list[str]
    feature_hash: list[str]
    h: list[Any]
    w: list[Any]
    x: list[Any]
    y: list[Any]
    confidence: list[Any]
    manual: list[Any]
    template: list[int]

    def entries(self) -> list[ObjectEntry]:
        """The same entries as :data:`ObjectEntry` values."""
        n = len(self.object_hash)
        return list(
            zip(
                self.object_hash,
                self.feature_hash,
                ["bounding_box"] * n,
                zip(self.h, self.w, self.x, self.y, strict=True),
                self.confidence,
                self.manual,
                self.template,
                strict=True,
            )
        )


@dataclasses.dataclass(frozen=True)
class PreparedLabelRow:
    """A label-row dict whose object entries come as :data:`ObjectEntry` values per frame.

    The SDK's save fills it (``objects.label_writer.prepare_label_row``) so that a save neither
    builds a dict per object entry nor takes it apart again; the store still knows nothing of
    the SDK objects.  ``skeleton`` is the label-row dict with every ``objects`` list empty,
    ``objects[frame]`` that frame's entries in order, and ``templates`` the entries' dicts with
    their five column values (confidence, objectHash, featureHash, manualAnnotation, shape) and
    geometry keys set to None, i.e. the ``meta`` the store keeps (entries sharing a template share
    one blob).  In ``skeleton["object_answers"]`` an object whose entry holds no answers may be
    given as just its ``objectNumber`` (an int, or None when it has none) instead of
    ``{"classifications": [], "objectHash": h[, "objectNumber": n]}``.  ``boxes``, when given,
    holds every object entry of the row (``objects`` is then empty).  :func:`split_label_row`
    gives exactly the parts it gives for the full dict.
    """

    skeleton: dict[str, Any]
    objects: dict[int, list[ObjectEntry]]
    templates: list[dict[str, Any]]
    boxes: BoxColumns | None = None


def format_time(moment: datetime) -> str:
    """Encord's label-row time text, ``Wed, 15 Jan 2025 12:00:00 UTC``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(TIME_FORMAT)


def parse_time(text: Any) -> datetime | None:
    """Naive-UTC datetime of an Encord time text (or ISO 8601); None when it cannot be read."""
    if isinstance(text, str):
        return _parse_time_text(text)  # rows saved together mostly share their time texts
    return _parse_time(text)


@functools.lru_cache(maxsize=256)
def _parse_time_text(text: str) -> datetime | None:
    return _parse_time(text)


def _parse_time(text: Any) -> datetime | None:
    if isinstance(text, datetime):
        moment = text
    elif isinstance(text, str):
        try:
            moment = datetime.strptime(text, TIME_FORMAT)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                return None
    else:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _require(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, Mapping):
        raise ValidationError(f"{where}: expected an object, got {type(mapping).__name__}")
    if key not in mapping:
        raise ValidationError(f"{where}: missing required field {key!r}")
    return mapping[key]


_DEFAULT_ANSWER_KEYS = {
    2: ("classifications", "objectHash"),
    3: ("classifications", "objectHash", "objectNumber"),
}


def _is_default_answers(object_hash: str, entry: Mapping[str, Any]) -> bool:
    """True for ``{"classifications": [], "objectHash": h[, "objectNumber": n]}``."""
    keys = _DEFAULT_ANSWER_KEYS.get(len(entry))
    return (
        keys is not None
        and tuple(entry) == keys
        and entry["classifications"] == []
        and entry["objectHash"] == object_hash
        and (len(entry) == 2 or type(entry["objectNumber"]) is int)
    )


def _is_frame_keyed(labels: Mapping[str, Any]) -> bool:
    return "objects" not in labels and "classifications" not in labels


def split_label_row(
    label_dict: Mapping[str, Any] | PreparedLabelRow,
    *,
    frame_size: Callable[[int], tuple[int | None, int | None]],
) -> LabelRowParts:
    """Cut an Encord label-row dict into header, annotation, answer and classification rows.

    ``frame_size(frame)`` gives the data unit's ``(width, height)`` for frames whose
    ``data_units`` entry carries no size.  Raises ``ValidationError`` naming the entry and field
    of a malformed dict; nothing is written by this function.  A :class:`PreparedLabelRow`
    gives the parts of the dict it stands for.
    """
    prepared: Mapping[int, list[ObjectEntry] | BoxColumns] = {}
    templates: list[dict[str, Any]] = []
    is_prepared = isinstance(label_dict, PreparedLabelRow)
    if isinstance(label_dict, PreparedLabelRow):
        prepared, templates = label_dict.objects, label_dict.templates
        if label_dict.boxes is not None:
            prepared = {label_dict.boxes.frame: label_dict.boxes}
        label_dict = label_dict.skeleton
    for key in ("data_units", "object_answers", "classification_answers", "object_actions"):
        _require(label_dict, key, "label row")
    if ENTRY_TEMPLATES_KEY in label_dict:
        raise ValidationError(f"label row: key {ENTRY_TEMPLATES_KEY!r} is reserved for the store")
    object_numbers: dict[str, int | None] = {}
    answers: dict[str, list[bytes | None]] = {}
    defaults: dict[str, Any] = {}
    for h, entry in label_dict["object_answers"].items():
        if is_prepared and (entry is None or type(entry) is int):
            # a prepared row's "no answers" entry: just the object number (see PreparedLabelRow)
            object_numbers[h] = entry
            defaults[h] = entry
            answers[h] = [None, None]
            continue
        if type(entry) is not dict or "classifications" not in entry:
            _require(entry, "classifications", f"object_answers[{h!r}]")
        number = entry.get("objectNumber")
        object_numbers[h] = number if type(number) is int else None
        if _is_default_answers(h, entry):
            # Rebuilt from the annotation rows on load (most objects have no answers): no row.
            defaults[h] = entry
            answers[h] = [None, None]
        else:
            answers[h] = [orjson.dumps(entry), None]
    for h, entry in label_dict["object_actions"].items():
        _require(entry, "actions", f"object_actions[{h!r}]")
        answers.setdefault(h, [None, None])[1] = orjson.dumps(entry)

    split = _RowSplit(frame_size, object_numbers, prepared, templates)
    header_units: dict[str, Any] = {}
    for unit_key, unit in label_dict["data_units"].items():
        where = f"data_units[{unit_key!r}]"
        labels = _require(unit, "labels", where)
        width, height = unit.get("width"), unit.get("height")
        if _is_frame_keyed(labels):
            frames = {}
            for frame_key, frame_labels in labels.items():
                try:
                    frame = int(frame_key)
                except ValueError:
                    raise ValidationError(
                        f"{where}.labels: frame key {frame_key!r} is not an int"
                    ) from None
                frames[frame_key] = _split_frame(
                    split, frame_labels, frame, width, height, f"{where}.labels[{frame_key!r}]"
                )
            placeholder: dict[str, Any] = frames
        else:
            frame = int(unit.get("data_sequence", 0) or 0)
            placeholder = _split_frame(split, labels, frame, width, height, f"{where}.labels")
        header_units[unit_key] = {**unit, "labels": placeholder}

    classifications = []
    for h, entry in label_dict["classification_answers"].items():
        where = f"classification_answers[{h!r}]"
        feature = _require(entry, "featureHash", where)
        ranges = entry.get("range", [])
        blank = {k: (None if k in CLASSIFICATION_COLUMN_KEYS else v) for k, v in entry.items()}
        if type(entry.get("confidence")) is int:
            blank["confidence"] = INT_MARK
        classifications.append(
            (
                str(entry.get("classificationHash", h)),
                str(feature),
                orjson.dumps(ranges).decode(),
                entry.get("confidence", 1.0),
                bool(entry.get("manualAnnotation", True)),
                orjson.dumps(blank),
            )
        )

    annotations = _columns(split.rows, split.box_columns)
    annotated = set(annotations["object_hash"])
    for h, entry in defaults.items():
        if h not in annotated:  # an answers entry for an object with no frames: keep it as is
            if type(entry) is not dict:  # a prepared row's object number
                number, entry = entry, {"classifications": [], "objectHash": h}
                if number is not None:
                    entry["objectNumber"] = number
            answers[h][0] = orjson.dumps(entry)
    header = {k: (None if k in HEADER_COLUMN_KEYS else v) for k, v in label_dict.items()}
    header["data_units"] = header_units
    header["object_answers"] = list(label_dict["object_answers"])  # the key order
    if split.shared.blobs:
        header[ENTRY_TEMPLATES_KEY] = [orjson.Fragment(blob) for blob in split.shared.blobs]
    return LabelRowParts(
        header=orjson.dumps(header),
        label_status=str(label_dict.get("label_status") or "NOT_LABELLED"),
        created_at=parse_time(label_dict.get("created_at")),
        annotations=annotations,
        answers=[(h, a, b) for h, (a, b) in answers.items() if a is not None or b is not None],
        classifications=classifications,
    )


@dataclasses.dataclass
class _RowSplit:
    """What splitting one label row carries from frame to frame: the row's inputs (frame sizes,
    object numbers, a prepared row's entries and templates) and what it has made so far (rows,
    column chunks of box frames, meta blobs and their references)."""

    frame_size: Callable[[int], tuple[int | None, int | None]]
    object_numbers: Mapping[str, int | None]
    prepared: Mapping[int, list[ObjectEntry] | BoxColumns]
    templates: list[dict[str, Any]]
    rows: list[AnnotationRow] = dataclasses.field(default_factory=list)
    box_columns: list[AnnotationColumns] = dataclasses.field(default_factory=list)
    metas: dict[int, bytes] = dataclasses.field(default_factory=dict)
    shared: _Templates = dataclasses.field(default_factory=lambda: _Templates())


def _split_frame(
    split: _RowSplit,
    frame_labels: Any,
    frame: int,
    width: int | None,
    height: int | None,
    where: str,
) -> dict[str, Any]:
    """Split one frame's labels into ``split``; return its header placeholder (``objects``
    None)."""
    objects = _require(frame_labels, "objects", where)
    if width is None or height is None:
        width, height = split.frame_size(frame)
    w_px, h_px = float(width or 0), float(height or 0)
    sized = w_px > 0 and h_px > 0
    shared, rows, object_numbers = split.shared, split.rows, split.object_numbers
    prepared = split.prepared.get(frame)
    if isinstance(prepared, BoxColumns):
        # Columns in, columns out; entries of any other kind cannot be in this frame.
        columns = _split_boxes(
            prepared, split.templates, split.metas, shared, w_px, h_px, sized, object_numbers
        )
        if columns is not None:
            if rows:  # keep the row order: earlier frames' rows first
                split.box_columns.append(_columns(rows, []))
                rows.clear()
            split.box_columns.append(columns)
            prepared = None
        else:
            prepared = prepared.entries()
    if prepared:
        _split_prepared(
            prepared,
            split.templates,
            split.metas,
            shared,
            frame,
            w_px,
            h_px,
            sized,
            object_numbers,
            rows,
            where,
        )
    blank = _ENTRY_BLANK
    geometry_keys = _GEOMETRY_KEY_SET
    dumps = orjson.dumps
    numbers_get = object_numbers.get
    meta_ref = shared.ref
    for i, entry in enumerate(objects):
        # The hot loop of every SDK save: one pass over the entry's keys splits it into the
        # geometry (blob), the column values (placeholders in meta) and the rest (meta).
        try:
            object_hash = entry["objectHash"]
            feature_hash = entry["featureHash"]
            shape = entry["shape"]
        except (KeyError, TypeError):
            at = f"{where}.objects[{i}]"
            for key in ("objectHash", "featureHash", "shape"):
                _require(entry, key, at)
            raise
        meta: dict[str, Any] = {}
        geometry: dict[str, Any] = {}
        for key, value in entry.items():
            if key in geometry_keys:
                geometry[key] = value
                meta[key] = None
            elif key in blank:
                meta[key] = None
            else:
                meta[key] = value
        confidence = entry.get("confidence", 1.0)
        if type(confidence) is int:
            meta["confidence"] = INT_MARK  # the column holds a float; give the int back
        if not geometry:
            raise ValidationError(
                f"{where}.objects[{i}] (object {object_hash}): no geometry key for shape {shape!r}"
            )
        if sized:
            try:
                extent = codec.extent_of(geometry, w_px, h_px)
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise ValidationError(
                    f"{where}.objects[{i}] (object {object_hash}): bad geometry: {exc!r}"
                ) from exc
        else:
            extent = codec.NO_EXTENT
        rows.append(
            _annotation_row(
                frame,
                object_hash,
                feature_hash,
                shape,
                extent,
                confidence,
                entry.get("manualAnnotation", True),
                numbers_get(object_hash),
                _geometry_blob(geometry),
                meta_ref(dumps(meta)),
            )
        )
    return {**frame_labels, "objects": None}


def _annotation_row(
    frame: int,
    object_hash: Any,
    feature_hash: Any,
    shape: Any,
    extent: codec.Extent,
    confidence: Any,
    manual: Any,
    object_number: int | None,
    geometry: bytes,
    meta: bytes,
) -> AnnotationRow:
    """One :data:`AnnotationRow`; NaN in the extent is stored as NULL on both backends."""
    x, y, w, h, theta, area = extent
    return (
        frame,
        str(object_hash),
        str(feature_hash),
        str(shape),
        None if x != x else x,
        None if y != y else y,
        None if w != w else w,
        None if h != h else h,
        None if theta != theta else theta,
        None if area != area else area,
        False,
        confidence,
        bool(manual),
        object_number,
        geometry,
        meta,
    )


def _template_ref(
    template: int,
    int_confidence: bool,
    templates: list[dict[str, Any]],
    metas: dict[int, bytes],
    shared: _Templates,
) -> bytes:
    """The ``meta`` column value of an entry made from ``templates[template]``: its blob is
    kept once per row (``shared``) and looked up once per template (``metas``); an entry whose
    confidence is an int has its own variant (key ``-1 - template``) marking that."""
    key = -1 - template if int_confidence else template
    ref = metas.get(key)
    if ref is None:
        entry = templates[template]
        blob = orjson.dumps({**entry, "confidence": INT_MARK} if int_confidence else entry)
        ref = metas[key] = shared.ref(blob)
    return ref


def _split_prepared(
    entries: list[ObjectEntry],
    templates: list[dict[str, Any]],
    metas: dict[int, bytes],
    shared: _Templates,
    frame: int,
    w_px: float,
    h_px: float,
    sized: bool,
    object_numbers: Mapping[str, int | None],
    rows: list[AnnotationRow],
    where: str,
) -> None:
    """The rows ``_split_frame`` makes for these entries' dicts, without making the dicts."""
    dumps = orjson.dumps
    numbers_get = object_numbers.get
    normalised = codec.NORMALISED
    encode_box = codec.encode_box
    for i, (object_hash, feature_hash, shape, geometry, confidence, manual, template) in enumerate(
        entries
    ):
        meta = _template_ref(template, type(confidence) is int, templates, metas, shared)
        if isinstance(geometry, tuple):
            bh, bw, bx, by = geometry
            if sized:  # codec.extent_of's arithmetic for a boundingBox, inline
                try:
                    w, h = bw * w_px, bh * h_px
                    x, y, area = bx * w_px, by * h_px, w * h
                except TypeError as exc:
                    raise ValidationError(
                        f"{where}.objects[{i}] (object {object_hash}): bad geometry: {exc!r}"
                    ) from exc
                theta = codec.NAN
            else:
                x, y, w, h, theta, area = codec.NO_EXTENT
            blob = encode_box(bh, bw, bx, by)
        else:
            x, y, w, h, theta, area = _prepared_extent(
                geometry, w_px, h_px, sized, f"{where}.objects[{i}] (object {object_hash})", shape
            )
            blob = normalised + dumps(geometry)
        rows.append(
            _annotation_row(
                frame,
                object_hash,
                feature_hash,
                shape,
                (x, y, w, h, theta, area),
                confidence,
                manual,
                numbers_get(object_hash),
                blob,
                meta,
            )
        )


def _columns(rows: list[AnnotationRow], chunks: list[AnnotationColumns]) -> AnnotationColumns:
    """The annotation columns of ``chunks`` followed by ``rows``."""
    if not chunks:
        if not rows:
            return {name: [] for name in ANNOTATION_FIELDS}
        return {
            name: list(column)
            for name, column in zip(ANNOTATION_FIELDS, zip(*rows, strict=True), strict=True)
        }
    if len(chunks) == 1 and not rows:
        return chunks[0]
    out: AnnotationColumns = {name: [] for name in ANNOTATION_FIELDS}
    for chunk in [*chunks, _columns(rows, [])]:
        for name in ANNOTATION_FIELDS:
            out[name] += chunk[name]
    return out


_FLOAT = {float}
_STR = {str}
_BOOL = {bool}


def _split_boxes(
    boxes: BoxColumns,
    templates: list[dict[str, Any]],
    metas: dict[int, bytes],
    shared: _Templates,
    w_px: float,
    h_px: float,
    sized: bool,
    object_numbers: Mapping[str, int | None],
) -> AnnotationColumns | None:
    """The columns :func:`_split_prepared` makes of ``boxes.entries()``, made column-wise; None
    when some entry needs its per-entry handling (a coordinate or confidence that is not a float,
    a coordinate that is not finite), or there are no entries.

    Built with ``map`` over whole columns (C loops; numpy's per-call cost is more than the work
    for a row's few dozen boxes)."""
    n = len(boxes.object_hash)
    hs, ws, xs, ys = boxes.h, boxes.w, boxes.x, boxes.y
    if n == 0 or any(set(map(type, c)) != _FLOAT for c in (hs, ws, xs, ys, boxes.confidence)):
        return None
    # A sum of finite floats is finite (barring overflow near 1e308, which falls back too).
    if not math.isfinite(sum(hs) + sum(ws) + sum(xs) + sum(ys)):
        return None
    refs = {  # first use first, as _split_prepared
        template: _template_ref(template, False, templates, metas, shared)
        for template in dict.fromkeys(boxes.template)
    }
    if len(refs) == 1:
        meta = [*refs.values()] * n
    else:
        meta = list(map(refs.__getitem__, boxes.template))
    if sized:  # codec.extent_of's arithmetic for a boundingBox, on whole columns
        w = list(map(mul, ws, repeat(w_px)))
        h = list(map(mul, hs, repeat(h_px)))
        x = list(map(mul, xs, repeat(w_px)))
        y = list(map(mul, ys, repeat(h_px)))
        area = list(map(mul, w, h))
    else:
        x, y, w, h, area = ([None] * n for _ in range(5))
    manual = boxes.manual
    hashes, features = boxes.object_hash, boxes.feature_hash
    return {
        "frame": [boxes.frame] * n,
        "object_hash": list(hashes) if set(map(type, hashes)) == _STR else list(map(str, hashes)),
        "feature_hash": (
            list(features) if set(map(type, features)) == _STR else list(map(str, features))
        ),
        "shape": ["bounding_box"] * n,
        "x": x,
        "y": y,
        "w": w,
        "h": h,
        "theta": [None] * n,
        "area": area,
        "iscrowd": [False] * n,
        "confidence": list(boxes.confidence),
        "manual": list(manual) if set(map(type, manual)) == _BOOL else list(map(bool, manual)),
        "object_number": list(map(object_numbers.get, hashes)),
        # codec's B blobs, as bytearrays: what sqlite3 binds without adaptation
        "geometry": list(map(bytearray, map(_pack_box_blob, repeat(codec.BOX), hs, ws, xs, ys))),
        "meta": meta,
    }


def _geometry_blob(geometry: dict[str, Any]) -> bytes:
    """The blob of an entry's geometry keys: packed for a lone ``boundingBox`` of four floats."""
    if len(geometry) == 1:
        box = geometry.get("boundingBox")
        if type(box) is dict and tuple(box) == _BOX_FIELDS:
            return codec.encode_box(box["h"], box["w"], box["x"], box["y"])
    return codec.NORMALISED + orjson.dumps(geometry)


def _prepared_extent(
    geometry: dict[str, Any], w_px: float, h_px: float, sized: bool, where: str, shape: str
) -> codec.Extent:
    if not geometry or not geometry.keys() <= _GEOMETRY_KEY_SET:
        raise ValidationError(f"{where}: geometry keys {list(geometry)} for shape {shape!r}")
    if not sized:
        return codec.NO_EXTENT
    try:
        return codec.extent_of(geometry, w_px, h_px)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValidationError(f"{where}: bad geometry: {exc!r}") from exc


@dataclasses.dataclass(frozen=True)
class RowIdentity:
    """Column values a composed dict takes from the store rather than from its header."""

    label_hash: str
    branch_name: str
    data_hash: str
    label_status: str


def compose_label_row(
    header: Mapping[str, Any],
    identity: RowIdentity,
    annotations: Iterable[Sequence[Any]],
    answers: Iterable[tuple[str, bytes | None, bytes | None]],
    classifications: Iterable[tuple[str, str, str, float | None, bool, bytes]],
    *,
    object_names: Mapping[str, tuple[str, str]],
    default_time: str,
) -> dict[str, Any]:
    """The Encord label-row dict of a header plus its rows (inverse of :func:`split_label_row`).

    ``annotations`` rows are ``(frame, object_hash, feature_hash, shape, x, y, w, h, theta,
    confidence, manual, object_number, geometry, meta)`` in insertion order.
    ``object_names`` maps feature hash to ``(name, color)`` from the ontology, used for rows
    written in bulk without ``meta``; ``default_time`` is their ``createdAt``.
    """
    units = {key: dict(unit) for key, unit in header["data_units"].items()}
    frame_home: dict[int, tuple[str, bool]] = {}
    sizes: dict[int, tuple[float, float]] = {}
    video_unit: str | None = None
    for key, unit in units.items():
        labels = unit["labels"]
        if _is_frame_keyed(labels):
            video_unit = key
            unit["labels"] = {fk: dict(fl) for fk, fl in labels.items()}
        else:
            frame = int(unit.get("data_sequence", 0) or 0)
            frame_home[frame] = (key, False)
            unit["labels"] = dict(labels)
            unit["labels"]["objects"] = []
        sizes[int(unit.get("data_sequence", 0) or 0)] = (
            float(unit.get("width") or 0),
            float(unit.get("height") or 0),
        )
    if video_unit is not None:
        for fl in units[video_unit]["labels"].values():
            fl["objects"] = []

    numbers: dict[str, int | None] = {}
    order: list[str] = []
    shared = _entry_templates(header.get(ENTRY_TEMPLATES_KEY))
    for row in annotations:
        (
            frame,
            object_hash,
            feature_hash,
            shape,
            x,
            y,
            w,
            h,
            theta,
            conf,
            manual,
            number,
            geo,
            meta,
        ) = row
        entry = _compose_entry(
            frame,
            object_hash,
            feature_hash,
            shape,
            (x, y, w, h, theta),
            conf,
            manual,
            geo,
            meta,
            sizes.get(frame) or sizes.get(0) or (0.0, 0.0),
            object_names,
            default_time,
            shared,
        )
        if object_hash not in numbers:
            numbers[object_hash] = number
            order.append(object_hash)
        if frame in frame_home:
            units[frame_home[frame][0]]["labels"]["objects"].append(entry)
        elif video_unit is not None:
            frames = units[video_unit]["labels"]
            frames.setdefault(str(frame), {"objects": [], "classifications": []})
            frames[str(frame)]["objects"].append(entry)
        else:
            raise ValidationError(
                f"annotation of object {object_hash} on frame {frame}: "
                "no data unit entry for that frame"
            )

    stored: dict[str, Any] = {}
    object_actions: dict[str, Any] = {}
    for object_hash, answer_blob, action_blob in answers:
        if answer_blob is not None:
            stored[object_hash] = orjson.loads(answer_blob)
        if action_blob is not None:
            object_actions[object_hash] = orjson.loads(action_blob)
    # The header keeps the saved key order; rows written in bulk have no header entry and
    # come after it (or alone), stored entries first, then objects in annotation order.
    saved_order = header.get("object_answers")
    keys = list(saved_order) if isinstance(saved_order, list) else list(stored)
    seen = set(keys)
    for object_hash in [*stored, *order]:
        if object_hash not in seen:
            seen.add(object_hash)
            keys.append(object_hash)
    object_answers: dict[str, Any] = {}
    for object_hash in keys:
        if object_hash in stored:
            object_answers[object_hash] = stored[object_hash]
            continue
        entry = {"classifications": [], "objectHash": object_hash}
        if numbers.get(object_hash) is not None:
            entry["objectNumber"] = numbers[object_hash]
        object_answers[object_hash] = entry

    classification_answers: dict[str, Any] = {}
    for c_hash, feature, ranges, conf, manual, blob in classifications:
        entry = orjson.loads(blob)
        for key, value in (
            ("classificationHash", c_hash),
            ("featureHash", feature),
            ("range", orjson.loads(ranges)),
            ("confidence", conf),
            ("manualAnnotation", manual),
        ):
            if key in entry:
                entry[key] = _restore(entry[key], value)
        classification_answers[c_hash] = entry

    values = {
        "label_hash": identity.label_hash,
        "branch_name": identity.branch_name,
        "data_hash": identity.data_hash,
        "label_status": identity.label_status,
        "object_answers": object_answers,
        "classification_answers": classification_answers,
        "object_actions": object_actions,
    }
    result = {k: values.get(k, v) for k, v in header.items() if k != ENTRY_TEMPLATES_KEY}
    result["data_units"] = units
    return result


def _compose_entry(
    frame: int,
    object_hash: str,
    feature_hash: str,
    shape: str,
    columns: tuple[float, float, float, float, float],
    confidence: float | None,
    manual: bool,
    geometry_blob: bytes | None,
    meta_blob: bytes | None,
    size: tuple[float, float],
    object_names: Mapping[str, tuple[str, str]],
    default_time: str,
    shared: list[Callable[[], dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    kind, payload = codec.decode_geometry(geometry_blob)
    if kind == "P":
        width, height = size
        if width <= 0 or height <= 0:
            raise ValidationError(
                f"object {object_hash} frame {frame}: frame size unknown, cannot normalise pixels"
            )
        columns = tuple(codec.NAN if v is None else float(v) for v in columns)  # type: ignore[assignment]
        payload = codec.to_encord_geometry(shape, payload, columns, width, height)
    if meta_blob is None:
        name, color = object_names.get(feature_hash, ("", ""))
        entry: dict[str, Any] = {
            "name": name,
            "color": color,
            "shape": shape,
            "value": "_".join(name.lower().split()),
            "createdAt": default_time,
            "createdBy": None,
            "confidence": confidence,
            "objectHash": object_hash,
            "featureHash": feature_hash,
            "manualAnnotation": bool(manual),
            **payload,
        }
        return entry
    if meta_blob[:1] == TEMPLATE_REF:
        index = int(meta_blob[1:])
        if shared is None or not 0 <= index < len(shared):
            raise ValidationError(
                f"object {object_hash} frame {frame}: entry template {index} is not in the "
                f"row's header (the store is inconsistent)"
            )
        entry = shared[index]()
    else:
        entry = orjson.loads(meta_blob)
    entry["objectHash"] = object_hash
    entry["featureHash"] = feature_hash
    entry["shape"] = shape
    if "confidence" in entry:
        entry["confidence"] = _restore(entry["confidence"], confidence)
    if "manualAnnotation" in entry:
        entry["manualAnnotation"] = bool(manual)
    entry.update(payload)
    return entry


def _entry_templates(stored: Any) -> list[Callable[[], dict[str, Any]]] | None:
    """Per stored template, a function giving a fresh copy of it (a shallow copy where the
    template holds no container, else a deep one, so entries never share a list or dict)."""
    if stored is None:
        return None
    makers: list[Callable[[], dict[str, Any]]] = []
    for template in stored:
        if any(type(v) in (dict, list) for v in template.values()):
            blob = orjson.dumps(template)
            makers.append(functools.partial(orjson.loads, blob))
        else:
            makers.append(functools.partial(dict, template))
    return makers


def _restore(placeholder: Any, value: Any) -> Any:
    """The column ``value`` in the type the placeholder records (int for ``INT_MARK``)."""
    if type(placeholder) is int:
        return int(value) if value is not None and float(value).is_integer() else value
    return value
