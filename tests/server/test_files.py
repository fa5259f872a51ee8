"""Files mode in the engine: an uploaded file is immutable, even under concurrent uploads."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

import pyarrow as pa
import pytest

from graphport import ConflictError, Server
from graphport.server._ingest import to_ipc_file

BODY = to_ipc_file(pa.table({"s": ["a"], "d": ["b"]})).to_pybytes()
OTHER = to_ipc_file(pa.table({"s": ["x", "y"], "d": ["y", "z"]})).to_pybytes()


class RaceExecutor(Executor):
    """Runs a job, then (once) a rival upload of the same file, before the job's caller goes on:
    both uploads passed the "not uploaded yet" check."""

    def __init__(self, rival: Callable[[], Any]) -> None:
        self.rival: Callable[[], Any] | None = rival

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        result: Future[Any] = Future()
        result.set_result(fn(*args, **kwargs))
        rival, self.rival = self.rival, None
        if rival is not None:
            rival()
        return result


def test_two_concurrent_uploads_keep_exactly_one(
    server: Server, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = server.accounts.require_user(alice)
    files = server.datasets.files
    file_id = files.create(me, {"file_type": "arrow", "name": "f"})
    real = files._executor
    rival_rows: list[int] = []
    race = RaceExecutor(lambda: rival_rows.append(files.upload(me, file_id, OTHER, erase=False)))
    monkeypatch.setattr(files, "_executor", lambda: race)
    with pytest.raises(ConflictError):
        files.upload(me, file_id, BODY, erase=False)
    monkeypatch.setattr(files, "_executor", real)
    assert rival_rows == [2]
    assert sum(1 for _ in server.blobs.keys()) == 1  # the loser's blob is gone at once
