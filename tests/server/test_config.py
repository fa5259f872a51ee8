"""server/_config.py: the one place that reads the environment, and settings refused with a
message saying what to give instead."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphport import ConfigError, ServerConfig
from graphport.server._config import ENV_VARS, num_cpus_from_env

SECRET = "k" * 40


def test_from_env_reads_only_the_environ_it_is_given() -> None:
    environ = {
        "GRAPHPORT_DATA": "/srv/gp",
        "GRAPHPORT_DB": "postgresql://db/gp",
        "GRAPHPORT_BLOBS": "s3://bucket/gp",
        "GRAPHPORT_BUS": "redis://bus:6379/0",
        "GRAPHPORT_SECRET": SECRET,
        "GRAPHPORT_TOKEN_TTL": "5",  # not a variable the server reads: ignored
    }
    config = ServerConfig.from_env(environ)
    assert config.data == Path("/srv/gp")
    assert (config.db, config.blobs, config.bus, config.secret) == (
        "postgresql://db/gp",
        "s3://bucket/gp",
        "redis://bus:6379/0",
        SECRET,
    )
    assert config.token_ttl == ServerConfig().token_ttl
    assert ServerConfig.from_env({}) == ServerConfig()


def test_explicit_overrides_win_unless_none() -> None:
    environ = {"GRAPHPORT_DB": "sqlite:///env.db", "GRAPHPORT_DATA": "/env"}
    config = ServerConfig.from_env(environ, db="sqlite:///cli.db", data="/cli", bus=None, token_ttl=60)
    assert (config.db, config.data, config.bus, config.token_ttl) == (
        "sqlite:///cli.db",
        Path("/cli"),
        None,
        60,
    )


def test_empty_variables_count_as_unset() -> None:
    assert ServerConfig.from_env({"GRAPHPORT_DB": "", "GRAPHPORT_DATA": ""}) == ServerConfig()


def test_env_vars_lists_what_from_env_and_the_cpu_count_read() -> None:
    assert {"GRAPHPORT_DATA", "GRAPHPORT_DB", "GRAPHPORT_BLOBS", "GRAPHPORT_BUS", "GRAPHPORT_SECRET"} <= set(
        ENV_VARS
    )
    assert "GRAPHPORT_NUM_CPUS" in ENV_VARS


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"GRAPHPORT_NUM_CPUS": "3", "OMP_NUM_THREADS": "7"}, 3),
        ({"OMP_NUM_THREADS": "7"}, 7),
        ({"GRAPHPORT_NUM_CPUS": "", "OMP_NUM_THREADS": "2"}, 2),
    ],
)
def test_num_cpus_from_env(environ: dict[str, str], expected: int) -> None:
    assert num_cpus_from_env(environ) == expected


def test_num_cpus_defaults_to_the_cores() -> None:
    assert num_cpus_from_env({}) >= 1


@pytest.mark.parametrize("raw", ["0", "-2", "two", "1.5"])
def test_num_cpus_must_be_a_positive_integer(raw: str) -> None:
    with pytest.raises(
        ConfigError, match=f"GRAPHPORT_NUM_CPUS has value '{raw}'; expected a positive integer"
    ):
        num_cpus_from_env({"GRAPHPORT_NUM_CPUS": raw})


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"secret": "short"}, "use at least 32 random characters"),
        (
            {"default_privacy": "org"},
            "default_privacy is 'org'; expected one of private, organization, public",
        ),
        ({"token_ttl": 0}, "token_ttl is 0; it must be a positive number of seconds"),
        ({"max_upload_bytes": 0}, "max_upload_bytes is 0; it must be positive"),
        ({"allowed_hosts": "example.org"}, "give a tuple of host names"),
        ({"frame_ancestors": "'self'; https://x"}, "without ';' or ','"),
        ({"live_durability": "never"}, "expected 'acknowledged' (the default), 'synced' or 'interval'"),
        ({"graph_wait_seconds": -1}, "graph_wait_seconds is -1; it must be 0 or more"),
    ],
)
def test_bad_settings_are_refused_with_what_to_give(settings: dict[str, Any], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        ServerConfig(**settings)
    assert words in str(caught.value)


def test_repr_shows_no_secret_and_masks_passwords_in_service_urls() -> None:
    config = ServerConfig(
        secret="jwt-signing-key-" + "k" * 32,
        db="postgresql://app:hunter2@db.example:5432/graphport?sslmode=require",
        bus="redis://:redispass@cache.example:6379/0",
        blobs="s3://bucket/prefix?endpoint=http://s3.example&access_key=AK&secret_key=SK123",
    )
    shown = repr(config)
    for secret in ("jwt-signing-key", "hunter2", "redispass", "SK123"):
        assert secret not in shown
    assert "postgresql://app:***@db.example:5432/graphport?sslmode=require" in shown
    assert "redis://:***@cache.example:6379/0" in shown
    assert "access_key=AK" in shown and "secret_key=***" in shown
    assert "token_ttl=3600" in shown and "sso_providers" not in shown
    assert repr(ServerConfig(db="sqlite:////tmp/g.db")).count("sqlite:////tmp/g.db") == 1
