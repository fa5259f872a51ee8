"""A real Chromium signs in through the /login form and opens a private plot (issue #10: "Nobody
can sign in from a browser"). Pages say Referrer-Policy no-referrer, with which Chromium posts a
form with `Origin: null` and the login CSRF check refused every sign-in."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, start_live
from ..viewer._browser import require_browser, run_browser

pytestmark = pytest.mark.browser


def _arrow(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def test_sign_in_through_the_form_then_open_a_private_plot(tmp_path: Path) -> None:
    require_browser()
    config = ServerConfig(data=tmp_path / "d", secret=SECRET, argon2_time_cost=1, argon2_memory_kib=64)
    with graphport.Server(config=config) as server:
        alice = server.create_user("alice", PASSWORD)
        spec = {"name": "secret", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
        edges = _arrow(pa.table({"s": ["a", "b", "c"], "d": ["b", "c", "a"]}))
        private = server.plot(alice, spec, edges, None, {"mode": "private"})
        uv, thread, port = start_live(server)
        base = f"http://127.0.0.1:{port}"
        fill = (
            "(() => { document.querySelector('input[name=username]').value = 'alice';"
            f" document.querySelector('input[name=password]').value = {PASSWORD!r}; return true; }})()"
        )
        try:
            report = run_browser(
                {
                    "steps": [
                        {"op": "goto", "url": f"{base}/graph/graph.html?dataset={private}"},
                        {"op": "text", "selector": "body"},  # the 404 page offering sign-in
                        {"op": "goto", "url": f"{base}/login?next=/graph/graph.html%3Fdataset%3D{private}"},
                        {"op": "eval", "expr": fill},
                        {"op": "eval", "expr": "document.querySelector('form').submit() || true"},
                        {
                            "op": "until",
                            "expr": "window.__graphport && window.__graphport.state === 'ready'"
                            " && [window.__graphport.nodeCount, location.pathname]",
                            "timeout": 30_000,
                        },
                    ]
                },
                tmp_path,
            )
        finally:
            uv.should_exit = True
            thread.join(timeout=10)
    denied = report["steps"][1]
    assert "does not exist, or you may not see it" in denied["text"]
    assert report["steps"][-1] == [3, "/graph/graph.html"], report
