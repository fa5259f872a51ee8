"""No lock is held while a live subscriber's callback runs (issue #17): a ``send`` may close its own
subscription, ask for a snapshot or write to the dataset without deadlocking the writer."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pyarrow as pa
import pytest
import sqlalchemy as sa

import graphport
from graphport.server import Principal
from graphport.server._live import LiveMessage, Subscription
from graphport.storage._models import dataset_invites

from .test_live import make_dataset

TIMEOUT = 10.0


@pytest.fixture
def owner(server: graphport.Server) -> Principal:
    return server.create_user("owner", "correct horse battery staple")


def finishes(action: Callable[[], None]) -> bool:
    """Run ``action`` in a daemon thread; True when it returned within TIMEOUT (a deadlocked
    thread is left behind, blocked forever, and the test fails instead of hanging)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(TIMEOUT)
    assert not errors, errors
    return not thread.is_alive()


class Reacting:
    """A subscriber whose ``send`` does something to the live dataset on the first delta."""

    def __init__(self, react: Callable[[Subscription], None]) -> None:
        self.react = react
        self.subscription: Subscription | None = None
        self.messages: list[LiveMessage] = []
        self.reacted = False

    def __call__(self, message: LiveMessage) -> None:
        self.messages.append(message)
        if message.type == "delta" and not self.reacted and self.subscription is not None:
            self.reacted = True
            self.react(self.subscription)


def subscribe(server: graphport.Server, owner: Principal, dataset: str, sub: Reacting) -> None:
    sub.subscription = server.subscribe(owner, dataset, sub)


def test_send_that_closes_its_own_subscription(server: graphport.Server, owner: Principal) -> None:
    dataset = make_dataset(server, owner)
    sub = Reacting(lambda s: s.close())
    subscribe(server, owner, dataset, sub)
    write = lambda: server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [5.0]}))  # noqa: E731
    assert finishes(write), "the writer deadlocked in the subscriber's send"
    assert sub.subscription is not None and sub.subscription.closed
    assert server.live.registry._live[dataset].subscribers == []
    assert finishes(write)  # and later writes publish to nobody
    assert [m.type for m in sub.messages] == ["snapshot", "delta"]


def test_send_that_asks_for_a_snapshot(server: graphport.Server, owner: Principal) -> None:
    dataset = make_dataset(server, owner)
    sub = Reacting(lambda s: s.snapshot())
    subscribe(server, owner, dataset, sub)
    assert finishes(
        lambda: server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [5.0]}))
    ), "the writer deadlocked in the subscriber's send"
    assert [m.type for m in sub.messages] == ["snapshot", "delta", "snapshot"]
    assert sub.messages[2].version == sub.messages[1].version


def test_send_that_writes_to_the_dataset(server: graphport.Server, owner: Principal) -> None:
    """Without on_poll_request a write polls; a write from inside ``send`` polls again."""
    dataset = make_dataset(server, owner)
    sub = Reacting(lambda s: server.live_update(owner, dataset, "edges", pa.table({"eid": [2], "w": [6.0]})))
    subscribe(server, owner, dataset, sub)
    assert finishes(
        lambda: server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [5.0]}))
    ), "the writer deadlocked in the subscriber's send"
    versions = [m.version for m in sub.messages]
    assert [m.type for m in sub.messages] == ["snapshot", "delta", "delta"]
    assert versions == sorted(versions) and sub.messages[2].base == sub.messages[1].version


def test_close_callback_that_writes(server: graphport.Server, owner: Principal) -> None:
    """``on_close`` runs with no lock held too: an app told "revoked" may record it in the dataset
    (a write, which polls, from inside the poll that found the right gone)."""
    dataset = make_dataset(server, owner)
    viewer = server.create_user("viewer", "correct horse battery staple")
    server.datasets.share(
        owner, dataset, {"mode": "private", "invited_users": ["viewer"], "mode_action": "10"}
    )
    reasons: list[str] = []

    def on_close(reason: str) -> None:
        reasons.append(reason)
        server.live_update(owner, dataset, "edges", pa.table({"eid": [9], "label": [f"viewer {reason}"]}))

    server.subscribe(viewer, dataset, lambda m: None, on_close)
    with server.db.write() as c:  # the right ends where this process is not told (another process)
        c.execute(sa.delete(dataset_invites).where(dataset_invites.c.dataset_id == dataset))
    server.live.registry.forget_access()
    write = lambda: server.live_update(owner, dataset, "edges", pa.table({"eid": [1], "w": [5.0]}))  # noqa: E731
    assert finishes(write), "the writer deadlocked in the subscriber's close callback"
    assert reasons == ["revoked"]
    edges, _ = server.live_tables(owner, dataset)
    assert "viewer revoked" in edges.column("label").to_pylist()
