"""Analysis jobs: status rows in the database, updated in small transactions of their own.

A job is ``queued`` when created, ``running`` while the worker computes (with ``progress``,
``stage`` and a ``heartbeat_at`` refreshed at each stage), and ``done`` only in the transaction
that commits the result, so a process killed at any point (SIGKILL included) leaves at worst a
``running`` row: it reads as ``failed`` once its process is gone (same host, pid not alive) or
its heartbeat is older than :data:`HEARTBEAT_TIMEOUT` (another host).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from branchmark.analysis.records import JobRecord, JobStatus
from branchmark.store import Store
from branchmark.store.analysis_schema import analysis_jobs as j
from branchmark.store.catalog import utc_now
from branchmark.store.records import as_utc

HEARTBEAT_TIMEOUT = timedelta(minutes=15)
HOST = socket.gethostname()


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (zombies count as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True


def create_job(conn: sa.Connection, analysis_id: int) -> int:
    """A queued job for ``analysis_id``, owned by this process; return its id."""
    return int(
        conn.execute(
            j.insert()
            .values(
                analysis_id=analysis_id,
                status=JobStatus.QUEUED.value,
                pid=os.getpid(),
                host=HOST,
                created_at=utc_now(),
                heartbeat_at=utc_now(),
            )
            .returning(j.c.id)
        ).scalar_one()
    )


def update_job(
    store: Store, job_id: int, *, status: JobStatus | None = None, **values: Any
) -> None:
    """Set columns of a job in a short transaction of its own (``heartbeat_at`` refreshed)."""
    now = utc_now()
    changes: dict[str, Any] = {"heartbeat_at": now, **values}
    if status is not None:
        changes["status"] = status.value
        if status is JobStatus.RUNNING:
            changes.setdefault("started_at", now)
        if status in (JobStatus.DONE, JobStatus.FAILED):
            changes["finished_at"] = now
    with store.write() as conn:
        conn.execute(j.update().where(j.c.id == job_id).values(**changes))


def finish_job(conn: sa.Connection, job_id: int) -> None:
    """Mark the job done inside the transaction that commits its result."""
    now = utc_now()
    conn.execute(
        j.update()
        .where(j.c.id == job_id)
        .values(
            status=JobStatus.DONE.value,
            progress=1.0,
            stage="done",
            finished_at=now,
            heartbeat_at=now,
        )
    )


def _effective(row: Any) -> tuple[JobStatus, str]:
    status = JobStatus(row.status)
    if status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return status, row.message
    if row.host == HOST and row.pid is not None and not pid_alive(int(row.pid)):
        return JobStatus.FAILED, f"the worker process {row.pid} ended without finishing the job"
    beat: datetime | None = as_utc(row.heartbeat_at)
    if row.host != HOST and beat is not None and as_utc(utc_now()) - beat > HEARTBEAT_TIMEOUT:  # type: ignore[operator]
        return (
            JobStatus.FAILED,
            f"no heartbeat from {row.host} pid {row.pid} since {beat.isoformat()}",
        )
    return status, row.message


def job_record(row: Any) -> JobRecord:
    """A job row as a :class:`JobRecord`, with dead workers read as failed."""
    status, message = _effective(row)
    return JobRecord(
        id=row.id,
        status=status,
        progress=float(row.progress),
        stage=row.stage,
        message=message,
        pid=row.pid,
        host=row.host,
        created_at=as_utc(row.created_at),  # type: ignore[arg-type]
        started_at=as_utc(row.started_at),
        heartbeat_at=as_utc(row.heartbeat_at),
        finished_at=as_utc(row.finished_at),
    )


def latest_jobs(conn: sa.Connection, analysis_ids: list[int]) -> dict[int, JobRecord]:
    """The most recent job of each analysis."""
    if not analysis_ids:
        return {}
    newest = (
        sa.select(j.c.analysis_id, sa.func.max(j.c.id).label("id"))
        .where(j.c.analysis_id.in_(analysis_ids))
        .group_by(j.c.analysis_id)
        .subquery()
    )
    rows = conn.execute(sa.select(j).join(newest, newest.c.id == j.c.id)).all()
    return {int(r.analysis_id): job_record(r) for r in rows}


def get_job(conn: sa.Connection, job_id: int) -> JobRecord:
    return job_record(conn.execute(sa.select(j).where(j.c.id == job_id)).one())
