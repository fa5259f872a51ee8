"""The metadata database: SQLAlchemy 2 Core on SQLite (default) or PostgreSQL.

Thread safety follows datasette's rule for SQLite: many readers, one writer at a time. Reads run on
pooled connections in parallel (WAL mode lets them proceed while a write is in flight); writes take
a process-wide lock and ``BEGIN IMMEDIATE``, so two threads never race for the write lock and get
``database is locked``. On PostgreSQL the database itself serialises writers and no lock is taken.

A SQLite database file holds password hashes and every dataset's metadata: it is created with mode
0600 (owner only, like ``secret.key``), and SQLite gives its ``-wal`` and ``-shm`` files the mode of
the database file; an existing file readable by others is narrowed to 0600 when opened.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config as AlembicConfig

from ..errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"


class Database:
    """A SQLAlchemy engine plus the read/write discipline described in the module docstring."""

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise ConfigError(
                f"The database URL {url!r} is not a SQLAlchemy URL; "
                "expected e.g. sqlite:///path/graphport.db or postgresql://user@host/db."
            ) from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite and parsed.database and parsed.database != ":memory:":
            _private_sqlite_files(Path(parsed.database))
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 60}
            kwargs["poolclass"] = sa.pool.QueuePool
            kwargs["pool_size"] = 8
            kwargs["max_overflow"] = 32
        elif parsed.get_backend_name() == "postgresql":
            if parsed.drivername == "postgresql":
                url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
            # Connections die with a server restart or a failover: test them before use.
            kwargs["pool_pre_ping"] = True
            kwargs["pool_size"] = 8
            kwargs["max_overflow"] = 24
        try:
            self.engine = sa.create_engine(url, **kwargs)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise ConfigError(
                f"The database URL {parsed.render_as_string()!r} needs a driver that is not available "
                f"({exc}); for PostgreSQL install psycopg with: pip install 'graphport[postgres]'."
            ) from None
        self._write_lock = threading.Lock()
        if self.is_sqlite:
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            # Let SQLAlchemy's own transaction begin do nothing, so we can issue BEGIN IMMEDIATE.
            sa.event.listen(self.engine, "begin", _sqlite_begin)

    def revision(self) -> str | None:
        """The schema's current migration, or None for an empty database."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent)."""
        config = AlembicConfig()
        config.set_main_option("script_location", str(MIGRATIONS))
        with self._write_lock, self.engine.connect() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()

    @contextlib.contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for reads, inside a transaction that is rolled back at the end."""
        with self.engine.connect() as connection:
            yield connection

    @contextlib.contextmanager
    def write(self) -> Iterator[sa.Connection]:
        """A connection in a write transaction, committed when the block ends without error."""
        lock = self._write_lock if self.is_sqlite else contextlib.nullcontext()
        with lock, self.engine.connect() as connection:
            connection.info["graphport_write"] = True
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.info.pop("graphport_write", None)

    def close(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Python's sqlite3 would open its own transactions; we manage them (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # Writers take SQLite's write lock up front; readers begin a plain (deferred) snapshot.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.info.get("graphport_write") else "BEGIN")


def _private_sqlite_files(path: Path) -> None:
    """Create the database file with mode 0600 if it is missing; take group and other access away
    from it and its -wal/-shm/-journal files if they have any."""
    with contextlib.suppress(FileExistsError, FileNotFoundError):  # FileNotFound: no directory yet
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for name in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        with contextlib.suppress(FileNotFoundError):
            mode = name.stat().st_mode
            if mode & 0o077:
                name.chmod(mode & 0o700)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"
