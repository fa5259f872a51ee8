"""graphport's own dataset routes (transports/_routes_api.py): tables, HEAD, health."""

from __future__ import annotations

import httpx
import pyarrow as pa

import graphport
from tests.conftest import bearer

from .._arrow import arrow_file

SPEC = {"edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


def test_a_table_streams_whole_and_head_sends_only_its_headers(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    owner = server.authenticate(server.token_for(alice))
    edges = pa.table({"s": list(range(50_000)), "d": list(range(1, 50_001))})
    dataset = server.plot(owner, SPEC, arrow_file(edges), None, {"mode": "private"})
    url = f"/api/v2/datasets/{dataset}/edges.arrow"
    got = http.get(url, headers=bearer(server, alice))
    assert got.status_code == 200 and got.headers["cache-control"] == "private, no-store"
    assert int(got.headers["content-length"]) == len(got.content)
    assert pa.ipc.open_file(got.content).read_all().num_rows == 50_000
    head = http.head(url, headers=bearer(server, alice))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"]
    assert head.headers["x-request-id"]


def test_healthz_names_the_features(http: httpx.Client) -> None:
    body = http.get("/healthz").json()
    assert body["ok"] is True and body["server"] == "graphport" and "plot-v1" in body["features"]
