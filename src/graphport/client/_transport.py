"""The synchronous HTTP side of a :class:`graphport.Client`.

One pooled ``httpx.Client`` per client (made on first use), the Bearer header, single-flight
token renewal, one retry after a 401 for sessions that can sign in again, Arrow bodies sent
without joining their buffers when large (with a tqdm bar when interactive), and network errors
mapped to :class:`graphport.TransportError`.

Thread safety: ``httpx.Client`` may be shared between threads. Token renewal takes the
session's lock and re-checks, so N threads meeting an expired token cause one auth request.
"""

from __future__ import annotations

import json
import sys
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar, cast

import httpx

from ..errors import ConfigError
from ._errors import transport_error
from ._protocol import Call, Flow, login_flow, probe_flow, renew_flow
from ._session import ClientSession

T = TypeVar("T")
PROGRESS_MIN_BYTES = 4 * 1024 * 1024
CHUNK = 1024 * 1024
DEFAULT_TIMEOUT = httpx.Timeout(300.0, connect=15.0)


def is_interactive() -> bool:
    """A terminal or a notebook kernel is watching (progress bars make sense)."""
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _chunks(parts: tuple[Any, ...]) -> Iterator[memoryview]:
    for part in parts:
        view = memoryview(part).cast("B")
        for start in range(0, view.nbytes, CHUNK):
            yield view[start : start + CHUNK]


class _Progress:
    def __init__(self, enabled: bool, total: int, action: str) -> None:
        self.bar: Any = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(
                total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=action, leave=False
            )

    def update(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def body_kwargs(call: Call, headers: dict[str, str]) -> tuple[dict[str, Any], int]:
    """httpx keyword arguments for a call's body (small binary bodies are joined once)."""
    if call.json is not None:
        return {"json": call.json}, 0
    if call.form is not None:
        return {"data": dict(call.form)}, 0
    if call.parts is None:
        return {}, 0
    size = call.body_size
    if size < PROGRESS_MIN_BYTES:
        return {"content": b"".join(memoryview(p).cast("B") for p in call.parts)}, size
    headers["Content-Length"] = str(size)
    return {}, size


def use_progress(setting: bool | None, size: int) -> bool:
    if setting is not None:
        return setting and size > 0
    return size >= PROGRESS_MIN_BYTES and is_interactive()


def sync_stream(call: Call, progress: _Progress) -> Iterator[bytes]:
    try:
        for chunk in _chunks(call.parts or ()):
            yield bytes(chunk) if chunk.nbytes < 65536 else chunk  # type: ignore[misc]
            progress.update(chunk.nbytes)
    finally:
        progress.close()


async def async_stream(call: Call, progress: _Progress) -> AsyncIterator[bytes]:
    try:
        for chunk in _chunks(call.parts or ()):
            yield bytes(chunk) if chunk.nbytes < 65536 else chunk  # type: ignore[misc]
            progress.update(chunk.nbytes)
    finally:
        progress.close()


def _close_pools(pools: dict[bool, httpx.Client]) -> None:
    clients = list(pools.values())
    pools.clear()
    for http in clients:
        http.close()


class SyncTransport:
    """Sends a client's calls (see module docstring). Internal to :class:`graphport.Client`."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        progress: bool | None = None,
    ) -> None:
        self._transport = transport
        # An in-process server's direct transport (``Server.local_transport(direct=True)``) takes
        # signed-in calls without an httpx request being built (#16: ~0.1 ms of a 1-row write).
        self._direct = getattr(transport, "direct_request", None)
        self._timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self.progress = progress
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._http: dict[bool, httpx.Client] = {}
        self._features: dict[str, bool] = {}
        self.is_closed = False
        # A client dropped without close() still releases its sockets (the seed examples never close).
        self._finalizer = weakref.finalize(self, _close_pools, self._http)

    # -- lifecycle ---------------------------------------------------------------------------------

    def _client(self, verify: bool) -> httpx.Client:
        http = self._http.get(verify)
        if http is not None:
            return http
        with self._lock:
            if self.is_closed:
                raise ConfigError(
                    "Cannot send a request, as the graphport client has been closed; make a new one "
                    "with graphport.client()."
                )
            http = self._http.get(verify)
            if http is None:
                http = httpx.Client(
                    transport=self._transport,
                    timeout=self._timeout,
                    verify=verify,
                    trust_env=False,
                    follow_redirects=False,
                    limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
                )
                self._http[verify] = http
            return http

    def close(self) -> None:
        with self._lock:
            self.is_closed = True
        self._finalizer()

    # -- running conversations ---------------------------------------------------------------------

    def run(self, session: ClientSession, flow: Flow[T]) -> T:
        """Drive a sans-IO conversation to its end; returns its value."""
        try:
            call = next(flow)
            while True:
                call = flow.send(self.send(session, call))
        except StopIteration as stop:
            return cast(T, stop.value)

    def one_request_plot(self, session: ClientSession) -> bool:
        """Whether this server takes the one-request plot (probed once per client and server)."""
        key = session.base_url
        known = self._features.get(key)
        if known is not None:
            return known
        with self._probe_lock:
            known = self._features.get(key)
            if known is None:
                known = self.run(session, probe_flow())
                self._features[key] = known
            return known

    def send(self, session: ClientSession, call: Call) -> httpx.Response:
        headers = dict(call.headers)
        token: str | None = None
        if call.auth:
            token = self.token(session)
            headers["Authorization"] = f"Bearer {token}"
        response = self._request(session, call, headers)
        if response.status_code == 401 and token is not None and session.credentials.can_login:
            # The server no longer takes this token (revoked, server restarted with a new secret):
            # sign in again once, single flight, and repeat the call.
            headers["Authorization"] = f"Bearer {self._login_again(session, token)}"
            response = self._request(session, call, headers)
        return response

    def token(self, session: ClientSession) -> str:
        """A token that is fresh now; renews it first when needed (one renewal for all threads)."""
        current = session.token
        if current is not None and current.is_fresh():
            return current.value
        with session.auth_lock:
            current = session.token
            if current is not None and current.is_fresh():
                return current.value
            if current is None and not session.credentials.can_login:
                raise ConfigError(
                    "This client is not signed in; call register(api=3, server=..., username=..., "
                    "password=...) (or personal_key_id=/personal_key_secret=, or token=) first."
                )
            fresh = self.run(session, renew_flow(session, current))
            session.token = fresh
            return fresh.value

    def _login_again(self, session: ClientSession, stale: str) -> str:
        with session.auth_lock:
            current = session.token
            if current is not None and current.value != stale:
                return current.value
            fresh = self.run(session, login_flow(session))
            session.token = fresh
            return fresh.value

    def _request(self, session: ClientSession, call: Call, headers: dict[str, str]) -> httpx.Response:
        http = self._client(session.verify)
        url = session.base_url + call.path
        if self._direct is not None and call.auth and call.form is None:
            # Signed in (a Bearer header: no cookie counts), so no cookie jar is needed either.
            body: tuple[Any, ...] = ()
            if call.json is not None:
                headers.setdefault("Content-Type", "application/json")
                body = (json.dumps(call.json, ensure_ascii=False, allow_nan=False).encode(),)
            elif call.parts is not None:
                body = call.parts
            # A live write also hands over the table its stream encodes (``_live.TableCall``).
            table = getattr(call, "table", None)
            return cast(httpx.Response, self._direct(call.method, url, headers, body, table))
        kwargs, size = body_kwargs(call, headers)
        if call.parts is not None and "content" not in kwargs:
            progress = _Progress(use_progress(self.progress, size), size, call.action)
            kwargs["content"] = sync_stream(call, progress)
        try:
            return http.request(call.method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(exc, call.method, httpx.URL(url), call.action) from None
