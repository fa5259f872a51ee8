"""The module-level convenience functions: each wrapper reaches the default client correctly.

These tests share the process-wide default client (that is what they test); each registers it
afresh before use, so no test depends on another's state.
"""

from __future__ import annotations

import subprocess
import sys

import pandas as pd

import graphport
from graphport.client import _default

from .conftest import PASSWORD, LiveServer, dataset_id_of, edges_frame


def register_default(live: LiveServer, username: str = "alice") -> graphport.Client:
    return graphport.register(api=3, server=live.address, username=username, password=PASSWORD)


def test_the_default_client_is_not_made_at_import() -> None:
    code = "import graphport; from graphport.client import _default; print(_default._default is None)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"


def test_client_returns_a_new_isolated_client_each_time() -> None:
    a, b = graphport.client(), graphport.client()
    assert isinstance(a, graphport.Client) and a is not b and a.session is not b.session
    assert a is not _default.default_client()


def test_register_configures_the_default_client_and_returns_it(live_hub: LiveServer) -> None:
    g = register_default(live_hub)
    assert g is _default.default_client()
    assert g.session.username == "alice" and g.server_url == live_hub.url


def test_edges_plots_with_the_default_client(live_hub: LiveServer) -> None:
    g = register_default(live_hub)
    url = graphport.edges(edges_frame(4), "src", "dst").plot(render=False)
    assert graphport.edges(edges_frame(), "src", "dst").client is g
    assert g.dataset_info(dataset_id_of(url))["rows"]["edges"] == 4


def test_nodes_plots_with_the_default_client(live_hub: LiveServer) -> None:
    g = register_default(live_hub)
    nodes = pd.DataFrame({"id": list(range(10)), "label": [f"n{i}" for i in range(10)]})
    ds = graphport.nodes(nodes, "id").edges(edges_frame(), "src", "dst").upload()
    info = g.dataset_info(ds.id)
    assert info["rows"]["nodes"] == 10 and info["bindings"]["node"]["node_title"] == "label"


def test_bind_plots_with_the_default_client(live_hub: LiveServer) -> None:
    g = register_default(live_hub)
    ds = graphport.bind(source="src", destination="dst", edges=edges_frame(5)).upload()
    assert g.dataset_info(ds.id)["rows"]["edges"] == 5


def test_privacy_sets_the_default_clients_sharing(live_hub: LiveServer) -> None:
    g = register_default(live_hub)
    graphport.privacy(mode="private", invited_users=["bob@example.org"])
    ds = graphport.edges(edges_frame(), "src", "dst").upload()
    info = g.dataset_info(ds.id)
    assert info["privacy"]["mode"] == "private"
    assert [i["user"] for i in info["privacy"]["invited_users"]] == ["bob@example.org"]


def test_set_client_for_moves_a_plottable_to_the_default_client(live_hub: LiveServer) -> None:
    register_default(live_hub, "bob")
    alice = graphport.client()
    alice.register(server=live_hub.address, token=live_hub.server.token_for("alice"), verify_token=False)
    p = graphport.set_client_for(alice.edges(edges_frame(), "src", "dst"))
    assert p.client is _default.default_client()
    assert alice.dataset_info(p.upload().id)["owner"] == "bob"


def test_plottables_made_before_a_later_register_keep_their_session(live_hub: LiveServer) -> None:
    register_default(live_hub, "alice")
    before = graphport.edges(edges_frame(), "src", "dst")
    g = register_default(live_hub, "bob")
    assert g.dataset_info(before.upload().id)["owner"] == "alice"
    assert g.dataset_info(graphport.edges(edges_frame(), "src", "dst").upload().id)["owner"] == "bob"


def test_a_notebook_written_for_graphistry_runs_at_module_level(live_hub: LiveServer) -> None:
    """``import graphport as graphistry``: the official client's module-level calls reach the
    default client (hypergraph, encodings, settings, style...)."""
    graphistry = graphport
    register_default(live_hub)
    events = pd.DataFrame({"src_ip": ["1.1.1.1", "2.2.2.2"], "dst_ip": ["3.3.3.3", "3.3.3.3"], "n": [1, 2]})
    hg = graphistry.hypergraph(events, ["src_ip", "dst_ip"], direct=True)
    g = hg["graph"].encode_point_color("type").layout_settings(play=0).name("module level")
    url = g.plot(render=False)
    info = graphport.register(
        api=3, server=live_hub.address, username="alice", password=PASSWORD
    ).dataset_info(dataset_id_of(url))
    assert info["name"] == "module level"
    assert "play=0" in url
    for name in ("addStyle", "encode_point_icon", "from_networkx", "sql", "cypher", "style", "settings"):
        assert getattr(graphistry, name).__doc__.startswith(f"``{name}`` of the default client"), name
    styled = graphistry.style(bg={"color": "black"}).edges(edges_frame(), "src", "dst")
    assert isinstance(styled, graphport.Plottable)
