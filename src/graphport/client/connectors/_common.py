"""What every connector shares: importing an optional SDK with an error naming the extra, keeping
secrets out of messages, and the per-session :class:`ConnectorState`."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any, NoReturn

from ...errors import ConfigError, GraphportError

#: The error code of a query the database refused or could not run (``docs/errors.md``).
QUERY_FAILED = "connector_query_failed"
#: The error code of a connector whose optional package is not installed.
MISSING_EXTRA = "connector_missing_extra"


def require(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or raise a ``ConfigError`` saying which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ConfigError(
            f"{what} needs the {module!r} package; install it with pip install 'graphport[{extra}]'.",
            code=MISSING_EXTRA,
        ) from None


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (password, key, token) replaced by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def fail(what: str, exc: BaseException, secrets: Iterable[str | None]) -> NoReturn:
    """Raise a ``GraphportError`` (``connector_query_failed``) for a database error, its message
    scrubbed of the secrets and the original exception not chained (its text may hold them)."""
    detail = scrub(f"{type(exc).__name__}: {exc}", secrets)
    raise GraphportError(f"{what} failed: {detail}", code=QUERY_FAILED, status=502) from None


class ConnectorState:
    """The database connections of one client session: SQLAlchemy engines made from URLs (one per
    URL, pooled, reused by every query of this client), the graph database given to ``bolt()`` or
    ``register(bolt=...)``, and the Kusto/Spanner clients. Never shared between clients; its repr
    shows no URL and no secret."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: dict[str, Any] = {}
        self.graph_db: Any = None
        self.kusto: Any = None
        self.spanner: Any = None

    def engine(self, url: str, make: Callable[[str], Any]) -> Any:
        """The engine of ``url``, made once with ``make(url)``."""
        with self._lock:
            engine = self._engines.get(url)
            if engine is None:
                engine = make(url)
                self._engines[url] = engine
            return engine

    def close(self) -> None:
        """Dispose of the engines made from URLs and close the Kusto/Spanner clients made from
        configurations (engines, drivers and clients the caller passed in are theirs to close)."""
        with self._lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.dispose()
        for handle in (self.kusto, self.spanner):
            if handle is not None:
                handle.close()

    def __repr__(self) -> str:
        return f"<ConnectorState sql_engines={len(self._engines)} graph_db={self.graph_db is not None}>"
