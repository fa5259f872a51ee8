"""``graphport.Client``: one isolated session with its own server, credentials, org, privacy and
connection pool. Safe to share between threads.

Two clients never share state: two tenants, two servers, or two tests can live in one process.
"""

from __future__ import annotations

from typing import Any, Self, TypeVar

import httpx

from ._client_base import _ClientBase, from_dataset_flow
from ._dataset import Dataset
from ._plottable import Plottable
from ._protocol import Flow, describe_flow, plot_flow, register_flow, switch_flow, viz_url
from ._session import SSO_TIMEOUT, ClientSession
from ._transport import SyncTransport

T = TypeVar("T")


class Client(_ClientBase[Plottable]):
    """An isolated graphport client: its own session, tokens, settings and HTTP connection pool.

    Safe to share between threads: session changes take a lock, and token renewal is single
    flight (N threads meeting an expiring token cause one auth request). A plot against a
    graphport server is one HTTP request; other REST v3 servers get the v3 sequence.

    Parameters:
        transport: an ``httpx.BaseTransport`` (an in-process server, a mock); default: the network.
        timeout: seconds (or an ``httpx.Timeout``) per request; default 300 s, 15 s to connect.
        progress: show a tqdm bar for uploads; default only for uploads over 4 MB when a terminal
            or notebook is watching.

    Example::

        import graphport
        with graphport.client() as g:
            g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="correct horse")
            url = g.edges(df, "src", "dst").plot(render=False)
    """

    _plottable_type = Plottable

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__()
        self._transport = SyncTransport(transport=transport, timeout=timeout, progress=progress)

    @property
    def is_closed(self) -> bool:
        """True once :meth:`close` ran; a closed client sends nothing."""
        return self._transport.is_closed

    def close(self) -> None:
        """Close the connection pool. Example: ``g.close()`` (or use ``with graphport.client() as g``)."""
        self._transport.close()
        self._session.connectors.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def register(
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
        """Point this client at a server and sign in; only this client changes.

        Sign-in, by precedence: ``username``+``password`` (one request), a personal key (one
        request), or ``token`` (one verify request, none with ``verify_token=False``). With
        credentials kept in memory (the default) the client signs in again by itself when a token
        cannot be refreshed. ``org_name`` puts every dataset in that organization. ``server`` is
        ``host:port`` (default ``127.0.0.1:8080``); ``protocol`` defaults to ``http`` for local
        hosts, else ``https``. Starts a new session: earlier ``privacy()`` settings are dropped;
        plottables made before keep the session they were made with.

        Raises ``ConfigError`` (bad arguments), ``AuthError``/``PermissionDenied`` (refused),
        ``TransportError`` (no answer). Returns this client.

        Example::

            g = graphport.client().register(api=3, server="127.0.0.1:8080", username="alice", password="correct horse")
        """
        arguments = {k: v for k, v in locals().items() if k not in ("self", "bolt")}
        session, verify, keep = self._prepare(arguments)
        self._transport.run(session, register_flow(session, verify))
        self._adopt(session, keep)
        if bolt is not None:
            self.set_bolt_driver(bolt)  # the graph database for cypher(), as register(bolt=) in pygraphistry
        return self

    def switch_org(self, org_name: str) -> None:
        """Put later datasets of this client in another organization (checked with the server).

        Example::

            g.switch_org("acme")
        """
        session = self._session
        self._transport.run(session, switch_flow(org_name))
        with self._lock:
            session.org_name = org_name

    def dataset_info(self, dataset_id: str) -> dict[str, Any]:
        """A dataset's metadata (name, owner, org, privacy, row counts, bindings) as this user sees it.

        Example::

            g.dataset_info(ds.id)["owner"]
        """
        session = self._session
        return self._transport.run(session, describe_flow(dataset_id))

    def from_dataset_id(self, dataset_id: str) -> Plottable:
        """A plottable made from a stored dataset: its tables (the uploaded nodes, with the ``x``/``y``
        the server computed), bindings, encodings, name, description and style; it plots with this
        client. The reference client hydrates only the metadata; graphport also reads the tables, so
        the result can be changed and plotted again.

        Example::

            g2 = g.from_dataset_id(ds.id).encode_point_color("kind", ["red", "blue"], as_categorical=True)
        """
        session = self._session
        spec = self._transport.run(session, from_dataset_flow(dataset_id))
        return Plottable(self, session, spec)

    def _run_flow(self, flow: Flow[T]) -> T:
        """Drive a conversation with the current session (what ``Dataset``'s live methods call)."""
        return self._transport.run(self._session, flow)

    def _upload(self, session: ClientSession, plottable: Plottable) -> Dataset:
        plan = plottable._plan(session)
        self._transport.token(session)  # fails early (not signed in) before probing the server
        one_request = self._transport.one_request_plot(session)
        dataset_id = self._transport.run(session, plot_flow(plan, one_request))
        url = viz_url(session, dataset_id, plottable._spec.url_params)
        return Dataset(id=dataset_id, url=url, name=plan.dataset["name"], client=self)


def client(
    *,
    transport: httpx.BaseTransport | None = None,
    timeout: float | httpx.Timeout | None = None,
    progress: bool | None = None,
) -> Client:
    """A new, isolated :class:`Client` (no network until ``register()``).

    Example::

        g = graphport.client()
        g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="correct horse")
    """
    return Client(transport=transport, timeout=timeout, progress=progress)
