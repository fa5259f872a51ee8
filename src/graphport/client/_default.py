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


# -- the rest of the official client's module-level API, on the default client (#14) ---------------
# ``import graphport as graphistry`` notebooks call these at module level; each is the default
# client's method of the same name (see :class:`Client`), with the same caveat as ``register``.


def addStyle(*args: Any, **kwargs: Any) -> Any:
    """``addStyle`` of the default client (see :meth:`Client.addStyle`)."""
    return default_client().addStyle(*args, **kwargs)


def bolt(*args: Any, **kwargs: Any) -> Any:
    """``bolt`` of the default client (see :meth:`Client.bolt`)."""
    return default_client().bolt(*args, **kwargs)


def configure_kusto(*args: Any, **kwargs: Any) -> Any:
    """``configure_kusto`` of the default client (see :meth:`Client.configure_kusto`)."""
    return default_client().configure_kusto(*args, **kwargs)


def configure_spanner(*args: Any, **kwargs: Any) -> Any:
    """``configure_spanner`` of the default client (see :meth:`Client.configure_spanner`)."""
    return default_client().configure_spanner(*args, **kwargs)


def cypher(*args: Any, **kwargs: Any) -> Any:
    """``cypher`` of the default client (see :meth:`Client.cypher`)."""
    return default_client().cypher(*args, **kwargs)


def description(*args: Any, **kwargs: Any) -> Any:
    """``description`` of the default client (see :meth:`Client.description`)."""
    return default_client().description(*args, **kwargs)


def encode_edge_badge(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_badge`` of the default client (see :meth:`Client.encode_edge_badge`)."""
    return default_client().encode_edge_badge(*args, **kwargs)


def encode_edge_color(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_color`` of the default client (see :meth:`Client.encode_edge_color`)."""
    return default_client().encode_edge_color(*args, **kwargs)


def encode_edge_icon(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_icon`` of the default client (see :meth:`Client.encode_edge_icon`)."""
    return default_client().encode_edge_icon(*args, **kwargs)


def encode_edge_label(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_label`` of the default client (see :meth:`Client.encode_edge_label`)."""
    return default_client().encode_edge_label(*args, **kwargs)


def encode_edge_opacity(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_opacity`` of the default client (see :meth:`Client.encode_edge_opacity`)."""
    return default_client().encode_edge_opacity(*args, **kwargs)


def encode_edge_size(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_size`` of the default client (see :meth:`Client.encode_edge_size`)."""
    return default_client().encode_edge_size(*args, **kwargs)


def encode_edge_title(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_title`` of the default client (see :meth:`Client.encode_edge_title`)."""
    return default_client().encode_edge_title(*args, **kwargs)


def encode_edge_weight(*args: Any, **kwargs: Any) -> Any:
    """``encode_edge_weight`` of the default client (see :meth:`Client.encode_edge_weight`)."""
    return default_client().encode_edge_weight(*args, **kwargs)


def encode_point_badge(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_badge`` of the default client (see :meth:`Client.encode_point_badge`)."""
    return default_client().encode_point_badge(*args, **kwargs)


def encode_point_color(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_color`` of the default client (see :meth:`Client.encode_point_color`)."""
    return default_client().encode_point_color(*args, **kwargs)


def encode_point_icon(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_icon`` of the default client (see :meth:`Client.encode_point_icon`)."""
    return default_client().encode_point_icon(*args, **kwargs)


def encode_point_label(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_label`` of the default client (see :meth:`Client.encode_point_label`)."""
    return default_client().encode_point_label(*args, **kwargs)


def encode_point_opacity(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_opacity`` of the default client (see :meth:`Client.encode_point_opacity`)."""
    return default_client().encode_point_opacity(*args, **kwargs)


def encode_point_size(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_size`` of the default client (see :meth:`Client.encode_point_size`)."""
    return default_client().encode_point_size(*args, **kwargs)


def encode_point_title(*args: Any, **kwargs: Any) -> Any:
    """``encode_point_title`` of the default client (see :meth:`Client.encode_point_title`)."""
    return default_client().encode_point_title(*args, **kwargs)


def from_dataset_id(*args: Any, **kwargs: Any) -> Any:
    """``from_dataset_id`` of the default client (see :meth:`Client.from_dataset_id`)."""
    return default_client().from_dataset_id(*args, **kwargs)


def from_igraph(*args: Any, **kwargs: Any) -> Any:
    """``from_igraph`` of the default client (see :meth:`Client.from_igraph`)."""
    return default_client().from_igraph(*args, **kwargs)


def from_networkx(*args: Any, **kwargs: Any) -> Any:
    """``from_networkx`` of the default client (see :meth:`Client.from_networkx`)."""
    return default_client().from_networkx(*args, **kwargs)


def hypergraph(*args: Any, **kwargs: Any) -> Any:
    """``hypergraph`` of the default client (see :meth:`Client.hypergraph`)."""
    return default_client().hypergraph(*args, **kwargs)


def kql(*args: Any, **kwargs: Any) -> Any:
    """``kql`` of the default client (see :meth:`Client.kql`)."""
    return default_client().kql(*args, **kwargs)


def kusto_graph(*args: Any, **kwargs: Any) -> Any:
    """``kusto_graph`` of the default client (see :meth:`Client.kusto_graph`)."""
    return default_client().kusto_graph(*args, **kwargs)


def layout_settings(*args: Any, **kwargs: Any) -> Any:
    """``layout_settings`` of the default client (see :meth:`Client.layout_settings`)."""
    return default_client().layout_settings(*args, **kwargs)


def name(*args: Any, **kwargs: Any) -> Any:
    """``name`` of the default client (see :meth:`Client.name`)."""
    return default_client().name(*args, **kwargs)


def pipe(*args: Any, **kwargs: Any) -> Any:
    """``pipe`` of the default client (see :meth:`Client.pipe`)."""
    return default_client().pipe(*args, **kwargs)


def scene_settings(*args: Any, **kwargs: Any) -> Any:
    """``scene_settings`` of the default client (see :meth:`Client.scene_settings`)."""
    return default_client().scene_settings(*args, **kwargs)


def set_bolt_driver(*args: Any, **kwargs: Any) -> Any:
    """``set_bolt_driver`` of the default client (see :meth:`Client.set_bolt_driver`)."""
    return default_client().set_bolt_driver(*args, **kwargs)


def settings(*args: Any, **kwargs: Any) -> Any:
    """``settings`` of the default client (see :meth:`Client.settings`)."""
    return default_client().settings(*args, **kwargs)


def spanner_gql(*args: Any, **kwargs: Any) -> Any:
    """``spanner_gql`` of the default client (see :meth:`Client.spanner_gql`)."""
    return default_client().spanner_gql(*args, **kwargs)


def spanner_gql_to_df(*args: Any, **kwargs: Any) -> Any:
    """``spanner_gql_to_df`` of the default client (see :meth:`Client.spanner_gql_to_df`)."""
    return default_client().spanner_gql_to_df(*args, **kwargs)


def sql(*args: Any, **kwargs: Any) -> Any:
    """``sql`` of the default client (see :meth:`Client.sql`)."""
    return default_client().sql(*args, **kwargs)


def style(*args: Any, **kwargs: Any) -> Any:
    """``style`` of the default client (see :meth:`Client.style`)."""
    return default_client().style(*args, **kwargs)


def switch_org(*args: Any, **kwargs: Any) -> Any:
    """``switch_org`` of the default client (see :meth:`Client.switch_org`)."""
    return default_client().switch_org(*args, **kwargs)
