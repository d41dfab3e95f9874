"""branchmark: ground truth and model prediction sets side by side, evaluated exactly and fast.

``import branchmark as bm``; the public names are listed in ``__all__`` (a test pins them).
"""

from __future__ import annotations

from branchmark.client import UserClient
from branchmark.errors import (
    AnalysisNotFound,
    BitmaskSizeMismatch,
    BranchNotFound,
    BranchmarkError,
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
from branchmark.project import Project

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
