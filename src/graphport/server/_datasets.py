"""Datasets: create, ingest Arrow tables, share, read, list and delete.

Durability order: a table's blob is written (and fsynced) first; only then does the metadata row
that points at it commit. A dataset is ``pending`` (invisible) from the create call until its
edges are durable. The node table with positions (the "graph") is built once per content version
on the CPU pool and stored as its own blob.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..errors import (
    ConflictError,
    GraphportError,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    ValidationError,
)
from ..storage import BlobStore, Database
from ..storage._models import (
    dataset_invites,
    datasets,
    files,
    memberships,
    organizations,
    outbox,
    outbox_messages,
    users,
)
from ._access import (
    ANONYMOUS,
    AccessFacts,
    Action,
    Caller,
    Invite,
    allowed,
    check_self_invites,
    facts_from_row,
    invitee_matches,
    load_caller,
    load_facts,
    resolve_invitee,
    rights,
)
from ._accounts import Accounts
from ._arrow_limits import ArrowLimits
from ._config import ServerConfig
from ._files import Files
from ._graphs import GRAPH_DEBOUNCE, GraphBuilder
from ._ingest import id_kind, ingest_arrow, read_arrow, stored_id_kind, validate_edges, validate_nodes
from ._pool import graph_executor
from ._principal import Principal
from ._specs import bindings, new_dataset_id, normalize_privacy, not_found, validate_spec

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

    # -- access ----------------------------------------------------------------------------------

    def require(self, principal: Principal | None, dataset_id: str, action: Action) -> Any:
        """The dataset row when the caller may do ``action`` on it; a 404 otherwise."""
        with self._db.read() as c:
            row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
            facts = load_facts(c, dataset_id)
            caller = load_caller(c, principal)
        if row is None or facts is None or not allowed(caller, facts, action):
            if (
                row is not None
                and facts is not None
                and row.status == "ready"
                and action != Action.VIEW
                and (allowed(caller, facts, Action.VIEW))
            ):
                # The caller can see the dataset, so a 404 would hide nothing: say which right is
                # missing (403), as the official client can explain it (DESIGN.md section 5).
                verb = {Action.DELETE: "delete", Action.SHARE: "share"}.get(action, "change")
                raise PermissionDenied(
                    f"You may view the dataset {dataset_id!r} but not {verb} it; ask its owner for "
                    + ("edit rights." if action != Action.DELETE else "its deletion."),
                    code="dataset_view_only",
                )
            raise not_found(dataset_id)
        if (
            row.status != "ready"
            and action == Action.VIEW
            and (principal is None or principal.user_id != row.owner_id)
        ):
            raise not_found(dataset_id)
        return row

    def rights(self, principal: Principal | None, dataset_id: str) -> frozenset[Action]:
        """Every action the caller may perform on the dataset (empty: it is not theirs to know)."""
        with self._db.read() as c:
            status = c.execute(sa.select(datasets.c.status).where(datasets.c.id == dataset_id)).scalar()
            facts = load_facts(c, dataset_id)
            caller = load_caller(c, principal)
        if facts is None:
            return frozenset()
        granted = rights(caller, facts)
        if status != "ready" and (principal is None or principal.user_id != facts.owner_id):
            return frozenset()
        return granted

    def rights_many(
        self, principals: Sequence[Principal | None], dataset_ids: Sequence[str]
    ) -> list[list[frozenset[Action]]]:
        """``rights`` for every (principal, dataset) pair, from one database snapshot: one row per
        principal, one column per dataset (re-checking many subscribers at once, property tests)."""
        user_ids = sorted({p.user_id for p in principals if p is not None})
        with self._db.read() as c:  # four queries, however many principals and datasets
            emails = {
                r.id: r.email
                for r in c.execute(sa.select(users.c.id, users.c.email).where(users.c.id.in_(user_ids)))
            }
            orgs: dict[int, set[int]] = {}
            for mem in c.execute(
                sa.select(memberships.c.user_id, memberships.c.org_id).where(
                    memberships.c.user_id.in_(user_ids)
                )
            ):
                orgs.setdefault(mem.user_id, set()).add(mem.org_id)
            rows = {
                r.id: r
                for r in c.execute(
                    sa.select(
                        datasets.c.id,
                        datasets.c.status,
                        datasets.c.owner_id,
                        datasets.c.org_id,
                        datasets.c.privacy_mode,
                        datasets.c.privacy_mode_action,
                    ).where(datasets.c.id.in_(list(dataset_ids)))
                )
            }
            invites: dict[str, list[Invite]] = {}
            for inv in c.execute(
                sa.select(
                    dataset_invites.c.dataset_id,
                    dataset_invites.c.invitee,
                    dataset_invites.c.user_id,
                    dataset_invites.c.action,
                ).where(dataset_invites.c.dataset_id.in_(list(rows)))
            ):
                invites.setdefault(inv.dataset_id, []).append(Invite(inv.invitee, inv.user_id, inv.action))
        callers = [
            Caller(p, emails.get(p.user_id), frozenset(orgs.get(p.user_id, ())))
            if p is not None
            else ANONYMOUS
            for p in principals
        ]
        status = {i: r.status for i, r in rows.items()}
        facts = {i: facts_from_row(r, tuple(invites.get(i, ()))) for i, r in rows.items()}
        out: list[list[frozenset[Action]]] = []
        for principal, caller in zip(principals, callers, strict=True):
            row: list[frozenset[Action]] = []
            for dataset_id in dataset_ids:
                f = facts.get(dataset_id)
                visible = f is not None and (
                    status[dataset_id] == "ready"
                    or (principal is not None and principal.user_id == f.owner_id)
                )
                row.append(rights(caller, f) if f is not None and visible else frozenset())
            out.append(row)
        return out

    # -- create and ingest -----------------------------------------------------------------------

    def create(self, principal: Principal, spec: Any) -> str:
        spec = validate_spec(spec)
        org_name = spec.get("org_name")
        org_id = (
            self._accounts.member_org_id(principal, org_name)
            if org_name
            else self._accounts.default_org_id(principal.user_id)
        )
        dataset_id = new_dataset_id()
        now = time.time()
        edge_files, node_files = spec.get("edge_files"), spec.get("node_files")
        values: dict[str, Any] = {}
        if edge_files:
            values = self.files.tables_for(spec, edge_files, node_files or [])
        privacy = normalize_privacy({}, self._config.default_privacy)
        with self._db.write() as c:
            c.execute(
                datasets.insert().values(
                    id=dataset_id,
                    owner_id=principal.user_id,
                    org_id=org_id,
                    name=spec.get("name") or "Untitled",
                    description=spec.get("description") or "",
                    status="ready" if edge_files else "pending",
                    privacy_mode=privacy["mode"],
                    privacy_notify=False,
                    privacy_mode_action=privacy["mode_action"],
                    privacy_message="",
                    spec={k: v for k, v in spec.items() if k not in ("edge_files", "node_files")},
                    edges_key=values.get("edges_key"),
                    edges_rows=values.get("edges_rows", 0),
                    nodes_key=values.get("nodes_key"),
                    nodes_rows=values.get("nodes_rows", 0),
                    content_version=1 if edge_files else 0,
                    graph_version=-1,
                    graph_nodes_rows=0,
                    created_at=now,
                    updated_at=now,
                )
            )
        if edge_files:
            self.graphs.schedule(dataset_id)
        return dataset_id

    def upload_table(
        self,
        principal: Principal,
        dataset_id: str,
        kind: TableKind,
        body: bytes,
        expected_version: int | None = None,
    ) -> int:
        """Store one table of a dataset; returns its row count. Needs edit rights.

        With ``expected_version`` (the ``version`` a reader saw), the write happens only if no
        other write landed since; otherwise :class:`ConflictError` (``version_conflict``, 409) and
        nothing changes, so concurrent writers never lose an update silently (issue #7)."""
        row = self.require(principal, dataset_id, Action.EDIT)
        edge_bindings, node_bindings = bindings(row.spec, "edge"), bindings(row.spec, "node")

        def ingest() -> tuple[str, int]:
            # Validated in full and stored as an IPC file (a stream is converted); ids of another
            # kind than the dataset's other table are refused now, not at the first graph read.
            ingested = ingest_arrow(body, kind, limits=self._arrow_limits)
            if kind == "edges":
                other = self._blobs.get(row.nodes_key) if row.nodes_key else None
                node_kind = stored_id_kind(other, node_bindings.get("node")) if other else None
                validate_edges(ingested.table, edge_bindings, node_id_kind=node_kind)
            else:
                other = self._blobs.get(row.edges_key) if row.edges_key else None
                edge_kind = stored_id_kind(other, edge_bindings.get("source")) if other else None
                validate_nodes(ingested.table, node_bindings, edge_id_kind=edge_kind)
            return self._blobs.put(ingested.stored), ingested.table.num_rows

        try:
            key, num_rows = self._executor().submit(ingest).result()
        except (ValidationError, PayloadTooLarge) as exc:
            if kind == "edges" and row.status == "pending":
                self._discard_pending(principal, dataset_id)
                exc.message += (
                    f" The dataset {dataset_id!r} had no tables yet and was removed; create it again "
                    "with the corrected table."
                )
                exc.args = (exc.message,)
            raise
        values: dict[str, Any] = {
            f"{kind}_key": key,
            f"{kind}_rows": num_rows,
            "content_version": datasets.c.content_version + 1,
            "updated_at": time.time(),
        }
        # New tables are a new chance for a dataset whose graph failed: edges make it ready, and so
        # do nodes when its edges are stored (a dataset still waiting for edges stays pending).
        values["status"] = (
            "ready"
            if kind == "edges"
            else sa.case((datasets.c.edges_key.is_not(None), "ready"), else_=datasets.c.status)
        )
        where = [datasets.c.id == dataset_id]
        if expected_version is not None:
            where.append(datasets.c.content_version == expected_version)
        try:
            with self._db.write() as c:
                self._recheck(c, principal, dataset_id, Action.EDIT)
                if not c.execute(datasets.update().where(*where).values(**values)).rowcount:
                    current = c.execute(
                        sa.select(datasets.c.content_version).where(datasets.c.id == dataset_id)
                    ).scalar()
                    raise ConflictError(
                        f"The dataset {dataset_id!r} is at version {current}, not {expected_version}: "
                        "another write landed first. Read it again and retry with the new version.",
                        code="version_conflict",
                    )
        except (NotFoundError, ConflictError):
            self._blobs.delete(key)  # the right went away, or a newer write won, meanwhile
            raise
        if kind == "edges" or row.edges_key:
            # The official client sends the nodes table right after the edges: wait a moment so a
            # layout is not computed for a graph that is about to change.
            self.graphs.schedule(dataset_id, delay=GRAPH_DEBOUNCE if kind == "edges" else 0.0)
        return num_rows

    def _discard_pending(self, principal: Principal, dataset_id: str) -> None:
        """Remove a dataset that never got its edges (its first edges upload was refused), so a
        failed plot leaves nothing behind (issue #11)."""
        with self._db.write() as c:
            self._recheck(c, principal, dataset_id, Action.EDIT)
            c.execute(dataset_invites.delete().where(dataset_invites.c.dataset_id == dataset_id))
            c.execute(datasets.delete().where(datasets.c.id == dataset_id, datasets.c.status == "pending"))

    def create_complete(
        self,
        principal: Principal,
        spec: Any,
        edges: bytes,
        nodes: bytes | None,
        privacy: Mapping[str, Any] | None,
    ) -> str:
        """Create a dataset from its description and tables in one step (the one-request plot).

        The dataset becomes visible only when every table is durable and the row commits."""
        spec = validate_spec(spec)
        if spec.get("edge_files") or spec.get("node_files"):
            raise ValidationError(
                "The one-request plot carries its tables inline, not as files.", code="invalid_dataset"
            )
        settings = normalize_privacy(privacy or {}, self._config.default_privacy)

        def ingest() -> dict[str, Any]:
            edge_bindings = bindings(spec, "edge")
            edge_table = ingest_arrow(edges, "edges", limits=self._arrow_limits)
            validate_edges(edge_table.table, edge_bindings)
            node_table = None
            if nodes is not None:
                node_table = ingest_arrow(nodes, "nodes", limits=self._arrow_limits)
                edge_kind = id_kind(edge_table.table.schema.field(edge_bindings["source"]).type)
                validate_nodes(node_table.table, bindings(spec, "node"), edge_id_kind=edge_kind)
            return {
                "edges_key": self._blobs.put(edge_table.stored),
                "edges_rows": edge_table.table.num_rows,
                "nodes_key": self._blobs.put(node_table.stored) if node_table is not None else None,
                "nodes_rows": node_table.table.num_rows if node_table is not None else 0,
            }

        org_name = spec.get("org_name")
        org_id = (
            self._accounts.member_org_id(principal, org_name)
            if org_name
            else self._accounts.default_org_id(principal.user_id)
        )
        values = self._executor().submit(ingest).result()
        dataset_id = new_dataset_id()
        now = time.time()
        with self._db.write() as c:
            c.execute(
                datasets.insert().values(
                    id=dataset_id,
                    owner_id=principal.user_id,
                    org_id=org_id,
                    name=spec.get("name") or "Untitled",
                    description=spec.get("description") or "",
                    status="ready",
                    privacy_mode=settings["mode"],
                    privacy_notify=settings["notify"],
                    privacy_mode_action=settings["mode_action"],
                    privacy_message=settings["message"],
                    spec=spec,
                    content_version=1,
                    graph_version=-1,
                    graph_nodes_rows=0,
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
            self._write_invites(c, dataset_id, settings["invited"])
            self._notify(c, principal, dataset_id, settings)
        self.graphs.schedule(dataset_id)
        return dataset_id

    # -- sharing ---------------------------------------------------------------------------------

    def share(self, principal: Principal, dataset_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """Set a dataset's privacy and invitations (edit rights); returns the new settings."""
        self.require(principal, dataset_id, Action.SHARE)
        settings = normalize_privacy(body, "private")
        with self._db.write() as c:
            self._recheck(c, principal, dataset_id, Action.SHARE)
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
            self._write_invites(c, dataset_id, settings["invited"])
            self._notify(c, principal, dataset_id, settings)
        return {
            "mode": settings["mode"],
            "mode_action": settings["mode_action"],
            "notify": settings["notify"],
            "message": settings["message"],
            "invited_users": [{"user": who, "action": str(action)} for who, action in settings["invited"]],
        }

    def _recheck(self, c: sa.Connection, principal: Principal, dataset_id: str, action: Action) -> None:
        """The access check again, inside the write transaction that acts on it, so a right
        revoked between the first check and the write is not used (time of check = time of use)."""
        facts = load_facts(c, dataset_id)
        if facts is None or not allowed(load_caller(c, principal), facts, action):
            raise not_found(dataset_id)

    def _write_invites(self, c: sa.Connection, dataset_id: str, invited: list[tuple[str, int]]) -> None:
        """Store invitations (the strongest action wins for a name given twice). An invitee who
        is already a user is bound to their id; others stay pending until they register."""
        now = time.time()
        strongest: dict[str, int] = {}
        for who, action in invited:
            strongest[who] = max(action, strongest.get(who, 0))
        for who, action in strongest.items():
            c.execute(
                dataset_invites.insert().values(
                    dataset_id=dataset_id,
                    invitee=who,
                    user_id=resolve_invitee(c, who),
                    action=action,
                    created_at=now,
                )
            )

    def _notify(
        self, c: sa.Connection, sender: Principal, dataset_id: str, settings: Mapping[str, Any]
    ) -> None:
        """Record one outbox row per invitee when the sharer asked to notify (no mail is sent);
        the message itself is stored once and every row points at it (issue #10 F8)."""
        if not settings["notify"] or not settings["invited"]:
            return
        now = time.time()
        inserted = c.execute(outbox_messages.insert().values(body=settings["message"], created_at=now))
        assert inserted.inserted_primary_key is not None
        message_id = inserted.inserted_primary_key[0]
        for who, action in settings["invited"]:
            c.execute(
                outbox.insert().values(
                    kind="dataset_invite",
                    dataset_id=dataset_id,
                    sender_id=sender.user_id,
                    recipient=who,
                    recipient_user_id=resolve_invitee(c, who),
                    action=action,
                    message="",
                    message_id=message_id,
                    created_at=now,
                )
            )

    # -- reads -----------------------------------------------------------------------------------

    def describe(self, principal: Principal | None, dataset_id: str) -> dict[str, Any]:
        row = self.require(principal, dataset_id, Action.VIEW)
        return self._describe_row(principal, row)

    def _describe_row(
        self,
        principal: Principal | None,
        row: Any,
        preloaded: tuple[str | None, str | None, AccessFacts | None, Caller] | None = None,
    ) -> dict[str, Any]:
        if preloaded is not None:  # (owner name, org slug, facts, caller), loaded in bulk by list_for
            owner, org, facts, caller = preloaded
        else:
            with self._db.read() as c:
                owner = c.execute(sa.select(users.c.username).where(users.c.id == row.owner_id)).scalar()
                org = (
                    c.execute(
                        sa.select(organizations.c.slug).where(organizations.c.id == row.org_id)
                    ).scalar()
                    if row.org_id is not None
                    else None
                )
                facts = load_facts(c, row.id)
                caller = load_caller(c, principal)
        can_edit = facts is not None and allowed(caller, facts, Action.EDIT)
        spec = row.spec or {}
        privacy: dict[str, Any] = {"mode": row.privacy_mode, "mode_action": row.privacy_mode_action}
        if can_edit and facts is not None:
            privacy.update(
                notify=row.privacy_notify,
                message=row.privacy_message,
                invited_users=[{"user": i.invitee, "action": str(i.action)} for i in facts.invites],
            )
        return {
            "id": row.id,
            "dataset_id": row.id,
            "name": row.name,
            "description": row.description,
            "owner": owner,
            "org": org,
            "status": row.status,
            # Why the graph could not be built (status "failed"; upload corrected tables to retry).
            "graph_error": row.graph_error if row.status == "failed" else None,
            "privacy": privacy,
            "can_edit": can_edit,
            "rows": {"edges": row.edges_rows, "nodes": row.nodes_rows, "graph_nodes": row.graph_nodes_rows},
            "version": row.content_version,
            "node_encodings": spec.get("node_encodings", {"bindings": {}}),
            "edge_encodings": spec.get("edge_encodings", {"bindings": {}}),
            "bindings": {
                "node": bindings(spec, "node"),
                "edge": bindings(spec, "edge"),
            },
            "metadata": spec.get("metadata", {}),
            "created_at": row.created_at,
            "updated_at": row.updated_at,
        }

    def list_for(self, principal: Principal) -> list[dict[str, Any]]:
        """Every ready dataset the caller owns, is invited to, or may see through an org."""
        with self._db.read() as c:
            caller = load_caller(c, principal)
            # Candidates only: allowed() below has the last word on every row.
            names = [principal.username.lower()] + ([caller.email.lower()] if caller.email else [])
            invited = sa.select(dataset_invites.c.dataset_id).where(
                sa.or_(
                    dataset_invites.c.user_id == principal.user_id,
                    sa.and_(dataset_invites.c.user_id.is_(None), dataset_invites.c.invitee.in_(names)),
                )
            )
            conditions = [datasets.c.owner_id == principal.user_id, datasets.c.id.in_(invited)]
            if caller.org_ids:
                conditions.append(
                    sa.and_(datasets.c.privacy_mode == "organization", datasets.c.org_id.in_(caller.org_ids))
                )
            rows = c.execute(
                sa.select(datasets)
                .where(datasets.c.status == "ready", sa.or_(*conditions))
                .order_by(datasets.c.created_at.desc())
            ).all()
            # Everything the rows need, in three queries rather than a few per row.
            ids = [row.id for row in rows]
            invites: dict[str, list[Invite]] = {}
            for r in c.execute(
                sa.select(
                    dataset_invites.c.dataset_id,
                    dataset_invites.c.invitee,
                    dataset_invites.c.user_id,
                    dataset_invites.c.action,
                ).where(dataset_invites.c.dataset_id.in_(ids))
            ):
                invites.setdefault(r.dataset_id, []).append(Invite(r.invitee, r.user_id, r.action))
            owners = {
                r.id: r.username
                for r in c.execute(
                    sa.select(users.c.id, users.c.username).where(
                        users.c.id.in_(sorted({row.owner_id for row in rows}))
                    )
                )
            }
            slugs = {
                r.id: r.slug
                for r in c.execute(
                    sa.select(organizations.c.id, organizations.c.slug).where(
                        organizations.c.id.in_(sorted({row.org_id for row in rows if row.org_id is not None}))
                    )
                )
            }
        out = []
        for row in rows:
            facts = facts_from_row(row, tuple(invites.get(row.id, ())))
            if not allowed(caller, facts, Action.VIEW):
                continue
            # Public datasets are unlisted: they are listed only for their owner, org or invitees.
            if (
                facts.mode == "public"
                and facts.owner_id != principal.user_id
                and not (any(invitee_matches(i, caller) for i in facts.invites))
            ):
                continue
            preloaded = (owners.get(row.owner_id), slugs.get(row.org_id), facts, caller)
            out.append(self._describe_row(principal, row, preloaded))
        return out

    def table_key(self, principal: Principal | None, dataset_id: str, kind: TableKind) -> str:
        """The blob key of a dataset's edges, or of its graph nodes (built if needed: this call
        then blocks until the build ends; transports wait on :meth:`graph_job` first)."""
        row = self._readable(principal, dataset_id)
        if kind == "edges":
            return str(row.edges_key)
        try:
            self.graphs.future(dataset_id).result()
        except Exception:
            self._readable(principal, dataset_id)  # a build that failed marks the dataset: say why
            raise
        with self._db.read() as c:
            key = c.execute(sa.select(datasets.c.graph_key).where(datasets.c.id == dataset_id)).scalar()
        if key is None:
            raise not_found(dataset_id)
        return str(key)

    def graph_job(self, principal: Principal | None, dataset_id: str) -> Future[None]:
        """After the access check, the build of the dataset's graph (done when there is nothing
        to build): a caller may wait for it without holding a thread, then call :meth:`table_key`.
        Raises 404 like ``table_key``, and 409 ``graph_failed`` when the graph cannot be built."""
        self._readable(principal, dataset_id)
        return self.graphs.future(dataset_id)

    def _readable(self, principal: Principal | None, dataset_id: str) -> Any:
        row = self.require(principal, dataset_id, Action.VIEW)
        if row.status == "failed":
            reason = row.graph_error or "the build failed"
            raise GraphportError(
                f"The graph of dataset {dataset_id!r} could not be built: {reason}. Upload its "
                "tables again (a new dataset) once they are fixed.",
                code="graph_failed",
                status=409,
            )
        if row.status != "ready" or row.edges_key is None:
            raise not_found(dataset_id)
        return row

    def read_table(self, principal: Principal | None, dataset_id: str, kind: TableKind) -> pa.Table:
        key = self.table_key(principal, dataset_id, kind)
        return read_arrow(self._blobs.get(key), kind, limits=self._arrow_limits)

    def delete(self, principal: Principal, dataset_id: str) -> None:
        row = self.require(principal, dataset_id, Action.DELETE)
        with self._db.write() as c:
            self._recheck(c, principal, dataset_id, Action.DELETE)
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
