"""docs/sso.md's example configuration, run as written: given through GRAPHPORT_SSO_PROVIDERS
(with the test provider's issuer and secret put in) to a server, it signs people in, puts them in
its organization, and keeps out emails of other domains."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

import graphport
from graphport import ServerConfig

from ..conftest import SECRET
from ._idp import CLIENT_SECRET, HttpBrowser, Idp, require_idp
from .conftest import DEFAULT_ACCOUNTS

pytestmark = pytest.mark.sso_idp

DOC = Path(__file__).resolve().parents[2] / "docs" / "sso.md"


def example_config() -> str:
    text = DOC.read_text()
    section = text[text.index("### Example configuration") :]
    match = re.search(r"```json\n(.*?)```", section, re.S)
    assert match is not None, "docs/sso.md lost its example configuration"
    return match.group(1)


@pytest.fixture
def documented(tmp_path: Path) -> Iterator[tuple[graphport.Server, str, Idp]]:
    require_idp()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound first: the provider needs our callback URL, we its issuer
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    idp = Idp(tmp_path, f"{url}/sso/oidc/callback", DEFAULT_ACCOUNTS)
    providers = example_config().replace("https://login.example.org", idp.issuer)
    providers = providers.replace("REPLACE-WITH-THE-CLIENT-SECRET", CLIENT_SECRET)
    config = ServerConfig.from_env(
        {"GRAPHPORT_SSO_PROVIDERS": providers, "GRAPHPORT_SECRET": SECRET}, data=tmp_path / "data"
    )
    server = graphport.Server(config=config)
    uv = uvicorn.Server(uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield server, url, idp
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        server.close()
        idp.stop()


def test_the_documented_configuration_works(documented: tuple[graphport.Server, str, Idp]) -> None:
    server, url, _ = documented
    server.create_org("acme")  # as the doc says: the organization first
    (provider,) = server.sso_providers()
    assert (provider["name"], provider["org"], provider["source"]) == ("corp", "acme", "config")
    assert CLIENT_SECRET not in json.dumps(provider) and CLIENT_SECRET not in repr(server.config)
    assert "Sign in with Corp Login" in httpx.get(f"{url}/login").text

    browser = HttpBrowser()
    try:
        browser.sign_in(f"{url}/sso/oidc/login/corp", "carol")
        me = browser.client.get(f"{url}/api/v2/me").json()
    finally:
        browser.close()
    assert me["username"] == "carol"
    assert {o["slug"] for o in me["organizations"]} == {"~carol", "acme"}

    outsider = HttpBrowser()
    try:
        r = outsider.sign_in(f"{url}/sso/oidc/login/corp", "frank")  # frank@elsewhere.example
        assert isinstance(r, httpx.Response)
        assert (r.status_code, r.headers["x-graphport-error"]) == (403, "sso_email_domain")
    finally:
        outsider.close()
    assert server.find_user("frank") is None
