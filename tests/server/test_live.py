"""Live datasets in the engine: upsert semantics, the pending queue, poll(), subscribers (#6)."""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa
import pytest

import graphport
from graphport.errors import NotFoundError, ValidationError
from graphport.server import Principal
from graphport.server._ingest import to_ipc_file
from graphport.server._live import LiveMessage, decode_frame

EDGE_SPEC = {
    "name": "live",
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}},
    "node_encodings": {"bindings": {}},
}


def make_dataset(
    server: graphport.Server,
    owner: Principal,
    n: int = 10,
    spec: dict[str, Any] | None = None,
    nodes: pa.Table | None = None,
) -> str:
    edges = pa.table(
        {
            "eid": list(range(n)),
            "src": [i % 5 for i in range(n)],
            "dst": [(i + 1) % 5 for i in range(n)],
            "w": [float(i) for i in range(n)],
            "label": [f"e{i}" for i in range(n)],
        }
    )
    node_bytes = to_ipc_file(nodes).to_pybytes() if nodes is not None else None
    return server.plot(
        owner, spec or EDGE_SPEC, to_ipc_file(edges).to_pybytes(), node_bytes, {"mode": "private"}
    )


@pytest.fixture
def owner(server: graphport.Server) -> Principal:
    return server.create_user("owner", "correct horse battery staple")


@pytest.fixture
def dataset(server: graphport.Server, owner: Principal) -> str:
    return make_dataset(server, owner)


class Recorder:
    """A subscriber that applies messages to its own copy, as a viewer would."""

    def __init__(self) -> None:
        self.messages: list[LiveMessage] = []
        self.edges: dict[Any, dict[str, Any]] = {}
        self.lock = threading.Lock()

    def __call__(self, message: LiveMessage) -> None:
        with self.lock:
            self.messages.append(message)
            if message.type == "snapshot":
                self.edges.clear()
            for table, op, rows in decode_frame(message.frame())[1]:
                if table != "edges":
                    continue
                if op == "reset":
                    self.edges.clear()
                if op == "upsert" and rows is not None:
                    for row in rows.to_pylist():
                        self.edges.setdefault(row["eid"], {}).update(row)
                if op == "remove" and rows is not None:
                    for key in rows.column("key").to_pylist():
                        self.edges.pop(key, None)


def edges_by_id(server: graphport.Server, who: Principal, dataset_id: str) -> dict[Any, dict[str, Any]]:
    edges, _ = server.live_tables(who, dataset_id)
    return {row["eid"]: row for row in edges.to_pylist()}


def test_upsert_by_id_and_partial_rows(server: graphport.Server, owner: Principal, dataset: str) -> None:
    server.live_update(
        owner, dataset, "edges", pa.table({"eid": [3, 100], "w": [30.0, 1e3], "src": [3, 7], "dst": [4, 8]})
    )
    rows = edges_by_id(server, owner, dataset)
    assert len(rows) == 11
    assert rows[3] == {"eid": 3, "src": 3, "dst": 4, "w": 30.0, "label": "e3"}  # label kept
    assert rows[100]["label"] is None and rows[100]["w"] == 1e3
    _, nodes = server.live_tables(owner, dataset)
    placed = {r["id"]: r for r in nodes.to_pylist()}
    assert {7, 8} <= set(placed) and placed[7]["x"] is not None  # new endpoints became placed nodes
    # last row of a key wins within one batch; a new column appears null elsewhere
    server.live_update(owner, dataset, "edges", pa.table({"eid": [1, 1], "color": ["red", "blue"]}))
    rows = edges_by_id(server, owner, dataset)
    assert rows[1]["color"] == "blue" and rows[2]["color"] is None


def test_remove_replace_clear(server: graphport.Server, owner: Principal, dataset: str) -> None:
    rec = Recorder()
    server.subscribe(owner, dataset, rec)
    assert server.live_remove(owner, dataset, "edges", [1, 2, 999]) == 3
    assert set(edges_by_id(server, owner, dataset)) == {0, 3, 4, 5, 6, 7, 8, 9}
    assert rec.messages[-1].rows("edges", "remove").column("key").to_pylist() == [1, 2]  # type: ignore[union-attr]
    server.live_replace(owner, dataset, "edges", pa.table({"eid": [50], "src": [0], "dst": [1]}))
    assert set(edges_by_id(server, owner, dataset)) == {50}
    assert [p.op for p in rec.messages[-1].parts if p.table == "edges"] == ["reset", "upsert"]
    server.live_clear(owner, dataset, "edges")
    assert edges_by_id(server, owner, dataset) == {}
    assert rec.edges == {}
    assert [m.version for m in rec.messages] == list(
        range(rec.messages[0].version, rec.messages[0].version + 4)
    )


def test_append_only_edges_without_an_id(server: graphport.Server, owner: Principal) -> None:
    spec = {"edge_encodings": {"bindings": {"source": "src", "destination": "dst"}}}
    dataset = make_dataset(server, owner, 3, spec)
    server.live_update(owner, dataset, "edges", pa.table({"eid": [0], "src": [0], "dst": [1]}))
    edges, _ = server.live_tables(owner, dataset)
    assert edges.num_rows == 4
    with pytest.raises(ValidationError, match="no id binding"):
        server.live_remove(owner, dataset, "edges", [0])
    with pytest.raises(ValidationError, match="source column"):
        server.live_update(owner, dataset, "edges", pa.table({"w": [1.0]}))


def test_bad_input_is_refused_and_nothing_queued(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    with pytest.raises(ValidationError, match="no 'eid' column"):
        server.live_update(owner, dataset, "edges", pa.table({"w": [1.0]}))
    with pytest.raises(ValidationError, match="ids must not be null"):
        server.live_update(owner, dataset, "edges", pa.table({"eid": pa.array([None], pa.int64())}))
    with pytest.raises(ValidationError, match="do not convert"):
        server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": ["heavy"]}))
    with pytest.raises(ValidationError, match="not a readable Arrow"):
        server.live_update(owner, dataset, "edges", b"not arrow")
    with pytest.raises(ValidationError, match="'edges' or 'nodes'"):
        server.live_update(owner, dataset, "vertices", pa.table({"eid": [1]}))
    with pytest.raises(ValidationError, match="keys to remove"):
        server.live_remove(owner, dataset, "edges", ["one"])
    assert server.live.pending() == 0


def test_writes_need_edit_rights(server: graphport.Server, owner: Principal, dataset: str) -> None:
    bob = server.create_user("bob", "correct horse battery staple")
    with pytest.raises(NotFoundError):
        server.live_update(bob, dataset, "edges", pa.table({"eid": [1], "w": [2.0]}))
    with pytest.raises(NotFoundError):
        server.subscribe(bob, dataset, lambda m: None)
    with pytest.raises(NotFoundError):
        server.live_remove(None, dataset, "edges", [1])


def test_on_poll_request_hides_until_poll_and_notifies_once(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    requests: list[object] = []
    server.on_poll_request = requests.append
    rec = Recorder()
    server.subscribe(owner, dataset, rec)
    for i in range(50):
        server.live_update(owner, dataset, "edges", pa.table({"eid": [1000 + i], "src": [1], "dst": [2]}))
    server.live_remove(owner, dataset, "edges", [0])
    assert len(requests) == 51 and requests[0] is server
    assert len(edges_by_id(server, owner, dataset)) == 10  # nothing visible before poll()
    assert len(rec.messages) == 1  # the snapshot only
    server.poll()
    rows = edges_by_id(server, owner, dataset)
    assert len(rows) == 59 and 0 not in rows
    assert len(rec.messages) == 2  # one notification for 51 queued writes
    assert rec.edges == {k: {c: v for c, v in r.items()} for k, r in rows.items()}
    server.poll()  # idle poll: nothing new
    assert len(rec.messages) == 2


def test_two_writers_then_one_poll_leave_nothing_invisible(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    """The Perspective stuck-rows hazard (spec section 3), 1,000 times: never here."""

    def request(s: object) -> None:  # the documented try-lock pattern, which loses work in Perspective
        if lock.acquire(blocking=False):
            try:
                server.poll()
            finally:
                lock.release()

    lock = threading.Lock()
    server.on_poll_request = request
    expected = 10
    next_key = [10_000]

    def writer(keys: list[list[int]]) -> None:
        for batch in keys:
            server.live_update(
                owner,
                dataset,
                "edges",
                pa.table({"eid": batch, "src": [1] * len(batch), "dst": [2] * len(batch)}),
            )

    for _ in range(1000):
        plans = []
        for _w in range(2):
            batches = []
            for _b in range(2):
                batches.append(list(range(next_key[0], next_key[0] + 4)))
                next_key[0] += 4
            plans.append(batches)
        threads = [threading.Thread(target=writer, args=(plan,)) for plan in plans]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        server.poll()
        expected += 16
        # the published table (read directly: a full copy per trial would dominate the test's time)
        assert server.live.registry._live[dataset].tables["edges"].size == expected
    assert len(edges_by_id(server, owner, dataset)) == expected


def test_direct_mode_reads_your_writes_with_two_threads(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    failures: list[str] = []

    def writer(base: int) -> None:
        for i in range(30):
            key = base + i
            server.live_update(owner, dataset, "edges", pa.table({"eid": [key], "src": [1], "dst": [2]}))
            if key not in edges_by_id(server, owner, dataset):
                failures.append(f"{key} not visible after update() returned")

    threads = [threading.Thread(target=writer, args=(b,)) for b in (1000, 2000)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(edges_by_id(server, owner, dataset)) == 70


def test_subscriber_gets_snapshot_then_ordered_deltas_and_resnapshots(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    rec = Recorder()
    sub = server.subscribe(owner, dataset, rec)
    first = rec.messages[0]
    assert first.type == "snapshot" and first.base is None
    assert first.rows("edges").num_rows == 10  # type: ignore[union-attr]
    assert first.rows("nodes").num_rows == 5  # type: ignore[union-attr]
    server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [9.0]}))
    delta = rec.messages[-1]
    assert delta.type == "delta" and delta.base == first.version and delta.version == first.version + 1
    assert delta.rows("edges").num_rows == 1  # type: ignore[union-attr]  # O(change), all columns
    assert delta.rows("edges").column_names == ["eid", "src", "dst", "w", "label"]  # type: ignore[union-attr]
    sub.snapshot()  # a subscriber that saw a gap asks again
    assert rec.messages[-1].type == "snapshot" and rec.messages[-1].version == delta.version
    sub.close()
    server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [10.0]}))
    assert len(rec.messages) == 3


def test_revoked_subscriber_is_closed_on_next_publish(server: graphport.Server, owner: Principal) -> None:
    bob = server.create_user("bob", "correct horse battery staple")
    dataset = make_dataset(server, owner)
    server.datasets.share(owner, dataset, {"mode": "public"})
    closed: list[str] = []
    rec = Recorder()
    server.subscribe(bob, dataset, rec, on_close=closed.append)
    server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [2.0]}))
    assert len(rec.messages) == 2
    server.datasets.share(owner, dataset, {"mode": "private"})
    server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [3.0]}))
    assert closed == ["revoked"] and len(rec.messages) == 2


def test_stored_tables_follow_live_changes(
    server: graphport.Server, owner: Principal, dataset: str, http: Any
) -> None:
    server.live_update(owner, dataset, "edges", pa.table({"eid": [0], "w": [-1.0]}))
    server.live_remove(owner, dataset, "edges", [9])
    headers = {"Authorization": f"Bearer {server.token_for('owner')}"}
    edges = pa.ipc.open_file(
        http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content
    ).read_all()
    rows = {r["eid"]: r for r in edges.to_pylist()}
    assert len(rows) == 9 and rows[0]["w"] == -1.0
    nodes = pa.ipc.open_file(
        http.get(f"/api/v2/datasets/{dataset}/nodes.arrow", headers=headers).content
    ).read_all()
    assert {"id", "x", "y"} <= set(nodes.column_names)
    info = http.get(f"/api/v2/datasets/{dataset}", headers=headers).json()
    assert info["rows"]["edges"] == 9


def test_state_survives_a_restart(tmp_path: Any) -> None:
    config = graphport.ServerConfig(data=tmp_path / "d", secret="s" * 40)
    with graphport.Server(config=config) as s1:
        who = s1.create_user("owner", "correct horse battery staple")
        dataset = make_dataset(s1, who)
        s1.live_update(who, dataset, "edges", pa.table({"eid": [77], "src": [1], "dst": [3]}))
    with graphport.Server(config=config) as s2:
        who = s2.accounts.authenticate(s2.token_for("owner"))
        assert 77 in edges_by_id(s2, who, dataset)


def test_deleted_dataset_closes_subscribers(server: graphport.Server, owner: Principal, dataset: str) -> None:
    closed: list[str] = []
    server.subscribe(owner, dataset, lambda m: None, on_close=closed.append)
    server.datasets.delete(owner, dataset)
    assert closed == ["deleted"]


def test_node_updates_keep_positions_and_place_new_nodes(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    _, before = server.live_tables(owner, dataset)
    x0 = {r["id"]: r["x"] for r in before.to_pylist()}
    server.live_update(owner, dataset, "nodes", pa.table({"id": [1, 42], "color": ["red", "green"]}))
    _, after = server.live_tables(owner, dataset)
    rows = {r["id"]: r for r in after.to_pylist()}
    assert rows[1]["x"] == x0[1] and rows[1]["color"] == "red"
    assert rows[42]["x"] is not None and rows[42]["y"] is not None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("sparse", [False, True])
def test_live_table_matches_a_plain_model(seed: int, sparse: bool) -> None:
    """Random upserts (partial rows, duplicates, new keys), removes and clears against a dict model."""
    import random

    from graphport.server._live_table import LiveTable

    rng = random.Random(seed)
    scale = 10**9 if sparse else 1

    def key() -> int:
        return rng.randrange(60) * scale

    model: dict[int, dict[str, Any]] = {}
    table = LiveTable(
        "edges",
        "k",
        pa.table(
            {"k": pa.array([], pa.int64()), "a": pa.array([], pa.float64()), "s": pa.array([], pa.string())}
        ),
    )
    for step in range(300):
        action = rng.random()
        if action < 0.6:
            keys = [key() for _ in range(rng.randrange(1, 12))]
            cols: dict[str, Any] = {"k": keys}
            if rng.random() < 0.7:
                cols["a"] = [rng.random() if rng.random() < 0.9 else None for _ in keys]
            if rng.random() < 0.7:
                cols["s"] = [f"v{step}-{i}" for i in range(len(keys))]
            batch = pa.table(cols)
            table.upsert(table.prepare_columns(batch, table.types), table.keys_for(batch))
            for i, k in enumerate(keys):
                row = model.setdefault(k, {"k": k, "a": None, "s": None})
                row.update({c: v[i] for c, v in cols.items()})
        elif action < 0.95:
            keys = [key() for _ in range(rng.randrange(1, 8))]
            table.remove(keys)
            for k in keys:
                model.pop(k, None)
        else:
            table.clear()
            model.clear()
        got = {r["k"]: r for r in table.to_arrow().to_pylist()}
        assert got == model, f"step {step}"
        assert sorted(table.rows_for(list(model)).column("k").to_pylist()) == sorted(model)


def test_executor_callback_never_loses_a_wakeup(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    """Perspective lost 11 of ~3,850 notifications with its lock + executor pattern; a callback that
    always leads to a poll() loses none here, with no explicit poll() at the end."""
    from concurrent.futures import ThreadPoolExecutor

    seen: set[int] = set()
    lock = threading.Lock()

    def on_message(message: LiveMessage) -> None:
        rows = message.rows("edges")
        if rows is not None:
            with lock:
                seen.update(rows.column("eid").to_pylist())

    with ThreadPoolExecutor(1) as pool:
        server.on_poll_request = lambda s: pool.submit(s.poll)
        server.subscribe(owner, dataset, on_message)
        for i in range(500):
            server.live_update(owner, dataset, "edges", pa.table({"eid": [5000 + i], "src": [1], "dst": [2]}))
    assert set(range(5000, 5500)) <= seen
    assert server.live.pending() == 0


def test_an_upload_wins_over_unflushed_live_state(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    closed: list[str] = []
    server.subscribe(owner, dataset, lambda m: None, on_close=closed.append)
    server.live_update(owner, dataset, "edges", pa.table({"eid": [500], "src": [1], "dst": [2]}))
    uploaded = pa.table({"eid": [7, 8], "src": [1, 2], "dst": [2, 3]})
    server.upload_table(owner, dataset, "edges", to_ipc_file(uploaded).to_pybytes())
    assert closed == ["replaced"]
    assert set(edges_by_id(server, owner, dataset)) == {7, 8}  # reloaded from the upload


def test_flush_never_overwrites_a_newer_stored_version(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    import sqlalchemy as sa

    from graphport.storage._models import datasets

    server.live_update(owner, dataset, "edges", pa.table({"eid": [600], "src": [1], "dst": [2]}))
    with server.db.write() as c:  # another writer (an upload, another process) got there first
        c.execute(datasets.update().where(datasets.c.id == dataset).values(content_version=1000))
    server.live.flush(dataset)
    with server.db.read() as c:
        assert (
            c.execute(sa.select(datasets.c.content_version).where(datasets.c.id == dataset)).scalar() == 1000
        )
    assert dataset not in server.live.registry._live  # dropped: the next access reloads from storage


def test_big_batches_use_the_pool_of_the_moment(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    """set_num_cpus() replaces the CPU pool; live writes keep working on the new one."""
    before = graphport.get_num_cpus()
    try:
        server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [1.0]}))  # loaded
        graphport.set_num_cpus(1 if before != 1 else 2)
        n = 20_000  # well over 64 KiB of Arrow: decoded on the pool
        body = to_ipc_file(pa.table({"eid": list(range(n)), "src": [1] * n, "dst": [2] * n}))
        assert server.live_update(owner, dataset, "edges", body.to_pybytes()) == n
    finally:
        graphport.set_num_cpus(before)
    assert len(edges_by_id(server, owner, dataset)) == n


def test_flushes_never_delete_a_blob_the_dataset_still_names(server: graphport.Server, alice: str) -> None:
    """Found by Schemathesis (issue #17): with an uploaded nodes table, the first flush left the row
    naming the old nodes blob and the second deleted it; the next upload answered 500."""
    me = server.accounts.require_user(alice)
    spec = {
        "name": "t",
        "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
        "node_encodings": {"bindings": {"node": "id"}},
    }
    ds = server.create_dataset(me, spec)
    server.upload_table(me, ds, "edges", to_ipc_file(pa.table({"s": ["a"], "d": ["b"]})))
    server.upload_table(me, ds, "nodes", to_ipc_file(pa.table({"id": ["a", "b"], "kind": [1, 2]})))
    for i in range(3):
        server.live.update(me, ds, "edges", pa.table({"s": [f"x{i}"], "d": ["y"]}))
        server.live.flush(ds)
        described = server.datasets.describe(me, ds)
        assert server.datasets.read_table(me, ds, "nodes").num_rows >= 2, described
    named = set()
    with server.db.read() as c:
        import sqlalchemy as sa

        from graphport.storage._models import datasets

        row = c.execute(sa.select(datasets).where(datasets.c.id == ds)).one()
        named = {row.edges_key, row.nodes_key, row.graph_key} - {None}
    assert named <= set(server.blobs.keys())
    server.upload_table(me, ds, "edges", to_ipc_file(pa.table({"s": ["a"], "d": ["b"]})))


@pytest.mark.parametrize("ids", ["int", "string", "int32 with a null endpoint"])
def test_new_endpoints_become_nodes_once_in_order_of_first_appearance(
    server: graphport.Server, owner: Principal, ids: str
) -> None:
    """Integer ids of the node id type take a numpy path (#16), other ids Arrow's: the same nodes,
    each once, in the same order (sources first, then destinations)."""
    cast = str if ids == "string" else int
    edges = pa.table({"eid": [0], "src": [cast(0)], "dst": [cast(1)]})
    dataset = server.plot(owner, EDGE_SPEC, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})
    src, dst = [7, 3, 7, 1], [5, 3, 9, 0]
    batch = {"eid": [1, 2, 3, 4], "src": [cast(v) for v in src], "dst": [cast(v) for v in dst]}
    if ids.startswith("int32"):
        batch = {
            "eid": [1, 2, 3, 4, 5],
            "src": pa.array([*src, 11], pa.int32()),
            "dst": pa.array([*dst, None], pa.int32()),
        }
    server.live_update(owner, dataset, "edges", pa.table(batch))
    _, nodes = server.live_tables(owner, dataset)
    expected = [0, 1, 7, 3, 11, 5, 9] if ids.startswith("int32") else [0, 1, 7, 3, 5, 9]
    assert nodes.column("id").to_pylist() == [cast(v) for v in expected]
    assert nodes.column("x").null_count == 0


def _s1(eids: list[int], w: float) -> pa.Table:
    return pa.table(
        {"eid": eids, "src": [e % 4 for e in eids], "dst": [e % 6 + 20 for e in eids], "w": [w] * len(eids)}
    )


#: Two rounds of writes: upserts of one schema (merged) interleaved with partial upserts, removes,
#: node upserts, duplicates across and within writes, and a replace followed by upserts.
MIXED_ROUNDS: list[list[tuple[str, str, Any]]] = [
    [
        ("update", "edges", _s1([3, 100], 1.0)),
        ("update", "nodes", pa.table({"id": [1], "color": ["red"]})),
        ("update", "edges", _s1([100, 101, 3], 2.0)),
        ("update", "edges", pa.table({"eid": [5, 101], "label": ["five", None]})),
        ("update", "edges", _s1([101, 7], 3.0)),
        ("remove", "edges", [7, 2]),
        ("update", "edges", _s1([7, 200], 4.0)),
        ("update", "nodes", pa.table({"id": [2, 1], "color": ["blue", "green"]})),
        ("update", "edges", _s1([200, 201, 200], 5.0)),
    ],
    [
        ("update", "edges", _s1([300], 6.0)),
        ("replace", "edges", _s1([9, 10], 7.0)),
        ("update", "edges", _s1([10, 11], 8.0)),
        ("update", "nodes", pa.table({"id": [25], "color": ["new"]})),
        ("update", "edges", _s1([12, 9], 9.0)),
        ("remove", "nodes", [25]),
        ("update", "edges", pa.table({"eid": [11], "label": ["eleven"]})),
    ],
]


def _write(server: graphport.Server, who: Principal, dataset: str, op: str, kind: str, data: Any) -> None:
    if op == "remove":
        server.live_remove(who, dataset, kind, data)
    elif op == "replace":
        server.live_replace(who, dataset, kind, data)
    else:
        server.live_update(who, dataset, kind, data)


def test_one_poll_of_mixed_writes_leaves_the_tables_of_one_write_at_a_time(
    server: graphport.Server, owner: Principal
) -> None:
    """A poll merges each table's upserts of one schema into one (#16): the same rows, in the same
    order, as a poll applying the same writes one by one, and one delta per poll that a viewer
    applies to the same table. The edges also read as with no ``on_poll_request`` at all (nodes
    differ there: a poll adds new endpoints as nodes after all its writes)."""
    merged, one_by_one, direct = (make_dataset(server, owner) for _ in range(3))
    rec = Recorder()
    server.subscribe(owner, merged, rec)
    for writes in MIXED_ROUNDS:
        server.on_poll_request = None
        for op, kind, data in writes:
            _write(server, owner, direct, op, kind, data)
        server.on_poll_request = lambda s: None
        for op, kind, data in writes:
            _write(server, owner, one_by_one, op, kind, data)
        server.live.merge_writes = False
        server.poll()
        server.live.merge_writes = True
        before = len(rec.messages)
        for op, kind, data in writes:
            _write(server, owner, merged, op, kind, data)
        assert len(rec.messages) == before  # nothing published before the poll
        server.poll()
        assert len(rec.messages) == before + 1
        edges, nodes = server.live_tables(owner, merged)
        want_edges, want_nodes = server.live_tables(owner, one_by_one)
        assert edges.to_pylist() == want_edges.to_pylist()
        assert nodes.drop_columns(["x", "y"]).to_pylist() == want_nodes.drop_columns(["x", "y"]).to_pylist()
        assert nodes.column("x").null_count == nodes.column("y").null_count == 0
        assert edges.to_pylist() == server.live_tables(owner, direct)[0].to_pylist()
        assert rec.edges == {row["eid"]: row for row in edges.to_pylist()}
    assert server.live.pending() == 0


def test_merge_upserts_groups_each_tables_upserts_of_one_schema() -> None:
    from graphport.server._live_writes import LiveOp, merge_upserts

    def op(
        kind: str, name: str, table: pa.Table | None = None, keys: list[Any] | None = None, lsn: int = 0
    ) -> LiveOp:
        return LiveOp(
            "d",
            kind,
            name,
            table,
            keys if keys is not None or table is None else table.column(0).to_pylist(),
            lsn,
        )  # type: ignore[arg-type]

    other = pa.table({"eid": [5], "label": ["x"]})
    ops = [
        op("edges", "upsert", _s1([1, 2], 1.0), lsn=1),
        op("nodes", "upsert", pa.table({"id": [1]}), lsn=2),
        op("edges", "upsert", _s1([2, 3], 2.0), lsn=3),
        op("edges", "upsert", other, lsn=4),  # another schema: ends the group
        op("edges", "upsert", _s1([4], 3.0), lsn=5),
        op("nodes", "upsert", pa.table({"id": [2]}), lsn=6),
        op("edges", "remove", keys=[4], lsn=7),
        op("edges", "replace", _s1([8], 4.0), lsn=8),
        op("edges", "upsert", _s1([8, 9], 5.0), lsn=9),
        op("edges", "upsert", _s1([10], 6.0), keys=[10, 11], lsn=10),  # keys not matching rows
        op("edges", "clear", lsn=11),
    ]
    merged = merge_upserts(ops)
    assert [(m.kind, m.name, m.lsn, len(m.parts or [])) for m in merged] == [
        ("edges", "upsert", 3, 2),
        ("nodes", "upsert", 6, 2),
        ("edges", "upsert", 4, 0),
        ("edges", "upsert", 5, 0),
        ("edges", "remove", 7, 0),
        ("edges", "replace", 9, 2),
        ("edges", "upsert", 10, 0),
        ("edges", "clear", 11, 0),
    ]
    first = merged[0]
    assert first.keys == [1, 2, 3]  # first appearance order; key 2 keeps its last row
    assert first.table is not None and first.table.column("w").to_pylist() == [1.0, 2.0, 2.0]
    assert merged[5].keys == [8, 9] and merged[5].table.column("w").to_pylist() == [5.0, 5.0]  # type: ignore[union-attr]
    assert merge_upserts(ops[:1])[0] is ops[0]  # nothing to merge: the write itself


def test_a_failing_merged_upsert_applies_its_writes_one_by_one(
    server: graphport.Server, owner: Principal, dataset: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A write that fails when applied (never queued by the hub, which checks writes first) fails
    alone: the merged upsert is retried write by write, and the others still apply."""
    from graphport.server._live_writes import LiveOp

    ds = server.live.registry.get(owner, dataset)
    good1, good2 = _s1([1, 50], 1.0), _s1([51], 2.0)
    bad = LiveOp(dataset, "edges", "upsert", _s1([52], 3.0), [52])
    bad.table = pa.table({"eid": [52], "src": [0], "dst": [1], "w": [3.0]}).drop_columns(
        ["eid"]
    )  # no id column
    merged = LiveOp(
        dataset,
        "edges",
        "upsert",
        pa.concat_tables([good1, good2]).drop_columns(["eid"]),  # a merged batch that cannot apply
        [1, 50, 51],
        parts=[
            LiveOp(dataset, "edges", "upsert", good1, [1, 50]),
            bad,
            LiveOp(dataset, "edges", "upsert", good2, [51]),
        ],
    )
    with ds.lock:
        changes = ds.apply([merged])
    assert "applying them one by one" in caplog.text and "skipped" in caplog.text
    assert sorted(changes["edges"].changed_keys()) == [1, 50, 51]
    assert 52 not in ds.tables["edges"].index
    assert ds.tables["edges"].rows_for([1, 50, 51]).column("w").to_pylist() == [1.0, 1.0, 2.0]


def test_merge_upserts_leaves_big_batches_alone() -> None:
    """Big upserts are vectorised already; merging them would only add a pass over their keys."""
    from graphport.server._live_writes import MERGE_ROWS, LiveOp, merge_upserts

    def op(start: int, n: int) -> LiveOp:
        table = _s1(list(range(start, start + n)), 1.0)
        return LiveOp("d", "edges", "upsert", table, table.column("eid").to_pylist())

    half = MERGE_ROWS // 2
    merged = merge_upserts([op(0, half), op(10**6, half), op(2 * 10**6, half)])
    assert [m.table.num_rows for m in merged] == [MERGE_ROWS, half]  # type: ignore[union-attr]
    big = [op(0, half + 1), op(10**6, 10)]
    assert merge_upserts(big) == big


def test_a_delta_holds_the_rows_as_they_now_read_whether_sent_as_written_or_gathered(
    server: graphport.Server, owner: Principal, dataset: str
) -> None:
    """A poll whose only edge write set every column sends that batch as the delta's rows (#16);
    otherwise the rows are gathered from the table. Either way they read as the table does."""
    messages: list[LiveMessage] = []
    server.subscribe(owner, dataset, messages.append)
    full = {"src": [1, 2], "dst": [2, 3], "label": ["a", None]}
    writes = [
        pa.table({"eid": [3, 100], "w": [None, 2.5], **full}),  # every column: as written
        pa.table({"w": [7.0, 8.0], "eid": pa.array([3, 101], pa.int32()), **full}),  # cast, reordered
        pa.table({"eid": [4], "w": [1.0]}),  # some columns: gathered
        pa.table({"eid": [5, 5], "w": [1.0, 2.0], **{k: v[:1] * 2 for k, v in full.items()}}),  # a key twice
        pa.table(
            {
                "eid": [6],
                "w": [0.5],
                "when": pa.array([10**12], pa.timestamp("ms", "UTC")),
                **{k: v[:1] for k, v in full.items()},
            }
        ),  # a new column, every column sent
    ]
    for batch in writes:
        before = len(messages)
        server.live_update(owner, dataset, "edges", batch)
        assert len(messages) == before + 1
        rows = messages[-1].rows("edges", "upsert")
        assert rows is not None
        edges, _ = server.live_tables(owner, dataset)
        now = {r["eid"]: r for r in edges.to_pylist()}
        sent = rows.to_pylist()
        assert sent == [now[r["eid"]] for r in sent]
        assert rows.column_names == edges.column_names and rows.schema.equals(edges.schema)
