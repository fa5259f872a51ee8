"""Server configs for the access suites (issue #5) on both stacks of ``tests/_stacks.py``.

Like ``conftest.server_config`` (embedded: SQLite + a blob directory; scale: this worker's
PostgreSQL database, S3 prefix and Redis, emptied first), with a cheap password hash: these suites
create many users and sign in often, and argon2's default profile costs ~0.3 s per hash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graphport import ServerConfig

from ._stacks import truncate_all, unavailable
from .conftest import SECRET


def fast_config(request: pytest.FixtureRequest, stack: str, data: Path) -> ServerConfig:
    if stack == "embedded":
        return ServerConfig(data=data, secret=SECRET, argon2_time_cost=1, argon2_memory_kib=64)
    scale = request.getfixturevalue("scale_stack")
    if isinstance(scale, str):
        unavailable(scale)
    urls, database = scale
    truncate_all(database)
    return ServerConfig(
        data=data,
        secret=SECRET,
        db=urls.db,
        blobs=urls.blobs_url(urls.fresh_prefix()),
        bus=urls.redis,
        argon2_time_cost=1,
        argon2_memory_kib=64,
    )
