"""``_personal_keys``: long-lived credentials, shown once, stored hashed, revocable, and made over
the API only with the caller's password."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

import graphport
from graphport.errors import AuthError, NotFoundError, PermissionDenied, ValidationError
from graphport.server import Principal
from graphport.server._personal_keys import hash_key_secret, secret_matches
from graphport.server._throttle import Throttled
from graphport.storage._models import personal_keys

from ..conftest import PASSWORD


@pytest.fixture
def keys_server(server: graphport.Server) -> graphport.Server:
    server.create_user("ann", PASSWORD)
    server.create_user("bea", PASSWORD)
    return server


def me(server: graphport.Server, username: str) -> Principal:
    return server.authenticate(server.token_for(username))


def test_the_secret_is_shown_once_and_stored_as_its_sha256(keys_server: graphport.Server) -> None:
    key_id, secret = keys_server.accounts.keys.create("ann", "laptop")
    assert key_id.startswith("gpk") and len(secret) >= 40
    with keys_server.db.read() as c:
        stored = c.execute(sa.select(personal_keys).where(personal_keys.c.id == key_id)).one()
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest() == hash_key_secret(secret)
    assert secret not in repr(tuple(stored))
    assert secret_matches(stored.secret_hash, secret) and not secret_matches(stored.secret_hash, secret + "x")
    login = keys_server.login_key(key_id, secret)
    assert keys_server.authenticate(login.token).username == "ann"


def test_a_label_over_200_characters_is_refused(keys_server: graphport.Server) -> None:
    with pytest.raises(ValidationError) as refused:
        keys_server.accounts.keys.create("ann", "x" * 201)
    assert refused.value.code == "invalid_key_name"


def test_over_the_api_a_key_takes_the_callers_password(keys_server: graphport.Server) -> None:
    ann = me(keys_server, "ann")
    for missing in (None, "", 42):
        with pytest.raises(ValidationError) as refused:
            keys_server.accounts.keys.create_as(ann, "k", missing)
        assert refused.value.code == "password_required" and refused.value.errors[0]["field"] == "password"
    with pytest.raises(PermissionDenied) as wrong:
        keys_server.accounts.keys.create_as(ann, "k", "not ann's password")
    assert wrong.value.code == "wrong_password"
    assert keys_server.accounts.keys.list("ann") == []
    key_id, _secret = keys_server.accounts.keys.create_as(ann, "k", PASSWORD)
    assert [k["id"] for k in keys_server.accounts.keys.list("ann")] == [key_id]


def test_wrong_passwords_for_a_key_are_throttled_like_sign_ins(keys_server: graphport.Server) -> None:
    ann = me(keys_server, "ann")
    for _ in range(keys_server.config.login_failures_per_user):
        with pytest.raises(PermissionDenied):
            keys_server.accounts.keys.create_as(ann, "k", "guess", address="192.0.2.1")
    with pytest.raises(Throttled) as throttled:  # even with the right password now
        keys_server.accounts.keys.create_as(ann, "k", PASSWORD, address="192.0.2.1")
    assert throttled.value.status == 429 and throttled.value.retry_after >= 1


def test_an_account_without_a_password_gets_its_keys_from_the_operator(server: graphport.Server) -> None:
    server.create_user("robot", None)
    with pytest.raises(PermissionDenied) as refused:
        server.accounts.keys.create_as(me(server, "robot"), "k", "any password")
    assert refused.value.code == "password_required" and "graphport key create" in refused.value.message
    assert server.accounts.keys.create("robot")[0].startswith("gpk")


def test_a_revoked_key_signs_in_no_more_and_only_its_owner_revokes_it(keys_server: graphport.Server) -> None:
    key_id, secret = keys_server.accounts.keys.create("ann")
    token = keys_server.login_key(key_id, secret).token
    with pytest.raises(NotFoundError) as not_hers:
        keys_server.accounts.keys.revoke(key_id, username="bea")
    assert not_hers.value.code == "key_not_found"
    keys_server.accounts.keys.revoke(key_id, username="ann")
    (listed,) = keys_server.accounts.keys.list("ann")
    assert listed["revoked_at"] is not None
    with pytest.raises(AuthError):
        keys_server.login_key(key_id, secret)
    with pytest.raises(AuthError):  # tokens minted with the key end with it
        keys_server.authenticate(token)
    with pytest.raises(NotFoundError):  # revoking twice: no active key of that id
        keys_server.accounts.keys.revoke(key_id)


def test_end_all_revokes_every_active_key_of_one_user(keys_server: graphport.Server) -> None:
    for owner in ("ann", "ann", "bea"):
        keys_server.accounts.keys.create(owner)
    ann = me(keys_server, "ann")
    with keys_server.db.write() as c:
        assert keys_server.accounts.keys.end_all(c, ann.user_id) == 2
        assert keys_server.accounts.keys.end_all(c, ann.user_id) == 0
    assert all(k["revoked_at"] is not None for k in keys_server.accounts.keys.list("ann"))
    assert all(k["revoked_at"] is None for k in keys_server.accounts.keys.list("bea"))
