"""The hypergraph transform of the reference client (``graphistry.hypergraph``, 0.61.2), on pandas.

A table of events (one per row) becomes a graph: every distinct value of each entity column is a
node with id ``<column><DELIM><value>`` (``<category>`` instead of the column when ``CATEGORIES``
groups columns, so one IP in two columns is one node). Without ``direct``, every row is a node too
(``EventID::<row>``) and each non-null cell links value -> row (source ``attribID``, destination
``EventID``). With ``direct=True`` there are no row nodes: the values of one row are linked to each
other (column pairs from ``EDGES``, by default every column to each later one; ``src``/``dst``).
Node, column and option names (``opts``: ``TITLE``, ``DELIM``, ``NODEID``, ``ATTRIBID``, ``EVENTID``,
``EVENTTYPE``, ``SOURCE``, ``DESTINATION``, ``CATEGORY``, ``NODETYPE``, ``EDGETYPE``, ``NULLVAL``,
``SKIP``, ``CATEGORIES``, ``EDGES``) are the reference client's, so code and notebooks that read
``hg['nodes']['nodeID']`` or ``hg['edges']['edgeType']`` keep working; a test compares the two
transforms on the honeypot log. Only pandas runs it (the reference client's cuDF/Dask engines are
not offered); other frames are converted to pandas first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError

OPTION_DEFAULTS: dict[str, Any] = {
    "TITLE": "nodeTitle",
    "DELIM": "::",
    "NODEID": "nodeID",
    "ATTRIBID": "attribID",
    "EVENTID": "EventID",
    "EVENTTYPE": "event",
    "SOURCE": "src",
    "DESTINATION": "dst",
    "CATEGORY": "category",
    "NODETYPE": "type",
    "EDGETYPE": "edgeType",
    "NULLVAL": "null",
    "SKIP": None,
    "CATEGORIES": {},
    "EDGES": None,
}


@dataclasses.dataclass(frozen=True)
class HypergraphResult:
    """The transform's tables and the names to bind them by."""

    entities: Any
    events: Any
    edges: Any
    nodes: Any
    source: str
    destination: str
    node: str
    title: str


def _pandas(frame: Any) -> Any:
    import pandas as pd

    if isinstance(frame, pd.DataFrame):
        return frame
    to_pandas = getattr(frame, "to_pandas", None)
    if to_pandas is not None:
        return to_pandas()
    raise ConfigError(f"hypergraph() takes a pandas, polars or pyarrow table; got a {type(frame).__name__}.")


def _options(opts: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(opts) - set(OPTION_DEFAULTS))
    if unknown:
        raise ConfigError(
            f"hypergraph(opts=...) has unknown key(s) {', '.join(unknown)}; known: {', '.join(OPTION_DEFAULTS)}."
        )
    return {**OPTION_DEFAULTS, **opts}


def hypergraph(
    raw_events: Any,
    *,
    entity_types: list[str] | None = None,
    opts: Mapping[str, Any],
    drop_na: bool = True,
    drop_edge_attrs: bool = False,
    verbose: bool = True,
    direct: bool = False,
) -> HypergraphResult:
    """Turn ``raw_events`` into hypergraph tables (see the module docstring).

    Example::

        result = hypergraph(df, entity_types=["user", "boss"], opts={}, direct=True)
    """
    import pandas as pd

    o = _options(opts)
    delim, event_id, null = o["DELIM"], o["EVENTID"], o["NULLVAL"]
    categories: Mapping[str, list[str]] = o["CATEGORIES"] or {}
    category_of = {col: str(cat) for cat, cols in categories.items() for col in cols}

    def cat(col: str) -> str:
        return category_of.get(col, col)

    events = _pandas(raw_events).copy(deep=False).reset_index(drop=True)
    skip = list(o["SKIP"] or [])
    wanted = entity_types if entity_types is not None else list(events.columns)
    missing = [c for c in wanted if c not in events.columns]
    if missing:
        raise ConfigError(
            f"hypergraph(entity_types=...) names columns the table lacks: {', '.join(map(str, missing))}; "
            f"it has: {', '.join(map(str, events.columns))}."
        )
    entity_cols = [c for c in wanted if c not in skip and c != event_id]
    ids = events[event_id] if event_id in events.columns else pd.Series(events.index, index=events.index)
    events[event_id] = (event_id + delim) + ids.astype(str).fillna(null)

    # entity nodes: one per distinct value of each entity column
    meta = (events[entity_cols] if direct else events).head(0)
    meta_cols = [*meta.columns, o["TITLE"], event_id, o["NODETYPE"], o["CATEGORY"], o["NODEID"]]
    frames = []
    for col in entity_cols:
        values = events[col].dropna() if drop_na else events[col]
        unique = values.drop_duplicates()
        text = unique.astype(str).fillna(null).astype(str)
        frame = unique.rename(col).to_frame()
        frame[o["TITLE"]] = text
        frame[o["NODETYPE"]] = col
        frame[o["CATEGORY"]] = cat(col)
        frame[o["NODEID"]] = (cat(col) + delim) + text
        for other in meta_cols:
            if other not in frame.columns:
                dtype = meta[other].dtype if other in meta.columns else None
                if dtype is not None and dtype.kind in "iu":
                    frame[other] = pd.Series(0, index=frame.index, dtype=dtype)  # as the reference fills ints
                else:
                    frame[other] = pd.Series(None, index=frame.index, dtype="object")
        frames.append(frame)
    empty = pd.DataFrame({c: pd.Series([], dtype="object") for c in meta_cols})
    entities = pd.concat(frames, ignore_index=True, sort=False) if frames else empty
    entities = entities.drop_duplicates([o["NODEID"]]).reset_index(drop=True)

    attribute_cols = [c for c in events.columns if c != o["NODETYPE"]]
    uses_categories = bool(categories)
    links = []
    if direct:
        shape = o["EDGES"] or {col: entity_cols[i + 1 :] for i, col in enumerate(entity_cols)}
        for col1 in sorted(shape):
            for col2 in sorted(shape[col1]):
                raw = events.dropna(subset=[col1, col2]) if drop_na else events
                raw = raw[[event_id, *(c for c in attribute_cols if c != event_id)]].copy()
                raw[o["EDGETYPE"]] = cat(col1) + delim + cat(col2)
                if uses_categories:
                    raw[o["CATEGORY"]] = col1 + delim + col2
                raw[o["SOURCE"]] = (cat(col1) + delim) + events.loc[raw.index, col1].astype(str).fillna(null)
                raw[o["DESTINATION"]] = (cat(col2) + delim) + events.loc[raw.index, col2].astype(str).fillna(
                    null
                )
                if drop_edge_attrs:
                    raw = raw[[c for c in raw.columns if c not in attribute_cols or c == event_id]]
                links.append(raw)
        event_nodes = pd.DataFrame({c: pd.Series([], dtype="object") for c in meta_cols})
        source, destination = o["SOURCE"], o["DESTINATION"]
    else:
        for col in sorted(entity_cols):
            raw = events.dropna(subset=[col]) if drop_na else events
            raw = raw[[event_id, *(c for c in attribute_cols if c != event_id)]].copy()
            raw[o["EDGETYPE"]] = cat(col) if uses_categories else col
            if uses_categories:
                raw[o["CATEGORY"]] = col
            raw[o["ATTRIBID"]] = (cat(col) + delim) + events.loc[raw.index, col].astype(str).fillna(null)
            if drop_edge_attrs:
                raw = raw[[c for c in raw.columns if c not in attribute_cols or c == event_id]]
            links.append(raw)
        event_nodes = events.copy()
        event_nodes[o["NODETYPE"]] = event_id
        event_nodes[o["CATEGORY"]] = o["EVENTTYPE"]
        event_nodes[o["NODEID"]] = event_nodes[event_id]
        event_nodes[o["TITLE"]] = event_nodes[event_id]
        source, destination = o["ATTRIBID"], event_id
    if links:
        edges = pd.concat(links, ignore_index=True, sort=False)
    else:
        edges = pd.DataFrame({c: pd.Series([], dtype="object") for c in (o["EDGETYPE"], source, destination)})
    nodes = pd.concat([entities, event_nodes], ignore_index=True, sort=False).reset_index(drop=True)
    if verbose:
        print("# links", len(edges))
        print("# events", len(events))
        print("# attrib entities", len(entities))
    return HypergraphResult(
        entities=entities,
        events=event_nodes,
        edges=edges,
        nodes=nodes,
        source=source,
        destination=destination,
        node=o["NODEID"],
        title=o["TITLE"],
    )
