"""Projects, ontology versions, data units and branches: creating, finding, listing.

Every function takes a connection from ``Store.read()`` / ``Store.write()`` so callers can put
several calls in one transaction.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa

from branchmark.errors import (
    BranchNotFound,
    ConflictError,
    DataUnitNotFound,
    InvalidBranchName,
    ProjectNotFound,
    StoreError,
    ValidationError,
)
from branchmark.store import schema as t
from branchmark.store.records import (
    BranchKind,
    BranchRecord,
    DataUnitRecord,
    FrameRecord,
    ProjectRecord,
    as_utc,
)

MAIN_BRANCH = "main"
BRANCH_NAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")


def _inserted_id(statement: sa.Insert, conn: sa.Connection) -> int:
    """Primary key of the row ``statement`` inserts."""
    key = conn.execute(statement).inserted_primary_key
    if key is None:
        raise StoreError(f"{statement.table.name}: the database returned no primary key")
    return int(key[0])


def utc_now() -> datetime:
    """Now, naive UTC (how times are stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def validate_branch_name(name: object) -> str:
    """Return ``name`` if it matches ``^[A-Za-z0-9._-]+$``, else raise ``InvalidBranchName``."""
    if not isinstance(name, str) or not BRANCH_NAME_RE.fullmatch(name):
        raise InvalidBranchName(
            f"invalid branch name {name!r}: use ASCII letters, digits, '-', '_' and '.' only"
        )
    return name


# -- projects --------------------------------------------------------------------------------


def _project(row: sa.Row[Any]) -> ProjectRecord:
    return ProjectRecord(
        id=row.id,
        project_hash=row.project_hash,
        title=row.title,
        description=row.description,
        ontology_version=row.ontology_version,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
    )


def create_project(
    conn: sa.Connection,
    title: str,
    ontology: dict[str, Any],
    *,
    description: str = "",
    project_hash: str | None = None,
) -> ProjectRecord:
    """Create a project with ``ontology`` (Encord ontology JSON dict) as version 1 and ``main``."""
    if not isinstance(title, str) or not title.strip():
        raise ValidationError(f"project title must be a non-empty string, got {title!r}")
    if conn.execute(sa.select(t.projects.c.id).where(t.projects.c.title == title)).first():
        raise ConflictError(f"a project titled {title!r} already exists")
    project_hash = str(uuid.UUID(project_hash)) if project_hash else str(uuid.uuid4())
    now = utc_now()
    project_id = _inserted_id(
        t.projects.insert().values(
            project_hash=project_hash, title=title, description=description, created_at=now
        ),
        conn,
    )
    set_ontology(conn, project_id, ontology)
    create_branch(conn, project_id, MAIN_BRANCH, kind=BranchKind.MAIN)
    return get_project(conn, project_hash)


def get_project(conn: sa.Connection, hash_or_title: str) -> ProjectRecord:
    """The project with this hash, else this title; ``ProjectNotFound`` names what was asked."""
    row = conn.execute(
        sa.select(t.projects).where(t.projects.c.project_hash == str(hash_or_title))
    ).first()
    if row is None:
        row = conn.execute(
            sa.select(t.projects).where(t.projects.c.title == str(hash_or_title))
        ).first()
    if row is None:
        raise ProjectNotFound(f"no project with hash or title {hash_or_title!r}")
    return _project(row)


def list_projects(conn: sa.Connection) -> list[ProjectRecord]:
    """Every project, by title."""
    return [_project(r) for r in conn.execute(sa.select(t.projects).order_by(t.projects.c.title))]


def set_ontology(conn: sa.Connection, project_id: int, ontology: dict[str, Any]) -> int:
    """Record ``ontology`` as the project's next version and make it current; return it."""
    if not isinstance(ontology, dict) or "objects" not in ontology:
        raise ValidationError("ontology must be an Encord ontology dict with an 'objects' list")
    current = conn.execute(
        sa.select(sa.func.max(t.ontology_versions.c.version)).where(
            t.ontology_versions.c.project_id == project_id
        )
    ).scalar_one()
    version = (current or 0) + 1
    conn.execute(
        t.ontology_versions.insert().values(
            project_id=project_id,
            version=version,
            structure=orjson.dumps(ontology).decode(),
            created_at=utc_now(),
        )
    )
    conn.execute(
        t.projects.update().where(t.projects.c.id == project_id).values(ontology_version=version)
    )
    return version


def get_ontology(
    conn: sa.Connection, project_id: int, version: int | None = None
) -> dict[str, Any]:
    """The project's ontology dict (the current version unless ``version`` is given)."""
    if version is None:
        version = conn.execute(
            sa.select(t.projects.c.ontology_version).where(t.projects.c.id == project_id)
        ).scalar_one()
    text = conn.execute(
        sa.select(t.ontology_versions.c.structure).where(
            t.ontology_versions.c.project_id == project_id, t.ontology_versions.c.version == version
        )
    ).scalar_one_or_none()
    if text is None:
        raise ProjectNotFound(f"project {project_id} has no ontology version {version}")
    result: dict[str, Any] = orjson.loads(text)
    return result


def object_names(ontology: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Feature hash → ``(name, color)`` of the ontology's objects."""
    return {
        str(o.get("featureNodeHash")): (str(o.get("name", "")), str(o.get("color", "")))
        for o in ontology.get("objects", [])
    }


# -- data units ------------------------------------------------------------------------------


def add_data_unit(
    conn: sa.Connection,
    project_id: int,
    *,
    title: str,
    data_type: str,
    width: int | None,
    height: int | None,
    frames: int = 1,
    fps: float | None = None,
    duration: float | None = None,
    media_path: str = "",
    data_link: str = "",
    file_type: str = "",
    data_hash: str | None = None,
    dataset_hash: str = "",
    dataset_title: str = "",
    client_metadata: dict[str, Any] | None = None,
    frame_media: Sequence[FrameRecord] = (),
) -> DataUnitRecord:
    """Add a data unit (and, for an image group, one ``data_unit_frames`` row per image)."""
    if not isinstance(frames, int) or frames < 1:
        raise ValidationError(f"data unit {title!r}: frames must be a positive int, got {frames!r}")
    for name, value in (("width", width), ("height", height)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValidationError(
                f"data unit {title!r}: {name} must be a positive int, got {value!r}"
            )
    data_hash = str(uuid.UUID(data_hash)) if data_hash else str(uuid.uuid4())
    data_unit_id = _inserted_id(
        t.data_units.insert().values(
            project_id=project_id,
            data_hash=data_hash,
            title=title,
            data_type=data_type,
            width=width,
            height=height,
            frames=frames,
            fps=fps,
            duration=duration,
            media_path=media_path,
            data_link=data_link,
            file_type=file_type,
            dataset_hash=dataset_hash,
            dataset_title=dataset_title,
            client_metadata=None
            if client_metadata is None
            else orjson.dumps(client_metadata).decode(),
            created_at=utc_now(),
        ),
        conn,
    )
    if frame_media:
        conn.execute(
            t.data_unit_frames.insert(),
            [{"data_unit_id": data_unit_id, **vars(f)} for f in frame_media],
        )
    return get_data_units(conn, project_id, data_unit_ids=[data_unit_id])[0]


def get_data_units(
    conn: sa.Connection,
    project_id: int,
    *,
    data_unit_ids: Iterable[int] | None = None,
    data_hashes: Iterable[str] | None = None,
    title_eq: str | None = None,
    title_like: str | None = None,
) -> list[DataUnitRecord]:
    """Data units of a project matching every filter given, in creation order."""
    du = t.data_units
    query = sa.select(du).where(du.c.project_id == project_id).order_by(du.c.id)
    if data_unit_ids is not None:
        query = query.where(du.c.id.in_(list(data_unit_ids)))
    if data_hashes is not None:
        query = query.where(du.c.data_hash.in_([str(h) for h in data_hashes]))
    if title_eq is not None:
        query = query.where(du.c.title == title_eq)
    if title_like is not None:
        query = query.where(du.c.title.like(title_like))
    rows = conn.execute(query).all()
    frames: dict[int, list[FrameRecord]] = {}
    ids = [r.id for r in rows]
    if ids:
        f = t.data_unit_frames
        for fr in conn.execute(
            sa.select(f).where(f.c.data_unit_id.in_(ids)).order_by(f.c.data_unit_id, f.c.frame)
        ):
            frames.setdefault(fr.data_unit_id, []).append(
                FrameRecord(
                    frame=fr.frame,
                    image_hash=fr.image_hash,
                    title=fr.title,
                    width=fr.width,
                    height=fr.height,
                    media_path=fr.media_path,
                    data_link=fr.data_link,
                    file_type=fr.file_type,
                )
            )
    return [
        DataUnitRecord(
            id=r.id,
            project_id=r.project_id,
            data_hash=r.data_hash,
            title=r.title,
            data_type=r.data_type,
            width=r.width,
            height=r.height,
            frames=r.frames,
            fps=r.fps,
            duration=r.duration,
            media_path=r.media_path,
            data_link=r.data_link,
            file_type=r.file_type,
            dataset_hash=r.dataset_hash,
            dataset_title=r.dataset_title,
            client_metadata=None if r.client_metadata is None else orjson.loads(r.client_metadata),
            created_at=as_utc(r.created_at),  # type: ignore[arg-type]
            frame_media=tuple(frames.get(r.id, ())),
        )
        for r in rows
    ]


def get_data_unit(conn: sa.Connection, project_id: int, data_hash: str) -> DataUnitRecord:
    """One data unit by hash; ``DataUnitNotFound`` otherwise."""
    found = get_data_units(conn, project_id, data_hashes=[data_hash])
    if not found:
        raise DataUnitNotFound(f"no data unit with hash {data_hash!r} in this project")
    return found[0]


# -- branches --------------------------------------------------------------------------------


def _branch(row: sa.Row[Any]) -> BranchRecord:
    return BranchRecord(
        id=row.id,
        project_id=row.project_id,
        name=row.name,
        kind=BranchKind(row.kind),
        meta=orjson.loads(row.meta),
        revision=row.revision,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
    )


def create_branch(
    conn: sa.Connection,
    project_id: int,
    name: str,
    *,
    kind: BranchKind | str | None = None,
    meta: dict[str, Any] | None = None,
) -> BranchRecord:
    """Create branch ``name`` (kind: main for ``main``, else prediction unless given)."""
    validate_branch_name(name)
    kind = (
        BranchKind(kind)
        if kind is not None
        else (BranchKind.MAIN if name == MAIN_BRANCH else BranchKind.PREDICTION)
    )
    conn.execute(
        t.branches.insert().values(
            project_id=project_id,
            name=name,
            kind=kind.value,
            meta=orjson.dumps(meta or {}).decode(),
            created_at=utc_now(),
        )
    )
    return get_branch(conn, project_id, name)


def get_branch(conn: sa.Connection, project_id: int, name: str) -> BranchRecord:
    """Branch ``name`` of the project; ``BranchNotFound`` otherwise."""
    validate_branch_name(name)
    row = conn.execute(
        sa.select(t.branches).where(
            t.branches.c.project_id == project_id, t.branches.c.name == name
        )
    ).first()
    if row is None:
        raise BranchNotFound(f"no branch {name!r} in this project")
    return _branch(row)


def ensure_branch(conn: sa.Connection, project_id: int, name: str) -> BranchRecord:
    """Branch ``name``, created (as Encord does, implicitly) when it does not exist yet."""
    try:
        return get_branch(conn, project_id, name)
    except BranchNotFound:
        return create_branch(conn, project_id, name)


def list_branches(conn: sa.Connection, project_id: int) -> list[BranchRecord]:
    """Every branch of the project, ``main`` first, then by name."""
    rows = conn.execute(
        sa.select(t.branches)
        .where(t.branches.c.project_id == project_id)
        .order_by(t.branches.c.name)
    )
    branches = [_branch(r) for r in rows]
    return sorted(branches, key=lambda b: (b.name != MAIN_BRANCH, b.name))


def set_branch_meta(
    conn: sa.Connection, project_id: int, name: str, meta: dict[str, Any]
) -> BranchRecord:
    """Replace the branch's free-form metadata (model name, version, notes ...)."""
    branch = get_branch(conn, project_id, name)
    conn.execute(
        t.branches.update()
        .where(t.branches.c.id == branch.id)
        .values(meta=orjson.dumps(meta).decode())
    )
    return get_branch(conn, project_id, name)


def bump_branch_revision(conn: sa.Connection, branch_ids: Iterable[int]) -> None:
    """Count one more write into each branch (for stale-analysis detection)."""
    ids = sorted(set(branch_ids))
    if ids:
        conn.execute(
            t.branches.update()
            .where(t.branches.c.id.in_(ids))
            .values(revision=t.branches.c.revision + 1)
        )
