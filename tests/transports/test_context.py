"""The one caller rule of every adapter (transports/_context.py): Origin, Bearer header, bodies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pyarrow as pa
import pytest

import graphport
from graphport.errors import AuthError, PayloadTooLarge, PermissionDenied
from graphport.transports._context import (
    PREALLOCATE_BYTES,
    Context,
    bearer_token,
    check_origin,
    origin_allowed,
    read_body,
)
from graphport.transports._http import Headers, Request, body_of


def headers(**values: str) -> Headers:
    return Headers((k.replace("_", "-"), v) for k, v in values.items())


def test_an_origin_must_be_this_host_or_public_url() -> None:
    assert origin_allowed(headers(host="h:1"), None)  # no Origin: not a browser
    assert origin_allowed(headers(host="h:1", origin="http://h:1"), None)
    assert origin_allowed(headers(host="H:1", origin="https://h:1/"), None)  # either scheme, any case
    assert not origin_allowed(headers(host="h:1", origin="http://evil:1"), None)
    assert not origin_allowed(headers(host="h:1", origin="null"), None)
    assert origin_allowed(
        headers(host="10.0.0.5", origin="https://graphs.example.org"), "https://graphs.example.org"
    )
    with pytest.raises(PermissionDenied, match="public_url") as refused:
        check_origin(headers(host="h:1", origin="http://evil:1"), None)
    assert refused.value.code == "origin_refused"


def test_the_authorization_header_is_bearer_or_refused() -> None:
    assert bearer_token(headers()) is None
    assert bearer_token(headers(authorization="Bearer abc ")) == "abc"
    assert bearer_token(headers(authorization="bearer abc")) == "abc"
    for bad in ("Basic abc", "Bearer", "Bearer   ", "abc"):
        with pytest.raises(AuthError) as refused:
            bearer_token(headers(authorization=bad))
        assert refused.value.code == "invalid_auth_header"


def _request(body: bytes, *, authenticated: bool, **extra: str) -> Request:
    request = Request("POST", "/x", "", headers(**extra), body_of(body))
    request.authenticated = authenticated
    return request


def test_bodies_are_bounded_by_the_callers_limit(server: graphport.Server) -> None:
    ctx = Context(server, None)
    small = ctx.max_anonymous
    assert asyncio.run(read_body(ctx, _request(b"x" * small, authenticated=False))) == b"x" * small
    with pytest.raises(PayloadTooLarge, match="max_anonymous_body_bytes"):
        asyncio.run(read_body(ctx, _request(b"x" * (small + 1), authenticated=False)))
    # A signed-in caller may send more; a declared length over the limit is refused before reading.
    assert len(asyncio.run(read_body(ctx, _request(b"x" * (small + 1), authenticated=True)))) == small + 1
    with pytest.raises(PayloadTooLarge, match="max_json_bytes"):
        declared = str(ctx.max_json + 1)
        asyncio.run(
            read_body(ctx, _request(b"", authenticated=True, content_length=declared), limit=ctx.max_json)
        )


def test_a_stop_wakes_the_held_waits_and_new_ones_do_not_wait(server: graphport.Server) -> None:
    ctx = Context(server, None)
    woken: list[str] = []
    with ctx.waking_on_stop(lambda: woken.append("held")):
        assert not ctx.stopping and woken == []
        ctx.stop_waiting()
        assert ctx.stopping and woken == ["held"]
    with ctx.waking_on_stop(lambda: woken.append("late")):
        assert woken == ["held", "late"]  # at once: the server is already stopping
    ctx.stop_waiting()  # again: nobody is waiting any more
    assert woken == ["held", "late"]


def _chunked(chunks: list[Any], declared: int) -> Request:
    async def stream() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    request = Request("POST", "/x", "", headers(content_length=str(declared)), stream)
    request.authenticated = True
    return request


def test_a_big_declared_body_is_read_into_one_buffer_whatever_comes(server: graphport.Server) -> None:
    """Bodies declared >= PREALLOCATE_BYTES are read into a buffer of the declared size (#16): the
    same bytes as the chunks joined when the length is right, and also when fewer or more come;
    more than the route's limit is still refused."""
    ctx = Context(server, None)
    size = PREALLOCATE_BYTES + 12345
    data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    chunks = [data[i : i + 65536] for i in range(0, size, 65536)]
    for declared in (size, size + 1000, size - 70000):  # exact, fewer came, more came
        body = asyncio.run(read_body(ctx, _chunked(chunks, declared)))
        assert type(body) is bytearray and body == data
    # The in-process client's chunks are any buffers: pyarrow's (format "b"), 2-d memoryviews.
    odd: list[Any] = [pa.py_buffer(c) for c in chunks[:-1]] + [
        memoryview(chunks[-1]).cast("B", (1, len(chunks[-1])))
    ]
    for declared in (size, size - 70000):
        assert asyncio.run(read_body(ctx, _chunked(odd, declared))) == data
    limit = size - 1
    with pytest.raises(PayloadTooLarge, match="max_json_bytes"):
        asyncio.run(read_body(ctx, _chunked(chunks, limit), limit=limit))
