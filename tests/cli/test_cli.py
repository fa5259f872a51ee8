"""The ``graphport`` command, run in-process with click's runner against a real data directory."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from graphport import Server, ServerConfig
from graphport.cli import cli
from graphport.errors import AuthError

from ..conftest import start_live

PW = "a long passphrase"


def run(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, env=env, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_help_for_every_command() -> None:
    for args in (
        ["--help"],
        ["serve", "--help"],
        ["user", "add", "--help"],
        ["org", "add", "--help"],
        ["org", "add-member", "--help"],
        ["key", "create", "--help"],
        ["demo", "--help"],
    ):
        code, out, _ = run(*args)
        assert code == 0 and "Usage:" in out


def test_user_org_key_roundtrip(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    assert run("user", "add", "alice", "--password", PW, "--email", "a@example.org", "--data", data)[0] == 0
    assert run("user", "add", "bob", "--password", PW, "--data", data)[0] == 0
    assert run("org", "add", "acme", "--member", "alice", "--data", data)[0] == 0
    assert run("org", "add-member", "acme", "bob", "--role", "admin", "--data", data)[0] == 0
    code, out, _ = run("key", "create", "alice", "--data", data)
    key_id, _, secret = out.strip().partition(":")
    assert code == 0 and key_id and len(secret) >= 40
    with Server(config=ServerConfig(data=Path(data))) as server:
        assert server.login_key(key_id, secret).token
        assert server.login("bob", PW, org_name="acme").org.is_member  # type: ignore[union-attr]
    # the generated JWT secret is private to the owner
    assert stat.S_IMODE(os.stat(Path(data) / "secret.key").st_mode) == 0o600


def test_errors_are_one_line_and_nonzero(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    run("user", "add", "alice", "--password", PW, "--data", data)
    code, _out, err = run("user", "add", "alice", "--password", PW, "--data", data)
    assert code == 1 and err.strip() == "Error: A user named 'alice' already exists."
    code, _, err = run("org", "add-member", "nope", "alice", "--data", data)
    assert code == 1 and "There is no organization 'nope'" in err and "Traceback" not in err
    code, _, err = run("key", "create", "ghost", "--data", data)
    assert code == 1 and "ghost" in err


def test_demo_creates_sample_and_prints_url(tmp_path: Path) -> None:
    data = tmp_path / "d"
    code, out, _ = run("demo", "--no-serve", "--data", str(data), "--port", "9999")
    assert code == 0
    url = next(line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("sample graph"))
    assert url.startswith("http://127.0.0.1:9999/graph/graph.html?dataset=")
    with Server(config=ServerConfig(data=data)) as server:
        uv, thread, port = start_live(server)
        try:
            ds = url.split("dataset=")[1]
            info = httpx.get(f"http://127.0.0.1:{port}/api/v2/datasets/{ds}").json()
            assert info["name"] == "Les Misérables" and info["rows"]["edges"] == 254
        finally:
            uv.should_exit = True
            thread.join(10)
    # a second run reuses the user and the sample
    assert run("demo", "--no-serve", "--data", str(data), "--port", "9999")[1].count(url) == 1


def test_serve_starts_and_answers(tmp_path: Path) -> None:
    """The installed console script serves over loopback and stops on SIGTERM."""
    exe = Path(sys.executable).parent / "graphport"
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(exe), "serve", "--port", str(port), "--data", str(tmp_path / "d"), "--sample"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert any("sign in at" in line for line in lines)
        sample = next(line.split(": ", 1)[1].strip() for line in lines if line.startswith("sample graph"))
        for _ in range(100):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                import time

                time.sleep(0.1)
        ds = sample.split("dataset=")[1]
        assert httpx.get(f"http://127.0.0.1:{port}/api/v2/datasets/{ds}/nodes.arrow").status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)
        if proc.stdout is not None:
            proc.stdout.close()


def test_passwords_need_not_be_on_the_command_line(tmp_path: Path) -> None:
    """--password shows in `ps`: the prompt, --password-stdin and GRAPHPORT_PASSWORD do not."""
    data = str(tmp_path / "d")
    assert run("user", "add", "ann", "--password-stdin", "--data", data, stdin="stdin password\n")[0] == 0
    assert run("user", "add", "ben", "--data", data, env={"GRAPHPORT_PASSWORD": "env password"})[0] == 0
    code, out, _ = run("user", "add", "cat", "--data", data, stdin="prompt password\nprompt password\n")
    assert code == 0 and "prompt password" not in out  # typed twice, never echoed
    code, _, err = run("user", "add", "dan", "--password", "dan", "--data", data)
    assert code == 1 and "8" in err  # the password policy: 8 characters at least, not the username
    assert run("user", "add", "dan", "--password", "dan's password", "--data", data)[0] == 0
    code, _, err = run("user", "set-password", "dan", "--password", "DANDANDAN"[:3], "--data", data)
    assert code == 1 and "8" in err and "Traceback" not in err
    code, _, err = run("user", "set-password", "danielle", "--password", "Danielle", "--data", data)
    assert code == 1 and "is the username" in err
    with Server(config=ServerConfig(data=Path(data))) as server:
        for name, password in (
            ("ann", "stdin password"),
            ("ben", "env password"),
            ("cat", "prompt password"),
        ):
            assert server.login(name, password).token


def test_set_password_and_revoke_all_end_every_credential(tmp_path: Path) -> None:
    data = str(tmp_path / "d")
    assert run("user", "add", "ann", "--password", PW, "--data", data)[0] == 0
    key = run("key", "create", "ann", "--data", data)[1].strip()
    with Server(config=ServerConfig(data=Path(data))) as server:
        token = server.login("ann", PW).token
    code, out, _ = run(
        "user", "set-password", "ann", "--password-stdin", "--data", data, stdin="new password 1\n"
    )
    assert code == 0 and "1 personal key" in out
    key_id, _, secret = key.partition(":")
    with Server(config=ServerConfig(data=Path(data))) as server:
        with pytest.raises(AuthError):
            server.authenticate(token)
        with pytest.raises(AuthError):
            server.login_key(key_id, secret)  # the key ended with the old password (issue #10 F9)
        token = server.login("ann", "new password 1").token
    assert run("user", "revoke-all", "ann", "--data", data)[0] == 0
    with Server(config=ServerConfig(data=Path(data))) as server, pytest.raises(AuthError):
        server.authenticate(token)


def test_db_upgrade_says_what_it_did(tmp_path: Path) -> None:
    """Issue #17: it said "up to date" right after migrating an empty database."""
    code, out, _ = run("db", "upgrade", "--data", str(tmp_path))
    assert code == 0 and "upgraded from revision (empty) to" in out, out
    code, out, _ = run("db", "upgrade", "--data", str(tmp_path))
    assert code == 0 and "up to date (revision" in out, out


def test_recover_removes_what_a_crash_left(tmp_path: Path) -> None:
    with Server(data=tmp_path) as server:
        server.blobs.put(b"an upload whose row never committed")
        assert sum(1 for _ in server.blobs.keys()) == 1
    code, out, _ = run("recover", "--data", str(tmp_path))
    assert code == 0 and "0 unnamed blobs" in out, out  # younger than the default grace: kept
    code, out, _ = run("recover", "--data", str(tmp_path), "--orphan-grace", "0")
    assert code == 0 and "1 unnamed blobs" in out, out
    with Server(data=tmp_path) as server:
        assert sum(1 for _ in server.blobs.keys()) == 0
