"""Shared fixtures: a real server on a real SQLite file, in-process or on a loopback port."""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import argon2
import httpx
import pytest
import uvicorn

import graphport
from graphport import ServerConfig
from graphport.server import _passwords
from graphport.storage import Database, sqlite_url

from . import _tiers
from ._stacks import (
    BOTH_STACK_DIRS,
    STACKS,
    ScaleStack,
    drop_scale_database,
    open_scale_stack,
    truncate_all,
    unavailable,
)

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-" + "x" * 32


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Servers built with the default argon2 cost hash with argon2's cheapest profile instead.

    The default profile costs ~0.1 s of CPU per hash and the suite creates and signs in users
    thousands of times (a quarter of its CPU time). Only the cost changes: hashing, verification
    (a stored hash carries its own cost), the slots and the dummy hash are the same code. A test of
    a given cost sets ``ServerConfig.argon2_*`` to anything but the default.
    """
    cheap = argon2.PasswordHasher(time_cost=1, memory_cost=64)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_passwords, "_hasher", cheap)
        yield


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's GRAPHPORT_* settings."""
    for var in list(os.environ):
        if var.startswith("GRAPHPORT_") and not var.startswith("GRAPHPORT_TEST_"):
            monkeypatch.delenv(var)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """The storage, API, access and live suites run on both stacks (issue #7, tests/_stacks.py)."""
    if "stack" in metafunc.fixturenames:
        rel = Path(str(metafunc.definition.fspath)).relative_to(Path(__file__).parent)
        if rel.parts[0] in BOTH_STACK_DIRS and not any(
            m.name == "parametrize" and "stack" in m.args[0] for m in metafunc.definition.iter_markers()
        ):
            metafunc.parametrize("stack", STACKS, indirect=True)


def pytest_report_header(config: pytest.Config) -> str:
    tier = _tiers.chosen(os.environ)
    more = " (`make test-all` or CI=true runs everything)" if tier.name == "fast" else ""
    return f"graphport test tier: {tier.name}, {tier.reason}{more}; see tests/_tiers.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``make test`` runs the fast tier: tests/_tiers.py says what it leaves out and why."""
    _tiers.select(config, items)


@pytest.fixture(scope="session")
def scale_stack(worker_id: str) -> Iterator[tuple[ScaleStack, Database] | str]:
    """This worker's database, bucket and Redis (or why they are unavailable); see tests/_stacks.py."""
    environ = dict(os.environ)
    stack = open_scale_stack(environ, worker_id)
    if isinstance(stack, str):
        yield stack
        return
    database = Database(stack.db)
    try:
        yield stack, database
    finally:
        database.close()
        drop_scale_database(environ, stack)


@pytest.fixture
def stack(request: pytest.FixtureRequest) -> str:
    """``embedded`` (default) or ``scale``; parametrized for the suites in BOTH_STACK_DIRS."""
    return str(getattr(request, "param", "embedded"))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per worker (running the migrations costs ~35 ms of CPU per
    server; hundreds of tests start one)."""
    path = tmp_path_factory.mktemp("migrated") / "graphport.db"
    database = Database(sqlite_url(path))
    database.upgrade()
    database.close()
    return path


def copy_migrated(template: Path, data: Path) -> None:
    """Start ``data`` with a copy of the migrated database, made its own deployment (a fresh
    ``deployment_id``, as migration 0004 gives every new database). The server still runs the
    migrations on start: at the newest one that is a version check."""
    data.mkdir(parents=True)
    path = data / "graphport.db"
    shutil.copyfile(template, path)
    path.chmod(0o600)
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "UPDATE deployment SET value = ? WHERE name = 'deployment_id'", (secrets.token_hex(16),)
        )


@pytest.fixture
def server_config(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> ServerConfig:
    """The config of ``server``: the embedded default, or this worker's share of the scale stack."""
    if stack == "embedded":
        copy_migrated(request.getfixturevalue("migrated_sqlite"), tmp_path / "data")
        return ServerConfig(data=tmp_path / "data", secret=SECRET)
    scale = request.getfixturevalue("scale_stack")
    if isinstance(scale, str):
        unavailable(scale)
    urls, database = scale
    truncate_all(database)
    return ServerConfig(
        data=tmp_path / "data",
        secret=SECRET,
        db=urls.db,
        blobs=urls.blobs_url(urls.fresh_prefix()),
        bus=urls.redis,
    )


@pytest.fixture
def server(server_config: ServerConfig) -> Iterator[graphport.Server]:
    """A server on a real SQLite file and blob directory under tmp_path, or (``stack="scale"``)
    on PostgreSQL + S3 + Redis."""
    with graphport.Server(config=server_config) as s:
        yield s


@pytest.fixture
def alice(server: graphport.Server) -> str:
    server.create_user("alice", PASSWORD, email="alice@example.org")
    return "alice"


@pytest.fixture
def bob(server: graphport.Server) -> str:
    server.create_user("bob", PASSWORD, email="bob@example.org")
    return "bob"


@pytest.fixture
def http(server: graphport.Server) -> Iterator[httpx.Client]:
    """An httpx client into ``server``'s ASGI app, in-process (no sockets)."""
    with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as client:
        yield client


def bearer(server: graphport.Server, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token_for(username)}"}


class LiveServer:
    """A server reachable over loopback TCP, as the official client needs."""

    def __init__(self, server: graphport.Server, host: str, port: int) -> None:
        self.server = server
        self.host = host
        self.port = port

    @property
    def address(self) -> str:
        """``host:port``, the form ``register(server=...)`` takes."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def start_live(server: graphport.Server) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.01)
    return uv, thread, port


@contextlib.contextmanager
def served(server: graphport.Server) -> Iterator[LiveServer]:
    """``server`` served by uvicorn on 127.0.0.1 and a free port, in a thread, for the block."""
    uv, thread, port = start_live(server)
    try:
        yield LiveServer(server, "127.0.0.1", port)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live(server: graphport.Server) -> Iterator[LiveServer]:
    """``server`` served by uvicorn on 127.0.0.1 and a free port, in a thread."""
    with served(server) as serving:
        yield serving


# -- the reliability suites' figures in the terminal summary -------------------------------------
# Here, not in tests/reliability/conftest.py: under pytest-xdist only the controller prints the
# summary, and it loads this conftest but not the ones below (it collects nothing itself).
_RELIABILITY_OUTPUT: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.nodeid.startswith("tests/reliability/") and report.capstdout:
        _RELIABILITY_OUTPUT.append((report.nodeid, report.capstdout))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _RELIABILITY_OUTPUT:
        return
    terminalreporter.section("graphport reliability")
    for nodeid, output in _RELIABILITY_OUTPUT:
        terminalreporter.write_line(f"-- {nodeid}")
        for line in output.strip("\n").splitlines():
            terminalreporter.write_line(line)
