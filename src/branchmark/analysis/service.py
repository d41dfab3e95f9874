"""Running and managing analyses: analyse, reanalyse, list, get, delete, stale check.

An analysis is a named run ``(branch, ground truth, match mode, protocol)`` of a project.
:func:`analyse` creates it (or re-runs it when the name exists with the same parameters), records
a job, computes outside any write transaction (reading one consistent snapshot), and commits the
result, the job's ``done`` and the removal of the previous result in one transaction: readers
see the old result or the new one, never a mix, and a failed or killed run changes no result.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from datetime import UTC
from typing import Any

import orjson
import sqlalchemy as sa

from branchmark.analysis import jobs
from branchmark.analysis.compute import PROTOCOL_VERSION, Progress, compute_outputs, load_inputs
from branchmark.analysis.persist import write_result
from branchmark.analysis.queries import remember_outcomes
from branchmark.analysis.records import AnalysisRecord, JobStatus, ResultInfo, Staleness
from branchmark.errors import AnalysisNotFound, BranchmarkError, ConflictError, ValidationError
from branchmark.evaluation import MatchMode
from branchmark.store import Store, catalog
from branchmark.store import analysis_schema as s
from branchmark.store import schema as t
from branchmark.store.records import ProjectRecord, as_utc

PROTOCOLS = ("coco",)


def default_name(branch: str, ground_truth: str, mode: MatchMode) -> str:
    """``<branch>-vs-<ground truth>-<mode>``, e.g. ``yolo.v8-vs-main-strict``."""
    return f"{branch}-vs-{ground_truth}-{mode.value}"


def _staleness(conn: sa.Connection, row: Any, result: ResultInfo | None) -> Staleness:
    """What changed since ``result`` was computed: either branch's revision, the ontology
    version, or the protocol version (a result of another ``PROTOCOL_VERSION`` holds numbers
    this code no longer computes)."""
    if result is None:
        return Staleness(False)
    branches = {b.id: b for b in catalog.list_branches(conn, row.project_id)}
    version = conn.execute(
        sa.select(t.projects.c.ontology_version).where(t.projects.c.id == row.project_id)
    ).scalar_one()
    changes = []
    for label, branch_id, seen in (
        ("ground truth", row.gt_branch_id, result.gt_revision),
        ("predictions", row.branch_id, result.pred_revision),
    ):
        branch = branches[branch_id]
        if branch.revision != seen:
            changes.append(
                f"{label} branch {branch.name!r} changed (revision {seen} -> {branch.revision})"
            )
    if int(version) != result.ontology_version:
        changes.append(f"ontology changed (version {result.ontology_version} -> {version})")
    if result.protocol_version != PROTOCOL_VERSION:
        changes.append(
            f"protocol changed (version {result.protocol_version} -> {PROTOCOL_VERSION})"
        )
    return Staleness(bool(changes), tuple(changes))


def _records(conn: sa.Connection, project_id: int, where: list[Any]) -> list[AnalysisRecord]:
    a, r = s.analyses, s.analysis_results
    rows = conn.execute(
        sa.select(
            a,
            r.c.id.label("result_id"),
            r.c.created_at.label("result_at"),
            r.c.protocol_version,
            r.c.ontology_version,
            r.c.gt_revision,
            r.c.pred_revision,
            r.c.summary,
        )
        .outerjoin(r, r.c.analysis_id == a.c.id)
        .where(a.c.project_id == project_id, *where)
        .order_by(a.c.name)
    ).all()
    names = {b.id: b.name for b in catalog.list_branches(conn, project_id)}
    latest = jobs.latest_jobs(conn, [int(row.id) for row in rows])
    out = []
    for row in rows:
        result = None
        if row.result_id is not None:
            result = ResultInfo(
                int(row.result_id),
                row.result_at.replace(tzinfo=UTC)
                if row.result_at.tzinfo is None
                else row.result_at,
                row.protocol_version,
                int(row.ontology_version),
                int(row.gt_revision),
                int(row.pred_revision),
            )
        out.append(
            AnalysisRecord(
                id=int(row.id),
                name=row.name,
                branch=names[row.branch_id],
                ground_truth=names[row.gt_branch_id],
                match_mode=row.match_mode,
                protocol=row.protocol,
                params=orjson.loads(row.params),
                created_at=as_utc(row.created_at),  # type: ignore[arg-type]
                job=latest.get(int(row.id)),
                result=result,
                staleness=_staleness(conn, row, result),
                summary=None if row.summary is None else orjson.loads(row.summary),
            )
        )
    return out


def _where(name_or_id: str | int) -> Any:
    a = s.analyses
    if isinstance(name_or_id, int) or (isinstance(name_or_id, str) and name_or_id.isdigit()):
        return sa.or_(a.c.id == int(name_or_id), a.c.name == str(name_or_id))
    return a.c.name == str(name_or_id)


def get_analysis(store: Store, project: ProjectRecord, name_or_id: str | int) -> AnalysisRecord:
    """One analysis by name or id (``AnalysisNotFound`` otherwise)."""
    with store.read() as conn:
        found = _records(conn, project.id, [_where(name_or_id)])
    if not found:
        raise AnalysisNotFound(f"no analysis {name_or_id!r} in project {project.title!r}")
    return found[0]


def list_analyses(
    store: Store, project: ProjectRecord, *, branch: str | None = None
) -> list[AnalysisRecord]:
    """Every analysis of the project (of one prediction branch when given), by name."""
    with store.read() as conn:
        where = []
        if branch is not None:
            where.append(s.analyses.c.branch_id == catalog.get_branch(conn, project.id, branch).id)
        return _records(conn, project.id, where)


def delete_analysis(store: Store, project: ProjectRecord, name_or_id: str | int) -> None:
    """Delete an analysis with its jobs, result and per-object rows (one transaction)."""
    record = get_analysis(store, project, name_or_id)
    with store.write() as conn:
        conn.execute(s.analyses.delete().where(s.analyses.c.id == record.id))


def _prepare(
    store: Store,
    project: ProjectRecord,
    *,
    branch: str,
    ground_truth: str,
    mode: MatchMode,
    protocol: str,
    name: str,
) -> tuple[int, int]:
    """Create (or find, with the same parameters) the analysis and queue a job."""
    catalog.validate_branch_name(name)  # analysis names follow the branch-name rule
    a = s.analyses
    with store.write() as conn:
        gt = catalog.get_branch(conn, project.id, ground_truth)
        dt = catalog.get_branch(conn, project.id, branch)
        if gt.id == dt.id:
            raise ValidationError(f"cannot analyse branch {branch!r} against itself")
        row = conn.execute(
            sa.select(a).where(a.c.project_id == project.id, a.c.name == name)
        ).first()
        if row is None:
            analysis_id = conn.execute(
                a.insert()
                .values(
                    project_id=project.id,
                    name=name,
                    branch_id=dt.id,
                    gt_branch_id=gt.id,
                    match_mode=mode.value,
                    protocol=protocol,
                    params=orjson.dumps({}).decode(),
                    created_at=catalog.utc_now(),
                )
                .returning(a.c.id)
            ).scalar_one()
        elif (row.branch_id, row.gt_branch_id, row.match_mode, row.protocol) != (
            dt.id,
            gt.id,
            mode.value,
            protocol,
        ):
            raise ConflictError(
                f"analysis {name!r} already exists with other parameters "
                f"({row.match_mode}, protocol {row.protocol}); pick another name or delete it"
            )
        else:
            analysis_id = row.id
        return int(analysis_id), jobs.create_job(conn, int(analysis_id))


def run_job(
    store: Store,
    project: ProjectRecord,
    analysis_id: int,
    job_id: int,
    *,
    progress: Progress | None = None,
) -> None:
    """Compute and commit one job (the worker); failures are recorded on the job and re-raised."""
    last = [0.0]

    def report(stage: str, fraction: float) -> None:
        last[0] = fraction
        jobs.update_job(store, job_id, progress=fraction, stage=stage)
        if progress is not None:
            progress(stage, fraction)

    try:
        jobs.update_job(store, job_id, status=JobStatus.RUNNING, stage="loading", progress=0.0)
        with store.read() as conn:
            row = conn.execute(sa.select(s.analyses).where(s.analyses.c.id == analysis_id)).one()
            names = {b.id: b.name for b in catalog.list_branches(conn, project.id)}
            inputs = load_inputs(
                conn,
                project_id=project.id,
                branch=names[row.branch_id],
                ground_truth=names[row.gt_branch_id],
            )
        report("loaded", 0.3)
        outputs = compute_outputs(inputs, mode=row.match_mode, progress=report)
        report("saving", 0.85)
        with store.write() as conn:
            # Lock the analysis (PostgreSQL) so two runs of it commit one after the other.
            conn.execute(
                sa.select(s.analyses.c.id).where(s.analyses.c.id == analysis_id).with_for_update()
            )
            stored = write_result(
                conn, analysis_id=analysis_id, job_id=job_id, inputs=inputs, outputs=outputs
            )
            jobs.finish_job(conn, job_id)
        # Committed: this process's first slider move or page needs no read-back.
        remember_outcomes(store, stored)
        if progress is not None:
            progress("done", 1.0)
    except BaseException as exc:
        message = (
            exc.message if isinstance(exc, BranchmarkError) else f"{type(exc).__name__}: {exc}"
        )
        try:
            jobs.update_job(
                store,
                job_id,
                status=JobStatus.FAILED,
                message=message,
                progress=last[0],
                stage="failed",
            )
        except Exception:  # the store itself failed: the dead-worker rule reports the job
            traceback.print_exc()
        raise


def analyse(
    store: Store,
    project: ProjectRecord,
    branch: str,
    *,
    ground_truth: str = catalog.MAIN_BRANCH,
    match: MatchMode | str = MatchMode.STRICT,
    protocol: str = "coco",
    name: str | None = None,
    wait: bool = True,
    progress: Progress | None = None,
) -> AnalysisRecord:
    """Analyse prediction branch ``branch`` against ``ground_truth``; see the module docstring.

    With ``wait=False`` the job runs in a background thread of this process and the queued
    record is returned at once (poll :func:`get_analysis`).  A failed run raises (``wait``)
    after recording its message on the job.
    """
    mode = MatchMode(match)
    if protocol not in PROTOCOLS:
        raise ValidationError(f"unknown protocol {protocol!r}; choose from {list(PROTOCOLS)}")
    name = name or default_name(branch, ground_truth, mode)
    analysis_id, job_id = _prepare(
        store,
        project,
        branch=branch,
        ground_truth=ground_truth,
        mode=mode,
        protocol=protocol,
        name=name,
    )
    if wait:
        run_job(store, project, analysis_id, job_id, progress=progress)
    else:
        worker: Callable[[], None] = lambda: _quiet(run_job, store, project, analysis_id, job_id)  # noqa: E731
        threading.Thread(target=worker, name=f"analysis-{analysis_id}", daemon=True).start()
    return get_analysis(store, project, analysis_id)


def _quiet(fn: Callable[..., None], *args: Any) -> None:
    try:
        fn(*args)
    except Exception:  # recorded on the job row by run_job
        pass


def reanalyse(
    store: Store,
    project: ProjectRecord,
    name_or_id: str | int,
    *,
    wait: bool = True,
    progress: Progress | None = None,
) -> AnalysisRecord:
    """Run an existing analysis again with the same parameters (replacing its result on success)."""
    record = get_analysis(store, project, name_or_id)
    return analyse(
        store,
        project,
        record.branch,
        ground_truth=record.ground_truth,
        match=record.match_mode,
        protocol=record.protocol,
        name=record.name,
        wait=wait,
        progress=progress,
    )
