"""Session data: token expiry read from the JWT, masking, credentials, privacy merging."""

from __future__ import annotations

import base64
import json
import time

import pytest

from graphport import ConfigError
from graphport.client._session import ClientSession, Credentials, PrivacySettings, Token, mask


def jwt(claims: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256'})}.{part(claims)}.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_token_expiry_is_read_from_the_payload() -> None:
    now = time.time()
    token = Token.parse(jwt({"iat": int(now), "exp": int(now) + 3600, "username": "alice"}))
    assert token.expires_at == int(now) + 3600
    assert token.lifetime == 3600
    assert token.margin == 30.0
    assert token.is_fresh(now) and not token.is_expired(now)
    assert not token.is_fresh(now + 3590)
    assert token.is_expired(now + 3601)


def test_short_lived_token_renews_a_tenth_of_its_life_early() -> None:
    token = Token.parse(jwt({"iat": 100, "exp": 103}))
    assert token.margin == pytest.approx(0.3)
    assert token.is_fresh(102.6) and not token.is_fresh(102.8)


@pytest.mark.parametrize("value", ["opaque-token", "a.b.c", "a.!!!.c", jwt({"exp": "soon"})])
def test_opaque_tokens_count_as_fresh(value: str) -> None:
    token = Token.parse(value)
    assert token.expires_at is None
    assert token.is_fresh() and not token.is_expired()


def test_secrets_are_masked() -> None:
    secret = "eyJhbGciOi.super-secret-token-value-1234"
    assert mask(secret) == "…1234"
    assert mask("short") == "…"
    assert mask(None) == "-"
    assert secret not in repr(Token.parse(secret))
    creds = Credentials(username="alice", password="hunter2-password")
    assert "hunter2" not in repr(creds) and "alice" in repr(creds)
    key = Credentials(key_id="gpk1", key_secret="key-secret-value")
    assert "key-secret" not in repr(key) and key.kind == "personal_key" and key.can_login
    assert Credentials().kind == "token" and not Credentials().can_login
    session = ClientSession(server="h:1", protocol="http", credentials=creds, token=Token.parse(secret))
    assert secret not in repr(session) and "hunter2" not in repr(session)
    assert session.username == "alice"


def test_username_comes_from_the_token_when_there_are_no_credentials() -> None:
    session = ClientSession(server="h:1", protocol="https", token=Token.parse(jwt({"username": "carol"})))
    assert session.username == "carol"
    assert session.base_url == "https://h:1"
    assert session.viewer_base == "https://h:1"
    moved = ClientSession(server="h:1", protocol="http", client_protocol_hostname="https://viz.example.org/")
    assert moved.viewer_base == "https://viz.example.org"


def test_privacy_merges_field_by_field() -> None:
    client_wide = PrivacySettings.build("organization", True, None, None, "m")
    mine = PrivacySettings.build("public", None, ["c@x.org"], None, None)
    assert mine.over(client_wide).to_wire() == {
        "mode": "public",
        "notify": True,
        "invited_users": ["c@x.org"],
        "mode_action": "10",
        "message": "m",
    }
    assert PrivacySettings().to_wire() == {
        "mode": "private",
        "notify": False,
        "invited_users": [],
        "mode_action": "20",
        "message": "",
    }
    assert mine.over(None) is mine


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"mode": "friends"}, "mode='friends') is not a known mode"),
        ({"mode_action": "30"}, "'10' (view) or '20' (edit)"),
        ({"invited_users": "bob@x.org"}, "not a single string"),
    ],
)
def test_privacy_rejects_bad_values(kwargs: dict[str, object], fragment: str) -> None:
    args: dict[str, object] = {
        "mode": None,
        "notify": None,
        "invited_users": None,
        "mode_action": None,
        "message": None,
    }
    args.update(kwargs)
    with pytest.raises(ConfigError, match="privacy") as info:
        PrivacySettings.build(**args)  # type: ignore[arg-type]
    assert fragment in str(info.value)
