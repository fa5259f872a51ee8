"""Browser sessions: the sign-in form, the HttpOnly session cookie, CSRF on cookie-authenticated
changes, Origin checks, sign-out, and the viewer's sign-in offer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import graphport

from .._arrow import ONE_EDGE
from .._authz import PW, fast_config, form_sign_in, login_form_token

SPEC = {"name": "t", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


@pytest.fixture
def srv(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> Iterator[graphport.Server]:
    with graphport.Server(config=fast_config(request, stack, tmp_path / "d")) as s:
        s.create_user("alice", PW, email="alice@example.org")
        s.create_user("bob", PW, email="bob@example.org")
        yield s


def browser(server: graphport.Server) -> httpx.Client:
    return httpx.Client(transport=server.local_transport(), base_url="http://testserver")


def sign_in(client: httpx.Client, user: str = "alice") -> str:
    r = form_sign_in(client, user, PW, next="/graph/graph.html?dataset=x")
    assert r.status_code == 303 and r.headers["location"] == "/graph/graph.html?dataset=x"
    return str(client.cookies["graphport_csrf"])


def dataset(server: graphport.Server, owner: str = "alice", mode: str = "private") -> str:
    principal = server.authenticate(server.token_for(owner))
    return server.plot(principal, SPEC, ONE_EDGE, None, {"mode": mode})


def test_sign_in_sets_a_httponly_session_and_a_csrf_cookie(srv: graphport.Server) -> None:
    with browser(srv) as client:
        r = form_sign_in(client, "alice", PW)
        cookies = r.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("graphport_session="))
        csrf = next(c for c in cookies if c.startswith("graphport_csrf="))
        assert "HttpOnly" in session and "samesite=lax" in session.lower()
        assert "HttpOnly" not in csrf and "samesite=strict" in csrf.lower()
        me = client.get("/api/v2/me").json()
        assert me["username"] == "alice" and me["csrf_token"] == client.cookies["graphport_csrf"]
        assert "token" not in {k for k in me if k != "csrf_token"}


def test_wrong_password_sets_no_cookie(srv: graphport.Server) -> None:
    with browser(srv) as client:
        r = form_sign_in(client, "alice", "nope nope")
        assert r.status_code == 401 and "graphport_session" not in client.cookies


def test_cookie_changes_need_the_csrf_token(srv: graphport.Server) -> None:
    ds = dataset(srv)
    with browser(srv) as client:
        csrf = sign_in(client)
        r = client.delete(f"/api/v2/datasets/{ds}")
        assert r.status_code == 403 and r.json()["code"] == "csrf_failed"
        r = client.delete(f"/api/v2/datasets/{ds}", headers={"X-CSRF-Token": "0" * 40})
        assert r.status_code == 403
        r = client.delete(f"/api/v2/datasets/{ds}", headers=[(b"X-CSRF-Token", "é€".encode())])
        assert r.status_code == 403  # not a 500: any header value compares
        with browser(srv) as other:  # another session's CSRF token does not fit this session
            other_csrf = sign_in(other)
        assert other_csrf != csrf
        assert (
            client.delete(f"/api/v2/datasets/{ds}", headers={"X-CSRF-Token": other_csrf}).status_code == 403
        )
        r = client.delete(
            f"/api/v2/datasets/{ds}", headers={"X-CSRF-Token": csrf, "Origin": "http://evil.example"}
        )
        assert r.status_code == 403 and r.json()["code"] == "origin_refused"
        assert client.get(f"/api/v2/datasets/{ds}").status_code == 200  # nothing was deleted
        r = client.delete(
            f"/api/v2/datasets/{ds}", headers={"X-CSRF-Token": csrf, "Origin": "http://testserver"}
        )
        assert r.status_code == 200
        assert client.get(f"/api/v2/datasets/{ds}").status_code == 404


def test_cookie_session_manages_keys_and_privacy(srv: graphport.Server) -> None:
    ds = dataset(srv)
    with browser(srv) as client:
        csrf = {"X-CSRF-Token": sign_in(client)}
        assert client.post("/api/v2/keys", json={"name": "k", "password": PW}).status_code == 403
        key = client.post("/api/v2/keys", json={"name": "k", "password": PW}, headers=csrf)
        assert key.status_code == 201 and key.json()["secret"]
        assert [k["id"] for k in client.get("/api/v2/keys").json()["keys"]] == [key.json()["key_id"]]
        r = client.put(f"/api/v2/datasets/{ds}/privacy", json={"mode": "public"}, headers=csrf)
        assert r.status_code == 200 and r.json()["privacy"]["mode"] == "public"


def test_rest_v3_routes_ignore_the_cookie(srv: graphport.Server) -> None:
    """The official client sends Bearer tokens; a browser's cookie does not reach these routes."""
    ds = dataset(srv)
    with browser(srv) as client:
        csrf = {"X-CSRF-Token": sign_in(client)}
        assert client.post("/api/v2/upload/datasets/", json=SPEC, headers=csrf).status_code == 401
        body = {"obj_pk": ds, "obj_type": "dataset", "mode": "public"}
        assert client.post("/api/v2/share/link/", json=body, headers=csrf).status_code == 401
        assert (
            client.post(f"/api/v2/datasets/{ds}/live/edges", content=ONE_EDGE, headers=csrf).status_code
            == 401
        )


def test_login_from_another_site_is_refused(srv: graphport.Server) -> None:
    with browser(srv) as client:
        token = login_form_token(client)
        r = client.post(
            "/login",
            data={"username": "alice", "password": PW, "csrf_token": token},
            headers={"Origin": "http://evil.example"},
        )
        assert r.status_code == 403 and "graphport_session" not in client.cookies


def test_login_without_the_forms_token_is_refused(srv: graphport.Server) -> None:
    """Login CSRF with `Origin: null` (what Chromium sends from a no-referrer page): the
    double-submit token decides. Another site can neither read nor set it."""
    with browser(srv) as client:
        null = {"Origin": "null"}
        r = client.post("/login", data={"username": "alice", "password": PW}, headers=null)
        assert r.status_code == 403 and "graphport_session" not in client.cookies
        forged = "0" * 32 + "." + "0" * 40  # a token this server never signed, in field and cookie
        client.cookies.set("graphport_login_csrf", forged, path="/login")
        r = client.post(
            "/login", data={"username": "alice", "password": PW, "csrf_token": forged}, headers=null
        )
        assert r.status_code == 403 and "graphport_session" not in client.cookies
        good = login_form_token(client)  # a real token, but only in the field: no cookie
        client.cookies.clear()
        r = client.post("/login", data={"username": "alice", "password": PW, "csrf_token": good})
        assert r.status_code == 403 and "graphport_session" not in client.cookies
        r = form_sign_in(client, "alice", PW)
        assert r.status_code == 303 and "graphport_session" in client.cookies


def test_the_sign_in_page_sends_the_origin(srv: graphport.Server) -> None:
    """Pages say no-referrer, so a form posted from them carries `Origin: null` in Chromium; the
    sign-in page says same-origin, so its post carries the real origin."""
    with browser(srv) as client:
        assert client.get("/").headers["referrer-policy"] == "no-referrer"
        assert client.get("/login").headers["referrer-policy"] == "same-origin"


def test_sign_out_revokes_the_session(srv: graphport.Server) -> None:
    with browser(srv) as client:
        csrf = sign_in(client)
        session = client.cookies["graphport_session"]
        page = client.get("/logout")  # GET changes nothing: it offers a button
        assert page.status_code == 200 and 'method="post"' in page.text
        assert client.get("/api/v2/me").status_code == 200
        r = client.post("/logout")  # no CSRF token: another site cannot sign you out
        assert r.status_code == 403 and client.get("/api/v2/me").status_code == 200
        r = client.post("/logout", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert "graphport_session" not in client.cookies and "graphport_csrf" not in client.cookies
        assert client.get("/api/v2/me").status_code == 401
    # The token itself is dead (it was valid for another hour), in every process (the database).
    r = httpx.Client(transport=srv.local_transport(), base_url="http://testserver").get(
        "/api/v2/me", headers={"Authorization": f"Bearer {session}"}
    )
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_the_viewer_offers_sign_in(srv: graphport.Server) -> None:
    ds = dataset(srv)
    public = dataset(srv, mode="public")
    with browser(srv) as client:
        r = client.get(f"/graph/graph.html?dataset={ds}&type=arrow")
        assert r.status_code == 404 and "text/html" in r.headers["content-type"]
        assert f"/login?next=%2Fgraph%2Fgraph.html%3Fdataset%3D{ds}%26type%3Darrow" in r.text
        assert client.get(f"/graph/graph.html?dataset={public}").status_code in (
            200,
            503,
        )  # 503: bundle not built
        client.cookies.set("graphport_session", "stale.or.forged")  # a bad session counts as anonymous
        assert client.get(f"/graph/graph.html?dataset={ds}").status_code == 404
        client.cookies.clear()
        sign_in(client, "bob")
        r = client.get(f"/graph/graph.html?dataset={ds}")
        assert r.status_code == 404 and "Signed in as bob" in r.text and "someone else" in r.text
        client.cookies.clear()
        sign_in(client, "alice")
        assert client.get(f"/graph/graph.html?dataset={ds}").status_code in (200, 503)
