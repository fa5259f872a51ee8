"""The engine's construction and lifecycle (server/_core.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphport import Server, ServerConfig
from graphport.storage import Database


def test_a_start_that_fails_midway_closes_the_database_it_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Database] = []
    close = Database.close

    def recording_close(self: Database) -> None:
        closed.append(self)
        close(self)

    monkeypatch.setattr(Database, "close", recording_close)
    config = ServerConfig(data=tmp_path, bus="redis://127.0.0.1:1/0")  # nothing listens on port 1
    with pytest.raises(Exception, match=r"127\.0\.0\.1:1"):  # redis says it could not connect
        Server(config=config)
    assert len(closed) == 1
