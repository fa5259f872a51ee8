"""Plottables from databases: ``sql`` (SQLAlchemy), ``bolt``/``cypher`` (Neo4j driver or an embedded
Cypher engine), ``kql``/``kusto_graph`` (Azure Data Explorer, after the client's ``configure_kusto``)
and ``spanner_gql``/``spanner_gql_to_df`` (Cloud Spanner, after ``configure_spanner``). The queries and result conversions live in ``graphport.client.connectors``;
connections made from URLs are kept in the client's session (``ClientSession.connectors``), never in
a plottable's repr, a log line or an error message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from ..errors import ConfigError
from ._graph_spec import SpecHolder
from .connectors import (
    KustoConnection,
    SpannerConnection,
    cypher_to_tables,
    graph_query,
    kusto_tables,
    paths_to_tables,
    run_sql,
    spanner_rows,
)
from .connectors._common import require


class ConnectorMethods(SpecHolder):
    """Database connectors of a plottable."""

    __slots__ = ()

    def sql(
        self,
        query: Any,
        engine_or_url: Any,
        params: Mapping[str, Any] | None = None,
        as_nodes: bool = False,
        *,
        source: str | None = None,
        destination: str | None = None,
        node: str | None = None,
    ) -> Self:
        """A plottable whose edges (or, with ``as_nodes=True``, nodes) are the rows of a SQL query.

        ``engine_or_url`` is a SQLAlchemy ``Engine``/``Connection`` or a database URL; an engine made
        from a URL is kept in this client's session and reused (its password never appears in a repr,
        a log line or an error). ``params`` fills ``:name`` placeholders. ``source``/``destination``
        (``node`` with ``as_nodes``) bind the id columns.

        Example::

            g2 = g.sql("SELECT s, d, w FROM flows WHERE w > :w", "duckdb:///flows.duckdb", {"w": 2},
                       source="s", destination="d")
            g3 = g2.sql("SELECT id, kind FROM hosts", engine, as_nodes=True, node="id")
        """
        table = run_sql(self._session.connectors, query, engine_or_url, params)
        if as_nodes:
            if source is not None or destination is not None:
                raise ConfigError("sql(as_nodes=True) binds node=, not source=/destination=.")
            return self._with_table("nodes", table)._bind({"node": node})
        if node is not None:
            raise ConfigError("sql() makes edges; bind node= with as_nodes=True, or source=/destination=.")
        return self._with_table("edges", table)._bind({"source": source, "destination": destination})

    def bolt(self, driver: Any) -> Self:
        """A plottable whose ``cypher()`` queries run on ``driver``: a ``neo4j`` driver (or a dict
        ``{"uri": ..., "auth": (user, password)}`` to make one), or an embedded engine's connection
        (a ``kuzu.Connection``). Kept on this plottable only, as in the reference client.

        Example::

            g2 = g.bolt(neo4j.GraphDatabase.driver("bolt://localhost:7687", auth=("neo4j", "pw")))
        """
        return self._with(graph_db=driver)

    def cypher(self, query: str, params: Mapping[str, Any] | None = None) -> Self:
        """A plottable of the nodes and relationships a Cypher query returns (from ``bolt()``, else
        the client's ``register(bolt=...)``), in the reference client's columns: nodes
        ``_bolt_node_id_key``, ``type`` and their properties; edges ``_bolt_relationship_id``, ``type``,
        ``_bolt_start_node_id_key``, ``_bolt_end_node_id_key`` and their properties (bound).

        Example::

            g2 = g.bolt(driver).cypher("MATCH (a)-[r]->(b) WHERE a.score > $s RETURN a, r, b", {"s": 3})
        """
        db = self._spec.graph_db if self._spec.graph_db is not None else self._session.connectors.graph_db
        if db is None:
            raise ConfigError(
                "cypher() needs a graph database: call .bolt(driver) first (a neo4j driver or a "
                "kuzu.Connection), or register(bolt=...)."
            )
        tables = cypher_to_tables(db, query, dict(params or {}))
        return (
            self._with_table("edges", tables.edges)
            ._with_table("nodes", tables.nodes)
            ._bind({"source": tables.source, "destination": tables.destination, "node": tables.node})
        )

    # -- Kusto -------------------------------------------------------------------------------------

    def _kusto(self) -> KustoConnection:
        handle = self._session.connectors.kusto
        if handle is None:
            raise ConfigError(
                "Kusto is not configured for this client; call client.configure_kusto(cluster=...) or "
                "client.kusto_from_client(kusto_client, database) first."
            )
        assert isinstance(handle, KustoConnection)
        return handle

    def kql(self, query: str, *, unwrap_nested: bool | None = None, single_table: bool = True) -> Any:
        """Run a KQL query on the client's Kusto database; the first result table as a pandas
        DataFrame (all of them, a list, with ``single_table=False``). ``dynamic`` values arrive as
        JSON text; ``unwrap_nested=True`` flattens dict-valued columns into ``col.key`` columns.

        Example::

            df = g.kql("SecurityEvent | where TimeGenerated > ago(1h) | take 1000")
        """
        pd = require("pandas", "pandas", "kql()")
        frames = [t.to_pandas() for t in kusto_tables(self._kusto(), query)]
        if unwrap_nested:
            frames = [_unwrap(pd, f) for f in frames]
        if single_table:
            if not frames:
                raise ConfigError(f"kql({query!r}) returned no table; use single_table=False to accept that.")
            return frames[0]
        return frames

    def kusto_graph(self, graph_name: str, snap_name: str | None = None) -> Self:
        """A plottable of a Kusto graph entity (and snapshot): nodes by ``g_NodeId``, edges
        ``g_src`` -> ``g_dst``, as the reference client binds them.

        Example::

            g2 = g.kusto_graph("NetworkTopology", "2024-12-01")
        """
        tables = kusto_tables(self._kusto(), graph_query(graph_name, snap_name))
        if len(tables) != 2:
            raise ConfigError(
                f"kusto_graph({graph_name!r}) expected node and edge tables; got {len(tables)}."
            )
        nodes, edges = tables
        return (
            self._with_table("nodes", nodes)
            ._with_table("edges", edges)
            ._bind({"node": "g_NodeId", "source": "g_src", "destination": "g_dst"})
        )

    # -- Spanner -----------------------------------------------------------------------------------

    def _spanner(self) -> SpannerConnection:
        handle = self._session.connectors.spanner
        if handle is None:
            raise ConfigError(
                "Spanner is not configured for this client; call client.configure_spanner(instance_id, "
                "database_id, ...) or client.spanner_from_client(connection) first."
            )
        assert isinstance(handle, SpannerConnection)
        return handle

    def spanner_gql(self, query: str) -> Self:
        """A plottable of the paths a Spanner Graph query returns as ``SAFE_TO_JSON(p)``: nodes by
        ``identifier``, edges ``source`` -> ``destination``, ``type`` from the label.

        Example::

            g2 = g.spanner_gql("GRAPH FinGraph MATCH p = (a)-[t:Transfers]->(b) RETURN SAFE_TO_JSON(p) AS path")
        """
        _, rows = spanner_rows(self._spanner(), query)
        nodes, edges = paths_to_tables(rows)
        return (
            self._with_table("nodes", nodes)
            ._with_table("edges", edges)
            ._bind({"node": "identifier", "source": "source", "destination": "destination"})
        )

    def spanner_gql_to_df(self, query: str) -> Any:
        """A Spanner GQL or SQL query's rows as a pandas DataFrame.

        Example::

            df = g.spanner_gql_to_df("SELECT * FROM Account LIMIT 10")
        """
        pd = require("pandas", "pandas", "spanner_gql_to_df()")
        columns, rows = spanner_rows(self._spanner(), query)
        return pd.DataFrame([list(r) for r in rows], columns=columns)

    def spanner_gql_to_g(self, query: str) -> Self:
        """The earlier name of :meth:`spanner_gql`."""
        return self.spanner_gql(query)

    def spanner_query_to_df(self, query: str) -> Any:
        """The earlier name of :meth:`spanner_gql_to_df`."""
        return self.spanner_gql_to_df(query)


def _unwrap(pd: Any, frame: Any) -> Any:
    """``frame`` with JSON-object columns flattened into ``col.key`` columns."""
    import json

    for column in list(frame.columns):
        values = frame[column]
        if values.map(lambda v: isinstance(v, str) and v.startswith("{")).any():
            parsed = values.map(lambda v: json.loads(v) if isinstance(v, str) and v.startswith("{") else {})
            flat = pd.json_normalize(list(parsed)).add_prefix(f"{column}.")
            frame = pd.concat([frame.drop(columns=[column]), flat.set_index(frame.index)], axis=1)
    return frame
