"""``_sessions``: who a token speaks for, refreshing, minting without credentials, signing out."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import graphport
from graphport.errors import AuthError, NotFoundError
from graphport.storage._models import revoked_tokens

from ..conftest import PASSWORD


@pytest.fixture
def ann(server: graphport.Server) -> graphport.Server:
    server.create_user("ann", PASSWORD)
    return server


def revoked_rows(server: graphport.Server) -> int:
    with server.db.read() as c:
        return int(c.execute(sa.select(sa.func.count()).select_from(revoked_tokens)).scalar_one())


def test_a_minted_token_speaks_for_its_user(ann: graphport.Server) -> None:
    principal = ann.accounts.sessions.authenticate(ann.accounts.sessions.token_for("ann"))
    assert principal.username == "ann" and principal.key_id is None and principal.token_id


def test_a_refreshed_token_is_new_and_speaks_for_the_same_user(ann: graphport.Server) -> None:
    sessions = ann.accounts.sessions
    token = sessions.token_for("ann")
    fresh = sessions.refresh(token)
    assert fresh != token
    old, new = sessions.authenticate(token), sessions.authenticate(fresh)
    assert (old.user_id, old.username) == (new.user_id, new.username)
    assert old.token_id != new.token_id


def test_a_key_token_refreshes_into_a_key_token(ann: graphport.Server) -> None:
    key_id, secret = ann.accounts.keys.create("ann")
    fresh = ann.accounts.sessions.refresh(ann.login_key(key_id, secret).token)
    assert ann.accounts.sessions.authenticate(fresh).key_id == key_id
    ann.accounts.keys.revoke(key_id)
    with pytest.raises(AuthError) as ended:
        ann.accounts.sessions.authenticate(fresh)
    assert ended.value.code == "token_revoked"


@pytest.mark.parametrize(
    "claims", [{}, {"sub": "u"}, {"jti": "j"}, {"sub": 1, "jti": "j"}, {"sub": "u", "jti": "j", "kid": 5}]
)
def test_claims_without_a_user_and_token_id_are_invalid(
    ann: graphport.Server, claims: dict[str, object]
) -> None:
    with pytest.raises(AuthError) as invalid:
        ann.accounts.sessions.principal_for_claims(claims)
    assert invalid.value.code == "token_invalid"


def test_signing_out_ends_one_token_in_every_process(ann: graphport.Server) -> None:
    sessions = ann.accounts.sessions
    token, other = sessions.token_for("ann"), sessions.token_for("ann")
    assert sessions.revoke_token(token) is True
    with pytest.raises(AuthError) as ended:
        sessions.authenticate(token)
    assert ended.value.code == "token_revoked"
    with pytest.raises(AuthError):
        sessions.refresh(token)
    assert sessions.authenticate(other).username == "ann"  # the other session goes on
    assert sessions.revoke_token(token) is False  # already ended
    assert sessions.revoke_token("not a token") is False
    assert revoked_rows(ann) == 1


def test_a_stored_sign_out_is_dropped_once_its_token_would_have_expired(ann: graphport.Server) -> None:
    sessions, tokens = ann.accounts.sessions, ann.tokens
    assert sessions.revoke_token(sessions.token_for("ann"))
    now = tokens.clock()
    tokens.clock = lambda: now + tokens.ttl + 1  # later than the first token's expiry
    assert sessions.revoke_token(sessions.token_for("ann"))
    assert revoked_rows(ann) == 1  # the first row went with the second sign-out


def test_a_new_password_ends_every_token(ann: graphport.Server) -> None:
    token = ann.accounts.sessions.token_for("ann")
    ann.set_password("ann", "another good password")
    with pytest.raises(AuthError) as ended:
        ann.accounts.sessions.authenticate(token)
    assert ended.value.code == "token_revoked"


def test_a_disabled_user_gets_no_token_and_loses_theirs(ann: graphport.Server) -> None:
    token = ann.accounts.sessions.token_for("ann")
    ann.set_active("ann", False)
    with pytest.raises(AuthError):
        ann.accounts.sessions.authenticate(token)
    with pytest.raises(NotFoundError):  # token_for() mints only for active users
        ann.accounts.sessions.token_for("ann")
