"""The viewer at /graph/graph.html in a real headless Chromium (Debian's, driven by playwright-core).

One live server per module holds a few datasets; each test runs one plan of browser steps through
``driver.mjs`` and checks what a person would see: pixels in a screenshot, the tooltip, the search
results, the inspector, the messages for missing or forbidden datasets.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_steps

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent / "data"
EVIL = '<img src=x onerror="window.__pwned=1"><b>bold</b> & co'
PERSON = (255, 45, 85)
ORG = (48, 209, 88)
OTHER = (255, 214, 10)


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


@dataclass
class Site:
    url: str
    demo: str
    lesmis: str
    private: str
    encoded: str
    workdir: Path

    def viewer(self, dataset: str, extra: str = "") -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&type=arrow{extra}"


def demo_tables() -> tuple[pa.Table, pa.Table]:
    """Three clusters of 20 nodes (person / org / place), a ring per cluster plus bridges."""
    kinds = ["person", "org", "place"]
    ids = list(range(60))
    kind = [kinds[i // 20] for i in ids]
    titles = [f"Node {i} the {kind[i]}" for i in ids]
    titles[7] = EVIL
    src: list[int] = []
    dst: list[int] = []
    for c in range(3):
        base = c * 20
        for k in range(20):
            src.append(base + k)
            dst.append(base + (k + 1) % 20)
            src.append(base + k)
            dst.append(base + (k + 7) % 20)
    src += [0, 20, 40]
    dst += [20, 40, 0]
    nodes = pa.table({"id": ids, "kind": kind, "title": titles, "score": [float(i) for i in ids]})
    edges = pa.table({"s": src, "d": dst})
    return edges, nodes


def lesmis_edges() -> pa.Table:
    text = (DATA / "lesmiserables.csv").read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    return pa.table(
        {
            "source": [r["source"] for r in rows],
            "target": [r["target"] for r in rows],
            "value": [int(r["value"]) for r in rows],
        }
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("viewer")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")
        edges, nodes = demo_tables()
        demo = server.plot(
            alice,
            {
                "name": "Demo <i>graph</i>",
                "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
                "node_encodings": {
                    "bindings": {"node": "id", "node_color": "kind", "node_title": "title"},
                    "complex": {
                        "default": {
                            "pointColorEncoding": {
                                "graphType": "point",
                                "encodingType": "color",
                                "attribute": "kind",
                                "variation": "categorical",
                                "mapping": {
                                    "categorical": {
                                        "fixed": {"person": "#ff2d55", "org": "#30d158"},
                                        "other": "#ffd60a",
                                    }
                                },
                            }
                        }
                    },
                },
            },
            arrow_bytes(edges),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        lesmis = server.plot(
            alice,
            {
                "name": "Les Misérables",
                "edge_encodings": {
                    "bindings": {"source": "source", "destination": "target", "edge_weight": "value"}
                },
                "node_encodings": {"bindings": {}},
            },
            arrow_bytes(lesmis_edges()),
            None,
            {"mode": "public"},
        )
        private = server.plot(
            alice,
            {"name": "secret", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}},
            arrow_bytes(edges),
            None,
            {"mode": "private"},
        )
        encoded = server.plot(
            alice,
            {
                "name": "encoded",
                "edge_encodings": {"bindings": {"source": "s", "destination": "d", "edge_color": "ec"}},
                "node_encodings": {
                    "bindings": {"node": "id", "node_color": "score", "node_size": "score"},
                    "complex": {
                        "default": {
                            "pointColorEncoding": {
                                "graphType": "point",
                                "encodingType": "color",
                                "attribute": "score",
                                "variation": "continuous",
                                "colors": ["#0000ff", "#ff0000"],
                            }
                        }
                    },
                },
            },
            arrow_bytes(edges.append_column("ec", pa.array(["#00e5ff"] * edges.num_rows))),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        with served(server) as live:
            yield Site(live.url, demo, lesmis, private, encoded, root)


def run(site: Site, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    return run_steps(site.workdir, steps, **plan)


def test_plotted_graph_draws_its_categorical_colours(site: Site) -> None:
    shot = site.workdir / "demo.png"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo, "&info=true&showLabels=False")},
            {"op": "pixels", "path": str(shot), "colors": [PERSON, ORG, OTHER], "tol": 30},
            {"op": "text", "selector": "#legend"},
            {"op": "text", "selector": "#title"},
        ],
    )
    state, pixels, legend, title = report["steps"]
    assert state["state"] == "ready" and state["renderer"] == "webgl", state
    assert (state["nodeCount"], state["edgeCount"]) == (60, 123)
    person, org, other = pixels["counts"]
    assert person > 40 and org > 40 and other > 40, pixels
    assert max(pixels["corner"]) < 40, "the background should be dark"
    assert legend["visible"] and "person" in legend["text"] and "org" in legend["text"]
    assert title["text"] == "Demo <i>graph</i>" and title["children"] == 0
    assert report["consoleErrors"] == []


def test_wheel_zoom_changes_the_view(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo)},
            {"op": "pixels", "colors": [PERSON], "tol": 30},
            {"op": "wheel", "x": 500, "y": 350, "dy": -600},
            {"op": "pixels", "colors": [PERSON], "tol": 30},
            {"op": "drag", "from": [500, 350], "to": [300, 250]},
            {"op": "click", "selector": "#btn-fit"},
            {"op": "wait", "ms": 600},
            {"op": "state"},
            {"op": "click", "selector": "#btn-edges"},
            {"op": "eval", "expr": "document.getElementById('btn-edges').getAttribute('aria-pressed')"},
        ],
    )
    before, px_before, after, px_after, dragged, _, _, fitted, _, edges_pressed = report["steps"]
    assert fitted["view"]["zoom"] == pytest.approx(before["view"]["zoom"], rel=1e-6)
    assert edges_pressed == "false"
    assert after["view"]["zoom"] > before["view"]["zoom"] * 1.5
    assert px_after["counts"][0] != px_before["counts"][0], "the picture changes"
    assert dragged["view"]["cx"] > after["view"]["cx"], "dragging left moves the view right"
    assert dragged["frames"] > after["frames"]


def test_hover_shows_title_as_inert_text(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo, "&showLabels=False")},
            {"op": "hover", "id": 3},
            {"op": "hover", "id": 7},
            {"op": "clickNode", "id": 7},
            {"op": "eval", "expr": "[window.__pwned === undefined, document.querySelectorAll('img').length]"},
        ],
    )
    _, plain, evil, inspector, (not_pwned, images) = report["steps"]
    assert plain["visible"] and plain["text"] == "Node 3 the person"
    assert evil["visible"] and evil["text"] == EVIL and evil["children"] == 0
    assert inspector["visible"] and EVIL in inspector["text"] and "kind" in inspector["text"]
    assert "<img" not in inspector["html"].replace("&lt;img", "")
    assert not_pwned and images == 0


def test_search_finds_a_node_and_flies_to_it(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.lesmis)},
            {"op": "type", "selector": "#search-input", "text": "valj"},
            {"op": "text", "selector": "#search-results"},
            {"op": "type", "selector": "#search-input", "text": "Valjean", "enter": True},
            {"op": "text", "selector": "#inspector"},
            {"op": "screenOf", "id": "Valjean"},
            {"op": "type", "selector": "#search-input", "text": "zzz-nobody"},
            {"op": "text", "selector": "#search-results"},
        ],
    )
    start, _, results, flown, inspector, at, _, none = report["steps"]
    assert start["nodeCount"] == 77 and start["edgeCount"] == 254
    assert results["visible"] and "Valjean" in results["text"]
    assert inspector["visible"] and "Valjean" in inspector["text"] and "degree" in inspector["text"]
    assert flown["view"]["zoom"] > start["view"]["zoom"]
    assert abs(at[0] - 500) < 40 and abs(at[1] - 350) < 40, "the hit is centred"
    assert none["visible"] and "No matching node" in none["text"]


@pytest.mark.parametrize("which", ["missing", "private"])
def test_missing_or_forbidden_dataset_gets_a_clear_page(site: Site, which: str) -> None:
    dataset = {"missing": "doesnotexist123", "private": site.private}[which]
    report = run(site, [{"op": "goto", "url": site.viewer(dataset)}, {"op": "text", "selector": "body"}])
    _, body = report["steps"]
    assert "does not exist, or you may not see it" in body["text"]
    assert "Sign in" in body["text"]


def test_viewer_explains_a_missing_dataset_parameter(site: Site) -> None:
    report = run(
        site, [{"op": "goto", "url": f"{site.url}/graph/graph.html"}, {"op": "text", "selector": "#message"}]
    )
    state, message = report["steps"]
    assert state["state"] == "error"
    assert message["visible"] and "No dataset given" in message["text"]


def test_canvas2d_fallback_without_webgl(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo, "&showLabels=False")},
            {"op": "pixels", "colors": [PERSON, ORG, OTHER], "tol": 30},
            {"op": "hover", "id": 3},
        ],
        extraArgs=["--disable-webgl", "--disable-3d-apis"],
    )
    state, pixels, tip = report["steps"]
    assert state["renderer"] == "canvas2d"
    assert all(c > 40 for c in pixels["counts"]), pixels
    assert tip["text"] == "Node 3 the person"


def test_url_parameters_are_read_tolerantly(site: Site) -> None:
    # Raw, unescaped values as the official client writes them: '#' and '&' and Python booleans.
    extra = "&info=False&menu=False&bg=#ffffff&pageTitle=Tom & Jerry&pointSize=2&showLabels=True&"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo, extra)},
            {"op": "eval", "expr": "document.title"},
            {"op": "text", "selector": "#info"},
            {"op": "text", "selector": "#toolbar"},
            {"op": "pixels", "colors": [(255, 255, 255)], "tol": 3},
            {"op": "eval", "expr": "document.querySelectorAll('#labels .label:not([hidden])').length"},
        ],
    )
    state, title, info, toolbar, white, labels = report["steps"]
    assert state["state"] == "ready"
    assert title == "Tom & Jerry · graphport"
    assert not info["visible"] and not toolbar["visible"]
    assert white["counts"][0] > 0.5 * white["width"] * white["height"]
    assert labels > 5


def test_continuous_palette_sizes_edge_colours_and_arrows(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.encoded, "&edgeOpacity=1&showLabels=False")},
            {"op": "pixels", "colors": [(0, 229, 255), (0, 0, 255), (255, 0, 0)], "tol": 25},
            {"op": "eval", "expr": "document.querySelectorAll('#legend .ramp').length"},
            {"op": "text", "selector": "#legend"},
            {"op": "goto", "url": site.viewer(site.encoded, "&showArrows=True&showLabels=False")},
            {"op": "pixels", "colors": [(220, 225, 235)], "tol": 20},
        ],
    )
    _, pixels, ramps, legend, _, arrows = report["steps"]
    cyan, blue, red = pixels["counts"]
    assert cyan > 200 and blue > 20 and red > 20, pixels
    assert ramps == 1 and "score" in legend["text"] and "59" in legend["text"]
    assert arrows["counts"][0] > 100, "arrow heads are drawn"


def test_touch_pinch_zooms_and_one_finger_pans(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.demo)},
            {"op": "touch", "from": [[450, 350], [550, 350]], "to": [[350, 350], [650, 350]]},
            {"op": "touch", "from": [[500, 400]], "to": [[400, 300]]},
        ],
        touch=True,
    )
    start, pinched, panned = report["steps"]
    assert pinched["view"]["zoom"] > start["view"]["zoom"] * 2
    assert panned["view"]["cx"] > pinched["view"]["cx"], "a finger moving left moves the view right"
    assert panned["view"]["zoom"] == pinched["view"]["zoom"]


@pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")
def test_url_from_the_official_client_opens(site: Site) -> None:
    import graphistry
    import pandas as pd

    g = graphistry.client()
    g.register(
        api=3,
        protocol="http",
        server=site.url.removeprefix("http://"),
        username="alice",
        password=PASSWORD,
    )
    edges = pd.DataFrame(
        {"src": ["a", "b", "c", "d"], "dst": ["b", "c", "a", "a"], "w": [1.0, 2.0, 3.0, 4.0]}
    )
    nodes = pd.DataFrame(
        {"id": ["a", "b", "c", "d"], "kind": pd.Categorical(["x", "y", "x", "z"]), "name": list("ABCD")}
    )
    plottable = (
        g.edges(edges, "src", "dst")
        .nodes(nodes, "id")
        .bind(point_color="kind", edge_weight="w")
        .encode_point_color(
            "kind", categorical_mapping={"x": "#ff0000", "y": "#00ff00"}, default_mapping="#ffff00"
        )
        .settings(url_params={"play": 0, "showArrows": True, "pageTitle": "Official & co"})
    )
    url = plottable.plot(render=False)
    assert "pageTitle=Official & co" in url, "the client leaves values unescaped"
    report = run(
        site,
        [
            {"op": "goto", "url": url},
            {"op": "pixels", "colors": [(255, 0, 0), (0, 255, 0), (255, 255, 0)], "tol": 30},
            {"op": "text", "selector": "#title"},
            {"op": "hover", "id": "d"},
        ],
    )
    state, pixels, title, tip = report["steps"]
    assert state["state"] == "ready" and (state["nodeCount"], state["edgeCount"]) == (4, 4)
    assert all(c > 20 for c in pixels["counts"]), pixels
    assert title["text"] == "Official & co"
    assert tip["text"] == "D", "the client binds node_title to the name column"
