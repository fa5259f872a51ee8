"""The explorer's last pieces in a real headless Chromium (issue #13): Export PNG with style()'s background
gradient and image, box select by touch, icons on edges, icons given as image URLs. Real data: Les
Misérables (tests/viewer/data/, a copy of ../shared/data/), placed on two grids (see test_explorer_more).
Each test checks what is drawn (pixels, counts), not only the DOM.
"""

from __future__ import annotations

import base64
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import graphistry
import pyarrow as pa
import pytest
from graphistry.arrow_uploader import ArrowUploader

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_steps
from .test_explorer import NODE_BLUE, arrow_bytes, lesmis_edges
from .test_explorer_more import lesmis_positions, lonely_edge

pytestmark = pytest.mark.browser

RED = (200, 0, 0)
BLUE = (0, 0, 200)
GREEN = (20, 200, 60)
MAGENTA = (210, 30, 210)


def png_uri(rows: list[list[tuple[int, int, int]]]) -> str:
    """A PNG (8-bit RGB) of these pixel rows, as a data: URI."""
    raw = b"".join(b"\x00" + b"".join(bytes(p) for p in row) for row in rows)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", len(rows[0]), len(rows), 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return "data:image/png;base64," + base64.b64encode(png).decode()


ICON_IMAGE = png_uri([[GREEN] * 8] * 8)
TRACKER = "https://tracker.example/pixel.png"

# style(bg=...) as the official client sends it: a top-to-bottom gradient; an image (left half green, right
# half magenta) over a gradient, which it covers.
GRADIENT = {
    "bg": {
        "color": "#101010",
        "gradient": {"kind": "linear", "stops": [["#c80000", "0%"], ["#0000c8", "100%"]]},
    }
}
IMAGE = {
    "bg": {
        "color": "#101010",
        "gradient": {"kind": "linear", "stops": [["#c80000", "0%"], ["#0000c8", "100%"]]},
        "image": {"url": png_uri([[GREEN] * 8 + [MAGENTA] * 8] * 8)},
    }
}


@dataclass
class Site:
    url: str
    datasets: dict[str, str]
    workdir: Path

    def viewer(self, name: str, extra: str = "") -> str:
        dataset = self.datasets[name]
        return f"{self.url}/graph/graph.html?dataset={dataset}&type=arrow&live=False&showLabels=False&info=False{extra}"


def lesmis_nodes() -> pa.Table:
    pos = lesmis_positions()
    names = sorted(pos)
    return pa.table(
        {
            "id": names,
            "px": [pos[n][0] for n in names],
            "py": [pos[n][1] for n in names],
            "group": ["west" if pos[n][0] < 0 else "east" for n in names],
        }
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("explorer-extras")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")
        edge_bindings = {"source": "source", "destination": "target"}
        node_bindings = {"node": "id", "node_x": "px", "node_y": "py"}

        def plot(name: str, edges: pa.Table, g: Any = None, **extra: Any) -> str:
            """Plot Les Misérables; `g`: an official-client Plottable whose encodings go on the wire as its
            uploader serialises them (encode_edge_icon, encode_point_icon)."""
            body = {
                "name": name,
                "edge_encodings": {"bindings": edge_bindings},
                "node_encodings": {"bindings": node_bindings},
                **extra,
            }
            if g is not None:
                uploader = ArrowUploader()
                body["edge_encodings"] = uploader.g_to_edge_encodings(g)
                body["node_encodings"] = uploader.g_to_node_encodings(g)
            return server.plot(
                alice, body, arrow_bytes(edges), arrow_bytes(lesmis_nodes()), {"mode": "public"}
            )

        client = graphistry.bind(source="source", destination="target", node="id", point_x="px", point_y="py")
        # One edge (the one alone in its part of the picture) has the "key" kind: a bolt at its middle.
        a, b, _ = lonely_edge()
        edges = lesmis_edges()
        ends = zip(edges["source"].to_pylist(), edges["target"].to_pylist(), strict=True)
        kinds = pa.array(["key" if (s, t) == (a, b) else "plain" for s, t in ends])
        edge_icons = client.encode_edge_icon("kind", categorical_mapping={"key": "bolt"})
        # Node icons as image URLs: a data: image for the west half, another site's image for the east half.
        url_icons = client.encode_point_icon(
            "group", categorical_mapping={"west": ICON_IMAGE, "east": TRACKER}
        )
        datasets = {
            "placed": plot("Les Misérables placed", lesmis_edges()),
            "edge_icons": plot("Les Misérables edge icons", edges.append_column("kind", kinds), edge_icons),
            "url_icons": plot("Les Misérables image icons", lesmis_edges(), url_icons),
            "gradient": plot("Les Misérables gradient", lesmis_edges(), metadata=GRADIENT),
            "image": plot("Les Misérables image", lesmis_edges(), metadata=IMAGE),
        }
        with served(server) as live:
            yield Site(live.url, datasets, root)


def run(site: Site, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    return run_steps(site.workdir, steps, **plan)


TOP, BOTTOM = [0, 0, 1000, 50], [0, 650, 1000, 50]
LEFT, RIGHT = [0, 0, 80, 700], [920, 0, 80, 700]


def test_export_png_paints_the_style_gradient_and_image_behind_the_graph(site: Site) -> None:
    """The PNG has what the screen shows behind the graph: style()'s gradient (red at the top, blue at the
    bottom) or its image (covering the view: green on the left, magenta on the right), and the graph."""
    colours = [RED, BLUE, GREEN, MAGENTA, NODE_BLUE]
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer("gradient")},
            {"op": "pixels", "colors": colours, "tol": 30},
            {
                "op": "downloads",
                "selector": "#btn-export-png",
                "colors": colours,
                "tol": 30,
                "regions": [TOP, BOTTOM],
            },
            {"op": "goto", "url": site.viewer("image")},
            {"op": "pixels", "colors": colours, "tol": 30},
            {
                "op": "downloads",
                "selector": "#btn-export-png",
                "colors": colours,
                "tol": 30,
                "regions": [LEFT, RIGHT],
            },
        ],
    )
    _, screen, (png,), _, screen_image, (png_image,) = report["steps"]
    area = 1000 * 50
    top, bottom = png["pixels"]["regions"]
    assert top[0] > 0.8 * area and top[1] == 0, f"red at the top: {top}"
    assert bottom[1] > 0.8 * area and bottom[0] == 0, f"blue at the bottom: {bottom}"
    counts = png["pixels"]["counts"]
    # As much gradient as on the screen (the screen also has panels over it), and the graph over it.
    for k in (0, 1):
        assert counts[k] > 0.9 * screen["counts"][k] > 0, (counts, screen["counts"])
    assert counts[4] > 0.7 * screen["counts"][4] > 0, "the nodes are drawn over the gradient"

    area = 80 * 700
    left, right = png_image["pixels"]["regions"]
    assert left[2] > 0.8 * area and left[3] == 0, f"the image's green half on the left: {left}"
    assert right[3] > 0.8 * area and right[2] == 0, f"its magenta half on the right: {right}"
    counts = png_image["pixels"]["counts"]
    assert counts[0] == counts[1] == 0, "the image covers the gradient, as on the screen"
    assert screen_image["counts"][0] == screen_image["counts"][1] == 0
    for k in (2, 3):
        assert counts[k] > 0.9 * screen_image["counts"][k] > 0, (counts, screen_image["counts"])
    assert counts[4] > 0.7 * screen_image["counts"][4] > 0


WHITE = (255, 255, 255)
SELECTION = "[window.__graphport.selected, document.getElementById('selection-count').textContent]"


def box_around(points: list[list[float]], pad: float) -> tuple[list[float], list[float]]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return [min(xs) - pad, min(ys) - pad], [max(xs) + pad, max(ys) + pad]


def test_box_select_by_touch_long_press_or_the_select_tool(site: Site) -> None:
    """On a touch screen (no Shift key): a finger resting still, then dragging, draws a box and selects the
    nodes in it; with the Select tool on, a plain drag does; without either, a drag pans."""
    pos = lesmis_positions()
    west = sorted(n for n, (x, _) in pos.items() if x < 0)
    east = sorted(set(pos) - set(west))
    first_east = min(east, key=lambda n: pos[n][0] - pos[n][1])
    where = run(
        site,
        [
            {"op": "goto", "url": site.viewer("placed")},
            {"op": "eval", "expr": f"{west!r}.map(n => window.__graphport.screenOf(n))"},
            {"op": "screenOf", "id": first_east},
        ],
        touch=True,
    )
    _, west_at, east_at = where["steps"]
    a, b = box_around(west_at, 10)
    c, d = box_around([east_at], 6)
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer("placed")},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "touch", "from": [a], "to": [b], "hold": 700},
            {"op": "eval", "expr": SELECTION},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "click", "selector": "#btn-select"},
            {"op": "touch", "from": [c], "to": [d]},
            {"op": "eval", "expr": SELECTION},
            {"op": "click", "selector": "#btn-select"},
            {"op": "touch", "from": [[500, 600]], "to": [[300, 600]]},
            {"op": "eval", "expr": SELECTION},
        ],
        touch=True,
    )
    start, px_before, _, (count, text), px_after, _, _, (count2, _), _, panned, (count3, _) = report["steps"]
    assert count == len(west) and text == f"{len(west)} nodes selected", (count, text)
    # Every selected node gets a white ring.
    assert px_after["counts"][0] > px_before["counts"][0] + 20 * len(west), (px_before, px_after)
    assert count2 == len(west) + 1, "the Select tool: a plain drag adds the box's node"
    assert count3 == count2, "a plain drag without the tool pans and selects nothing"
    assert panned["view"]["cx"] > start["view"]["cx"], (start["view"], panned["view"])


DISC = (20, 24, 33)
MIDDLE = (
    "(() => { const [p, q] = %s.map(n => window.__graphport.screenOf(n));"
    " return [(p[0] + q[0]) / 2, (p[1] + q[1]) / 2]; })()"
)


def test_edge_icons_are_drawn_at_the_edge_middle(site: Site) -> None:
    """encode_edge_icon("kind", {"key": "bolt"}) as the official client sends it: the one "key" edge gets a
    white bolt on a dark disc at its middle; the same place without edge icons has neither."""
    a, b, _ = lonely_edge()
    icons_state = "window.__graphport.icons"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer("placed")},
            {"op": "eval", "expr": MIDDLE % f"{[a, b]!r}"},
            {"op": "goto", "url": site.viewer("edge_icons")},
            {"op": "until", "expr": f"{icons_state} && {icons_state}.loaded && {icons_state}"},
            {"op": "eval", "expr": MIDDLE % f"{[a, b]!r}"},
        ],
    )
    _, at, _, icons, at_icons = report["steps"]
    assert at == at_icons, "the same view: the same middle"
    assert icons == {"drawn": 1, "missing": 0, "placeholders": 0, "images": 0, "edges": 1, "loaded": True}, (
        icons
    )
    clip = [round(at[0]) - 12, round(at[1]) - 12, 24, 24]
    pixels = run(
        site,
        [
            {"op": "goto", "url": site.viewer("placed")},
            {"op": "pixels", "clip": clip, "colors": [WHITE, DISC], "tol": 12},
            {"op": "goto", "url": site.viewer("edge_icons")},
            {"op": "until", "expr": f"{icons_state} && {icons_state}.loaded"},
            {"op": "pixels", "clip": clip, "colors": [WHITE, DISC], "tol": 12},
            {"op": "pixels", "colors": [WHITE], "tol": 12},
        ],
    )
    _, plain, _, _, marked, whole = pixels["steps"]
    assert plain["counts"] == [0, 0], plain
    assert marked["counts"][0] > 15, f"a white bolt at the middle: {marked}"
    assert marked["counts"][1] > 100, f"on a dark disc: {marked}"
    assert whole["counts"][0] < marked["counts"][0] + 40, "white only there (labels are off)"


ICONS_TRANSFER = (
    "(e => [e.encodedBodySize, e.decodedBodySize])"
    "(performance.getEntriesByType('resource').find(e => e.name.endsWith('/icons.json')))"
)


def test_icon_images_draw_data_uris_and_never_load_another_sites_url(site: Site) -> None:
    """encode_point_icon with image URLs: the west half's data: image is drawn in each node; the east half's
    https URL on another host is never requested (the dataset's author must not learn who views it): a
    placeholder glyph is drawn and the inspector shows the URL."""
    pos = lesmis_positions()
    east = sorted(n for n, (x, _) in pos.items() if x > 0)
    west = len(pos) - len(east)
    icons_state = "window.__graphport.icons"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer("placed")},
            {"op": "pixels", "colors": [GREEN], "tol": 30},
            {"op": "goto", "url": site.viewer("url_icons")},
            {
                "op": "until",
                "expr": f"{icons_state} && {icons_state}.loaded && {icons_state}.images > 0 && {icons_state}",
            },
            {"op": "pixels", "colors": [GREEN], "tol": 30},
            {"op": "clickNode", "id": east[0]},
            {
                "op": "eval",
                "expr": "Object.fromEntries([...document.querySelectorAll('#inspector-rows tr')]"
                ".map(r => [r.querySelector('th').textContent, r.querySelector('td').textContent]))",
            },
            {"op": "eval", "expr": ICONS_TRANSFER},
        ],
    )
    _, plain, _, icons, drawn, inspector, rows, transfer = report["steps"]
    expected = {"drawn": west, "missing": 0, "placeholders": len(east), "images": west, "edges": 0}
    assert icons == {**expected, "loaded": True}, icons
    assert plain["counts"][0] == 0
    assert drawn["counts"][0] > 30 * west, f"the green image in each west node: {drawn}"
    assert inspector["visible"] and rows["icon (not loaded: another site)"] == TRACKER, rows
    assert not [u for u in report["requests"] if "tracker.example" in u], report["requests"]
    assert not [e for e in report["consoleErrors"] if "tracker.example" in e], report["consoleErrors"]
    # The icon set came over HTTP gzip-compressed (1.45 MB of JSON, 480 KB on the wire).
    encoded, decoded = transfer
    assert decoded > 1_000_000 and encoded < 0.35 * decoded, transfer
