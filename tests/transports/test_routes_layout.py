"""The layout routes (issue #12) on each adapter: the official graphistry client's and graphport's
``layout_settings(...)`` go into the viewer URL; those URL parameters re-run the layout through
``POST /api/v2/datasets/{id}/layout`` and the stored positions change as the settings mean
(lockedX keeps every x, strongGravity draws tighter); readers are refused, bad settings are a 400
with the one error envelope."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlparse

import graphistry
import httpx
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import graphport
from graphport import Server
from graphport.layout import GRAPHISTRY_NAMES

from ..conftest import PASSWORD, LiveServer
from ._adapters import ADAPTERS, serving


@pytest.fixture(params=ADAPTERS)
def live(server: Server, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    with serving(server, request.param) as port:
        yield LiveServer(server, "127.0.0.1", port)


@pytest.fixture(autouse=True)
def forget_uploaded_files() -> None:
    import sys

    sys.modules["graphistry.ArrowFileUploader"]._CACHE.clear()


def mesh(n: int = 300) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    src = list(range(n)) + rng.integers(0, n, n).tolist()
    dst = [(i + 1) % n for i in range(n)] + rng.integers(0, n, n).tolist()
    return pd.DataFrame({"s": [f"n{i}" for i in src], "d": [f"n{i}" for i in dst]})


def plot_url(module: ModuleType, live: LiveServer, username: str, **settings: Any) -> str:
    g = module.client()
    g.register(api=3, protocol="http", server=live.address, username=username, password=PASSWORD)
    return str(g.edges(mesh(), "s", "d").layout_settings(**settings).plot(render=False))


def nodes(live: LiveServer, ds: str, auth: dict[str, str]) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    r = httpx.get(f"{live.url}/api/v2/datasets/{ds}/nodes.arrow", headers=auth, timeout=120)
    assert r.status_code == 200, r.text
    table = pa.ipc.open_file(r.content).read_all().sort_by("id")
    layout = json.loads(table.schema.metadata[b"graphport:layout"])
    return table.column("x").to_numpy().astype(float), table.column("y").to_numpy().astype(float), layout


def rerun(live: LiveServer, ds: str, auth: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    r = httpx.post(f"{live.url}/api/v2/datasets/{ds}/layout", headers=auth, json=body, timeout=60)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 120
    while True:
        state: dict[str, Any] = httpx.get(f"{live.url}/api/v2/datasets/{ds}/layout", headers=auth).json()
        if state["state"] not in ("running", "paused"):
            return state
        assert time.monotonic() < deadline, state
        time.sleep(0.05)


@pytest.mark.parametrize("module", [graphistry, graphport], ids=["official", "graphport"])
def test_layout_settings_round_trip_from_the_client_url_to_new_positions(
    live: LiveServer, alice: str, module: ModuleType
) -> None:
    auth = {"Authorization": f"Bearer {live.server.token_for(alice)}"}
    url = plot_url(module, live, alice, play=0, locked_x=True, gravity=5.0)
    params = dict(parse_qsl(urlparse(url).query))
    assert params["lockedX"].lower() == "true" and params["play"] == "0"
    ds = params["dataset"]
    x0, y0, before = nodes(live, ds, auth)
    assert before["run"] == 0 and before["settings"]["lockedX"] is False
    # The page sends the URL's layout parameters as they are (text), play included.
    settings = {k: v for k, v in params.items() if k in GRAPHISTRY_NAMES or k == "play"}
    assert rerun(live, ds, auth, settings)["state"] == "done"
    x1, y1, after = nodes(live, ds, auth)
    assert after["run"] == 1 and after["settings"]["lockedX"] is True and after["settings"]["gravity"] == 5.0
    np.testing.assert_allclose(x1, x0, rtol=1e-6, atol=1e-6)
    assert np.abs(y1 - y0).max() > 1e-3 * np.ptp(y0)

    url = plot_url(module, live, alice, strong_gravity=True, gravity=3.0)
    params = dict(parse_qsl(urlparse(url).query))
    ds = params["dataset"]
    x0, y0, _ = nodes(live, ds, auth)
    settings = {k: v for k, v in params.items() if k in GRAPHISTRY_NAMES}
    assert settings["strongGravity"].lower() == "true" and float(settings["gravity"]) == 3.0
    assert rerun(live, ds, auth, settings)["state"] == "done"
    x1, y1, after = nodes(live, ds, auth)
    assert after["settings"]["strongGravity"] is True
    spread = lambda x, y: float(np.sqrt(np.var(x) + np.var(y)))  # noqa: E731
    assert spread(x1, y1) < 0.8 * spread(x0, y0)  # strong gravity: a tighter picture


def test_refusals_use_the_one_error_envelope(live: LiveServer, alice: str, bob: str) -> None:
    server = live.server
    owner = {"Authorization": f"Bearer {server.token_for(alice)}"}
    reader = {"Authorization": f"Bearer {server.token_for(bob)}"}
    me = server.accounts.require_user(alice)
    edges = pa.table({"s": ["a", "b", "c"], "d": ["b", "c", "a"]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, edges.schema) as w:
        w.write_table(edges)
    spec = {"edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
    private = server.plot(me, spec, sink.getvalue().to_pybytes(), None, {"mode": "private"})
    public = server.plot(me, spec, sink.getvalue().to_pybytes(), None, {"mode": "public"})
    for ds in (private, public):
        server.datasets.graphs.future(ds).result(120)
    post = lambda ds, headers, body: httpx.post(  # noqa: E731
        f"{live.url}/api/v2/datasets/{ds}/layout", headers=headers, json=body, timeout=60
    )
    bad = post(private, owner, {"gravity": -1, "linLog": "perhaps"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_input"
    assert {e["field"] for e in bad.json()["errors"]} == {"linLog"}
    out_of_range = post(private, owner, {"gravity": -1})
    assert out_of_range.status_code == 400 and out_of_range.json()["errors"][0]["field"] == "gravity"
    assert post(private, owner, {"gravty": 1}).status_code == 400
    hidden = post(private, reader, {"linLog": True})
    assert hidden.status_code == 404 and hidden.json()["ok"] is False
    assert post(public, reader, {"linLog": True}).status_code == 403
    assert post(public, {}, {"linLog": True}).status_code in (401, 403)
    assert httpx.post(f"{live.url}/api/v2/datasets/{public}/layout/cancel", headers=reader).status_code == 403
    # A reader may follow a layout, not change it; nothing runs here now.
    status = httpx.get(f"{live.url}/api/v2/datasets/{public}/layout", headers=reader)
    assert status.status_code == 200 and status.json()["state"] in ("done", "none")
    frame = httpx.get(f"{live.url}/api/v2/datasets/{public}/layout/frame.arrow", headers=reader)
    assert frame.status_code == 404 and frame.json()["code"] == "no_layout_frame"
    paths = httpx.get(f"{live.url}/openapi.json").json()["paths"]
    assert "post" in paths["/api/v2/datasets/{dataset_id}/layout"]
