"""Live datasets from the client: the conversations behind ``Dataset.update/remove/replace/clear``,
``edges()/nodes()`` and ``on_update``.

Writes are one HTTP request each (Arrow IPC stream bodies; removes as JSON). ``on_update`` follows a
dataset by HTTP long polling (``GET .../live/changes?since=V&wait=S``), which works over every
transport, the in-process one of ``Server.new_local_client()`` included: one daemon thread per
followed dataset and client, delivering :class:`LiveUpdate` objects in version order (a client
that fell too far behind gets a snapshot, ``update.snapshot`` is then True).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
import struct
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import quote

import pyarrow as pa

from ..errors import ConfigError, GraphportError, NotFoundError
from ._errors import raise_for_status
from ._frames import to_table
from ._protocol import Call, Flow, FlowRunner

logger = logging.getLogger("graphport.client.live")
T = TypeVar("T")
ARROW_STREAM = "application/vnd.apache.arrow.stream"
# How often a table read asks again while the dataset's layout is pending (each answer comes after
# the server's own wait, 30 s by default): a graph whose layout takes longer raises graph_pending.
PENDING_GRAPH_RETRIES = 40
WAIT = 20.0


def _path(dataset_id: str, rest: str) -> str:
    return f"/api/v2/datasets/{quote(dataset_id, safe='')}/{rest}"


#: Made once: ``new_stream`` without options builds them anew from the environment on every call.
_WRITE_OPTIONS = pa.ipc.IpcWriteOptions()


def _stream(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=_WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue()


@dataclasses.dataclass(frozen=True)
class TableCall(Call):
    """A call whose body (``parts``) is ``table`` written by this client as one Arrow IPC stream,
    without compression. Sent like any call; an in-process server's direct transport reads that
    stream without the size walk a foreign body needs (``_embedded.DirectTransport``, #16)."""

    table: pa.Table | None = None


def write_flow(dataset_id: str, kind: str, method: str, data: Any) -> Flow[int]:
    verb = {"POST": "Updating", "PUT": "Replacing"}[method]
    action = f"{verb} the live {kind} of dataset {dataset_id}"
    table = to_table(data, kind)
    response = yield TableCall(
        method,
        _path(dataset_id, f"live/{kind}"),
        action,
        parts=(_stream(table),),
        headers={"Content-Type": ARROW_STREAM},
        auth=True,
        table=table,
    )
    return int(raise_for_status(response, action)["rows"])


def remove_flow(dataset_id: str, kind: str, keys: Sequence[Any]) -> Flow[int]:
    action = f"Removing {len(keys)} live {kind} of dataset {dataset_id}"
    response = yield Call(
        "POST", _path(dataset_id, f"live/{kind}/remove"), action, json={"keys": list(keys)}, auth=True
    )
    return int(raise_for_status(response, action)["rows"])


def clear_flow(dataset_id: str, kind: str) -> Flow[None]:
    action = f"Clearing the live {kind} of dataset {dataset_id}"
    response = yield Call("DELETE", _path(dataset_id, f"live/{kind}"), action, auth=True)
    raise_for_status(response, action)


def table_flow(dataset_id: str, kind: str) -> Flow[pa.Table]:
    action = f"Reading the {kind} of dataset {dataset_id}"
    response = yield Call("GET", _path(dataset_id, f"{kind}.arrow"), action, auth=True)
    # A layout still running: the server waits for it (up to its graph_wait_seconds, holding no
    # thread) and then answers 503 graph_pending; ask again, the wait paces the loop.
    for _ in range(PENDING_GRAPH_RETRIES):
        if response.status_code != 503:
            break
        response = yield Call("GET", _path(dataset_id, f"{kind}.arrow"), action, auth=True)
    if response.status_code >= 400:
        raise_for_status(response, action)
    return pa.ipc.open_file(pa.py_buffer(response.content)).read_all()


def version_flow(dataset_id: str) -> Flow[int]:
    action = f"Reading the live version of dataset {dataset_id}"
    response = yield Call("GET", _path(dataset_id, "live"), action, auth=True)
    return int(raise_for_status(response, action)["version"])


def changes_flow(dataset_id: str, since: int, wait: float) -> Flow[list[LiveUpdate]]:
    action = f"Waiting for changes of dataset {dataset_id}"
    response = yield Call(
        "GET", _path(dataset_id, f"live/changes?since={since}&wait={wait}"), action, auth=True
    )
    if response.status_code == 204:
        return []
    if response.status_code >= 400:
        raise_for_status(response, action)
    data, updates, offset = response.content, [], 0
    while offset < len(data):
        (n,) = struct.unpack(">I", data[offset : offset + 4])
        updates.append(decode_frame(data[offset + 4 : offset + 4 + n]))
        offset += 4 + n
    return updates


@dataclasses.dataclass(frozen=True)
class LiveUpdate:
    """One published change of a dataset (or a snapshot), as ``on_update`` callbacks get it.

    ``edges``/``nodes`` are the upserted rows as they now read (all columns), ``removed_*`` the ids
    removed, ``reset_*`` whether every row was dropped first (replace, clear). A snapshot holds
    the whole dataset in ``edges``/``nodes`` and has ``snapshot=True`` and ``base=None``.
    """

    dataset_id: str
    version: int
    base: int | None
    snapshot: bool
    edges: pa.Table | None = None
    nodes: pa.Table | None = None
    removed_edges: tuple[Any, ...] = ()
    removed_nodes: tuple[Any, ...] = ()
    reset_edges: bool = False
    reset_nodes: bool = False


def decode_frame(frame: bytes) -> LiveUpdate:
    """A live frame (the server's wire form, also sent over the WebSocket) as a :class:`LiveUpdate`."""
    (n,) = struct.unpack(">I", frame[:4])
    header = json.loads(frame[4 : 4 + n])
    offset = 4 + n
    fields: dict[str, Any] = {}
    for part in header["parts"]:
        length, table, op = part["length"], part["table"], part["op"]
        rows = (
            pa.ipc.open_stream(pa.py_buffer(frame[offset : offset + length])).read_all() if length else None
        )
        offset += length
        if op == "reset":
            fields[f"reset_{table}"] = True
        elif op == "remove" and rows is not None:
            fields[f"removed_{table}"] = tuple(rows.column("key").to_pylist())
        elif op == "upsert":
            fields[table] = rows
    return LiveUpdate(
        header["dataset"], header["version"], header["base"], header["type"] == "snapshot", **fields
    )


class Follower:
    """One thread following one dataset for one client; calls every registered callback in order."""

    _ids = itertools.count(1)

    def __init__(self, client: FlowRunner, dataset_id: str) -> None:
        self._client = weakref.ref(client)
        self.dataset_id = dataset_id
        self._lock = threading.Lock()
        self.callbacks: dict[int, Callable[[LiveUpdate], Any]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.version: int | None = None
        self.ready = threading.Event()

    def add(self, callback: Callable[[LiveUpdate], Any]) -> int:
        callback_id = next(self._ids)
        with self._lock:
            self.callbacks[callback_id] = callback
            if self._thread is None:
                client = self._client()
                if client is None:
                    raise ConfigError("The client of this dataset was closed.")
                # The starting version is read before returning: changes from now on are delivered.
                self.version = _run(client, version_flow(self.dataset_id))
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._loop, name=f"graphport-live-{self.dataset_id}", daemon=True
                )
                self._thread.start()
        return callback_id

    def remove(self, callback_id: int) -> bool:
        with self._lock:
            found = self.callbacks.pop(callback_id, None) is not None
            if not self.callbacks and self._thread is not None:
                self._stop.set()
                self._thread = None
        return found

    def _loop(self) -> None:
        stop = self._stop
        while not stop.is_set():
            client = self._client()
            if client is None or client.is_closed:
                return
            try:
                assert self.version is not None
                updates = _run(client, changes_flow(self.dataset_id, self.version, WAIT))
            except NotFoundError:
                logger.warning("dataset %s is gone; no more updates", self.dataset_id)
                return
            except GraphportError:
                if stop.wait(1.0):
                    return
                continue
            del client
            for update in updates:
                self.version = update.version
                with self._lock:
                    callbacks = list(self.callbacks.values())
                for callback in callbacks:
                    try:
                        callback(update)
                    except Exception:  # a failing callback must not stop the others
                        logger.exception("an on_update callback of dataset %s raised", self.dataset_id)


_followers: weakref.WeakKeyDictionary[Any, dict[str, Follower]] = weakref.WeakKeyDictionary()
_followers_lock = threading.Lock()


def follower(client: Any, dataset_id: str) -> Follower:
    """The follower of ``dataset_id`` for ``client`` (one per pair)."""
    with _followers_lock:
        per_client = _followers.setdefault(client, {})
        found = per_client.get(dataset_id)
        if found is None:
            found = per_client[dataset_id] = Follower(client, dataset_id)
        return found


#: Classes already seen to be FlowRunners: a runtime Protocol isinstance check costs ~20 us.
_runner_classes: set[type] = set()


def sync_client(client: Any, what: str) -> FlowRunner:
    """The dataset's client, if it is a synchronous :class:`Client` (the live methods need one)."""
    if type(client) in _runner_classes:
        return client  # type: ignore[no-any-return]
    if not isinstance(client, FlowRunner):
        raise ConfigError(
            f"Dataset.{what}() needs the synchronous graphport.Client that uploaded it; this dataset "
            "has none (or an AsyncClient). Use graphport.client() to upload it."
        )
    _runner_classes.add(type(client))
    return client


def _run(client: FlowRunner, flow: Flow[T]) -> T:
    return client._run_flow(flow)
