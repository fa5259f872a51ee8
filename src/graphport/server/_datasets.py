"""Datasets: create, store their tables, share, read, list and delete.

Durability order: a table's blob is written (and fsynced) first; only then does the metadata row
that points at it commit. A dataset is ``pending`` (invisible) from the create call until its
edges are durable. The node table with positions (the "graph") is built once per content version
on the build pool and stored as its own blob.

The pieces: ``_access`` decides (every rule), ``_dataset_records`` reads a dataset once per
request, ``_dataset_uploads`` validates tables once at upload, ``_dataset_describe`` answers
metadata, ``_dataset_sharing`` writes invitations, ``_dataset_reads`` serves the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..errors import ValidationError
from ..storage import BlobStore, Database, StagedBlob
from ..storage._models import dataset_invites, datasets, files
from ._access import (
    Action,
    Caller,
    check,
    check_self_invites,
    effective_rights,
    listed,
    load_caller,
    load_callers,
    not_found,
    recheck,
)
from ._accounts import Accounts
from ._arrow_limits import ArrowLimits
from ._config import ServerConfig
from ._dataset_describe import describe
from ._dataset_reads import TableReads
from ._dataset_records import DatasetRecord, load_facts_many, load_listing, load_record
from ._dataset_sharing import notify, sharing_answer, write_invites
from ._dataset_uploads import PendingDatasetRemoved, Sent, TableWriter, ingest_pair, sent_bytes, store_upload
from ._files import Files
from ._graphs import GraphBuilder
from ._pool import graph_executor
from ._principal import Principal
from ._specs import new_dataset_id, normalize_privacy, validate_spec

TableKind = str  # "edges" | "nodes"


class Datasets:
    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        accounts: Accounts,
        config: ServerConfig,
        executor: Callable[[], Executor],
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._accounts = accounts
        self._config = config
        # Looked up on every use: set_num_cpus() replaces the process-wide pool.
        self._executor = executor
        self._arrow_limits = ArrowLimits.of(config)
        self.files = Files(db, blobs, executor, self._arrow_limits)
        self.graphs = GraphBuilder(db, blobs, graph_executor)
        self._tables = TableReads(db, blobs, self.graphs, self._arrow_limits)
        self._writer = TableWriter(db, blobs, executor, self.graphs, self._arrow_limits)

    # -- access ----------------------------------------------------------------------------------

    def _caller(self, c: sa.Connection, principal: Principal | None) -> Caller:
        """The caller: the facts its principal carries while fresh, else read (``_principal``)."""
        return load_caller(c, principal, self._accounts.revocations)

    def _record(self, principal: Principal | None, dataset_id: str, action: Action) -> DatasetRecord:
        """The dataset, read once, when the caller may do ``action`` on it; 404/403 otherwise."""
        with self._db.read() as c:
            record = load_record(c, dataset_id)
            caller = self._caller(c, principal)
        check(caller, record.facts if record is not None else None, action, dataset_id)
        assert record is not None
        return record

    def require(self, principal: Principal | None, dataset_id: str, action: Action) -> Any:
        """The dataset row when the caller may do ``action`` on it; a 404 (or a 403 saying
        which right is missing, to a caller who may view it) otherwise."""
        return self._record(principal, dataset_id, action).row

    def rights(self, principal: Principal | None, dataset_id: str) -> frozenset[Action]:
        """Every action the caller may perform on the dataset (empty: it is not theirs to know)."""
        with self._db.read() as c:
            record = load_record(c, dataset_id)
            caller = self._caller(c, principal)
        return effective_rights(caller, record.facts) if record is not None else frozenset()

    def rights_many(
        self, principals: Sequence[Principal | None], dataset_ids: Sequence[str]
    ) -> list[list[frozenset[Action]]]:
        """``rights`` for every (principal, dataset) pair, from one database snapshot: one row per
        principal, one column per dataset (re-checking many subscribers at once, property tests)."""
        with self._db.read() as c:  # four queries, however many principals and datasets
            callers = load_callers(c, principals)
            facts = load_facts_many(c, dataset_ids)
        return [
            [effective_rights(caller, facts[d]) if d in facts else frozenset() for d in dataset_ids]
            for caller in callers
        ]

    # -- create and store tables -----------------------------------------------------------------

    def _org_for(self, principal: Principal, spec: Mapping[str, Any]) -> int | None:
        org_name = spec.get("org_name")
        if org_name:
            return self._accounts.orgs.member_org_id(principal, org_name)
        return self._accounts.orgs.default_org_id(principal.user_id)

    @staticmethod
    def _new_row(
        principal: Principal, described: Mapping[str, Any], org_id: int | None, **values: Any
    ) -> dict[str, Any]:
        """The values of a new dataset row: ``described`` gives its name and description."""
        now = time.time()
        return {
            "id": new_dataset_id(),
            "owner_id": principal.user_id,
            "org_id": org_id,
            "name": described.get("name") or "Untitled",
            "description": described.get("description") or "",
            "graph_version": -1,
            "graph_nodes_rows": 0,
            "created_at": now,
            "updated_at": now,
            **values,
        }

    def create(self, principal: Principal, spec: Any) -> str:
        spec = validate_spec(spec)
        org_id = self._org_for(principal, spec)
        edge_files, node_files = spec.get("edge_files"), spec.get("node_files")
        tables: dict[str, Any] = {}
        if edge_files:
            tables = self.files.tables_for(spec, edge_files, node_files or [])
        privacy = normalize_privacy({}, self._config.default_privacy)
        values = self._new_row(
            principal,
            spec,
            org_id,
            status="ready" if edge_files else "pending",
            privacy_mode=privacy["mode"],
            privacy_notify=False,
            privacy_mode_action=privacy["mode_action"],
            privacy_message="",
            spec={k: v for k, v in spec.items() if k not in ("edge_files", "node_files")},
            content_version=1 if edge_files else 0,
            **{"edges_rows": 0, "nodes_rows": 0, **tables},
        )
        with self._db.write() as c:
            c.execute(datasets.insert().values(**values))
        if edge_files:
            self.graphs.schedule(values["id"])
        return str(values["id"])

    def upload_table(
        self,
        principal: Principal,
        dataset_id: str,
        kind: TableKind,
        body: Sent,
        expected_version: int | None = None,
    ) -> int:
        """Store one table of a dataset; returns its row count. Needs edit rights.

        The table is validated in full and against the dataset's other table now, so a stored
        table is always drawable (``_dataset_uploads``). With ``expected_version`` (the
        ``version`` a reader saw), the write happens only if no other write landed since;
        otherwise :class:`ConflictError` (``version_conflict``, 409) and nothing changes, so
        concurrent writers never lose an update silently (issue #7)."""
        row = self.require(principal, dataset_id, Action.EDIT)
        return self._writer.upload(principal, row, kind, body, expected_version)

    def create_complete(
        self,
        principal: Principal,
        spec: Any,
        edges: Sent,
        nodes: Sent | None,
        privacy: Mapping[str, Any] | None,
    ) -> str:
        """Create a dataset from its description and tables in one step (the one-request plot).

        A table may come staged (:meth:`stage_table`: received straight into its blob's file,
        ``storage/_staged``); it is validated from memory like bytes, then committed as its blob
        (an Arrow stream is converted to a file and stored anew instead). The caller discards the
        stages afterwards, so a refused table leaves nothing. The dataset becomes visible only when
        every table is durable and the row commits."""
        spec = validate_spec(spec)
        if spec.get("edge_files") or spec.get("node_files"):
            raise ValidationError(
                "The one-request plot carries its tables inline, not as files.", code="invalid_dataset"
            )
        # A privacy object (the client called privacy()) is read as the share call reads it: an
        # unset mode is _wire.DEFAULT_MODE. No object at all: the server's default_privacy.
        settings = (
            normalize_privacy(privacy)
            if privacy is not None
            else normalize_privacy({}, self._config.default_privacy)
        )

        def ingest() -> dict[str, Any]:
            edge_upload, node_upload = ingest_pair(
                spec, sent_bytes(edges), None if nodes is None else sent_bytes(nodes), self._arrow_limits
            )
            tables: dict[str, Any] = {
                "edges_key": store_upload(self._blobs, edges, edge_upload),
                "edges_rows": edge_upload.rows,
                "edges_id_kind": edge_upload.id_kind,
                "nodes_rows": 0,
            }
            if nodes is not None and node_upload is not None:
                tables["nodes_key"] = store_upload(self._blobs, nodes, node_upload)
                tables["nodes_rows"] = node_upload.rows
                tables["nodes_id_kind"] = node_upload.id_kind
            return tables

        org_id = self._org_for(principal, spec)
        values = self._new_row(
            principal,
            spec,
            org_id,
            status="ready",
            privacy_mode=settings["mode"],
            privacy_notify=settings["notify"],
            privacy_mode_action=settings["mode_action"],
            privacy_message=settings["message"],
            spec=spec,
            content_version=1,
            **self._executor().submit(ingest).result(),
        )
        with self._db.write() as c:
            c.execute(datasets.insert().values(**values))
            write_invites(c, values["id"], settings["invited"])
            notify(c, principal, values["id"], settings)
        self.graphs.schedule(values["id"])
        return str(values["id"])

    def stage_table(self, size: int) -> StagedBlob:
        """A table of ``size`` bytes to receive piece by piece, for :meth:`create_complete`."""
        return self._blobs.stage(size)

    # -- sharing ---------------------------------------------------------------------------------

    def share(self, principal: Principal, dataset_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Set a dataset's privacy and invitations (edit rights); returns the new settings."""
        self.require(principal, dataset_id, Action.SHARE)
        settings = normalize_privacy(body)  # an unset mode: _wire.DEFAULT_MODE, as the official client sends
        with self._db.write() as c:
            recheck(c, principal, dataset_id, Action.SHARE)
            check_self_invites(c, principal, dataset_id, settings["invited"])
            c.execute(
                datasets.update()
                .where(datasets.c.id == dataset_id)
                .values(
                    privacy_mode=settings["mode"],
                    privacy_notify=settings["notify"],
                    privacy_mode_action=settings["mode_action"],
                    privacy_message=settings["message"],
                    updated_at=time.time(),
                )
            )
            c.execute(dataset_invites.delete().where(dataset_invites.c.dataset_id == dataset_id))
            write_invites(c, dataset_id, settings["invited"])
            notify(c, principal, dataset_id, settings)
        return sharing_answer(settings)

    # -- reads -----------------------------------------------------------------------------------

    def describe(self, principal: Principal | None, dataset_id: str) -> dict[str, Any]:
        """The dataset's metadata (view rights), from one read of the dataset."""
        with self._db.read() as c:
            record = load_record(c, dataset_id)
            caller = self._caller(c, principal)
        check(caller, record.facts if record is not None else None, Action.VIEW, dataset_id)
        assert record is not None
        return describe(record, caller)

    def list_for(self, principal: Principal) -> list[dict[str, Any]]:
        """Every ready dataset the caller owns, is invited to, or may see through an org."""
        with self._db.read() as c:
            caller = self._caller(c, principal)
            records = load_listing(c, principal, caller)
        return [describe(r, caller) for r in records if listed(caller, r.facts)]

    def table_key(self, principal: Principal | None, dataset_id: str, kind: TableKind) -> str:
        """The blob key of a dataset's edges, or of its graph nodes (built if needed: this call
        then blocks until the build ends; transports wait on :meth:`graph_job` first)."""
        return self._tables.key(self._record(principal, dataset_id, Action.VIEW).row, kind)

    def graph_job(self, principal: Principal | None, dataset_id: str) -> Future[None]:
        """After the access check, the build of the dataset's graph (done when there is nothing
        to build): a caller may wait for it without holding a thread, then call :meth:`table_key`.
        Raises 404 like ``table_key``, and 409 ``graph_failed`` when the graph cannot be built."""
        return self._tables.job(self._record(principal, dataset_id, Action.VIEW).row)

    def read_table(self, principal: Principal | None, dataset_id: str, kind: TableKind) -> pa.Table:
        return self._tables.read(self.table_key(principal, dataset_id, kind), kind)

    def delete(self, principal: Principal, dataset_id: str) -> None:
        row = self.require(principal, dataset_id, Action.DELETE)
        with self._db.write() as c:
            recheck(c, principal, dataset_id, Action.DELETE)
            c.execute(dataset_invites.delete().where(dataset_invites.c.dataset_id == dataset_id))
            c.execute(datasets.delete().where(datasets.c.id == dataset_id))
            file_keys = set(
                c.execute(sa.select(files.c.blob_key).where(files.c.blob_key.is_not(None))).scalars()
            )
        for key in (row.edges_key, row.nodes_key, row.graph_key):
            if key and key not in file_keys:
                self._blobs.delete(key)

    def close(self) -> None:
        """Cancel delayed graph builds (jobs already running finish on the pool)."""
        self.graphs.close()


__all__ = ["Datasets", "PendingDatasetRemoved", "not_found"]
