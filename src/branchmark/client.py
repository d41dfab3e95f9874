"""``UserClient``: the entry point, Encord's ``EncordUserClient`` over a local workspace.

``UserClient.open(folder_or_database_url)`` replaces
``EncordUserClient.create_with_ssh_private_key(...)``; the latter is accepted too, with the
same arguments and no network: the workspace comes from ``workspace=`` or
``$BRANCHMARK_WORKSPACE``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from branchmark.errors import ResourceNotFoundError
from branchmark.ontology.structure import OntologyStructure
from branchmark.project import Project
from branchmark.store import Store, catalog

WORKSPACE_ENV = "BRANCHMARK_WORKSPACE"


def _looks_like_key(text: str) -> bool:
    return "PRIVATE KEY" in text or "\n" in text.strip()


class UserClient:
    """A connection to one workspace (a folder or a database URL)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @classmethod
    def open(cls, path_or_url: str | Path, *, media_root: str | Path | None = None) -> UserClient:
        """Open the workspace at a folder (created if missing) or a database URL."""
        return cls(Store.open(path_or_url, media_root=media_root))

    @staticmethod
    def create_with_ssh_private_key(
        ssh_private_key: str | None = None,
        password: str | None = None,
        requests_settings: Any = None,
        ssh_private_key_path: str | Path | None = None,
        domain: str | None = None,
        *,
        workspace: str | Path | None = None,
        media_root: str | Path | None = None,
        **kwargs: Any,
    ) -> UserClient:
        """Encord's constructor, accepted as-is: the key is not needed locally.

        The key arguments are checked the way the SDK reads them (a path must name a file;
        key *text* passed as ``ssh_private_key_path`` by mistake, as the seed's first example
        does, is accepted).  The workspace is ``workspace`` or ``$BRANCHMARK_WORKSPACE``;
        ``ResourceNotFoundError`` when neither is set.
        """
        del ssh_private_key, password, requests_settings, domain, kwargs
        if ssh_private_key_path is not None:
            text = str(ssh_private_key_path)
            if not _looks_like_key(text) and not Path(text).expanduser().is_file():
                raise ResourceNotFoundError(f"SSH private key file {text!r} does not exist")
        target = workspace or os.environ.get(WORKSPACE_ENV)
        if not target:
            raise ResourceNotFoundError(
                f"no workspace: pass workspace=... or set ${WORKSPACE_ENV} to a folder or URL"
            )
        return UserClient.open(target, media_root=media_root)

    @property
    def store(self) -> Store:
        return self._store

    def get_project(self, project_hash: str) -> Project:
        """The project with this hash or title (``ProjectNotFound`` otherwise)."""
        with self._store.read() as conn:
            return Project(self._store, catalog.get_project(conn, str(project_hash)))

    def list_projects(self) -> list[Project]:
        """Every project of the workspace, by title."""
        with self._store.read() as conn:
            return [Project(self._store, r) for r in catalog.list_projects(conn)]

    def create_project(
        self,
        title: str,
        ontology: OntologyStructure | dict[str, Any],
        *,
        description: str = "",
    ) -> Project:
        """Create a project with ``ontology`` (an ``OntologyStructure`` or its JSON dict)."""
        if isinstance(ontology, OntologyStructure):
            structure = ontology
        else:
            structure = OntologyStructure.from_dict(ontology)  # validates before storing
        with self._store.write() as conn:
            record = catalog.create_project(
                conn, title, structure.to_dict(), description=description
            )
        return Project(self._store, record)

    def close(self) -> None:
        """Release the workspace's connections."""
        self._store.close()

    def __enter__(self) -> UserClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"UserClient({self._store.location!r})"
