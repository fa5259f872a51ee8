"""Database connectors of the graphport client: each turns a query's result into Arrow tables a
plottable takes. Optional dependencies are imported when used, with an error naming the extra to
install. Connections are held per client session (``ConnectorState``), never shared between clients.
"""

from ._common import ConnectorState
from ._cypher import GraphTables, cypher_to_tables, kuzu_rows_to_tables, neo4j_graph_to_tables
from ._kusto import KustoConfig, KustoConnection, graph_query, kusto_tables
from ._spanner import SpannerConfig, SpannerConnection, paths_to_tables, spanner_rows
from ._sql import rows_to_table, run_sql

__all__ = [
    "ConnectorState",
    "GraphTables",
    "KustoConfig",
    "KustoConnection",
    "SpannerConfig",
    "SpannerConnection",
    "cypher_to_tables",
    "graph_query",
    "kusto_tables",
    "kuzu_rows_to_tables",
    "neo4j_graph_to_tables",
    "paths_to_tables",
    "rows_to_table",
    "run_sql",
    "spanner_rows",
]
