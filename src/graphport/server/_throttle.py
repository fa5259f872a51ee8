"""Sign-in throttling and the bound on concurrent password hashes (issue #10, Low).

Every failed password check costs an argon2 hash (64 MiB and ~0.3 s with the default profile), so
an unbounded stream of wrong passwords is both a guessing attack and a memory attack. Two guards:

- :class:`LoginThrottle` counts failed sign-ins per username and per client address over a sliding
  window; past the limit, sign-ins for that name or from that address are refused with 429 and a
  ``Retry-After`` *before* any hash is computed (even with the right password, or the limit would
  not slow guessing). A successful sign-in clears the name's count. The counts live in each
  process's memory: with N processes an attacker gets at most N times the budget.
- :class:`HashSlots` lets at most ``n`` hashes run at once; a caller waits up to ``wait`` seconds
  for a slot, then gets 503 ``login_busy`` with ``Retry-After``.
"""

from __future__ import annotations

import collections
import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator

from ..errors import GraphportError


class Throttled(GraphportError):
    """Too many attempts (429) or no free hashing slot (503); ``retry_after`` is in seconds."""

    status = 429
    code = "too_many_attempts"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None, status: int | None = None):
        super().__init__(message, code=code, status=status)
        self.retry_after = max(1, retry_after)


class LoginThrottle:
    """Sliding-window counts of failed sign-ins, per username and per address (thread-safe)."""

    def __init__(
        self,
        *,
        per_user: int,
        per_address: int,
        window: float,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.per_user = per_user
        self.per_address = per_address
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._lock = threading.Lock()
        self._failures: collections.OrderedDict[str, collections.deque[float]] = collections.OrderedDict()

    def check(self, username: str, address: str | None) -> None:
        """Raise :class:`Throttled` when this name or address is over its limit."""
        now = self._clock()
        with self._lock:
            waits = [self._wait(key, limit, now) for key, limit in self._keys(username, address) if limit > 0]
        wait = max(waits, default=0.0)
        if wait > 0:
            raise Throttled(
                f"Too many failed sign-ins for this account or from this address; try again in "
                f"{math.ceil(wait)} seconds.",
                retry_after=math.ceil(wait),
            )

    def failed(self, username: str, address: str | None) -> None:
        now = self._clock()
        with self._lock:
            for key, _limit in self._keys(username, address):
                times = self._failures.pop(key, None) or collections.deque()
                times.append(now)
                self._failures[key] = times  # most recently used last
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(self._user_key(username), None)

    def _keys(self, username: str, address: str | None) -> list[tuple[str, int]]:
        keys = [(self._user_key(username), self.per_user)]
        if address:
            keys.append(("a:" + address, self.per_address))
        return keys

    @staticmethod
    def _user_key(username: str) -> str:
        return "u:" + username.lower()

    def _wait(self, key: str, limit: int, now: float) -> float:
        times = self._failures.get(key)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if not times:
            del self._failures[key]
            return 0.0
        if len(times) < limit:
            return 0.0
        # Free again when enough of the oldest failures leave the window.
        return times[len(times) - limit] + self.window - now


class HashSlots:
    """At most ``n`` password hashes at once (each argon2 hash holds its memory cost)."""

    def __init__(self, n: int, wait: float = 10.0) -> None:
        self._slots = threading.BoundedSemaphore(n)
        self.wait = wait

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        if not self._slots.acquire(timeout=self.wait):
            raise Throttled(
                "The server is busy checking other passwords; try again in a moment.",
                retry_after=1,
                code="login_busy",
                status=503,
            )
        try:
            yield
        finally:
            self._slots.release()
