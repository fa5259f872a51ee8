"""Fixtures of the SSO tests: a live graphport server and a real identity provider beside it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import graphport
from graphport.storage._sso_models import sso_metadata

from ..conftest import LiveServer, start_live
from ._idp import CLIENT_SECRET, HttpBrowser, Idp, account, require_idp


@dataclass
class Sso:
    """A graphport server on loopback with provider ``corp`` (client ``graphport``) configured."""

    live: LiveServer
    idp: Idp
    workdir: Path

    @property
    def server(self) -> graphport.Server:
        return self.live.server

    @property
    def url(self) -> str:
        return self.live.url

    def provider(self, **extra: object) -> dict[str, object]:
        fields: dict[str, object] = {
            "name": "corp",
            "issuer": self.idp.issuer,
            "client_id": "graphport",
            "client_secret": CLIENT_SECRET,
            "display_name": "Corp Login",
            "scopes": ["openid", "email", "profile", "offline_access"],
        }
        return {**fields, **extra}


DEFAULT_ACCOUNTS = {
    "carol": account("carol@corp.example", username="carol"),
    "dave": account("dave@corp.example", username="dave"),
    "erin": account("erin@corp.example", verified=False, username="erin"),
    "frank": account("frank@elsewhere.example", username="frank"),
    "alice": account("alice@example.org", username="alice-at-idp"),
}


@pytest.fixture
def sso(server: graphport.Server, tmp_path: Path) -> Iterator[Sso]:
    require_idp()
    uv, thread, port = start_live(server)
    live = LiveServer(server, "127.0.0.1", port)
    idp = Idp(tmp_path, f"{live.url}/sso/oidc/callback", DEFAULT_ACCOUNTS)
    try:
        ctx = Sso(live, idp, tmp_path)
        # The scale stack's tables are shared by the worker's tests and tests/_stacks.truncate_all
        # empties only the tables of storage._models: the SSO tables are emptied here.
        with server.db.write() as c:
            for table in reversed(sso_metadata.sorted_tables):
                c.execute(table.delete())
        server.add_sso_provider(ctx.provider())
        yield ctx
    finally:
        idp.stop()
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[HttpBrowser]:
    b = HttpBrowser()
    try:
        yield b
    finally:
        b.close()
