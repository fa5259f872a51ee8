"""Plottables: immutable descriptions of one graph, bound to the client (and session) that made them.

Every method returns a new plottable and leaves the old one as it was, so a plottable may be
shared freely between threads. ``Plottable.plot()`` sends it through its client;
``AsyncPlottable.plot()`` is the same for an :class:`graphport.AsyncClient` (awaited).

The methods are grouped by job, one module each, all on top of ``_graph_spec.SpecHolder``:
``_plottable_sources`` (tables, bindings, networkx/igraph/hypergraph), ``_plottable_encodings`` and
``_plottable_icons`` (``encode_*``), ``_plottable_style`` (name, settings, style, privacy), ``_plottable_connectors``
(SQL, Cypher, Kusto, Spanner) and ``_plottable_plan`` (what a plot sends).
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, overload

import pyarrow as pa

from ._dataset import Dataset
from ._graph_spec import GraphSpec
from ._plottable_connectors import ConnectorMethods
from ._plottable_icons import IconMethods
from ._plottable_plan import EDGE_BINDINGS, NODE_BINDINGS, PlanMethods
from ._plottable_sources import SourceMethods
from ._plottable_style import StyleMethods
from ._session import ClientSession

__all__ = ["EDGE_BINDINGS", "NODE_BINDINGS", "AsyncPlottable", "GraphSpec", "Plottable", "render_url"]


def _in_notebook() -> bool:
    import sys

    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    get = getattr(shell, "get_ipython", None)
    ip = get() if get is not None else None
    return ip is not None and type(ip).__name__ == "ZMQInteractiveShell"


def render_url(url: str, render: bool) -> Any:
    """``url``, or an IFrame showing it when asked to render inside a notebook."""
    if render and _in_notebook():
        from IPython.display import IFrame

        return IFrame(url, width="100%", height=500)
    return url


class _PlottableBase(SourceMethods, IconMethods, StyleMethods, ConnectorMethods, PlanMethods):
    """Everything a plottable does but plotting (which needs its client's driver)."""

    __slots__ = ()

    def __init__(self, client: Any, session: ClientSession, spec: GraphSpec | None = None) -> None:
        super().__init__(client, session, spec)

    def __repr__(self) -> str:
        spec = self._spec
        edges = f"{spec.edges.num_rows} edges" if spec.edges is not None else "no edges"
        nodes = f"{spec.nodes.num_rows} nodes" if spec.nodes is not None else "no nodes"
        return (
            f"<{type(self).__name__} {edges}, {nodes}, bindings={dict(spec.bindings)!r}, "
            f"server={self._session.base_url!r}, user={self._session.username!r}>"
        )

    # -- read-only views -------------------------------------------------------------------------

    @property
    def edges_table(self) -> pa.Table | None:
        """The edges as a pyarrow Table (``None`` until ``edges()``)."""
        return self._spec.edges

    @property
    def nodes_table(self) -> pa.Table | None:
        """The nodes as a pyarrow Table (``None`` until ``nodes()``)."""
        return self._spec.nodes

    @property
    def bindings(self) -> dict[str, str]:
        """The column bindings, by the names ``bind()`` takes (a copy)."""
        return dict(self._spec.bindings)

    @property
    def dataset_id(self) -> str | None:
        """The dataset this plottable was loaded from (``from_dataset_id``), else ``None``."""
        return self._spec.dataset_id

    @property
    def session(self) -> ClientSession:
        """The session (server, user, org, privacy) this plottable plots with."""
        return self._session


class Sender(Protocol):
    """What a :class:`Plottable` hands itself to on ``upload()``: :class:`graphport.Client` is one.

    The plottable builds the plan (``_plan``); the sender signs in, sends it and makes the handle.
    """

    def _upload(self, session: ClientSession, plottable: Plottable) -> Dataset: ...


class AsyncSender(Protocol):
    """What an :class:`AsyncPlottable` hands itself to: :class:`graphport.AsyncClient` is one."""

    async def _upload(self, session: ClientSession, plottable: AsyncPlottable) -> Dataset: ...


class Plottable(_PlottableBase):
    """An immutable graph description bound to a :class:`graphport.Client`.

    Made by ``client.edges()``, ``client.nodes()``, ``client.bind()``; every method returns a new
    plottable. ``plot()`` uploads it (one request on a graphport server) and returns the URL.

    Example::

        g = graphport.client()
        g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="pw")
        url = g.edges(df, "src", "dst").plot(render=False)
    """

    __slots__ = ()
    _client: Sender

    @property
    def client(self) -> Sender:
        """The client this plottable plots through."""
        return self._client

    @overload
    def plot(
        self, render: Literal[False], *, name: str | None = ..., description: str | None = ...
    ) -> str: ...

    @overload
    def plot(self, render: bool = ..., *, name: str | None = ..., description: str | None = ...) -> Any: ...

    def plot(self, render: bool = True, *, name: str | None = None, description: str | None = None) -> Any:
        """Upload this graph and return its viewer URL.

        With ``render=False`` the result is always the URL string. With ``render=True`` (the
        default) a notebook shows the graph in an IFrame; a plain script still gets the URL.

        Raises ``ConfigError`` (nothing bound, not registered), ``AuthError``, ``ValidationError``
        (the server refused the data), ``TransportError``.

        Example::

            url = g.edges(df, "src", "dst").plot(render=False)
        """
        dataset = self._named(name, description).upload()
        return render_url(dataset.url, render)

    def upload(self, *, name: str | None = None, description: str | None = None) -> Dataset:
        """Upload this graph and return a :class:`Dataset` handle (``.id``, ``.url``).

        Example::

            ds = g.edges(df, "src", "dst").upload(name="flows")
        """
        plottable = self._named(name, description)
        return self._client._upload(plottable._session, plottable)


class AsyncPlottable(_PlottableBase):
    """The same immutable graph description, bound to a :class:`graphport.AsyncClient`;
    ``plot()`` and ``upload()`` are awaited.

    Example::

        async with graphport.AsyncClient() as g:
            await g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="pw")
            url = await g.edges(df, "src", "dst").plot(render=False)
    """

    __slots__ = ()
    _client: AsyncSender

    @property
    def client(self) -> AsyncSender:
        """The async client this plottable plots through."""
        return self._client

    @overload
    async def plot(
        self, render: Literal[False], *, name: str | None = ..., description: str | None = ...
    ) -> str: ...

    @overload
    async def plot(
        self, render: bool = ..., *, name: str | None = ..., description: str | None = ...
    ) -> Any: ...

    async def plot(
        self, render: bool = True, *, name: str | None = None, description: str | None = None
    ) -> Any:
        """Upload this graph and return its viewer URL (an IFrame in a notebook with ``render=True``).

        Example::

            url = await g.edges(df, "src", "dst").plot(render=False)
        """
        dataset = await self._named(name, description).upload()
        return render_url(dataset.url, render)

    async def upload(self, *, name: str | None = None, description: str | None = None) -> Dataset:
        """Upload this graph and return a :class:`Dataset` handle.

        Example::

            ds = await g.edges(df, "src", "dst").upload()
        """
        plottable = self._named(name, description)
        return await self._client._upload(plottable._session, plottable)
