"""The tables of stored analyses (schema migration 2), beside the label tables of ``schema``.

::

    analyses (named run: branch × ground-truth branch × mode × protocol × parameters)
       ├──< analysis_jobs          one row per run attempt: status, progress, pid, heartbeat
       └──  analysis_results       the current result (at most one; replaced when a re-run
             │                     succeeds): summary, per-class table, PR, confusion, inputs
             └──< analysis_arrays  per-object outcomes as columns: one numpy array per
                                   (side, column), e.g. ("prediction", "matched_mask")

Per-object outcomes are stored column-wise: a million prediction rows with SQL indexes took
33 s to insert on SQLite (benchmarks/analyse_store.py), the same data as ~20 column blobs well
under a second; the UI filters and pages them in numpy on the columns it caches per process
(``analysis/pages.py``), which is also exact for the confidence slider.
"""

from __future__ import annotations

import sqlalchemy as sa

from branchmark.store import schema

#: Separate from ``schema.metadata``: migration 1 creates exactly the version-1 tables.
metadata = sa.MetaData()

_NOW = sa.func.current_timestamp()


def _fk(name: str, target: sa.Column[int] | str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=False)


analyses = sa.Table(
    "analyses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("project_id", schema.projects.c.id),
    sa.Column("name", sa.String(255), nullable=False),
    _fk("branch_id", schema.branches.c.id),
    _fk("gt_branch_id", schema.branches.c.id),
    sa.Column("match_mode", sa.String(16), nullable=False),
    sa.Column("protocol", sa.String(16), nullable=False),
    sa.Column("params", sa.Text, nullable=False, server_default="{}"),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=_NOW),
    sa.UniqueConstraint("project_id", "name"),
    sa.Index("ix_analyses_branch", "branch_id"),
    sa.Index("ix_analyses_gt_branch", "gt_branch_id"),
    sqlite_autoincrement=True,
)

analysis_jobs = sa.Table(
    "analysis_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("analysis_id", "analyses.id"),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("progress", sa.Float, nullable=False, server_default="0"),
    sa.Column("stage", sa.String(64), nullable=False, server_default=""),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("pid", sa.Integer),
    sa.Column("host", sa.String(255), nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("started_at", sa.DateTime),
    sa.Column("heartbeat_at", sa.DateTime),
    sa.Column("finished_at", sa.DateTime),
    sa.Index("ix_analysis_jobs_analysis", "analysis_id"),
    sqlite_autoincrement=True,
)

analysis_results = sa.Table(
    "analysis_results",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("analysis_id", "analyses.id"),
    sa.Column("job_id", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("protocol_version", sa.String(32), nullable=False),
    sa.Column("ontology_version", sa.Integer, nullable=False),
    sa.Column("gt_revision", sa.Integer, nullable=False),
    sa.Column("pred_revision", sa.Integer, nullable=False),
    # JSON documents (orjson bytes) and an ``.npz`` of the PR arrays.
    sa.Column("summary", sa.LargeBinary, nullable=False),
    sa.Column("classes", sa.LargeBinary, nullable=False),
    sa.Column("confusion", sa.LargeBinary, nullable=False),
    sa.Column("classifications", sa.LargeBinary, nullable=False),
    sa.Column("pr_arrays", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("analysis_id"),
    # Ids are never reused (SQLite AUTOINCREMENT, PostgreSQL sequences): a result id names one
    # run's numbers for ever, which is what the per-process outcome cache keys on.
    sqlite_autoincrement=True,
)

analysis_arrays = sa.Table(
    "analysis_arrays",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("result_id", "analysis_results.id"),
    # "prediction" or "ground_truth", and the column name (see analysis/persist.py).
    sa.Column("side", sa.String(16), nullable=False),
    sa.Column("name", sa.String(64), nullable=False),
    # ``numpy.save`` bytes of one per-object column (one value, or one row of the IoU grid,
    # per object, in stored object order).
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("result_id", "side", "name"),
)

TABLES = (analyses, analysis_jobs, analysis_results, analysis_arrays)


def create_analysis_tables(conn: sa.Connection) -> None:
    """Migration 2: create the analysis tables (nothing else changes)."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
