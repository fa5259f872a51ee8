"""The live flows (sans-IO): what they ask for and how they read the answers."""

from __future__ import annotations

import httpx
import pyarrow as pa
import pytest

from graphport import GraphportError
from graphport.client._live import PENDING_GRAPH_RETRIES, table_flow

from .._arrow import arrow_file

PENDING = {"ok": False, "code": "graph_pending", "status": 503, "error": "layout running", "errors": []}


def drive(answers: list[httpx.Response]) -> tuple[pa.Table, int]:
    flow = table_flow("ds1", "nodes")
    call = next(flow)
    asked = 1
    for answer in answers:
        assert call.method == "GET" and call.path.endswith("/ds1/nodes.arrow")
        try:
            call = flow.send(answer)
            asked += 1
        except StopIteration as done:
            return done.value, asked
    raise AssertionError("the flow asked for more answers than given")


def test_a_pending_layout_is_asked_for_again() -> None:
    table = pa.table({"id": ["a"], "x": [0.0], "y": [0.0]})
    answers = [httpx.Response(503, json=PENDING, headers={"Retry-After": "2"})] * 3
    answers.append(httpx.Response(200, content=arrow_file(table)))
    result, asked = drive(answers)
    assert result.equals(table) and asked == 4


def test_a_layout_pending_for_too_long_raises_graph_pending() -> None:
    request = httpx.Request("GET", "http://testserver/api/v2/datasets/ds1/nodes.arrow")
    answers = [httpx.Response(503, json=PENDING, request=request)] * (PENDING_GRAPH_RETRIES + 1)
    with pytest.raises(GraphportError) as caught:
        drive(answers)
    assert caught.value.code == "graph_pending"
