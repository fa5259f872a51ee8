"""``graphport.PollBatcher``: an ``on_poll_request`` callback that polls once for the writes of a
short window, never leaving a write unapplied (issue #16)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyarrow as pa
import pytest

import graphport
from graphport.server import Principal
from graphport.server._live import LiveMessage

from .test_live import edges_by_id, make_dataset

TIMEOUT = 10.0


@pytest.fixture
def owner(server: graphport.Server) -> Principal:
    return server.create_user("owner", "correct horse battery staple")


def row(key: int) -> pa.Table:
    return pa.table({"eid": [key], "src": [1], "dst": [2]})


def applied(server: graphport.Server, owner: Principal, dataset: str, keys: set[int]) -> bool:
    """Wait (without polling) until every key is published; False after TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if keys <= set(edges_by_id(server, owner, dataset)):
            return True
        time.sleep(0.005)
    return False


def test_writes_of_a_window_share_one_poll(server: graphport.Server, owner: Principal) -> None:
    dataset = make_dataset(server, owner)
    server.datasets.graphs.future(dataset).result()  # its layout is not running beside the writes
    batcher = graphport.PollBatcher(linger=0.25)
    server.on_poll_request = batcher
    polls_before = server.live.polls
    try:
        for key in range(100, 140):
            server.live_update(owner, dataset, "edges", row(key))
        assert applied(server, owner, dataset, set(range(100, 140))), "the batcher never polled"
    finally:
        batcher.close()
    # 40 writes of a millisecond or less: one poll (three if the machine is slow); polling as soon
    # as asked makes 9-18.
    assert server.live.polls - polls_before <= 3
    assert server.live.pending() == 0


def test_the_poll_waits_its_linger(server: graphport.Server, owner: Principal) -> None:
    """A write is applied after ``linger``, not at once: that wait is what lets writes share."""
    dataset = make_dataset(server, owner)
    batcher = graphport.PollBatcher(linger=0.5)
    server.on_poll_request = batcher
    try:
        server.live_update(owner, dataset, "edges", row(700))
        time.sleep(0.1)  # a poll run as soon as asked would have applied it by now
        assert server.live.pending() == 1
        assert applied(server, owner, dataset, {700})
    finally:
        batcher.close()


def test_no_write_is_left_queued_with_writers_on_several_threads(
    server: graphport.Server, owner: Principal
) -> None:
    """Writes that land while a poll runs ask for the next one: once the writers are done, every row
    shows up without anyone calling ``poll()``."""
    dataset = make_dataset(server, owner)
    seen: set[int] = set()
    lock = threading.Lock()

    def on_message(message: LiveMessage) -> None:
        rows = message.rows("edges")
        if rows is not None:
            with lock:
                seen.update(rows.column("eid").to_pylist())

    server.subscribe(owner, dataset, on_message)
    batcher = graphport.PollBatcher(linger=0.0005)
    server.on_poll_request = batcher

    def writer(first: int) -> None:
        for key in range(first, first + 150):
            server.live_update(owner, dataset, "edges", row(key))

    threads = [threading.Thread(target=writer, args=(1000 * (w + 1),)) for w in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        expected = {1000 * (w + 1) + k for w in range(3) for k in range(150)}
        assert applied(server, owner, dataset, expected)
    finally:
        batcher.close()
    with lock:
        assert expected <= seen  # and the subscriber was told of each one
    assert server.live.pending() == 0


def test_polls_on_the_executor_it_is_given_and_leaves_it_running(
    server: graphport.Server, owner: Principal
) -> None:
    dataset = make_dataset(server, owner)
    threads: list[str] = []
    server.subscribe(owner, dataset, lambda m: threads.append(threading.current_thread().name))
    with ThreadPoolExecutor(1, thread_name_prefix="given-pool") as pool:
        batcher = graphport.PollBatcher(pool, linger=0.0)
        server.on_poll_request = batcher
        server.live_update(owner, dataset, "edges", row(500))
        assert applied(server, owner, dataset, {500})
        batcher.close()
        assert pool.submit(lambda: 7).result() == 7  # close() leaves a given executor alone
    assert threads[-1].startswith("given-pool")


def test_one_batcher_serves_two_servers(tmp_path: Path) -> None:
    batcher = graphport.PollBatcher(linger=0.001)
    with graphport.Server(data=tmp_path / "one") as one, graphport.Server(data=tmp_path / "two") as two:
        pairs = []
        for s in (one, two):
            owner = s.create_user("owner", "correct horse battery staple")
            pairs.append((s, owner, make_dataset(s, owner)))
            s.on_poll_request = batcher
        try:
            for key in range(200, 220):
                for s, owner, dataset in pairs:
                    s.live_update(owner, dataset, "edges", row(key))
            for s, owner, dataset in pairs:
                assert applied(s, owner, dataset, set(range(200, 220)))
        finally:
            batcher.close()


def test_a_batcher_that_cannot_poll_keeps_the_write_queued(
    server: graphport.Server, owner: Principal
) -> None:
    """A closed batcher's executor refuses the poll: the write is kept (logged, queued) for the next
    ``poll()``, and the writer is not failed for it."""
    dataset = make_dataset(server, owner)
    batcher = graphport.PollBatcher()
    batcher.close()
    server.on_poll_request = batcher
    server.live_update(owner, dataset, "edges", row(900))
    assert server.live.pending() == 1
    assert 900 not in edges_by_id(server, owner, dataset)
    server.poll()
    assert 900 in edges_by_id(server, owner, dataset)


def test_a_negative_linger_is_refused() -> None:
    with pytest.raises(ValueError, match="linger"):
        graphport.PollBatcher(linger=-1.0)
