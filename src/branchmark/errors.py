"""The whole exception tree of branchmark.

::

    BranchmarkError
     ├── NotFoundError (404)            ProjectNotFound, BranchNotFound, DataUnitNotFound, AnalysisNotFound
     ├── ConflictError (409)            RevisionConflict
     ├── ValidationError (422)          InvalidGeometry, OntologyMismatch, InvalidBranchName
     ├── ImportFormatError (400)
     ├── StoreError (500)               MigrationError
     └── EncordException                the Encord SDK's base, for drop-in compatibility
          ├── LabelRowError             (also a ValidationError: bad label construction or usage)
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


class OntologyError(EncordException, NotFoundError):
    """An ontology lookup found nothing or more than one node (``encord.exceptions``)."""

    status = 404
    code = "ontology"


class ResourceNotFoundError(EncordException, NotFoundError):
    status = 404
    code = "resource_not_found"


__all__ = [
    "AnalysisNotFound",
    "BranchNotFound",
    "BranchmarkError",
    "ConflictError",
    "DataUnitNotFound",
    "EncordException",
    "ImportFormatError",
    "InvalidBranchName",
    "InvalidGeometry",
    "LabelRowError",
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
