"""Live datasets: the shared vocabulary (kinds, limits) and the wire form of a live message
(the binary frame subscribers receive). See ``_live`` for the semantics."""

from __future__ import annotations

import dataclasses
import json
import logging
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pyarrow as pa

from ..errors import ValidationError
from ._arrow_limits import ArrowLimits
from ._ingest import read_arrow, validate_table

if TYPE_CHECKING:
    pass


logger = logging.getLogger("graphport.live")

Kind = Literal["edges", "nodes"]
KINDS: tuple[Kind, ...] = ("edges", "nodes")
OpName = Literal["upsert", "remove", "replace", "clear"]
ArrowInput: TypeAlias = (
    "bytes | bytearray | memoryview | pa.Buffer | pa.Table | pa.RecordBatch | EncodedTable"
)
#: Arrow IPC bytes as a write carries them (what the live log stores for it).
ArrowBytes: TypeAlias = "bytes | bytearray | memoryview | pa.Buffer"
#: Called with each message for a subscriber; must not block (transports enqueue and return).
SendCallback = Callable[["LiveMessage"], None]
CloseCallback = Callable[[str], None]
FLUSH_DELAY = 1.0
#: Polls re-drain the queue this many times before publishing (writes landing meanwhile ride along).
MAX_DRAINS = 4
#: How long a granted live right is trusted without asking the database again, in seconds. A
#: ``share()`` or delete in this process forgets at once; other revocations (org membership, another
#: process) take effect within this bound. Each check costs ~1-2 ms of database reads, which would
#: otherwise cap single-row writes and per-publish re-checks.
ACCESS_TTL = 0.25
#: Deltas kept per dataset for subscribers that poll for changes (``changes(since=...)``); a
#: subscriber further behind gets a snapshot.
HISTORY = 64
HISTORY_BYTES = 32 * 1024 * 1024  # and at most this much Arrow data per dataset


def check_kind(kind: str) -> Kind:
    if kind not in KINDS:
        raise ValidationError(
            f"The live table is {kind!r}; expected 'edges' or 'nodes'.", code="invalid_live_table"
        )
    return kind  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class EncodedTable:
    """A table and the one Arrow IPC stream it was read from, for a writer in this process that
    wrote that stream itself from an in-memory table: the embedded client (#16,
    ``_embedded.DirectTransport``). The engine takes :attr:`table` as it takes any Table given
    in-process (validated in full, then every check a write gets) and logs :attr:`stream` for it
    when the write needs no cast, instead of encoding the table again.

    Made by :meth:`read_own`, which skips :func:`read_arrow`'s walk over the declared sizes: what
    that walk refuses (sizes past the body, compressed buffers, dictionaries that inflate, rows
    that carry no bytes) cannot be in a stream written without compression from a table with no
    dictionary or null-typed column, and for any other table it returns None (send the bytes)."""

    table: pa.Table
    stream: ArrowBytes

    @classmethod
    def read_own(cls, stream: ArrowBytes, schema: pa.Schema) -> EncodedTable | None:
        """The table of ``stream``, which this process wrote without compression from a table of
        ``schema`` (a private copy of what the writer gave: its buffers point into ``stream``)."""
        if not _plain_types(schema):
            return None
        buffer = stream if isinstance(stream, pa.Buffer) else pa.py_buffer(stream)
        try:
            return cls(pa.ipc.open_stream(buffer).read_all(), stream)
        except (pa.ArrowException, ValueError):
            return None  # not what the writer says: the bytes way says what is wrong


def _plain_types(schema: pa.Schema) -> bool:
    """Every field, at any depth, of a type whose rows each take bytes in the stream: numbers,
    booleans, times, text, binary, and lists, structs and maps of them. Not dictionaries, null,
    run-end encoded, extension or other types (those take the bytes path and its limit walk)."""
    stack = [field.type for field in schema]
    while stack:
        t = stack.pop()
        if isinstance(t, pa.BaseExtensionType) or (t.num_fields == 0 and pa.types.is_struct(t)):
            return False
        if (pa.types.is_fixed_size_list(t) and t.list_size == 0) or (
            pa.types.is_fixed_size_binary(t) and t.byte_width == 0
        ):
            return False  # rows of zero bytes
        if (
            pa.types.is_list(t)
            or pa.types.is_large_list(t)
            or pa.types.is_fixed_size_list(t)
            or pa.types.is_struct(t)
            or pa.types.is_map(t)
        ):
            stack.extend(t.field(i).type for i in range(t.num_fields))
        elif not (
            pa.types.is_integer(t)
            or pa.types.is_floating(t)
            or pa.types.is_boolean(t)
            or pa.types.is_decimal(t)
            or pa.types.is_temporal(t)
            or pa.types.is_string(t)
            or pa.types.is_large_string(t)
            or pa.types.is_binary(t)
            or pa.types.is_large_binary(t)
            or pa.types.is_fixed_size_binary(t)
        ):
            return False
    return True


def as_table(data: ArrowInput, what: str, limits: ArrowLimits | None = None) -> pa.Table:
    """Arrow IPC bytes (file or stream), a pyarrow Table or a RecordBatch, as a fully validated
    Table (bytes through :func:`read_arrow`; tables given in-process are validated too, since a
    table built with ``from_buffers`` can hold offsets that point anywhere)."""
    if isinstance(data, pa.Table):
        validate_table(data, what)
        return data
    if isinstance(data, EncodedTable):
        validate_table(data.table, what)
        return data.table
    if isinstance(data, pa.RecordBatch):
        table = pa.Table.from_batches([data])
        validate_table(table, what)
        return table
    if isinstance(data, (bytes, bytearray, memoryview, pa.Buffer)):
        return read_arrow(data, what, limits=limits)
    raise ValidationError(
        f"A live {what} batch must be Arrow IPC bytes or a pyarrow Table, not {type(data).__name__}.",
        code="invalid_arrow",
    )


# -- messages --------------------------------------------------------------------------------------


@dataclasses.dataclass
class Part:
    """One step of a message: ``reset`` (drop every row), ``remove`` (keys) or ``upsert`` (rows)."""

    table: Kind
    op: Literal["reset", "upsert", "remove"]
    rows: pa.Table | None = None


class LiveMessage:
    """A snapshot (``base`` None) or a delta from version ``base`` to ``version``.

    Apply the parts in order. A delta whose ``base`` is not the version you hold means you missed
    one: ask for a snapshot. :meth:`frame` is the wire form (one binary WebSocket frame)::

        4 bytes   big-endian length N of the JSON header
        N bytes   {"type": "snapshot"|"delta", "dataset", "version", "base", "keys": {...},
                   "parts": [{"table": "edges"|"nodes", "op": "reset"|"upsert"|"remove", "length": L}]}
        L bytes   per part: an Arrow IPC stream (upsert: the rows as they now read, all columns;
                  remove: one column ``key``); nothing for reset
    """

    def __init__(
        self,
        type_: Literal["snapshot", "delta"],
        dataset_id: str,
        version: int,
        base: int | None,
        parts: list[Part],
        keys: dict[str, str | None],
    ) -> None:
        self.type = type_
        self.dataset_id = dataset_id
        self.version = version
        self.base = base
        self.parts = parts
        self.keys = keys
        self._frame: bytes | None = None
        self._nbytes: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        rows = sum(p.rows.num_rows for p in self.parts if p.rows is not None)
        return f"<LiveMessage {self.type} {self.dataset_id} v{self.base}->v{self.version} rows={rows}>"

    @property
    def nbytes(self) -> int:
        """The size of the Arrow data this message holds (counted once: parts do not change)."""
        if self._nbytes is None:
            # Buffer sizes, not Table.nbytes (which walks the buffers for the bytes a slice
            # references: ~10 us per 1-row delta); a message's rows are never slices of more.
            self._nbytes = sum(int(p.rows.get_total_buffer_size()) for p in self.parts if p.rows is not None)
        return self._nbytes

    def rows(self, table: Kind, op: str = "upsert") -> pa.Table | None:
        """The rows of the first part for ``table`` and ``op``, if any."""
        for part in self.parts:
            if part.table == table and part.op == op:
                return part.rows
        return None

    def header(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "dataset": self.dataset_id,
            "version": self.version,
            "base": self.base,
            "keys": self.keys,
        }

    def frame(self) -> bytes:
        """The encoded message (made once, shared by every subscriber)."""
        with self._lock:
            if self._frame is None:
                payloads = [_ipc_stream(p.rows) if p.rows is not None else b"" for p in self.parts]
                header = self.header()
                header["parts"] = [
                    {"table": p.table, "op": p.op, "length": len(b)}
                    for p, b in zip(self.parts, payloads, strict=True)
                ]
                raw = json.dumps(header, separators=(",", ":")).encode()
                self._frame = b"".join([struct.pack(">I", len(raw)), raw, *payloads])
            return self._frame


#: Made once: ``new_stream`` without options builds them anew from the environment on every call.
IPC_WRITE_OPTIONS = pa.ipc.IpcWriteOptions()


def _ipc_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=IPC_WRITE_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]


def decode_frame(frame: bytes) -> tuple[dict[str, Any], list[tuple[str, str, pa.Table | None]]]:
    """The header and ``(table, op, rows)`` parts of a :meth:`LiveMessage.frame` (tests, tools)."""
    (n,) = struct.unpack(">I", frame[:4])
    header = json.loads(frame[4 : 4 + n])
    offset = 4 + n
    parts = []
    for part in header["parts"]:
        length = part["length"]
        # Frames also arrive from other processes over the bus: read them through the one door.
        rows = read_arrow(frame[offset : offset + length], "live frame") if length else None
        parts.append((part["table"], part["op"], rows))
        offset += length
    return header, parts
