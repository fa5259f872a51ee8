"""Where a 1-row live write's CPU goes with and without ``on_poll_request`` (#16): per thread, from
``/proc/self/task``, for N writes through ``graphport.Server().new_local_client()`` (the same sides
as ``bench/live.py``'s client section), beside Perspective's local client in the same run.

    .venv/bin/python bench/live_threads.py [--writes 5000] [--modes direct,poll,batched,...]

Modes (graphport): ``direct`` (no callback), ``poll`` / ``poll1`` / ``batched`` (see
``live.GraphportSide.set_mode``), ``lingerN``: the ``poll1`` callback waiting N microseconds before
it polls (what ``graphport.PollBatcher`` does with N = 1000). Perspective: ``psp-direct``,
``psp-poll`` (its streaming-example pattern), ``psp-linger`` (that pattern with the batcher's wait).

Printed per mode: wall time per write (from the first write until the last poll is done), the
writer thread's CPU, every other thread's CPU (user + system, the system part being mostly futex
waits at the GIL), the whole process's CPU, and how many polls applied something (graphport).

Figures of 2026-12-05 (lead, quiet machine, load 0.8-1.0, two runs), wall / CPU us per write:
direct 288-295 / 296-299 (one thread); poll 381-453 / 447-526 (2,387-2,857 polls); poll1 328-345
/ 381-398; linger200 274-294 / 321-338 (978-1,019 polls); linger1000 205 / 229-231 (391-406);
linger5000 173-178 / 179-184 (116-118); batched 227-247 / 249-269 (443-473 polls). Perspective:
direct 587-630 / 505-541, its pattern 486-504 / 502-511, with the 1 ms wait 118-180 / 115-173.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from typing import Any

import numpy as np
import pyarrow as pa
from live import (  # bench/live.py
    GraphportClientSide,
    PerspectiveClientSide,
    edge_table,
    make_batches,
    node_table,
)

import graphport

CLOCK = os.sysconf("SC_CLK_TCK")


def task_times() -> dict[str, tuple[int, int]]:
    """(user, system) clock ticks of each thread of this process, by thread id."""
    out = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # the thread ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        out[tid] = (int(fields[11]), int(fields[12]))
    return out


def lingering(side: GraphportClientSide, delay: float) -> None:
    """``poll1``'s callback with a wait before the poll (PollBatcher's rule, any wait)."""
    pending = threading.Lock()

    def poll_once(server: Any) -> None:
        time.sleep(delay)
        pending.release()
        server.poll()

    def request(server: Any) -> None:
        if pending.acquire(blocking=False):
            side.pool.submit(poll_once, server)

    side.server.on_poll_request = request


def measure(side: Any, tables: list[pa.Table], writes: int) -> dict[str, float]:
    for table in tables[:200]:  # warm up
        side.update(table)
    side.settle()
    polls0 = side.server.live.polls if isinstance(side, GraphportClientSide) else 0
    me = str(threading.get_native_id())
    before = task_times()
    t0, cpu0 = time.perf_counter(), time.process_time()
    for i in range(writes):
        side.update(tables[i % len(tables)])
    side.settle()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    after = task_times()
    writer = other = other_sys = 0
    for tid, (user, system) in after.items():
        user0, system0 = before.get(tid, (0, 0))
        if tid == me:
            writer = user + system - user0 - system0
        else:
            other += user + system - user0 - system0
            other_sys += system - system0
    per = 1e6 / writes
    return {
        "wall": wall * per,
        "writer": writer / CLOCK * per,
        "other": other / CLOCK * per,
        "other_sys": other_sys / CLOCK * per,
        "process": cpu * per,
        "polls": (side.server.live.polls - polls0) if isinstance(side, GraphportClientSide) else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--writes", type=int, default=5000)
    parser.add_argument(
        "--modes",
        default="direct,poll,poll1,linger200,linger1000,linger5000,batched,psp-direct,psp-poll,psp-linger",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    initial, nodes = edge_table(np.arange(100_000), rng), node_table(rng)
    tables = [pa.ipc.open_stream(b).read_all() for b in make_batches(1, rng)]
    print(
        f"# graphport {graphport.__version__}, load {os.getloadavg()[0]:.1f}; {args.writes:,} 1-row writes per mode"
    )
    print(f"{'mode':>11} | {'wall us':>7} {'writer':>7} {'others':>7} {'(sys)':>6} {'process':>7} | polls")
    for mode in args.modes.split(","):
        side: Any
        if mode.startswith("psp-"):
            side = PerspectiveClientSide(initial, mode[4:])
        else:
            side = GraphportClientSide(initial, nodes)
            if mode.startswith("linger"):
                lingering(side, float(mode[6:]) / 1e6)
            else:
                side.set_mode(mode)
        try:
            r = measure(side, tables, args.writes)
        finally:
            side.close()
        print(
            f"{mode:>11} | {r['wall']:>7.0f} {r['writer']:>7.0f} {r['other']:>7.0f} {r['other_sys']:>6.0f} "
            f"{r['process']:>7.0f} | {r['polls']:.0f}",
            flush=True,
        )
    print(f"# load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
