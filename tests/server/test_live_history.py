"""The delta history's caps, kept with a running byte count (#16)."""

from __future__ import annotations

import pyarrow as pa

from graphport.server._live_dataset import DeltaHistory
from graphport.server._live_messages import LiveMessage, Part


def message(version: int, rows: int) -> LiveMessage:
    table = pa.table({"id": pa.array(range(rows), pa.int64())})
    return LiveMessage("delta", "d", version, version - 1, [Part("edges", "upsert", table)], {})


def test_history_keeps_the_newest_messages_within_both_caps() -> None:
    size = message(1, 100).nbytes
    history = DeltaHistory(max_messages=4, max_bytes=3 * size)
    for v in range(1, 11):
        history.append(message(v, 100))
        assert history.nbytes == sum(m.nbytes for m in history) <= 3 * size
    assert [m.version for m in history] == [8, 9, 10]
    history = DeltaHistory(max_messages=4, max_bytes=100 * size)
    for v in range(1, 11):
        history.append(message(v, 100))
    assert [m.version for m in history] == [7, 8, 9, 10]
    assert history.nbytes == 4 * size


def test_history_always_keeps_the_newest_message_even_over_the_byte_cap() -> None:
    history = DeltaHistory(max_messages=4, max_bytes=10)
    history.append(message(1, 1000))
    history.append(message(2, 1000))
    assert [m.version for m in history] == [2] and history.nbytes == message(2, 1000).nbytes
    history.clear()
    assert len(history) == 0 and history.nbytes == 0
