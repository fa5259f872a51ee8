"""What :class:`graphport.Client` and :class:`graphport.AsyncClient` share: building a session from
``register()``'s arguments, session handling, ``privacy()`` and the plottable factories.

Below both drivers (``_client``, ``_async``), which never import each other.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from ..errors import ConfigError
from ._client_connectors import ConnectorSettings
from ._client_shortcuts import PlottableShortcuts
from ._frames import to_table
from ._graph_spec import GraphSpec, spec_from_dataset
from ._live import table_flow
from ._plottable import AsyncPlottable, Plottable, _PlottableBase
from ._protocol import Flow, describe_flow
from ._session import SSO_TIMEOUT, ClientSession, Credentials, PrivacySettings, Token, mask

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
    sso_opt_into_type: str | None = None,
    sso_timeout: float | None = SSO_TIMEOUT,
) -> ClientSession:
    if api not in (None, 3):
        raise ConfigError(f"register(api={api!r}) is not supported; graphport speaks api=3 only.")
    if sso_opt_into_type not in (None, "browser", "display"):
        raise ConfigError(
            f"register(sso_opt_into_type={sso_opt_into_type!r}) is not supported; expected 'browser' "
            "(open the sign-in page), 'display' (show its link in a notebook) or None (print it)."
        )
    # As the official client: no username, key or token, and an org or identity provider named
    # (or is_sso_login), means single sign-on at the server's identity provider.
    wants_sso = is_sso_login or idp_name is not None or org_name is not None
    if wants_sso and username is None and personal_key_id is None and token is None:
        host, scheme = _server_and_protocol(server, protocol)
        return ClientSession(
            server=host,
            protocol=scheme,
            credentials=Credentials(
                sso=True, idp_name=idp_name, sso_opt_into_type=sso_opt_into_type, sso_timeout=sso_timeout
            ),
            org_name=org_name or None,
            client_protocol_hostname=client_protocol_hostname,
            verify=certificate_validation,
            registered=True,
        )
    if is_sso_login or idp_name:
        raise ConfigError(
            "register(is_sso_login=..., idp_name=...) signs in through the identity provider, so it "
            "takes no username, personal key or token; give one or the other."
        )
    if (username is None) != (password is None):
        given = "username" if username is not None else "password"
        raise ConfigError(f"register() got {given}= without its pair; pass both username= and password=.")
    if (personal_key_id is None) != (personal_key_secret is None):
        raise ConfigError(
            "register() needs personal_key_id= and personal_key_secret= together; one of them is missing."
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


def from_dataset_flow(dataset_id: str) -> Flow[GraphSpec]:
    """Read a stored dataset back: its description, its edges and (when uploaded) its nodes."""
    if not isinstance(dataset_id, str) or not dataset_id.strip():
        raise ConfigError(f"from_dataset_id({dataset_id!r}) needs a dataset id (a non-empty string).")
    dataset_id = dataset_id.strip()
    info = yield from describe_flow(dataset_id)
    edges = yield from table_flow(dataset_id, "edges")
    rows = info.get("rows") or {}
    nodes = (yield from table_flow(dataset_id, "nodes")) if rows.get("nodes") else None
    return spec_from_dataset(
        info, to_table(edges, "edges"), None if nodes is None else to_table(nodes, "nodes")
    )


class _ClientBase(ConnectorSettings, PlottableShortcuts[P], Generic[P]):
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
            session.connectors = self._session.connectors  # database connections outlive register()
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
        self,
        edges: Any,
        source: str | None = None,
        destination: str | None = None,
        edge: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> P:
        """A new plottable with this edges table, bound to this client.

        Example::

            url = g.edges(df, "src", "dst").plot(render=False)
        """
        return self._new().edges(edges, source, destination, edge, *args, **kwargs)

    def nodes(self, nodes: Any, node: str | None = None, *args: Any, **kwargs: Any) -> P:
        """A new plottable with this nodes table, bound to this client.

        Example::

            g2 = g.nodes(ndf, "id").edges(df, "src", "dst")
        """
        return self._new().nodes(nodes, node, *args, **kwargs)

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
