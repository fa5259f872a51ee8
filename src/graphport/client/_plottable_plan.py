"""What a plot sends: the checks before any request, the v3 dataset JSON (``spec/graphistry-wire-v3.md``
section 2, as the reference client builds it) and the :class:`PlotPlan` the drivers send."""

from __future__ import annotations

import json
from typing import Any, Self

import pyarrow as pa

from .._wire import BIND_ARGUMENTS
from .._wire import EDGE_BINDINGS as WIRE_EDGE_BINDINGS
from .._wire import NODE_BINDINGS as WIRE_NODE_BINDINGS
from ..errors import ConfigError
from ._frames import ipc_file
from ._graph_spec import SpecHolder
from ._protocol import PlotPlan, agent_metadata, default_name
from ._session import ClientSession

# ``bind()`` keyword -> wire name, split by table (``point_*`` is the reference client's spelling of
# ``node_*``); the names themselves live in ``graphport._wire``, shared with the server. ``edge`` (the
# edge id column) is one of them: the reference client never sends it; we do, because a graphport
# server upserts live edge updates by it (without it, edge updates append).
EDGE_BINDINGS = {arg: name for arg, name in BIND_ARGUMENTS.items() if name in WIRE_EDGE_BINDINGS}
NODE_BINDINGS = {arg: name for arg, name in BIND_ARGUMENTS.items() if name in WIRE_NODE_BINDINGS}


def title_column(columns: list[str], node: str) -> str:
    """The column the reference client's ``infer_labels()`` picks as node title: an exact
    nodetitle/nodelabel/label/title/name (any case), else one containing title/label/name, else the id."""
    lowered = {c.lower(): c for c in columns}
    for exact in ("nodetitle", "nodelabel", "label", "title", "name"):
        if exact in lowered:
            return lowered[exact]
    for part in ("title", "label", "name"):
        for column in columns:
            if part in column.lower():
                return column
    return node


class PlanMethods(SpecHolder):
    """Checking a plottable and turning it into the request a plot sends."""

    __slots__ = ()

    def infer_labels(self) -> Self:
        """This plottable with ``point_title`` bound as the reference client infers it (a column named
        nodetitle/nodelabel/label/title/name, else one containing title/label/name, else the node id);
        unchanged when a title or label is already bound. ``plot()`` does this by itself.

        Example::

            g2 = g.nodes(df, "id").infer_labels()
        """
        if self._binding("point_title") is not None or self._binding("point_label") is not None:
            return self
        nodes, node = self._spec.nodes, self._binding("node")
        if nodes is None:
            raise ConfigError("infer_labels() needs a nodes table; call .nodes(df, 'id') first.")
        column = title_column(nodes.column_names, node or "")
        if not column:
            raise ConfigError(
                "infer_labels() found no label-like column and no node id is bound; bind node=."
            )
        return self._bind({"point_title": column})

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
            node_bindings["node_title"] = title_column(spec.nodes.column_names, node_bindings["node"])
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
            result = result._with(name=str(name))
        if description is not None:
            result = result._with(description=str(description))
        return result
