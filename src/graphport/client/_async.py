"""``graphport.AsyncClient``: the same client for asyncio, in parallel with :class:`Client`.

It runs the very same sans-IO conversations (``_protocol``) over an ``httpx.AsyncClient``, so a
web app can plot from its event loop without threads. Token renewal is single flight per
session with an ``asyncio.Lock``. Use one AsyncClient per event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any, Self, TypeVar, cast

import httpx

from ..errors import ConfigError
from ._client_base import _ClientBase, from_dataset_flow
from ._dataset import Dataset
from ._errors import transport_error
from ._plottable import AsyncPlottable
from ._protocol import (
    Call,
    Flow,
    describe_flow,
    login_flow,
    plot_flow,
    probe_flow,
    register_flow,
    renew_flow,
    switch_flow,
    viz_url,
)
from ._session import SSO_TIMEOUT, ClientSession
from ._transport import DEFAULT_TIMEOUT, _Progress, async_stream, body_kwargs, use_progress

T = TypeVar("T")


class AsyncClient(_ClientBase[AsyncPlottable]):
    """An isolated graphport client for asyncio: ``await register()``, ``await plottable.plot()``.

    Parameters are those of :class:`Client`; ``transport`` is an ``httpx.AsyncBaseTransport``
    (for example ``httpx.ASGITransport(app=server.asgi_app())`` for an in-process server).

    Example::

        async with graphport.AsyncClient() as g:
            await g.register(api=3, protocol="http", server="127.0.0.1:8080",
                             username="alice", password="pw")
            url = await g.edges(df, "src", "dst").plot(render=False)
    """

    _plottable_type = AsyncPlottable

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__()
        self._http_transport = transport
        self._timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self._progress = progress
        self._http: dict[bool, httpx.AsyncClient] = {}
        self._features: dict[str, bool] = {}
        self._auth_locks: weakref.WeakKeyDictionary[ClientSession, asyncio.Lock] = weakref.WeakKeyDictionary()
        self._probe_lock: asyncio.Lock | None = None
        self._closed = False

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        """True once :meth:`aclose` ran."""
        return self._closed

    async def aclose(self) -> None:
        """Close the connection pool. Example: ``await g.aclose()``."""
        self._closed = True
        clients, self._http = list(self._http.values()), {}
        for http in clients:
            await http.aclose()
        self._session.connectors.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _client(self, verify: bool) -> httpx.AsyncClient:
        if self._closed:
            raise ConfigError(
                "Cannot send a request, as the graphport AsyncClient has been closed; make a new one."
            )
        http = self._http.get(verify)
        if http is None:
            http = httpx.AsyncClient(
                transport=self._http_transport,
                timeout=self._timeout,
                verify=verify,
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=64, max_keepalive_connections=32),
            )
            self._http[verify] = http
        return http

    # -- public API --------------------------------------------------------------------------------

    async def register(
        self,
        *,
        api: int | None = 3,
        server: str | None = None,
        protocol: str | None = None,
        username: str | None = None,
        password: str | None = None,
        token: str | None = None,
        personal_key_id: str | None = None,
        personal_key_secret: str | None = None,
        org_name: str | None = None,
        verify_token: bool = True,
        certificate_validation: bool = True,
        client_protocol_hostname: str | None = None,
        store_token_creds_in_memory: bool = True,
        is_sso_login: bool = False,
        idp_name: str | None = None,
        sso_opt_into_type: str | None = None,
        sso_timeout: float | None = SSO_TIMEOUT,
        key: str | None = None,
        bolt: Any = None,
    ) -> Self:
        """Point this client at a server and sign in (see :meth:`Client.register`).

        Example::

            await g.register(api=3, server="127.0.0.1:8080", username="alice", password="pw")
        """
        arguments = {k: v for k, v in locals().items() if k not in ("self", "bolt")}
        session, verify, keep = self._prepare(arguments)
        await self._run(session, register_flow(session, verify))
        self._adopt(session, keep)
        if bolt is not None:
            self.set_bolt_driver(bolt)  # the graph database for cypher(), as register(bolt=) in pygraphistry
        return self

    async def switch_org(self, org_name: str) -> None:
        """Put later datasets in another organization. Example: ``await g.switch_org("acme")``."""
        session = self._session
        await self._run(session, switch_flow(org_name))
        session.org_name = org_name

    async def dataset_info(self, dataset_id: str) -> dict[str, Any]:
        """A dataset's metadata as this user sees it. Example: ``(await g.dataset_info(i))["owner"]``."""
        return await self._run(self._session, describe_flow(dataset_id))

    async def from_dataset_id(self, dataset_id: str) -> AsyncPlottable:
        """A plottable made from a stored dataset (see :meth:`graphport.Client.from_dataset_id`).

        Example::

            g2 = await g.from_dataset_id(ds.id)
        """
        session = self._session
        spec = await self._run(session, from_dataset_flow(dataset_id))
        return AsyncPlottable(self, session, spec)

    async def _upload(self, session: ClientSession, plottable: AsyncPlottable) -> Dataset:
        plan = plottable._plan(session)
        await self._token(session)  # fails early (not signed in) before probing the server
        one_request = await self._one_request_plot(session)
        dataset_id = await self._run(session, plot_flow(plan, one_request))
        url = viz_url(session, dataset_id, plottable._spec.url_params)
        return Dataset(id=dataset_id, url=url, name=plan.dataset["name"], client=self)

    # -- the async driver of the sans-IO conversations ---------------------------------------------

    async def _run(self, session: ClientSession, flow: Flow[T]) -> T:
        try:
            call = next(flow)
            while True:
                call = flow.send(await self._send(session, call))
        except StopIteration as stop:
            return cast(T, stop.value)

    async def _one_request_plot(self, session: ClientSession) -> bool:
        key = session.base_url
        known = self._features.get(key)
        if known is not None:
            return known
        if self._probe_lock is None:
            self._probe_lock = asyncio.Lock()
        async with self._probe_lock:
            known = self._features.get(key)
            if known is None:
                known = await self._run(session, probe_flow())
                self._features[key] = known
            return known

    def _auth_lock(self, session: ClientSession) -> asyncio.Lock:
        lock = self._auth_locks.get(session)
        if lock is None:
            lock = self._auth_locks[session] = asyncio.Lock()
        return lock

    async def _token(self, session: ClientSession) -> str:
        current = session.token
        if current is not None and current.is_fresh():
            return current.value
        async with self._auth_lock(session):
            current = session.token
            if current is not None and current.is_fresh():
                return current.value
            if current is None and not session.credentials.can_login:
                raise ConfigError(
                    "This client is not signed in; call await register(api=3, server=..., "
                    "username=..., password=...) (or a personal key, or token=) first."
                )
            fresh = await self._run(session, renew_flow(session, current))
            session.token = fresh
            return fresh.value

    async def _login_again(self, session: ClientSession, stale: str) -> str:
        async with self._auth_lock(session):
            current = session.token
            if current is not None and current.value != stale:
                return current.value
            fresh = await self._run(session, login_flow(session))
            session.token = fresh
            return fresh.value

    async def _send(self, session: ClientSession, call: Call) -> httpx.Response:
        headers = dict(call.headers)
        token: str | None = None
        if call.auth:
            token = await self._token(session)
            headers["Authorization"] = f"Bearer {token}"
        response = await self._request(session, call, headers)
        if response.status_code == 401 and token is not None and session.credentials.can_login:
            headers["Authorization"] = f"Bearer {await self._login_again(session, token)}"
            response = await self._request(session, call, headers)
        return response

    async def _request(self, session: ClientSession, call: Call, headers: dict[str, str]) -> httpx.Response:
        http = self._client(session.verify)
        url = session.base_url + call.path
        kwargs, size = body_kwargs(call, headers)
        if call.parts is not None and "content" not in kwargs:
            progress = _Progress(use_progress(self._progress, size), size, call.action)
            kwargs["content"] = async_stream(call, progress)
        try:
            return await http.request(call.method, url, headers=headers, **kwargs)
        except httpx.TransportError as exc:
            raise transport_error(exc, call.method, httpx.URL(url), call.action) from None
