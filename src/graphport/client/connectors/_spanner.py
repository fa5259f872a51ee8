"""Google Cloud Spanner through the official ``google-cloud-spanner`` SDK (its DB-API connection):
``spanner_gql_to_df()`` for tabular results and ``spanner_gql()`` for path queries returning
``SAFE_TO_JSON(p)``, turned into nodes (``identifier``, ``label``, ``type``, properties) and edges
(``identifier``, ``label``, ``type``, ``source``, ``destination``, properties), as the reference
client does (``graphistry.plugins.spanner``).

Tested against the SDK's own ``JsonObject`` values from a recorded path result; not against a live
Spanner instance (none runs here).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from ._common import fail, require
from ._sql import rows_to_table

NODE_ID, SOURCE, DESTINATION = "identifier", "source", "destination"


@dataclasses.dataclass(frozen=True)
class SpannerConfig:
    """Which database to open (credentials from ``credentials_file`` or the environment)."""

    instance_id: str
    database_id: str
    project_id: str | None = None
    credentials_file: str | None = None


class SpannerConnection:
    """A configuration, or a DB-API connection given by the caller, and the connection made from it."""

    def __init__(self, config: SpannerConfig | None = None, connection: Any = None) -> None:
        self.config = config
        self._connection = connection
        self._lock = threading.Lock()

    def connection(self) -> Any:
        with self._lock:
            if self._connection is None:
                assert self.config is not None
                dbapi = require("google.cloud.spanner_dbapi", "spanner", "Spanner")
                c = self.config
                try:
                    self._connection = dbapi.connect(
                        c.instance_id, c.database_id, project=c.project_id, credentials=c.credentials_file
                    )
                except Exception as exc:
                    fail("Spanner: connecting", exc, [])
            return self._connection

    def close(self) -> None:
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None and self.config is not None:
            connection.close()

    def __repr__(self) -> str:
        return f"<SpannerConnection config={self.config!r}>"


def spanner_rows(connection: SpannerConnection, query: str) -> tuple[list[str], list[Any]]:
    """Run ``query``; its column names and rows."""
    try:
        cursor = connection.connection().cursor()
        cursor.execute(query)
        rows = list(cursor.fetchall())
        columns = [d[0] for d in cursor.description or []]
    except Exception as exc:
        fail("Spanner: the query", exc, [])
    return columns, rows


def _elements(value: Any) -> Iterable[dict[str, Any]]:
    if hasattr(value, "serialize"):  # google.cloud.spanner_v1.data_types.JsonObject
        value = json.loads(value.serialize())
    if isinstance(value, str):
        value = json.loads(value)
    if isinstance(value, dict):
        value = [value]
    return [v for v in value or [] if isinstance(v, dict)]


def _typed(records: list[dict[str, Any]], fixed: list[str]) -> pa.Table:
    seen: set[str] = set()
    unique = []
    for record in records:
        key = json.dumps(record, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            unique.append(record)
    for record in unique:
        if "type" in record:  # a property named type keeps its value as type_, as in the reference
            record["type_"] = record.pop("type")
        record["type"] = record.get("label")
    columns = list(fixed)
    for record in unique:
        columns.extend(k for k in record if k not in columns)
    return rows_to_table(columns, [tuple(_cell(r.get(c)) for c in columns) for r in unique])


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict | list) else value


def paths_to_tables(rows: Iterable[Iterable[Any]]) -> tuple[pa.Table, pa.Table]:
    """Nodes and edges of ``SAFE_TO_JSON(path)`` results (one record per label, duplicates once)."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for row in rows:
        for cell in row:
            for element in _elements(cell):
                for label in element.get("labels", []):
                    props = {k: v for k, v in (element.get("properties") or {}).items()}
                    if element.get("kind") == "node":
                        nodes.append({"label": label, NODE_ID: element.get("identifier"), **props})
                    elif element.get("kind") == "edge":
                        edges.append(
                            {
                                "label": label,
                                NODE_ID: element.get("identifier"),
                                SOURCE: element.get("source_node_identifier"),
                                DESTINATION: element.get("destination_node_identifier"),
                                **props,
                            }
                        )
    return _typed(nodes, ["label", NODE_ID]), _typed(edges, ["label", NODE_ID, SOURCE, DESTINATION])
