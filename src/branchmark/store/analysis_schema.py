"""The tables of stored analyses (schema migration 2), beside the label tables of ``schema``.

::

    analyses (named run: branch × ground-truth branch × mode × protocol × parameters)
       ├──< analysis_jobs          one row per run attempt: status, progress, pid, heartbeat
       └──  analysis_results       the current result (at most one; replaced when a re-run
             │                     succeeds): summary, per-class table, PR, confusion, inputs
             ├──< analysis_predictions   one row per prediction: outcome masks on the IoU grid
             └──< analysis_ground_truth  one row per GT object: matched score per grid threshold

Per-object outcome columns (``analysis/outcomes.py`` documents and reads them): ``matched_mask``
and ``ignored_mask`` have bit ``t`` set when the prediction is matched / ignored at grid
threshold ``t`` (0.05:0.05:0.95, bit 0 = 0.05); ``reasons`` packs the FP reason code of each
threshold in 3 bits (``(reasons >> 3t) & 7``); ``match_score_XX`` is the score of the prediction
matching the GT at threshold ``0.XX`` (NULL: unmatched), so "FN at (t, c)" is
``match_score_t IS NULL OR match_score_t < c``: every filter of the UI is plain SQL.
"""

from __future__ import annotations

import sqlalchemy as sa

from branchmark.store import schema

#: Separate from ``schema.metadata``: migration 1 creates exactly the version-1 tables.
metadata = sa.MetaData()

_NOW = sa.func.current_timestamp()

#: Column-name suffixes of the IoU grid 0.05:0.05:0.95 (``match_score_05`` ... ``_95``).
GRID_SUFFIXES = tuple(f"{5 * (i + 1):02d}" for i in range(19))


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

analysis_predictions = sa.Table(
    "analysis_predictions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("result_id", "analysis_results.id"),
    sa.Column("annotation_id", sa.Integer, nullable=False),
    sa.Column("data_unit_id", sa.Integer, nullable=False),
    sa.Column("frame", sa.Integer, nullable=False),
    sa.Column("class_index", sa.Integer, nullable=False),
    sa.Column("score", sa.Float(precision=53), nullable=False),
    sa.Column("matched_mask", sa.Integer, nullable=False),
    sa.Column("ignored_mask", sa.Integer, nullable=False),
    sa.Column("reasons", sa.BigInteger, nullable=False),
    sa.Column("partner_id", sa.Integer),
    sa.Column("similarity", sa.Float(precision=53)),
    sa.Column("partners", sa.LargeBinary),
    sa.Index("ix_analysis_predictions_class_score", "result_id", "class_index", "score"),
    sa.Index("ix_analysis_predictions_unit", "result_id", "data_unit_id"),
)

analysis_ground_truth = sa.Table(
    "analysis_ground_truth",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    _fk("result_id", "analysis_results.id"),
    sa.Column("annotation_id", sa.Integer, nullable=False),
    sa.Column("data_unit_id", sa.Integer, nullable=False),
    sa.Column("frame", sa.Integer, nullable=False),
    sa.Column("class_index", sa.Integer, nullable=False),
    sa.Column("ignored", sa.Boolean, nullable=False),
    *(sa.Column(f"match_score_{s}", sa.Float(precision=53)) for s in GRID_SUFFIXES),
    sa.Column("partner_id", sa.Integer),
    sa.Column("similarity", sa.Float(precision=53)),
    sa.Column("partners", sa.LargeBinary),
    sa.Index("ix_analysis_ground_truth_class", "result_id", "class_index"),
    sa.Index("ix_analysis_ground_truth_unit", "result_id", "data_unit_id"),
)

TABLES = (analyses, analysis_jobs, analysis_results, analysis_predictions, analysis_ground_truth)


def create_analysis_tables(conn: sa.Connection) -> None:
    """Migration 2: create the analysis tables (nothing else changes)."""
    for table in TABLES:
        table.create(conn, checkfirst=True)
