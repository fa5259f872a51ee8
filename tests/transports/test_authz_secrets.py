"""Tokens and key secrets never appear in URLs, logs or error messages.

A real uvicorn (access log on, every logger at DEBUG, captured) serves a session that issues every
kind of credential (password and key logins, refreshes, org login, browser session and its CSRF
token, a new personal key) and then uses good, expired, forged, revoked and wrong credentials on
many routes, including failures and a WebSocket. Every secret issued must then be absent from
the captured log records and from every response except the one that handed it out.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
import uvicorn
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import graphport
from graphport import ServerConfig

from .._authz import PW, login_form_token
from ..conftest import SECRET
from .test_authz_idor import EDGES, SPEC

CLIENT_LOGGERS = ("httpx", "httpcore", "websockets.client")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[graphport.Server, str]]:
    import socket
    import threading

    config = ServerConfig(data=tmp_path / "d", secret=SECRET, argon2_time_cost=1, argon2_memory_kib=64)
    with graphport.Server(config=config) as server:
        server.create_user("alice", PW, email="alice@example.org")
        server.create_user("bob", PW, email="bob@example.org")
        server.create_org("acme", members=["alice"])
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        # log_config=None: uvicorn's loggers (access log included) propagate to the captured root.
        uv = uvicorn.Server(
            uvicorn.Config(
                server.asgi_app(), log_config=None, log_level="debug", access_log=True, lifespan="off"
            )
        )
        thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while not uv.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.01)
        try:
            yield server, f"127.0.0.1:{sock.getsockname()[1]}"
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


def test_no_secret_in_logs_urls_or_errors(
    served: tuple[graphport.Server, str], caplog: pytest.LogCaptureFixture
) -> None:
    server, address = served
    caplog.set_level(logging.DEBUG)
    issued: dict[str, str] = {}  # secret -> the URL of the response that handed it out
    seen: list[tuple[str, str]] = []  # (request url, response text) of every exchange

    def call(client: httpx.Client, method: str, url: str, **kw: object) -> httpx.Response:
        r = client.request(method, url, **kw)  # type: ignore[arg-type]
        seen.append((str(r.request.url), r.text))
        return r

    base = f"http://{address}"
    with httpx.Client(base_url=base) as c:
        # Credentials of every kind.
        t1 = call(c, "POST", "/api-token-auth/", json={"username": "alice", "password": PW}).json()["token"]
        issued[t1] = "/api-token-auth/"
        t2 = call(c, "POST", "/api/v2/auth/token/refresh", json={"token": t1}).json()["token"]
        issued[t2] = "/api/v2/auth/token/refresh"
        t3 = call(
            c, "POST", "/api-token-auth/", json={"username": "alice", "password": PW, "org_name": "acme"}
        ).json()["token"]
        issued[t3] = "/api-token-auth/"
        key = call(
            c,
            "POST",
            "/api/v2/keys",
            json={"name": "k", "password": PW},
            headers={"Authorization": f"Bearer {t2}"},
        ).json()
        issued[key["secret"]] = "/api/v2/keys"
        kh = {
            "Authorization": f"PersonalKey {key['key_id']}:{key['secret']}",
            "Content-Type": "application/json",
        }
        t4 = call(c, "GET", "/api/v2/auth/pkey/jwt/", content=b"{}", headers=kh).json()["token"]
        issued[t4] = "/api/v2/auth/pkey/jwt/"
        auth = {"Authorization": f"Bearer {t4}"}
        # Ordinary use, and failures of every kind.
        call(c, "POST", "/api-token-verify/", json={"token": t4})
        call(c, "POST", "/api/v2/o/acme/switch/", content=b"slug=acme", headers=auth)
        call(c, "POST", "/api/v2/o/nope/switch/", content=b"slug=nope", headers=auth)
        ds = call(
            c, "POST", "/api/v2/upload/datasets/", json={**SPEC, "org_name": "acme"}, headers=auth
        ).json()["data"]["dataset_id"]
        call(c, "POST", f"/api/v2/upload/datasets/{ds}/edges/arrow", content=EDGES, headers=auth)
        call(c, "POST", f"/api/v2/upload/datasets/{ds}/nodes/arrow", content=b"not arrow", headers=auth)
        call(c, "POST", "/api/v2/share/link/", json={"obj_pk": ds, "mode": "bogus"}, headers=auth)
        call(c, "GET", f"/api/v2/datasets/{ds}/edges.arrow", headers=auth)
        expired = jwt.encode(
            {"sub": "1", "username": "alice", "iat": 1, "exp": 2, "ep": 0, "jti": "x"},
            SECRET,
            algorithm="HS256",
        )
        forged = t4[:-6] + ("AAAAAA" if not t4.endswith("AAAAAA") else "BBBBBB")
        for bad in (expired, forged, "garbage", t4 + "x"):
            issued.setdefault(bad, "")  # never handed out: must appear nowhere
            call(c, "GET", f"/api/v2/datasets/{ds}", headers={"Authorization": f"Bearer {bad}"})
            call(c, "POST", "/api/v2/auth/token/refresh", json={"token": bad})
            call(c, "POST", "/api-token-verify/", json={"token": bad})
        call(c, "GET", "/api/v2/datasets/", headers={"Authorization": f"Token {t4}"})  # wrong scheme
        call(
            c,
            "GET",
            "/api/v2/auth/pkey/jwt/",
            headers={"Authorization": f"PersonalKey {key['key_id']}:wrong"},
        )
        call(c, "POST", "/api-token-auth/", json={"username": "alice", "password": "wrong"})
        # A socket with a good token, then with a revoked one.
        with connect(
            f"ws://{address}/api/v2/datasets/{ds}/live", additional_headers=auth, open_timeout=5
        ) as ws:
            ws.recv(timeout=5)
        call(c, "DELETE", f"/api/v2/keys/{key['key_id']}", headers={"Authorization": f"Bearer {t2}"})
        call(c, "GET", f"/api/v2/datasets/{ds}", headers=auth)  # revoked key token: 401
        with pytest.raises(InvalidStatus):
            with connect(
                f"ws://{address}/api/v2/datasets/{ds}/live", additional_headers=auth, open_timeout=5
            ):
                pass
        call(c, "GET", "/api/v2/auth/pkey/jwt/", content=b"{}", headers=kh)  # revoked key login
    with httpx.Client(base_url=base) as browser:
        token = login_form_token(browser)
        call(browser, "POST", "/login", data={"username": "alice", "password": PW, "csrf_token": token})
        issued[browser.cookies["graphport_session"]] = "/login"
        issued[browser.cookies["graphport_csrf"]] = "/login"
        call(browser, "GET", "/api/v2/me")
        call(browser, "DELETE", f"/api/v2/datasets/{ds}")  # no CSRF token: 403
        call(browser, "GET", f"/graph/graph.html?dataset={ds}")
        csrf = browser.cookies["graphport_csrf"]
        call(browser, "POST", "/logout", data={"csrf_token": csrf})
    server.accounts.set_password("alice", "a new long password")  # every session token of alice is revoked
    with httpx.Client(base_url=base) as c:
        call(c, "GET", f"/api/v2/datasets/{ds}", headers={"Authorization": f"Bearer {t2}"})

    # The server's logs: everything but the test's own client libraries (httpx, websockets.client).
    server_records = [r for r in caplog.records if not r.name.startswith(CLIENT_LOGGERS)]
    logs = "\n".join(f"{r.name} {r.getMessage()} {r.__dict__}" for r in server_records)
    assert "GET /api/v2/datasets/" in logs, "the access log was not captured"
    for secret, issuer in issued.items():
        assert secret not in logs, f"a secret (…{secret[-4:]}) is in the logs"
        for url, text in seen:
            assert secret not in url, f"a secret (…{secret[-4:]}) is in a URL"
            if secret in text:
                # Allowed: the answer that issued it; verify echoing the token its sender sent;
                # the "me" answer carrying the CSRF token (not a credential) to the page's scripts.
                assert (
                    url.endswith(issuer)
                    or (url.endswith("/api-token-verify/") and issuer != "")
                    or (url.endswith("/api/v2/me") and issuer == "/login")
                ), f"a secret (…{secret[-4:]}) is in the answer to {url}"
    # Verifying a token echoes that token to its holder (REST v3 verify); nothing else does.
    echoed = [url for url, text in seen if t4 in text]
    assert all(u.endswith(("/api/v2/auth/pkey/jwt/", "/api-token-verify/")) for u in echoed), echoed
