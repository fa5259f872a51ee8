"""What a worker process runs for a layout: a dataset's node table built with layout settings,
sending provisional positions to the parent while the layout runs (issue #12).

The first build of an upload and a re-run with new settings are the same job: ``_ingest``'s
``build_graph`` (nodes derived or uploaded, endpoints added, positions by the contract of
``_positions``) inside a :class:`~._layout_compute.LayoutJob` carrying the settings and the
progress callback. A re-run builds from the same stored tables, so its node rows come out in the
same order as the first build's; with a lock (``lockedX``...) it starts from the current
positions, else it lays out afresh with the new settings, so the same settings always give the
same picture (reopening a URL shows what the person saw).

The layout that placed the nodes is written to the schema metadata of ``nodes.arrow``
(:data:`~._layout_runs.LAYOUT_KEY`); the viewer compares it with its URL's settings.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa

from ..errors import GraphportError
from ..layout import LayoutSettings
from ._ingest import build_graph, read_stored, to_ipc_file
from ._layout_compute import LayoutJob, layout_job
from ._layout_runs import FRAME_INTERVAL, LAYOUT_KEY
from ._layout_worker import report
from ._positions import positions_of, uploaded_positions

#: Seconds a worker sleeps after sending each frame: 0, except in tests that must open a page while
#: a layout still runs (a test hook; set in the worker by a test's own build function).
PAUSE_AFTER_FRAME = 0.0

#: A stored table as the worker reads it: a local file path, or the bytes themselves.
TableSource: TypeAlias = "str | bytes | pa.Buffer"


class PositionsUploaded(GraphportError):
    """The dataset's positions were uploaded (x/y columns or node_x/node_y): they win, as in
    Graphistry, so there is no layout to re-run (HTTP 409)."""

    status = 409
    code = "positions_uploaded"


def load(source: TableSource, what: str) -> pa.Table:
    """A stored table in the worker: memory-mapped when the blob is a local file (zero-copy),
    else the bytes the server read from the store; not validated again (``read_stored`` says why)."""
    if isinstance(source, str):
        buffer = pa.memory_map(source).read_buffer()
    else:
        buffer = source if isinstance(source, pa.Buffer) else pa.py_buffer(source)
    return read_stored(buffer, what)


class _FrameSender:
    """``progress(x, y)`` for the engine: the first frame at once (with every edge's node
    indices), then at most one every :data:`FRAME_INTERVAL` seconds, as float32."""

    def __init__(self, job: LayoutJob) -> None:
        self.job = job
        self.sent = 0
        self.last = 0.0

    def __call__(self, x: np.ndarray, y: np.ndarray) -> None:
        now = time.monotonic()
        if self.sent and now - self.last < FRAME_INTERVAL:
            return
        links = None
        if self.sent == 0 and self.job.links is not None:
            links = tuple(np.asarray(a, dtype=np.int32) for a in self.job.links)
        report({"x": x.astype(np.float32), "y": y.astype(np.float32), "links": links})
        self.sent += 1
        self.last = now
        if PAUSE_AFTER_FRAME > 0:
            time.sleep(PAUSE_AFTER_FRAME)


def build_with_layout(
    edges: pa.Table,
    nodes: pa.Table | None,
    edge_bindings: Mapping[str, Any],
    node_bindings: Mapping[str, Any],
    settings: LayoutSettings | None = None,
    initial: tuple[np.ndarray, np.ndarray] | None = None,
    run: int = 0,
) -> pa.Table:
    """``build_graph`` with the layout's settings, start positions and progress frames; the
    table names the layout in its schema metadata when a layout placed the nodes."""
    job = LayoutJob(settings=settings, initial=initial)
    job.progress = _FrameSender(job)
    with layout_job(job):
        graph = build_graph(edges, nodes, edge_bindings, node_bindings)
    if not job.ran:
        return graph
    described = {"settings": (settings or LayoutSettings()).to_graphistry(), "run": run}
    return graph.replace_schema_metadata({**(graph.schema.metadata or {}), LAYOUT_KEY: json.dumps(described)})


def layout_of(schema: pa.Schema) -> dict[str, Any] | None:
    """The ``graphport:layout`` metadata of a ``nodes.arrow`` schema (None: positions uploaded, or
    a graph built before it existed)."""
    raw = (schema.metadata or {}).get(LAYOUT_KEY.encode())
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def rerun_in_worker(
    edges: TableSource,
    nodes: TableSource | None,
    graph: TableSource,
    edge_bindings: Mapping[str, Any],
    node_bindings: Mapping[str, Any],
    settings: Mapping[str, Any],
) -> tuple[bytes, int]:
    """The dataset's node table laid out again with ``settings`` (Graphistry names), as an Arrow
    IPC file, and its row count; runs in a worker process. Refused with
    :class:`PositionsUploaded` when the positions were uploaded."""
    chosen = LayoutSettings.from_graphistry(settings)
    nodes_table = load(nodes, "nodes") if nodes is not None else None
    if nodes_table is not None and uploaded_positions(nodes_table.schema, node_bindings) is not None:
        raise PositionsUploaded("This dataset's positions were uploaded; they are kept as they are.")
    current = load(graph, "nodes")
    before = layout_of(current.schema) or {}
    initial = None
    if chosen.locked:  # keep the current x (y, radius): start from the positions shown now
        x_name, y_name = positions_of(current.schema)
        initial = (
            current.column(x_name).to_numpy().astype(np.float64),
            current.column(y_name).to_numpy().astype(np.float64),
        )
    table = build_with_layout(
        load(edges, "edges"),
        nodes_table,
        edge_bindings,
        node_bindings,
        settings=chosen,
        initial=initial,
        run=int(before.get("run", 0)) + 1,
    )
    return to_ipc_file(table).to_pybytes(), table.num_rows
