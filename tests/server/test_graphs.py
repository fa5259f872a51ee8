"""Graph builds: no deadlock, failures marked and contained, fair and bounded scheduling (issue #17,
issue #10 F2)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, Future
from typing import Any

import httpx
import pyarrow as pa
import pytest

from graphport import Server, ServerConfig
from graphport.errors import ValidationError
from graphport.server._build_queue import FairQueue, ServerBusy
from graphport.server._graphs import GraphFailed, build_in_worker
from graphport.server._ingest import to_ipc_file
from graphport.server._layout_worker import WorkerPool
from graphport.server._pool import build_slots

from ..conftest import bearer

SPEC = {
    "name": "g",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def edges(n: int) -> bytes:
    table = pa.table({"s": [f"n{i}" for i in range(n)], "d": [f"n{i + 1}" for i in range(n)]})
    return bytes(to_ipc_file(table).to_pybytes())


class SynchronousExecutor(Executor):
    """Runs every submitted function at once, in the caller's thread, before submit returns."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        done: Future[Any] = Future()
        try:
            done.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            done.set_exception(exc)
        return done


class ManualExecutor(Executor):
    """Keeps submitted functions until the test runs them."""

    def __init__(self) -> None:
        self.tasks: list[Callable[[], Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.tasks.append(lambda: fn(*args, **kwargs))
        return Future()

    def run_all(self) -> None:
        while self.tasks:
            self.tasks.pop(0)()


# Worker-side build functions: module level, so the worker process imports them by name.


def refusing_build(*_args: Any) -> tuple[bytes, int]:
    raise ValidationError("column 's' is malformed (test)", code="invalid_arrow")


def aborting_build(*_args: Any) -> tuple[bytes, int]:
    os.abort()


def niceness_build(*_args: Any) -> tuple[bytes, int]:
    """A node table recording the niceness its build ran at."""
    table = pa.table({"id": ["n0"], "nice": [os.getpriority(os.PRIO_PROCESS, 0)]})
    return bytes(to_ipc_file(table).to_pybytes()), 1


def segfaulting_build(*_args: Any) -> tuple[bytes, int]:
    ctypes.string_at(0)  # reads address 0: SIGSEGV, as a crash in Arrow's C++ code would
    raise AssertionError("unreachable")


def test_a_build_that_finishes_inside_submit_does_not_deadlock(server: Server, alice: str) -> None:
    """The deadlock of issue #17: the job finished before add_done_callback, whose callback then
    ran in the same thread and waited for the lock that thread held."""
    me = server.accounts.require_user(alice)
    server.datasets.graphs._executor = SynchronousExecutor
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(server.plot(me, SPEC, edges(3))), daemon=True)
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "plot() hung: the graph builder deadlocked"
    (ds,) = result
    assert server.datasets.graphs.future(ds).done()
    assert server.datasets.read_table(me, ds, "nodes").num_rows == 4


def test_a_refused_build_marks_the_dataset_failed_once(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    server.datasets.graphs.worker_build = refusing_build
    ds = server.plot(me, SPEC, edges(3))
    with pytest.raises(GraphFailed, match="column 's' is malformed") as caught:
        server.datasets.graphs.future(ds).result(60)
    assert caught.value.code == "graph_failed" and caught.value.status == 409
    described = server.datasets.describe(me, ds)
    assert described["status"] == "failed"
    assert "column 's' is malformed" in described["graph_error"]
    # Readers get the stored answer at once: no build runs again for this version.
    again = server.datasets.graphs.future(ds)
    assert again.done() and isinstance(again.exception(), GraphFailed)
    # New tables are a new version: built again, and the dataset is ready.
    server.datasets.graphs.worker_build = build_in_worker
    server.upload_table(me, ds, "edges", edges(4))
    server.datasets.graphs.future(ds).result(60)
    described = server.datasets.describe(me, ds)
    assert described["status"] == "ready" and described["graph_error"] is None
    assert described["rows"]["graph_nodes"] == 5


def test_a_failure_of_a_replaced_version_is_not_recorded(server: Server, alice: str) -> None:
    """A build whose version was replaced while it ran (its blob may be gone) fails quietly: the
    newer version's own build decides the dataset's state."""
    me = server.accounts.require_user(alice)
    graphs = server.datasets.graphs
    graphs._executor = ManualExecutor  # type: ignore[assignment]  # builds run when the test says
    ds = server.plot(me, SPEC, edges(3))
    old = graphs.future(ds)
    graphs.worker_build = refusing_build
    original_source = graphs._source

    def source_then_replace(key: str) -> Any:
        found = original_source(key)
        if not replaced:
            replaced.append(True)
            server.upload_table(me, ds, "edges", edges(4))  # a newer version lands meanwhile
        return found

    replaced: list[bool] = []
    graphs._source = source_then_replace  # type: ignore[method-assign]
    graphs._drain()  # builds the old version: refused, but it is no longer current
    assert old.result(0) is None
    assert server.datasets.describe(me, ds)["status"] == "ready"


@pytest.mark.parametrize("crash", [segfaulting_build, aborting_build], ids=["segfault", "abort"])
def test_a_crashing_build_kills_only_its_worker(
    server: Server, alice: str, http: httpx.Client, crash: Callable[..., Any]
) -> None:
    """Issue #10 F2: a crash in C++ code during the build must not take the server down."""
    me = server.accounts.require_user(alice)
    server.datasets.graphs.worker_build = crash
    ds = server.plot(me, SPEC, edges(3))
    with pytest.raises(GraphFailed, match="died") as caught:
        server.datasets.graphs.future(ds).result(60)
    signal_name = "SIGSEGV" if crash is segfaulting_build else "SIGABRT"
    assert signal_name in caught.value.message
    assert server.datasets.describe(me, ds)["status"] == "failed"
    # The server keeps answering, over HTTP too, and the next build gets a fresh worker.
    answer = http.get(f"/api/v2/datasets/{ds}", headers=bearer(server, alice))
    assert answer.status_code == 200 and answer.json()["status"] == "failed"
    assert signal_name in answer.json()["graph_error"]
    nodes = http.get(f"/api/v2/datasets/{ds}/nodes.arrow", headers=bearer(server, alice))
    assert nodes.status_code == 409 and nodes.json()["code"] == "graph_failed"
    server.datasets.graphs.worker_build = build_in_worker
    ok = server.plot(me, SPEC, edges(5))
    assert server.datasets.read_table(me, ok, "nodes").num_rows == 6


def test_the_pool_closing_is_not_a_failure(server: Server, alice: str) -> None:
    """Workers killed because the server shuts down abandon the build; the dataset stays ready."""
    me = server.accounts.require_user(alice)
    server.datasets.graphs._executor = ManualExecutor
    ds = server.plot(me, SPEC, edges(3))
    server.datasets.graphs.close(timeout=5)
    assert server.datasets.describe(me, ds)["status"] == "ready"


# -- scheduling --------------------------------------------------------------------------------


@pytest.fixture
def users(server: Server) -> Iterator[Mapping[str, Any]]:
    yield {name: server.create_user(name, "a long passphrase") for name in ("ann", "ben")}


def test_small_graphs_first_and_tenants_take_turns(server: Server, users: Mapping[str, Any]) -> None:
    """Ann queues two big graphs then two small ones; Ben one small one. Ann's small ones come
    before her big ones, and Ben's comes before Ann's second (tenants take turns)."""
    graphs = server.datasets.graphs
    graphs.configure(ServerConfig(small_graph_edges=5))
    executor = ManualExecutor()
    graphs._executor = lambda: executor
    built: list[str] = []
    graphs._build = lambda dataset_id, version: built.append(dataset_id)  # type: ignore[method-assign]
    names: dict[str, str] = {}
    for label, who, size in [
        ("ann-big-1", "ann", 50),
        ("ann-big-2", "ann", 40),
        ("ann-small-1", "ann", 3),
        ("ann-small-2", "ann", 4),
        ("ben-small-1", "ben", 2),
    ]:
        names[server.plot(users[who], SPEC, edges(size))] = label
    executor.run_all()
    assert [names[ds] for ds in built] == [
        "ann-small-1",
        "ben-small-1",
        "ann-small-2",
        "ann-big-2",
        "ann-big-1",
    ]


def test_a_small_graph_never_waits_behind_big_ones(server: Server, users: Mapping[str, Any]) -> None:
    """Behind as many big builds as there are slots, a small graph is still built at once (the
    FIFO of issue #17 made a 1k-edge graph wait 38.7 s behind two 5M-edge ones)."""
    graphs = server.datasets.graphs
    graphs.configure(ServerConfig(small_graph_edges=5))
    release = threading.Event()
    original = graphs._build
    big: set[str] = set()

    def build(dataset_id: str, version: int) -> None:
        if dataset_id in big:
            assert release.wait(60)
        original(dataset_id, version)

    graphs._build = build  # type: ignore[method-assign]
    try:
        for _ in range(build_slots()):
            big.add(server.plot(users["ann"], SPEC, edges(50)))
        small = server.plot(users["ann"], SPEC, edges(3))
        graphs.future(small).result(30)  # a TimeoutError here: the small graph waited
        assert not any(graphs.future(ds).done() for ds in big)
    finally:
        release.set()
    for ds in big:
        graphs.future(ds).result(60)


def test_a_big_graph_is_built_at_the_lowest_priority_and_a_small_one_at_the_usual(
    server: Server, users: Mapping[str, Any]
) -> None:
    """#16: small builds beside a big one get the cores, not only their slots."""
    from graphport.server._layout_worker import BIG_NICENESS, WORKER_NICENESS

    graphs = server.datasets.graphs
    graphs.configure(ServerConfig(small_graph_edges=5))
    graphs.worker_build = niceness_build
    ann = users["ann"]
    big, small = server.plot(ann, SPEC, edges(50)), server.plot(ann, SPEC, edges(3))
    nice = {}
    for ds in (big, small):
        graphs.future(ds).result(120)
        nice[ds] = server.datasets.read_table(ann, ds, "nodes").column("nice")[0].as_py()
    assert nice == {big: BIG_NICENESS, small: min(19, os.nice(0) + WORKER_NICENESS)}


def test_a_full_queue_answers_busy(server: Server, users: Mapping[str, Any], http: httpx.Client) -> None:
    graphs = server.datasets.graphs
    graphs.configure(ServerConfig(build_queue_per_tenant=2, build_queue_limit=3))
    graphs._executor = ManualExecutor  # nothing runs: every build stays queued
    first, _second, third = (server.plot(users["ann"], SPEC, edges(3)) for _ in range(3))
    busy = graphs.future(third).exception()
    assert isinstance(busy, ServerBusy) and busy.status == 503 and busy.code == "server_busy"
    assert busy.retry_after > 0
    assert not graphs.future(first).done()  # queued ones stay queued
    # Another tenant still gets in, up to the total bound.
    ben = server.plot(users["ben"], SPEC, edges(3))
    assert not graphs.future(ben).done()
    assert isinstance(graphs.future(server.plot(users["ben"], SPEC, edges(3))).exception(), ServerBusy)
    answer = http.get(f"/api/v2/datasets/{third}/nodes.arrow", headers=bearer(server, "ann"))
    assert answer.status_code == 503 and answer.json()["code"] == "server_busy"
    assert int(answer.headers["Retry-After"]) == busy.retry_after


def test_fair_queue_skips_big_graphs_when_their_slots_are_taken() -> None:
    queue: FairQueue[str] = FairQueue(limit=10, per_tenant=10, small_edges=100)
    queue.push("ann", 1_000, "ann-big")
    queue.push("ben", 10, "ben-small")
    assert queue.pop(big_allowed=False) == "ben-small"
    assert queue.pop(big_allowed=False) is None
    assert queue.pop(big_allowed=True) == "ann-big"
    assert len(queue) == 0


def test_workers_are_started_from_one_long_lived_thread() -> None:
    """PR_SET_PDEATHSIG fires when the *thread* that started a worker ends: a worker started from
    a short-lived thread would be killed while the pool still counts on it."""
    pool = WorkerPool(1)
    try:
        box: list[object] = []
        thread = threading.Thread(target=lambda: box.append(pool.call(os.getpid)))
        thread.start()
        thread.join(60)
        (worker,) = pool._all
        assert box == [worker.pid]
        with pytest.raises(subprocess.TimeoutExpired):  # the thread is gone; the worker stays
            worker.proc.wait(timeout=1)
        assert pool.call(os.getppid) == os.getpid()
    finally:
        pool.close()


def test_a_second_job_for_a_built_version_keeps_the_graph_readers_were_given(
    server: Server, alice: str
) -> None:
    """A reader that asked between one job storing a version and that job leaving the single-flight
    table started a second build, which replaced the graph and deleted the blob other readers had
    just been given (500s on S3, issue #17). The second job now finds the version built."""
    import sqlalchemy as sa

    from graphport.storage._models import datasets

    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, edges(20))
    server.datasets.read_table(me, ds, "nodes")  # built
    with server.db.read() as c:
        given = c.execute(sa.select(datasets.c.graph_key).where(datasets.c.id == ds)).scalar()
    server.datasets.graphs._build(ds, 1)  # the late second job of the same version
    with server.db.read() as c:
        assert c.execute(sa.select(datasets.c.graph_key).where(datasets.c.id == ds)).scalar() == given
    assert given in set(server.blobs.keys())


def test_a_table_deleted_under_a_reader_is_a_retryable_503(
    server: Server, alice: str, http: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, edges(5), None, {"mode": "public"})
    server.datasets.read_table(me, ds, "nodes")  # built: no build in flight reads the edges below
    key = server.datasets.table_key(me, ds, "edges")
    server.blobs.delete(key)  # as a newer version's build or flush would, right after table_key
    r = http.get(f"/api/v2/datasets/{ds}/edges.arrow")
    assert r.status_code == 503 and r.json()["code"] == "table_replaced", r.text
    assert r.headers["retry-after"] == "1"
