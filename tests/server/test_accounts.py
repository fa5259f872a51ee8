"""Accounts (issue #10 F9, F10, Low; #17): credentials bound to the deployment and a stable user
id, key creation re-authenticates, a password change ends every credential, sign-in throttling,
bounded concurrent hashes, the password policy, and sign-in bodies of the wrong JSON type."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest

import graphport
from graphport import ServerConfig
from graphport.errors import AuthError, ValidationError
from graphport.server._throttle import HashSlots, LoginThrottle, Throttled

from .._authz import PW, fast_config
from ..conftest import SECRET


@pytest.fixture
def fast(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> Iterator[graphport.Server]:
    with graphport.Server(config=fast_config(request, stack, tmp_path / "d")) as s:
        s.create_user("alice", PW, email="alice@example.org")
        yield s


def client(server: graphport.Server) -> httpx.Client:
    return httpx.Client(transport=server.local_transport(), base_url="http://testserver")


# -- F10: tokens are bound to the deployment and to a stable user id ------------------------------


def cheap(data: Path, **kw: object) -> ServerConfig:
    return ServerConfig(data=data, secret=SECRET, argon2_time_cost=1, argon2_memory_kib=64, **kw)  # type: ignore[arg-type]


def test_another_deployment_with_the_same_secret_refuses_our_tokens(tmp_path: Path) -> None:
    """Two instances sharing GRAPHPORT_SECRET used to accept each other's tokens and map them
    by numeric user id: alice's token of one was user 1 (someone else) on the other."""
    with (
        graphport.Server(config=cheap(tmp_path / "one")) as one,
        graphport.Server(config=cheap(tmp_path / "two")) as two,
    ):
        one.create_user("alice", PW)
        two.create_user("mallory", PW)  # user 1 over there
        token = one.login("alice", PW).token
        with pytest.raises(AuthError):
            two.authenticate(token)
        with pytest.raises(AuthError):
            two.refresh(token)
        claims = jwt.decode(token, options={"verify_signature": False})
        assert claims["iss"] == claims["aud"] == one.tokens.issuer != two.tokens.issuer
        assert claims["sub"] != "1" and len(claims["sub"]) == 32  # the random uid, not the row id


def test_processes_of_one_deployment_share_the_issuer(tmp_path: Path) -> None:
    """The deployment id lives in the database, so a second process over it accepts the tokens."""
    with graphport.Server(config=cheap(tmp_path / "d")) as first:
        first.create_user("alice", PW)
        token = first.login("alice", PW).token
        with graphport.Server(config=cheap(tmp_path / "d")) as second:
            assert second.authenticate(token).username == "alice"


def test_tokens_from_before_the_binding_are_refused(fast: graphport.Server) -> None:
    """A token as the server minted them before migration 0004 (numeric sub, no iss/aud)."""
    now = int(time.time())
    old = jwt.encode(
        {"sub": "1", "username": "alice", "iat": now, "exp": now + 600, "jti": "a" * 24, "ep": 0},
        SECRET,
        algorithm="HS256",
    )
    with pytest.raises(AuthError):
        fast.authenticate(old)
    with client(fast) as http:
        r = http.get("/api/v2/me", headers={"Authorization": f"Bearer {old}"})
        assert r.status_code == 401


# -- F9: keys need the password; a password change ends every credential; revoke-all -------------


def test_a_stolen_token_cannot_become_a_key(fast: graphport.Server) -> None:
    token = fast.login("alice", PW).token
    auth = {"Authorization": f"Bearer {token}"}
    with client(fast) as http:
        r = http.post("/api/v2/keys", json={"name": "persist"}, headers=auth)
        assert r.status_code == 400 and r.json()["code"] == "password_required"
        r = http.post("/api/v2/keys", json={"name": "persist", "password": "guess guess"}, headers=auth)
        assert r.status_code == 403 and r.json()["code"] == "wrong_password"
        r = http.post("/api/v2/keys", json={"name": "persist", "password": {"$ne": 1}}, headers=auth)
        assert r.status_code == 400
        assert http.get("/api/v2/keys", headers=auth).json()["count"] == 0
        r = http.post("/api/v2/keys", json={"name": "ok", "password": PW}, headers=auth)
        assert r.status_code == 201


def test_password_change_ends_tokens_and_keys(fast: graphport.Server) -> None:
    key_id, secret = fast.create_key("alice", "old")
    key_token = fast.login_key(key_id, secret).token
    token = fast.login("alice", PW).token
    assert fast.accounts.set_password("alice", "a brand new password") == 1
    for dead in (token, key_token):
        with pytest.raises(AuthError):
            fast.authenticate(dead)
    with pytest.raises(AuthError):
        fast.login_key(key_id, secret)  # the key a stolen token made would end here too


def test_revoke_all_route(fast: graphport.Server) -> None:
    key_id, secret = fast.create_key("alice", "k")
    token = fast.login("alice", PW).token
    other = fast.login("alice", PW).token
    with client(fast) as http:
        r = http.post("/api/v2/me/revoke-all", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["keys_revoked"] == 1
        for dead in (token, other):
            assert http.get("/api/v2/me", headers={"Authorization": f"Bearer {dead}"}).status_code == 401
    with pytest.raises(AuthError):
        fast.login_key(key_id, secret)
    assert fast.login("alice", PW).token  # the password still works


# -- sign-in throttling and bounded hashes ----------------------------------------------------------


def test_failed_sign_ins_are_throttled_per_user_and_address(tmp_path: Path) -> None:
    config = cheap(tmp_path / "d", login_failures_per_user=3, login_failures_per_address=5)
    with graphport.Server(config=config) as server, client(server) as http:
        server.create_user("alice", PW)
        server.create_user("bob", PW)
        for _ in range(3):
            r = http.post("/api-token-auth/", json={"username": "alice", "password": "wrong guess"})
            assert r.status_code == 401
        # Throttled before any hash: even the right password waits now.
        r = http.post("/api-token-auth/", json={"username": "alice", "password": PW})
        assert r.status_code == 429 and r.json()["code"] == "too_many_attempts"
        assert 0 < int(r.headers["retry-after"]) <= 300
        # The same address, other names: the address limit (5) stops the spraying.
        for name in ("bob", "carol"):
            http.post("/api-token-auth/", json={"username": name, "password": "wrong guess"})
        r = http.post("/api-token-auth/", json={"username": "bob", "password": PW})
        assert r.status_code == 429
        # The sign-in form answers the same way.
        from .._authz import form_sign_in

        r = form_sign_in(http, "bob", PW)
        assert r.status_code == 429 and "retry-after" in r.headers


def test_throttle_window_slides() -> None:
    now = [1000.0]
    throttle = LoginThrottle(per_user=2, per_address=0, window=60, clock=lambda: now[0])
    throttle.failed("Alice", "10.0.0.1")
    throttle.failed("alice", "10.0.0.2")  # names are case-insensitive
    with pytest.raises(Throttled) as caught:
        throttle.check("ALICE", None)
    assert caught.value.retry_after == 60
    now[0] += 61
    throttle.check("alice", None)
    throttle.failed("alice", None)
    throttle.succeeded("alice")
    throttle.failed("alice", None)
    throttle.check("alice", None)  # success cleared the count


def test_concurrent_hashes_are_bounded() -> None:
    slots = HashSlots(1, wait=0.05)
    with slots.slot():
        with pytest.raises(Throttled) as caught, slots.slot():
            pass
    assert caught.value.status == 503 and caught.value.code == "login_busy"
    with slots.slot():
        pass


# -- the password policy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "password"),
    [("bobby", ""), ("bobby", "pw"), ("bobby", "1234567"), ("bobby123", "bobby123"), ("alice", "ALICE")],
)
def test_new_passwords_follow_the_policy(fast: graphport.Server, username: str, password: str) -> None:
    with pytest.raises(ValidationError) as caught:
        fast.create_user(
            username if username != "alice" else "alice2", password if username != "alice" else "ALICE2"
        )
    assert caught.value.code == "weak_password"
    with pytest.raises(ValidationError):
        fast.accounts.set_password("alice", password if username == "alice" or len(password) < 8 else "Alice")
    assert fast.login("alice", PW).token  # nothing changed


# -- issue #17: sign-in bodies of the wrong JSON type are a 400 naming the field ---------------------


@pytest.mark.parametrize("org_name", [{"a": 1}, ["acme"], 7, True])
def test_org_name_of_the_wrong_type_is_a_400_on_every_login_route(
    fast: graphport.Server, org_name: object
) -> None:
    key = ":".join(fast.create_key("alice", "k"))
    with client(fast) as http:
        r = http.post("/api-token-auth/", json={"username": "alice", "password": PW, "org_name": org_name})
        assert r.status_code == 400 and r.json()["code"] == "invalid_org_name", r.text
        assert "org_name" in r.text
        for method in ("GET", "POST"):
            r = http.request(
                method,
                "/api/v2/auth/pkey/jwt/",
                json={"org_name": org_name},
                headers={"Authorization": f"PersonalKey {key}"},
            )
            assert r.status_code == 400 and "org_name" in r.text, r.text
    with pytest.raises(ValidationError):
        fast.login("alice", PW, org_name=org_name)  # type: ignore[arg-type]


@pytest.mark.parametrize("field", ["username", "password"])
def test_credentials_of_the_wrong_type_are_named(fast: graphport.Server, field: str) -> None:
    body: dict[str, object] = {"username": "alice", "password": PW, field: {"x": 1}}
    with client(fast) as http:
        r = http.post("/api-token-auth/", json=body)
        assert r.status_code == 400 and field in r.json()["error"]
