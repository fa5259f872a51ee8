"""The re-run flow of ``_layout_reruns`` (issue #12) on a real server, SQLite and blob directory:
a re-run replaces the stored graph and its blob; one overtaken by an upload, or by another re-run,
stores nothing and leaves no blob behind; none runs before the first build or after it failed;
closing cancels a running one and refuses new ones. The settings' effect on the positions, editor
rights and pause/resume are in test_layout_runs.py."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import wait
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

from graphport import Server
from graphport.errors import GraphportError, ValidationError
from graphport.server._graphs import GraphFailed
from graphport.server._ingest import to_ipc_file
from graphport.server._layout_jobs import rerun_in_worker
from graphport.server._layout_worker import report
from graphport.storage._models import datasets

SPEC = {
    "name": "g",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def mesh(n: int = 200, seed: int = 3) -> bytes:
    """One connected graph: a ring of ``n`` nodes plus random chords."""
    rng = np.random.default_rng(seed)
    src = list(range(n)) + rng.integers(0, n, n).tolist()
    dst = [(i + 1) % n for i in range(n)] + rng.integers(0, n, n).tolist()
    return bytes(to_ipc_file(pa.table({"s": src, "d": dst})).to_pybytes())


# Worker-side functions: module level, so the worker process imports them by name.


def release_file(test_pid: int) -> Path:
    """The file whose creation lets :func:`held_rerun` answer: named by the test process's id, the
    worker processes' parent, so the test and its workers agree on it on either stack."""
    return Path(tempfile.gettempdir()) / f"graphport-test-rerun-release-{test_pid}"


def held_rerun(*args: Any) -> tuple[bytes, int]:
    """The server's re-run, which then sends one frame (the test's sign that it got this far) and
    holds its answer until the test creates the release file (a minute at most)."""
    answer = rerun_in_worker(*args)
    report({"x": np.zeros(1, np.float32), "y": np.zeros(1, np.float32)})
    release, deadline = release_file(os.getppid()), time.monotonic() + 60
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return answer


def refusing_build(*_args: Any) -> tuple[bytes, int]:
    raise ValidationError("column 's' is malformed (test)", code="invalid_arrow")


# Helpers.


def row(server: Server, ds: str) -> Any:
    with server.db.read() as c:
        return c.execute(sa.select(datasets).where(datasets.c.id == ds)).one()


def new_blobs(server: Server, before: set[str]) -> set[str]:
    """Blobs stored since ``before`` was listed (the scale stack's bucket holds other tests' too)."""
    return set(server.blobs.keys()) - before


def stored(server: Server, key: str) -> bool:
    return key in set(server.blobs.keys())


def layout_meta(server: Server, me: Any, ds: str) -> dict[str, Any]:
    nodes = server.datasets.read_table(me, ds, "nodes")
    meta: dict[str, Any] = json.loads((nodes.schema.metadata or {})[b"graphport:layout"])
    return meta


def until(check: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def ended(server: Server, me: Any, ds: str) -> dict[str, Any]:
    until(lambda: server.layout_status(me, ds)["state"] not in ("running", "paused"))
    return server.layout_status(me, ds)


@pytest.fixture
def release() -> Iterator[Path]:
    path = release_file(os.getpid())
    path.unlink(missing_ok=True)
    yield path
    path.unlink(missing_ok=True)


def built(server: Server, me: Any) -> str:
    ds = server.plot(me, SPEC, mesh(), None, {"mode": "private"})
    server.datasets.graphs.future(ds).result(120)
    return ds


# Tests.


def test_a_rerun_replaces_the_stored_graph_and_deletes_the_old_blob(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me)
    before, keys = row(server, ds), set(server.blobs.keys())
    started = server.rerun_layout(me, ds, {"linLog": True})
    assert started["kind"] == "rerun" and started["settings"]["linLog"] is True
    assert ended(server, me, ds)["state"] == "done"
    after = row(server, ds)
    assert after.graph_key != before.graph_key
    assert (after.content_version, after.graph_version) == (before.content_version, before.graph_version)
    assert after.graph_nodes_rows == before.graph_nodes_rows == 200
    assert new_blobs(server, keys) == {after.graph_key} and not stored(server, before.graph_key)
    meta = layout_meta(server, me, ds)
    assert meta["run"] == 1 and meta["settings"]["linLog"] is True


def test_a_rerun_overtaken_by_an_upload_stores_nothing_and_leaves_no_blob(
    server: Server, alice: str, release: Path
) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me)
    before, keys = row(server, ds), set(server.blobs.keys())
    graphs = server.datasets.graphs
    graphs.reruns.worker_rerun = held_rerun
    server.rerun_layout(me, ds, {"linLog": True})
    run = graphs.runs.get(ds)
    assert run is not None and run.kind == "rerun"
    until(lambda: run.frame >= 1)  # laid out, its answer held
    server.upload_table(me, ds, "edges", mesh(seed=9))  # a new version, and its build
    graphs.future(ds).result(120)
    release.touch()
    until(lambda: not run.active)
    # Ended at the compare-and-set, not at the re-run's first look at the row.
    assert run.state == "cancelled" and run.error == "a newer upload or re-run replaced the graph"
    after = row(server, ds)
    assert after.content_version == after.graph_version == before.content_version + 1
    # The new version's blobs only: the re-run's was deleted again (and the old graph by the build).
    assert new_blobs(server, keys) == {after.edges_key, after.graph_key}
    assert not stored(server, before.graph_key)
    assert layout_meta(server, me, ds)["run"] == 0  # the new version's build placed the nodes


def test_a_new_rerun_cancels_the_running_one(server: Server, alice: str, release: Path) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me)
    before, keys = row(server, ds), set(server.blobs.keys())
    graphs = server.datasets.graphs
    graphs.reruns.worker_rerun = held_rerun
    server.rerun_layout(me, ds, {"linLog": True})
    first = graphs.runs.get(ds)
    assert first is not None
    until(lambda: first.frame >= 1)
    graphs.reruns.worker_rerun = rerun_in_worker
    server.rerun_layout(me, ds, {"strongGravity": True})
    assert ended(server, me, ds)["state"] == "done"
    release.touch()  # were it still running, the first would now answer and lose at the store
    until(lambda: not first.active)
    # Its worker was killed (no error), not left to lose at the store.
    assert first.state == "cancelled" and first.error is None
    after = row(server, ds)
    assert new_blobs(server, keys) == {after.graph_key} and not stored(server, before.graph_key)
    meta = layout_meta(server, me, ds)
    assert meta["settings"]["strongGravity"] is True and meta["settings"]["linLog"] is False


def test_no_rerun_before_the_first_build_nor_after_it_failed(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    waiting = server.create_dataset(me, SPEC)  # no edges yet: nothing built
    with pytest.raises(GraphportError) as busy:
        server.rerun_layout(me, waiting, {"linLog": True})
    assert busy.value.status == 409 and busy.value.code == "layout_busy"
    assert server.layout_status(me, waiting)["state"] == "none"

    server.datasets.graphs.worker_build = refusing_build
    failed = server.plot(me, SPEC, mesh(), None, {"mode": "private"})
    with pytest.raises(GraphFailed):
        server.datasets.graphs.future(failed).result(120)
    with pytest.raises(GraphportError) as refused:
        server.rerun_layout(me, failed, {"linLog": True})
    assert refused.value.status == 409 and refused.value.code == "layout_busy"
    state = server.layout_status(me, failed)
    assert state["kind"] == "build" and state["state"] == "failed"  # no re-run began


def test_stopping_cancels_a_running_rerun_keeps_the_graph_and_refuses_new_ones(
    server: Server, alice: str, release: Path
) -> None:
    me = server.accounts.require_user(alice)
    ds = built(server, me)
    before, keys = row(server, ds), set(server.blobs.keys())
    reruns = server.datasets.graphs.reruns
    reruns.worker_rerun = held_rerun  # holds its answer: only a cancel ends it soon
    server.rerun_layout(me, ds, {"linLog": True})
    until(lambda: server.layout_status(me, ds)["frame"] >= 1)
    futures = reruns.stop()
    assert len(futures) == 1
    done, _ = wait(futures, timeout=30)
    assert done == set(futures)
    assert server.layout_status(me, ds)["state"] == "cancelled"
    assert row(server, ds).graph_key == before.graph_key and stored(server, before.graph_key)
    assert new_blobs(server, keys) == set()
    with pytest.raises(GraphportError) as closed:
        server.rerun_layout(me, ds, {"linLog": True})
    assert closed.value.status == 503
    assert server.layout_status(me, ds)["state"] == "cancelled"  # no run began for it
