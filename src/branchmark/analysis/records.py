"""Plain records the analysis service hands out (frozen dataclasses with ``to_dict()``)."""

from __future__ import annotations

import dataclasses
import enum
from datetime import datetime
from typing import Any


class JobStatus(enum.StrEnum):
    """Where a run is: waiting, working, finished with a result, or failed (with a message)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


@dataclasses.dataclass(frozen=True)
class JobRecord:
    """One run attempt of an analysis.

    ``status`` is as read, except that a queued/running job whose process is gone (same host,
    pid not alive) or whose heartbeat stopped long ago reads as ``failed``.
    """

    id: int
    status: JobStatus
    progress: float
    stage: str
    message: str
    pid: int | None
    host: str
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status.value,
            "progress": self.progress,
            "stage": self.stage,
            "message": self.message,
            "pid": self.pid,
            "host": self.host,
            "created_at": _time(self.created_at),
            "started_at": _time(self.started_at),
            "heartbeat_at": _time(self.heartbeat_at),
            "finished_at": _time(self.finished_at),
        }


@dataclasses.dataclass(frozen=True)
class ResultInfo:
    """The stored result of an analysis and the inputs it was computed from."""

    id: int
    created_at: datetime
    protocol_version: str
    ontology_version: int
    gt_revision: int
    pred_revision: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": _time(self.created_at),
            "protocol_version": self.protocol_version,
            "ontology_version": self.ontology_version,
            "gt_revision": self.gt_revision,
            "pred_revision": self.pred_revision,
        }


@dataclasses.dataclass(frozen=True)
class Staleness:
    """Whether the inputs changed since the result was computed, and what changed."""

    stale: bool
    changes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"stale": self.stale, "changes": list(self.changes)}


@dataclasses.dataclass(frozen=True)
class AnalysisRecord:
    """A named analysis: what it compares, its latest job, its result and staleness.

    ``status`` is the latest job's status; ``result`` is the last successful result (kept when a
    later re-run fails).  ``summary`` holds the stored summary (COCO stats and the Encord-style
    metrics at IoU 0.5, confidence 0) when there is a result.
    """

    id: int
    name: str
    branch: str
    ground_truth: str
    match_mode: str
    protocol: str
    params: dict[str, Any]
    created_at: datetime
    job: JobRecord | None
    result: ResultInfo | None
    staleness: Staleness
    summary: dict[str, Any] | None = None

    @property
    def status(self) -> JobStatus:
        return self.job.status if self.job is not None else JobStatus.QUEUED

    @property
    def stale(self) -> bool:
        return self.staleness.stale

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "branch": self.branch,
            "ground_truth": self.ground_truth,
            "match_mode": self.match_mode,
            "protocol": self.protocol,
            "params": self.params,
            "created_at": _time(self.created_at),
            "status": self.status.value,
            "job": None if self.job is None else self.job.to_dict(),
            "result": None if self.result is None else self.result.to_dict(),
            "stale": self.staleness.to_dict(),
            "summary": self.summary,
        }


@dataclasses.dataclass(frozen=True)
class OutcomeRow:
    """One object on an outcome page (a prediction or a GT object)."""

    kind: str
    annotation_id: int
    object_hash: str | None
    data_hash: str
    data_title: str
    frame: int
    class_index: int
    class_name: str
    feature_hash: str
    score: float | None
    outcome: str
    reason: str | None
    partner_id: int | None
    partner_object_hash: str | None
    similarity: float | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class OutcomePage:
    """A page of objects matching a filter, with the total count."""

    total: int
    page: int
    page_size: int
    rows: tuple[OutcomeRow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "page": self.page,
            "page_size": self.page_size,
            "rows": [r.to_dict() for r in self.rows],
        }
