"""Provider definitions (server/_sso_config.py): validation with the field named, secrets kept out
of every repr, GRAPHPORT_SSO_PROVIDERS, and the secret box. No identity provider needed."""

from __future__ import annotations

import pytest

from graphport import ConfigError, ServerConfig, ValidationError
from graphport.server._sso_config import SecretBox, provider_from_mapping

GOOD = {
    "name": "corp",
    "issuer": "https://login.example.org",
    "client_id": "gp",
    "client_secret": "s3cr3t-value",
}


def test_a_good_provider_and_its_defaults() -> None:
    p = provider_from_mapping({**GOOD, "allowed_domains": "Example.org, @corp.example"})
    assert (p.scopes, p.username_claim, p.allowed_domains) == (
        ("openid", "email", "profile"),
        "preferred_username",
        ("example.org", "corp.example"),
    )
    assert p.email_allowed("a@example.org") and p.email_allowed("a@eu.corp.example")
    assert not p.email_allowed("a@notexample.org")
    assert "s3cr3t-value" not in repr(p) and "s3cr3t-value" not in str(p.describe())


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": "Corp Login"}, "name", "lower-case letters"),
        ({"issuer": "http://login.example.org"}, "issuer", "not an https URL"),
        ({"issuer": "ftp://127.0.0.1"}, "issuer", "not an https URL"),
        ({"client_secret": ""}, "client_secret", "non-empty string"),
        ({"scopes": ["email"]}, "scopes", "includes 'openid'"),
        ({"allowed_domains": ["not a domain"]}, "allowed_domains", "domain names"),
        ({"username_claim": "a b"}, "username_claim", "claim name"),
        ({"org": 3}, "org", "a string"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        provider_from_mapping({**GOOD, **change})
    assert info.value.code == "invalid_sso_provider" and words in info.value.message
    if field != "issuer":
        assert info.value.errors[0]["field"] == field


def test_plain_http_is_allowed_on_loopback_only() -> None:
    assert (
        provider_from_mapping({**GOOD, "issuer": "http://127.0.0.1:9000"}).issuer == "http://127.0.0.1:9000"
    )
    assert provider_from_mapping({**GOOD, "issuer": "http://localhost:9000/realms/x"}).issuer.endswith("/x")


def test_unknown_settings_are_refused() -> None:
    with pytest.raises(ValidationError, match="Unknown SSO provider settings"):
        provider_from_mapping({**GOOD, "clientSecret": "x"})


def test_the_environment_variable() -> None:
    config = ServerConfig.from_env({"GRAPHPORT_SSO_PROVIDERS": '[{"name": "corp"}]'})
    assert config.sso_providers == ({"name": "corp"},)
    assert "corp" not in repr(config)  # the field holds secrets: never in the repr
    with pytest.raises(ConfigError, match="not JSON"):
        ServerConfig.from_env({"GRAPHPORT_SSO_PROVIDERS": "[{"})
    with pytest.raises(ConfigError, match="JSON list"):
        ServerConfig.from_env({"GRAPHPORT_SSO_PROVIDERS": '{"name": "corp"}'})
    with pytest.raises(ConfigError, match="sso_state_ttl"):
        ServerConfig(sso_state_ttl=0)


def test_a_server_refuses_a_bad_configured_provider(tmp_path: object) -> None:
    import graphport

    with pytest.raises(ValidationError, match="'client_id' must be"):
        graphport.Server(config=ServerConfig(sso_providers=({**GOOD, "client_id": None},)))


def test_the_secret_box_round_trips_and_binds_to_the_server_secret() -> None:
    box = SecretBox("a" * 40)
    sealed = box.seal("client-secret")
    assert "client-secret" not in sealed and box.open(sealed, "x") == "client-secret"
    assert repr(box) == "SecretBox()"
    with pytest.raises(ConfigError) as info:
        SecretBox("b" * 40).open(sealed, "client secret of SSO provider 'corp'")
    assert info.value.code == "sso_secret_unreadable"
