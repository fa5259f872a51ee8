"""``graphport sso add|list|remove`` (src/graphport/cli/_sso.py): stored providers, secrets never
printed or stored in clear, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

import graphport
from graphport import ServerConfig
from graphport.cli import cli

SECRET = "cli-test-client-secret-never-printed"
SERVER_SECRET = "test-secret-" + "x" * 32


def run(data: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, [*args, "--data", str(data)], input=stdin, env={"GRAPHPORT_SECRET": SERVER_SECRET}
    )
    return result.exit_code, result.output


def test_add_list_remove(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = run(data, "org", "add", "acme")
    assert code == 0, out
    code, out = run(
        data,
        "sso", "add", "okta", "--issuer", "https://login.example.org", "--client-id", "gp",
        "--client-secret-stdin", "--org", "acme", "--domain", "example.org", "--scope", "openid",
        "--scope", "email", "--display-name", "Example Login",
        stdin=SECRET + "\n",
    )  # fmt: skip
    assert code == 0, out
    assert "added SSO provider okta" in out and SECRET not in out
    code, out = run(data, "sso", "list", "--json")
    assert code == 0 and SECRET not in out
    (listed,) = json.loads(out)
    assert listed | {"client_secret": None} == {
        "name": "okta",
        "issuer": "https://login.example.org",
        "client_id": "gp",
        "client_secret": None,
        "org": "acme",
        "display_name": "Example Login",
        "allowed_domains": ["example.org"],
        "username_claim": "preferred_username",
        "scopes": ["openid", "email"],
        "source": "database",
    }
    assert listed["client_secret"] == "(set)"
    with graphport.Server(config=ServerConfig(data=data, secret=SERVER_SECRET)) as server:
        assert server.sso.providers.get("okta").client_secret == SECRET  # type: ignore[union-attr]
        with server.db.read() as c:
            stored = c.execute(sa.text("select client_secret from sso_providers")).scalar()
        assert SECRET not in stored
    code, out = run(
        data,
        "sso",
        "add",
        "okta",
        "--issuer",
        "https://x.example",
        "--client-id",
        "a",
        "--client-secret-stdin",
        stdin="s\n",
    )
    assert code == 1 and "exists; pass --replace" in out
    code, out = run(data, "sso", "remove", "okta")
    assert code == 0 and "removed" in out
    code, out = run(data, "sso", "list")
    assert code == 0 and out == ""


def test_bad_input_is_one_clear_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    code, out = run(
        data,
        "sso",
        "add",
        "okta",
        "--issuer",
        "http://login.example.org",
        "--client-id",
        "gp",
        "--client-secret-stdin",
        stdin="s\n",
    )
    assert code == 1 and "is not an https URL" in out
    code, out = run(
        data,
        "sso",
        "add",
        "Bad Name",
        "--issuer",
        "https://a.example",
        "--client-id",
        "gp",
        "--client-secret-stdin",
        stdin="s\n",
    )
    assert code == 1 and "'name' must be 1-64 lower-case letters" in out
    code, out = run(
        data,
        "sso",
        "add",
        "okta",
        "--issuer",
        "https://a.example",
        "--client-id",
        "gp",
        "--org",
        "nope",
        "--client-secret-stdin",
        stdin="s\n",
    )
    assert code == 1 and "no organization 'nope'" in out
    code, out = run(data, "sso", "remove", "okta")
    assert code == 1 and "no SSO provider named 'okta'" in out


def test_a_changed_server_secret_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(
        data,
        "sso",
        "add",
        "okta",
        "--issuer",
        "https://a.example",
        "--client-id",
        "gp",
        "--client-secret-stdin",
        stdin="s\n",
    )
    with graphport.Server(config=ServerConfig(data=data, secret="another-secret-" + "y" * 32)) as server:
        try:
            server.sso_providers()
        except graphport.ConfigError as exc:
            assert exc.code == "sso_secret_unreadable" and "server secret" in exc.message
        else:
            raise AssertionError("a secret sealed under another server secret was read")
