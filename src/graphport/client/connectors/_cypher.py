"""Cypher results as node and edge tables, in the reference client's shape (``graphistry.bolt_util``):
nodes ``_bolt_node_id_key``, ``type`` (labels sorted, comma-joined) and their properties; edges
``_bolt_relationship_id``, ``type``, ``_bolt_start_node_id_key``, ``_bolt_end_node_id_key`` and their
properties.

Two kinds of database:

* **Neo4j-compatible servers** (Neo4j, Memgraph, Neptune) through the official ``neo4j`` driver:
  ``session.run(query, params).graph()`` gives every node and relationship the query returned,
  with their ``element_id`` (``id`` on servers without element ids, as the reference client does).
* **Kùzu**, an embedded graph database that runs in-process (so the conversion is tested on a real
  engine here, with no server): its rows hold nodes (``{"_id", "_label", ...}``), relationships
  (``{"_src", "_dst", "_label", "_id", ...}``) and paths (``{"_nodes", "_rels"}``), anywhere in the
  returned columns; ids are written ``"table:offset"``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from ...errors import ConfigError
from ._common import fail, require
from ._sql import rows_to_table

NODE_ID = "_bolt_node_id_key"
NODE_TYPE = "type"
SOURCE = "_bolt_start_node_id_key"
DESTINATION = "_bolt_end_node_id_key"
EDGE_ID = "_bolt_relationship_id"
EDGE_TYPE = "type"


@dataclasses.dataclass(frozen=True)
class GraphTables:
    """A query's graph as tables, with the id columns to bind."""

    nodes: pa.Table
    edges: pa.Table
    node: str = NODE_ID
    source: str = SOURCE
    destination: str = DESTINATION


def _table(records: list[dict[str, Any]], fixed: list[str]) -> pa.Table:
    columns = list(fixed)
    for record in records:
        for key in record:
            if key not in columns:
                columns.append(key)
    return rows_to_table(columns, [tuple(r.get(c) for c in columns) for r in records])


def _element_id(entity: Any) -> Any:
    return getattr(entity, "element_id", None) or entity.id


def neo4j_graph_to_tables(graph: Any) -> GraphTables:
    """Tables of a ``neo4j.graph.Graph`` (what ``Result.graph()`` returns)."""
    nodes = [
        {
            NODE_ID: _element_id(n),
            NODE_TYPE: ",".join(sorted(str(label) for label in n.labels)),
            **{k: v for k, v in n.items() if k not in (NODE_ID, NODE_TYPE)},
        }
        for n in graph.nodes
    ]
    edges = [
        {
            EDGE_ID: _element_id(r),
            EDGE_TYPE: r.type,
            SOURCE: _element_id(r.start_node),
            DESTINATION: _element_id(r.end_node),
            **{k: v for k, v in r.items() if k not in (EDGE_ID, EDGE_TYPE, SOURCE, DESTINATION)},
        }
        for r in graph.relationships
    ]
    return GraphTables(
        _table(nodes, [NODE_ID, NODE_TYPE]), _table(edges, [EDGE_ID, EDGE_TYPE, SOURCE, DESTINATION])
    )


def _kuzu_id(value: Any) -> str:
    if isinstance(value, Mapping):
        return f"{value.get('table')}:{value.get('offset')}"
    return str(value)


def _walk_kuzu(value: Any, nodes: dict[str, dict[str, Any]], edges: dict[str, dict[str, Any]]) -> None:
    if isinstance(value, Mapping):
        if "_nodes" in value and "_rels" in value:  # a path
            for part in (*value["_nodes"], *value["_rels"]):
                _walk_kuzu(part, nodes, edges)
        elif "_src" in value and "_dst" in value:  # a relationship
            key = _kuzu_id(value.get("_id"))
            props = {k: v for k, v in value.items() if not k.startswith("_")}
            edges[key] = {
                EDGE_ID: key,
                EDGE_TYPE: value.get("_label"),
                SOURCE: _kuzu_id(value["_src"]),
                DESTINATION: _kuzu_id(value["_dst"]),
                **props,
            }
        elif "_id" in value and "_label" in value:  # a node
            key = _kuzu_id(value["_id"])
            props = {k: v for k, v in value.items() if not k.startswith("_")}
            nodes[key] = {NODE_ID: key, NODE_TYPE: value["_label"], **props}
    elif isinstance(value, list | tuple):
        for item in value:
            _walk_kuzu(item, nodes, edges)


def kuzu_rows_to_tables(rows: Iterable[Iterable[Any]]) -> GraphTables:
    """Tables of the nodes, relationships and paths found in Kùzu result rows (duplicates once)."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[str, dict[str, Any]] = {}
    for row in rows:
        _walk_kuzu(list(row), nodes, edges)
    return GraphTables(
        _table(list(nodes.values()), [NODE_ID, NODE_TYPE]),
        _table(list(edges.values()), [EDGE_ID, EDGE_TYPE, SOURCE, DESTINATION]),
    )


def _neo4j_driver(db: Any) -> tuple[Any, bool, list[str | None]]:
    """(driver, made here so close it, secrets) from a driver or a ``{"uri", "auth"}`` dict."""
    if isinstance(db, Mapping):
        neo4j = require("neo4j", "neo4j", "cypher() with a Neo4j configuration")
        auth = db.get("auth")
        secrets: list[str | None] = [str(auth[1])] if isinstance(auth, tuple | list) and len(auth) > 1 else []
        try:
            return neo4j.GraphDatabase.driver(db["uri"], auth=auth), True, secrets
        except Exception as exc:
            fail("cypher(): connecting", exc, secrets)
    return db, False, []


def cypher_to_tables(db: Any, query: str, params: Mapping[str, Any]) -> GraphTables:
    """Run ``query`` on a Neo4j driver (or its ``{"uri", "auth"}`` config) or a ``kuzu.Connection``
    and return the graph it returned.

    Example::

        tables = cypher_to_tables(kuzu.Connection(db), "MATCH (a)-[r]->(b) RETURN a, r, b", {})
    """
    if type(db).__module__.startswith("kuzu"):
        try:
            result = db.execute(query, dict(params))
            rows = []
            results = result if isinstance(result, list) else [result]
            for part in results:
                while part.has_next():
                    rows.append(part.get_next())
        except RuntimeError as exc:
            fail("cypher(): the query", exc, [])
        return kuzu_rows_to_tables(rows)
    driver, owned, secrets = _neo4j_driver(db)
    if not hasattr(driver, "session"):
        raise ConfigError(
            f"bolt() takes a neo4j driver, a {{'uri': ..., 'auth': (user, password)}} dict or a "
            f"kuzu.Connection; got a {type(db).__name__}."
        )
    try:
        with driver.session() as session:
            graph = session.run(query, dict(params)).graph()
            return neo4j_graph_to_tables(graph)
    except Exception as exc:
        fail("cypher(): the query", exc, secrets)
    finally:
        if owned:
            driver.close()
