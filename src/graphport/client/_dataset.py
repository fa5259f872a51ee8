"""``graphport.Dataset``: a handle on a dataset stored on a server (its id and viewer URL), with the
live operations of issue #6 (the wire side is in ``_live``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pyarrow as pa

from . import _live
from ._protocol import Driver


@dataclasses.dataclass(frozen=True)
class Dataset:
    """A dataset on a server, as returned by ``upload()``: its ``id`` and viewer ``url``.

    Example::

        ds = g.edges(df, "src", "dst").upload()
        print(ds.id, ds.url)
    """

    id: str
    url: str
    name: str
    # The Client (a FlowRunner: the live methods need one) or AsyncClient that uploaded it.
    client: Driver | None = dataclasses.field(default=None, repr=False, compare=False)

    # -- live datasets (#6): writes, reads and change callbacks; see client/_live.py ---------------

    def update(self, edges: Any = None, nodes: Any = None) -> None:
        """Upsert rows: by the ``edge`` id binding for edges (without one, edges are appended) and
        by the ``node`` binding for nodes. A partial row (some columns left out) changes only the
        columns it has. Thread-safe. Frames may be pandas, polars or pyarrow.

        Example::

            ds.update(nodes=pd.DataFrame({"id": ["a"], "color": ["red"]}))
        """
        client = _live.sync_client(self.client, "update")
        for kind, data in (("edges", edges), ("nodes", nodes)):
            if data is not None:
                _live._run(client, _live.write_flow(self.id, kind, "POST", data))

    def replace(self, edges: Any = None, nodes: Any = None) -> None:
        """Replace every row of the given tables (viewers stay connected)."""
        client = _live.sync_client(self.client, "replace")
        for kind, data in (("edges", edges), ("nodes", nodes)):
            if data is not None:
                _live._run(client, _live.write_flow(self.id, kind, "PUT", data))

    def remove(self, edges: Iterable[Any] | None = None, nodes: Iterable[Any] | None = None) -> None:
        """Remove rows by id (edge ids need the ``edge`` binding). Unknown ids are ignored.

        Example::

            ds.remove(nodes=["a", "b"])
        """
        client = _live.sync_client(self.client, "remove")
        for kind, keys in (("edges", edges), ("nodes", nodes)):
            if keys is not None:
                _live._run(client, _live.remove_flow(self.id, kind, list(keys)))

    def clear(self) -> None:
        """Remove every edge and node (columns, bindings and viewers stay)."""
        client = _live.sync_client(self.client, "clear")
        for kind in ("edges", "nodes"):
            _live._run(client, _live.clear_flow(self.id, kind))

    def edges(self) -> pa.Table:
        """The current edges as a pyarrow Table (what viewers see)."""
        return _live._run(_live.sync_client(self.client, "edges"), _live.table_flow(self.id, "edges"))

    def nodes(self) -> pa.Table:
        """The current nodes as a pyarrow Table, with the ``x``/``y`` positions the server keeps."""
        return _live._run(_live.sync_client(self.client, "nodes"), _live.table_flow(self.id, "nodes"))

    def on_update(self, callback: Any) -> int:
        """Call ``callback(update)`` with each published change (a ``LiveUpdate``: upserted rows,
        removed ids, version), in order, on a background thread; returns an id for
        :meth:`remove_update`. Changes published after this call returns are delivered.

        Example::

            cb_id = ds.on_update(lambda u: print(u.version, u.edges))
        """
        return _live.follower(_live.sync_client(self.client, "on_update"), self.id).add(callback)

    def remove_update(self, callback_id: int) -> None:
        """Stop calling the callback registered under ``callback_id``."""
        _live.follower(_live.sync_client(self.client, "remove_update"), self.id).remove(callback_id)
