"""``graphport.Client``: one isolated session with its own server, credentials, org, privacy and
connection pool. Safe to share between threads.

Two clients never share state: two tenants, two servers, or two tests can live in one process.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Generic, Self, TypeVar

import httpx

from ..errors import ConfigError
from ._dataset import Dataset
from ._plottable import AsyncPlottable, Plottable, _PlottableBase
from ._protocol import describe_flow, plot_flow, register_flow, switch_flow, viz_url
from ._session import ClientSession, Credentials, PrivacySettings, Token, mask
from ._transport import SyncTransport

P = TypeVar("P", Plottable, AsyncPlottable)
DEFAULT_SERVER = "127.0.0.1:8080"
_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]", "graphport.local")


def _server_and_protocol(server: str | None, protocol: str | None) -> tuple[str, str]:
    raw = (server or DEFAULT_SERVER).strip()
    if "://" in raw:
        scheme, _, raw = raw.partition("://")
        if protocol is not None and protocol != scheme:
            raise ConfigError(
                f"register(server={server!r}, protocol={protocol!r}) disagree; give the host as "
                "server='host:port' and the scheme as protocol=."
            )
        protocol = scheme
    raw = raw.rstrip("/")
    if not raw:
        raise ConfigError(f"register(server={server!r}) names no host; expected e.g. '127.0.0.1:8080'.")
    if protocol is None:
        host = raw.split("/", 1)[0].rsplit(":", 1)[0] if not raw.startswith("[") else raw.split("]")[0] + "]"
        protocol = "http" if host in _LOCAL_HOSTS else "https"
    if protocol not in ("http", "https"):
        raise ConfigError(f"register(protocol={protocol!r}) is not supported; expected 'http' or 'https'.")
    return raw, protocol


def _new_session(
    *,
    api: int | None,
    server: str | None,
    protocol: str | None,
    username: str | None,
    password: str | None,
    token: str | None,
    personal_key_id: str | None,
    personal_key_secret: str | None,
    org_name: str | None,
    certificate_validation: bool,
    client_protocol_hostname: str | None,
    is_sso_login: bool,
    idp_name: str | None,
) -> ClientSession:
    if api not in (None, 3):
        raise ConfigError(f"register(api={api!r}) is not supported; graphport speaks api=3 only.")
    if is_sso_login or idp_name:
        raise ConfigError(
            "Single sign-on is not supported by the graphport client; register with username/password, "
            "personal_key_id/personal_key_secret, or token."
        )
    if (username is None) != (password is None):
        given = "username" if username is not None else "password"
        raise ConfigError(f"register() got {given}= without its pair; pass both username= and password=.")
    if (personal_key_id is None) != (personal_key_secret is None):
        raise ConfigError(
            "register() needs personal_key_id= and personal_key_secret= together; one of them is missing."
        )
    if org_name is not None and username is None and personal_key_id is None and token is None:
        raise ConfigError(
            f"register(org_name={org_name!r}) without credentials would start single sign-on, which "
            "graphport does not support; add username/password, a personal key, or token."
        )
    host, scheme = _server_and_protocol(server, protocol)
    if username is not None:
        credentials = Credentials(username=username, password=password)
    elif personal_key_id is not None:
        credentials = Credentials(key_id=personal_key_id, key_secret=personal_key_secret)
    else:
        credentials = Credentials()
    return ClientSession(
        server=host,
        protocol=scheme,
        credentials=credentials,
        token=Token.parse(token) if token and credentials.kind == "token" else None,
        org_name=org_name or None,
        client_protocol_hostname=client_protocol_hostname,
        verify=certificate_validation,
        registered=True,
    )


class _ClientBase(Generic[P]):
    """What the sync and async clients share: session handling and plottable factories."""

    _plottable_type: type[P]

    def __init__(self) -> None:
        self._lock = threading.RLock()
        host, scheme = _server_and_protocol(None, None)
        self._session = ClientSession(server=host, protocol=scheme)

    @property
    def session(self) -> ClientSession:
        """The current session (replaced by each ``register()``)."""
        return self._session

    @property
    def server_url(self) -> str:
        """``protocol://server`` of the current session."""
        return self._session.base_url

    def __repr__(self) -> str:
        s = self._session
        return (
            f"<graphport.{type(self).__name__} server={s.base_url!r} user={s.username!r} "
            f"auth={s.credentials.kind!r} org={s.org_name!r} "
            f"token={mask(s.token.value if s.token else None)!r}>"
        )

    def _prepare(self, kwargs: dict[str, Any]) -> tuple[ClientSession, bool, bool]:
        verify_token = bool(kwargs.pop("verify_token", True))
        keep = bool(kwargs.pop("store_token_creds_in_memory", True))
        kwargs.pop("key", None)  # deprecated in the reference client and ignored there too
        return _new_session(**kwargs), verify_token, keep

    def _adopt(self, session: ClientSession, keep_credentials: bool) -> None:
        if not keep_credentials and session.credentials.can_login:
            session.credentials = Credentials()
        with self._lock:
            self._session = session

    def privacy(
        self,
        mode: str | None = None,
        notify: bool | None = None,
        invited_users: Sequence[Any] | None = None,
        mode_action: str | None = None,
        message: str | None = None,
    ) -> None:
        """Set this client's sharing defaults for every later plot (until the next ``register()``).

        ``mode`` is ``private`` (the default once called), ``organization`` (alias ``org``) or
        ``public``. Plottables may override single fields with their own ``privacy()``.

        Example::

            g.privacy(mode="organization", invited_users=["bob@example.org"])
        """
        settings = PrivacySettings.build(mode, notify, invited_users, mode_action, message)
        with self._lock:
            self._session.privacy = settings

    # -- plottable factories ----------------------------------------------------------------------

    def _new(self) -> P:
        return self._plottable_type(self, self._session)

    def edges(
        self, edges: Any, source: str | None = None, destination: str | None = None, edge: str | None = None
    ) -> P:
        """A new plottable with this edges table, bound to this client.

        Example::

            url = g.edges(df, "src", "dst").plot(render=False)
        """
        return self._new().edges(edges, source, destination, edge)

    def nodes(self, nodes: Any, node: str | None = None) -> P:
        """A new plottable with this nodes table, bound to this client.

        Example::

            g2 = g.nodes(ndf, "id").edges(df, "src", "dst")
        """
        return self._new().nodes(nodes, node)

    def bind(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable with these bindings (see :meth:`Plottable.bind`), bound to this client.

        Example::

            g2 = g.bind(source="src", destination="dst", edges=df)
        """
        return self._new().bind(*args, **kwargs)

    def set_client_for(self, plottable: _PlottableBase) -> P:
        """A copy of ``plottable`` that plots with this client: its server, token, org and privacy.

        Example::

            url = bob.set_client_for(alice_plottable).plot(render=False)
        """
        if not isinstance(plottable, _PlottableBase):
            raise ConfigError(
                f"set_client_for() takes a plottable (from client.edges()/nodes()/bind()); got a "
                f"{type(plottable).__name__}."
            )
        return self._plottable_type(self, self._session, plottable._spec)


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
        key: str | None = None,
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
        arguments = {k: v for k, v in locals().items() if k != "self"}
        session, verify, keep = self._prepare(arguments)
        self._transport.run(session, register_flow(session, verify))
        self._adopt(session, keep)
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
