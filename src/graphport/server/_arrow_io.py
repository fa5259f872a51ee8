"""Arrow bytes in and out: the one door for uploaded bytes, and the IPC files the server stores.

:func:`read_arrow` validates everything it reads (issue #10 F1-F3a); :func:`read_stored` reads
what the server stored after that validation, without repeating it; :func:`to_ipc_file` writes
a table once into a buffer of the right size.
"""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValidationError
from ._arrow_limits import ARROW_FILE_MAGIC, ArrowLimits, check_ipc

#: Every error pyarrow raises for bytes it cannot make sense of (ArrowInvalid, ArrowIndexError,
#: ArrowTypeError, ArrowNotImplementedError, ArrowIOError, ArrowCapacityError... are all
#: ArrowException); the rest are Python errors raised on the way for absurd values.
ARROW_FAILURES = (
    pa.ArrowException,
    OSError,
    ValueError,
    OverflowError,
    IndexError,
    TypeError,
    KeyError,
    NotImplementedError,
)


def read_arrow(
    body: bytes | bytearray | memoryview | pa.Buffer, what: str, *, limits: ArrowLimits | None = None
) -> pa.Table:
    """An Arrow IPC file or stream as a fully validated table, or a ValidationError that says what
    is wrong (``invalid_arrow``; 413 ``arrow_too_large`` when it would inflate past ``limits``).

    The one door for Arrow bytes (issue #10 F1-F3a): before pyarrow allocates, the declared sizes
    of every message are checked (``_arrow_limits.check_ipc``); after it reads, every column is
    validated in full (offsets, dictionary indices, UTF-8), so no server code ever touches a
    buffer whose offsets point outside it. Stored blobs read back go through here too."""
    return _read(body, what, limits or ArrowLimits())[0]


def read_stored(buffer: pa.Buffer, what: str) -> pa.Table:
    """A table this server stored after :func:`ingest_arrow` accepted it, read without validating
    it again: the graph build's input (``_graphs.build_in_worker``).

    Why not :func:`read_arrow`: every stored table passed it in full at upload (declared sizes,
    offsets, dictionary indices, UTF-8, the dataset's bindings and id kinds; ``_dataset_uploads``),
    and the blob holds exactly the bytes that passed (keys are server-generated, blobs immutable).
    Reading an IPC file from a memory map is zero-copy, so the build's only remaining cost was
    that second full validation (``bench/graph_inputs.py`` measures both). The build still runs in
    a worker process, so a blob damaged on disk ends that process, not the server. Streams are
    accepted for tables stored before uploads were normalised to files."""
    is_file = buffer.size >= 6 and buffer.slice(0, 6).to_pybytes() == ARROW_FILE_MAGIC
    try:
        return pa.ipc.open_file(buffer).read_all() if is_file else pa.ipc.open_stream(buffer).read_all()
    except ARROW_FAILURES as exc:
        raise ValidationError(
            f"The stored {what} table cannot be read ({exc}); upload it again.", code="invalid_arrow"
        ) from None


@dataclasses.dataclass(frozen=True)
class IngestedTable:
    """An uploaded table, validated, and the bytes to store for it: always an Arrow IPC *file*
    (served as ``application/vnd.apache.arrow.file``), the body itself when it was one."""

    table: pa.Table
    stored: pa.Buffer
    converted: bool


def ingest_arrow(
    body: bytes | bytearray | memoryview | pa.Buffer, what: str, *, limits: ArrowLimits | None = None
) -> IngestedTable:
    """:func:`read_arrow`, plus the IPC file to store: a stream is written once as a file (one
    copy, which the conversion needs); a file is stored as it came (no copy)."""
    table, buffer, is_file = _read(body, what, limits or ArrowLimits())
    if is_file:
        return IngestedTable(table, buffer, converted=False)
    return IngestedTable(table, to_ipc_file(table), converted=True)


def _read(
    body: bytes | bytearray | memoryview | pa.Buffer, what: str, limits: ArrowLimits
) -> tuple[pa.Table, pa.Buffer, bool]:
    buffer = body if isinstance(body, pa.Buffer) else pa.py_buffer(body)
    if buffer.size == 0:
        raise ValidationError(
            f"The {what} body is empty; send the table as an Arrow IPC file or stream.",
            code="invalid_arrow",
        )
    decompressed = check_ipc(buffer, what, limits)
    is_file = buffer.size >= 6 and buffer.slice(0, 6).to_pybytes() == ARROW_FILE_MAGIC
    try:
        if is_file:
            table = pa.ipc.open_file(buffer).read_all()
        else:
            table = pa.ipc.open_stream(buffer).read_all()
    except pa.ArrowMemoryError:
        raise limits.too_large(what, decompressed, buffer.size) from None
    except ARROW_FAILURES as exc:
        raise ValidationError(
            f"The {what} body is not a readable Arrow IPC file or stream ({exc}); "
            "it may be truncated or in another format. Send the table written with "
            "pyarrow.ipc.new_file or new_stream.",
            code="invalid_arrow",
        ) from None
    validate_table(table, what)
    decoded = sum(_decoded_bytes(column) for column in table.columns)
    if decompressed + decoded > limits.allowed(buffer.size):
        raise limits.too_large(what, decompressed + decoded, buffer.size)
    return table, buffer, is_file


def validate_table(table: pa.Table, what: str) -> None:
    """Validate a table in full (offsets, dictionary indices, UTF-8), column by column so the
    error (``invalid_arrow``) names the column, and its column names unique (server code finds
    columns by name)."""
    try:
        names = table.schema.names
    except UnicodeDecodeError:  # Arrow does not check that field names are UTF-8
        raise ValidationError(
            f"The {what} table has a column name that is not valid UTF-8 text; name its columns "
            "with Unicode strings.",
            code="invalid_arrow",
        ) from None
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationError(
                f"The {what} table has more than one column named {name!r}; rename them apart.",
                code="invalid_arrow",
                errors=[{"field": name, "message": "duplicate column name"}],
            )
        seen.add(name)
    for name, column in zip(names, table.columns, strict=True):
        try:
            column.validate(full=True)
        except pa.ArrowMemoryError:
            raise ValidationError(
                f"The {what} column {name!r} is malformed (its declared sizes cannot be allocated).",
                code="invalid_arrow",
                errors=[{"field": name, "message": "declared sizes cannot be allocated"}],
            ) from None
        except ARROW_FAILURES as exc:
            raise ValidationError(
                f"The {what} column {name!r} is malformed: {exc}. Its offsets, dictionary indices "
                "or text do not match its data; write the table again with pyarrow.",
                code="invalid_arrow",
                errors=[{"field": name, "message": str(exc)}],
            ) from None


def _decoded_bytes(column: pa.ChunkedArray) -> int:
    """What decoding a dictionary-encoded column allocates (live tables and graph builds decode
    them): a dictionary of one 1 MB string and a million int8 indices is 1 MB on the wire and 1 TB
    decoded. Exact for text and fixed-width values, an upper bound for nested ones."""
    t = column.type
    if not pa.types.is_dictionary(t):
        return 0
    total = 0
    value_type = t.value_type
    for chunk in column.chunks:
        dictionary, indices = chunk.dictionary, chunk.indices
        if len(indices) == 0 or len(dictionary) == 0:
            continue
        if pa.types.is_binary(value_type) or pa.types.is_string(value_type):
            lengths = pc.binary_length(dictionary)
        elif pa.types.is_large_binary(value_type) or pa.types.is_large_string(value_type):
            lengths = pc.binary_length(dictionary)
        else:
            try:
                width = value_type.bit_width // 8 or 1
            except ValueError:  # nested or variable width: every row may be the whole dictionary
                width = int(dictionary.nbytes)
            total += width * len(indices)
            continue
        total += int(pc.sum(pc.take(lengths, indices)).as_py() or 0) + 8 * len(indices)
    return total


def to_ipc_file(table: pa.Table) -> pa.Buffer:
    """The table as one Arrow IPC file, in a buffer sized once: a dry run into a
    ``MockOutputStream`` counts the bytes (no data is copied), then one copy into a buffer of
    that size (a growing ``BufferOutputStream`` re-copied 240 MB several times: 1 s instead of
    0.03-0.3 s)."""
    counter = pa.MockOutputStream()
    with pa.ipc.new_file(counter, table.schema) as writer:
        writer.write_table(table)
    buffer = pa.allocate_buffer(counter.size())
    with pa.ipc.new_file(pa.FixedSizeBufferWriter(buffer), table.schema) as writer:
        writer.write_table(table)
    return buffer
