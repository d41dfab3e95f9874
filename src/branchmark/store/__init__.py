"""The store: SQLAlchemy Core schema, migrations, SQLite (default) and PostgreSQL.

``Store.open(folder_or_url)`` opens a workspace.  The modules below take a connection from
``store.read()`` / ``store.write()``:

- :mod:`~branchmark.store.catalog`: projects, ontology versions, data units, branches
- :mod:`~branchmark.store.label_rows`: list / create / load / save Encord label-row dicts
- :mod:`~branchmark.store.annotations`: bulk insert from arrays, bulk read as arrays
- :mod:`~branchmark.store.codec`: the geometry blob (normalised or pixel units)

The store knows nothing of the SDK objects: it works on Encord label-row dicts.
"""

from __future__ import annotations

from branchmark.store.annotations import AnnotationBatch, insert_annotations, read_annotations
from branchmark.store.database import Store
from branchmark.store.records import (
    BranchKind,
    BranchRecord,
    DataUnitRecord,
    FrameRecord,
    LabelRowRecord,
    ProjectRecord,
)

__all__ = [
    "AnnotationBatch",
    "BranchKind",
    "BranchRecord",
    "DataUnitRecord",
    "FrameRecord",
    "LabelRowRecord",
    "ProjectRecord",
    "Store",
    "insert_annotations",
    "read_annotations",
]
