"""One live WebSocket session, independent of the web framework (Starlette, Tornado, aiohttp).

All three frameworks run on an asyncio loop, so one class carries the rules the Perspective
handlers get wrong (spec section 8):

* **Sends are safe from any thread.** The engine calls :meth:`LiveSocket.push` on whatever thread
  polls (a writer, an executor, the loop itself). The frame is encoded there (once per message,
  shared by every subscriber), then handed over with ``loop.call_soon_threadsafe``, which wakes the
  loop; a sender task writes frames one at a time, in order.
* **Replies keep their order, even with an executor.** Client requests on one connection are
  handled one after another (each awaited before the next is read); only the blocking engine call
  runs on the executor. Their replies go through the same ordered outbox as the deltas.
* **A slow client is dropped, not waited for.** Every connection has its own outbox. When the
  frames it has not yet written exceed ``max_buffer`` bytes the connection is closed (code 4408)
  and its subscription ends; the poll thread never blocks on a socket, so others are unaffected.

Client → server messages are JSON text frames: ``{"type": "snapshot"}`` asks for a fresh snapshot
(after a version gap), ``{"type": "ping", "id": ...}`` is answered ``{"type": "pong", "id": ...}``.
Server → client: binary frames (``graphport.server._live.LiveMessage.frame``; the first is the
snapshot, which doubles as the acknowledgement: deltas follow from its version on), and JSON text
frames ``{"type": "closed", "reason"}`` before the server closes, ``pong`` and ``error``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, TypeVar

from .._json import parse_json
from ..errors import GraphportError
from ..server import Principal, Server

logger = logging.getLogger("graphport.live")
T = TypeVar("T")

#: Close codes (4000-4999 are for applications).
CLOSE_NOT_FOUND = 4404
CLOSE_REVOKED = 4403
CLOSE_SLOW = 4408
CLOSE_GONE = 4410
CLOSE_BAD_REQUEST = 4400
DEFAULT_MAX_BUFFER = 64 * 1024 * 1024
#: The largest client request (a JSON text frame) read; requests are a few dozen bytes.
MAX_REQUEST_BYTES = 64 * 1024


class _Close:
    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason


class LiveSocket:
    """The server side of one live connection. Create it on the loop, then ``await start()``.

    Parameters:
        server: the engine.
        principal: the caller (``None``: anonymous, enough for public datasets).
        dataset_id: the dataset to follow.
        send_bytes, send_text: coroutines (or functions returning awaitables) that write a frame.
        close: a coroutine function ``close(code, reason)`` that closes the socket.
        executor: where blocking engine calls run (default: the loop's default executor).
        max_buffer: unsent bytes allowed before the client counts as too slow and is dropped.
    """

    def __init__(
        self,
        server: Server,
        principal: Principal | None,
        dataset_id: str,
        *,
        send_bytes: Callable[[bytes], Awaitable[Any]],
        send_text: Callable[[str], Awaitable[Any]],
        close: Callable[[int, str], Awaitable[Any]],
        executor: Executor | None = None,
        max_buffer: int = DEFAULT_MAX_BUFFER,
    ) -> None:
        self.server = server
        self.principal = principal
        self.dataset_id = dataset_id
        self._send_bytes = send_bytes
        self._send_text = send_text
        self._close = close
        self._executor = executor
        self.max_buffer = max_buffer
        self.loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[bytes | str | _Close] = asyncio.Queue()
        self.buffered = 0
        self.closing = False
        self.subscription: Any = None
        self._sender: asyncio.Task[None] | None = None
        self._finishing = False
        self.done = asyncio.Event()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking engine call on the executor (or the loop's default one)."""
        return await self.loop.run_in_executor(self._executor, functools.partial(fn, *args))

    # -- engine side (any thread) ----------------------------------------------------------------

    def push(self, message: Any) -> None:
        """The subscription's send callback: encode here, hand over to the loop (thread-safe)."""
        frame = message.frame()
        self._threadsafe(self._put, frame)

    def ended(self, reason: str) -> None:
        """The subscription's close callback (rights revoked, dataset deleted, server closed)."""
        code = CLOSE_REVOKED if reason == "revoked" else CLOSE_GONE
        self._threadsafe(self._put, _Close(code, reason))

    def _threadsafe(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self.loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop is closed: the connection is gone already
            pass

    # -- loop side -------------------------------------------------------------------------------

    def _put(self, item: bytes | str | _Close) -> None:
        if self.closing:
            return
        if isinstance(item, _Close):
            self.closing = True
            self._queue.put_nowait(item)
            return
        self.buffered += len(item)
        if self.buffered > self.max_buffer:
            logger.warning(
                "live client of %s is %d bytes behind; dropping it", self.dataset_id, self.buffered
            )
            self.closing = True
            if self._sender is not None:
                self._sender.cancel()  # it may be stuck writing to a full socket
            self.loop.create_task(self._finish(CLOSE_SLOW, "too slow"))
            return
        self._queue.put_nowait(item)

    async def start(self) -> None:
        """Subscribe (the snapshot is queued first), then start writing frames."""
        self._sender = self.loop.create_task(self._send_loop())
        self.subscription = await self.run(
            self.server.subscribe, self.principal, self.dataset_id, self.push, self.ended
        )

    async def _send_loop(self) -> None:
        try:
            while True:
                item = await self._queue.get()
                if isinstance(item, _Close):
                    await self._finish(item.code, item.reason)
                    return
                if isinstance(item, bytes):
                    await self._send_bytes(item)
                else:
                    await self._send_text(item)
                self.buffered -= len(item)
        except asyncio.CancelledError:
            raise
        except Exception:  # the peer went away mid-write
            self.closing = True
            self.done.set()

    async def _finish(self, code: int, reason: str) -> None:
        if self._finishing or self.done.is_set():
            return
        self._finishing = True
        try:
            if code != CLOSE_SLOW:  # a stuck client would not take it anyway
                with contextlib.suppress(Exception, asyncio.TimeoutError):
                    await asyncio.wait_for(
                        self._send_text(json.dumps({"type": "closed", "reason": reason})), 1.0
                    )
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(self._close(code, reason), 1.0)
        finally:  # the peer may be gone or stuck; the framework drops the connection
            self.done.set()

    async def handle_text(self, text: str) -> None:
        """One client request (requests of a connection are handled in order)."""
        try:  # untrusted text: bounded size and depth (json.loads recursed past the limit, #17)
            request = parse_json(text, what="The live request", max_bytes=MAX_REQUEST_BYTES)
        except GraphportError as exc:
            self._put(json.dumps({"type": "error", "code": exc.code, "error": str(exc)}))
            return
        kind = request.get("type") if isinstance(request, dict) else None
        if kind == "snapshot" and self.subscription is not None:
            await self.run(self.subscription.snapshot)
        elif kind == "ping":
            self._put(json.dumps({"type": "pong", "id": request.get("id")}))
        else:
            self._put(
                json.dumps(
                    {
                        "type": "error",
                        "code": "invalid_live_request",
                        "error": 'Send {"type": "snapshot"} or {"type": "ping"}.',
                    }
                )
            )

    def stop(self) -> None:
        """The socket closed: end the subscription and the sender (idempotent)."""
        self.closing = True
        self.done.set()
        if self._sender is not None:
            self._sender.cancel()
        if self.subscription is not None:
            self.subscription.close()


async def serve(session: LiveSocket, next_message: Callable[[], Awaitable[str | bytes | None]]) -> None:
    """Run one accepted connection to its end, for any framework: subscribe (the snapshot goes
    first), then handle the client's text frames in order (``next_message`` returns the next one,
    or None when the client went away) until either side ends it."""

    async def receive() -> None:
        while (message := await next_message()) is not None:
            if isinstance(message, str):
                await session.handle_text(message)  # in order, one at a time

    try:
        try:
            await session.start()
        except GraphportError:
            with contextlib.suppress(Exception):
                await session._close(CLOSE_NOT_FOUND, "not found")
            return
        tasks = {asyncio.ensure_future(receive()), asyncio.ensure_future(session.done.wait())}
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    finally:
        session.stop()
