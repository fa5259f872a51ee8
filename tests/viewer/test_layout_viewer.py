"""The graph settles on screen (issue #12): a page opened while the dataset's first layout runs
draws the layout's provisional positions (pixels) before the layout ends, then the final graph.

Real server on 127.0.0.1, real worker process, real Chromium. The layout is slowed by the worker
pausing after each frame it sends (``_layout_jobs.PAUSE_AFTER_FRAME``, set by this module's own
build function, which the worker imports by reference), so the page surely opens mid-layout."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest

import graphport
from graphport.server import _layout_jobs
from graphport.server._config import ServerConfig
from graphport.server._graphs import build_in_worker
from graphport.server._ingest import to_ipc_file

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_browser

pytestmark = pytest.mark.browser

PREVIEW = (90, 200, 250)  # layoutpreview.ts's node colour


def slow_build(edges: Any, nodes: Any, edge_bindings: Any, node_bindings: Any) -> tuple[bytes, int]:
    """The server's build, pausing 3 s after each provisional frame (runs in the worker), so the
    layout still runs when a page on a loaded machine has started."""
    _layout_jobs.PAUSE_AFTER_FRAME = 3.0
    try:
        return build_in_worker(edges, nodes, edge_bindings, node_bindings)
    finally:
        _layout_jobs.PAUSE_AFTER_FRAME = 0.0


def big_component(n: int = 30_000) -> bytes:
    """One component above the engine's progress threshold (10,000 nodes): a ring plus chords."""
    rng = np.random.default_rng(5)
    src = np.concatenate([np.arange(n), rng.integers(0, n, n)])
    dst = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, n)])
    return bytes(to_ipc_file(pa.table({"s": src, "d": dst})).to_pybytes())


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, graphport.Server]]:
    require_browser()
    with graphport.Server(config=ServerConfig(data=tmp_path / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        with served(server) as live:
            yield live.url, server


def test_a_graph_opened_during_its_layout_shows_a_picture_before_the_layout_ends(
    site: tuple[str, graphport.Server], tmp_path: Path
) -> None:
    url, server = site
    alice = server.accounts.require_user("alice")
    server.datasets.graphs.worker_build = slow_build
    spec = {"name": "settling", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
    ds = server.plot(alice, spec, big_component(), None, {"mode": "public"})
    status = f"fetch('/api/v2/datasets/{ds}/layout').then(r => r.json()).then(j => j.state + ':' + j.kind)"
    report = run_browser(
        {
            "viewport": [900, 700],
            "steps": [
                {"op": "goto", "url": f"{url}/graph/graph.html?dataset={ds}&type=arrow"},
                # The first frame comes ~1 s into the layout (later on a loaded machine); each
                # frame then holds the layout 3 s (slow_build), so it is still running.
                {"op": "until", "expr": "document.body.dataset.state !== 'loading'", "timeout": 60_000},
                {"op": "eval", "expr": "document.body.dataset.state"},
                {"op": "eval", "expr": status},
                {"op": "pixels", "colors": [list(PREVIEW)], "tol": 30},
                {"op": "until", "expr": "document.body.dataset.state === 'ready'", "timeout": 180_000},
                {
                    "op": "eval",
                    "expr": "[document.getElementById('layout-preview') === null, window.__graphport.nodeCount]",
                },
            ],
        },
        tmp_path,
        timeout=300,
    )
    _, _, state, layout, pixels, _, final = report["steps"]
    assert state == "preview", f"the page did not draw the layout while it ran (state {state})"
    assert layout == "running:build"  # the picture came before the layout ended
    assert pixels["counts"][0] > 100, pixels  # nodes drawn (a blank page has none of this colour)
    assert final == [True, 30_000]  # then the real graph replaced the preview


def small_mesh(n: int = 200) -> bytes:
    rng = np.random.default_rng(9)
    src = np.concatenate([np.arange(n), rng.integers(0, n, n)])
    dst = np.concatenate([(np.arange(n) + 1) % n, rng.integers(0, n, n)])
    return bytes(to_ipc_file(pa.table({"s": src, "d": dst})).to_pybytes())


def stored_layout(server: graphport.Server, user: Any, ds: str) -> tuple[dict[str, Any], np.ndarray]:
    nodes = server.datasets.read_table(user, ds, "nodes").sort_by("id")
    meta = json.loads((nodes.schema.metadata or {})[b"graphport:layout"])
    return meta, nodes.column("x").to_numpy()


def signed_in(url: str, page: str) -> list[dict[str, Any]]:
    """Browser steps: sign in as alice through the form, landing on ``page``."""
    fill = (
        "(() => { document.querySelector('input[name=username]').value = 'alice';"
        f" document.querySelector('input[name=password]').value = {PASSWORD!r}; return true; }})()"
    )
    return [
        {"op": "goto", "url": f"{url}/login?next={quote(page, safe='')}"},
        {"op": "eval", "expr": fill},
        {"op": "eval", "expr": "document.querySelector('form').submit() || true"},
    ]


STATUS = "(document.getElementById('layout-status')?.textContent ?? '')"


def test_an_editor_opening_layout_settings_in_the_url_gets_them_applied_and_stored(
    site: tuple[str, graphport.Server], tmp_path: Path
) -> None:
    url, server = site
    alice = server.accounts.require_user("alice")
    spec = {"name": "tuned", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
    ds = server.plot(alice, spec, small_mesh(), None, {"mode": "private"})
    server.datasets.graphs.future(ds).result(120)
    _, x_before = stored_layout(server, alice, ds)
    opened = f"/graph/graph.html?dataset={ds}&play=0&lockedX=True&gravity=5"
    report = run_browser(
        {
            "steps": [
                *signed_in(url, opened),
                {"op": "until", "expr": f"({STATUS}).includes('stored') && {STATUS}", "timeout": 120_000},
                {"op": "eval", "expr": "document.querySelector('section[aria-label=Layout]') !== null"},
                {"op": "eval", "expr": "document.querySelector('#layout-form input[name=lockedX]').checked"},
            ]
        },
        tmp_path,
        timeout=200,
    )
    assert report["steps"][3] == "Layout done and stored: reopening this page shows it."
    assert report["steps"][4] is True and report["steps"][5] is True
    meta, x_after = stored_layout(server, alice, ds)
    assert meta["run"] == 1 and meta["settings"]["lockedX"] is True and meta["settings"]["gravity"] == 5.0
    np.testing.assert_allclose(x_after, x_before, rtol=1e-6, atol=1e-6)

    # The panel: the editor switches lockedX off and strongGravity on, and presses Run; the URL then
    # says what was run, so reopening it does not run the old settings again.
    report = run_browser(
        {
            "steps": [
                *signed_in(url, opened),
                {"op": "until", "expr": "document.body.dataset.state === 'ready'", "timeout": 60_000},
                {"op": "click", "selector": "#btn-layout"},
                {"op": "click", "selector": "#layout-form input[name=lockedX]"},
                {"op": "click", "selector": "#layout-form input[name=strongGravity]"},
                {"op": "click", "selector": "#layout-run"},
                {
                    "op": "until",
                    "expr": "location.search.includes('strongGravity=true') && document.body.dataset.layout === 'idle'"
                    f" && [location.search, {STATUS}]",
                    "timeout": 120_000,
                },
            ]
        },
        tmp_path,
        timeout=200,
    )
    search, said = report["steps"][-1]
    assert said == "Layout done and stored: reopening this page shows it."
    assert "lockedX" not in search and "gravity=5" in search
    meta, x_panel = stored_layout(server, alice, ds)
    assert (
        meta["run"] == 2
        and meta["settings"]["strongGravity"] is True
        and meta["settings"]["lockedX"] is False
    )
    assert np.abs(x_panel - x_before).max() > 1e-3  # x no longer locked


def test_a_reader_sees_the_stored_layout_and_is_told_why(
    site: tuple[str, graphport.Server], tmp_path: Path
) -> None:
    url, server = site
    alice = server.accounts.require_user("alice")
    spec = {"name": "shown", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
    ds = server.plot(alice, spec, small_mesh(), None, {"mode": "public"})
    server.datasets.graphs.future(ds).result(120)
    status = "document.getElementById('layout-status').textContent"
    report = run_browser(
        {
            "steps": [
                {"op": "goto", "url": f"{url}/graph/graph.html?dataset={ds}&strongGravity=true"},
                {"op": "until", "expr": f"{status}.includes('not applied') && {status}", "timeout": 30_000},
                {"op": "eval", "expr": "!document.getElementById('layout').hidden"},
                {
                    "op": "eval",
                    "expr": "document.querySelector('#layout-form input[name=strongGravity]').disabled",
                },
                {"op": "goto", "url": f"{url}/graph/graph.html?dataset={ds}&gravity=-3"},
                {"op": "until", "expr": f"{status}.includes('not applied') && {status}", "timeout": 30_000},
            ]
        },
        tmp_path,
        timeout=120,
    )
    assert "only the dataset’s editors" in report["steps"][1]
    assert report["steps"][2] is True and report["steps"][3] is True
    assert "gravity" in report["steps"][5] and "out of range" in report["steps"][5]
    meta, _ = stored_layout(server, alice, ds)
    assert meta["run"] == 0  # nothing was re-run
