"""SQL queries it costs to open a graph (issue #11): the viewer page, the dataset's metadata and
both tables, counted with a SQLAlchemy event listener on the server's own engine.

Queries are the statements that read or write; transaction control (the ``BEGIN`` our SQLite
setup issues itself, implicit on PostgreSQL) is not counted. Runs on both stacks."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa

from graphport import Server
from graphport.server import _principal
from tests._arrow import arrow_file
from tests.conftest import bearer

#: The budget issue #11 sets for opening one graph (page, metadata, edges, nodes).
OPEN_BUDGET = 10

#: The metadata routes: the official client's (signed in only) and the one the viewer reads.
V3_METADATA = "/api/v2/upload/datasets/{}"
VIEWER_METADATA = "/api/v2/datasets/{}"

SPEC = {
    "name": "counted",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
EDGES = arrow_file(pa.table({"s": ["a", "b", "c"], "d": ["b", "c", "a"]}))
_CONTROL = {"BEGIN", "BEGIN IMMEDIATE", "COMMIT", "ROLLBACK"}
_TABLE = re.compile(r"\b(?:FROM|UPDATE|INTO|JOIN)\s+\"?(\w+)", re.IGNORECASE)


@pytest.fixture(autouse=True)
def patient_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caller facts a request's principal carries are trusted for REUSE_SECONDS; a loaded
    test machine must not turn the count into a measure of its speed."""
    monkeypatch.setattr(_principal, "REUSE_SECONDS", 600.0)


@contextmanager
def counted(server: Server) -> Iterator[list[str]]:
    """Every SQL statement the server's engine runs inside the block."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.strip().upper() not in _CONTROL:
            statements.append(statement)

    sa.event.listen(server.db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(server.db.engine, "before_cursor_execute", record)


def tables_of(statements: list[str]) -> Counter[str]:
    """How many statements name each table first (a readable failure message)."""
    return Counter(m.group(1) for s in statements if (m := _TABLE.search(s)))


def open_graph(http: httpx.Client, dataset_id: str, headers: dict[str, str], meta_path: str) -> None:
    page = http.get(f"/graph/graph.html?dataset={dataset_id}", headers=headers)
    assert page.status_code == 200, page.text
    meta = http.get(meta_path.format(dataset_id), headers=headers)
    assert meta.status_code == 200, meta.text
    for kind in ("edges", "nodes"):
        table = http.get(f"/api/v2/datasets/{dataset_id}/{kind}.arrow", headers=headers)
        assert table.status_code == 200, table.text


def plotted(server: Server, owner: str, privacy: dict[str, Any] | None = None) -> str:
    me = server.accounts.require_user(owner)
    dataset_id = server.plot(me, SPEC, EDGES, privacy=privacy)
    server.datasets.graphs.future(dataset_id).result()  # the build's own queries are not opening
    return dataset_id


def test_owner_opens_a_graph_within_budget(server: Server, alice: str, http: httpx.Client) -> None:
    dataset_id = plotted(server, alice, {"mode": "private"})
    headers = bearer(server, alice)
    with counted(server) as statements:
        open_graph(http, dataset_id, headers, V3_METADATA)
    assert len(statements) <= OPEN_BUDGET, (len(statements), tables_of(statements))


def test_anonymous_opens_a_public_graph_within_budget(server: Server, alice: str, http: httpx.Client) -> None:
    dataset_id = plotted(server, alice, {"mode": "public"})
    with counted(server) as statements:
        open_graph(http, dataset_id, {}, VIEWER_METADATA)
    assert len(statements) <= OPEN_BUDGET, (len(statements), tables_of(statements))


def test_owner_opens_through_the_viewer_routes_within_budget(
    server: Server, alice: str, http: httpx.Client
) -> None:
    dataset_id = plotted(server, alice, {"mode": "private"})
    headers = bearer(server, alice)
    with counted(server) as statements:
        open_graph(http, dataset_id, headers, VIEWER_METADATA)
    assert len(statements) <= OPEN_BUDGET, (len(statements), tables_of(statements))


def test_the_listener_sees_every_query(server: Server, alice: str, http: httpx.Client) -> None:
    """The counter is not blind: a request that must read the database is counted."""
    dataset_id = plotted(server, alice, {"mode": "private"})
    with counted(server) as statements:
        assert http.get(f"/api/v2/datasets/{dataset_id}", headers=bearer(server, alice)).status_code == 200
    assert tables_of(statements)["datasets"] >= 1
