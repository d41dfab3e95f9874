"""branchmark: ground truth and model prediction sets side by side, evaluated exactly and fast.

``import branchmark as bm``; the public names are listed in ``__all__`` (a test pins them).

The SDK entry points (``UserClient``, ``Project``) are imported on first access (PEP 562), so
``from branchmark.coco import COCOeval`` and ``branchmark eval coco`` do not pay for SQLAlchemy
and the store; the exception classes are light and imported eagerly.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from branchmark.errors import (
    AnalysisNotFound,
    BitmaskSizeMismatch,
    BranchmarkError,
    BranchNotFound,
    ConflictError,
    DataUnitNotFound,
    EncordException,
    FrameOutOfRange,
    ImportFormatError,
    InvalidAnswer,
    InvalidBranchName,
    InvalidChecklistAnswer,
    InvalidConfidence,
    InvalidGeometry,
    LabelRowError,
    MigrationError,
    NotFoundError,
    OntologyError,
    OntologyMismatch,
    ProjectNotFound,
    ResourceNotFoundError,
    RevisionConflict,
    StoreError,
    ValidationError,
)

if TYPE_CHECKING:
    from branchmark.client import UserClient
    from branchmark.project import Project

#: Public names imported on first access, and the module that defines each.
_LAZY = {"UserClient": "branchmark.client", "Project": "branchmark.project"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'branchmark' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__version__ = "0.1.0"

__all__ = [
    "AnalysisNotFound",
    "BitmaskSizeMismatch",
    "BranchNotFound",
    "BranchmarkError",
    "ConflictError",
    "DataUnitNotFound",
    "EncordException",
    "FrameOutOfRange",
    "ImportFormatError",
    "InvalidAnswer",
    "InvalidBranchName",
    "InvalidChecklistAnswer",
    "InvalidConfidence",
    "InvalidGeometry",
    "LabelRowError",
    "MigrationError",
    "NotFoundError",
    "OntologyError",
    "OntologyMismatch",
    "Project",
    "ProjectNotFound",
    "ResourceNotFoundError",
    "RevisionConflict",
    "StoreError",
    "UserClient",
    "ValidationError",
    "__version__",
]
