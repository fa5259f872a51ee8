"""The immutable core every plottable is built on: :class:`GraphSpec` (tables, bindings, encodings,
presentation) and :class:`SpecHolder`, the base whose ``_with``/``_bind`` return changed copies.

The plottable's methods live in one module per job (``_plottable_encodings``, ``_plottable_style``,
``_plottable_sources``, ``_plottable_connectors``, ``_plottable_plan``), each a small class on top of
:class:`SpecHolder`; ``_plottable`` puts them together.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Self

import pyarrow as pa

from .._wire import BIND_ARGUMENTS
from ..errors import ConfigError
from ._frames import to_table
from ._session import ClientSession, PrivacySettings


@dataclasses.dataclass(frozen=True)
class GraphSpec:
    """What one plottable describes. JSON-valued fields are kept as JSON text, so a spec is
    immutable all the way down (no shared dict another copy could change)."""

    edges: pa.Table | None = None
    nodes: pa.Table | None = None
    bindings: tuple[tuple[str, str], ...] = ()
    encodings: str = "{}"  # JSON: {"node"|"edge": {"default"|"current": {name: encoding}}}
    name: str | None = None
    description: str | None = None
    url_params: tuple[tuple[str, Any], ...] = ()
    style: str = "{}"
    privacy: PrivacySettings | None = None
    dataset_id: str | None = None  # set by from_dataset_id(): the dataset this plottable came from
    # A graph database handle given with ``bolt()`` (per plottable, as the reference client keeps it).
    graph_db: Any = dataclasses.field(default=None, repr=False, compare=False)
    # Arrow files of the tables, made on first plot (a plottable is immutable, so they never go stale).
    cache: dict[str, pa.Buffer] = dataclasses.field(
        default_factory=dict, init=False, repr=False, compare=False
    )


class SpecHolder:
    """An immutable holder of a :class:`GraphSpec`, its client and its session."""

    __slots__ = ("_client", "_session", "_spec")
    _client: Any
    _session: ClientSession
    _spec: GraphSpec

    def __init__(self, client: Any, session: ClientSession, spec: GraphSpec | None = None) -> None:
        object.__setattr__(self, "_client", client)
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_spec", spec or GraphSpec())

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(
            f"Cannot set {name!r}: plottables are immutable. Methods such as bind(), edges() and "
            "name() return a new plottable; keep that one."
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Cannot delete {name!r}: plottables are immutable.")

    def _with(self, **changes: Any) -> Self:
        return type(self)(self._client, self._session, dataclasses.replace(self._spec, **changes))

    def _with_table(self, kind: str, data: Any) -> Self:
        """A copy with the ``edges``/``nodes`` table replaced (``None`` removes it)."""
        return self._with(**{kind: None if data is None else to_table(data, kind)})

    def _bind(self, values: Mapping[str, str | None]) -> Self:
        given = {k: v for k, v in values.items() if v is not None}
        if not given:
            return self
        for key, column in given.items():
            if key not in BIND_ARGUMENTS:
                raise ConfigError(
                    f"bind({key}=...) is not a binding; known: {', '.join(sorted(BIND_ARGUMENTS))}."
                )
            if not isinstance(column, str):
                raise ConfigError(
                    f"bind({key}={column!r}) must name a column with a string; got a {type(column).__name__}."
                )
        merged = dict(self._spec.bindings)
        merged.update(given)
        return self._with(bindings=tuple(merged.items()))

    def _binding(self, key: str) -> str | None:
        return dict(self._spec.bindings).get(key)


_AGENT_KEYS = ("agent", "apiversion", "agentversion", "usertag")


def spec_from_dataset(info: Mapping[str, Any], edges: pa.Table, nodes: pa.Table | None) -> GraphSpec:
    """The spec of a stored dataset (``from_dataset_id``): its tables, bindings (wire names back to
    ``bind()`` names), complex encodings, name, description and style (the metadata minus the
    uploading agent's fields)."""
    import json

    by_wire = {wire: arg for arg, wire in BIND_ARGUMENTS.items()}
    bindings: dict[str, str] = {}
    encodings: dict[str, Any] = {}
    for side, key in (("edge", "edge_encodings"), ("node", "node_encodings")):
        block = info.get(key) or {}
        for wire, column in (block.get("bindings") or {}).items():
            if wire in by_wire and isinstance(column, str):
                bindings[by_wire[wire]] = column
        if block.get("complex"):
            encodings[side] = block["complex"]
    metadata = info.get("metadata") or {}
    style = {k: v for k, v in metadata.items() if k not in _AGENT_KEYS}
    return GraphSpec(
        edges=edges,
        nodes=nodes,
        bindings=tuple(bindings.items()),
        encodings=json.dumps(encodings),
        name=info.get("name"),
        description=info.get("description"),
        style=json.dumps(style),
        dataset_id=str(info.get("dataset_id") or info.get("id")),
    )
