"""The message bus between server processes: live deltas and control notices (issue #7).

Two implementations of one small protocol:

* :class:`InProcessBus` (the embedded default): callbacks in this process. Several
  :class:`graphport.Server` instances given the *same* bus object behave like several processes
  (tests use this).
* :class:`RedisBus` (``redis://host:port/db``, the ``redis`` extra): Redis pub/sub. Delivery is
  at-most-once and ordered per publisher connection; a subscriber that misses a message must
  notice (the live messages carry ``base`` -> ``version``) and resync from the store.

Callbacks run on the bus's own thread (Redis) or the publisher's thread (in-process), one at a
time per bus, and must not block for long.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..errors import ConfigError

logger = logging.getLogger("graphport.bus")

BusCallback = Callable[[bytes], None]


class Bus(Protocol):
    """Publish bytes on a channel; every subscriber of that channel, in any process, may get them."""

    def publish(self, channel: str, message: bytes) -> None: ...
    def subscribe(self, channel: str, callback: BusCallback) -> Callable[[], None]: ...
    def close(self) -> None: ...


class InProcessBus:
    """Callbacks in this process, called synchronously (in order) on the publishing thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._channels: dict[str, list[BusCallback]] = {}

    def publish(self, channel: str, message: bytes) -> None:
        with self._lock:
            callbacks = list(self._channels.get(channel, ()))
        for callback in callbacks:
            try:
                callback(message)
            except Exception:
                logger.exception("bus subscriber of %s failed", channel)

    def subscribe(self, channel: str, callback: BusCallback) -> Callable[[], None]:
        """Call ``callback(message)`` for each message on ``channel``; returns the unsubscriber."""
        with self._lock:
            self._channels.setdefault(channel, []).append(callback)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._channels.get(channel, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks:
                    self._channels.pop(channel, None)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._channels.clear()


class RedisBus:
    """Redis pub/sub: one connection publishes, one listens on a background thread.

    Parameters:
        url: ``redis://[:password@]host:port/db`` (``rediss://`` for TLS).

    Example::

        bus = RedisBus("redis://127.0.0.1:6379/0")
        stop = bus.subscribe("news", print)
        bus.publish("news", b"hello")
    """

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigError(
                "A redis:// bus needs redis-py; install it with: pip install 'graphport[redis]'."
            ) from None
        self.url = url
        self._redis = redis.Redis.from_url(url, socket_keepalive=True, health_check_interval=30)
        self._pubsub: Any = self._redis.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        self._lock = threading.Lock()
        self._channels: dict[str, list[BusCallback]] = {}
        self._thread: Any = None
        self._closed = False

    def __repr__(self) -> str:
        return f"<RedisBus {self._redis.connection_pool.connection_kwargs.get('host')}>"

    def publish(self, channel: str, message: bytes) -> None:
        self._redis.publish(channel, message)

    def _dispatch(self, item: dict[str, Any]) -> None:
        channel = item["channel"].decode() if isinstance(item["channel"], bytes) else item["channel"]
        with self._lock:
            callbacks = list(self._channels.get(channel, ()))
        for callback in callbacks:
            try:
                callback(item["data"])
            except Exception:
                logger.exception("bus subscriber of %s failed", channel)

    def subscribe(self, channel: str, callback: BusCallback) -> Callable[[], None]:
        """Call ``callback(message)`` (on the bus thread) for each message; returns the
        unsubscriber. Messages published before this returns may be missed."""
        with self._lock:
            first = channel not in self._channels
            self._channels.setdefault(channel, []).append(callback)
            if first:
                self._pubsub.subscribe(**{channel: self._dispatch})
            if self._thread is None and not self._closed:
                self._thread = self._pubsub.run_in_thread(sleep_time=0.5, daemon=True)

        def unsubscribe() -> None:
            with self._lock:
                callbacks = self._channels.get(channel, [])
                if callback in callbacks:
                    callbacks.remove(callback)
                if not callbacks and channel in self._channels:
                    del self._channels[channel]
                    if not self._closed:
                        self._pubsub.unsubscribe(channel)

        return unsubscribe

    def close(self) -> None:
        with self._lock:
            self._closed = True
            thread, self._thread = self._thread, None
            self._channels.clear()
        if thread is not None:
            thread.stop()
            thread.join(timeout=5)
        self._pubsub.close()
        self._redis.close()


def open_bus(url: str | None) -> Bus:
    """A bus from a URL: ``None``/``memory://`` (in-process) or ``redis://...`` (Redis pub/sub)."""
    if url is None or url in ("", "memory://", "memory"):
        return InProcessBus()
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url)
    raise ConfigError(
        f"The bus URL {url!r} is not supported; expected redis://host:port/db (or nothing for the "
        "in-process bus)."
    )
