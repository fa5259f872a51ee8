"""``graphport serve`` and ``graphport demo``."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import Server, ServerConfig
from ..server._pool import terminate_workers
from . import open_server, store_options
from ._sample import ensure_sample

if TYPE_CHECKING:
    from ..transports.asgi import GraphportASGI

_ENV_OPTIONS = {
    "token_ttl": "GRAPHPORT_TOKEN_TTL",
    "default_privacy": "GRAPHPORT_DEFAULT_PRIVACY",
    "max_upload_bytes": "GRAPHPORT_MAX_UPLOAD_BYTES",
}


ALLOWED_HOSTS_VAR = "GRAPHPORT_ALLOWED_HOSTS"


def app_from_env() -> Any:
    """Uvicorn factory for ``--workers N``: each worker process builds its own server from the
    environment the parent set (no state is shared between processes but the stores)."""
    from ..transports.asgi import make_app

    extra: dict[str, Any] = {}
    for field, var in _ENV_OPTIONS.items():
        if os.environ.get(var):
            extra[field] = os.environ[var] if field == "default_privacy" else int(os.environ[var])
    extra["allowed_hosts"] = _split_hosts(os.environ.get(ALLOWED_HOSTS_VAR, ""))
    server = Server(config=ServerConfig.from_env(**extra))
    return CloseOnShutdown(make_app(server), server)


def _split_hosts(value: str) -> tuple[str, ...] | None:
    hosts = tuple(h.strip() for h in value.split(",") if h.strip())
    return hosts or None


#: Seconds a stopping server lets running requests finish before it cancels them. Long polls
#: are held open on purpose (live changes up to 30 s, the official client's SSO token poll up to
#: ``sso_poll_wait``, 50 s): without a bound each held one delayed the stop by its whole wait.
#: Nothing acknowledged is lost by the cancel: a write is acknowledged only once it is stored.
SHUTDOWN_GRACE = 5.0
#: Seconds an idle keep-alive connection stays open. uvicorn's default (5 s) equals httpx's own
#: pool expiry, and clients that keep connections longer (requests, which the official client
#: uses, keeps them indefinitely) send a request on a connection the server is closing just
#: then: "Server disconnected" on a POST after 5 s idle (seen in bench/tenants.py). 75 s is longer
#: than common load balancers' idle timeouts (60 s), so they close first.
KEEP_ALIVE = 75


def uvicorn_options(config: ServerConfig) -> dict[str, Any]:
    """How ``serve`` runs uvicorn: the h11 parser, whose buffer for a request's line and headers
    is bounded by ``max_header_bytes`` (httptools has no such bound: a client could send headers
    without end), uvicorn answering 400 and closing the connection beyond it; idle connections
    kept :data:`KEEP_ALIVE` seconds; and at most :data:`SHUTDOWN_GRACE` seconds for running
    requests when it stops."""
    return {
        "http": "h11",
        "h11_max_incomplete_event_size": config.max_header_bytes,
        "timeout_graceful_shutdown": SHUTDOWN_GRACE,
        "timeout_keep_alive": KEEP_ALIVE,
    }


class CloseOnShutdown:
    """ASGI wrapper for a ``--workers N`` process: held long polls answer when its stop begins,
    and the server closes (live changes flushed, workers stopped) when uvicorn shuts the app down.
    This is the only place a worker process can do either: uvicorn's own supervisor runs it, and
    re-raises SIGTERM once the app is down, and the process dies there."""

    def __init__(self, app: GraphportASGI, server: Server) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_then_close() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                wake_polls_on_stop_signal(asyncio.get_running_loop(), self.app.core.stop_waiting)
            elif message["type"] == "lifespan.shutdown":
                await asyncio.to_thread(shut_down, self.server)
            return message

        await self.app(scope, receive_then_close, send)


def wake_polls_on_stop_signal(loop: asyncio.AbstractEventLoop, stop_waiting: Callable[[], None]) -> None:
    """Chain ``stop_waiting`` before the SIGINT/SIGTERM handlers in place (uvicorn's, which only
    mark the server as exiting; it installs them with ``signal.signal`` before loading the app and
    restores what it found afterwards). Without this, a held long poll (live changes up to 30 s,
    an SSO token poll up to 50 s) kept a worker process for the whole ``SHUTDOWN_GRACE``.

    The handler only schedules ``stop_waiting`` on the event loop: a signal handler runs between
    two bytecodes of the main thread, which may hold the lock ``stop_waiting`` takes."""
    if not _main_thread():
        return
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous = signal.getsignal(signum)
        if not callable(previous):
            continue

        def handler(sig: int, frame: Any, previous: Callable[[int, Any], Any] = previous) -> None:
            loop.call_soon_threadsafe(stop_waiting)
            previous(sig, frame)

        signal.signal(signum, handler)


def shut_down(server: Server) -> None:
    """Close the server: flush live changes first (Server.close does), then stop worker processes.

    Builds in progress are abandoned, not failed (their datasets are built again on the next read
    after a restart), so a big layout does not hold the shutdown up."""
    previous = signal.getsignal(signal.SIGTERM) if _main_thread() else None
    if previous is not None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the flush short
    try:
        terminate_workers(final=True)
        server.close()
    finally:
        terminate_workers(final=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def close_on_sigterm() -> Iterator[None]:
    """Make SIGTERM end ``serve`` through its ``finally`` (which flushes live changes).

    uvicorn catches SIGTERM, shuts down, restores the handler it found and raises the signal
    again: with Python's default handler the process died right there, before ``server.close()``,
    and acknowledged live writes not yet flushed were lost (issue #17). The handler found is this
    one, which exits through the ``finally`` blocks with the conventional status 143."""

    def exit_on_sigterm(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, exit_on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
    @click.option(
        "--port", default=8080, show_default=True, type=int, help="Port to bind (0: any free port)."
    )
    @click.option(
        "--bus", envvar="GRAPHPORT_BUS", help="Live-update bus: redis://host:port/db (default: in-process)."
    )
    @click.option("--workers", default=1, show_default=True, type=int, help="Server processes.")
    @click.option(
        "--token-ttl", default=3600, show_default=True, type=int, help="Access token lifetime, seconds."
    )
    @click.option(
        "--default-privacy",
        type=click.Choice(["public", "organization", "private"]),
        default="public",
        show_default=True,
        help="Privacy of datasets whose uploader set none.",
    )
    @click.option(
        "--max-upload-bytes",
        default=8 * 1024**3,
        show_default=True,
        type=int,
        help="Largest request body accepted (larger gets HTTP 413).",
    )
    @click.option(
        "--allowed-host",
        "allowed_hosts",
        multiple=True,
        envvar=ALLOWED_HOSTS_VAR,
        help="A host name this server answers to (repeat it; '*' any; '.example.org' a domain). "
        "Default: localhost, 127.0.0.1, ::1 and the IP address a connection arrived on. "
        f"{ALLOWED_HOSTS_VAR}: comma-separated.",
    )
    @click.option("--sample", is_flag=True, help="Create a demo user and a sample graph, and print both.")
    @store_options
    def serve(
        host: str,
        port: int,
        bus: str | None,
        workers: int,
        token_ttl: int,
        default_privacy: str,
        max_upload_bytes: int,
        allowed_hosts: tuple[str, ...],
        sample: bool,
        data: Path,
        db: str | None,
        blobs: str | None,
    ) -> None:
        """Run the server (embedded default: SQLite + local blobs in DATA)."""
        import uvicorn

        options = dict(
            token_ttl=token_ttl, default_privacy=default_privacy, max_upload_bytes=max_upload_bytes
        )
        hosts = _split_hosts(",".join(allowed_hosts))
        server = open_server(data, db, blobs, bus=bus, allowed_hosts=hosts, **options)
        http_options = uvicorn_options(server.config)
        base = f"http://{host}:{port}"
        click.echo(
            f"graphport serving on {base}  (data: {server.data}, db: {server.db.engine.url.get_backend_name()})"
        )
        if sample:
            username, password, url = ensure_sample(server, base)
            click.echo(f"sign in at {base}/login as {username!r} with password {password!r}")
            click.echo(f"sample graph: {url}")
        else:
            click.echo(f"create a user with: graphport user add NAME --data {data}")
        click.echo("stop with Ctrl-C")
        if workers > 1:
            if not bus:
                click.echo(
                    "warning: --workers > 1 without --bus: a live update reaches only the viewers "
                    "connected to the process that took it; use --bus redis://HOST:PORT/0 (docs/deploy.md)",
                    err=True,
                )
            server.close()
            for field, var in _ENV_OPTIONS.items():
                os.environ[var] = str(options[field])
            os.environ["GRAPHPORT_DATA"] = str(data)
            if hosts:
                os.environ[ALLOWED_HOSTS_VAR] = ",".join(hosts)
            for var, value in (("GRAPHPORT_DB", db), ("GRAPHPORT_BLOBS", blobs), ("GRAPHPORT_BUS", bus)):
                if value:
                    os.environ[var] = value
            uvicorn.run(
                "graphport.cli._serve:app_from_env",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                log_level="warning",
                **http_options,
            )
            return
        with close_on_sigterm():
            try:
                server.serve(host=host, port=port, log_level="warning", **http_options)
            finally:
                shut_down(server)

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8080, show_default=True, type=int)
    @click.option("--no-serve", is_flag=True, help="Create the sample and exit instead of serving it.")
    @store_options
    def demo(host: str, port: int, no_serve: bool, data: Path, db: str | None, blobs: str | None) -> None:
        """Create a demo user, plot a sample graph (Les Misérables), print its URL and serve it."""
        with open_server(data, db, blobs) as server:
            base = f"http://{host}:{port}"
            username, password, url = ensure_sample(server, base)
            click.echo(f"demo user {username!r}, password {password!r}")
            click.echo(f"sample graph: {url}")
            if not no_serve:
                click.echo(f"serving on {base}; stop with Ctrl-C")
                server.serve(host=host, port=port, log_level="warning", **uvicorn_options(server.config))
