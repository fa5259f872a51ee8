"""Re-running a dataset's layout with Graphistry's settings (issue #12), through the server's API:
the settings change the positions as they mean, the result is stored in nodes.arrow (with the
settings in its metadata), only editors may re-run, bad settings are a 400, uploaded positions win."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from graphport import Server, ServerConfig
from graphport.errors import GraphportError, ValidationError
from graphport.server import _layout_jobs
from graphport.server._ingest import to_ipc_file
from graphport.server._layout_jobs import rerun_in_worker

SPEC = {
    "name": "g",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def blob(table: pa.Table) -> bytes:
    return bytes(to_ipc_file(table).to_pybytes())


def mesh(n: int = 300, seed: int = 3) -> bytes:
    """One connected graph: a ring of ``n`` nodes plus random chords."""
    rng = np.random.default_rng(seed)
    src = list(range(n)) + rng.integers(0, n, n).tolist()
    dst = [(i + 1) % n for i in range(n)] + rng.integers(0, n, n).tolist()
    return blob(pa.table({"s": src, "d": dst}))


def wait_done(server: Server, me: Any, ds: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        state = server.layout_status(me, ds)
        if state["state"] not in ("running", "paused"):
            return state
        assert time.monotonic() < deadline, f"the layout did not end: {state}"
        time.sleep(0.05)


def positions(server: Server, me: Any, ds: str) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    nodes = server.datasets.read_table(me, ds, "nodes").sort_by("id")
    meta = json.loads((nodes.schema.metadata or {})[b"graphport:layout"])
    x = nodes.column("x").to_numpy().astype(np.float64)
    y = nodes.column("y").to_numpy().astype(np.float64)
    return x, y, meta


def built(server: Server, me: Any, edges: bytes, privacy: dict[str, Any] | None = None) -> str:
    ds = server.plot(me, SPEC, edges, None, privacy or {"mode": "private"})
    server.datasets.graphs.future(ds).result(120)
    return ds


def test_the_build_names_its_layout_and_a_rerun_with_locked_x_keeps_every_x(
    server: Server, alice: str
) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me, mesh())
    x0, y0, meta0 = positions(server, me, ds)
    assert meta0 == {"settings": meta0["settings"], "run": 0} and meta0["settings"]["lockedX"] is False
    # URL parameters arrive as text, Python's True included (the official client writes it so).
    started = server.rerun_layout(me, ds, {"lockedX": "True", "gravity": "5", "play": "0"})
    assert started["state"] in ("running", "done") and started["kind"] == "rerun"
    assert wait_done(server, me, ds)["state"] == "done"
    x1, y1, meta1 = positions(server, me, ds)
    assert meta1["run"] == 1 and meta1["settings"]["lockedX"] is True and meta1["settings"]["gravity"] == 5.0
    np.testing.assert_allclose(x1, x0, rtol=1e-6, atol=1e-6)  # float32 storage
    assert np.abs(y1 - y0).max() > 1e-3 * (np.ptp(y0) or 1.0)  # y moved


def spread(x: np.ndarray, y: np.ndarray) -> float:
    return float(np.sqrt(np.var(x) + np.var(y)))


def test_strong_gravity_gives_a_tighter_picture_and_reruns_are_deterministic(
    server: Server, alice: str
) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me, mesh())
    x0, y0, _ = positions(server, me, ds)
    server.rerun_layout(me, ds, {"strongGravity": True, "gravity": 3})
    assert wait_done(server, me, ds)["state"] == "done"
    x1, y1, meta = positions(server, me, ds)
    assert meta["settings"]["strongGravity"] is True and meta["run"] == 1
    assert spread(x1, y1) < 0.8 * spread(x0, y0)
    server.rerun_layout(me, ds, {})  # back to Graphistry's defaults: the first picture again
    assert wait_done(server, me, ds)["state"] == "done"
    x2, y2, meta = positions(server, me, ds)
    assert meta["run"] == 2
    np.testing.assert_array_equal(x2, x0)
    np.testing.assert_array_equal(y2, y0)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"gravity": -1}, "gravity"),
        ({"scalingRatio": "wide"}, "scalingRatio"),
        ({"linLog": "maybe"}, "linLog"),
        ({"gravty": 2}, "gravty"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(
    server: Server, alice: str, settings: dict[str, Any], field: str
) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me, mesh(40))
    with pytest.raises(ValidationError) as refused:
        server.rerun_layout(me, ds, settings)
    assert refused.value.status == 400 and field in refused.value.message
    assert server.layout_status(me, ds)["state"] in ("done", "none")  # nothing started


def test_only_editors_may_rerun(server: Server, alice: str, bob: str) -> None:
    me = server.accounts.require_user(alice)
    other = server.accounts.require_user(bob)
    private = built(server, me, mesh(40))
    public = built(server, me, mesh(40), {"mode": "public"})
    with pytest.raises(GraphportError) as hidden:
        server.rerun_layout(other, private, {"linLog": True})
    assert hidden.value.status == 404
    with pytest.raises(GraphportError) as read_only:
        server.rerun_layout(other, public, {"linLog": True})
    assert read_only.value.status == 403
    with pytest.raises(GraphportError) as anonymous:
        server.rerun_layout(None, public, {"linLog": True})
    assert anonymous.value.status in (401, 403)
    assert server.layout_status(other, public)["state"] in ("done", "none")  # a viewer may look


def test_uploaded_positions_win_over_a_rerun(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    nodes = pa.table({"id": [0, 1, 2], "x": [0.0, 1.0, 2.0], "y": [5.0, 6.0, 7.0]})
    ds = server.plot(me, SPEC, blob(pa.table({"s": [0, 1], "d": [1, 2]})), blob(nodes), {"mode": "private"})
    server.datasets.graphs.future(ds).result(120)
    with pytest.raises(GraphportError) as refused:
        server.rerun_layout(me, ds, {"linLog": True})
    assert refused.value.status == 409 and refused.value.code == "positions_uploaded"
    stored = server.datasets.read_table(me, ds, "nodes")
    assert b"graphport:layout" not in (stored.schema.metadata or {})
    assert stored.column("x").to_pylist() == [0.0, 1.0, 2.0]


def slow_rerun(*args: Any) -> tuple[bytes, int]:
    """The server's re-run, pausing half a second after each provisional frame (runs in the worker)."""
    _layout_jobs.PAUSE_AFTER_FRAME = 0.5
    try:
        return rerun_in_worker(*args)
    finally:
        _layout_jobs.PAUSE_AFTER_FRAME = 0.0


def until(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_rerun_pauses_resumes_and_cancels_leaving_the_stored_layout(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me, mesh(30_000))  # one component above the engine's progress threshold
    server.datasets.graphs.reruns.worker_rerun = slow_rerun
    server.rerun_layout(me, ds, {"linLog": True})
    until(lambda: server.layout_status(me, ds)["frame"] >= 1)
    assert server.control_layout(me, ds, "pause")["state"] == "paused"
    time.sleep(0.3)  # a frame already in the pipe may still land
    frame = server.layout_status(me, ds)["frame"]
    time.sleep(1.5)
    assert server.layout_status(me, ds)["frame"] == frame  # a stopped worker sends nothing
    assert server.control_layout(me, ds, "resume")["state"] == "running"
    assert wait_done(server, me, ds)["state"] == "done"
    x1, _, meta1 = positions(server, me, ds)
    assert meta1["run"] == 1 and meta1["settings"]["linLog"] is True

    server.rerun_layout(me, ds, {"strongGravity": True})
    until(lambda: server.layout_status(me, ds)["frame"] >= 1)
    server.control_layout(me, ds, "cancel")
    assert wait_done(server, me, ds)["state"] == "cancelled"
    x2, _, meta2 = positions(server, me, ds)
    assert meta2 == meta1  # the stored layout is kept
    np.testing.assert_array_equal(x2, x1)
    with pytest.raises(GraphportError) as idle:  # nothing runs now
        server.control_layout(me, ds, "pause")
    assert idle.value.status == 409 and idle.value.code == "no_layout_running"


def test_closing_the_server_stops_a_rerun_and_keeps_the_stored_layout(server_config: ServerConfig) -> None:
    with Server(config=server_config) as first:
        first.create_user("carol", "carol-password-123")
        me = first.accounts.require_user("carol")
        ds = built(first, me, mesh(30_000))
        x0, _, meta0 = positions(first, me, ds)
        first.datasets.graphs.reruns.worker_rerun = slow_rerun
        first.rerun_layout(me, ds, {"linLog": True})
        until(lambda: first.layout_status(me, ds)["frame"] >= 1)
        started = time.monotonic()
    assert time.monotonic() - started < 10  # the re-run was stopped, not waited for
    run = first.datasets.graphs.runs.get(ds)
    assert run is not None and run.state == "cancelled"  # ended before the stores closed
    with Server(config=server_config) as again:
        me = again.accounts.require_user("carol")
        x1, _, meta1 = positions(again, me, ds)
    assert meta1 == meta0
    np.testing.assert_array_equal(x1, x0)
