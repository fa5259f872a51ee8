"""How soon a page opened on a new upload can draw something (issue #12): time from the upload's
answer to the layout's first provisional frame on the server (what the viewer's preview polls,
``GET /api/v2/datasets/{id}/layout/frame.arrow``), beside the baseline measured in the same run:
the time until ``nodes.arrow`` exists, which is how long the page showed a blank "Loading N
edges…" before frames.

    .venv/bin/python bench/layout_frames.py [--quick] [--edges N ...] [--browser]

Planted-cluster graphs (30 clusters, 5 edges per node) through a real in-process Server and its
real worker process; the worker is started (and its layout kernels loaded, ``warm_up``) by a small
upload first, as on a running server. ``--quick`` runs 100k and 300k edges; the default adds 1M.
The page polls the frame every 0.4 s (``web/src/layoutpreview.ts``), so its first picture comes
at most that much (plus one fetch and one canvas draw) after the first frame here.

``--browser`` also opens each upload in headless Chromium (Debian's ``chromium``, the test
driver ``tests/viewer/driver.mjs``) served on 127.0.0.1, right after the upload's answer, and
prints when the page drew its first picture (the layout preview) and when the final graph was
ready, both in seconds since the page started loading, and how long after the upload the page
started loading (the browser's start-up).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import uvicorn

import graphport
from graphport.server._config import ServerConfig
from graphport.server._ingest import to_ipc_file

SPEC = {"name": "bench", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
DRIVER = Path(__file__).resolve().parents[1] / "tests" / "viewer" / "driver.mjs"


def planted(edges: int, clusters: int = 30, seed: int = 1) -> bytes:
    nodes = edges // 5
    rng = np.random.default_rng(seed)
    label = np.arange(nodes) % clusters
    src = rng.integers(0, nodes, edges)
    src[:nodes] = np.arange(nodes)
    dst = rng.integers(0, nodes, edges)
    within = int(edges * 0.9)
    dst[:within] = rng.integers(0, nodes // clusters, within) * clusters + label[src[:within]]
    return bytes(to_ipc_file(pa.table({"s": src, "d": dst})).to_pybytes())


def measure(server: graphport.Server, user: object, edges: int) -> tuple[float | None, float, int]:
    """Seconds from the upload's answer to the first frame (None: no frame) and to the stored
    graph, and the number of frames the server received."""
    body = planted(edges)
    ds = server.plot(user, SPEC, body, None, {"mode": "private"})  # type: ignore[arg-type]
    t0 = time.perf_counter()
    future = server.datasets.graphs.future(ds)
    first: float | None = None
    frames = 0
    while not future.done():
        run = server.datasets.graphs.runs.get(ds)
        if run is not None and run.frame > 0:
            frames = run.frame
            if first is None:
                first = time.perf_counter() - t0
        time.sleep(0.01)
    future.result()
    done = time.perf_counter() - t0
    run = server.datasets.graphs.runs.get(ds)
    return first, done, frames if run is None else max(frames, run.frame)


def serve(server: graphport.Server) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    uv = uvicorn.Server(uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not uv.started:
        time.sleep(0.01)
    return uv, thread, port


def in_browser(server: graphport.Server, user: object, edges: int, port: int, workdir: Path) -> str:
    """Open a fresh upload in Chromium at once; the page's own clock says when it drew."""
    body = planted(edges, seed=2)
    ds = server.plot(user, SPEC, body, None, {"mode": "public"})  # type: ignore[arg-type]
    uploaded = time.time() * 1000
    plan = {
        "viewport": [1000, 700],
        "steps": [
            {"op": "goto", "url": f"http://127.0.0.1:{port}/graph/graph.html?dataset={ds}&type=arrow"},
            {
                "op": "eval",
                "expr": "[Date.now() - performance.now(), Number(document.body.dataset.previewAt || NaN)]",
            },
            {"op": "until", "expr": "document.body.dataset.state === 'ready'", "timeout": 600_000},
            {"op": "eval", "expr": "[performance.now(), Number(document.body.dataset.preview || 0)]"},
        ],
    }
    path = workdir / f"plan-{edges}.json"
    path.write_text(json.dumps(plan))
    proc = subprocess.run(
        ["node", str(DRIVER), str(path)], capture_output=True, text=True, timeout=900, check=False
    )
    if proc.returncode != 0:
        return f"browser failed: {proc.stderr[-300:]}"
    steps = json.loads(proc.stdout)["steps"]
    (nav_start, preview_at), _, (ready_at, frames) = steps[1], steps[2], steps[3]
    first = "-" if preview_at is None else f"{preview_at / 1000:.2f}"  # NaN (null): no preview drawn
    return (
        f"page opened {(nav_start - uploaded) / 1000:.2f} s after the upload; first picture {first} s, "
        f"final graph {ready_at / 1000:.2f} s after opening; {frames} preview frames"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100k and 300k edges only")
    parser.add_argument("--edges", type=int, nargs="*", help="edge counts to run instead")
    parser.add_argument("--browser", action="store_true", help="also open each upload in Chromium")
    args = parser.parse_args()
    sizes = args.edges or ([100_000, 300_000] if args.quick else [100_000, 300_000, 1_000_000])
    print(f"load average before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    with tempfile.TemporaryDirectory() as root:
        config = ServerConfig(data=Path(root) / "data", secret="bench-layout-frames-secret-0123456789")
        with graphport.Server(config=config) as server:
            server.create_user("bench", "bench-password-123")
            user = server.accounts.require_user("bench")
            t = time.perf_counter()
            measure(server, user, 1_000)  # start the worker, load its kernels (a running server's state)
            print(f"worker start + warm_up + a 1,000-edge build: {time.perf_counter() - t:.2f} s")
            print(
                f"{'edges':>10}  {'first frame s':>13}  {'nodes.arrow s (baseline: blank page)':>36}  {'frames':>6}"
            )
            for edges in sizes:
                first, done, frames = measure(server, user, edges)
                first_text = "-" if first is None else f"{first:.2f}"
                print(f"{edges:>10,}  {first_text:>13}  {done:>36.2f}  {frames:>6}")
            if args.browser:
                uv, thread, port = serve(server)
                try:
                    for edges in sizes:
                        print(f"{edges:>10,}  Chromium: {in_browser(server, user, edges, port, Path(root))}")
                finally:
                    uv.should_exit = True
                    thread.join(timeout=10)
    print(f"load average after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")


if __name__ == "__main__":
    main()
