"""The in-process client's direct transport (#16): the HTTP core on the calling thread, with the
same answers as the ASGI app (routes, caller, checks, the one error envelope)."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest

import graphport
from graphport._embedded import DirectTransport


@pytest.fixture
def hub(server: graphport.Server) -> Iterator[graphport.Server]:
    server.create_user("alice", "correct horse battery staple")
    server.create_user("mallory", "correct horse battery staple")
    yield server


def both(server: graphport.Server) -> list[httpx.Client]:
    return [
        httpx.Client(transport=server.local_transport(direct=d), base_url="http://graphport.local")
        for d in (True, False)
    ]


def test_the_local_client_goes_direct(hub: graphport.Server) -> None:
    g = hub.new_local_client("alice")
    assert isinstance(hub.local_transport(direct=True), DirectTransport)
    assert g._transport._transport is hub.local_transport(direct=True)  # type: ignore[attr-defined]
    ds = g.edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid").upload()
    ds.update(edges=pa.table({"eid": [2], "src": ["b"], "dst": ["c"]}))
    assert sorted(ds.edges().column("eid").to_pylist()) == [1, 2]


CASES = [
    ("GET", "/api/v2/datasets/nope/live", {}, 404, None),
    ("POST", "/api/v2/datasets/x/live/edges", {}, 401, "not_authenticated"),
    ("POST", "/api/v2/datasets/x/live/edges", {"Authorization": "Basic abc"}, 401, "invalid_auth_header"),
    ("PATCH", "/api/v2/datasets/x/live/edges", {}, 405, "method_not_allowed"),
    ("GET", "/no/such/route", {}, 404, "route_not_found"),
    ("GET", "/api/v2/datasets/x/live", {"Host": "evil.example"}, 400, None),
]


def test_errors_are_the_same_as_over_the_asgi_app(hub: graphport.Server) -> None:
    clients = both(hub)
    for method, path, headers, status, code in CASES:
        answers = []
        for http in clients:
            response = http.request(method, path, headers=headers)
            body = response.json()
            answers.append((response.status_code, body["code"], response.headers.get("allow")))
            assert response.headers["x-request-id"]
        assert answers[0] == answers[1], (method, path)
        assert answers[0][0] == status, (method, path)
        if code is not None:
            assert answers[0][1] == code


def test_another_user_may_not_write(hub: graphport.Server) -> None:
    ds = (
        hub.new_local_client("alice")
        .edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid")
        .upload()
    )
    token = hub.token_for("mallory")
    body = pa.table({"eid": [5], "src": ["x"], "dst": ["y"]})
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, body.schema) as w:
        w.write_table(body)
    for http in both(hub):
        response = http.post(
            f"/api/v2/datasets/{ds.id}/live/edges",
            content=sink.getvalue().to_pybytes(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/vnd.apache.arrow.stream",
            },
        )
        assert (response.status_code, response.json()["code"]) == (403, "dataset_view_only")
    assert ds.edges().column("eid").to_pylist() == [1]


def test_a_thread_running_an_event_loop_still_gets_answers(hub: graphport.Server) -> None:
    """A notebook cell runs inside the kernel's loop: the request goes to a helper thread."""
    g = hub.new_local_client("alice")
    ds = g.edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid").upload()

    async def cell() -> list[int]:
        ds.update(edges=pa.table({"eid": [7], "src": ["q"], "dst": ["r"]}))
        return sorted(ds.edges().column("eid").to_pylist())

    assert asyncio.run(cell()) == [1, 7]


def test_a_large_streamed_body_and_many_threads(hub: graphport.Server) -> None:
    g = hub.new_local_client("alice")
    n = 400_000  # > 4 MiB of Arrow: the client streams it in chunks
    ids = np.arange(n)
    ds = g.edges(
        pa.table({"eid": ids, "src": ids % 1000, "dst": (ids + 1) % 1000}), "src", "dst", edge="eid"
    ).upload()
    ds.update(edges=pa.table({"eid": ids + n, "src": ids % 7, "dst": ids % 5}))
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            ds.update(edges=pa.table({"eid": [3 * n + i], "src": [0], "dst": [1]}))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert ds.edges().num_rows == 2 * n + 16


def test_the_clients_signed_in_calls_raise_the_same_errors_direct_and_over_asgi(
    hub: graphport.Server,
) -> None:
    """new_local_client() sends signed-in calls without building an httpx request
    (DirectTransport.direct_request); a client over the ASGI app gets the same errors."""
    ds = (
        hub.new_local_client("alice")
        .edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid")
        .upload()
    )
    direct = hub.new_local_client("mallory")
    over_asgi = graphport.client(transport=hub.local_transport())
    over_asgi.register(
        api=3, protocol="http", server="graphport.local", token=hub.token_for("mallory"), verify_token=False
    )
    seen = []
    for g in (direct, over_asgi):
        mine = dataclasses.replace(ds, client=g)
        with pytest.raises(graphport.GraphportError) as caught:
            mine.update(edges=pa.table({"eid": [2], "src": ["x"], "dst": ["y"]}))
        seen.append((type(caught.value), caught.value.code, caught.value.status))
        with pytest.raises(graphport.GraphportError) as caught:
            mine.remove(edges=[1])
        seen.append((type(caught.value), caught.value.code, caught.value.status))
    assert seen[:2] == seen[2:]
    assert seen[0][1:] == ("dataset_view_only", 403)


def _direct_client(hub: graphport.Server, token: str) -> graphport.Client:
    g = graphport.client(transport=hub.local_transport(direct=True))
    g.register(api=3, protocol="http", server="graphport.local", token=token, verify_token=False)
    return g


@pytest.mark.parametrize("revoke", ["sign_out", "new_password", "disabled"])
def test_a_revoked_token_is_refused_on_the_next_direct_call(hub: graphport.Server, revoke: str) -> None:
    """The direct transport reuses a token's caller for a moment (RecentCallers); a revocation in
    this process still ends it on the very next call, within that moment."""
    token = hub.token_for("alice")
    g = _direct_client(hub, token)
    ds = g.edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid").upload()
    for eid in (2, 3):  # the second call reuses the first one's caller
        ds.update(edges=pa.table({"eid": [eid], "src": ["b"], "dst": ["c"]}))
    if revoke == "sign_out":
        assert hub.revoke_token(token)
    elif revoke == "new_password":
        hub.set_password("alice", "another correct horse battery")
    else:
        hub.set_active("alice", False)
    with pytest.raises(graphport.GraphportError) as caught:
        ds.update(edges=pa.table({"eid": [4], "src": ["c"], "dst": ["d"]}))
    assert (caught.value.status, caught.value.code) == (401, "token_revoked")
    if revoke == "disabled":
        hub.set_active("alice", True)
    # Another token of alice is not affected by a sign-out; after a new password or a
    # re-enable, a new token works. The old one stays refused.
    assert _direct_client(hub, hub.token_for("alice")).edges  # a fresh client signs in fine
    fresh = dataclasses.replace(ds, client=_direct_client(hub, hub.token_for("alice")))
    fresh.update(edges=pa.table({"eid": [5], "src": ["d"], "dst": ["e"]}))
    with pytest.raises(graphport.GraphportError):
        ds.update(edges=pa.table({"eid": [6], "src": ["e"], "dst": ["f"]}))
    assert sorted(fresh.edges().column("eid").to_pylist()) == [1, 2, 3, 5]


def test_an_expired_token_is_refused_though_its_caller_is_recent(hub: graphport.Server) -> None:
    token = hub.token_for("alice")
    ds = (
        _direct_client(hub, token)
        .edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid")
        .upload()
    )
    http = httpx.Client(transport=hub.local_transport(direct=True), base_url="http://graphport.local")
    headers = {"Authorization": f"Bearer {token}"}
    assert http.get(f"/api/v2/datasets/{ds.id}", headers=headers).status_code == 200
    tokens = hub.accounts.tokens
    clock = tokens.clock
    tokens.clock = lambda: clock() + 10 * 365 * 86400.0  # type: ignore[method-assign]
    try:
        response = http.get(f"/api/v2/datasets/{ds.id}", headers=headers)
    finally:
        tokens.clock = clock  # type: ignore[method-assign]
    assert (response.status_code, response.json()["code"]) == (401, "token_expired")


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def test_live_writes_the_transport_hands_to_the_engine_answer_as_the_core_does(hub: graphport.Server) -> None:
    """DirectTransport.direct_request gives a signed-in live write to the engine itself (#16); its
    answers are the ASGI app's, case by case: rows written, refusals, bad bodies, bad tokens."""
    ds = (
        hub.new_local_client("alice")
        .edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid")
        .upload()
    )
    alice, mallory = hub.token_for("alice"), hub.token_for("mallory")
    good = _ipc(pa.table({"eid": [2, 3], "src": ["b", "c"], "dst": ["c", "d"]}))
    cases: list[tuple[str, str, str, list[Any]]] = [
        ("POST", ds.id, f"Bearer {alice}", [good]),
        ("POST", ds.id, f"Bearer {alice}", [good[:10], good[10:]]),  # two parts
        ("PUT", ds.id, f"Bearer {alice}", [pa.py_buffer(good)]),
        ("POST", ds.id, f"Bearer {mallory}", [good]),  # view only: 403
        ("POST", "doesnotexist", f"Bearer {alice}", [good]),  # 404
        ("POST", ds.id, f"Bearer {alice}", [b"not arrow"]),  # 400 invalid_arrow
        ("POST", ds.id, f"Bearer {alice}", [_ipc(pa.table({"src": ["x"]}))]),  # no id column
        ("POST", ds.id, f"Bearer {alice}x", [good]),  # a damaged token: 401
        ("POST", ds.id, "Bearer", [good]),  # a malformed header: the core's 401
    ]
    direct = hub.local_transport(direct=True)
    assert isinstance(direct, DirectTransport)
    over_asgi = both(hub)[1]
    for method, dataset_id, authorization, parts in cases:
        path = f"/api/v2/datasets/{dataset_id}/live/edges"
        headers = {"Authorization": authorization, "Content-Type": "application/vnd.apache.arrow.stream"}
        answers = []
        for send in ("direct", "asgi"):
            if send == "direct":
                response = direct.direct_request(method, "http://graphport.local" + path, headers, parts)
            else:
                response = over_asgi.request(
                    method, path, headers=headers, content=b"".join(map(bytes, parts))
                )
            body = response.json()
            body.pop("request_id", None)
            assert response.headers["x-request-id"]
            answers.append((response.status_code, body))
        assert answers[0] == answers[1], (method, dataset_id, authorization[:12])
    assert sorted(ds.edges().column("eid").to_pylist()) == [2, 3]  # the PUT replaced every row


def _typed_batches(start: int) -> list[pa.Table]:
    """Live edge writes of many column types: plain ones (read by the direct transport from the
    client's own stream) and dictionary, null and nested ones (read the bytes way)."""
    eids = [start, start + 1]
    plain = {"eid": eids, "src": ["a", "b"], "dst": ["b", "c"]}
    return [
        pa.table({**plain, "w": [1.5, None], "when": pa.array([1, 2], pa.timestamp("ms"))}),
        pa.table({**plain, "tags": [["x"], []], "flag": [True, False]}),
        pa.table({**plain, "kind": pa.array(["p", "q"]).dictionary_encode()}),
        pa.table({**plain, "nothing": pa.nulls(2)}),
        pa.table({"eid": [start + 1], "w": pa.array([7], pa.int32())}),  # cast to the column's type
    ]


@pytest.mark.parametrize("polled", [False, True])
def test_live_writes_of_every_column_type_read_the_same_direct_and_over_asgi(
    hub: graphport.Server, polled: bool
) -> None:
    """The local client hands the engine its own Arrow stream of each batch (#16): the tables
    that result are those of the same writes sent over the ASGI app, with or without
    ``on_poll_request``."""
    token = hub.token_for("alice")
    over_asgi = graphport.client(transport=hub.local_transport())
    over_asgi.register(api=3, protocol="http", server="graphport.local", token=token, verify_token=False)
    first = pa.table({"eid": [0], "src": ["a"], "dst": ["b"]})
    datasets = [
        g.edges(first, "src", "dst", edge="eid").upload() for g in (_direct_client(hub, token), over_asgi)
    ]
    if polled:
        hub.on_poll_request = lambda s: None
    for start in (10, 20):
        for batch in _typed_batches(start):
            for ds in datasets:
                ds.update(edges=batch)
    hub.poll()
    direct, asgi = (ds.edges().sort_by("eid") for ds in datasets)
    assert direct.equals(asgi), (direct.schema, asgi.schema)
    assert direct.num_rows == 5 and direct.column("w").to_pylist()[-1] == 7.0
    assert direct.column("kind").to_pylist()[1:3] == ["p", "q"]


def test_a_queued_live_write_keeps_the_values_it_was_given(hub: graphport.Server) -> None:
    """With ``on_poll_request`` a write is applied later; the table it was given may share memory
    with the caller's numpy array (zero-copy), which the caller may change meanwhile. The engine
    holds its own copy (the client's stream), so the poll applies what update() was given."""
    g = hub.new_local_client("alice")
    ds = g.edges(pa.table({"eid": [1], "src": [1], "dst": [2]}), "src", "dst", edge="eid").upload()
    weights = np.array([0.5, 1.5])
    batch = pa.table({"eid": [1, 2], "src": [1, 2], "dst": [2, 3], "w": pa.array(weights)})
    assert batch.column("w").chunk(0).buffers()[1].address == weights.ctypes.data  # shared memory
    hub.on_poll_request = lambda s: None
    ds.update(edges=batch)
    weights[:] = -1.0  # the caller reuses its array before the poll
    hub.poll()
    assert ds.edges().sort_by("eid").column("w").to_pylist() == [0.5, 1.5]


def test_only_the_clients_own_plain_streams_skip_the_size_walk() -> None:
    from graphport.server._live_messages import EncodedTable, _ipc_stream

    def own(table: pa.Table) -> EncodedTable | None:
        return EncodedTable.read_own(_ipc_stream(table), table.schema)

    plain = pa.table(
        {"i": [1], "s": ["x"], "l": [[1.0]], "m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64()))}
    )
    found = own(plain)
    assert found is not None and found.table.equals(plain)
    special = [
        pa.table({"d": pa.array(["x"]).dictionary_encode()}),
        pa.table({"n": pa.nulls(1)}),
        pa.table({"l": pa.array([[None]], pa.list_(pa.null()))}),
        pa.table({"r": pa.RunEndEncodedArray.from_arrays([1], [5])}),
        pa.table({"e": pa.array([{}], pa.struct([]))}),
    ]
    for table in special:
        assert own(table) is None, table.schema
    assert EncodedTable.read_own(b"not arrow", plain.schema) is None
