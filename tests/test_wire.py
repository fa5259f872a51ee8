"""graphport._wire: the facts client and server share (bindings, privacy modes and defaults, the
plot frame), checked on both sides so a second copy cannot drift."""

from __future__ import annotations

import ast
import inspect
import json
import struct
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig, ValidationError
from graphport import _wire as wire
from graphport.client._plottable import EDGE_BINDINGS, NODE_BINDINGS, Plottable
from graphport.client._protocol import PlotPlan, plot_frame
from graphport.client._session import PRIVACY_MODES, PrivacySettings
from graphport.server import _ingest
from graphport.server._specs import normalize_privacy

from ._arrow import arrow_file
from .conftest import bearer

EDGES = arrow_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))
NODES = arrow_file(pa.table({"id": ["a", "b", "c"]}))
SPEC = {"edge_encodings": {"bindings": {"source": "s", "destination": "d"}}, "name": "w"}


# -- the module stays below both sides ---------------------------------------------------------------


def test_wire_imports_nothing_of_ours_but_errors_and_json() -> None:
    tree = ast.parse(Path(wire.__file__).read_text())
    ours = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            ours.add(node.module)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("graphport"):
            ours.add(node.module)
        elif isinstance(node, ast.Import):
            ours.update(a.name for a in node.names if a.name.startswith("graphport"))
    assert ours == {"errors", "_json"}


# -- bindings ----------------------------------------------------------------------------------------


def test_bind_arguments_use_the_official_spelling_and_map_to_wire_names() -> None:
    assert wire.BIND_ARGUMENTS["point_color"] == "node_color"
    assert wire.BIND_ARGUMENTS["point_x"] == "node_x"
    assert wire.BIND_ARGUMENTS["edge_color"] == "edge_color"
    assert wire.BIND_ARGUMENTS["node"] == "node" and wire.BIND_ARGUMENTS["edge"] == "edge"
    assert sorted(wire.BIND_ARGUMENTS.values()) == sorted(wire.EDGE_BINDINGS + wire.NODE_BINDINGS)
    assert set(wire.EDGE_ID_BINDINGS) <= set(wire.EDGE_BINDINGS)
    assert set(wire.NODE_ID_BINDINGS) <= set(wire.NODE_BINDINGS)


def test_the_client_binds_every_wire_binding_and_nothing_else() -> None:
    keywords = set(inspect.signature(Plottable.bind).parameters) - {"self", "edges", "nodes"}
    assert keywords == set(wire.BIND_ARGUMENTS)
    assert {**EDGE_BINDINGS, **NODE_BINDINGS} == dict(wire.BIND_ARGUMENTS)


def test_the_server_checks_the_same_binding_names() -> None:
    assert set(_ingest.EDGE_BINDINGS) == set(wire.EDGE_BINDINGS)
    assert set(_ingest.NODE_BINDINGS) == set(wire.NODE_BINDINGS)


def test_point_bindings_reach_the_server_as_node_bindings(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    g = server.new_local_client("alice")
    edges = pa.table({"s": ["a"], "d": ["b"]})
    nodes = pa.table({"id": ["a", "b"], "kind": ["x", "y"], "px": [0.0, 1.0], "py": [1.0, 0.0]})
    url = (
        g.edges(edges, "s", "d")
        .nodes(nodes, "id")
        .bind(point_color="kind", point_x="px", point_y="py")
        .plot(render=False)
    )
    dataset_id = url.split("dataset=")[1].split("&")[0]
    meta = http.get(f"/api/v2/datasets/{dataset_id}", headers=bearer(server, alice)).json()
    text = json.dumps(meta)
    assert '"node_color": "kind"' in text and '"node_x": "px"' in text and "point_color" not in text


# -- privacy -----------------------------------------------------------------------------------------


def test_modes_and_aliases() -> None:
    assert [wire.canonical_mode(m) for m in wire.PRIVACY_MODES] == list(wire.PRIVACY_MODES)
    assert wire.canonical_mode("org") == "organization"
    assert wire.canonical_mode("organisation") == "organization"
    assert wire.canonical_mode("Public") is None and wire.canonical_mode("") is None
    assert wire.default_mode_action("private") == "20"
    assert wire.default_mode_action("org") == wire.default_mode_action("public") == "10"


def test_the_client_accepts_exactly_the_modes_the_server_accepts() -> None:
    assert set(PRIVACY_MODES) == set(wire.PRIVACY_MODES) | set(wire.PRIVACY_MODE_ALIASES)
    for mode in PRIVACY_MODES:
        sent = PrivacySettings.build(mode, None, None, None, None).to_wire()
        assert normalize_privacy(sent)["mode"] == wire.canonical_mode(mode)
    with pytest.raises(graphport.ConfigError, match="not a known mode"):
        PrivacySettings.build("friends", None, None, None, None)
    with pytest.raises(ValidationError, match="not known"):
        normalize_privacy({"mode": "friends"})


def test_one_default_for_an_unset_mode_on_both_sides() -> None:
    """privacy() without a mode: the official client sends "private" (spec 1.10, flow b)."""
    assert wire.DEFAULT_MODE == "private"
    sent = PrivacySettings().to_wire()
    assert sent == {
        "mode": "private",
        "notify": False,
        "invited_users": [],
        "mode_action": "20",
        "message": "",
    }
    assert normalize_privacy({})["mode"] == wire.DEFAULT_MODE
    assert normalize_privacy({"notify": True})["mode_action"] == "20"


def test_never_shared_datasets_get_the_servers_setting() -> None:
    """No privacy() anywhere: no share request; the vendor's docs say "public but unlisted"."""
    assert wire.UNSHARED_MODE == "public"
    assert ServerConfig().default_privacy == wire.UNSHARED_MODE
    with pytest.raises(graphport.ConfigError, match="default_privacy"):
        ServerConfig(default_privacy="org")


# -- the plot frame ----------------------------------------------------------------------------------


def test_a_frame_round_trips_without_copying_the_tables() -> None:
    edges = pa.py_buffer(EDGES)
    parts = wire.encode_plot_frame(SPEC, {"mode": "public"}, edges, NODES)
    assert parts[1] is edges and parts[2] is NODES  # sent as given, not joined
    frame = wire.decode_plot_frame(b"".join(bytes(memoryview(p)) for p in parts))
    dataset, privacy, tables = frame  # unpacks as the transports' old tuple
    assert dataset == SPEC and privacy == {"mode": "public"}
    assert bytes(tables["edges"]) == EDGES and bytes(tables["nodes"]) == NODES
    body = bytearray(b"".join(bytes(memoryview(p)) for p in parts))
    view = wire.decode_plot_frame(body).tables["edges"]
    body[-len(NODES) - 1] ^= 0xFF  # the last byte of the edges table
    assert view[-1] == body[-len(NODES) - 1]  # a view into the body, not a copy


def test_a_frame_without_nodes_or_privacy() -> None:
    frame = wire.decode_plot_frame(b"".join(wire.encode_plot_frame(SPEC, None, EDGES)))
    assert frame.privacy is None and list(frame.tables) == ["edges"]
    header_len = struct.unpack(">I", wire.encode_plot_frame(SPEC, None, EDGES)[0][:4])[0]
    header = json.loads(wire.encode_plot_frame(SPEC, None, EDGES)[0][4 : 4 + header_len])
    assert header["tables"] == [{"name": "edges", "length": len(EDGES)}]


def test_the_clients_plot_body_is_the_wire_frame() -> None:
    plan = PlotPlan(dataset=SPEC, privacy=None, edges=pa.py_buffer(EDGES), nodes=pa.py_buffer(NODES))
    body = b"".join(bytes(memoryview(p)) for p in plot_frame(plan))
    assert wire.decode_plot_frame(body).dataset == SPEC
    assert body == b"".join(bytes(memoryview(p)) for p in wire.encode_plot_frame(SPEC, None, EDGES, NODES))


def frame(header: Any, *tables: bytes, raw_header: bytes | None = None) -> bytes:
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    return struct.pack(">I", len(text)) + text + b"".join(tables)


def entry(name: Any, length: Any) -> dict[str, Any]:
    return {"name": name, "length": length}


BAD_FRAMES = [
    (b"\x00\x00", "too short"),
    (struct.pack(">I", 100) + b"{}", "ends inside its JSON header"),
    (frame([]), "expected an object"),
    (frame({"dataset": [], "tables": []}), "'dataset' is an array"),
    (frame({"dataset": {}, "privacy": "public", "tables": []}), "'privacy' is a string"),
    (frame({"dataset": {}, "tables": {}}), "'tables' is an object"),
    (frame({"dataset": {}, "tables": [1]}), "tables[0] is a number"),
    (frame({"dataset": {}, "tables": [entry("files", 0)]}), "tables[0].name is 'files'"),
    (frame({"dataset": {}, "tables": [entry("edges", 0), entry("edges", 0)]}), "tables[1].name"),
    (frame({"dataset": {}, "tables": [entry("edges", True)]}), "tables[0].length is 'True'"),
    (frame({"dataset": {}, "tables": [entry("edges", -1)]}), "tables[0].length is '-1'"),
    (frame({"dataset": {}, "tables": [entry("edges", 10)]}, b"12345"), "inside the edges table"),
    (frame({"dataset": {}, "tables": [entry("edges", 2)]}, b"12345"), "bytes after its last table"),
    (frame({"dataset": {}, "tables": [entry("nodes", 1)]}, b"1"), "no edges table"),
]


@pytest.mark.parametrize(("body", "words"), BAD_FRAMES, ids=[w for _, w in BAD_FRAMES])
def test_a_malformed_frame_is_a_400_naming_the_problem(body: bytes, words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        wire.decode_plot_frame(body)
    assert caught.value.code == "invalid_plot_frame" and caught.value.status == 400
    assert words in str(caught.value)


def test_a_header_that_is_not_json_is_invalid_json() -> None:
    with pytest.raises(ValidationError) as caught:
        wire.decode_plot_frame(frame(None, raw_header=b'{"dataset": NaN}'))
    assert caught.value.code == "invalid_json" and "plot header" in str(caught.value)


def test_the_server_accepts_the_encoded_frame(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    body = b"".join(bytes(memoryview(p)) for p in wire.encode_plot_frame(SPEC, {"mode": "private"}, EDGES))
    r = http.post("/api/v2/plot", content=body, headers=bearer(server, alice))
    assert r.status_code == 200, r.text
    dataset_id = r.json()["data"]["dataset_id"]
    meta = http.get(f"/api/v2/datasets/{dataset_id}", headers=bearer(server, alice)).json()
    assert meta["privacy"]["mode"] == "private" and meta["privacy"]["mode_action"] == "20"
