"""The live write-ahead log (issue #17): acknowledged live writes survive a crash of the server.

In-process tests "crash" a server by closing its logs without flushing (what the kernel does to a
killed process's files), then open another server on the same data; the last test kills a real
``graphport serve`` with SIGKILL in the middle of a stream of acknowledged writes."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig
from graphport.server import Principal
from graphport.server._ingest import to_ipc_file
from graphport.server._live_log import LiveLog, Record, decode_all, encode

from ..cli.test_serve_signals import Serve, arrow
from .test_live import make_dataset

PASSWORD = "correct horse battery staple"


def crash(server: graphport.Server) -> None:
    """Leave ``server`` as kill -9 would: nothing flushed, its log files closed by the kernel."""
    server.live.registry.flush_delay = 3600.0
    for ds in server.live.registry.all_loaded():
        if ds.flush_timer is not None:
            ds.flush_timer.cancel()
        if ds.log is not None:
            ds.log.close()
    server.live.registry.closed = True  # its later close() must not flush over the recovered state


def edge_ids(server: graphport.Server, who: Principal, dataset: str) -> list[int]:
    return sorted(server.datasets.read_table(who, dataset, "edges").column("eid").to_pylist())


@pytest.fixture
def config(tmp_path: Path) -> ServerConfig:
    return ServerConfig(data=tmp_path / "data", secret="s" * 40)


@pytest.mark.parametrize("durability", ["acknowledged", "synced"])
@pytest.mark.parametrize("polled", [False, True])
def test_acknowledged_writes_survive_a_crash(config: ServerConfig, durability: str, polled: bool) -> None:
    config = dataclasses.replace(config, live_durability=durability)
    first = graphport.Server(config=config)
    owner = first.create_user("owner", PASSWORD)
    dataset = make_dataset(first, owner)  # eids 0..9
    if polled:  # acknowledged once queued: nothing applied when the crash comes
        first.on_poll_request = lambda s: None
    first.live_update(owner, dataset, "edges", pa.table({"eid": [100, 101], "w": [1.0, 2.0]}))
    first.live_remove(owner, dataset, "edges", [3])
    first.live_update(owner, dataset, "edges", pa.table({"eid": [102], "label": ["new"]}))
    first.live_update(owner, dataset, "nodes", pa.table({"id": [100], "x": [5.0], "y": [6.0]}))
    crash(first)
    try:
        with graphport.Server(config=config) as second:  # start-up replays the log and flushes
            me = second.accounts.require_user("owner")
            expected = [i for i in range(10) if i != 3] + [100, 101, 102]
            assert edge_ids(second, me, dataset) == expected
            edges = second.datasets.read_table(me, dataset, "edges").to_pylist()
            assert {r["eid"]: r["label"] for r in edges}[102] == "new"
            assert {r["eid"]: r["w"] for r in edges}[101] == 2.0
            nodes = second.datasets.read_table(me, dataset, "nodes").to_pylist()
            assert {r["id"]: (r["x"], r["y"]) for r in nodes}[100] == (5.0, 6.0)
            # The flush holds them now: the log keeps only its checkpoint.
            records = [
                r
                for p in sorted((config.data / "live-log" / dataset).glob("*.log"))
                for r in decode_all(p.read_bytes())
            ]  # type: ignore[operator]
            assert [r.op for r in records] == ["checkpoint"]
            # New writes go on from there, and a second crash loses none of them either.
            second.live_update(me, dataset, "edges", pa.table({"eid": [103]}))
            crash(second)
        with graphport.Server(config=config) as third:
            me = third.accounts.require_user("owner")
            assert edge_ids(third, me, dataset) == [*expected, 103]
    finally:
        first.close()


def test_without_the_log_a_crash_loses_the_last_writes(config: ServerConfig) -> None:
    """``interval``: what the test above guards against."""
    config = dataclasses.replace(config, live_durability="interval")
    first = graphport.Server(config=config)
    owner = first.create_user("owner", PASSWORD)
    dataset = make_dataset(first, owner)
    first.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
    crash(first)
    try:
        with graphport.Server(config=config) as second:
            assert edge_ids(second, second.accounts.require_user("owner"), dataset) == list(range(10))
            assert not (config.data / "live-log").exists()
    finally:
        first.close()


def test_a_record_cut_short_by_the_crash_ends_the_replay(config: ServerConfig) -> None:
    first = graphport.Server(config=config)
    owner = first.create_user("owner", PASSWORD)
    dataset = make_dataset(first, owner)
    first.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
    first.live_update(owner, dataset, "edges", pa.table({"eid": [101]}))
    crash(first)
    segment = sorted((config.data / "live-log" / dataset).glob("*.log"))[-1]
    data = segment.read_bytes()
    last = encode(Record(3, "upsert", "edges", arrow(pa.table({"eid": [102]}))))
    segment.write_bytes(data + last[: len(last) - 5])  # the kill came in the middle of a write
    try:
        with graphport.Server(config=config) as second:
            assert edge_ids(second, second.accounts.require_user("owner"), dataset)[-2:] == [100, 101]
    finally:
        first.close()


def test_a_log_over_tables_uploaded_since_is_dropped(config: ServerConfig) -> None:
    """An upload replaces the tables: the log of the old ones must not be replayed over the new."""
    first = graphport.Server(config=config)
    owner = first.create_user("owner", PASSWORD)
    dataset = make_dataset(first, owner)
    first.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
    state = first.live.registry._live[dataset]
    crash(first)
    first.close()
    log = LiveLog(config.data / "live-log", "acknowledged")
    stored = (state.flushed_version, "another-edges-key", "another-graph-key")  # what an upload leaves
    taken, replay = log.open(dataset, stored)
    assert taken is not None and replay == []
    taken.close()
    taken, replay = log.open(dataset, stored)  # and it is gone for good
    assert taken is not None and replay == []
    taken.close()


def test_delete_and_upload_remove_the_log(server: graphport.Server) -> None:
    owner = server.create_user("owner", PASSWORD)
    dataset = make_dataset(server, owner)
    server.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
    directory = server.data / "live-log" / dataset
    assert directory.is_dir()
    server.datasets.delete(owner, dataset)
    assert not directory.exists()


def test_a_second_process_on_the_same_dataset_does_not_take_the_log(config: ServerConfig) -> None:
    """The directory lock: two servers on one data directory (serve --workers 2 without routing)."""
    with graphport.Server(config=config) as a, graphport.Server(config=config) as b:
        owner = a.create_user("owner", PASSWORD)
        dataset = make_dataset(a, owner)
        a.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
        b.live_update(b.accounts.require_user("owner"), dataset, "edges", pa.table({"eid": [101]}))
        assert a.live.registry._live[dataset].log is not None and b.live.registry._live[dataset].log is None


def test_killed_serve_keeps_every_acknowledged_live_write(tmp_path: Path) -> None:
    """A real ``graphport serve``: four writers stream live upserts over HTTP; SIGKILL right after
    an acknowledgement (well inside the 1 s flush interval); every acknowledged row is there after
    a restart on the same data directory."""
    data = tmp_path / "data"
    with graphport.Server(data=data) as setup:
        owner = setup.create_user("alice", PASSWORD)
        dataset = make_dataset(setup, owner)
        token = setup.token_for("alice")
    serve = Serve(data)
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(timeout=30) as client:
            for i in range(100_000):
                if stop.is_set():
                    return
                eids = [1000 + (i * 4 + w) * 3 + k for k in range(3)]
                try:
                    r = client.post(
                        f"{serve.url}/api/v2/datasets/{dataset}/live/edges",
                        content=arrow(pa.table({"eid": eids, "src": [1, 2, 3], "dst": [2, 3, 4]})),
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.TransportError:
                    return  # killed mid-request: not acknowledged
                if r.status_code == 200:
                    with lock:
                        acknowledged.extend(eids)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    try:
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(acknowledged) < 1500 and time.monotonic() < deadline:  # past a few timed flushes
            time.sleep(0.05)
        serve.proc.kill()
        serve.proc.wait(30)
        stop.set()
        for t in threads:
            t.join(30)
    finally:
        stop.set()
        serve.stop()
    assert len(acknowledged) >= 1500
    with graphport.Server(data=data) as restarted:
        stored = set(edge_ids(restarted, restarted.accounts.require_user("alice"), dataset))
    missing = sorted(set(acknowledged) - stored)
    print(f"\nkill -9 after {len(acknowledged)} acknowledged live rows: {len(missing)} missing after restart")
    assert missing == []


def test_start_up_skips_and_removes_clean_logs(config: ServerConfig) -> None:
    """After a clean close the log holds only a checkpoint: the next start loads nothing for it."""
    with graphport.Server(config=config) as first:
        owner = first.create_user("owner", PASSWORD)
        dataset = make_dataset(first, owner)
        first.live_update(owner, dataset, "edges", pa.table({"eid": [100]}))
    assert (config.data / "live-log" / dataset).is_dir()
    with graphport.Server(config=config) as second:
        assert second.live.registry._live == {}  # not loaded at start-up
        assert not (config.data / "live-log" / dataset).exists()
        assert edge_ids(second, second.accounts.require_user("owner"), dataset)[-1] == 100


def test_a_write_is_logged_as_the_bytes_it_came_in_when_they_read_as_it(config: ServerConfig) -> None:
    """A write whose table needs no cast is logged as the Arrow body it came in (an IPC stream or
    file, or the embedded client's own stream), not encoded again (#16); one that was cast is
    logged as the cast table. Either way the replay after a crash gives the written rows."""
    from graphport.server._live_messages import EncodedTable, _ipc_stream

    first = graphport.Server(config=config)
    owner = first.create_user("owner", PASSWORD)
    dataset = make_dataset(first, owner)  # eids 0..9, w float64
    first.on_poll_request = lambda s: None  # nothing applied before the crash
    stream = _ipc_stream(pa.table({"eid": [100], "w": [1.0]}))
    file = to_ipc_file(pa.table({"eid": [101], "w": [2.0]})).to_pybytes()
    own = _ipc_stream(pa.table({"eid": [102], "w": [3.0]}))
    encoded = EncodedTable.read_own(own, pa.schema([("eid", pa.int64()), ("w", pa.float64())]))
    assert encoded is not None
    cast = pa.table({"eid": pa.array([103], pa.int32()), "w": pa.array([4], pa.int64())})
    for data in (stream, file, encoded, cast):
        first.live_update(owner, dataset, "edges", data)
    log = first.live.registry._live[dataset].log
    assert log is not None
    crash(first)
    bodies = [
        r.body
        for p in sorted((config.data / "live-log" / dataset).glob("*.log"))
        for r in decode_all(p.read_bytes())
        if r.op == "upsert"
    ]
    assert bodies[:3] == [stream, file, own]
    assert pa.ipc.open_stream(bodies[3]).read_all().schema.field("eid").type == pa.int64()
    with graphport.Server(config=config) as second:
        me = second.accounts.require_user("owner")
        edges = second.datasets.read_table(me, dataset, "edges").to_pylist()
        assert {r["eid"]: r["w"] for r in edges if r["eid"] >= 100} == {
            100: 1.0,
            101: 2.0,
            102: 3.0,
            103: 4.0,
        }
