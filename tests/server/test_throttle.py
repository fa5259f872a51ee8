"""server/_throttle.py: sliding-window sign-in throttling on an injected clock, and the bound on
concurrent password hashes."""

from __future__ import annotations

import threading

import pytest

from graphport.server._throttle import HashSlots, LoginThrottle, Throttled


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock, per_user: int = 3, per_address: int = 5, **kw: int) -> LoginThrottle:
    return LoginThrottle(per_user=per_user, per_address=per_address, window=60.0, clock=clock, **kw)


def refused(t: LoginThrottle, user: str, address: str | None = None) -> Throttled | None:
    try:
        t.check(user, address)
    except Throttled as exc:
        return exc
    return None


def test_a_name_is_refused_after_its_limit_until_the_oldest_failure_leaves_the_window() -> None:
    clock = Clock()
    t = throttle(clock)
    for _ in range(3):
        assert refused(t, "alice") is None
        t.failed("alice", None)
        clock.now += 10
    exc = refused(t, "Alice")  # names are case-insensitive
    assert exc is not None and (exc.status, exc.code) == (429, "too_many_attempts")
    assert exc.retry_after == 30  # first failure at 1000, window 60, now 1030
    assert "try again in 30 seconds" in str(exc)
    clock.now += 29.5
    late = refused(t, "alice")
    assert late is not None and late.retry_after == 1  # rounded up, never 0
    clock.now += 0.5
    assert refused(t, "alice") is None


def test_a_success_clears_the_name_but_not_the_address() -> None:
    clock = Clock()
    t = throttle(clock, per_user=2, per_address=3)
    for name in ("a", "b", "c"):
        t.failed(name, "10.0.0.1")
    assert refused(t, "d", "10.0.0.1") is not None  # the address is over its limit
    assert refused(t, "d", "10.0.0.2") is None
    t.failed("a", None)
    assert refused(t, "a") is not None
    t.succeeded("A")
    assert refused(t, "a") is None
    assert refused(t, "a", "10.0.0.1") is not None


def test_a_zero_limit_turns_that_count_off() -> None:
    clock = Clock()
    t = throttle(clock, per_user=0, per_address=0)
    for _ in range(50):
        t.failed("alice", "10.0.0.1")
    assert refused(t, "alice", "10.0.0.1") is None


def test_the_table_of_counts_is_bounded() -> None:
    clock = Clock()
    t = throttle(clock, per_user=1, max_keys=10)
    for i in range(100):
        t.failed(f"user{i}", None)
    assert refused(t, "user99") is not None  # recent names are kept ...
    assert refused(t, "user0") is None  # ... the oldest were dropped to stay within max_keys


def test_hash_slots_bound_concurrent_hashes() -> None:
    slots = HashSlots(2, wait=0.05)
    inside = threading.Barrier(3)
    release = threading.Event()

    def hold() -> None:
        with slots.slot():
            inside.wait(5)
            release.wait(5)

    threads = [threading.Thread(target=hold) for _ in range(2)]
    for th in threads:
        th.start()
    inside.wait(5)  # both slots taken
    with pytest.raises(Throttled) as caught, slots.slot():
        pass
    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (503, "login_busy", 1)
    release.set()
    for th in threads:
        th.join(5)
    with slots.slot():  # free again
        pass


def test_retry_after_is_at_least_one_second() -> None:
    assert Throttled("m", retry_after=0).retry_after == 1
