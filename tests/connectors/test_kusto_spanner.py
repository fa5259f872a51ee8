"""Kusto and Spanner: the result conversion on the SDKs' own result types, built from recorded
responses (a Kusto V2 JSON response read by ``KustoResponseDataSetV2``; Spanner ``JsonObject`` path
values). No Kusto cluster or Spanner instance runs here: the objects standing in for the SDK clients
only hand back those recorded responses."""

from __future__ import annotations

from typing import Any

import pytest

import graphport
from graphport import ConfigError, GraphportError

kusto_response = pytest.importorskip("azure.kusto.data.response")
spanner_types = pytest.importorskip("google.cloud.spanner_v1.data_types")


def v2_response(*tables: tuple[list[tuple[str, str]], list[list[Any]]]) -> Any:
    """A ``KustoResponseDataSetV2`` from V2 frames, as the service sends them."""
    frames: list[dict[str, Any]] = [{"FrameType": "DataSetHeader", "IsProgressive": False, "Version": "v2.0"}]
    for i, (columns, rows) in enumerate(tables):
        frames.append(
            {
                "FrameType": "DataTable",
                "TableId": i,
                "TableKind": "PrimaryResult",
                "TableName": f"Table_{i}",
                "Columns": [{"ColumnName": n, "ColumnType": t} for n, t in columns],
                "Rows": rows,
            }
        )
    frames.append({"FrameType": "DataSetCompletion", "HasErrors": False, "Cancelled": False})
    return kusto_response.KustoResponseDataSetV2(frames)


class RecordedKusto:
    """Stands in for ``azure.kusto.data.KustoClient``: answers ``execute`` with a recorded response."""

    def __init__(self, response: Any) -> None:
        self.response = response
        self.calls: list[tuple[str, str]] = []

    def execute(self, database: str, query: str) -> Any:
        self.calls.append((database, query))
        if isinstance(self.response, Exception):
            raise self.response
        return self.response


def test_kql_returns_frames_with_kusto_types() -> None:
    response = v2_response(
        (
            [("src", "string"), ("n", "long"), ("when", "datetime"), ("bag", "dynamic")],
            [["a", 1, "2024-01-02T03:04:05Z", {"k": 1, "m": "x"}], ["b", None, None, {"k": 2}]],
        ),
        ([("total", "long")], [[2]]),
    )
    kusto = RecordedKusto(response)
    g = graphport.client().kusto_from_client(kusto, "Samples")
    df = g.kql("T | take 2")
    assert kusto.calls == [("Samples", "T | take 2")]
    assert list(df.columns) == ["src", "n", "when", "bag"]
    assert df["src"].tolist() == ["a", "b"] and df["n"].isna().tolist() == [False, True]
    assert str(df["when"].iloc[0]).startswith("2024-01-02 03:04:05")
    both = g.kql("T", single_table=False)
    assert [len(f) for f in both] == [2, 1]
    flat = g.kql("T", unwrap_nested=True)
    assert flat["bag.k"].tolist() == [1, 2] and "bag" not in flat.columns


def test_kusto_graph_binds_the_graph_to_table_columns(alice_client: graphport.Client) -> None:
    response = v2_response(
        (
            [("g_NodeId", "string"), ("kind", "string")],
            [["r1", "router"], ["r2", "switch"], ["r3", "router"]],
        ),
        (
            [("g_src", "string"), ("g_dst", "string"), ("latency", "real")],
            [["r1", "r2", 1.5], ["r2", "r3", 0.5]],
        ),
    )
    kusto = RecordedKusto(response)
    alice_client.kusto_from_client(kusto, "Net")
    p = alice_client.kusto_graph("Topology", "2024-12-01")
    assert kusto.calls[0][1].startswith('graph("Topology", "2024-12-01") | graph-to-table nodes as N')
    assert p.bindings == {"node": "g_NodeId", "source": "g_src", "destination": "g_dst"}
    assert p.edges_table is not None and p.edges_table.column("latency").to_pylist() == [1.5, 0.5]
    ds = p.upload()
    rows = alice_client.dataset_info(ds.id)["rows"]
    assert (rows["edges"], rows["nodes"]) == (2, 3)
    alice_client.kusto_close()


def test_kusto_errors_hide_the_client_secret_and_need_configuration() -> None:
    g = graphport.client()
    with pytest.raises(ConfigError, match="Kusto is not configured"):
        g.kql("T")
    g.configure_kusto(
        "https://example.kusto.windows.net",
        "db",
        client_id="app",
        client_secret="Sup3rS3cretValue",
        tenant_id="t",
    )
    assert "Sup3rS3cretValue" not in repr(g.session.connectors.kusto)
    g.session.connectors.kusto._client = RecordedKusto(RuntimeError("denied for secret Sup3rS3cretValue"))
    with pytest.raises(GraphportError) as info:
        g.kql("T")
    assert info.value.code == "connector_query_failed" and "Sup3rS3cretValue" not in str(info.value)
    assert "***" in str(info.value)


# -- Spanner --------------------------------------------------------------------------------------------

PATH = [
    {"identifier": "n1", "kind": "node", "labels": ["Account"], "properties": {"id": 7, "type": "checking"}},
    {
        "identifier": "e1",
        "kind": "edge",
        "labels": ["Transfers"],
        "source_node_identifier": "n1",
        "destination_node_identifier": "n2",
        "properties": {"amount": 250.0},
    },
    {"identifier": "n2", "kind": "node", "labels": ["Account"], "properties": {"id": 9, "type": "savings"}},
]


class RecordedCursor:
    def __init__(self, rows: list[Any], columns: list[str]) -> None:
        self.rows, self.description = rows, [(c, None) for c in columns]
        self.queries: list[str] = []

    def execute(self, query: str) -> None:
        self.queries.append(query)

    def fetchall(self) -> list[Any]:
        return self.rows


class RecordedSpanner:
    """Stands in for a ``google.cloud.spanner_dbapi`` connection with a recorded result."""

    def __init__(self, rows: list[Any], columns: list[str]) -> None:
        self.cursor_ = RecordedCursor(rows, columns)

    def cursor(self) -> RecordedCursor:
        return self.cursor_

    def close(self) -> None:
        raise AssertionError("a connection given by the caller is theirs to close")


def test_spanner_paths_become_nodes_and_edges(alice_client: graphport.Client) -> None:
    path = spanner_types.JsonObject(PATH)
    again = spanner_types.JsonObject(PATH[:1])  # a second row repeating a node: kept once
    alice_client.spanner_from_client(RecordedSpanner([[path], [again]], ["path"]))
    p = alice_client.spanner_gql("GRAPH FinGraph MATCH p = (a)-[t]->(b) RETURN SAFE_TO_JSON(p) AS path")
    assert p.bindings == {"node": "identifier", "source": "source", "destination": "destination"}
    nodes, edges = p.nodes_table, p.edges_table
    assert nodes is not None and edges is not None
    assert nodes.to_pydict() == {
        "label": ["Account", "Account"],
        "identifier": ["n1", "n2"],
        "id": [7, 9],
        "type_": ["checking", "savings"],
        "type": ["Account", "Account"],
    }
    assert edges.to_pydict() == {
        "label": ["Transfers"],
        "identifier": ["e1"],
        "source": ["n1"],
        "destination": ["n2"],
        "amount": [250.0],
        "type": ["Transfers"],
    }
    ds = p.upload()
    assert alice_client.dataset_info(ds.id)["rows"]["edges"] == 1
    alice_client.spanner_close()  # does not close a connection it was given


def test_spanner_tabular_queries_and_missing_configuration() -> None:
    g = graphport.client()
    with pytest.raises(ConfigError, match="Spanner is not configured"):
        g.spanner_gql_to_df("SELECT 1")
    g.spanner_from_client(RecordedSpanner([[1, "a"], [2, "b"]], ["id", "name"]))
    df = g.spanner_gql_to_df("SELECT id, name FROM Account")
    assert df.to_dict("list") == {"id": [1, 2], "name": ["a", "b"]}
    assert g.spanner_query_to_df("SELECT 1").shape == (2, 2)
