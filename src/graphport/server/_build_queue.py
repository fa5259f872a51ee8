"""The order graph builds run in: fair between tenants, small graphs first, bounded.

Measured on the old FIFO (issue #17): plots were accepted at 110-190/s but laid out at ~28/s, so
after a 60 s burst a new 1k-edge plot waited 286 s, and behind two 5M-edge plots a 1k-edge graph
waited 38.7 s. Here:

* each tenant (a dataset's owner) has its own queue, smallest graph (by edge rows) first;
* tenants take turns (round robin), so one tenant's burst delays another's graph by at most one
  build per slot;
* big graphs (more than ``small_edges`` edge rows) may hold at most ``big_slots`` of the build
  slots, so a small graph never waits behind big ones for a slot;
* the queue is bounded, in total and per tenant: past the bound, :class:`ServerBusy` (HTTP 503
  ``server_busy`` with a ``retry_after`` hint) instead of an ever-growing wait.
"""

from __future__ import annotations

import heapq
import itertools
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..errors import ServerError

T = TypeVar("T")


class ServerBusy(ServerError):
    """Too much work is queued: try again after ``retry_after`` seconds (HTTP 503)."""

    status = 503
    code = "server_busy"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(order=True)
class _Entry(Generic[T]):
    size: int
    seq: int
    item: T = field(compare=False)


class FairQueue(Generic[T]):
    """Items of several tenants; not thread-safe (the caller holds its own lock)."""

    def __init__(self, *, limit: int, per_tenant: int, small_edges: int) -> None:
        self.limit = limit
        self.per_tenant = per_tenant
        self.small_edges = small_edges
        self._tenants: OrderedDict[object, list[_Entry[T]]] = OrderedDict()  # turn order
        self._seq = itertools.count()
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def is_big(self, size: int) -> bool:
        return size > self.small_edges

    def push(self, tenant: object, size: int, item: T) -> None:
        """Queue ``item`` (a build of ``size`` edge rows); :class:`ServerBusy` when full."""
        heap = self._tenants.get(tenant)
        if self._len >= self.limit or (heap is not None and len(heap) >= self.per_tenant):
            mine = len(heap) if heap is not None else 0
            raise ServerBusy(
                f"The server has {self._len} graphs waiting to be built ({mine} of them yours); "
                "try again in a few seconds.",
                retry_after=5 if mine < self.per_tenant else 15,
            )
        if heap is None:
            heap = self._tenants[tenant] = []
        heapq.heappush(heap, _Entry(size, next(self._seq), item))
        self._len += 1

    def pop(self, *, big_allowed: bool) -> T | None:
        """The next item to run: the tenant whose turn it is gives its smallest graph; a tenant
        with only big graphs is skipped when ``big_allowed`` is False. None: nothing may run."""
        for tenant, heap in self._tenants.items():
            if not big_allowed and self.is_big(heap[0].size):
                continue
            entry = heapq.heappop(heap)
            del self._tenants[tenant]
            if heap:
                self._tenants[tenant] = heap  # to the back of the turn order
            self._len -= 1
            return entry.item
        return None

    def drain(self) -> list[T]:
        """Remove and return every queued item."""
        items = [e.item for heap in self._tenants.values() for e in heap]
        self._tenants.clear()
        self._len = 0
        return items
