"""Files mode of the REST v3 API: a file record, its Arrow upload, and datasets made from files.

File ids are unguessable capabilities: the official client reuses a file id process-wide, even
across users (wire spec 6.1), so any signed-in user may build a dataset from an uploaded file.
Files are immutable once uploaded.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import sqlalchemy as sa

from ..errors import ConflictError, NotFoundError, ValidationError
from ..storage import BlobStore, Database
from ..storage._models import files
from ._arrow_limits import ArrowLimits
from ._ingest import id_kind, ingest_arrow, read_arrow, validate_edges, validate_nodes
from ._principal import Principal
from ._specs import bindings, new_dataset_id


class Files:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        executor: Callable[[], Executor],
        limits: ArrowLimits | None = None,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._executor = executor  # looked up on every use: set_num_cpus() replaces the pool
        self._limits = limits or ArrowLimits()

    def create(self, principal: Principal, body: Mapping[str, Any]) -> str:
        file_type = body.get("file_type", "arrow")
        if file_type != "arrow":
            raise ValidationError(
                f"file_type is {file_type!r}; only 'arrow' is supported.", code="invalid_file"
            )
        file_id = new_dataset_id()
        with self._db.write() as c:
            c.execute(
                files.insert().values(
                    id=file_id,
                    owner_id=principal.user_id,
                    name=str(body.get("name") or ""),
                    file_type="arrow",
                    blob_key=None,
                    rows=0,
                    created_at=time.time(),
                )
            )
        return file_id

    def upload(self, principal: Principal, file_id: str, body: bytes, *, erase: bool) -> int:
        with self._db.read() as c:
            row = c.execute(sa.select(files).where(files.c.id == file_id)).first()
        if row is None or row.owner_id != principal.user_id:
            raise NotFoundError(f"There is no file {file_id!r}, or it is not yours.", code="file_not_found")
        if row.blob_key is not None:
            raise ConflictError(
                f"The file {file_id!r} was already uploaded; files are immutable.", code="file_exists"
            )

        def ingest() -> tuple[str, int]:
            # Validated in full, and stored as an IPC file whatever came (a stream is converted).
            ingested = ingest_arrow(body, "file", limits=self._limits)
            return self._blobs.put(ingested.stored), ingested.table.num_rows

        try:
            key, num_rows = self._executor().submit(ingest).result()
        except ValidationError:
            if erase:
                with self._db.write() as c:
                    c.execute(files.delete().where(files.c.id == file_id))
            raise
        with self._db.write() as c:
            # Compare-and-set: of two concurrent uploads to one file, exactly one is kept.
            stored = c.execute(
                files.update()
                .where(files.c.id == file_id, files.c.blob_key.is_(None))
                .values(blob_key=key, rows=num_rows)
            ).rowcount
        if not stored:
            self._blobs.delete(key)
            raise ConflictError(
                f"The file {file_id!r} was already uploaded; files are immutable.", code="file_exists"
            )
        return num_rows

    def tables_for(
        self, spec: Mapping[str, Any], edge_files: list[str], node_files: list[str]
    ) -> dict[str, Any]:
        if len(edge_files) != 1 or len(node_files) > 1:
            raise ValidationError(
                "A dataset takes exactly one edge file and at most one node file.", code="invalid_dataset"
            )
        values: dict[str, Any] = {}
        edge_kind: str | None = None
        for kind, file_id in (("edges", edge_files[0]), ("nodes", node_files[0] if node_files else None)):
            if file_id is None:
                continue
            with self._db.read() as c:
                row = c.execute(sa.select(files).where(files.c.id == file_id)).first()
            if row is None or row.blob_key is None:
                raise ValidationError(
                    f"The {kind} file {file_id!r} does not exist or was never uploaded; upload it "
                    "first with POST /api/v2/upload/files/{file_id}.",
                    code="file_not_found",
                )
            blob = self._blobs.get(row.blob_key)
            table = self._executor().submit(read_arrow, blob, kind, limits=self._limits).result()
            if kind == "edges":
                edge_bindings = bindings(spec, "edge")
                validate_edges(table, edge_bindings)
                edge_kind = table_kind = id_kind(table.schema.field(edge_bindings["source"]).type)
            else:
                node_bindings = bindings(spec, "node")
                validate_nodes(table, node_bindings, edge_id_kind=edge_kind)
                table_kind = id_kind(table.schema.field(node_bindings["node"]).type)
            values[f"{kind}_key"] = row.blob_key
            values[f"{kind}_rows"] = table.num_rows
            values[f"{kind}_id_kind"] = table_kind  # checked against without a read (migration 0006)
        return values
