"""The whole exception tree of branchmark.

::

    BranchmarkError
     ├── NotFoundError (404)            ProjectNotFound, BranchNotFound, DataUnitNotFound,
     │                                  AnalysisNotFound, MediaNotFound
     ├── ConflictError (409)            RevisionConflict
     ├── ValidationError (422)          InvalidGeometry, OntologyMismatch, InvalidBranchName,
     │                                  InvalidConfidence, InvalidAnswer (also ValueError)
     │    ├── InvalidGeometry ⊃ BitmaskSizeMismatch (also ValueError, as the SDK raises)
     │    └── InvalidAnswer ⊃ InvalidChecklistAnswer (also RuntimeError, as the SDK raises)
     ├── ImportFormatError (400)
     ├── StoreError (500)               MigrationError
     └── EncordException                the Encord SDK's base, for drop-in compatibility
          ├── LabelRowError             (also a ValidationError: bad label construction or usage)
          │    └── FrameOutOfRange      a frame outside the data unit
          ├── OntologyError             (also a NotFoundError: lookup found nothing or several)
          └── ResourceNotFoundError

``status`` is a class attribute: the HTTP status the server answers with.  Encord's classes keep
their names so that ``from encord.exceptions import LabelRowError`` becomes
``from branchmark.errors import LabelRowError`` and nothing else changes.
"""

from __future__ import annotations

from typing import Any


class BranchmarkError(Exception):
    """Root of every error branchmark raises on purpose."""

    status: int = 500
    code: str = "error"

    def __init__(self, message: str, *, context: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = context or {}

    def to_dict(self) -> dict[str, Any]:
        """The one JSON error shape: ``{"ok": false, "error", "code", "status"}``."""
        return {"ok": False, "error": self.message, "code": self.code, "status": self.status}


class NotFoundError(BranchmarkError):
    status = 404
    code = "not_found"


class ProjectNotFound(NotFoundError):
    code = "project_not_found"


class BranchNotFound(NotFoundError):
    code = "branch_not_found"


class DataUnitNotFound(NotFoundError):
    code = "data_unit_not_found"


class AnalysisNotFound(NotFoundError):
    code = "analysis_not_found"


class MediaNotFound(NotFoundError):
    """A frame has no servable media file (none recorded, missing, or outside the media roots)."""

    code = "media_not_found"


class ConflictError(BranchmarkError):
    status = 409
    code = "conflict"


class RevisionConflict(ConflictError):
    """A label row was saved by someone else after it was loaded."""

    code = "revision_conflict"


class ValidationError(BranchmarkError):
    status = 422
    code = "invalid"


class InvalidGeometry(ValidationError):
    code = "invalid_geometry"


class OntologyMismatch(ValidationError):
    code = "ontology_mismatch"


class InvalidBranchName(ValidationError):
    code = "invalid_branch_name"


class InvalidConfidence(ValidationError):
    """A confidence that is not a finite number within 0..1 (the Encord SDK accepts any)."""

    code = "invalid_confidence"


class BitmaskSizeMismatch(InvalidGeometry, ValueError):
    """A bitmask whose size differs from its frame's (the SDK raises ``ValueError``)."""

    code = "bitmask_size"


class InvalidAnswer(ValidationError, ValueError):
    """An attribute answer of the wrong kind, e.g. a radio answer that is not one of its
    options (the SDK raises ``ValueError``)."""

    code = "invalid_answer"


class InvalidChecklistAnswer(InvalidAnswer, RuntimeError):
    """A checklist answer with an option of another attribute (the SDK raises
    ``RuntimeError``)."""

    code = "invalid_checklist_answer"


class ImportFormatError(BranchmarkError):
    """A file given to an importer is malformed; the message names file, record and field."""

    status = 400
    code = "import_format"


class StoreError(BranchmarkError):
    status = 500
    code = "store"


class MigrationError(StoreError):
    code = "migration"


class EncordException(BranchmarkError):
    """Base of the Encord-compatible exceptions (``encord.exceptions.EncordException``)."""

    status = 422
    code = "encord"


class LabelRowError(EncordException, ValidationError):
    """Invalid label construction or usage, as ``encord.exceptions.LabelRowError``."""

    code = "label_row"


class FrameOutOfRange(LabelRowError):
    """A frame number outside ``0 .. number_of_frames - 1`` of the data unit."""

    code = "frame_out_of_range"


class OntologyError(EncordException, NotFoundError):
    """An ontology lookup found nothing or more than one node (``encord.exceptions``)."""

    status = 404
    code = "ontology"


class ResourceNotFoundError(EncordException, NotFoundError):
    status = 404
    code = "resource_not_found"


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
    "MediaNotFound",
    "MigrationError",
    "NotFoundError",
    "OntologyError",
    "OntologyMismatch",
    "ProjectNotFound",
    "ResourceNotFoundError",
    "RevisionConflict",
    "StoreError",
    "ValidationError",
]
