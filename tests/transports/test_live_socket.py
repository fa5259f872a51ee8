"""The framework-neutral live socket: a slow client is dropped without holding back the others (#6)."""

from __future__ import annotations

import asyncio

import pyarrow as pa

import graphport
from graphport.server._ingest import to_ipc_file
from graphport.transports._live_socket import CLOSE_SLOW, LiveSocket


def test_slow_client_is_dropped_and_others_keep_up(server: graphport.Server) -> None:
    owner = server.create_user("owner", "correct horse battery staple")
    edges = pa.table(
        {"eid": list(range(1000)), "src": [1] * 1000, "dst": [2] * 1000, "pad": ["x" * 200] * 1000}
    )
    spec = {"edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}}}
    dataset = server.plot(owner, spec, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})

    async def scenario() -> tuple[list[int], int, int]:
        stuck = asyncio.Event()  # never set: this client never finishes a write
        fast_frames: list[bytes] = []
        closes: list[int] = []

        async def never(frame: bytes | str) -> None:
            await stuck.wait()

        async def keep(frame: bytes) -> None:
            fast_frames.append(frame)

        async def text(_: str) -> None:
            return None

        async def close(code: int, reason: str) -> None:
            closes.append(code)

        slow = LiveSocket(
            server, owner, dataset, send_bytes=never, send_text=never, close=close, max_buffer=300_000
        )
        fast = LiveSocket(server, owner, dataset, send_bytes=keep, send_text=text, close=close)
        await slow.start()
        await fast.start()

        def writer() -> None:  # pushes come from another thread, as polls do
            for i in range(30):
                server.live_update(
                    owner, dataset, "edges", pa.table({"eid": list(range(1000)), "w": [float(i)] * 1000})
                )

        await asyncio.get_running_loop().run_in_executor(None, writer)
        await asyncio.wait_for(slow.done.wait(), 5)
        for _ in range(100):
            if len(fast_frames) == 31:
                break
            await asyncio.sleep(0.02)
        slow.stop()
        fast.stop()
        return closes, len(fast_frames), len(server.live.registry._live[dataset].subscribers)

    closes, fast_count, remaining = asyncio.run(scenario())
    assert closes == [CLOSE_SLOW]
    assert fast_count == 31  # the snapshot and every delta
    assert remaining == 0
