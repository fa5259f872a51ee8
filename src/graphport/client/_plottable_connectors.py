"""Plottables from databases: ``sql`` (SQLAlchemy), ``bolt``/``cypher`` (Neo4j driver or an embedded
Cypher engine), ``kql``/``kusto_graph`` (Azure Data Explorer) and ``spanner_*`` (Cloud Spanner).
The queries and result conversions live in ``graphport.client.connectors``; connections made from
URLs or configurations are kept in the client's session (``ClientSession.connectors``), never in a
plottable's repr, a log line or an error message."""

from __future__ import annotations

from ._graph_spec import SpecHolder


class ConnectorMethods(SpecHolder):
    """Database connectors of a plottable."""

    __slots__ = ()
