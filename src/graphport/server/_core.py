"""The engine: one isolated, thread-safe server instance that owns its stores.

Any method may be called from any thread. Database access follows the one-writer rule of
``storage._database``; CPU-heavy work (Arrow parsing and validation, graph building, layout) runs
on the process-wide pools of ``_pool``. Nothing here knows about HTTP: transports translate.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from ..errors import ConfigError
from ..storage import Database, open_blob_store, sqlite_url
from ..storage._bus import open_bus
from ._accounts import Accounts, password_hasher
from ._api import PollCallback, ServerAPI
from ._config import ServerConfig
from ._live import LiveHub
from ._live_bus import REVOCATIONS, LiveFanout
from ._live_datasets import LiveAwareDatasets
from ._pool import cpu_executor
from ._recovery import Recovery
from ._sso import SingleSignOn
from ._tokens import TokenIssuer, deployment_id


def _load_secret(config: ServerConfig, data: Path) -> str:
    if config.secret:
        return config.secret
    path = data / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secret)
    return secret


class Server(ServerAPI):
    """A graphport server engine.

    Parameters:
        data: the data directory, or ``None`` for a temporary one removed by :meth:`close`.
        config: a :class:`ServerConfig`; ``data`` overrides its ``data`` field.
        on_poll_request: called with the server when live updates are pending; the owner must
            then eventually call :meth:`poll`. Without it, updates are applied at once.
            :class:`~graphport.PollBatcher` is such a callback, batching the writes of 1 ms.

    Example::

        server = Server(data="./graphport-data")
        server.create_user("alice", "a long passphrase")
    """

    def __init__(
        self,
        data: str | os.PathLike[str] | None = None,
        *,
        config: ServerConfig | None = None,
        on_poll_request: PollCallback | None = None,
    ) -> None:
        config = config or ServerConfig()
        self._tempdir: str | None = None
        if data is not None:
            config = ServerConfig(**{**config.__dict__, "data": Path(data)})
        if config.data is None:
            self._tempdir = tempfile.mkdtemp(prefix="graphport-")
            config = ServerConfig(**{**config.__dict__, "data": Path(self._tempdir)})
        assert config.data is not None
        self.config = config
        self.data = config.data
        try:
            self.data.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"Cannot create the data directory {str(self.data)!r}: {exc}.") from None
        self.db = Database(config.db or sqlite_url(self.data / "graphport.db"))
        try:
            self.db.upgrade()
            self.blobs = open_blob_store(config.blobs or str(self.data / "blobs"))
            # Tokens are bound to this deployment (one id in the shared database; issue #10 F10).
            self.tokens = TokenIssuer(
                _load_secret(config, self.data), config.token_ttl, deployment_id(self.db)
            )
            self.accounts = Accounts(self.db, self.tokens, password_hasher(config), config)
            self.sso = SingleSignOn(
                self.db, self.accounts, config, _load_secret(config, self.data)
            )  # issue #15
            self.datasets = LiveAwareDatasets(self.db, self.blobs, self.accounts, config, cpu_executor)
            self.live = LiveHub(self, self.datasets, self.db, self.blobs, None, on_poll_request)
            self.datasets.live = self.live
            self.datasets.graphs.configure(config)  # fair, bounded build queue (issue #17)
            # Several processes (issue #7): live deltas and revocations travel over the bus. Without a
            # bus URL there is one process, and nothing to tell anyone.
            self.bus = open_bus(config.bus) if config.bus else None
            if self.bus is not None:
                self.live.fanout = LiveFanout(self.live, self.bus)
                self.accounts.revocation_listeners.append(self._announce_revocation)
                self._stop_revocations = self.bus.subscribe(REVOCATIONS, self._revoked_elsewhere)
            # Removal from an org, a revoked key, a new password, a disabled user: open live
            # subscriptions of that user are re-checked at once (issue #5).
            self.accounts.revocation_listeners.append(lambda user_id: self.live.revalidate(user_id=user_id))
            self._stats_lock = threading.Lock()
            self._stats: dict[str, int] = {}
            self._closed = False
            # Acknowledged live writes a crash left in the live log are applied and flushed (#17);
            # first, so that the sweep below also reclaims the blobs those flushes replaced.
            self.live.recover()
            # What a crash left behind: swept now and every config.recovery_interval s (issue #17).
            self.recovery = Recovery(self.db, self.blobs, config)
            self.recovery.start()
        except BaseException:
            # A later step failed (an unreachable bus, a bad store URL): nothing stays open.
            self.db.close()
            raise

    def __repr__(self) -> str:
        return f"<graphport.Server data={str(self.data)!r} db={self.db.engine.url.get_backend_name()}>"

    def close(self) -> None:
        """Release the database and remove a temporary data directory."""
        if self._closed:
            return
        self._closed = True
        self.recovery.close()
        self.sso.close()
        self.live.close()
        if self.bus is not None:
            self.bus.close()
        self.datasets.close()
        self.db.close()
        if self._tempdir:
            shutil.rmtree(self._tempdir, ignore_errors=True)

    def _announce_revocation(self, user_id: int) -> None:
        """Tell other processes to re-check this user's open subscriptions now."""
        if self.bus is not None and self.live.fanout is not None:
            with contextlib.suppress(Exception):  # the database stays the authority
                self.bus.publish(REVOCATIONS, self.live.fanout.origin + b" %d" % user_id)

    def _revoked_elsewhere(self, raw: bytes) -> None:
        origin, _, user = raw.partition(b" ")
        if self.live.fanout is None or origin != self.live.fanout.origin:
            # Caller facts read here before it are not trusted any more either (#16): the
            # embedded client's reused callers and ``Resolved.fresh`` ask the database again.
            self.accounts.revocations.tick()
            self.live.revalidate(user_id=int(user))

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- counters (tests and benchmarks read them) -------------------------------------------------

    def count(self, name: str) -> None:
        with self._stats_lock:
            self._stats[name] = self._stats.get(name, 0) + 1

    @property
    def stats(self) -> Mapping[str, int]:
        """Counts of auth events: ``login``, ``refresh``, ``verify``, ``key_login``."""
        with self._stats_lock:
            return dict(self._stats)
