"""Malformed Arrow IPC bodies, built as an attacker builds them (seeded, deterministic).

Each generator takes a ``random.Random`` and returns ``(kind, body)``: ``kind`` names the family of
input (it groups failures in the report), ``body`` is the bytes sent. Families:

* valid tables of odd shapes (the control group, and the base of the mutations);
* truncations, bit flips and overwritten byte runs of valid files and streams (plain, LZ4, ZSTD);
* lying variable-length offsets (``[0, 4 MiB, 4]``, a last offset of ``0x7ffffff0``, negative,
  decreasing), written with the IPC writer, which does not validate;
* dictionary arrays whose indices point outside the dictionary;
* compressed buffers whose declared uncompressed length is huge (GiBs, 2**62, -1), and real
  compression bombs (a few KiB of ZSTD that inflate to hundreds of MiB);
* record batches whose declared row count is huge;
* bodies that are not Arrow at all (empty, JSON, Parquet magic, gzip, random bytes, only the magic).
"""

from __future__ import annotations

import functools
import gzip
import io
import random
import struct
from collections.abc import Callable

import numpy as np
import pyarrow as pa

Body = tuple[str, bytes]
MiB = 1024 * 1024


def ids_table(rng: random.Random, rows: int | None = None, string_ids: bool | None = None) -> pa.Table:
    """A small edges table with ``src``/``dst`` (bound by the fuzz datasets) and a few value columns."""
    n = rng.randint(0, 40) if rows is None else rows
    strings = rng.random() < 0.5 if string_ids is None else string_ids
    src = [rng.randint(0, 30) for _ in range(n)]
    dst = [rng.randint(0, 30) for _ in range(n)]
    cols: dict[str, pa.Array] = {
        "src": pa.array([f"n{v}" for v in src]) if strings else pa.array(src, pa.int64()),
        "dst": pa.array([f"n{v}" for v in dst]) if strings else pa.array(dst, pa.int64()),
        "w": pa.array([rng.random() for _ in range(n)], pa.float64()),
        "label": pa.array([rng.choice(["a", "b", None, "ü", ""]) for _ in range(n)], pa.string()),
    }
    if rng.random() < 0.3:
        cols["cat"] = pa.array([rng.choice(["x", "y"]) for _ in range(n)]).dictionary_encode()
    if rng.random() < 0.2:
        cols["blob"] = pa.array([bytes(rng.randrange(256) for _ in range(3)) for _ in range(n)], pa.binary())
    return pa.table(cols)


def nodes_table(rng: random.Random) -> pa.Table:
    n = rng.randint(0, 40)
    return pa.table(
        {
            "id": pa.array(list(range(n)), pa.int64()),
            "val": pa.array([rng.randint(-5, 5) for _ in range(n)], pa.int64()),
            "name": pa.array([f"node {i}" for i in range(n)], pa.string()),
        }
    )


def write(table: pa.Table, *, fmt: str = "file", compression: str | None = None) -> bytes:
    """Serialize without validation (the writer trusts its input, as an attacker's writer does)."""
    sink = io.BytesIO()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    opener = pa.ipc.new_file if fmt == "file" else pa.ipc.new_stream
    with opener(sink, table.schema, options=options) as writer:
        for batch in table.to_batches():
            writer.write_batch(batch)
    return sink.getvalue()


def _any_format(rng: random.Random) -> dict[str, str | None]:
    return {
        "fmt": rng.choice(["file", "stream"]),
        "compression": rng.choice([None, None, "lz4", "zstd"]),
    }


def valid(rng: random.Random) -> Body:
    table = ids_table(rng) if rng.random() < 0.7 else nodes_table(rng)
    return "valid", write(table, **_any_format(rng))  # type: ignore[arg-type]


def odd_schema(rng: random.Random) -> Body:
    """Tables a client would not send but that are well-formed: wrong id types, no columns, many
    columns, nested and null types, duplicate names."""
    n = rng.randint(0, 20)
    choice = rng.randrange(9)
    if choice == 0:
        table = pa.table({"src": pa.array([0.5] * n), "dst": pa.array([1.5] * n)})
    elif choice == 1:
        table = pa.table({})
    elif choice == 2:
        table = pa.table(
            {f"c{i}": pa.array([i % 100] * n, pa.int8()) for i in range(rng.choice([300, 2000]))}
        )
    elif choice == 3:
        table = pa.table({"src": pa.array([[1, 2]] * n), "dst": pa.array([{"a": 1}] * n)})
    elif choice == 4:
        table = pa.table({"src": pa.nulls(n), "dst": pa.nulls(n)})
    elif choice == 5:
        table = pa.Table.from_arrays([pa.array([1] * n), pa.array([2] * n)], names=["src", "src"])
    elif choice == 6:
        table = pa.table({"src": pa.array([True] * n), "dst": pa.array([False] * n)})
    elif choice == 7:
        ts = pa.array(np.arange(n, dtype=np.int64).astype("datetime64[us]"))
        table = pa.table({"src": ts, "dst": ts, "d": pa.array([b"x"] * n, pa.large_binary())})
    else:
        table = pa.table({"src": pa.array(["a"] * n, pa.large_string()), "dst": pa.array([7] * n)})
    return "odd-schema", write(table, **_any_format(rng))  # type: ignore[arg-type]


def truncated(rng: random.Random) -> Body:
    _, body = valid(rng)
    return "truncated", body[: rng.randrange(max(1, len(body)))]


def bit_flipped(rng: random.Random) -> Body:
    _, body = valid(rng)
    data = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        pos = rng.randrange(len(data))
        data[pos] ^= 1 << rng.randrange(8)
    return "bit-flip", bytes(data)


def overwritten(rng: random.Random) -> Body:
    _, body = valid(rng)
    data = bytearray(body)
    pos = rng.randrange(len(data))
    run = rng.randint(1, 16)
    filler = rng.choice([b"\xff", b"\x00", b"\x7f", bytes([rng.randrange(256)])])
    data[pos : pos + run] = filler * run
    return "overwrite", bytes(data[: len(body)])


def _lying_strings(offsets: list[int], large: bool = False) -> tuple[pa.Array, bytes, bytes]:
    """A string column to serialize, and the (original, lying) bytes of its offsets buffer.

    ``pa.Array.from_buffers`` refuses the worst lies itself, so the column is built honestly
    (row 1 null, other rows of distinctive lengths) and its offsets are patched in the serialized
    bytes, as an attacker's own writer would emit them."""
    n = len(offsets) - 1
    values = [None if i == 1 else "q" * (997 + 13 * i) for i in range(n)]
    typ = pa.large_string() if large else pa.string()
    column = pa.array(values, typ)
    width = "<q" if large else "<i"
    honest = np.frombuffer(column.buffers()[1], dtype=np.int64 if large else np.int32)[: n + 1]
    before = b"".join(struct.pack(width, int(o)) for o in honest)
    after = b"".join(struct.pack(width, o) for o in offsets)
    return column, before, after


def lying_offsets(rng: random.Random) -> Body:
    """A string/binary column whose offsets point outside its data buffer (issue #10 F1, F2)."""
    choice = rng.randrange(6)
    lies = [
        [0, 4 * MiB, 4],  # F1: row 0 reads 4 MiB of heap
        [0, 1, 2, 0x7FFFFFF0],  # F2: the graph build segfaulted on this
        [0, -100, 2],
        [5, 3, 1],
        [0, 2**40, 4],
        [0, 2, 4, 1 << 20],
    ][choice]
    column, before, after = _lying_strings(lies, large=choice == 4)
    n = len(column)
    where = rng.choice(["src", "label", "id"])
    if where == "src":
        table = pa.table({"src": column, "dst": pa.array([f"n{i}" for i in range(n)])})
    elif where == "label":
        ids = pa.array(list(range(n)), pa.int64())
        table = pa.table({"src": ids, "dst": ids, "id": ids, "label": column})
    else:
        table = pa.table({"id": column, "val": pa.array(list(range(n)), pa.int64())})
    fmt = rng.choice(["file", "stream"])
    body = write(table, fmt=fmt)
    assert before in body, "the honest offsets must appear in the serialized column"
    return "lying-offsets", body.replace(before, after)


def bad_dictionary(rng: random.Random) -> Body:
    """Dictionary indices outside the dictionary (the reader does not check them either)."""
    indices = pa.array([0, rng.choice([5, 127, -1, 100_000 % 128])], pa.int8())
    dictionary = pa.array(["a", "b"])
    column = pa.DictionaryArray.from_buffers(
        pa.dictionary(pa.int8(), pa.string()), 2, indices.buffers(), dictionary
    )
    ids = pa.array([0, 1], pa.int64())
    table = pa.table({"src": ids, "dst": ids, "id": ids, "cat": column})
    return "bad-dictionary", write(table, fmt=rng.choice(["file", "stream"]))


def _compressed(rows: int, codec: str) -> tuple[bytes, int]:
    """A compressed stream of one int64 column of ``rows`` values; and its data buffer's length."""
    values = pa.array(np.arange(rows, dtype=np.int64))
    table = pa.table({"src": values, "dst": values, "id": values})
    return write(table, fmt="stream", compression=codec), rows * 8


def huge_declared_length(rng: random.Random) -> Body:
    """Compressed buffers whose 8-byte uncompressed-length prefix claims GiBs (or a negative size):
    the reader allocates what the prefix says before it decompresses."""
    rows = rng.choice([1000, 1001, 1003])  # a buffer length unlikely to appear anywhere else
    codec = rng.choice(["lz4", "zstd"])
    body, length = _compressed(rows, codec)
    claim = rng.choice([2**31, 3 * 2**30, 2**34, 2**40, 2**62, -1, -(2**40)])
    needle = struct.pack("<q", length)
    data = bytearray(body)
    pos = data.find(needle)
    while pos >= 0:
        data[pos : pos + 8] = struct.pack("<q", claim)
        pos = data.find(needle, pos + 8)
    return f"huge-declared-{codec}", bytes(data)


@functools.lru_cache(maxsize=4)
def _bomb(codec: str, mib: int) -> bytes:
    """A real bomb: ``mib`` MiB of zeros per column, three columns, compressed to a few KiB."""
    rows = mib * MiB // 8
    zeros = pa.array(np.zeros(rows, dtype=np.int64))
    table = pa.table({"src": zeros, "dst": zeros, "id": zeros})
    body = write(table, fmt="stream", compression=codec)
    del zeros, table
    return body


def compression_bomb(rng: random.Random) -> Body:
    codec = rng.choice(["zstd", "lz4"])
    return f"bomb-{codec}", _bomb(codec, 256 if codec == "zstd" else 64)


def huge_row_count(rng: random.Random) -> Body:
    """A record batch that declares 2**40 rows over tiny buffers (patched ``length`` field)."""
    table = pa.table({"src": pa.array([7, 8, 9, 10, 11, 12, 13], pa.int64())})
    data = bytearray(write(table, fmt=rng.choice(["file", "stream"])))
    needle = struct.pack("<q", 7)
    pos = data.find(needle)
    if pos >= 0:
        data[pos : pos + 8] = struct.pack("<q", rng.choice([2**40, 2**31 + 1, -7]))
    return "huge-row-count", bytes(data)


def not_arrow(rng: random.Random) -> Body:
    choice = rng.randrange(8)
    bodies = [
        b"",
        b'{"src": [1], "dst": [2]}',
        b"PAR1" + bytes(rng.randrange(256) for _ in range(64)) + b"PAR1",
        gzip.compress(b"x" * 1000),
        bytes(rng.randrange(256) for _ in range(rng.randint(1, 2048))),
        b"ARROW1\x00\x00",
        b"ARROW1\x00\x00" + b"\xff\xff\xff\xff" + struct.pack("<i", 2**31 - 1),
        b"\xff\xff\xff\xff" + struct.pack("<i", -8) + b"\x00" * 8,
    ]
    return "not-arrow", bodies[choice]


MUTATORS: list[tuple[Callable[[random.Random], Body], int]] = [
    (valid, 6),
    (odd_schema, 6),
    (truncated, 14),
    (bit_flipped, 20),
    (overwritten, 10),
    (lying_offsets, 12),
    (bad_dictionary, 5),
    (huge_declared_length, 10),
    (huge_row_count, 5),
    (not_arrow, 8),
]


def arrow_body(rng: random.Random) -> Body:
    """One malformed (or occasionally valid) Arrow body. Real compression bombs are not in this
    mixture (each costs the server real CPU); the fuzz suite sends a fixed few per route."""
    choices = MUTATORS
    total = sum(w for _f, w in choices)
    pick = rng.uniform(0, total)
    for fn, weight in choices:
        pick -= weight
        if pick <= 0:
            return fn(rng)
    return choices[-1][0](rng)
