"""Concurrent writers to one dataset never lose an update silently (issue #7): a table upload
with the version the writer read wins only if no other write landed since; otherwise 409."""

from __future__ import annotations

import threading

import httpx
import pyarrow as pa
import pytest

import graphport
from graphport.errors import ConflictError
from graphport.server._ingest import to_ipc_file

from ..conftest import bearer

SPEC = {"name": "v", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


def edges(n: int) -> bytes:
    return to_ipc_file(
        pa.table({"s": [f"a{i}" for i in range(n)], "d": [f"b{i}" for i in range(n)]})
    ).to_pybytes()  # type: ignore[no-any-return]


def test_stale_writer_gets_conflict_and_nothing_changes(server: graphport.Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, edges(1))
    version = server.datasets.describe(me, ds)["version"]
    server.upload_table(me, ds, "edges", edges(2), expected_version=version)
    with pytest.raises(ConflictError) as info:
        server.upload_table(me, ds, "edges", edges(3), expected_version=version)
    assert info.value.code == "version_conflict"
    assert server.datasets.read_table(me, ds, "edges").num_rows == 2


def test_racing_writers_exactly_one_wins(server: graphport.Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, edges(1))
    version = server.datasets.describe(me, ds)["version"]
    outcomes: list[str] = []
    barrier = threading.Barrier(6)

    def writer(n: int) -> None:
        barrier.wait()
        try:
            server.upload_table(me, ds, "edges", edges(n), expected_version=version)
            outcomes.append("ok")
        except ConflictError:
            outcomes.append("409")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(2, 8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes) == ["409"] * 5 + ["ok"]


def test_if_match_over_http(server: graphport.Server, http: httpx.Client, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, edges(1))
    headers = bearer(server, alice)
    version = http.get(f"/api/v2/datasets/{ds}", headers=headers).json()["version"]
    url = f"/api/v2/upload/datasets/{ds}/edges/arrow"
    ok = http.post(url, content=edges(2), headers={**headers, "If-Match": f'"{version}"'})
    assert ok.status_code == 200, ok.text
    stale = http.post(url, content=edges(3), headers={**headers, "If-Match": f'"{version}"'})
    assert stale.status_code == 409 and stale.json()["code"] == "version_conflict"
    bad = http.post(url, content=edges(3), headers={**headers, "If-Match": "soon"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_if_match"
    # Found by the ingest fuzz suite (issue #17): a number past int64 reached the database (500).
    for huge in ('"99999999999999999999"', '"-9223372036854775809"'):
        r = http.post(url, content=edges(3), headers={**headers, "If-Match": huge})
        assert r.status_code == 400 and r.json()["code"] == "invalid_if_match", r.text
