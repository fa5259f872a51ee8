"""The ``graphport`` command: serve, administer users/orgs/keys, run a demo. Nothing imports this."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import Server, ServerConfig
from ..errors import GraphportError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_DATA = "./graphport-data"


def store_options(fn: F) -> F:
    """--data / --db / --blobs, shared by every command that opens the stores."""
    fn = click.option(
        "--blobs",
        envvar="GRAPHPORT_BLOBS",
        help="Blob store: a directory (default DATA/blobs) or s3://bucket/prefix?endpoint=URL.",
    )(fn)
    fn = click.option(
        "--db",
        envvar="GRAPHPORT_DB",
        help="SQLAlchemy URL (default sqlite:///DATA/graphport.db), e.g. postgresql://user@host/db.",
    )(fn)
    fn = click.option(
        "--data",
        envvar="GRAPHPORT_DATA",
        default=DEFAULT_DATA,
        show_default=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Data directory.",
    )(fn)
    return fn


def open_server(data: Path, db: str | None, blobs: str | None, **config: Any) -> Server:
    return Server(config=ServerConfig.from_env(data=data, db=db, blobs=blobs, **config))


class _Group(click.Group):
    """Turns GraphportError into one line on stderr and exit status 1 (``--debug`` shows the traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GraphportError as exc:
            if os.environ.get("GRAPHPORT_DEBUG") or "--debug" in sys.argv:
                raise
            raise click.ClickException(exc.message) from None


@click.group(cls=_Group)
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.version_option(package_name="graphport")
def cli(debug: bool) -> None:
    """graphport: an open, self-hosted visual graph hub."""


from . import _admin, _serve, _sso  # noqa: E402  (the commands register themselves on ``cli``)

_admin.register(cli)
_serve.register(cli)
_sso.register(cli)


def main() -> None:
    cli(prog_name="graphport")
