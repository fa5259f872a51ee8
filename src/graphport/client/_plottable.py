"""Plottables: immutable descriptions of one graph, bound to the client (and session) that made them.

Every method returns a new plottable and leaves the old one as it was, so a plottable may be
shared freely between threads. ``Plottable.plot()`` sends it through its client;
``AsyncPlottable.plot()`` is the same for an :class:`graphport.AsyncClient` (awaited).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal, Protocol, Self, overload

import pyarrow as pa

from .._wire import BIND_ARGUMENTS
from .._wire import EDGE_BINDINGS as WIRE_EDGE_BINDINGS
from .._wire import NODE_BINDINGS as WIRE_NODE_BINDINGS
from ..errors import ConfigError
from ._dataset import Dataset
from ._frames import ipc_file, to_table
from ._protocol import PlotPlan, agent_metadata, default_name
from ._session import ClientSession, PrivacySettings

# ``bind()`` keyword -> wire name, split by table (``point_*`` is the reference client's spelling of
# ``node_*``); the names themselves live in ``graphport._wire``, shared with the server. ``edge`` (the
# edge id column) is one of them: the reference client never sends it; we do, because a graphport
# server upserts live edge updates by it (without it, edge updates append).
EDGE_BINDINGS = {arg: name for arg, name in BIND_ARGUMENTS.items() if name in WIRE_EDGE_BINDINGS}
NODE_BINDINGS = {arg: name for arg, name in BIND_ARGUMENTS.items() if name in WIRE_NODE_BINDINGS}
LOCAL_BINDINGS = ("edge",)
STYLE_KEYS = ("bg", "fg", "logo", "page")


@dataclasses.dataclass(frozen=True)
class _Spec:
    edges: pa.Table | None = None
    nodes: pa.Table | None = None
    bindings: tuple[tuple[str, str], ...] = ()
    encodings: str = "{}"  # JSON: {"node"|"edge": {"default"|"current": {name: encoding}}}
    name: str | None = None
    description: str | None = None
    url_params: tuple[tuple[str, Any], ...] = ()
    style: str = "{}"
    privacy: PrivacySettings | None = None
    # Arrow files of the tables, made on first plot (a plottable is immutable, so they never go stale).
    cache: dict[str, pa.Buffer] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )


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


class _PlottableBase:
    __slots__ = ("_client", "_session", "_spec")
    _client: Any
    _session: ClientSession
    _spec: _Spec

    def __init__(self, client: Any, session: ClientSession, spec: _Spec | None = None) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_spec", spec or _Spec())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"Cannot set {name!r}: plottables are immutable. Methods such as bind(), edges() and "
            "name() return a new plottable; keep that one."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Cannot delete {name!r}: plottables are immutable.")

    def __repr__(self) -> str:
        spec = self._spec
        edges = f"{spec.edges.num_rows} edges" if spec.edges is not None else "no edges"
        nodes = f"{spec.nodes.num_rows} nodes" if spec.nodes is not None else "no nodes"
        return (
            f"<{type(self).__name__} {edges}, {nodes}, bindings={dict(spec.bindings)!r}, "
            f"server={self._session.base_url!r}, user={self._session.username!r}>"
        )

    def _with(self, **changes: Any) -> Self:
        return type(self)(self._client, self._session, dataclasses.replace(self._spec, **changes))

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
    def session(self) -> ClientSession:
        """The session (server, user, org, privacy) this plottable plots with."""
        return self._session

    # -- data and bindings -----------------------------------------------------------------------

    def edges(
        self, edges: Any, source: str | None = None, destination: str | None = None, edge: str | None = None
    ) -> Self:
        """A plottable with this edges table (pandas, polars or pyarrow) and, optionally, its
        source/destination (and edge id) columns bound.

        Example::

            g2 = g.edges(df, "src", "dst")
        """
        table = to_table(edges, "edges")
        return self._with(edges=table)._bind({"source": source, "destination": destination, "edge": edge})

    def nodes(self, nodes: Any, node: str | None = None) -> Self:
        """A plottable with this nodes table and, optionally, its id column bound.

        Example::

            g2 = g.nodes(nodes_df, "id")
        """
        table = to_table(nodes, "nodes")
        return self._with(nodes=table)._bind({"node": node})

    def bind(
        self,
        source: str | None = None,
        destination: str | None = None,
        node: str | None = None,
        edge: str | None = None,
        *,
        edges: Any = None,
        nodes: Any = None,
        edge_title: str | None = None,
        edge_label: str | None = None,
        edge_color: str | None = None,
        edge_weight: str | None = None,
        edge_size: str | None = None,
        edge_opacity: str | None = None,
        edge_icon: str | None = None,
        edge_source_color: str | None = None,
        edge_destination_color: str | None = None,
        point_title: str | None = None,
        point_label: str | None = None,
        point_color: str | None = None,
        point_weight: str | None = None,
        point_size: str | None = None,
        point_opacity: str | None = None,
        point_icon: str | None = None,
        point_x: str | None = None,
        point_y: str | None = None,
        point_longitude: str | None = None,
        point_latitude: str | None = None,
    ) -> Self:
        """A plottable with these columns bound (the reference client's names), and optionally
        new ``edges``/``nodes`` tables (``bind(nodes=df, edges=df)`` works, as the seed docs write it).

        Example::

            g2 = g.bind(source="src", destination="dst", point_color="kind", nodes=ndf, node="id")
        """
        result = self
        if edges is not None:
            result = result._with(edges=to_table(edges, "edges"))
        if nodes is not None:
            result = result._with(nodes=to_table(nodes, "nodes"))
        values = {k: v for k, v in locals().items() if k in BIND_ARGUMENTS}
        return result._bind(values)

    def _bind(self, values: Mapping[str, str | None]) -> Self:
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        for key, column in given.items():
            if not isinstance(column, str):
                raise ConfigError(
                    f"bind({key}={column!r}) must name a column with a string; got a {type(column).__name__}."
                )
        merged = dict(self._spec.bindings)
        merged.update(given)
        return self._with(bindings=tuple(merged.items()))

    # -- encodings -------------------------------------------------------------------------------

    def _encode(
        self,
        graph_type: Literal["point", "edge"],
        feature: str,
        column: str,
        *,
        palette: Iterable[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        continuous_binning: Iterable[Any] | None = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        binding = f"{graph_type}_{feature}"
        if categorical_mapping is None and palette is None and continuous_binning is None:
            return self._bind({binding: column})
        transform: dict[str, Any]
        call = f"encode_{graph_type}_{feature}({column!r}, ...)"
        if categorical_mapping is not None:
            if not isinstance(categorical_mapping, Mapping):
                raise ConfigError(f"{call}: categorical_mapping must be a dict of value -> {feature}.")
            fixed: dict[str, Any] = {str(k): v for k, v in categorical_mapping.items()}
            categorical: dict[str, Any] = {"fixed": fixed}
            if default_mapping is not None:
                categorical["other"] = default_mapping
            transform = {"variation": "categorical", "mapping": {"categorical": categorical}}
        elif palette is not None:
            colors = list(palette)
            if isinstance(palette, str) or not all(isinstance(c, str) for c in colors):
                raise ConfigError(f"{call}: palette must be a list of colour strings, e.g. ['#fff', 'red'].")
            if as_categorical is None and as_continuous is None:
                raise ConfigError(f"{call}: with a palette, say as_categorical=True or as_continuous=True.")
            categorical_flag = as_categorical if as_categorical is not None else not as_continuous
            transform = {"variation": "categorical" if categorical_flag else "continuous", "colors": colors}
        else:
            assert continuous_binning is not None
            continuous: dict[str, Any] = {"bins": list(continuous_binning)}
            if default_mapping is not None:
                continuous["other"] = default_mapping
            transform = {"variation": "continuous", "mapping": {"continuous": continuous}}
        if not (for_default or for_current):
            raise ConfigError(f"{call}: for_default and for_current are both False; set at least one.")
        encoding = {"graphType": graph_type, "encodingType": feature, "attribute": column, **transform}
        name = f"{graph_type}{feature.capitalize()}Encoding"
        encodings = json.loads(self._spec.encodings)
        side = encodings.setdefault("node" if graph_type == "point" else "edge", {})
        for slot, wanted in (("default", for_default), ("current", for_current)):
            if wanted:
                side.setdefault(slot, {})[name] = encoding
        return self._with(encodings=json.dumps(encodings))

    def encode_point_color(
        self,
        column: str,
        palette: Iterable[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Colour nodes by a column: a plain binding, or a palette / categorical mapping.

        Example::

            g2 = g.encode_point_color("kind", categorical_mapping={"a": "red"}, default_mapping="gray")
        """
        return self._encode(
            "point",
            "color",
            column,
            palette=palette,
            as_categorical=as_categorical,
            as_continuous=as_continuous,
            categorical_mapping=categorical_mapping,
            default_mapping=default_mapping,
            for_default=for_default,
            for_current=for_current,
        )

    def encode_edge_color(
        self,
        column: str,
        palette: Iterable[str] | None = None,
        as_categorical: bool | None = None,
        as_continuous: bool | None = None,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Colour edges by a column (same options as :meth:`encode_point_color`).

        Example::

            g2 = g.encode_edge_color("w", ["blue", "red"], as_continuous=True)
        """
        return self._encode(
            "edge",
            "color",
            column,
            palette=palette,
            as_categorical=as_categorical,
            as_continuous=as_continuous,
            categorical_mapping=categorical_mapping,
            default_mapping=default_mapping,
            for_default=for_default,
            for_current=for_current,
        )

    def encode_point_size(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        continuous_binning: Iterable[Any] | None = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Size nodes by a column: a plain binding, a categorical mapping or continuous bins.

        Example::

            g2 = g.encode_point_size("degree")
        """
        return self._encode(
            "point",
            "size",
            column,
            categorical_mapping=categorical_mapping,
            default_mapping=default_mapping,
            continuous_binning=continuous_binning,
            for_default=for_default,
            for_current=for_current,
        )

    def encode_edge_size(
        self,
        column: str,
        categorical_mapping: Mapping[Any, Any] | None = None,
        default_mapping: Any = None,
        continuous_binning: Iterable[Any] | None = None,
        for_default: bool = True,
        for_current: bool = False,
    ) -> Self:
        """Size edges by a column (same options as :meth:`encode_point_size`).

        Example::

            g2 = g.encode_edge_size("weight")
        """
        return self._encode(
            "edge",
            "size",
            column,
            categorical_mapping=categorical_mapping,
            default_mapping=default_mapping,
            continuous_binning=continuous_binning,
            for_default=for_default,
            for_current=for_current,
        )

    # -- description and presentation -------------------------------------------------------------

    def name(self, name: str) -> Self:
        """A plottable with this dataset name. Example: ``g.name("flows, May")``."""
        return self._with(name=str(name))

    def description(self, description: str) -> Self:
        """A plottable with this dataset description. Example: ``g.description("from the WAF")``."""
        return self._with(description=str(description))

    def settings(self, url_params: Mapping[str, Any] | None = None) -> Self:
        """A plottable whose viewer URL carries these parameters (later keys win).

        Example::

            g2 = g.settings(url_params={"play": 0, "bg": "#000000"})
        """
        merged = dict(self._spec.url_params)
        merged.update(url_params or {})
        return self._with(url_params=tuple(merged.items()))

    def style(
        self,
        bg: Mapping[str, Any] | None = None,
        fg: Mapping[str, Any] | None = None,
        logo: Mapping[str, Any] | None = None,
        page: Mapping[str, Any] | None = None,
    ) -> Self:
        """A plottable with viewer style settings (stored in the dataset metadata).

        Example::

            g2 = g.style(bg={"color": "white"}, page={"title": "My graph"})
        """
        style = json.loads(self._spec.style)
        for key, value in (("bg", bg), ("fg", fg), ("logo", logo), ("page", page)):
            if value is not None:
                style[key] = dict(value)
        return self._with(style=json.dumps(style))

    def privacy(
        self,
        mode: str | None = None,
        notify: bool | None = None,
        invited_users: list[Any] | None = None,
        message: str | None = None,
        mode_action: str | None = None,
    ) -> Self:
        """A plottable with its own sharing settings; unset fields fall back to the client's.

        ``mode`` is ``private``, ``organization`` (or ``org``) or ``public``; ``invited_users``
        lists emails/usernames or ``{"email": ..., "action": "10"|"20"}``.

        Example::

            g2 = g.privacy(mode="private", invited_users=["bob@example.org"])
        """
        settings = PrivacySettings.build(mode, notify, invited_users, mode_action, message)
        return self._with(privacy=settings)

    # -- what a plot sends ------------------------------------------------------------------------

    def _check(self) -> tuple[pa.Table, dict[str, str]]:
        spec = self._spec
        bindings = dict(spec.bindings)
        if spec.edges is None:
            raise ConfigError(
                "Nothing to plot: this plottable has no edges table; call .edges(df, 'src', 'dst') first."
            )
        missing = [k for k in ("source", "destination") if k not in bindings]
        if missing:
            raise ConfigError(
                f"Both source and destination must be bound before plotting (missing: {', '.join(missing)}); "
                "use .edges(df, 'src', 'dst') or .bind(source='src', destination='dst')."
            )
        if spec.nodes is not None and "node" not in bindings:
            raise ConfigError(
                "A nodes table is set but its id column is not bound; use .nodes(ndf, 'id') or "
                ".bind(node='id')."
            )
        checks = [(EDGE_BINDINGS, spec.edges, "edges")]
        if spec.nodes is not None:
            checks.append((NODE_BINDINGS, spec.nodes, "nodes"))
        for names, table, what in checks:
            columns = set(table.column_names)
            for key in names:
                column = bindings.get(key)
                if column is not None and column not in columns:
                    raise ConfigError(
                        f"{key} is bound to column {column!r}, which the {what} table does not have; "
                        f"it has: {', '.join(sorted(columns)) or 'no columns'}."
                    )
        return spec.edges, bindings

    def _dataset_json(self, session: ClientSession) -> dict[str, Any]:
        spec = self._spec
        _, bindings = self._check()
        edge_bindings = {EDGE_BINDINGS[k]: v for k, v in bindings.items() if k in EDGE_BINDINGS}
        node_bindings = {NODE_BINDINGS[k]: v for k, v in bindings.items() if k in NODE_BINDINGS}
        if spec.nodes is not None and "node_title" not in node_bindings and "node_label" not in node_bindings:
            node_bindings["node_title"] = _title_column(spec.nodes.column_names, node_bindings["node"])
        encodings = json.loads(spec.encodings)
        node_enc: dict[str, Any] = {"bindings": node_bindings}
        edge_enc: dict[str, Any] = {"bindings": edge_bindings}
        if encodings.get("node"):
            node_enc["complex"] = encodings["node"]
        if encodings.get("edge"):
            edge_enc["complex"] = encodings["edge"]
        dataset: dict[str, Any] = {
            "node_encodings": node_enc,
            "edge_encodings": edge_enc,
            "metadata": {**agent_metadata(), **json.loads(spec.style)},
            "name": spec.name if spec.name is not None else default_name(),
            "description": spec.description or "",
        }
        if session.org_name:
            dataset["org_name"] = session.org_name
        return dataset

    def _plan(self, session: ClientSession) -> PlotPlan:
        dataset = self._dataset_json(session)
        spec = self._spec
        cache = spec.cache
        if "edges" not in cache:
            assert spec.edges is not None
            cache["edges"] = ipc_file(spec.edges)
        if spec.nodes is not None and "nodes" not in cache:
            cache["nodes"] = ipc_file(spec.nodes)
        privacy = spec.privacy.over(session.privacy) if spec.privacy is not None else session.privacy
        return PlotPlan(
            dataset=dataset,
            privacy=privacy.to_wire() if privacy is not None else None,
            edges=cache["edges"],
            nodes=cache.get("nodes"),
        )

    def _named(self, name: str | None, description: str | None) -> Self:
        result = self
        if name is not None:
            result = result.name(name)
        if description is not None:
            result = result.description(description)
        return result


class Sender(Protocol):
    """What a :class:`Plottable` hands itself to on ``upload()``: :class:`graphport.Client` is one.

    The plottable builds the plan (``_plan``); the sender signs in, sends it and makes the handle.
    """

    def _upload(self, session: ClientSession, plottable: Plottable) -> Dataset: ...


class AsyncSender(Protocol):
    """What an :class:`AsyncPlottable` hands itself to: :class:`graphport.AsyncClient` is one."""

    async def _upload(self, session: ClientSession, plottable: AsyncPlottable) -> Dataset: ...


def _title_column(columns: list[str], node: str) -> str:
    lowered = {c.lower(): c for c in columns}
    for exact in ("nodetitle", "nodelabel", "label", "title", "name"):
        if exact in lowered:
            return lowered[exact]
    for part in ("title", "label", "name"):
        for column in columns:
            if part in column.lower():
                return column
    return node


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
