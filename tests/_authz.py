"""Server configs for the access suites (issue #5) on both stacks of ``tests/_stacks.py``.

Like ``conftest.server_config`` (embedded: SQLite + a blob directory; scale: this worker's
PostgreSQL database, S3 prefix and Redis, emptied first), with a cheap password hash: these suites
create many users and sign in often, and argon2's default profile costs ~0.3 s per hash.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
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


PW = "a long passphrase"


def login_form_token(client: httpx.Client, path: str = "/login") -> str:
    """GET the sign-in form as a browser does: its double-submit token (also set as a cookie)."""
    r = client.get(path)
    assert r.status_code == 200, r.text[:200]
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found is not None, "the sign-in form carries no csrf_token field"
    return found.group(1)


def form_sign_in(client: httpx.Client, username: str, password: str, **fields: str) -> httpx.Response:
    """Sign in through the /login form (token from the form, cookie kept by the client)."""
    token = login_form_token(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, **fields}
    )
