"""``import encord``: Encord label-row JSON (a dict, a list of dicts, or a folder of files).

Both classification layouts are read (ENCORD_COMPAT s.3.7): a row written by SDK <= 0.1.202
(per-frame ``labels[...].classifications`` entries, no ``range``) is first rewritten to the
current layout exactly as SDK >= 0.1.205 writes it, so the store and the analysis see one form.
Each row is matched to a data unit of the project by ``data_hash`` (else by unique
``data_title``), checked against the ontology (every object and classification feature hash must
exist, an object's ``shape`` must be its class's) and saved with the store's label-row save,
which replaces the row on the branch: importing the same file twice gives the same branch.
All rows are written in one transaction.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from branchmark.errors import ImportFormatError, ValidationError
from branchmark.importers.json_files import read_json_file, show_value
from branchmark.importers.report import ImportReport, Problems
from branchmark.importers.targets import OntologyObjects, Progress, WriteMode, prepare_branch
from branchmark.store import Store, catalog
from branchmark.store import label_rows as lr
from branchmark.store.label_dict import split_label_row
from branchmark.store.records import DataUnitRecord

REQUIRED_KEYS = ("data_units", "object_answers", "classification_answers", "object_actions")
_CURRENT_KEYS = (
    "range",
    "createdBy",
    "createdAt",
    "lastEditedBy",
    "lastEditedAt",
    "confidence",
    "manualAnnotation",
)


def _ranges(frames: list[int]) -> list[list[int]]:
    """Inclusive ``[start, end]`` runs of sorted distinct frames.

    >>> _ranges([0, 1, 2, 5, 7, 8])
    [[0, 2], [5, 5], [7, 8]]
    """
    out: list[list[int]] = []
    for f in sorted(set(frames)):
        if out and f == out[-1][1] + 1:
            out[-1][1] = f
        else:
            out.append([f, f])
    return out


def _frame_labels(label_dict: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    out = []
    for unit in label_dict["data_units"].values():
        labels = unit.get("labels") or {}
        if "objects" in labels or "classifications" in labels:
            out.append((int(unit.get("data_sequence", 0) or 0), labels))
        else:
            out.extend((int(k), v) for k, v in labels.items() if isinstance(v, dict))
    return out


def current_layout(label_dict: dict[str, Any]) -> dict[str, Any]:
    """``label_dict`` in the SDK >= 0.1.205 classification layout (a copy when it changes).

    Per-frame classification entries move into ``classification_answers[hash]`` as ``range``
    plus the instance's metadata (taken from its last frame entry), and the per-frame lists
    are emptied, which is what the current SDK writes for the same labels.
    """
    legacy: dict[str, list[tuple[int, dict[str, Any]]]] = {}
    for frame, labels in _frame_labels(label_dict):
        for entry in labels.get("classifications") or []:
            legacy.setdefault(entry["classificationHash"], []).append((frame, entry))
    if not legacy:
        return label_dict
    d = copy.deepcopy(label_dict)
    for _, labels in _frame_labels(d):
        if labels.get("classifications"):
            labels["classifications"] = []
    answers = d["classification_answers"]
    for h, entries in legacy.items():
        last = entries[-1][1]
        entry = answers.setdefault(
            h, {"classifications": [], "classificationHash": h, "featureHash": last["featureHash"]}
        )
        if "range" in entry:
            continue
        values = {
            "range": _ranges([f for f, _ in entries]), "createdBy": last.get("createdBy"),
            "createdAt": last.get("createdAt"), "lastEditedBy": last.get("lastEditedBy"),
            "lastEditedAt": last.get("lastEditedAt"), "confidence": last.get("confidence", 1.0),
            "manualAnnotation": last.get("manualAnnotation", True),
        }  # fmt: skip
        answers[h] = {**{k: v for k, v in entry.items() if k not in _CURRENT_KEYS}, **values}
    return d


def read_label_rows(path: str | Path) -> list[tuple[str, int | None, Any]]:
    """``(file, index in file or None, row)`` for a file holding a row or a list of rows, or a
    folder of such ``.json`` files (sorted by name)."""
    source = Path(path)
    files = sorted(source.glob("*.json")) if source.is_dir() else [source]
    if source.is_dir() and not files:
        raise ImportFormatError(f"{source}: folder holds no .json files")
    out: list[tuple[str, int | None, Any]] = []
    for file in files:
        data = read_json_file(file)
        if isinstance(data, list):
            out.extend((str(file), i, row) for i, row in enumerate(data))
        else:
            out.append((str(file), None, data))
    return out


def _check_row(
    d: Any, ontology: OntologyObjects, classification_hashes: frozenset[str], where: str
) -> str | None:
    """The first problem of a label-row dict, or None."""
    if not isinstance(d, dict):
        return f"expected a label-row object, got {show_value(d)}"
    for key in REQUIRED_KEYS:
        if not isinstance(d.get(key), dict):
            return f'field "{key}": expected an object, got {show_value(d.get(key, None))}'
    shapes = {c.feature_hash: c.shape for c in ontology.classes}
    for frame, labels in _frame_labels(d):
        for i, entry in enumerate(labels.get("objects") or []):
            if not isinstance(entry, dict):
                return f"frame {frame}: objects[{i}]: expected an object"
            feature = entry.get("featureHash")
            if feature not in shapes:
                return (
                    f"frame {frame}: objects[{i}] (object {entry.get('objectHash')}): field "
                    f'"featureHash": {show_value(feature)} is not an object of the ontology'
                )
            if entry.get("shape") != shapes[feature]:
                return (
                    f"frame {frame}: objects[{i}] (object {entry.get('objectHash')}): field "
                    f'"shape": {show_value(entry.get("shape"))}, '
                    f"the ontology says {shapes[feature]!r}"
                )
    for h, entry in d["classification_answers"].items():
        feature = entry.get("featureHash") if isinstance(entry, dict) else None
        if feature not in classification_hashes:
            return (
                f'classification_answers[{h!r}]: field "featureHash": {show_value(feature)} is '
                "not a classification of the ontology"
            )
    return None


def _unit_for(
    d: dict[str, Any], by_hash: dict[str, DataUnitRecord], by_title: dict[str, list[DataUnitRecord]]
) -> DataUnitRecord | str:
    unit = by_hash.get(str(d.get("data_hash")))
    if unit is not None:
        return unit
    matches = by_title.get(str(d.get("data_title")), [])
    if len(matches) == 1:
        return matches[0]
    what = "several data units have" if matches else "no data unit has"
    return (
        f'field "data_hash": {show_value(d.get("data_hash"))} is not in the project and {what} '
        f"the title {show_value(d.get('data_title'))}"
    )


def import_encord(
    store: Store,
    path: str | Path,
    *,
    project: str,
    branch: str,
    skip_invalid: bool = False,
    mode: WriteMode | str = WriteMode.NEW,
    progress: Progress | None = None,
) -> ImportReport:
    """Import Encord label rows at ``path`` into ``branch`` of ``project`` (one transaction).

    ``mode``: ``new`` refuses a branch holding labels, ``replace`` clears the branch first,
    ``append`` keeps the branch's other rows (a row in the file always replaces its data unit's
    row).  Returns counts per class and shape.

    Examples
    --------
    >>> # import_encord(store, "label_rows/", project="fruit", branch="yolo-v8.run_01")
    """
    started = time.perf_counter()
    problems = Problems(skip_invalid=skip_invalid)
    rows = read_label_rows(path)
    per_class: dict[str, int] = {}
    per_shape: dict[str, int] = {}
    with store.write() as conn:
        record = catalog.get_project(conn, project)
        ontology_dict = catalog.get_ontology(conn, record.id)
        ontology = OntologyObjects.from_ontology(ontology_dict)
        classification_hashes = frozenset(
            str(c.get("featureNodeHash")) for c in ontology_dict.get("classifications", [])
        )
        units = catalog.get_data_units(conn, record.id)
        by_hash = {u.data_hash: u for u in units}
        by_title: dict[str, list[DataUnitRecord]] = {}
        for u in units:
            by_title.setdefault(u.title, []).append(u)
        accepted: list[tuple[str, DataUnitRecord, dict[str, Any]]] = []
        seen: dict[int, str] = {}
        for file, index, d in rows:
            where = f"{file}: label_rows[{index}]" if index is not None else file
            if isinstance(d, dict):
                where += f" (data {show_value(d.get('data_title'))})"
            problem = _check_row(d, ontology, classification_hashes, where)
            unit = None if problem else _unit_for(d, by_hash, by_title)
            if isinstance(unit, str):
                problem = unit
            elif unit is not None and unit.id in seen:
                problem = (
                    f"a second label row for data unit {unit.title!r} (first: {seen[unit.id]})"
                )
            if problem is not None or not isinstance(unit, DataUnitRecord):
                problems.fail(f"{where}: {problem}")
                continue
            seen[unit.id] = where
            fixed = current_layout(d)
            try:
                split_label_row(fixed, frame_size=unit.frame_size)
            except (ValidationError, KeyError, TypeError, ValueError, AttributeError) as exc:
                problems.fail(f"{where}: {getattr(exc, 'message', None) or exc!r}")
                continue
            accepted.append((where, unit, fixed))
        target = prepare_branch(conn, record.id, branch, mode=WriteMode(mode))
        names = ontology.names()
        requests = []
        for done, (_, unit, d) in enumerate(accepted, start=1):
            existing = lr.get_label_row(conn, data_unit_id=unit.id, branch_id=target.id)
            row = {
                **d,
                "label_hash": existing.label_hash if existing else None,
                "branch_name": branch,
                "data_hash": unit.data_hash,
            }
            requests.append(lr.SaveRequest(unit, target, existing.label_hash if existing else None,
                                           existing.revision if existing else 0, row))  # fmt: skip
            for _, labels in _frame_labels(d):
                for entry in labels.get("objects") or []:
                    name = names.get(entry["featureHash"], entry["featureHash"])
                    per_class[name] = per_class.get(name, 0) + 1
                    per_shape[entry["shape"]] = per_shape.get(entry["shape"], 0) + 1
            if progress is not None:
                progress(done, len(accepted))
        _save(conn, requests)
    return ImportReport(
        source=str(path), project=record.title, branch=branch, imported=sum(per_class.values()),
        per_class=dict(sorted(per_class.items(), key=lambda kv: (-kv[1], kv[0]))),
        per_shape=dict(sorted(per_shape.items(), key=lambda kv: (-kv[1], kv[0]))),
        skipped=problems.skipped, reasons=tuple(problems.reasons),
        seconds=time.perf_counter() - started, label_rows=len(requests),
        replaced=WriteMode(mode) is WriteMode.REPLACE,
    )  # fmt: skip


def _save(conn: sa.Connection, requests: list[lr.SaveRequest]) -> None:
    try:
        lr.save_label_rows(conn, requests)
    except ValidationError as exc:
        raise ImportFormatError(exc.message) from exc
