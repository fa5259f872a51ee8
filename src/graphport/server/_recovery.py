"""Crash recovery: what a killed process left behind is cleaned up at start-up and on a timer.

A ``kill -9`` never leaves anything half-visible (blobs are durable before the rows that name them
commit), but it can leave things behind (issue #17). One sweep, run when a server starts and then
every ``recovery_interval`` seconds on a daemon thread:

* temporary files of interrupted blob writes, older than ``orphan_grace``, are removed;
* ``pending`` datasets (created, edges never uploaded) older than ``pending_dataset_ttl`` are
  deleted with their invitations;
* blobs that no dataset or file row names, older than ``orphan_grace`` (so a write in progress,
  whose row commits right after its blob, is never touched), are deleted;
* S3 multipart uploads under the blob prefix started more than ``multipart_upload_ttl`` ago are
  aborted.

Every step is safe with several server processes sweeping the same stores at once.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

import sqlalchemy as sa

from ..storage import BlobStore, Database
from ..storage._models import dataset_invites, datasets, files
from ._config import ServerConfig

logger = logging.getLogger("graphport.recovery")


@dataclass(frozen=True)
class SweepReport:
    """What one sweep removed (logged; tests read it)."""

    temporary_files: int = 0
    pending_datasets: int = 0
    orphaned_blobs: int = 0
    multipart_uploads: int = 0


class Recovery:
    """The sweep of the module docstring, and the timer that repeats it."""

    def __init__(self, db: Database, blobs: BlobStore, config: ServerConfig) -> None:
        self._db = db
        self._blobs = blobs
        self._config = config
        self._stop = threading.Event()
        #: Set once the first sweep after ``start()`` has ended (tests and tools wait on it).
        self.swept = threading.Event()
        self._thread: threading.Thread | None = None

    def sweep(self, now: float | None = None) -> SweepReport:
        """Clean up once; ``now`` (a ``time.time()`` value) is for tests."""
        now = time.time() if now is None else now
        temporary = self._blobs.reap_temporary(now - self._config.orphan_grace)
        pending = self._expire_pending(now - self._config.pending_dataset_ttl)
        orphaned = self._delete_orphans(now - self._config.orphan_grace)
        uploads = self._blobs.abort_stale_uploads(now - self._config.multipart_upload_ttl)
        report = SweepReport(temporary, pending, orphaned, uploads)
        if report != SweepReport():
            logger.info("recovery sweep removed %s", report)
        return report

    def _expire_pending(self, cutoff: float) -> int:
        with self._db.write() as c:
            stale = sa.select(datasets.c.id).where(
                datasets.c.status == "pending", datasets.c.created_at < cutoff
            )
            c.execute(dataset_invites.delete().where(dataset_invites.c.dataset_id.in_(stale)))
            # Their blobs (a nodes table uploaded before the edges) are orphans now: the orphan
            # step of this very sweep removes them.
            return int(
                c.execute(
                    datasets.delete().where(datasets.c.status == "pending", datasets.c.created_at < cutoff)
                ).rowcount
            )

    def _delete_orphans(self, cutoff: float) -> int:
        # List the candidates first, then read which keys rows name: a row that commits after the
        # listing names a blob written after the cutoff, or one the read below sees.
        candidates = list(self._blobs.keys_older_than(cutoff))
        if not candidates:
            return 0
        named: set[str] = set()
        with self._db.read() as c:
            for column in (datasets.c.edges_key, datasets.c.nodes_key, datasets.c.graph_key):
                named.update(c.execute(sa.select(column).where(column.is_not(None))).scalars())
            named.update(
                c.execute(sa.select(files.c.blob_key).where(files.c.blob_key.is_not(None))).scalars()
            )
        removed = 0
        for key in candidates:
            if key not in named:
                self._blobs.delete(key)
                removed += 1
        return removed

    def start(self) -> None:
        """Sweep at once, then every ``recovery_interval`` seconds (only once when it is 0; never
        when it is negative), on a daemon thread: listing a large bucket must not hold up the
        server's start. ``swept`` is set when the first sweep has ended."""
        interval = self._config.recovery_interval
        if interval < 0:
            self.swept.set()
            return
        self._thread = threading.Thread(
            target=self._loop, args=(interval,), name="graphport-recovery", daemon=True
        )
        self._thread.start()

    def _loop(self, interval: float) -> None:
        self._safe_sweep()
        self.swept.set()
        if interval == 0:
            return
        while not self._stop.wait(interval):
            self._safe_sweep()

    def _safe_sweep(self) -> None:
        try:
            self.sweep()
        except Exception:  # a store that is briefly unreachable: the next sweep tries again
            logger.exception("recovery sweep failed; it runs again in %s s", self._config.recovery_interval)

    def close(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            with contextlib.suppress(RuntimeError):
                thread.join(timeout=10)
