"""Database connectors of the graphport client: each turns a query's result into Arrow tables a
plottable takes. Optional dependencies are imported when used, with an error naming the extra to
install. Connections are held per client session (``ConnectorState``), never shared between clients.
"""

from ._common import ConnectorState
from ._cypher import GraphTables, cypher_to_tables, kuzu_rows_to_tables, neo4j_graph_to_tables
from ._sql import run_sql

__all__ = [
    "ConnectorState",
    "GraphTables",
    "cypher_to_tables",
    "kuzu_rows_to_tables",
    "neo4j_graph_to_tables",
    "run_sql",
]
