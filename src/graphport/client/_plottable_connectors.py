"""Plottables from databases: ``sql`` (SQLAlchemy), ``bolt``/``cypher`` (Neo4j driver or an embedded
Cypher engine). The queries and result conversions live in ``graphport.client.connectors``;
connections made from URLs are kept in the client's session (``ClientSession.connectors``), never in
a plottable's repr, a log line or an error message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from ..errors import ConfigError
from ._graph_spec import SpecHolder
from .connectors import cypher_to_tables, run_sql


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
