"""Admin commands of issue #5: user set | disable | enable | set-password, org remove-member, key list | revoke."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from graphport import Server, ServerConfig
from graphport.cli import cli
from graphport.errors import AuthError


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_user_set_disable_and_keys(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    assert run("user", "add", "alice", "--password", "alice's password", "--data", data)[0] == 0
    assert run("user", "add", "bob", "--password", "bob's password", "--data", data)[0] == 0
    assert run("org", "add", "acme", "--member", "alice", "--data", data)[0] == 0
    assert run("org", "add", "beta", "--member", "alice", "--member", "bob", "--data", data)[0] == 0

    code, out, _ = run(
        "user",
        "set",
        "alice",
        "--email",
        "Alice@Example.org",
        "--default-org",
        "beta",
        "--admin",
        "--data",
        data,
    )
    assert code == 0 and "updated alice" in out
    code, _, err = run("user", "set", "bob", "--default-org", "acme", "--data", data)
    assert code == 1 and "not a member of 'acme'" in err and "Traceback" not in err
    assert run("user", "set", "bob", "--data", data)[0] == 2  # nothing to change: usage error

    code, out, _ = run("key", "create", "alice", "--label", "laptop", "--data", data)
    key_id, _, secret = out.strip().partition(":")
    assert run("key", "list", "alice", "--data", data)[1].split("\t")[:3] == [key_id, "active", "never used"]

    with Server(config=ServerConfig(data=Path(data))) as server:
        me = server.accounts.describe_user(server.accounts.require_user("alice").user_id)
        assert (me["email"], me["is_admin"], me["default_org"]) == ("alice@example.org", True, "beta")
        token = server.login_key(key_id, secret).token
    assert "never used" not in run("key", "list", "alice", "--data", data)[1]

    assert run("key", "revoke", key_id, "--data", data)[0] == 0
    assert run("key", "list", "alice", "--data", data)[1].split("\t")[1] == "revoked"
    assert run("org", "remove-member", "beta", "bob", "--data", data)[0] == 0
    assert run("user", "disable", "bob", "--data", data)[0] == 0
    with Server(config=ServerConfig(data=Path(data))) as server:
        with pytest.raises(AuthError):
            server.authenticate(token)  # the key's token died with the key
        with pytest.raises(AuthError):
            server.login("bob", "bob's password")  # disabled
        assert server.accounts.describe_user(server.accounts.require_user("alice").user_id)[
            "organizations"
        ] == [
            {"slug": "acme", "name": "acme", "role": "member", "personal": False},
            {"slug": "beta", "name": "beta", "role": "member", "personal": False},
            {"slug": "~alice", "name": "alice", "role": "owner", "personal": True},
        ]
    assert run("user", "enable", "bob", "--data", data)[0] == 0
    assert run("user", "set-password", "bob", "--password", "bob's new password", "--data", data)[0] == 0
    with Server(config=ServerConfig(data=Path(data))) as server:
        assert server.login("bob", "bob's new password").token
        assert [
            o["slug"]
            for o in server.accounts.describe_user(server.accounts.require_user("bob").user_id)[
                "organizations"
            ]
        ] == ["~bob"]
