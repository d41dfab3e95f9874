"""``import yolo``: a folder of YOLO txt files (one per image) into a branch.

Lines are ``class cx cy w h [conf]`` (a box) or ``class x1 y1 x2 y2 ... [conf]`` (a segment
polygon of at least 3 points), coordinates normalised to the image.  A line of 5 or 6 numbers is
a box; 7 or more: an odd count is a polygon, an even count a polygon plus confidence.  Class
indices are named by ``data.yaml`` (``names`` list or mapping) or a names file (one per line) and
matched to ontology objects by name: a box needs a ``bounding_box`` object, a polygon a
``polygon`` object.  A txt file is matched to the data unit whose title has the same stem.
Without a confidence the row is ground truth style (1.0, manual); with one it is a prediction.

When ``data.yaml`` has ``kpt_shape: [K, 2|3]`` the dataset is a pose dataset (Ultralytics): every
line is ``class cx cy w h`` plus K points ``x y [v]`` (and an optional confidence), and its class
needs a ``skeleton`` object whose template has K points; see :mod:`.yolo_pose`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml  # type: ignore[import-untyped]  # no stubs in our dependencies (types-PyYAML)

from branchmark.errors import ImportFormatError
from branchmark.importers.json_files import show_value
from branchmark.importers.report import ImportReport, Problems
from branchmark.importers.targets import (
    AnnotationRows,
    FrameTarget,
    ObjectClass,
    OntologyObjects,
    Progress,
    WriteMode,
    count_by,
    frame_target,
    prepare_branch,
    write_rows,
)
from branchmark.importers.yolo_pose import (
    PoseShape,
    parse_pose_line,
    pose_payload,
    read_pose_shape,
    template_points,
)
from branchmark.store import Store, catalog, codec


def read_class_names(path: str | Path) -> list[str]:
    """Class names by index from a ``data.yaml`` (``names:`` list or ``{index: name}``) or a
    plain names file (one name per line).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "data.yaml"
    >>> _ = f.write_text("names:\\n  0: person\\n  1: bicycle\\n")
    >>> read_class_names(f)
    ['person', 'bicycle']
    """
    return _read_names_file(Path(path))[0]


def _read_names_file(file: Path) -> tuple[list[str], Any]:
    """Class names and the parsed YAML (None for a plain names file)."""
    data = None
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ImportFormatError(f"{file}: no such file") from None
    except UnicodeDecodeError as exc:
        raise ImportFormatError(
            f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        ) from None
    if file.suffix.lower() not in (".yaml", ".yml"):
        names = [line.strip() for line in text.splitlines() if line.strip()]
    else:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ImportFormatError(f"{file}: not valid YAML: {exc}") from None
        raw = data.get("names") if isinstance(data, dict) else None
        if (
            isinstance(raw, dict)
            and all(type(k) is int for k in raw)
            and sorted(raw) == list(range(len(raw)))
        ):
            names = [raw[k] for k in range(len(raw))]
        elif isinstance(raw, list):
            names = raw
        else:
            raise ImportFormatError(
                f'{file}: field "names": expected a list or {{0: name, 1: ...}}, got '
                f"{show_value(raw)}"
            )
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ImportFormatError(f"{file}: expected non-empty class names, got {show_value(names)}")
    return names, data


def _parse_line(line: str) -> tuple[int, list[float], float | None] | str:
    parts = line.split()
    try:
        cls = int(parts[0])
        values = [float(v) for v in parts[1:]]
    except ValueError:
        return f"expected 'class x y ...' numbers, got {line.strip()!r}"
    if cls < 0:
        return f"class index {cls} is negative"
    if not all(np.isfinite(values)):
        return "coordinates must be finite numbers"
    count = len(values)
    if count in (4, 5):
        coords, conf = values[:4], (values[4] if count == 5 else None)
    elif count >= 6 and count % 2 == 0:
        coords, conf = values, None
    elif count >= 7:
        coords, conf = values[:-1], values[-1]
    else:
        return (
            f"{count} numbers after the class: expected 4 (box), 5 (box + conf) or a polygon of "
            "at least 3 points"
        )
    if conf is not None and not 0.0 <= conf <= 1.0:
        return f"confidence {conf} is outside [0, 1]"
    return cls, coords, conf


Row = tuple[ObjectClass, list[float], float | None, bytes | None]
"""An imported line: class, pixel ``xywh`` box, confidence (None: ground truth), geometry."""


def _class_problem(
    cls_index: int,
    classes: list[ObjectClass | None],
    class_names: list[str],
    *,
    names: str | Path,
    wanted: str,
    kind: str,
) -> str | None:
    """Why class ``cls_index`` cannot take a ``kind`` line (None: it can, as ``wanted``)."""
    if cls_index >= len(class_names):
        return f"class {cls_index} is not in {names} ({len(class_names)} names)"
    cls = classes[cls_index]
    if cls is None:
        return f"class {cls_index} ({class_names[cls_index]!r}) is not an object of the ontology"
    if cls.shape != wanted:
        return f"a {kind} line for {cls.name!r}, a {cls.shape} object"
    return None


def _row(
    line: str,
    classes: list[ObjectClass | None],
    class_names: list[str],
    *,
    names: str | Path,
    target: FrameTarget,
) -> Row | str:
    """A box or segment line as a row, or its problem."""
    parsed = _parse_line(line)
    if isinstance(parsed, str):
        return parsed
    cls_index, coords, conf = parsed
    points = np.array(coords, dtype=np.float64)
    wanted = "bounding_box" if len(coords) == 4 else "polygon"
    kind = wanted.replace("_", " ")
    problem = _class_problem(cls_index, classes, class_names, names=names, wanted=wanted, kind=kind)
    if problem is not None:
        return problem
    if (points < 0).any() or (points > 1).any():
        return f"coordinates must be normalised to [0, 1], got {show_value(coords)}"
    cls = classes[cls_index]
    assert cls is not None  # _class_problem refused a missing class
    w, h = target.width, target.height
    if wanted == "bounding_box":
        cx, cy, bw, bh = coords
        return cls, [(cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h], conf, None
    xs, ys = points[0::2] * w, points[1::2] * h
    box = [xs.min(), ys.min(), xs.max() - xs.min(), ys.max() - ys.min()]
    ring = np.stack([xs, ys], axis=1).reshape(-1).tolist()
    return cls, box, conf, codec.encode_pixels({"polygons": [[ring]]})


def _pose_row(
    line: str,
    pose: PoseShape,
    classes: list[ObjectClass | None],
    class_names: list[str],
    *,
    names: str | Path,
    target: FrameTarget,
) -> Row | str:
    """A pose line as a skeleton row, or its problem."""
    parsed = parse_pose_line(line, pose, source=names)
    if isinstance(parsed, str):
        return parsed
    problem = _class_problem(
        parsed.cls, classes, class_names, names=names, wanted="skeleton", kind="pose"
    )
    if problem is not None:
        return problem
    cls = classes[parsed.cls]
    assert cls is not None  # _class_problem refused a missing class
    count = len(template_points(cls.template))
    if count != pose.points:
        return (
            f'field "kpt_shape": kpt_shape [{pose.points}, {pose.dims}] of {names} gives '
            f"{pose.points} keypoints, the ontology's skeleton {cls.name!r} has {count} points"
        )
    w, h = target.width, target.height
    cx, cy, bw, bh = parsed.box
    box = [(cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h]
    payload = pose_payload(parsed, cls.template, pose, width=w, height=h)
    return cls, box, parsed.confidence, codec.encode_pixels(payload)


def import_yolo(
    store: Store,
    folder: str | Path,
    *,
    project: str,
    branch: str,
    names: str | Path | None = None,
    skip_invalid: bool = False,
    mode: WriteMode | str = WriteMode.NEW,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the YOLO txt files of ``folder`` (or its ``labels/``) into ``branch``.

    ``names`` is ``data.yaml`` or a names file; by default ``data.yaml`` in ``folder`` or its
    parent.  A ``kpt_shape`` in it makes every line a pose line (a ``skeleton`` annotation).
    Coordinates must lie in [0, 1]; errors name the file, line and value.

    Examples
    --------
    >>> # import_yolo(store, "runs/detect/predict/labels", project="p", branch="yolo-v8")
    """
    started = time.perf_counter()
    problems = Problems(skip_invalid=skip_invalid)
    root = Path(folder)
    if not root.is_dir():
        raise ImportFormatError(f"{root}: not a folder of YOLO txt files")
    labels = root / "labels" if (root / "labels").is_dir() else root
    if names is None:
        found = [
            p
            for p in (root / "data.yaml", root.parent / "data.yaml", labels.parent / "data.yaml")
            if p.is_file()
        ]
        if not found:
            raise ImportFormatError(f"{root}: no data.yaml found; give the class names file")
        names = found[0]
    class_names, data = _read_names_file(Path(names))
    pose = read_pose_shape(data, source=names)
    files = sorted(labels.glob("*.txt"))
    columns: dict[str, list[Any]] = {
        k: [] for k in ("unit", "frame", "cls", "box", "conf", "geometry")
    }
    with store.write() as conn:
        record = catalog.get_project(conn, project)
        ontology = OntologyObjects.from_ontology(catalog.get_ontology(conn, record.id))
        classes: list[ObjectClass | None] = [ontology.by_name(n) for n in class_names]
        units: dict[str, list[Any]] = {}
        for u in catalog.get_data_units(conn, record.id):
            units.setdefault(Path(u.title).stem, []).append(u)
        for file in files:
            matches = units.get(file.stem, [])
            if len(matches) != 1:
                what = "several data units have" if matches else "no data unit has"
                problems.fail(f"{file}: {what} the title stem {file.stem!r}")
                continue
            target = frame_target(matches[0], 0, where=str(file))
            try:
                text = file.read_bytes().decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.fail(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})")
                continue
            for number, line in enumerate(text.splitlines(), start=1):
                if not line.strip():
                    continue
                where = f"{file}:{number}"
                if pose is not None:
                    row = _pose_row(line, pose, classes, class_names, names=names, target=target)
                else:
                    row = _row(line, classes, class_names, names=names, target=target)
                if isinstance(row, str):
                    problems.fail(f"{where}: {row}")
                    continue
                for key, value in zip(("cls", "box", "conf", "geometry"), row, strict=True):
                    columns[key].append(value)
                columns["unit"].append(target.data_unit_id)
                columns["frame"].append(0)
        n = len(columns["unit"])
        boxes = np.array(columns["box"], dtype=np.float64).reshape(n, 4)
        confidence = np.array([1.0 if c is None else c for c in columns["conf"]], dtype=np.float64)
        rows = AnnotationRows(
            data_unit_id=np.array(columns["unit"], dtype=np.int64),
            frame=np.zeros(n, np.int64),
            feature_hash=np.array([c.feature_hash for c in columns["cls"]], dtype=object),
            shape=np.array([c.shape for c in columns["cls"]], dtype=object),
            x=boxes[:, 0],
            y=boxes[:, 1],
            w=boxes[:, 2],
            h=boxes[:, 3],
            area=np.full(n, np.nan),
            iscrowd=np.zeros(n, bool),
            confidence=confidence,
            manual=np.array([c is None for c in columns["conf"]], dtype=bool),
            geometry=columns["geometry"]
            if any(g is not None for g in columns["geometry"])
            else None,
        )
        target_branch = prepare_branch(conn, record.id, branch, mode=WriteMode(mode))
        touched = write_rows(conn, target_branch, rows, progress=progress)
    return ImportReport(
        source=str(folder), project=record.title, branch=branch, imported=n,
        per_class=count_by(rows.feature_hash, ontology.names()), per_shape=count_by(rows.shape),
        skipped=problems.skipped, reasons=tuple(problems.reasons),
        seconds=time.perf_counter() - started, label_rows=touched,
        replaced=WriteMode(mode) is WriteMode.REPLACE,
    )  # fmt: skip
