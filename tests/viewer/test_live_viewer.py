"""Live updates reaching an open viewer page in a real headless Chromium.

The page is opened on a plotted dataset; the test then changes the dataset through the engine
(``server.live_update`` / ``live_remove``, with and without ``on_poll_request`` + ``poll()``) while
the browser waits, and checks what a person would see: the new node is counted and found by search,
colours and the legend follow a changed column, a removed node is gone, and the page has no errors.
The driver and the test take turns through files: ``signal`` (page ready) and ``awaitFile`` (change made).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_browser
from .test_viewer import ORG, PERSON, arrow_bytes, demo_tables

pytestmark = pytest.mark.browser

SPEC: dict[str, Any] = {
    "name": "Live demo",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {
        "bindings": {"node": "id", "node_color": "kind", "node_title": "title"},
        "complex": {
            "default": {
                "pointColorEncoding": {
                    "graphType": "point",
                    "encodingType": "color",
                    "attribute": "kind",
                    "variation": "categorical",
                    "mapping": {
                        "categorical": {"fixed": {"person": "#ff2d55", "org": "#30d158"}, "other": "#ffd60a"}
                    },
                }
            }
        },
    },
}

STATE = "window.__graphport"
LEGEND = "document.getElementById('legend').textContent"


@dataclass
class LiveSite:
    server: graphport.Server
    url: str
    workdir: Path

    def plot(self) -> str:
        alice = self.server.accounts.require_user("alice")
        edges, nodes = demo_tables()
        return self.server.plot(alice, SPEC, arrow_bytes(edges), arrow_bytes(nodes), {"mode": "public"})

    def viewer(self, dataset: str) -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&showLabels=False"


@pytest.fixture(scope="module")
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    require_browser()
    root = tmp_path_factory.mktemp("live-viewer")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        with served(server) as live:
            yield LiveSite(server, live.url, root)


def wait_file(path: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise AssertionError(f"the browser never reached {path.name}")
        time.sleep(0.02)


def run_with(site: LiveSite, steps: list[dict[str, Any]], script: Callable[[], None]) -> dict[str, Any]:
    """Run the browser plan in a thread while ``script`` makes the changes on this one."""
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(run_browser, {"steps": steps}, site.workdir)
        try:
            script()
        finally:
            report = future.result(timeout=180)
    assert report["pageErrors"] == [], report["pageErrors"]
    return report


def test_live_updates_reach_an_open_viewer(live_site: LiveSite) -> None:
    server = live_site.server
    alice = server.accounts.require_user("alice")
    ds = live_site.plot()
    files = [live_site.workdir / f"{ds}-{k}" for k in range(3)]
    steps: list[dict[str, Any]] = [
        {"op": "goto", "url": live_site.viewer(ds)},
        {"op": "until", "expr": f"{STATE}.live.frames >= 1"},  # the snapshot
        {"op": "pixels", "colors": [PERSON, ORG], "tol": 30},
        {"op": "signal", "path": str(files[0])},
        # 1. a new node (and an edge to it) appears, is counted, placed and found by search
        {"op": "until", "expr": f"{STATE}.nodeCount === 61 && {STATE}.edgeCount === 124 && {STATE}.idle()"},
        {"op": "eval", "expr": f"[{STATE}.screenOf(60), {STATE}.screenOf(0)]"},
        {"op": "type", "selector": "#search-input", "text": "Newcomer"},
        {"op": "text", "selector": "#search-results"},
        {"op": "hover", "id": 60},
        {"op": "signal", "path": str(files[1])},
        # 2. a colour column changes: no person left, in the legend and on screen
        {"op": "until", "expr": f"!{LEGEND}.includes('person') && {STATE}.idle()"},
        {"op": "wait", "ms": 300},
        {"op": "pixels", "colors": [PERSON, ORG], "tol": 30},
        {"op": "signal", "path": str(files[2])},
        # 3. the node is removed again
        {"op": "until", "expr": f"{STATE}.nodeCount === 60 && {STATE}.edgeCount === 123"},
        {"op": "type", "selector": "#search-input", "text": "newcomer"},
        {"op": "wait", "ms": 300},  # the search runs 80 ms after typing; the old list may still show
        {"op": "text", "selector": "#search-results"},
        {"op": "eval", "expr": f"[{STATE}.screenOf(60), {STATE}.live.ended, window.__pwned === undefined]"},
    ]

    def script() -> None:
        wait_file(files[0])
        title = 'Newcomer <img src=x onerror="window.__pwned=1">'
        server.live_update(alice, ds, "nodes", pa.table({"id": [60], "kind": ["place"], "title": [title]}))
        server.live_update(alice, ds, "edges", pa.table({"s": [60], "d": [1]}))
        wait_file(files[1])
        server.live_update(alice, ds, "nodes", pa.table({"id": list(range(20)), "kind": ["org"] * 20}))
        wait_file(files[2])
        server.live_remove(alice, ds, "nodes", [60])

    report = run_with(live_site, steps, script)
    s = report["steps"]
    before = s[2]["counts"]
    (new_at, zero_at) = s[5]
    results, tooltip = s[7], s[8]
    after = s[12]["counts"]
    gone_results, (gone_at, ended, not_pwned) = s[17], s[18]
    assert before[0] > 40 and before[1] > 40, before
    assert new_at is not None and zero_at is not None
    assert results["visible"] and "Newcomer" in results["text"] and results["children"] >= 1
    assert tooltip["visible"] and tooltip["text"].startswith("Newcomer <img") and tooltip["children"] == 0
    assert after[0] < before[0] / 4 and after[1] > before[1], (before, after)
    assert gone_results["visible"] and "No matching node" in gone_results["text"]
    assert gone_at is None and ended is None and not_pwned


def test_live_updates_wait_for_poll_with_on_poll_request(live_site: LiveSite) -> None:
    server = live_site.server
    alice = server.accounts.require_user("alice")
    ds = live_site.plot()
    ready, queued, checked = (live_site.workdir / f"{ds}-{k}" for k in ("ready", "queued", "checked"))
    calls: list[Any] = []
    steps: list[dict[str, Any]] = [
        {"op": "goto", "url": live_site.viewer(ds)},
        {"op": "until", "expr": f"{STATE}.live.frames >= 1"},
        {"op": "signal", "path": str(ready)},
        {"op": "awaitFile", "path": str(queued)},
        {"op": "wait", "ms": 500},
        {"op": "state"},  # queued, not polled: nothing changed
        {"op": "signal", "path": str(checked)},
        {"op": "until", "expr": f"{STATE}.nodeCount === 62 && {STATE}.edgeCount === 125"},
        {"op": "eval", "expr": f"{STATE}.live.frames"},
    ]

    def script() -> None:
        wait_file(ready)
        server.on_poll_request = calls.append
        try:
            server.live_update(
                alice, ds, "nodes", pa.table({"id": [70, 71], "kind": ["org", "org"], "title": ["a", "b"]})
            )
            server.live_update(alice, ds, "edges", pa.table({"s": [70, 71], "d": [71, 5]}))
            queued.write_text("queued")
            wait_file(checked)
            assert calls, "on_poll_request was called"
            server.poll()
        finally:
            server.on_poll_request = None

    report = run_with(live_site, steps, script)
    held, frames = report["steps"][5], report["steps"][8]
    assert (held["nodeCount"], held["edgeCount"]) == (60, 123)
    assert frames == 2, "one delta for both queued updates (after the snapshot)"


# Before the viewer's script: every WebSocket goes to a path of this server where no socket is
# served (the page's CSP allows only its own origin: connect-src 'self') ...
UNREACHABLE = """
const Real = window.WebSocket;
window.WebSocket = class extends Real { constructor() { super(`ws://${location.host}/no-socket-here`); } };
"""
# ... or is refused the way the server refuses a dataset one may not see (close code 4404).
REFUSED = """
window.WebSocket = class extends EventTarget {
  constructor(url) { super(); this.url = url; setTimeout(() => this.onclose && this.onclose({ code: 4404, reason: 'not_found' }), 50); }
  send() { throw new Error('not open'); }
  close() {}
};
"""


@pytest.mark.parametrize(("init", "ended"), [(UNREACHABLE, "unavailable"), (REFUSED, "not_found")])
def test_viewer_without_a_live_socket_has_no_page_errors(live_site: LiveSite, init: str, ended: str) -> None:
    """A socket the server refuses, or that never connects, ends following quietly: the graph stays."""
    ds = live_site.plot()
    report = run_browser(
        {
            "initScript": init,
            "steps": [
                {"op": "goto", "url": live_site.viewer(ds)},
                {"op": "until", "expr": f"{STATE}.live.ended", "timeout": 30_000},
                {"op": "state"},
                {"op": "hover", "id": 3},
            ],
        },
        live_site.workdir,
    )
    assert report["pageErrors"] == [], report["pageErrors"]
    _, why, state, tooltip = report["steps"]
    assert why == ended
    assert state["state"] == "ready" and (state["nodeCount"], state["edgeCount"]) == (60, 123)
    assert tooltip["visible"] and tooltip["text"] == "Node 3 the person"
