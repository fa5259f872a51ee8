"""The reference client's shortcuts on a client: ``g.encode_point_color(...)``, ``g.hypergraph(df)``,
``g.sql(...)`` and the like start a new plottable of this client and call the same-named plottable
method (see :class:`graphport.Plottable` for the arguments).

Below the clients (``_client_base``), above the plottable.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from ._plottable import AsyncPlottable, Plottable

P = TypeVar("P", Plottable, AsyncPlottable)


class PlottableShortcuts(Generic[P]):
    """``client.<method>(...)`` = ``client.bind().<method>(...)`` for the reference client's shortcuts."""

    def _new(self) -> P:
        raise NotImplementedError

    def hypergraph(self, raw_events: Any, entity_types: list[str] | None = None, **kwargs: Any) -> Any:
        """The hypergraph transform (see :meth:`Plottable.hypergraph`). As in the reference client's
        module-level ``graphistry.hypergraph``, the result is a dict (``return_as='all'``): entities,
        events, edges, nodes and graph.

        Example::

            hg = g.hypergraph(df, ["attackerIP", "victimIP"]); url = hg["graph"].plot(render=False)
        """
        kwargs.setdefault("return_as", "all")
        return self._new().hypergraph(raw_events, entity_types, **kwargs)

    def addStyle(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.addStyle`. Example: ``g2 = g.addStyle(bg={'color': 'black'})``."""
        return self._new().addStyle(*args, **kwargs)

    def style(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.style`. Example: ``g2 = g.style(page={'title': 'Flows'})``."""
        return self._new().style(*args, **kwargs)

    def settings(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.settings`. Example: ``g2 = g.settings(url_params={'play': 0})``."""
        return self._new().settings(*args, **kwargs)

    def layout_settings(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.layout_settings`. Example: ``g2 = g.layout_settings(play=0)``."""
        return self._new().layout_settings(*args, **kwargs)

    def scene_settings(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.scene_settings`. Example: ``g2 = g.scene_settings(show_arrows=False)``."""
        return self._new().scene_settings(*args, **kwargs)

    def name(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.name`. Example: ``g2 = g.name('flows')``."""
        return self._new().name(*args, **kwargs)

    def description(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.description`. Example: ``g2 = g.description('from the WAF')``."""
        return self._new().description(*args, **kwargs)

    def encode_point_color(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_color`. Example: ``g2 = g.encode_point_color('kind', ['red', 'blue'], as_categorical=True)``."""
        return self._new().encode_point_color(*args, **kwargs)

    def encode_edge_color(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_color`. Example: ``g2 = g.encode_edge_color('w', ['blue', 'red'], as_continuous=True)``."""
        return self._new().encode_edge_color(*args, **kwargs)

    def encode_point_size(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_size`. Example: ``g2 = g.encode_point_size('degree')``."""
        return self._new().encode_point_size(*args, **kwargs)

    def encode_edge_size(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_size`. Example: ``g2 = g.encode_edge_size('w')``."""
        return self._new().encode_edge_size(*args, **kwargs)

    def encode_edge_weight(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_weight`. Example: ``g2 = g.encode_edge_weight('w')``."""
        return self._new().encode_edge_weight(*args, **kwargs)

    def encode_point_opacity(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_opacity`. Example: ``g2 = g.encode_point_opacity('o')``."""
        return self._new().encode_point_opacity(*args, **kwargs)

    def encode_edge_opacity(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_opacity`. Example: ``g2 = g.encode_edge_opacity('o')``."""
        return self._new().encode_edge_opacity(*args, **kwargs)

    def encode_point_title(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_title`. Example: ``g2 = g.encode_point_title('name')``."""
        return self._new().encode_point_title(*args, **kwargs)

    def encode_point_label(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_label`. Example: ``g2 = g.encode_point_label('name')``."""
        return self._new().encode_point_label(*args, **kwargs)

    def encode_edge_title(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_title`. Example: ``g2 = g.encode_edge_title('kind')``."""
        return self._new().encode_edge_title(*args, **kwargs)

    def encode_edge_label(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_label`. Example: ``g2 = g.encode_edge_label('kind')``."""
        return self._new().encode_edge_label(*args, **kwargs)

    def encode_point_icon(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_icon`. Example: ``g2 = g.encode_point_icon('kind', categorical_mapping={'mac': 'laptop'})``."""
        return self._new().encode_point_icon(*args, **kwargs)

    def encode_edge_icon(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_icon`. Example: ``g2 = g.encode_edge_icon('proto', categorical_mapping={'ssh': 'lock'})``."""
        return self._new().encode_edge_icon(*args, **kwargs)

    def encode_point_badge(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_point_badge`. Example: ``g2 = g.encode_point_badge('flag', 'TopRight', as_text=True)``."""
        return self._new().encode_point_badge(*args, **kwargs)

    def encode_edge_badge(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.encode_edge_badge`. Example: ``g2 = g.encode_edge_badge('proto', 'Cover', as_text=True)``."""
        return self._new().encode_edge_badge(*args, **kwargs)

    def from_networkx(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.from_networkx`. Example: ``g2 = g.from_networkx(nx.karate_club_graph())``."""
        return self._new().from_networkx(*args, **kwargs)

    def from_igraph(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.from_igraph`. Example: ``g2 = g.from_igraph(igraph.Graph.Famous('Zachary'))``."""
        return self._new().from_igraph(*args, **kwargs)

    def pipe(self, *args: Any, **kwargs: Any) -> Any:
        """A new plottable of this client, then :meth:`Plottable.pipe`. Example: ``g2 = g.pipe(lambda p: p.name('x'))``."""
        return self._new().pipe(*args, **kwargs)

    def sql(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.sql`. Example: ``g.sql('SELECT s, d FROM e', 'sqlite:///e.db', source='s', destination='d')``."""
        return self._new().sql(*args, **kwargs)

    def bolt(self, *args: Any, **kwargs: Any) -> P:
        """A new plottable of this client, then :meth:`Plottable.bolt`. Example: ``g.bolt(driver)``."""
        return self._new().bolt(*args, **kwargs)

    def cypher(self, query: str, params: dict[str, Any] | None = None) -> P:
        """A new plottable of this client, then :meth:`Plottable.cypher` on the client's graph database
        (``set_bolt_driver()``). Example: ``g.cypher('MATCH (a)-[r]->(b) RETURN a, r, b')``."""
        return self._new().cypher(query, params)

    def kql(self, query: str, *, unwrap_nested: bool | None = None, single_table: bool = True) -> Any:
        """:meth:`Plottable.kql` on this client's Kusto database. Example: ``df = g.kql("T | take 10")``."""
        return self._new().kql(query, unwrap_nested=unwrap_nested, single_table=single_table)

    def kusto_graph(self, graph_name: str, snap_name: str | None = None) -> P:
        """:meth:`Plottable.kusto_graph` on a new plottable. Example: ``g.kusto_graph("Topology").plot()``."""
        return self._new().kusto_graph(graph_name, snap_name)

    def spanner_gql(self, query: str) -> P:
        """:meth:`Plottable.spanner_gql` on a new plottable. Example: ``g.spanner_gql(q).plot()``."""
        return self._new().spanner_gql(query)

    def spanner_gql_to_df(self, query: str) -> Any:
        """:meth:`Plottable.spanner_gql_to_df`. Example: ``df = g.spanner_gql_to_df("SELECT 1")``."""
        return self._new().spanner_gql_to_df(query)

    def spanner_gql_to_g(self, query: str) -> P:
        """The earlier name of :meth:`spanner_gql`."""
        return self._new().spanner_gql(query)

    def spanner_query_to_df(self, query: str) -> Any:
        """The earlier name of :meth:`spanner_gql_to_df`."""
        return self._new().spanner_gql_to_df(query)
