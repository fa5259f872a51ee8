"""Azure Data Explorer (Kusto) through the official ``azure-kusto-data`` SDK: ``kql()`` results as
tables, ``kusto_graph()`` (the ``graph-to-table`` operator) as nodes and edges, as the reference
client does (``graphistry.plugins.kusto``).

Configured per client (``configure_kusto`` or ``kusto_from_client``); the SDK client is made on first
use and kept in the session's :class:`ConnectorState`. The client secret appears in no repr or error.
Tested against the SDK's own response types (``KustoResponseDataSetV2``) built from recorded V2 JSON
responses; not against a live cluster (none runs here).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from typing import Any

import pyarrow as pa

from ...errors import ConfigError
from ._common import fail, require
from ._sql import rows_to_table

NODE_ID, SOURCE, DESTINATION = "g_NodeId", "g_src", "g_dst"


@dataclasses.dataclass(frozen=True, repr=False)
class KustoConfig:
    """Where and as whom to query Kusto (service principal, else device sign-in)."""

    cluster: str
    database: str = "NetDefaultDB"
    client_id: str | None = None
    client_secret: str | None = None
    tenant_id: str | None = None

    def __repr__(self) -> str:
        secret = "'***'" if self.client_secret else None
        return (
            f"KustoConfig(cluster={self.cluster!r}, database={self.database!r}, client_id={self.client_id!r}, "
            f"client_secret={secret}, tenant_id={self.tenant_id!r})"
        )


class KustoConnection:
    """A configuration, or an SDK client given by the caller, and the client made from it."""

    def __init__(self, database: str, config: KustoConfig | None = None, client: Any = None) -> None:
        self.database = database
        self.config = config
        self._client = client
        self._lock = threading.Lock()

    @property
    def secrets(self) -> list[str | None]:
        return [self.config.client_secret] if self.config else []

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                assert self.config is not None
                self._client = _make_client(self.config)
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None and self.config is not None and hasattr(client, "close"):
            client.close()  # only clients made here; one given by the caller stays open

    def __repr__(self) -> str:
        return f"<KustoConnection database={self.database!r} config={self.config!r}>"


def _make_client(config: KustoConfig) -> Any:
    data = require("azure.kusto.data", "kusto", "Kusto")
    builder = data.KustoConnectionStringBuilder
    try:
        if config.client_id and config.client_secret and config.tenant_id:
            kcsb = builder.with_aad_application_key_authentication(
                config.cluster, config.client_id, config.client_secret, config.tenant_id
            )
        else:
            kcsb = builder.with_aad_device_authentication(config.cluster)
        return data.KustoClient(kcsb)
    except Exception as exc:
        fail("Kusto: connecting", exc, [config.client_secret])


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def kusto_tables(connection: KustoConnection, query: str) -> list[pa.Table]:
    """Run ``query`` and return each primary result as a table (``dynamic`` values as JSON text).

    Example::

        tables = kusto_tables(conn, "StormEvents | take 10")
    """
    client = connection.client()
    try:
        response = client.execute(connection.database, query)
        results = list(response.primary_results)
    except Exception as exc:
        fail("Kusto: the query", exc, connection.secrets)
    tables = []
    for result in results:
        columns = [c.column_name for c in result.columns]
        rows = [tuple(_cell(v) for v in row) for row in result.rows]
        tables.append(rows_to_table(columns, rows))
    return tables


def graph_query(graph_name: str, snap_name: str | None = None) -> str:
    """The reference client's query for a Kusto graph entity (nodes then edges)."""
    if '"' in graph_name or (snap_name and '"' in snap_name):
        raise ConfigError("kusto_graph(): graph and snapshot names cannot contain double quotes.")
    snapshot = f', "{snap_name}"' if snap_name else ""
    return (
        f'graph("{graph_name}"{snapshot}) | graph-to-table nodes as N with_node_id={NODE_ID}, '
        f"edges as E with_source_id={SOURCE} with_target_id={DESTINATION}; N;E"
    )
