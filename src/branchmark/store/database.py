"""Opening a workspace: the engine, its connection settings, read and write transactions.

A workspace is either a folder holding ``branchmark.db`` (SQLite) and ``media/``, or a
PostgreSQL URL plus a media root.  Writes go through :meth:`Store.write`: on SQLite that is one
writer per process (a lock) and ``BEGIN IMMEDIATE`` so other processes wait on the busy timeout
instead of failing half way; on PostgreSQL an ordinary transaction.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from branchmark.errors import StoreError
from branchmark.store import migrations

DATABASE_FILENAME = "branchmark.db"
MEDIA_DIRNAME = "media"
BUSY_TIMEOUT_MS = 30_000
MEDIA_ROOT_ENV = "BRANCHMARK_MEDIA_ROOT"
"""Media folder of a database-URL workspace when ``media_root`` is not given."""


def _is_url(path_or_url: str | Path) -> bool:
    return isinstance(path_or_url, str) and "://" in path_or_url


def _sqlite_engine(url: str) -> sa.Engine:
    """SQLite engine with the workspace settings; ``sqlite://`` (no path) is one in-memory
    database shared by every connection of this process (for tests and throwaway runs)."""
    memory = sa.make_url(url).database in (None, "", ":memory:")
    engine = sa.create_engine(
        url,
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        poolclass=sa.pool.StaticPool if memory else None,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's begin() below decide when a transaction starts (pysqlite would
        # otherwise start it lazily, after the first read, and a later write could deadlock).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB: bulk inserts touch big indexes
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Store:
    """An open workspace.  Use :meth:`open`; close with :meth:`close` or ``with``.

    Read with ``with store.read() as conn`` and write with ``with store.write() as conn``; the
    functions of the ``branchmark.store`` modules take that ``conn`` so several of them can share
    one transaction.
    """

    def __init__(self, engine: sa.Engine, *, media_root: Path | None, location: str) -> None:
        self.engine = engine
        self.media_root = media_root
        self.location = location
        self._write_lock = threading.RLock()

    @classmethod
    def open(cls, path_or_url: str | Path, *, media_root: str | Path | None = None) -> Store:
        """Open (creating when needed) the workspace at a folder or a database URL.

        Pending migrations run; a database written by a newer branchmark raises
        ``MigrationError``.  For a URL, ``media_root`` is where media files are copied to
        (default: none, and adding media files then raises ``StoreError``).
        """
        if _is_url(path_or_url):
            url = str(path_or_url)
            if url.startswith("sqlite"):
                engine = _sqlite_engine(url)
            else:
                engine = sa.create_engine(url, pool_pre_ping=True)
            if media_root is None:
                media_root = os.environ.get(MEDIA_ROOT_ENV) or None
            root = Path(media_root) if media_root is not None else None
            location = url
        else:
            folder = Path(path_or_url).expanduser()
            if folder.exists() and not folder.is_dir():
                raise StoreError(f"workspace {folder} is a file, expected a folder")
            folder.mkdir(parents=True, exist_ok=True)
            engine = _sqlite_engine(f"sqlite:///{folder / DATABASE_FILENAME}")
            root = Path(media_root) if media_root is not None else folder / MEDIA_DIRNAME
            location = str(folder)
        store = cls(engine, media_root=root, location=location)
        try:
            with store.write() as conn:
                migrations.upgrade(conn)
        except Exception:
            engine.dispose()
            raise
        return store

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection in a read transaction (a consistent snapshot on both backends).

        SQLite gives a WAL snapshot per transaction; PostgreSQL needs REPEATABLE READ for that
        (its default READ COMMITTED gives every statement a new snapshot, so a reader could see
        a job marked done by a commit that landed between two of its statements, but not the
        result that commit wrote with it).
        """
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction: committed at the end, rolled back on error."""
        with self._write_lock, self.engine.connect() as conn:
            if self.dialect == "sqlite":
                conn = conn.execution_options(sqlite_begin="IMMEDIATE")
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc):
                    raise StoreError(
                        f"workspace {self.location} is busy: another process held its write "
                        f"lock for more than {BUSY_TIMEOUT_MS // 1000} s; try again when it is done"
                    ) from exc
                raise
            with transaction:
                yield conn

    def close(self) -> None:
        """Release every pooled connection."""
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.location!r})"
