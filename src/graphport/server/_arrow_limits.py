"""What an Arrow IPC body will cost, read from its metadata before pyarrow allocates anything.

pyarrow trusts the lengths an IPC body declares. For a compressed body (LZ4_FRAME or ZSTD buffer
compression) every buffer starts with its uncompressed length as an int64, and pyarrow allocates
that much before it decompresses: a 66 KB upload declaring (or really inflating to) gigabytes grew
the server by 2 GiB (issue #10 F3a), and a declared length past what malloc can give answered 500
(issue #17). So before pyarrow reads a record batch, :func:`check_ipc` walks every message of the
body the way pyarrow will (stream: the messages in order; file: the blocks its footer lists),
parses the ``RecordBatch`` flatbuffer by hand (only the fields it needs: length, buffers,
compression), reads the 8-byte prefix of each compressed buffer, and refuses the body when the sum
is over the limit of :class:`ArrowLimits`. Nothing of the body is copied or decompressed here.

The flatbuffer layout read here is Arrow's ``format/Message.fbs`` and ``format/File.fbs``.
"""

from __future__ import annotations

import dataclasses
import struct

import pyarrow as pa

from ..errors import PayloadTooLarge, ValidationError
from ._config import ServerConfig

ARROW_FILE_MAGIC = b"ARROW1"
#: Below this many decompressed bytes the ratio is not checked: small tables with constant columns
#: compress far better than 100:1 and cost nothing worth refusing.
RATIO_FLOOR = 64 * 1024**2
#: A record batch may declare at most this many rows, or 8 per byte of its (decompressed) body,
#: whichever is more. Real columns need at least one bit per row; a batch of only null-typed
#: columns would otherwise declare 2**62 rows for free, and server code that materialises rows
#: (live tables, numpy conversions) would pay for each.
ROWS_FLOOR = 65536

_MESSAGE_HEADER_SCHEMA = 1
_MESSAGE_HEADER_DICTIONARY = 2
_MESSAGE_HEADER_RECORD_BATCH = 3


@dataclasses.dataclass(frozen=True)
class ArrowLimits:
    """How much one Arrow body may make the server allocate (``ServerConfig`` fields of the same
    names). The defaults are ``ServerConfig``'s.

    ``max_decompressed_bytes``: the most that decompressing one body (and decoding its
    dictionary-encoded columns) may allocate. ``max_decompression_ratio``: above
    :data:`RATIO_FLOOR`, decompressed bytes may be at most this many times the body's size.
    """

    max_decompressed_bytes: int = 2 * 1024**3
    max_decompression_ratio: int = 100

    @classmethod
    def of(cls, config: ServerConfig) -> ArrowLimits:
        """The limits a server's configuration sets."""
        return cls(config.max_decompressed_bytes, config.max_decompression_ratio)

    def allowed(self, body_size: int) -> int:
        """The decompressed bytes a body of ``body_size`` bytes may declare."""
        by_ratio = max(RATIO_FLOOR, self.max_decompression_ratio * body_size)
        return min(self.max_decompressed_bytes, by_ratio)

    def too_large(self, what: str, declared: int, body_size: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"The {what} body ({body_size} bytes) declares {declared} bytes once decompressed or "
            f"decoded, over this server's limit of {self.allowed(body_size)} bytes for a body that "
            f"size (max_decompressed_bytes={self.max_decompressed_bytes}, "
            f"max_decompression_ratio={self.max_decompression_ratio}). Send the table uncompressed, "
            "or split it; the server's operator can raise these settings.",
            code="arrow_too_large",
        )


def _invalid(what: str, detail: str) -> ValidationError:
    return ValidationError(
        f"The {what} body is not a readable Arrow IPC file or stream ({detail}); it may be "
        "truncated, corrupted or in another format. Send the table written with "
        "pyarrow.ipc.new_file or new_stream.",
        code="invalid_arrow",
    )


class _Flatbuffer:
    """Bounds-checked reads of one flatbuffer (every out-of-range offset is a ValidationError)."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.what = what

    def _unpack(self, fmt: str, at: int) -> int:
        size = struct.calcsize(fmt)
        if at < 0 or at + size > len(self.data):
            raise _invalid(self.what, "a metadata offset points outside the message")
        return int(struct.unpack_from(fmt, self.data, at)[0])

    def root(self) -> int:
        return self._unpack("<I", 0)

    def _field(self, table: int, index: int) -> int:
        """The position of field ``index`` of the table at ``table``, or 0 when absent."""
        vtable = table - self._unpack("<i", table)
        vtable_size = self._unpack("<H", vtable)
        slot = 4 + 2 * index
        if slot + 2 > vtable_size:
            return 0
        offset = self._unpack("<H", vtable + slot)
        return table + offset if offset else 0

    def scalar(self, table: int, index: int, fmt: str, default: int = 0) -> int:
        at = self._field(table, index)
        return self._unpack(fmt, at) if at else default

    def ref(self, table: int, index: int) -> int:
        """The position a table, vector or string field points at, or 0 when absent."""
        at = self._field(table, index)
        return at + self._unpack("<I", at) if at else 0

    def structs(self, vector: int, size: int, fmt: str) -> list[tuple[int, ...]]:
        if not vector:
            return []
        count = self._unpack("<I", vector)
        start = vector + 4
        if count * size > len(self.data) - start:
            raise _invalid(self.what, "a metadata vector is longer than its message")
        return [struct.unpack_from(fmt, self.data, start + i * size) for i in range(count)]


@dataclasses.dataclass
class _Cost:
    decompressed: int = 0


def _check_batch(
    fb: _Flatbuffer, batch: int, body: pa.Buffer | None, what: str, cost: _Cost, limits: ArrowLimits
) -> None:
    """Add what one ``RecordBatch`` (or a dictionary's data) will allocate; refuse absurd lengths."""
    length = fb.scalar(batch, 0, "<q")
    buffers = fb.structs(fb.ref(batch, 2), 16, "<qq")
    compression = fb.ref(batch, 3)
    body_size = body.size if body is not None else 0
    if length < 0:
        raise _invalid(what, f"a record batch declares {length} rows")
    for offset, size in buffers:
        if offset < 0 or size < 0 or offset + size > body_size:
            raise _invalid(
                what,
                f"a buffer at offset {offset} of length {size} lies outside its message body "
                f"of {body_size} bytes",
            )
    batch_bytes = body_size
    if compression and body is not None:
        for offset, size in buffers:
            if size == 0:
                continue  # pyarrow passes empty buffers through without a length prefix
            if size < 8:
                raise _invalid(what, "a compressed buffer is shorter than its 8-byte length prefix")
            (declared,) = struct.unpack("<q", body.slice(offset, 8).to_pybytes())
            if declared == -1:
                continue  # stored uncompressed: a slice of the body
            if declared < 0:
                raise _invalid(what, f"a compressed buffer declares {declared} bytes")
            cost.decompressed += declared
            batch_bytes += declared
    if length > max(ROWS_FLOOR, 8 * batch_bytes):
        raise _invalid(
            what,
            f"a record batch declares {length} rows but carries only {batch_bytes} bytes of data",
        )


def _check_message(message: pa.ipc.Message, what: str, cost: _Cost, limits: ArrowLimits) -> None:
    fb = _Flatbuffer(message.metadata.to_pybytes(), what)
    root = fb.root()
    header_type = fb.scalar(root, 1, "<B")
    header = fb.ref(root, 2)
    if header_type == _MESSAGE_HEADER_RECORD_BATCH and header:
        _check_batch(fb, header, message.body, what, cost, limits)
    elif header_type == _MESSAGE_HEADER_DICTIONARY and header:
        data = fb.ref(header, 1)
        if data:
            _check_batch(fb, data, message.body, what, cost, limits)
    elif header_type != _MESSAGE_HEADER_SCHEMA:
        raise _invalid(what, f"it holds a message of type {message.type!r}, not a table")


def _file_blocks(buffer: pa.Buffer, what: str) -> list[int]:
    """The offsets of every dictionary and record batch block an IPC file's footer lists."""
    size = buffer.size
    if size < 18 or buffer.slice(size - 6).to_pybytes() != ARROW_FILE_MAGIC:
        raise _invalid(what, "it starts like an Arrow file but does not end with the file magic")
    (footer_length,) = struct.unpack("<i", buffer.slice(size - 10, 4).to_pybytes())
    if footer_length <= 0 or footer_length > size - 18:
        raise _invalid(what, f"its footer length {footer_length} does not fit the file")
    fb = _Flatbuffer(buffer.slice(size - 10 - footer_length, footer_length).to_pybytes(), what)
    root = fb.root()
    blocks = fb.structs(fb.ref(root, 2), 24, "<qiiq") + fb.structs(fb.ref(root, 3), 24, "<qiiq")
    offsets = []
    for offset, metadata_length, _pad, body_length in blocks:
        if offset < 8 or metadata_length <= 0 or body_length < 0 or offset + metadata_length > size:
            raise _invalid(what, f"its footer lists a block at offset {offset} outside the file")
        offsets.append(offset)
    return offsets


def check_ipc(buffer: pa.Buffer, what: str, limits: ArrowLimits) -> int:
    """Refuse an IPC body whose decompressed size is over ``limits`` (413 ``arrow_too_large``) or
    whose metadata is inconsistent (400 ``invalid_arrow``), before pyarrow allocates for it.
    Returns the bytes decompression will allocate.

    Messages are read zero-copy from ``buffer``; only metadata and 8-byte prefixes are copied."""
    cost = _Cost()
    try:
        if buffer.size >= 6 and buffer.slice(0, 6).to_pybytes() == ARROW_FILE_MAGIC:
            for offset in _file_blocks(buffer, what):
                _check_message(pa.ipc.read_message(buffer.slice(offset)), what, cost, limits)
        else:
            for message in pa.ipc.MessageReader.open_stream(buffer):
                _check_message(message, what, cost, limits)
    except ValidationError:  # PayloadTooLarge included
        raise
    except (pa.ArrowException, OSError, ValueError, OverflowError, struct.error) as exc:
        raise _invalid(what, str(exc)) from None
    if cost.decompressed > limits.allowed(buffer.size):
        raise limits.too_large(what, cost.decompressed, buffer.size)
    return cost.decompressed
