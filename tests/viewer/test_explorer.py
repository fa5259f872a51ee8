"""The explorer's tools in a real headless Chromium (issue #13): position columns named by the nodes table,
a fit that ignores far outliers, filters and exclusions with the status line. Real data: Les Misérables and
the honeypot log (tests/viewer/data/, copies of ../shared/data/). Each test checks what is drawn (pixels,
screen positions, visible counts), not only the DOM.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, start_live
from ._browser import require_browser, run_browser

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent / "data"
NODE_BLUE = (78, 156, 255)


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_csv(name: str) -> list[dict[str, str]]:
    text = (DATA / name).read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return list(csv.DictReader(io.StringIO(text)))


def lesmis_edges() -> pa.Table:
    rows = read_csv("lesmiserables.csv")
    return pa.table(
        {
            "source": [r["source"] for r in rows],
            "target": [r["target"] for r in rows],
            "value": [int(r["value"]) for r in rows],
        }
    )


def lesmis_names() -> list[str]:
    edges = lesmis_edges()
    return sorted(set(edges["source"].to_pylist()) | set(edges["target"].to_pylist()))


def honeypot_edges() -> pa.Table:
    rows = read_csv("honeypot.csv")
    return pa.table(
        {
            "attacker": [r["attackerIP"] for r in rows],
            "victim": [r["victimIP"] for r in rows],
            "port": [float(r["victimPort"]) for r in rows],
            "vuln": [r["vulnName"] for r in rows],
            "count": [int(r["count"]) for r in rows],
        }
    )


@dataclass
class Site:
    url: str
    lesmis: str
    outliers: str
    honeypot: str
    workdir: Path

    def viewer(self, dataset: str, extra: str = "") -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&type=arrow{extra}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("explorer")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")
        lesmis = server.plot(
            alice,
            {
                "name": "Les Misérables",
                "edge_encodings": {"bindings": {"source": "source", "destination": "target"}},
                "node_encodings": {"bindings": {}},
            },
            arrow_bytes(lesmis_edges()),
            None,
            {"mode": "public"},
        )
        # Les Misérables in a 20 x 20 box, plus two isolated nodes thousands of units away.
        rng = random.Random(13)
        names = lesmis_names()
        nodes = pa.table(
            {
                "id": [*names, "far east", "far south"],
                "px": [rng.uniform(-10, 10) for _ in names] + [5000.0, 0.0],
                "py": [rng.uniform(-10, 10) for _ in names] + [0.0, -3000.0],
            }
        )
        outliers = server.plot(
            alice,
            {
                "name": "outliers",
                "edge_encodings": {"bindings": {"source": "source", "destination": "target"}},
                "node_encodings": {"bindings": {"node": "id", "node_x": "px", "node_y": "py"}},
            },
            arrow_bytes(lesmis_edges()),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        honeypot = server.plot(
            alice,
            {
                "name": "honeypot",
                "edge_encodings": {"bindings": {"source": "attacker", "destination": "victim"}},
                "node_encodings": {"bindings": {}},
            },
            arrow_bytes(honeypot_edges()),
            None,
            {"mode": "public"},
        )
        uv, thread, port = start_live(server)
        try:
            yield Site(f"http://127.0.0.1:{port}", lesmis, outliers, honeypot, root)
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


def run(site: Site, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    report = run_browser({"steps": steps, **plan}, site.workdir)
    assert report["pageErrors"] == [], report["pageErrors"]
    return report


def test_positions_come_from_the_columns_the_nodes_table_names(site: Site) -> None:
    """nodes.arrow names its position columns in `graphport:positions`; the user's own `x` (text) is
    data: shown in the inspector, never used as a position. The layout's columns are not shown."""
    names = lesmis_names()
    left = {n for k, n in enumerate(names) if k % 2 == 0}
    table = pa.table(
        {
            "id": names,
            "x": [f"user text {k}" for k in range(len(names))],
            "_gp_x": [(-50.0 if n in left else 50.0) + k % 7 for k, n in enumerate(names)],
            "_gp_y": [float(k % 11) for k in range(len(names))],
        }
    ).replace_schema_metadata({"graphport:positions": json.dumps(["_gp_x", "_gp_y"])})
    nodes_file = site.workdir / "positions-nodes.arrow"
    nodes_file.write_bytes(arrow_bytes(table))
    a, b = sorted(left)[0], sorted(set(names) - left)[0]
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False")},
            {"op": "screenOf", "id": a},
            {"op": "screenOf", "id": b},
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            {"op": "clickNode", "id": a},
            {"op": "eval", "expr": "[...document.querySelectorAll('#inspector th')].map(t => t.textContent)"},
        ],
        routes=[{"url": "**/nodes.arrow", "path": str(nodes_file)}],
    )
    state, at_a, at_b, pixels, inspector, headings = report["steps"]
    assert state["state"] == "ready", state
    assert at_b[0] - at_a[0] > 300, "the two halves are drawn apart, as _gp_x says"
    assert pixels["counts"][0] > 500, pixels
    assert inspector["visible"] and f"user text {names.index(a)}" in inspector["text"]
    assert "x" in headings and "_gp_x" not in headings and "_gp_y" not in headings


def test_fit_frames_the_graph_not_its_far_outliers(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.outliers, "&showLabels=False&live=False")},
            {
                "op": "eval",
                "expr": "['Valjean', 'Javert', 'Cosette', 'Marius', 'far east'].map(n => window.__graphport.screenOf(n))",
            },
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            # Zoom out far: the outliers come into view, and the zoom stops at its limit.
            *[{"op": "wheel", "x": 500, "y": 350, "dy": 600} for _ in range(12)],
            {"op": "eval", "expr": "['far east', 'far south'].map(n => window.__graphport.screenOf(n))"},
            {"op": "eval", "expr": "window.__graphport.view.minZoom"},
        ],
    )
    state, at, pixels = report["steps"][:3]
    zoomed_out, far, min_zoom = report["steps"][-3:]
    assert state["nodeCount"] == 79
    xs = [p[0] for p in at[:4]]
    ys = [p[1] for p in at[:4]]
    assert max(xs) - min(xs) > 150 or max(ys) - min(ys) > 150, f"the main graph is not a dot: {at}"
    assert not (0 <= at[4][0] <= 1000), "the far outlier is left out of the first view"
    assert pixels["counts"][0] > 1500, pixels
    for x, y in far:
        assert 0 <= x <= 1000 and 0 <= y <= 700, f"outliers reachable by zooming out: {far}"
    assert zoomed_out["view"]["zoom"] == pytest.approx(min_zoom), "zooming out stops at the limit"
    assert min_zoom < state["view"]["zoom"] / 100
