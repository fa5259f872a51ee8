"""Serving a dataset's stored tables: the edges as uploaded, the nodes as the built graph.

Callers pass the dataset row their access check already read (``Datasets.table_key`` and
``graph_job``), so serving a table costs no second read of it when its graph is built: the row
says so (``graph_version == content_version``) and names the blob.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..errors import GraphportError
from ..storage import BlobStore, Database
from ..storage._models import datasets
from ._access import not_found
from ._arrow_limits import ArrowLimits
from ._graphs import GraphBuilder
from ._ingest import read_arrow


def graph_failed(row: Any) -> GraphportError:
    reason = row.graph_error or "the build failed"
    return GraphportError(
        f"The graph of dataset {row.id!r} could not be built: {reason}. Upload its tables again "
        "(a new dataset) once they are fixed.",
        code="graph_failed",
        status=409,
    )


def readable(row: Any) -> Any:
    """The row of a dataset whose tables can be served: 409 ``graph_failed`` when its graph
    could not be built, 404 while it has no edges."""
    if row.status == "failed":
        raise graph_failed(row)
    if row.status != "ready" or row.edges_key is None:
        raise not_found(row.id)
    return row


class TableReads:
    def __init__(self, db: Database, blobs: BlobStore, graphs: GraphBuilder, limits: ArrowLimits) -> None:
        self._db = db
        self._blobs = blobs
        self._graphs = graphs
        self._limits = limits

    def job(self, row: Any) -> Future[None]:
        """The build of the dataset's graph (done at once when the row says it is built)."""
        return self._graphs.future(readable(row).id, row=row)

    def key(self, row: Any, kind: str) -> str:
        """The blob key of the edges, or of the graph nodes (building them first if needed)."""
        row = readable(row)
        if kind == "edges":
            return str(row.edges_key)
        if row.graph_version == row.content_version and row.graph_key is not None:
            return str(row.graph_key)  # built: the access check's read was enough
        try:
            self._graphs.future(row.id, row=row).result()
        except GraphportError:
            with self._db.read() as c:  # a build that failed marked the dataset: say why
                now = c.execute(sa.select(datasets).where(datasets.c.id == row.id)).first()
            if now is not None and now.status == "failed":
                raise graph_failed(now) from None
            raise
        with self._db.read() as c:
            key = c.execute(sa.select(datasets.c.graph_key).where(datasets.c.id == row.id)).scalar()
        if key is None:
            raise not_found(row.id)
        return str(key)

    def read(self, key: str, kind: str) -> pa.Table:
        return read_arrow(self._blobs.get(key), kind, limits=self._limits)
