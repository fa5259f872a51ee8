"""The module-level convenience functions and the one default client behind them.

``graphport.register(...)``, ``graphport.edges(...)`` and friends act on one lazily created
:class:`Client`. That is handy in a notebook and unsafe for multi-tenancy: every caller in the
process shares that client's user. Services should make their own clients with
``graphport.client()``. Code inside graphport never calls these functions.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from ._client import Client
from ._plottable import Plottable, _PlottableBase

_lock = threading.Lock()
_default: Client | None = None


def default_client() -> Client:
    """The process-wide default client, made on first use (never at import)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                _default = Client()
    return _default


def register(**kwargs: Any) -> Client:
    """Register the default client (see :meth:`Client.register`); plottables made before keep
    their old session. Unsafe for multi-tenancy: use ``graphport.client()`` there.

    Example::

        graphport.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="pw")
    """
    client = default_client()
    with _lock:
        return client.register(**kwargs)


def privacy(
    mode: str | None = None,
    notify: bool | None = None,
    invited_users: Sequence[Any] | None = None,
    mode_action: str | None = None,
    message: str | None = None,
) -> None:
    """Set the default client's sharing defaults (see :meth:`Client.privacy`).

    Example::

        graphport.privacy(mode="organization")
    """
    default_client().privacy(mode, notify, invited_users, mode_action, message)


def edges(
    edges: Any, source: str | None = None, destination: str | None = None, edge: str | None = None
) -> Plottable:
    """A plottable on the default client with this edges table (see :meth:`Client.edges`).

    Example::

        url = graphport.edges(df, "src", "dst").plot(render=False)
    """
    return default_client().edges(edges, source, destination, edge)


def nodes(nodes: Any, node: str | None = None) -> Plottable:
    """A plottable on the default client with this nodes table (see :meth:`Client.nodes`).

    Example::

        g = graphport.nodes(ndf, "id").edges(df, "src", "dst")
    """
    return default_client().nodes(nodes, node)


def bind(*args: Any, **kwargs: Any) -> Plottable:
    """A plottable on the default client with these bindings (see :meth:`Plottable.bind`).

    Example::

        g = graphport.bind(source="src", destination="dst", edges=df)
    """
    return default_client().bind(*args, **kwargs)


def set_client_for(plottable: _PlottableBase) -> Plottable:
    """A copy of ``plottable`` that plots with the default client (see :meth:`Client.set_client_for`).

    Example::

        url = graphport.set_client_for(g).plot(render=False)
    """
    return default_client().set_client_for(plottable)
