"""A dataset's metadata as the API answers it (``GET /api/v2/datasets/{id}`` and the lists)."""

from __future__ import annotations

from typing import Any

from ._access import Caller, sees_sharing
from ._dataset_records import DatasetRecord
from ._specs import bindings


def describe(record: DatasetRecord, caller: Caller) -> dict[str, Any]:
    """The description of a dataset the caller may view; sharing details only for editors."""
    row, facts = record.row, record.facts
    can_edit = sees_sharing(caller, facts)
    spec = row.spec or {}
    privacy: dict[str, Any] = {"mode": row.privacy_mode, "mode_action": row.privacy_mode_action}
    if can_edit:
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
        "owner": record.owner,
        "org": record.org,
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
