"""Pure parts of the viewer run under Node: URL parameter parsing (web/src/params.ts), tolerant of
what the official client writes (raw values, '&' and '#' unescaped, Python booleans, repeated keys),
colour encodings (web/src/encodings.ts) and the Graph's id → index bookkeeping (web/src/data.ts)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ._browser import PLAYWRIGHT

UNITS = Path(__file__).resolve().parent / "units.mjs"

CASES: list[tuple[str, dict[str, str]]] = [
    (
        "/graph/graph.html?dataset=abc&type=arrow&info=true&",
        {"dataset": "abc", "type": "arrow", "info": "true"},
    ),
    ("/g?dataset=a&bg=#ff0000&pointSize=2", {"dataset": "a", "bg": "#ff0000", "pointSize": "2"}),
    (
        "/g?dataset=a&pageTitle=Tom & Jerry&menu=False",
        {"dataset": "a", "pageTitle": "Tom & Jerry", "menu": "False"},
    ),
    ("/g?dataset=a&pageTitle=a%20b%zz", {"dataset": "a", "pageTitle": "a%20b%zz"}),
    ("/g?dataset=a&pageTitle=caf%C3%A9", {"dataset": "a", "pageTitle": "café"}),
    ("/g?dataset=a&splashAfter=1700000000&splashAfter=False", {"dataset": "a", "splashAfter": "False"}),
    ("/g?dataset=a&showArrows", {"dataset": "a", "showArrows": ""}),
    ("/g", {}),
]


def run_units(module: str, calls: list[list[Any]]) -> list[Any]:
    if shutil.which("node") is None or not PLAYWRIGHT.parent.is_dir():
        pytest.skip("needs node and web/node_modules (cd web && npm ci)")
    proc = subprocess.run(
        ["node", str(UNITS), module],
        input=json.dumps(calls),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    results: list[Any] = json.loads(proc.stdout)
    return results


def test_parse_params_is_tolerant() -> None:
    results = run_units("params", [["parseParams", href] for href, _ in CASES])
    for (href, expected), got in zip(CASES, results, strict=True):
        assert got == expected, href


def col(values: list[Any], numeric: bool) -> dict[str, Any]:
    return {"__column": {"name": "c", "values": values, "numeric": numeric}}


def rgba(colors: list[int]) -> list[tuple[int, ...]]:
    return [tuple(colors[i : i + 4]) for i in range(0, len(colors), 4)]


def test_colour_encodings() -> None:
    grey = [128, 128, 128, 255]
    fixed = {"mapping": {"categorical": {"fixed": {"a": "#ff0000"}, "other": "#00ff00"}}}
    continuous = {"variation": "continuous", "colors": ["#000000", "#ffffff"]}
    bins = {"mapping": {"continuous": {"bins": [[1, "#ff0000"], [None, "#0000ff"]], "other": "#00ff00"}}}
    results = run_units(
        "encodings",
        [
            ["colorColumn", col(["a", "b", "a"], False), 3, fixed, grey],
            ["colorColumn", col([0.0, 5.0, 10.0], True), 3, continuous, grey],
            ["colorColumn", col([0.5, 3.0, None], True), 3, bins, grey],
            ["colorColumn", col([0, 1, 16], True), 3, None, grey],
            ["colorColumn", col(["#123456", "#abcdef"], False), 2, None, grey],
            ["colorColumn", col(["x", "y", "y"], False), 3, None, grey],
        ],
    )
    categorical, ramp, binned, integers, literal, automatic = results
    assert rgba(categorical["colors"]) == [(255, 0, 0, 255), (0, 255, 0, 255), (255, 0, 0, 255)]
    assert [e["label"] for e in categorical["legend"]["entries"]] == ["a", "b"]
    assert rgba(ramp["colors"]) == [(0, 0, 0, 255), (128, 128, 128, 255), (255, 255, 255, 255)]
    assert ramp["legend"]["kind"] == "continuous" and ramp["legend"]["max"] == 10
    assert rgba(binned["colors"]) == [(255, 0, 0, 255), (0, 0, 255, 255), (0, 255, 0, 255)]
    # Integers index the categorical palette (Graphistry's convention): 0 and 16 share a colour.
    assert rgba(integers["colors"])[0] == rgba(integers["colors"])[2] != rgba(integers["colors"])[1]
    assert rgba(literal["colors"]) == [(0x12, 0x34, 0x56, 255), (0xAB, 0xCD, 0xEF, 255)]
    # Automatic categorical palette, most frequent value first.
    assert automatic["legend"]["entries"][0]["label"] == "y"
    assert rgba(automatic["colors"])[1] == rgba(automatic["colors"])[2] != rgba(automatic["colors"])[0]


def test_graph_keeps_ids_positions_and_edges_consistent() -> None:
    ids = list(range(10))
    xs = [float(i) for i in ids]
    edges = [[0, 9], [8, 1], [9, 8], [2, 3], [7, 9], [5, 5]]
    src, dst = [a for a, _ in edges], [b for _, b in edges]
    (removed, upserted, strings) = run_units(
        "data",
        [
            ["graphOps", [["setNodes", ids, xs, xs], ["setEdges", src, dst], ["removeNodes", [8, 2]]]],
            [
                "graphOps",
                [["setNodes", ids[:3], xs[:3], xs[:3]], ["upsertNodes", [1, 42], [10.0, 4.0], [0, 0]]],
            ],
            [
                "graphOps",
                [["setNodes", ["a", "b"], [0, 1], [0, 1]], ["setEdges", ["a", "zz", "b"], ["b", "a", "b"]]],
            ],
        ],
    )
    # Removing 8 and 2 moves 9 into 8's place, then moves it again into 2's (it is last again).
    assert sorted(removed["ids"]) == [0, 1, 3, 4, 5, 6, 7, 9]
    assert removed["index"]
    assert all(removed["x"][i] == float(node) for i, node in enumerate(removed["ids"]))
    assert sorted(map(tuple, removed["edges"])) == [(0, 9), (5, 5), (7, 9)]
    assert dict(zip(removed["ids"], removed["degree"], strict=True))[9] == 2
    assert upserted["ids"] == [0, 1, 2, 42] and upserted["x"] == [0.0, 10.0, 2.0, 4.0] and upserted["index"]
    # String ids go through the map; an edge to an unknown id is left out.
    assert strings["edges"] == [["a", "b"], ["b", "b"]]


def test_live_frames_keep_rows_aligned_with_columns() -> None:
    """Snapshot, then deltas that remove, add (without a position), recolour and drop an edge: every node and
    edge still reads its own row's columns, and the new node sits near its neighbour."""
    keys = {"nodes": "id", "edges": "eid"}
    frames = [
        {
            "type": "snapshot",
            "version": 0,
            "keys": keys,
            "parts": [
                {
                    "table": "edges",
                    "op": "upsert",
                    "rows": {"eid": ["e1", "e2"], "s": [1, 2], "d": [2, 3], "w": ["12", "23"]},
                },
                {
                    "table": "nodes",
                    "op": "upsert",
                    "rows": {"id": [1, 2, 3], "kind": ["a", "b", "c"], "x": [0, 10, 20], "y": [0, 0, 0]},
                },
            ],
        },
        {
            "type": "delta",
            "version": 1,
            "base": 0,
            "keys": keys,
            "parts": [
                {"table": "edges", "op": "upsert", "rows": {"eid": ["e3"], "s": [4], "d": [3], "w": ["43"]}},
                {"table": "nodes", "op": "remove", "rows": {"key": [1]}},
                {
                    "table": "nodes",
                    "op": "upsert",
                    "rows": {"id": [4], "kind": ["d"], "x": [None], "y": [None]},
                },
            ],
        },
        {
            "type": "delta",
            "version": 2,
            "base": 1,
            "keys": keys,
            "parts": [
                {"table": "edges", "op": "remove", "rows": {"key": ["e2"]}},
                {"table": "nodes", "op": "upsert", "rows": {"id": [2], "kind": ["z"], "x": [10], "y": [5]}},
            ],
        },
        {"type": "delta", "version": 9, "base": 7, "keys": keys, "parts": []},  # a gap: not applied
    ]
    (state,) = run_units("live", [["liveOps", frames]])
    assert state["applied"] == [True, True, True, False]
    assert state["version"] == 2
    nodes = state["nodes"]
    assert {k: v["kind"] for k, v in nodes.items()} == {"2": "z", "3": "c", "4": "d"}
    assert (nodes["2"]["x"], nodes["2"]["y"]) == (10, 5)
    assert abs(nodes["4"]["x"] - 20) < 1 and abs(nodes["4"]["y"]) < 1, "placed next to node 3"
    assert state["edges"] == [[4, 3, "43"]], "e1 lost its endpoint, e2 was removed"
    assert (nodes["3"]["degree"], nodes["4"]["degree"], nodes["2"]["degree"]) == (1, 1, 0)
