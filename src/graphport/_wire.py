"""Wire facts the client and the server share, in one copy.

Both sides import this module (``graphport.client`` and ``graphport.server``, and the transports);
it imports nothing of ours but ``errors`` and ``_json`` (a test in ``tests/test_wire.py`` checks it),
so it sits below both.

* **Binding names**: the ``bindings`` keys of the v3 dataset JSON (``spec/graphistry-wire-v3.md``
  section 2). The official client's ``bind()`` spells node bindings ``point_*``; on the wire they
  are ``node_*`` (:data:`BIND_ARGUMENTS` maps one to the other).
* **Privacy modes**, their aliases, and the default of an unset mode (below).
* **The plot frame**: the body of graphport's one-request plot, ``POST /api/v2/plot``
  (:func:`encode_plot_frame`, :func:`decode_plot_frame`).

Privacy defaults: what the official client does, and the one default we chose
------------------------------------------------------------------------------
The official client (``graphistry`` 0.61.2, spec 1.10 and flow b) has two different "unset" cases,
and graphport follows both, because its users' code must mean on graphport what it means on the
vendor's server:

1. ``privacy()`` was never called: the client sends **no** share call, and the dataset keeps the
   server's visibility for unshared datasets. That is a server setting, not a wire value:
   ``ServerConfig.default_privacy``, whose default :data:`UNSHARED_MODE` is ``public`` (the
   vendor's docs: "public but unlisted", anyone with the URL may view). Our client sends nothing
   either (``"privacy": null`` in the plot frame).
2. ``privacy()`` was called but left ``mode`` unset: the client sends ``mode: "private"``.
   :data:`DEFAULT_MODE` = ``private`` is THE default of an unset mode, on both sides: our client
   fills it in (``PrivacySettings.to_wire``), and the server applies it to any share request that
   omits ``mode`` (the v3 share call and the plot frame's ``privacy`` object alike).

So "the client sends private, the server defaults to public" were never two answers to one
question: ``private`` answers "shared, mode not given", ``public`` answers "never shared".
"""

from __future__ import annotations

import json
import struct
from collections.abc import Mapping
from typing import Any, NamedTuple

from ._json import parse_json, type_name
from .errors import ValidationError

# -- bindings --------------------------------------------------------------------------------------

#: Edge bindings on the wire. ``edge`` (the edge id column) is never sent by the official client;
#: graphport's client sends it because live edge updates upsert by it.
EDGE_BINDINGS: tuple[str, ...] = (
    "edge",
    "source",
    "destination",
    "edge_color",
    "edge_source_color",
    "edge_destination_color",
    "edge_label",
    "edge_opacity",
    "edge_size",
    "edge_title",
    "edge_weight",
    "edge_icon",
)
#: Node bindings on the wire (``bind(point_color=...)`` travels as ``node_color``).
NODE_BINDINGS: tuple[str, ...] = (
    "node",
    "node_color",
    "node_label",
    "node_opacity",
    "node_size",
    "node_title",
    "node_weight",
    "node_icon",
    "node_x",
    "node_y",
    "node_longitude",
    "node_latitude",
)
#: The bindings that name id columns (integers or strings, one kind per dataset).
EDGE_ID_BINDINGS: tuple[str, ...] = ("source", "destination", "edge")
NODE_ID_BINDINGS: tuple[str, ...] = ("node",)


def _bind_argument(wire_name: str) -> str:
    return "point_" + wire_name[len("node_") :] if wire_name.startswith("node_") else wire_name


#: ``bind()`` keyword (the official client's spelling) -> wire binding name, edges then nodes.
BIND_ARGUMENTS: Mapping[str, str] = {
    **{name: name for name in EDGE_BINDINGS},
    **{_bind_argument(name): name for name in NODE_BINDINGS},
}

# -- privacy ---------------------------------------------------------------------------------------

#: The privacy modes a dataset can have (stored and answered in this spelling).
PRIVACY_MODES: tuple[str, ...] = ("private", "organization", "public")
#: Other spellings accepted on the wire (the seed docs write ``org``); each stands for a mode above.
PRIVACY_MODE_ALIASES: Mapping[str, str] = {"org": "organization", "organisation": "organization"}
#: The mode of a share request that leaves ``mode`` unset (the official client's default).
DEFAULT_MODE = "private"
#: The default of ``ServerConfig.default_privacy``: datasets nobody shared (no share request).
UNSHARED_MODE = "public"
#: ``mode_action`` values: view and edit rights for invitees.
MODE_ACTIONS: tuple[str, ...] = ("10", "20")


def canonical_mode(mode: str) -> str | None:
    """``mode`` in its stored spelling (aliases resolved), or None when it is not a mode."""
    mode = PRIVACY_MODE_ALIASES.get(mode, mode)
    return mode if mode in PRIVACY_MODES else None


def default_mode_action(mode: str) -> str:
    """The ``mode_action`` of a share request that leaves it unset: edit when private, else view
    (the official client's rule, spec 1.10)."""
    return "20" if canonical_mode(mode) == "private" else "10"


# -- the plot frame --------------------------------------------------------------------------------
#
#   4 bytes   big-endian length N of the JSON header
#   N bytes   UTF-8 JSON: {"dataset": <the v3 dataset JSON>, "privacy": <share fields> | null,
#                          "tables": [{"name": "edges", "length": L1}, {"name": "nodes", "length": L2}]}
#   L1 bytes  the edges table, Arrow IPC stream or file
#   L2 bytes  the nodes table (when listed)
#
# Why a custom frame and not multipart: the tables are large binary blobs that we want to hand to
# pyarrow without re-copying or spooling to disk; a length-prefixed frame is parsed in O(1), and the
# client sends its parts without joining them.

#: What a server that speaks the plot frame lists in ``GET /healthz``'s ``features``.
PLOT_FEATURE = "plot-v1"
#: The tables a plot frame may carry, each at most once (``edges`` is required).
PLOT_TABLES: tuple[str, ...] = ("edges", "nodes")
_HEADER_LENGTH = struct.Struct(">I")


class PlotFrame(NamedTuple):
    """A decoded plot frame; unpacks as ``dataset, privacy, tables``."""

    dataset: dict[str, Any]
    """The v3 dataset JSON."""
    privacy: dict[str, Any] | None
    """The share fields, or None when the plotter never called ``privacy()``."""
    tables: dict[str, memoryview]
    """The Arrow bytes by table name (views into the body, no copy): ``edges``, maybe ``nodes``."""


def encode_plot_frame(
    dataset: Mapping[str, Any], privacy: Mapping[str, Any] | None, edges: Any, nodes: Any = None
) -> tuple[Any, ...]:
    """The plot frame as parts to send one after the other (``b"".join(parts)`` is the body).

    ``edges`` and ``nodes`` are Arrow IPC bytes in any buffer (``bytes``, ``pyarrow.Buffer``...),
    or a tuple of buffers that make them up in order; they are not copied. ``nodes=None`` sends
    no nodes table."""
    tables = [("edges", _pieces(edges))] + ([("nodes", _pieces(nodes))] if nodes is not None else [])
    header = json.dumps(
        {
            "dataset": dict(dataset),
            "privacy": dict(privacy) if privacy is not None else None,
            "tables": [
                {"name": name, "length": sum(memoryview(p).nbytes for p in pieces)} for name, pieces in tables
            ],
        },
        separators=(",", ":"),
        allow_nan=False,
    ).encode()
    return (_HEADER_LENGTH.pack(len(header)) + header, *(p for _, pieces in tables for p in pieces))


def _pieces(data: Any) -> tuple[Any, ...]:
    return data if isinstance(data, tuple) else (data,)


def _frame_error(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_plot_frame")


def _table_entries(header: dict[str, Any]) -> list[tuple[str, int]]:
    """The header's ``tables``: a list of ``{"name": "edges"|"nodes", "length": int >= 0}``."""
    raw = header.get("tables")
    if not isinstance(raw, list):
        raise _frame_error(
            f"The plot header's 'tables' is {type_name(raw)}; expected a list of "
            '{"name": "edges" or "nodes", "length": bytes}.'
        )
    entries: list[tuple[str, int]] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise _frame_error(f"The plot header's tables[{i}] is {type_name(entry)}; expected an object.")
        name, length = entry.get("name"), entry.get("length")
        if name not in PLOT_TABLES or name in (n for n, _ in entries):
            raise _frame_error(
                f"The plot header's tables[{i}].name is {str(name)[:40]!r}; expected 'edges' or "
                "'nodes', each at most once."
            )
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise _frame_error(
                f"The plot header's tables[{i}].length is {str(length)[:40]!r}; expected a byte count "
                "(an integer >= 0)."
            )
        entries.append((name, length))
    return entries


#: The bytes before a plot frame's JSON header: its length, big-endian.
PLOT_PREFIX_BYTES = _HEADER_LENGTH.size


class PlotHeader(NamedTuple):
    """A plot frame's decoded JSON header: what comes before its tables."""

    dataset: dict[str, Any]
    privacy: dict[str, Any] | None
    tables: list[tuple[str, int]]
    """``(name, length)`` of each table, in the order their bytes follow the header."""


def plot_header_length(prefix: bytes | bytearray | memoryview) -> int:
    """The length of the JSON header, from the frame's first :data:`PLOT_PREFIX_BYTES` bytes."""
    return int(_HEADER_LENGTH.unpack(prefix)[0])


def decode_plot_header(raw: bytes | bytearray | memoryview) -> PlotHeader:
    """The JSON header of a plot frame (the bytes after the length prefix): it must be
    ``{"dataset": object, "privacy": object or null, "tables": [...]}`` listing an edges table;
    anything else is a 400 ``invalid_plot_frame`` (``invalid_json`` when it is not JSON)."""
    header = parse_json(raw, what="The plot header")
    if not isinstance(header, dict):
        raise _frame_error(f"The plot header is {type_name(header)}; expected an object.")
    dataset, privacy = header.get("dataset"), header.get("privacy")
    if not isinstance(dataset, dict):
        raise _frame_error(f"The plot header's 'dataset' is {type_name(dataset)}; expected an object.")
    if privacy is not None and not isinstance(privacy, dict):
        raise _frame_error(
            f"The plot header's 'privacy' is {type_name(privacy)}; expected an object or null."
        )
    tables = _table_entries(header)
    if "edges" not in (name for name, _ in tables):
        raise _frame_error("The plot body has no edges table.")
    return PlotHeader(dataset, privacy, tables)


def short_header_error() -> ValidationError:
    """The body ended before its JSON header did."""
    return _frame_error("The plot body ends inside its JSON header.")


def truncated_table_error(name: str) -> ValidationError:
    """The body ended before the table ``name`` did."""
    return _frame_error(f"The plot body ends inside the {name} table (truncated upload?).")


def trailing_bytes_error() -> ValidationError:
    """The body goes on after its last table."""
    return _frame_error("The plot body has bytes after its last table.")


def decode_plot_frame(body: bytes | bytearray | memoryview) -> PlotFrame:
    """Split a plot frame into (dataset JSON, privacy, tables by name), without copying the tables.

    The header is read by :func:`decode_plot_header`, and the tables must fill the rest of the
    body exactly; anything else is a 400 ``invalid_plot_frame`` naming the problem. (The server
    reads the frame as it arrives instead, with the same checks: ``transports/_plot_body``.)"""
    view = memoryview(body).cast("B")
    if len(view) < PLOT_PREFIX_BYTES:
        raise _frame_error("The plot body is too short to hold its header.")
    start = PLOT_PREFIX_BYTES
    end = start + plot_header_length(view[:start])
    if end > len(view):
        raise short_header_error()
    dataset, privacy, entries = decode_plot_header(view[start:end])
    tables: dict[str, memoryview] = {}
    offset = end
    for name, length in entries:
        if offset + length > len(view):
            raise truncated_table_error(name)
        tables[name] = view[offset : offset + length]
        offset += length
    if offset != len(view):
        raise trailing_bytes_error()
    return PlotFrame(dataset, privacy, tables)
