"""Where a plottable's tables come from: ``edges``/``nodes``/``bind`` (frames, or callables of the
plottable, as the reference client takes them), ``materialize_nodes``, ``from_networkx``,
``from_igraph`` and ``hypergraph`` (the transform itself is in ``_hypergraph``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self

import pyarrow as pa
import pyarrow.compute as pc

from .._wire import BIND_ARGUMENTS
from ..errors import ConfigError
from ._graph_spec import SpecHolder
from ._hypergraph import HypergraphResult, hypergraph

#: Default id columns, as the reference client names them.
NETWORKX_NODE, NETWORKX_SOURCE, NETWORKX_DESTINATION = "n", "src", "dst"
IGRAPH_NODE, IGRAPH_SOURCE, IGRAPH_DESTINATION = "_n_implicit", "source", "target"


def _pandas(table: pa.Table | None) -> Any:
    return None if table is None else table.to_pandas()


class SourceMethods(SpecHolder):
    """Tables and bindings of a plottable."""

    __slots__ = ()

    # -- the reference client's attribute names, read-only (callables passed to edges()/nodes() use them)

    @property
    def _edges(self) -> Any:
        """The edges as a pandas DataFrame (``None`` when unset): what ``g._edges`` is in the reference client."""
        return _pandas(self._spec.edges)

    @property
    def _nodes(self) -> Any:
        """The nodes as a pandas DataFrame (``None`` when unset)."""
        return _pandas(self._spec.nodes)

    @property
    def _source(self) -> str | None:
        return self._binding("source")

    @property
    def _destination(self) -> str | None:
        return self._binding("destination")

    @property
    def _node(self) -> str | None:
        return self._binding("node")

    @property
    def _edge(self) -> str | None:
        return self._binding("edge")

    # -- tables and bindings ---------------------------------------------------------------------

    def edges(
        self,
        edges: Any,
        source: str | None = None,
        destination: str | None = None,
        edge: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Self:
        """A plottable with this edges table (pandas, polars, pyarrow; ``None`` removes it) and,
        optionally, its source/destination (and edge id) columns bound. ``edges`` may be a callable
        ``f(g, *args, **kwargs)`` returning the table, called with this plottable (bindings applied).

        Example::

            g2 = g.edges(df, "src", "dst")
            g3 = g2.edges(lambda g, n: g._edges.head(n), None, None, None, 10)
        """
        base = self._bind({"source": source, "destination": destination, "edge": edge})
        if callable(edges):
            return base._with_table("edges", edges(base, *args, **kwargs))
        if args or kwargs:
            raise ConfigError("edges(): extra arguments are only passed to a callable; got a table.")
        return base._with_table("edges", edges)

    def nodes(self, nodes: Any, node: str | None = None, *args: Any, **kwargs: Any) -> Self:
        """A plottable with this nodes table (``None`` removes it) and, optionally, its id column
        bound; ``nodes`` may be a callable ``f(g, *args, **kwargs)`` as in :meth:`edges`.

        Example::

            g2 = g.nodes(nodes_df, "id")
        """
        base = self._bind({"node": node})
        if callable(nodes):
            return base._with_table("nodes", nodes(base, *args, **kwargs))
        if args or kwargs:
            raise ConfigError("nodes(): extra arguments are only passed to a callable; got a table.")
        return base._with_table("nodes", nodes)

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
        values = {k: v for k, v in locals().items() if k in BIND_ARGUMENTS}
        result = self
        if edges is not None:
            result = result._with_table("edges", edges)
        if nodes is not None:
            result = result._with_table("nodes", nodes)
        return result._bind(values)

    def pipe(self, graph_transform: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``graph_transform(self, *args, **kwargs)``. Example: ``g.pipe(lambda g: g.name("x"))``."""
        return graph_transform(self, *args, **kwargs)

    def copy(self) -> Self:
        """This plottable (it is immutable, so a copy is the same object's value)."""
        return self._with()

    # -- derived tables --------------------------------------------------------------------------

    def materialize_nodes(self, reuse: bool = True, engine: str = "auto") -> Self:
        """A plottable with a nodes table made from the edges' distinct source and destination
        values, in order of first appearance (id column: the bound ``node``, else ``id``). With
        ``reuse`` (default) an existing nodes table with a bound id is kept.

        Example::

            g2 = g.edges(df, "s", "d").materialize_nodes()
        """
        spec = self._spec
        if reuse and spec.nodes is not None and self._node is not None:
            return self
        source, destination = self._source, self._destination
        if spec.edges is None:
            if reuse and spec.nodes is not None and spec.nodes.num_rows > 0:
                return self
            raise ConfigError(
                "materialize_nodes() needs an edges table; call .edges(df, 'src', 'dst') first."
            )
        if source is None or destination is None:
            raise ConfigError(
                "materialize_nodes() needs source and destination bound; use .edges(df, 's', 'd')."
            )
        src = spec.edges.column(source).combine_chunks()
        dst = spec.edges.column(destination).combine_chunks()
        if src.type != dst.type:
            try:
                dst = dst.cast(src.type)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                raise ConfigError(
                    f"materialize_nodes(): {source!r} is {src.type} but {destination!r} is {dst.type}; "
                    "give both id columns one type."
                ) from None
        ids = pc.unique(pa.concat_arrays([src, dst]))
        node = self._node or "id"
        return self.nodes(pa.table({node: ids}), node)

    def from_networkx(self, G: Any) -> Self:
        """Nodes and edges (with their attributes) of a NetworkX graph; id columns are the bound
        ``node``/``source``/``destination``, else ``n``/``src``/``dst``.

        Example::

            g2 = g.from_networkx(nx.karate_club_graph())
        """
        import pandas as pd

        node = self._node or NETWORKX_NODE
        source = self._source or NETWORKX_SOURCE
        destination = self._destination or NETWORKX_DESTINATION
        attributes = {key for _, data in G.nodes(data=True) for key in data}
        if node in attributes:
            raise ConfigError(
                f"from_networkx(): node attribute {node!r} clashes with the id column; bind node=."
            )
        nodes = pd.DataFrame([{node: n, **data} for n, data in G.nodes(data=True)], columns=None)
        if nodes.empty:
            nodes = pd.DataFrame({node: []})
        edges = pd.DataFrame([{source: s, destination: d, **data} for s, d, data in G.edges(data=True)])
        if edges.empty:
            edges = pd.DataFrame({source: pd.Series([], dtype=nodes[node].dtype), destination: []})
        return self.edges(edges, source, destination).nodes(nodes, node)

    def from_igraph(
        self,
        ig: Any,
        node_attributes: list[str] | None = None,
        edge_attributes: list[str] | None = None,
        load_nodes: bool = True,
        load_edges: bool = True,
    ) -> Self:
        """Nodes and edges (with attributes) of an igraph graph. Node ids: the vertex attribute
        ``name`` when present, else the vertex index, in the bound ``node`` column (else
        ``_n_implicit``); edges in the bound source/destination (else ``source``/``target``).

        Example::

            g2 = g.from_igraph(igraph.Graph.Famous("Zachary"))
        """
        node = self._node or IGRAPH_NODE
        source = self._source or IGRAPH_SOURCE
        destination = self._destination or IGRAPH_DESTINATION
        vertices = ig.get_vertex_dataframe()
        if "name" in vertices.columns and node != "name":
            vertices = vertices.rename(columns={"name": node})
        elif node not in vertices.columns:
            vertices = vertices.reset_index().rename(columns={vertices.index.name or "index": node})
        vertices = vertices.reset_index(drop=True)
        result = self
        if load_nodes:
            keep = vertices if node_attributes is None else vertices[[node, *node_attributes]]
            result = result.nodes(keep.reset_index(drop=True), node)
        if load_edges:
            edges = ig.get_edge_dataframe().reset_index(drop=True)
            ids = list(vertices[node])
            endpoints = {"source": source, "target": destination}
            frame = edges.iloc[:, :2].copy()
            frame.columns = ["source", "target"]
            out = frame.apply(lambda col: col.map(lambda i: ids[int(i)])).rename(columns=endpoints)
            attributes = edges.iloc[:, 2:]
            if edge_attributes is not None:
                attributes = attributes[edge_attributes]
            for column in attributes.columns:
                out[column if column not in endpoints.values() else f"__attr_{column}"] = attributes[column]
            result = result.edges(out, source, destination)
        return result

    def hypergraph(
        self,
        raw_events: Any = None,
        entity_types: list[str] | None = None,
        *,
        opts: Mapping[str, Any] | None = None,
        drop_na: bool = True,
        drop_edge_attrs: bool = False,
        verbose: bool = True,
        direct: bool = False,
        engine: str = "auto",
        npartitions: int | None = None,
        chunksize: int | None = None,
        from_edges: bool = False,
        return_as: str = "graph",
    ) -> Any:
        """The reference client's hypergraph transform (see :func:`graphport.client._hypergraph.hypergraph`):
        a node for every distinct value of the ``entity_types`` columns (all by default) and, unless
        ``direct=True``, one per row, linked row <- value. Returns this plottable with the result's
        tables bound (``return_as='graph'``), or ``'all'`` (a dict: entities, events, edges, nodes,
        graph), or one of those parts by name. ``raw_events=None`` uses this plottable's nodes
        (its edges with ``from_edges=True``).

        Example::

            g2 = g.hypergraph(df, ["attackerIP", "victimIP"], direct=True)
        """
        if isinstance(raw_events, list):
            entity_types, raw_events = raw_events, None
        if raw_events is None:
            table = self._spec.edges if from_edges else self._spec.nodes
            if table is None or table.num_rows == 0:
                what = "edges" if from_edges else "nodes"
                raise ConfigError(
                    f"hypergraph() with no frame uses this plottable's {what}, which are empty."
                )
            raw_events = table
        result: HypergraphResult = hypergraph(
            raw_events, entity_types=entity_types, opts=opts or {}, drop_na=drop_na,
            drop_edge_attrs=drop_edge_attrs, verbose=verbose, direct=direct,
        )  # fmt: skip
        graph = (
            self.edges(result.edges, result.source, result.destination)
            .nodes(result.nodes, result.node)
            .bind(point_title=result.title)
        )
        parts: dict[str, Any] = {
            "entities": result.entities,
            "events": result.events,
            "edges": result.edges,
            "nodes": result.nodes,
            "graph": graph,
        }
        if return_as == "all":
            return parts
        if return_as not in parts:
            raise ConfigError(
                f"hypergraph(return_as={return_as!r}) is unknown; expected 'graph', 'all', 'entities', "
                "'events', 'edges' or 'nodes'."
            )
        return parts[return_as]
