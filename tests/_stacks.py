"""The two storage stacks the storage, API, access and live suites run on (issue #7).

* ``embedded``: SQLite + a local blob directory + the in-process bus (the one-command default).
* ``scale``: PostgreSQL + S3 (SeaweedFS) + Redis, the services ``scripts/services.sh start`` runs
  and exports as ``GRAPHPORT_TEST_PG_URL``, ``GRAPHPORT_TEST_S3_URL`` and
  ``GRAPHPORT_TEST_REDIS_URL``. Without them the scale legs skip with the reason, except under
  ``CI=true``, where they fail.

Isolation on PostgreSQL: one database per xdist worker, migrated once; every test starts from
empty tables (``TRUNCATE ... RESTART IDENTITY``: ~10 ms, against ~300 ms for a fresh database).
On S3: one key prefix per test. On Redis: one channel prefix per test.
"""

from __future__ import annotations

import os
import secrets
import urllib.parse
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from graphport.storage import Database

STACKS = ("embedded", "scale")
#: Test directories (relative to tests/) whose tests run on both stacks when they use ``server``.
BOTH_STACK_DIRS = ("storage", "transports", "server")
ENV = {"pg": "GRAPHPORT_TEST_PG_URL", "s3": "GRAPHPORT_TEST_S3_URL", "redis": "GRAPHPORT_TEST_REDIS_URL"}


@dataclass(frozen=True)
class ScaleStack:
    """The URLs of one worker's share of the services."""

    db: str
    s3: str
    redis: str

    def blobs_url(self, prefix: str) -> str:
        """The S3 URL with ``prefix`` appended to its key prefix."""
        parts = urllib.parse.urlsplit(self.s3)
        path = f"{parts.path.rstrip('/')}/{prefix}"
        return urllib.parse.urlunsplit(parts._replace(path=path))

    def fresh_prefix(self) -> str:
        return secrets.token_hex(6)


def unavailable(reason: str) -> None:
    """Skip (locally) or fail (under CI=true) a scale-stack test whose services are missing."""
    message = (
        f"scale stack unavailable: {reason}. Start PostgreSQL, Redis and SeaweedFS with "
        '`eval "$(scripts/services.sh start)"` (see scripts/services.sh).'
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def open_scale_stack(environ: dict[str, str], worker: str) -> ScaleStack | str:
    """Create (once per worker) and migrate this worker's database; make sure the bucket exists.
    Returns the stack, or the reason it is not available."""
    missing = [var for var in ENV.values() if not environ.get(var)]
    if missing:
        return f"{', '.join(missing)} not set"
    try:
        import psycopg
        import redis

        from graphport.storage import Database
        from graphport.storage._s3 import s3_store_from_url
    except ImportError as exc:
        return f"{exc.name} is not installed (pip install -e '.[dev]')"
    admin_url = environ[ENV["pg"]]
    # Worker ids repeat between runs ("master", "gw0"...): the pid keeps concurrent runs (several
    # engineers on one machine) off each other's database; drop_scale_database() removes it after.
    name = f"graphport_test_{worker}_{os.getpid()}".replace("-", "_")
    try:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        db_url = urllib.parse.urlunsplit(urllib.parse.urlsplit(admin_url)._replace(path=f"/{name}"))
        database = Database(db_url)
        database.upgrade()
        database.close()
        store = s3_store_from_url(environ[ENV["s3"]])
        store.ensure_bucket()
        client = redis.Redis.from_url(environ[ENV["redis"]], socket_connect_timeout=5)
        client.ping()
        client.close()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return ScaleStack(db=db_url, s3=environ[ENV["s3"]], redis=environ[ENV["redis"]])


def drop_scale_database(environ: dict[str, str], stack: ScaleStack) -> None:
    """Drop this worker's database at the end of its session (best effort)."""
    import psycopg

    name = urllib.parse.urlsplit(stack.db).path.lstrip("/")
    try:
        with psycopg.connect(environ[ENV["pg"]], autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error:
        pass  # the services may be gone already; the name is unique, nothing else reuses it


def truncate_all(database: Database) -> None:
    """Empty every graphport table (keeps the schema and alembic_version)."""
    import sqlalchemy as sa

    from graphport.storage._models import metadata
    from graphport.storage._sso_models import sso_metadata

    tables = [*metadata.sorted_tables, *sso_metadata.sorted_tables]
    names = ", ".join(f'"{t.name}"' for t in tables)
    with database.write() as c:
        c.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
