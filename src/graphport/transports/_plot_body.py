"""The one-request plot's body (``POST /api/v2/plot``), and a REST v3 table upload's, read as
they arrive (#16).

The frame (``graphport._wire``) is a length-prefixed JSON header followed by the tables. The
header is read and checked first; then each table goes, piece by piece as the adapter hands the
body over, into a stage the engine gives (``ServerAPI.stage_table``): the local blob store writes
it to the table's file meanwhile, so a 240 MB table is on disk when its last byte arrives instead
of being written after it (#16, ``bench/upload.py``). The engine validates the tables and commits
the stages (``ServerAPI.plot``); whatever it did not commit is discarded on the way out, so a body
cut mid-way, refused as too large, malformed or failing validation leaves no blob.

The checks and errors are those of ``_wire.decode_plot_frame`` on the whole body, and the body's
limit is ``read_body``'s (``max_upload_bytes``; 413 before anything is read when the declared
length is over it, else as soon as the bytes are). Pieces are copied into the stage on the event
loop (a memory copy; the disk writes run on the store's writer threads), and the stage is made
there too (opening its temporary file); discarding one whose writes may still run goes to the
executor.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, NamedTuple, Protocol

from .._wire import (
    PLOT_PREFIX_BYTES,
    decode_plot_header,
    plot_header_length,
    short_header_error,
    trailing_bytes_error,
    truncated_table_error,
)
from ..errors import PayloadTooLarge, ValidationError
from ._context import PREALLOCATE_BYTES, Context, body_limit, declared_length, read_body, too_large
from ._http import Request


class Stage(Protocol):
    """What the body reader needs of the engine's stage (``storage.StagedBlob``)."""

    def write(self, piece: memoryview) -> None: ...
    def discard(self) -> None: ...
    @property
    def settled(self) -> bool: ...


class PlotBody(NamedTuple):
    dataset: dict[str, Any]
    privacy: dict[str, Any] | None
    tables: dict[str, Any]
    """The stages by table name (``edges``, maybe ``nodes``), complete."""


class _Pieces:
    """The body's chunks, taken by exact sizes, counted against the limit."""

    def __init__(self, chunks: AsyncIterator[bytes], limit: int, setting: str) -> None:
        self._chunks = chunks
        self.limit = limit
        self.setting = setting
        self._rest = memoryview(b"")
        self._seen = 0

    async def _more(self) -> bool:
        """The next chunk into ``_rest``; False at the end of the body."""
        part = memoryview(b"")
        while not part:  # an adapter may hand over empty chunks
            try:
                chunk = await anext(self._chunks)
            except StopAsyncIteration:
                return False
            part = memoryview(chunk)  # any buffer: an in-process client sends pyarrow's too
            if part.format != "B" or part.ndim != 1:
                part = part.cast("B")
        self._seen += part.nbytes
        if self._seen > self.limit:
            raise too_large(self.limit, self.setting)
        self._rest = part
        return True

    async def take(self, size: int, into: Stage | None = None) -> bytes | None:
        """The next ``size`` bytes (written into ``into`` when given, else returned); None when
        the body ends first."""
        pieces: list[bytes] = []
        while size:
            if not self._rest and not await self._more():
                return None
            piece, self._rest = self._rest[:size], self._rest[size:]
            size -= piece.nbytes
            if into is not None:
                into.write(piece)
            else:
                pieces.append(bytes(piece))
        return b"".join(pieces)

    async def at_end(self) -> bool:
        return not self._rest and not await self._more()


@contextlib.asynccontextmanager
async def plot_body(ctx: Context, request: Request) -> AsyncIterator[PlotBody]:
    """The plot frame of ``request``, its tables staged; stages left uncommitted are discarded
    when the block ends (off the loop when their writes are still in flight)."""
    limit, setting = body_limit(ctx, request)
    declared = declared_length(request, limit, setting)
    pieces = _Pieces(request.stream().__aiter__(), limit, setting)
    stages: dict[str, Any] = {}
    try:
        yield await _read(ctx, pieces, declared, stages)
    finally:
        await _drop(ctx, list(stages.values()))


@contextlib.asynccontextmanager
async def table_body(ctx: Context, request: Request) -> AsyncIterator[Any]:
    """The body of a table upload (REST v3, the official client's), staged as it arrives when
    its Content-Length says 1 MiB or more (else read whole: ``read_body``); a stage the engine
    did not commit is discarded when the block ends. A body shorter than declared is a 400
    ``truncated_body`` (the client went away, or sent less than it announced)."""
    limit, setting = body_limit(ctx, request)
    declared = declared_length(request, limit, setting)
    if declared is None or declared < PREALLOCATE_BYTES:
        body = await read_body(ctx, request)
        if declared is not None and len(body) != declared:  # an in-process transport's body
            raise _not_declared(declared)
        yield body
        return
    pieces = _Pieces(request.stream().__aiter__(), limit, setting)
    stage = _stage(ctx, declared, setting)
    try:
        if await pieces.take(declared, into=stage) is None or not await pieces.at_end():
            raise _not_declared(declared)
        yield stage
    finally:
        await _drop(ctx, [stage])


def _not_declared(declared: int) -> ValidationError:
    return ValidationError(
        f"The body does not have the {declared:,} bytes its Content-Length declares (truncated upload?).",
        code="truncated_body",
    )


def _stage(ctx: Context, size: int, setting: str) -> Any:
    """The engine's stage for a table of ``size`` bytes; a 413 when the server cannot map that
    much memory for it (a ``max_upload_bytes`` above what the machine holds: the
    ``MemoryError`` was a 500, and the local store's temporary file stayed)."""
    try:
        return ctx.server.stage_table(size)
    except MemoryError:
        raise PayloadTooLarge(
            f"The server cannot hold a table of {size:,} bytes (not enough memory); send less "
            f"(the server setting {setting} allows more than this machine holds)."
        ) from None


def _discard(stages: list[Stage]) -> None:
    for stage in stages:
        stage.discard()


async def _drop(ctx: Context, stages: list[Stage]) -> None:
    """Discard ``stages``: off the loop when writes may still be in flight, on it when the
    request is cancelled meanwhile (a server stopping with uploads in flight: uvicorn cancels
    them after its graceful timeout, and the temporary file, its descriptor and the staging
    memory stayed). A stage discarded twice is discarded once (``StagedBlob.discard``)."""
    if all(stage.settled for stage in stages):
        _discard(stages)
        return
    try:
        await ctx.run(_discard, stages)
    except asyncio.CancelledError:
        _discard(stages)
        raise


async def _read(ctx: Context, pieces: _Pieces, declared: int | None, stages: dict[str, Any]) -> PlotBody:
    prefix = await pieces.take(PLOT_PREFIX_BYTES)
    if prefix is None:
        raise ValidationError("The plot body is too short to hold its header.", code="invalid_plot_frame")
    header_end = PLOT_PREFIX_BYTES + plot_header_length(prefix)
    if declared is not None and header_end > declared:
        raise short_header_error()
    raw = await pieces.take(header_end - PLOT_PREFIX_BYTES)
    if raw is None:
        raise short_header_error()
    dataset, privacy, tables = decode_plot_header(raw)
    end = header_end
    for name, length in tables:
        end += length
        if declared is not None and end > declared:
            raise truncated_table_error(name)
        if end > pieces.limit:  # before anything is staged for it
            raise too_large(pieces.limit, pieces.setting)
    if declared is not None and end < declared:
        raise trailing_bytes_error()
    for name, length in tables:
        stages[name] = stage = _stage(ctx, length, pieces.setting)
        if await pieces.take(length, into=stage) is None:
            raise truncated_table_error(name)
    if not await pieces.at_end():
        raise trailing_bytes_error()
    return PlotBody(dataset, privacy, stages)
