"""Live updates: graphport side by side with perspective-python, in the same process and run.

Throughput: rows/s of Arrow IPC batches (1, 100, 10,000 rows) rewriting random existing keys of a
100,000-row indexed edge table, from 1 and 2 writer threads, with and without ``on_poll_request``.
Each side has one subscriber (graphport: a local subscription that also encodes every delta to its
wire frame, as a WebSocket viewer would; Perspective: a flat View with a counting ``on_update``).
The clock stops after the writers return *and* every pending poll has run (plus one explicit
``poll()``).

Poll modes: ``direct`` = no callback (the engine applies inside the write). ``poll`` = a callback
handing polls to a one-worker executor: graphport ``lambda s: pool.submit(s.poll)``; Perspective the
lock + executor pattern of its streaming example (its poll is not safe to call concurrently).

Latency: one writer, 1-row updates with a 2 ms pause, from before ``update()`` to the moment a
WebSocket client on another thread has the change: graphport over uvicorn (ASGI) and Tornado;
Perspective over its Tornado handler with an ``AsyncClient`` (``on_update`` default and row mode).

Client level (issue #16): the same rows/s, one writer, through ``Dataset.update()`` of
``graphport.Server().new_local_client()`` beside Perspective's local client ``Table.update()``, both
given the same pyarrow Tables (``--client-only`` runs just this section).

Profile (#16; py-spy over all threads, cProfile where everything runs on one thread), 2 shared
cores under load 2-8:

- Before: the embedded client went caller -> private event loop thread -> HTTP executor thread ->
  loop -> caller for every call. With 1-row batches those wake-ups (the loop's self-pipe
  ``_write_to_self`` send, lock waits) were most of the wall time; 10k-row batches were already
  ~1.6-1.8x Perspective (the engine's upsert is vectorised). Now the client goes direct (the HTTP
  core on the calling thread: ``_embedded.DirectTransport``).
- The engine's publish summed the Arrow ``nbytes`` of every message in the delta history (up to
  64) on every write: 60% of a 1-row write (2.5 ms -> 0.93 ms per write under cProfile after a
  running count replaced it).
- What a 1-row client write costs now (cProfile shares): engine write ~40% (IPC parse and limit
  checks ~15%, apply + delta + history ~20%, log append ~5%), authenticating the Bearer token
  ~18% (one database read per request, as over HTTP: revocations apply at once), httpx request
  building and response ~18%, the client's Arrow encoding ~3%, the HTTP core and the per-thread
  event loop the rest. Perspective's local client has no per-call authentication, no HTTP model
  and no per-write durability log, so small batches stay below it (see the figures it prints).
- Client-level figures of 2026-12-05 (``--client-only --duration 2``, load 6): rows/s ratio to
  Perspective's local client 1 row 0.41 (direct) / 0.34 (poll), 100 rows 0.41 / 0.51, 10,000
  rows 1.21 / 2.62; before this work 0.06-0.32 (1 row), 0.14-0.72 (100), 0.87-1.8 (10k).

Second pass (#16), thread CPU per 1-row write, load 3-6:

- Through the local client 360-390 us; the engine alone given the same IPC bytes
  (``server.live_update``, with the subscriber's frame) 185-215 us, given the pyarrow Table
  140-160 us. So ~175 us is the client's flow, the direct transport and the HTTP core (each piece
  5-20 us: routing, headers, JSON answer, httpx response, the event loop turn), ~45 us the Arrow
  IPC round trip (client encode, ``read_arrow``'s limit checks and validation).
- Done: the token's database read is skipped while the caller's facts are fresh
  (``_embedded.RecentCallers``: same rule as the access checks, a revocation in this process
  refuses the next call); engine per-write work (a lone chunk taken as is, no schema walk or
  ``Table.nbytes`` when no column is new, batches already of the dataset's types not rebuilt,
  endpoints checked in numpy, reused IPC write options): 490-520 -> 360-390 us per call; then
  the embedded client's live writes go from ``DirectTransport`` to the engine without the HTTP
  core's request model (same caller, checks, answers and errors; tested case by case against
  the ASGI app): 280-285 us (1 row) and 354-369 us (100 rows) per call, the engine alone
  174-184 / 234-249 us of it (load 6-7).
- Perspective's local client takes 190-540 us per 1-row update depending on the load (its C++
  threads compete for the two cores), so the ratio of one run swings: the section now alternates
  slices of both sides. Before the alternation (load 2.6-5.4), ratio direct / poll: 1 row
  0.45-1.57 / 0.44-0.70, 100 rows 0.88-1.81 / 0.67-1.38, 10,000 rows 2.4-3.2 / 2.1-2.9. With it
  and the final code (``--client-only --duration 2``, two runs, load 6.0-7.7): 1 row 0.51-0.74 /
  0.56-0.76, 100 rows 0.80-0.96 / 1.09-1.21, 10,000 rows 2.30-3.65 / 2.99-3.18.
- With ``on_poll_request`` graphport gains little over direct: the same work is split over two
  threads that share the GIL (the writer: client path, decode, log; the poll thread applies and
  publishes each write on its own, as the callback asks for a poll per write), while
  Perspective's queued update is cheap and its C++ poll merges updates. The aim (>= 1.0) is met
  for 10,000 rows and for 100 rows with ``on_poll_request``, not for 1 row nor 100 rows direct
  under this load. Next levers, not taken: give the engine the client's pyarrow Table (no IPC, ~45 us);
  merge queued upserts of one schema into one upsert per poll (one delta and publish for many);
  the httpx response and request objects the client's flows read (~10% of a 1-row call).

Third pass (#16), the ``on_poll_request`` path, 2 shared cores under load 3-10 (other helpers'
builds and tests; every figure below is an A/B inside one process, slices alternating, unless
it says otherwise):

- Where a 1-row write's CPU goes with ``lambda s: pool.submit(s.poll)`` (``time.thread_time`` per
  thread): writer thread 190-260 us, poll thread 100-150 us per write at 2-4 writes per poll.
  The two threads share the GIL, so the wall time per write is about their sum (0.9-1.1x the
  CPU): nothing overlaps but pyarrow's and numpy's own GIL-free spans. py-spy and cProfile both
  charge the *waits* for the GIL to the call that released it (an IPC write, ``urandom``, a
  queue put: 100-600 us "inside" ``_stream`` under cProfile, 5-9 us alone), so per-thread CPU
  and in-process A/B slices are what to read here, not profile shares.
- The writer: ``read_arrow``'s walk over the declared sizes of the client's own stream was the
  largest piece (a 1-row stream: checked read 42-68 us, plain read 7-20 us, validation 5 us).
  Done: the local client hands the engine its table with the stream (``TableCall`` ->
  ``DirectTransport`` -> ``EncodedTable.read_own``: the stream read as a private copy, validated
  in full, without the walk, only for tables of plain types), and a write that needs no cast is
  logged as the bytes it came in. CPU per write, own stream vs the bytes way, two rounds:
  1 row direct 351 / 425 and 340 / 384 us, 1 row poll 246 / 296 and 465 / 609 us, 100 rows poll
  284 / 341 and 455 / 511 us (10,000 rows: equal, 9.2 ms). Also the ``httpx.Request`` a direct
  answer names is made once per URL (~12 us per call).
- The poll thread: with 2-4 writes per poll each upsert's fixed cost, the delta (gathering the
  rows back from the numpy columns: 16-20 us) and the subscriber's frame were most of it. Done:
  a poll merges each table's queued small upserts of one schema into one (``merge_upserts``:
  same tables as one by one, tested), and a delta whose only edge write set every column sends
  that batch instead of gathering it (2 us). The merge pays when writes pile up: one poll after a
  burst (``LiveHub.merge_writes`` on / off), 1-row writes x100: 27-31 vs 42-54 us of poll CPU per
  write; 100-row writes x20: 104-107 vs 122-141 us. At the 2-4 writes per poll of this benchmark
  it is within the noise (poll thread 114-199 vs 102-202 us per write). Merged batches are
  capped at 4,096 rows: merging 10,000-row batches doubled their CPU (a Python pass over every
  key holding the GIL).
- A callback asking for one poll per write (docs/live.md's ``pool.submit(s.poll)``) queues many
  polls that find nothing; ``poll1`` (at most one poll pending, flag cleared before it polls, so
  no write is stranded, unlike Perspective's try-lock) is printed beside it. In one process at
  load 3: 1 row 325 vs 365 us CPU per write, 2,717 vs 2,234 rows/s.
- Figures (``--client-only --duration 2``, two runs, load 6.6-8.1 and 8.1-10.6), ratio to
  Perspective's local client, direct / poll / poll1: 1 row 0.96 / 0.98 / 0.86 and 0.72 / 0.70 /
  0.76; 100 rows 0.93 / 1.39 / 1.62 and 0.91 / 0.59 / 1.87; 10,000 rows 2.59 / 2.32 / 3.34 and
  1.89 / 2.41 / 1.63. Under this load the 1-row aim (>= 1.0) is not met and 100 rows swings
  around it; a loaded machine also gives Perspective's several C++ threads a larger share of the
  cores than our one Python thread, so these ratios are a floor. Left: the client's response
  object and JSON answer (~30 us per call), the live log's record per write (~15 us: durability),
  the delta and frame per poll.
- Quiet machine (lead, 2026-12-05 04:11, load 1.1-1.2), two runs, direct / poll / poll1: 1 row
  2.77 / 0.99 / 0.77 and 2.49 / 0.77 / 1.03; 100 rows 2.80 / 1.26 / 1.21 and 2.58 / 1.30 / 1.06;
  10,000 rows 4.27 / 2.82 / 3.05 and 3.92 / 2.93 / 3.03. Every aim is met but 1-row writes with
  ``on_poll_request`` (0.77-1.03: Perspective's own 1-row poll figure moves 2.4-3.1k rows/s
  between slices).

Fourth pass (#16, 2026-12-05), the cost of a poll per write, measured per thread with
``bench/live_threads.py`` (``/proc`` per task, 5,000 1-row writes through the local client, two runs,
quiet machine, load 0.8-1.0):

- Direct: one thread, 288-295 us of wall time and 296-299 us of CPU per write. With
  ``lambda s: pool.submit(s.poll)``: 2,387-2,857 polls for 5,000 writes, 381-453 us of wall time,
  the writer 234-296 us and the poll thread 212-224 us of CPU per write (44-54 us of it in the
  kernel: the futex waits of two threads taking turns at the GIL), 447-526 us in all for the work
  one thread did in ~300 (``poll1``: 381-398 us).
- Waiting before the poll lets the writes of that window share it: a poll 0.2 / 1 / 5 ms after the
  first pending write gave 978-1,019 / 391-406 / 116-118 polls and 321-338 / 229-231 / 179-184 us
  of CPU per write. Hence ``graphport.PollBatcher`` (``server/_poll_batcher.py``): at most one poll
  pending per server, its flag cleared before it polls (no write stranded), run 1 ms after the first
  write it takes; docs/live.md recommends it. Through it: 443-473 polls, 227-247 us of wall time and
  249-269 us of CPU per write.
- The ``batched`` rows run it beside Perspective's streaming-example pattern (the aim's baseline),
  then beside that pattern given the same 1 ms wait (``linger``). With the wait, Perspective's 1-row
  write costs 118-180 us of wall time and 115-173 us of CPU in the same runs: its queued update is
  cheaper than our writer's path, so with the same wait it is ahead for 1-row writes. Where ours goes
  (throwaway probes timing each layer in turn, not kept): the local client's flow and answer
  ~60-90 us, the engine's checks, log record and queue ~100 us, our share of the poll ~45 us.
- Figures (``--client-only --duration 2``), ratio to Perspective's local client, three runs at load
  0.4-1.2, 1.1-2.4 and 2.4-3.7; batched against Perspective's pattern / against it with the 1 ms wait:
  1 row 1.56 / 0.66, 1.50 / 0.71, 1.27 / 0.51; 100 rows 1.57 / 1.38, 1.41 / 1.41, 1.15 / 1.12;
  10,000 rows 2.72 / 2.32, 2.40 / 1.91, 0.80 / 2.61 (the 0.80: 273k rows/s in a slice where the
  poll-per-write rows did 610-840k; the background flush of the 100k-row table runs in those slices).
  The other rows in the same runs, direct / poll / poll1: 1 row 2.58 / 1.05 / 1.11, 1.18 / 0.98 /
  0.89, 0.92 / 0.96 / 1.05 (Perspective's own direct 1-row figure moved from 1,267 to 2,838 rows/s
  between runs); 100 rows 2.60 / 1.25 / 1.12, 1.85 / 1.24 / 1.51, 1.46 / 1.42 / 1.28; 10,000 rows
  3.10 / 3.38 / 3.22, 4.52 / 2.63 / 2.89, 3.71 / 1.83 / 1.34. So with ``on_poll_request`` the aim
  (>= 1.0) holds through the batcher for 1- and 100-row writes in every run; one poll per write
  stays near parity (0.89-1.11) for 1-row writes, and so does direct 1-row on Perspective's good slices.
- Quiet machine (lead, 2026-12-05 06:14, load 1.4-2.1), two runs, batched against Perspective's
  pattern / with the same wait: 1 row 1.52 / 0.68 and 1.57 / 0.71; 100 rows 1.98 / 1.31 and
  1.93 / 1.38; 10,000 rows 2.19 / 2.45 and 2.49 / 2.58. Direct / poll / poll1: 1 row 2.62 / 0.91 /
  0.94 and 2.50 / 1.03 / 1.04; 100 rows 2.69 / 1.13 / 1.23 and 2.63 / 1.12 / 1.18; 10,000 rows
  3.74 / 2.83 / 3.20 and 4.54 / 3.19 / 3.25.

Run (perspective-python is in the ``bench`` extra)::

    .venv/bin/python bench/live.py                 # about 2 minutes
    .venv/bin/python bench/live.py --client-only   # the client-level section, ~30 s
    .venv/bin/python bench/live.py --duration 1 --samples 100 --skip-perspective

Durability (issue #17; ``ServerConfig.live_durability``). ``--durability interval,acknowledged,
synced,flush`` runs every throughput case for each, interleaved; ``flush`` is the option not taken
(no log; each write waits for a flush that holds it, concurrent writers sharing one).
``--durability-cost --durability interval,acknowledged,synced`` times single writes interleaved
across the servers, which is what to trust on a loaded machine. Figures of 2025-12-04, 2 shared
cores under load 2.5-6 (change of rows/s against ``interval``, i.e. the code before the log)::

    per-write medians, interleaved      acknowledged      synced (fsync per write group)
      1 row      direct / poll           -2.6% / +6.3%     -25% / -90%
      100 rows   direct / poll           -3.0% / -2.0%     -26% / -92%
      10,000     direct / poll           -4.0% / -14%      -14% / -54%
    throughput runs, 1 and 2 writers (median of 3 runs): flush before acknowledging -77% to -99%

``acknowledged`` (the default) stays within 20% in every case (a record costs a few us of IPC
encoding and one write(2)); ``synced`` does not for small batches (one fsync is 1.5-3.5 ms on
this disk), so it is opt-in; flushing before acknowledging rewrites whole tables: never cheap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa

import graphport
from graphport.server._ingest import to_ipc_file

N = 100_000
NODES = 10_000
SPEC = {
    "name": "bench",
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "id"}},
    "node_encodings": {"bindings": {"node": "id", "node_x": "x", "node_y": "y"}},
}


def edge_table(keys: np.ndarray, rng: np.random.Generator) -> pa.Table:
    n = len(keys)
    return pa.table(
        {
            "id": pa.array(keys, pa.int64()),
            "src": pa.array(rng.integers(0, NODES, n), pa.int64()),
            "dst": pa.array(rng.integers(0, NODES, n), pa.int64()),
            "w": pa.array(rng.random(n), pa.float64()),
            "label": pa.array([f"edge {k}" for k in keys.tolist()], pa.string()),
        }
    )


def ipc_stream(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()  # type: ignore[no-any-return]


def make_batches(size: int, rng: np.random.Generator) -> list[bytes]:
    count = {1: 400, 100: 200, 10_000: 20}[size]
    return [ipc_stream(edge_table(rng.choice(N, size, replace=False), rng)) for _ in range(count)]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


# -- the two systems behind one interface ----------------------------------------------------------


class GraphportSide:
    name = "graphport"

    def __init__(self, initial: pa.Table, nodes: pa.Table, durability: str = "acknowledged") -> None:
        #: "flush": the option not taken, measured for comparison: no log, and every write waits
        #: for a flush that holds it (concurrent writers share one flush, group-commit style).
        self.flush_before_ack = durability == "flush"
        config = graphport.ServerConfig(live_durability="interval" if self.flush_before_ack else durability)
        self.server = graphport.Server(data=tempfile.mkdtemp(prefix="gp-bench-"), config=config)
        self.owner = self.server.create_user("bench", "bench-password-1")
        self.dataset = self.server.plot(
            self.owner,
            SPEC,
            to_ipc_file(initial).to_pybytes(),
            to_ipc_file(nodes).to_pybytes(),
            {"mode": "private"},
        )
        self.callbacks = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="gp-poll")
        self.batcher: graphport.PollBatcher | None = None

        def on_message(message: Any) -> None:
            message.frame()  # what a WebSocket subscriber pays
            self.callbacks += 1

        self.subscription = self.server.subscribe(self.owner, self.dataset, on_message)

    def set_mode(self, mode: str) -> None:
        """``direct``: no callback; ``batched``: :class:`graphport.PollBatcher` (at most one poll
        pending, run ``PollBatcher.linger`` = 1 ms after the first write it will take); ``poll``:
        docs/live.md's ``lambda s: pool.submit(s.poll)``, one poll task per write; ``poll1``: at most one poll task pending, its flag cleared before it
        polls, so a write queued after the clear submits another and none is stranded (Perspective's
        try-lock pattern coalesces the same way, but releases after its poll and loses work)."""
        pool = self.pool
        if self.batcher is not None:
            self.batcher.close()
            self.batcher = None
        if mode == "direct":
            self.server.on_poll_request = None
        elif mode == "batched":
            self.batcher = graphport.PollBatcher()  # its own thread, polls 1 ms after a write
            self.server.on_poll_request = self.batcher
        elif mode == "poll":
            self.server.on_poll_request = lambda s: pool.submit(s.poll)
        else:
            pending = threading.Lock()

            def poll_once(server: Any) -> None:
                pending.release()
                server.poll()

            def request(server: Any) -> None:
                if pending.acquire(blocking=False):
                    pool.submit(poll_once, server)

            self.server.on_poll_request = request

    def update(self, batch: bytes) -> None:
        self.server.live_update(self.owner, self.dataset, "edges", batch)
        if self.flush_before_ack:
            self.server.poll()  # with on_poll_request the write is only queued: apply it first
            self.server.live.flush(self.dataset)

    def settle(self) -> None:
        self.pool.submit(lambda: None).result()
        self.server.poll()  # (with ``batched`` too: it applies what the batcher's poll would)

    def close(self) -> None:
        self.set_mode("direct")
        self.subscription.close()
        self.pool.shutdown()
        self.server.close()


class PerspectiveSide:
    name = "perspective"

    def __init__(self, initial: pa.Table, mode: str) -> None:
        import perspective

        self.pool = ThreadPoolExecutor(1, thread_name_prefix="psp-poll")
        self.lock = threading.Lock()

        linger = graphport.PollBatcher.LINGER if mode == "linger" else 0.0

        def poll(server: Any) -> None:
            if linger:  # ``linger``: the same wait before polling as graphport's PollBatcher
                time.sleep(linger)
            server.poll()

        def on_poll_request(server: Any) -> None:  # perspective's streaming example pattern
            if self.lock.acquire(blocking=False):
                self.pool.submit(poll, server).add_done_callback(lambda _f: self.lock.release())

        self.server = perspective.Server(on_poll_request=None if mode == "direct" else on_poll_request)
        client = self.server.new_local_client()
        self.table = client.table(ipc_stream(initial), index="id", name="edges")
        self.view = self.table.view()
        self.callbacks = 0

        def on_update(*_: Any) -> None:
            self.callbacks += 1

        self.view.on_update(on_update)

    def update(self, batch: bytes) -> None:
        self.table.update(batch)

    def settle(self) -> None:
        self.pool.submit(lambda: None).result()
        self.server.poll()

    def close(self) -> None:
        self.view.delete()
        self.pool.shutdown()


class GraphportClientSide(GraphportSide):
    """The same server, written through the embedded client: ``Dataset.update(edges=table)`` of
    ``graphport.Server().new_local_client()`` (the client encodes the pyarrow Table to Arrow IPC)."""

    name = "graphport client"

    def __init__(self, initial: pa.Table, nodes: pa.Table) -> None:
        self.flush_before_ack = False
        self.server = graphport.Server(data=tempfile.mkdtemp(prefix="gp-bench-"))
        self.client = self.server.new_local_client()
        self.ds = (
            self.client.edges(initial, "src", "dst", edge="id")
            .nodes(nodes, "id")
            .bind(point_x="x", point_y="y")
        ).upload()
        self.dataset = self.ds.id
        self.owner = self.server.authenticate(self.server.token_for("local"))
        self.callbacks = 0
        self.pool = ThreadPoolExecutor(1, thread_name_prefix="gp-poll")
        self.batcher: graphport.PollBatcher | None = None

        def on_message(message: Any) -> None:
            message.frame()
            self.callbacks += 1

        self.subscription = self.server.subscribe(self.owner, self.dataset, on_message)

    def update(self, batch: Any) -> None:
        self.ds.update(edges=batch)

    def close(self) -> None:
        self.client.close()
        super().close()


class PerspectiveClientSide(PerspectiveSide):
    """Perspective's local client given the same pyarrow Table (it encodes it to Arrow IPC)."""

    def update(self, batch: Any) -> None:
        self.table.update(batch)


def client_section(
    initial: pa.Table, nodes: pa.Table, batches: dict[int, list[bytes]], duration: float, skip_psp: bool
) -> list[dict[str, Any]]:
    """Client level, one writer thread: the embedded client against Perspective's local client,
    both given pyarrow Tables, with and without ``on_poll_request`` (graphport's ``poll`` and
    ``poll1`` callbacks, see :meth:`GraphportSide.set_mode`, both beside Perspective's poll
    mode). Each case runs as
    ``CLIENT_SLICES`` alternating slices per side (graphport, Perspective, graphport, ...), so a
    change of the machine's load during the case hits both sides alike."""
    tables = {size: [pa.ipc.open_stream(b).read_all() for b in bs] for size, bs in batches.items()}
    gp = GraphportClientSide(initial, nodes)
    psp = {} if skip_psp else {m: PerspectiveClientSide(initial, m) for m in ("direct", "poll", "linger")}
    print(
        "\nclient level: Dataset.update() of graphport.Server().new_local_client() vs Perspective's "
        "local client Table.update(), pyarrow Tables, 1 writer"
    )
    print(
        f"{'batch':>6} {'mode':>7} | {'graphport client rows/s':>23} | {'perspective client rows/s':>25} "
        f"{'(mode)':>8} | ratio"
    )
    results = []
    for size, bs in tables.items():
        for mode, psp_mode in CLIENT_CASES:
            gp.set_mode(mode)
            g, p = interleaved(gp, psp.get(psp_mode), bs, size, duration)
            ratio = g["rows_per_s"] / p["rows_per_s"] if p else float("nan")
            print(
                f"{size:>6} {mode:>7} | {g['rows_per_s']:>23,.0f} | "
                + (f"{p['rows_per_s']:>25,.0f}" if p else f"{'-':>25}")
                + f" {'(' + psp_mode + ')':>8} | {ratio:5.2f}",
                flush=True,
            )
            results.append(
                {
                    "case": "client",
                    "batch": size,
                    "mode": mode,
                    "perspective_mode": psp_mode,
                    "graphport": g,
                    "perspective": p,
                    "ratio": ratio,
                }
            )
    gp.close()
    for side in psp.values():
        side.close()
    return results


CLIENT_SLICES = 4
#: (graphport mode, Perspective mode) per row of the client section: each graphport callback beside
#: Perspective's streaming-example pattern (``poll``), and the batcher also beside that pattern given
#: the batcher's 1 ms wait (``linger``), so the wait's own gain shows on both sides.
CLIENT_CASES = (
    ("direct", "direct"),
    ("poll", "poll"),
    ("poll1", "poll"),
    ("batched", "poll"),
    ("batched", "linger"),
)


def interleaved(
    gp: Any, psp: Any, batches: list[Any], size: int, duration: float
) -> tuple[dict[str, float], dict[str, float] | None]:
    """One writer's throughput on each side (``psp`` may be None) in ``CLIENT_SLICES`` alternating
    slices of ``duration / CLIENT_SLICES`` seconds, summed."""
    slices: dict[str, list[dict[str, float]]] = {"g": [], "p": []}
    for _ in range(CLIENT_SLICES):
        slices["g"].append(throughput(gp, batches, size, 1, duration / CLIENT_SLICES))
        if psp is not None:
            slices["p"].append(throughput(psp, batches, size, 1, duration / CLIENT_SLICES))

    def total(parts: list[dict[str, float]]) -> dict[str, float]:
        updates = sum(p["updates"] for p in parts)
        rows = updates * size
        elapsed = sum(p["updates"] * size / p["rows_per_s"] for p in parts)
        return {
            "rows_per_s": rows / elapsed,
            "updates": updates,
            "cb_per_update": sum(p["cb_per_update"] * p["updates"] for p in parts) / max(updates, 1),
            "cpu_us_per_row": sum(p["cpu_us_per_row"] * p["updates"] for p in parts) / max(updates, 1),
        }

    return total(slices["g"]), (total(slices["p"]) if slices["p"] else None)


def throughput(
    side: Any, batches: list[bytes], rows_per_batch: int, threads: int, duration: float
) -> dict[str, float]:
    counts = [0] * threads
    start_gate = threading.Barrier(threads + 1)
    callbacks0 = side.callbacks

    def writer(w: int) -> None:
        start_gate.wait()
        deadline = time.perf_counter() + duration
        i = w
        while time.perf_counter() < deadline:
            side.update(batches[i % len(batches)])
            counts[w] += 1
            i += threads

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for t in workers:
        t.start()
    cpu0 = time.process_time()
    start_gate.wait()
    t0 = time.perf_counter()
    for t in workers:
        t.join()
    side.settle()
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    updates = sum(counts)
    rows = updates * rows_per_batch
    return {
        "rows_per_s": rows / elapsed,
        "updates": updates,
        "cb_per_update": (side.callbacks - callbacks0) / max(updates, 1),
        "cpu_us_per_row": cpu / max(rows, 1) * 1e6,
    }


# -- latency over a WebSocket ----------------------------------------------------------------------


def graphport_latency(transport: str, samples: int, batches: list[bytes]) -> dict[str, float]:
    """update() → a websockets client on another thread has the delta."""
    from websockets.sync.client import connect

    rng = np.random.default_rng(1)
    side = GraphportSide(edge_table(np.arange(N), rng), node_table(rng))
    side.set_mode("direct")
    stop: Callable[[], None]
    if transport == "asgi":
        import socket

        import uvicorn

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        uv = uvicorn.Server(uvicorn.Config(side.server.asgi_app(), log_level="warning", lifespan="off"))
        thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
        thread.start()
        while not uv.started:
            time.sleep(0.01)

        def stop() -> None:
            uv.should_exit = True
            thread.join(10)
    else:
        port, stop = start_tornado_graphport(side.server)
    token = side.server.token_for("bench")
    received = threading.Event()
    latencies: list[float] = []
    t_sent = [0.0]
    ready = threading.Event()
    done = threading.Event()

    def client() -> None:
        with connect(
            f"ws://127.0.0.1:{port}/api/v2/datasets/{side.dataset}/live",
            additional_headers={"Authorization": f"Bearer {token}"},
            max_size=None,
        ) as ws:
            ws.recv()  # snapshot
            ready.set()
            while not done.is_set():
                try:
                    frame = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                if isinstance(frame, bytes):
                    latencies.append(time.perf_counter() - t_sent[0])
                    received.set()

    reader = threading.Thread(target=client, daemon=True)
    reader.start()
    ready.wait(30)
    stalled = 0
    for i in range(samples):
        received.clear()
        t_sent[0] = time.perf_counter()
        side.update(batches[i % len(batches)])
        if not received.wait(1.0):
            stalled += 1
        time.sleep(0.002)
    done.set()
    reader.join(5)
    stop()
    side.close()
    ms = [x * 1e3 for x in latencies]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "stalled": stalled,
        "samples": samples,
    }


def start_tornado_graphport(server: Any) -> tuple[int, Callable[[], None]]:
    from graphport.transports.tornado import make_app

    return start_tornado(make_app(server, executor=ThreadPoolExecutor(2)))


def start_tornado(app: Any) -> tuple[int, Callable[[], None]]:
    import tornado.httpserver
    import tornado.netutil

    holder: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        http = tornado.httpserver.HTTPServer(app)
        http.add_sockets(sockets)
        holder.update(port=sockets[0].getsockname()[1], loop=asyncio.get_running_loop(), stop=asyncio.Event())
        ready.set()
        await holder["stop"].wait()
        http.stop()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    ready.wait(10)

    def stop() -> None:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(10)

    return holder["port"], stop


def perspective_latency(samples: int, batches: list[bytes], row_mode: bool) -> dict[str, float]:
    import perspective
    import tornado.web
    import websockets
    from perspective.handlers.tornado import PerspectiveTornadoHandler

    rng = np.random.default_rng(1)
    server = perspective.Server()
    local = server.new_local_client()
    table = local.table(ipc_stream(edge_table(np.arange(N), rng)), index="id", name="edges")
    app = tornado.web.Application([(r"/ws", PerspectiveTornadoHandler, {"perspective_server": server})])
    port, stop = start_tornado(app)
    received = threading.Event()
    ready = threading.Event()
    latencies: list[float] = []
    t_sent = [0.0]
    loop = asyncio.new_event_loop()
    finished = asyncio.Event()

    async def client_main() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/ws", max_size=None) as ws:

            async def send_request(msg: bytes) -> None:
                await ws.send(msg)

            client = perspective.AsyncClient(send_request)

            async def reader() -> None:
                async for message in ws:
                    await client.handle_response(message)

            reader_task = asyncio.ensure_future(reader())
            remote = await client.open_table("edges")
            view = await remote.view()

            def on_update(*_: Any) -> None:
                latencies.append(time.perf_counter() - t_sent[0])
                received.set()

            if row_mode:
                await view.on_update(on_update, mode="row")
            else:
                await view.on_update(on_update)
            await remote.size()  # a round trip, so the subscription is in place (no ack otherwise)
            ready.set()
            await finished.wait()
            reader_task.cancel()

    thread = threading.Thread(target=lambda: loop.run_until_complete(client_main()), daemon=True)
    thread.start()
    ready.wait(30)
    stalled = 0
    for i in range(samples):
        received.clear()
        t_sent[0] = time.perf_counter()
        table.update(batches[i % len(batches)])
        if not received.wait(1.0):
            stalled += 1
        time.sleep(0.002)
    loop.call_soon_threadsafe(finished.set)
    thread.join(5)
    stop()
    ms = [x * 1e3 for x in latencies]
    return {
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "stalled": stalled,
        "samples": samples,
    }


def node_table(rng: np.random.Generator) -> pa.Table:
    return pa.table(
        {
            "id": pa.array(np.arange(NODES), pa.int64()),
            "x": pa.array(rng.random(NODES), pa.float32()),
            "y": pa.array(rng.random(NODES), pa.float32()),
        }
    )


def durability_cost(durabilities: list[str], rng: np.random.Generator) -> None:
    """Per-write time of each live_durability, writes interleaved across the servers (A, B, C, A,
    B, C, ...) so that the load of a shared machine hits every side alike; medians."""
    initial, nodes = edge_table(np.arange(N), rng), node_table(rng)
    sides = {d: GraphportSide(initial, nodes, d) for d in durabilities}
    print(f"\nper-write median, interleaved; change of rows/s against {durabilities[0]}")
    for mode in ("direct", "poll"):
        for size in (1, 100, 10_000):
            batches = make_batches(size, rng)
            for side in sides.values():
                side.set_mode(mode)
            times: dict[str, list[float]] = {d: [] for d in sides}
            for i in range({1: 1500, 100: 600, 10_000: 40}[size]):
                for d, side in sides.items():
                    t0 = time.perf_counter()
                    side.update(batches[i % len(batches)])
                    times[d].append(time.perf_counter() - t0)
                if mode == "poll" and i % 50 == 0:
                    for side in sides.values():
                        side.settle()
            base = statistics.median(times[durabilities[0]])
            cells = [
                f"{d} {size / statistics.median(t):>11,.0f} rows/s {base / statistics.median(t) - 1:+6.1%}"
                for d, t in times.items()
            ]
            print(f"{size:>6} {mode:>6} | " + " | ".join(cells), flush=True)
    for side in sides.values():
        side.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=1.5, help="seconds per throughput case")
    parser.add_argument("--samples", type=int, default=200, help="latency samples per case")
    parser.add_argument("--batches", default="1,100,10000")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument(
        "--durability",
        default="interval,acknowledged",
        help="graphport live_durability values to compare side by side (interval, acknowledged, "
        "synced; 'flush' = no log, each write waits for a flush that holds it)",
    )
    parser.add_argument(
        "--durability-cost", action="store_true", help="only the interleaved per-write comparison"
    )
    parser.add_argument("--skip-perspective", action="store_true")
    parser.add_argument("--skip-client", action="store_true", help="leave out the client-level section")
    parser.add_argument(
        "--client-only", action="store_true", help="only the client-level section (embedded client)"
    )
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--json", help="append result lines to this file")
    args = parser.parse_args()

    rng = np.random.default_rng(42)
    if args.durability_cost:
        durability_cost(args.durability.split(","), rng)
        return
    initial = edge_table(np.arange(N), rng)
    nodes = node_table(rng)
    sizes = [int(s) for s in args.batches.split(",")]
    thread_counts = [int(t) for t in args.threads.split(",")]
    batches = {size: make_batches(size, rng) for size in sizes}
    load = os.getloadavg()[0]
    print(
        f"# graphport {graphport.__version__}, num_cpus={graphport.get_num_cpus()}, "
        f"python {sys.version.split()[0]}, pyarrow {pa.__version__}, load {load:.1f}"
    )
    if not args.skip_perspective:
        import perspective

        print(f"# perspective-python {perspective.__version__}, num_cpus={perspective.num_cpus()}")
    results: list[dict[str, Any]] = []
    if args.client_only:
        client_section(initial, nodes, batches, args.duration, args.skip_perspective)
        print(f"\n# load average after: {os.getloadavg()[0]:.1f}")
        return

    durabilities = args.durability.split(",")
    gps = {d: GraphportSide(initial, nodes, d) for d in durabilities}
    gp = gps[durabilities[0]]
    psp = {} if args.skip_perspective else {m: PerspectiveSide(initial, m) for m in ("direct", "poll")}
    print(
        f"\n{'batch':>6} {'mode':>6} {'thr':>3} | {'graphport rows/s':>16} {'cb/upd':>6} {'cpu us/row':>10} | "
        f"{'perspective rows/s':>18} {'cb/upd':>6} {'cpu us/row':>10} | {'ratio':>5}"
        f"  (graphport live_durability={durabilities[0]})"
    )
    durable: list[tuple[int, str, int, dict[str, float]]] = []
    for size in sizes:
        for mode in ("direct", "poll"):
            for threads in thread_counts:
                for other in durabilities[1:]:  # the same case, interleaved so load drifts less
                    gps[other].set_mode(mode)
                    durable.append(
                        (
                            size,
                            mode,
                            threads,
                            throughput(gps[other], batches[size], size, threads, args.duration),
                        )
                    )
                gp.set_mode(mode)
                g = throughput(gp, batches[size], size, threads, args.duration)
                p = throughput(psp[mode], batches[size], size, threads, args.duration) if psp else None
                ratio = g["rows_per_s"] / p["rows_per_s"] if p else float("nan")
                print(
                    f"{size:>6} {mode:>6} {threads:>3} | {g['rows_per_s']:>16,.0f} {g['cb_per_update']:>6.2f} "
                    f"{g['cpu_us_per_row']:>10.2f} | "
                    + (
                        f"{p['rows_per_s']:>18,.0f} {p['cb_per_update']:>6.2f} {p['cpu_us_per_row']:>10.2f}"
                        if p
                        else f"{'-':>18} {'-':>6} {'-':>10}"
                    )
                    + f" | {ratio:>5.2f}",
                    flush=True,
                )
                results.append(
                    {
                        "case": "throughput",
                        "batch": size,
                        "mode": mode,
                        "threads": threads,
                        "graphport": g,
                        "perspective": p,
                        "ratio": ratio,
                    }
                )
    for side_ in gps.values():
        side_.close()
    for side in psp.values():
        side.close()
    if durable:
        base = {(r["batch"], r["mode"], r["threads"]): r["graphport"]["rows_per_s"] for r in results}
        print(f"\nlive_durability, rows/s and change against {durabilities[0]} (same run, interleaved)")
        print(f"{'batch':>6} {'mode':>6} {'thr':>3} | " + " | ".join(f"{d:>22}" for d in durabilities[1:]))
        for size in sizes:
            for mode in ("direct", "poll"):
                for threads in thread_counts:
                    cells = []
                    for i, d in enumerate(durabilities[1:]):
                        cases = [x for x in durable if x[:3] == (size, mode, threads)]
                        rate = cases[i][3]["rows_per_s"]
                        change = rate / base[(size, mode, threads)] - 1
                        cells.append(f"{rate:>12,.0f} {change:>+8.1%}")
                        results.append(
                            {
                                "case": "durability",
                                "durability": d,
                                "batch": size,
                                "mode": mode,
                                "threads": threads,
                                "graphport": cases[i][3],
                                "change": change,
                            }
                        )
                    print(f"{size:>6} {mode:>6} {threads:>3} | " + " | ".join(f"{c:>22}" for c in cells))

    if not args.skip_client:
        results.extend(client_section(initial, nodes, batches, args.duration, args.skip_perspective))

    if not args.skip_latency:
        lat_batches = batches.get(1) or make_batches(1, rng)
        print(f"\nlatency, update() -> WebSocket client, 1-row batches, {args.samples} samples")
        rows = [
            ("graphport asgi (uvicorn)", graphport_latency("asgi", args.samples, lat_batches)),
            ("graphport tornado", graphport_latency("tornado", args.samples, lat_batches)),
        ]
        if not args.skip_perspective:
            rows.append(
                ("perspective tornado, default", perspective_latency(args.samples, lat_batches, False))
            )
            rows.append(
                ("perspective tornado, row mode", perspective_latency(args.samples, lat_batches, True))
            )
        for name, r in rows:
            print(
                f"{name:<32} p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  p99 {r['p99_ms']:6.2f} ms"
                f"  stalled {r['stalled']}/{r['samples']}"
            )
            results.append({"case": "latency", "name": name, **r})
    if args.json:
        with open(args.json, "a") as f:
            for r in results:
                f.write(json.dumps({**r, "load": load}) + "\n")
    print(
        f"\n# load average after: {os.getloadavg()[0]:.1f}; median 10k ratio: "
        + str(
            statistics.median(
                [r["ratio"] for r in results if r.get("case") == "throughput" and r.get("batch") == 10_000]
                or [float("nan")]
            )
        )
    )


if __name__ == "__main__":
    main()
