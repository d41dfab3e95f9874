"""The tables of a branchmark workspace (SQLAlchemy Core), one ``MetaData`` for both backends.

::

    projects ──< ontology_versions
       │ ──< data_units ──< data_unit_frames          (image groups: one row per image)
       │ ──< branches                                 (main, prediction, consensus)
       └──   label_rows (data unit × branch) ──< annotations      one row per object per frame
                                             ──< object_answers   one row per object instance
                                             ──< classifications  one row per instance

``annotations`` carries the numeric columns the analysis reads in bulk (bounding extent in frame
pixels, confidence, flags) and two blobs: ``geometry`` (see :mod:`branchmark.store.codec`) and
``meta`` (the rest of the Encord per-frame entry, for an exact round trip).  Times are stored as
naive UTC.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

_NOW = sa.func.current_timestamp()


def _pk() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _fk(name: str, target: str, *, nullable: bool = False) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete="CASCADE"), nullable=nullable)


projects = sa.Table(
    "projects",
    metadata,
    _pk(),
    sa.Column("project_hash", sa.String(36), nullable=False, unique=True),
    sa.Column("title", sa.String(512), nullable=False, unique=True),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("ontology_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=_NOW),
)

ontology_versions = sa.Table(
    "ontology_versions",
    metadata,
    _pk(),
    _fk("project_id", "projects.id"),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("structure", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=_NOW),
    sa.UniqueConstraint("project_id", "version"),
)

data_units = sa.Table(
    "data_units",
    metadata,
    _pk(),
    _fk("project_id", "projects.id"),
    sa.Column("data_hash", sa.String(36), nullable=False, unique=True),
    sa.Column("title", sa.String(1024), nullable=False),
    sa.Column("data_type", sa.String(32), nullable=False),
    sa.Column("width", sa.Integer),
    sa.Column("height", sa.Integer),
    sa.Column("frames", sa.Integer, nullable=False, server_default="1"),
    sa.Column("fps", sa.Float),
    sa.Column("duration", sa.Float),
    sa.Column("media_path", sa.String(2048), nullable=False, server_default=""),
    sa.Column("data_link", sa.String(2048), nullable=False, server_default=""),
    sa.Column("file_type", sa.String(128), nullable=False, server_default=""),
    sa.Column("dataset_hash", sa.String(36), nullable=False, server_default=""),
    sa.Column("dataset_title", sa.String(512), nullable=False, server_default=""),
    sa.Column("client_metadata", sa.Text),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=_NOW),
    sa.Index("ix_data_units_project_title", "project_id", "title"),
)

data_unit_frames = sa.Table(
    "data_unit_frames",
    metadata,
    _pk(),
    _fk("data_unit_id", "data_units.id"),
    sa.Column("frame", sa.Integer, nullable=False),
    sa.Column("image_hash", sa.String(36), nullable=False),
    sa.Column("title", sa.String(1024), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("media_path", sa.String(2048), nullable=False, server_default=""),
    sa.Column("data_link", sa.String(2048), nullable=False, server_default=""),
    sa.Column("file_type", sa.String(128), nullable=False, server_default=""),
    sa.UniqueConstraint("data_unit_id", "frame"),
)

branches = sa.Table(
    "branches",
    metadata,
    _pk(),
    _fk("project_id", "projects.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("meta", sa.Text, nullable=False, server_default="{}"),
    sa.Column("revision", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.DateTime, nullable=False, server_default=_NOW),
    sa.UniqueConstraint("project_id", "name"),
)

label_rows = sa.Table(
    "label_rows",
    metadata,
    _pk(),
    _fk("project_id", "projects.id"),
    _fk("data_unit_id", "data_units.id"),
    _fk("branch_id", "branches.id"),
    sa.Column("label_hash", sa.String(36), nullable=False, unique=True),
    sa.Column("revision", sa.Integer, nullable=False, server_default="1"),
    sa.Column("label_status", sa.String(32), nullable=False, server_default="NOT_LABELLED"),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_edited_at", sa.DateTime, nullable=False),
    # The label-row dict without its labels (top-level keys, data_units entries): see codec.
    sa.Column("header", sa.LargeBinary),
    sa.UniqueConstraint("data_unit_id", "branch_id"),
    sa.Index("ix_label_rows_branch", "branch_id"),
)

annotations = sa.Table(
    "annotations",
    metadata,
    _pk(),
    # project, branch and data unit are copies of the label row's (for bulk reads without a
    # join); only label_row_id is a foreign key, which keeps bulk inserts cheap (one parent
    # lookup per row instead of four) and still cascades deletes.
    sa.Column("project_id", sa.Integer, nullable=False),
    sa.Column("branch_id", sa.Integer, nullable=False),
    sa.Column("data_unit_id", sa.Integer, nullable=False),
    _fk("label_row_id", "label_rows.id"),
    sa.Column("frame", sa.Integer, nullable=False),
    sa.Column("object_hash", sa.String(16), nullable=False),
    sa.Column("feature_hash", sa.String(64), nullable=False),
    sa.Column("shape", sa.String(32), nullable=False),
    sa.Column("x", sa.Float(precision=53)),
    sa.Column("y", sa.Float(precision=53)),
    sa.Column("w", sa.Float(precision=53)),
    sa.Column("h", sa.Float(precision=53)),
    sa.Column("theta", sa.Float(precision=53)),
    sa.Column("area", sa.Float(precision=53)),
    sa.Column("iscrowd", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("confidence", sa.Float(precision=53)),
    sa.Column("manual", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("object_number", sa.Integer),
    sa.Column("geometry", sa.LargeBinary),
    sa.Column("meta", sa.LargeBinary),
    # A branch is read whole, in id order: (branch_id, id) serves that without a sort, and bulk
    # inserts append to it.  (Migration 3 replaced ``(branch_id, feature_hash)``, whose entries
    # land all over the index: it was a third of the cost of a bulk insert.)
    sa.Index("ix_annotations_branch", "branch_id", "id"),
    sa.Index("ix_annotations_label_row", "label_row_id"),
)

object_answers = sa.Table(
    "object_answers",
    metadata,
    _pk(),
    _fk("branch_id", "branches.id"),
    _fk("label_row_id", "label_rows.id"),
    sa.Column("object_hash", sa.String(16), nullable=False),
    # The Encord ``object_answers`` entry (static answers) and ``object_actions`` entry (dynamic
    # answers), as JSON bytes exactly as given.
    sa.Column("answers", sa.LargeBinary, nullable=False),
    sa.Column("actions", sa.LargeBinary),
    sa.Index("ix_object_answers_label_row", "label_row_id"),
    sa.Index("ix_object_answers_branch", "branch_id"),
)

classifications = sa.Table(
    "classifications",
    metadata,
    _pk(),
    _fk("project_id", "projects.id"),
    _fk("branch_id", "branches.id"),
    _fk("data_unit_id", "data_units.id"),
    _fk("label_row_id", "label_rows.id"),
    sa.Column("classification_hash", sa.String(16), nullable=False),
    sa.Column("feature_hash", sa.String(64), nullable=False),
    # Inclusive frame ranges as JSON ``[[start, end], ...]``.
    sa.Column("ranges", sa.Text, nullable=False),
    sa.Column("confidence", sa.Float(precision=53)),
    sa.Column("manual", sa.Boolean, nullable=False, server_default=sa.true()),
    # The Encord ``classification_answers`` entry with the columns above blanked, JSON bytes.
    sa.Column("entry", sa.LargeBinary, nullable=False),
    sa.Index("ix_classifications_branch_feature", "branch_id", "feature_hash"),
    sa.Index("ix_classifications_label_row", "label_row_id"),
)
