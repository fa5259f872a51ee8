"""The dataset description (the v3 dataset JSON) and privacy settings: shape checks, no storage."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..errors import NotFoundError, ValidationError
from ._access import MODE_ALIASES, MODES


def new_dataset_id() -> str:
    """A URL-safe id with 128 bits of randomness ([A-Za-z0-9_-], 22 characters)."""
    return secrets.token_urlsafe(16)


def not_found(dataset_id: str) -> NotFoundError:
    return NotFoundError(
        f"There is no dataset {dataset_id!r}, or you may not see it.", code="dataset_not_found"
    )


def bindings(spec: Mapping[str, Any], side: str) -> dict[str, Any]:
    encodings = spec.get(f"{side}_encodings") or {}
    bindings = encodings.get("bindings") if isinstance(encodings, Mapping) else None
    return dict(bindings) if isinstance(bindings, Mapping) else {}


def validate_spec(spec: Any) -> dict[str, Any]:
    """The dataset JSON of the create call, checked for shape (not for table contents)."""
    if not isinstance(spec, dict):
        raise ValidationError("The dataset description must be a JSON object.", code="invalid_json")
    errors = []
    for side in ("node", "edge"):
        enc = spec.get(f"{side}_encodings", {})
        if not isinstance(enc, dict):
            errors.append({"field": f"{side}_encodings", "message": "must be an object"})
            continue
        bindings = enc.get("bindings", {})
        if not isinstance(bindings, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in bindings.items()
        ):
            errors.append(
                {"field": f"{side}_encodings.bindings", "message": "must map names to column names"}
            )
    for field in ("name", "description", "org_name"):
        if spec.get(field) is not None and not isinstance(spec[field], str):
            errors.append({"field": field, "message": "must be a string"})
    for field in ("edge_files", "node_files"):
        value = spec.get(field)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            errors.append({"field": field, "message": "must be a list of file ids"})
    if spec.get("metadata") is not None and not isinstance(spec["metadata"], dict):
        errors.append({"field": "metadata", "message": "must be an object"})
    if errors:
        raise ValidationError(
            "The dataset description is malformed: "
            + "; ".join(f"{e['field']} {e['message']}" for e in errors)
            + ".",
            code="invalid_dataset",
            errors=errors,
        )
    return spec


def normalize_privacy(body: Mapping[str, Any], default_mode: str) -> dict[str, Any]:
    """Privacy settings from a share call (or the combined plot call), validated."""
    raw_mode = body.get("mode", default_mode)
    mode = MODE_ALIASES.get(raw_mode, raw_mode) if isinstance(raw_mode, str) else raw_mode
    if mode not in MODES:
        raise ValidationError(
            f"The privacy mode {raw_mode!r} is not known; expected one of private, organization "
            "(or org), public.",
            code="invalid_privacy",
            errors=[{"field": "mode", "message": "unknown mode"}],
        )
    mode_action = str(body.get("mode_action") or ("20" if mode == "private" else "10"))
    if mode_action not in ("10", "20"):
        raise ValidationError(
            f"mode_action is {mode_action!r}; expected '10' (view) or '20' (edit).",
            code="invalid_privacy",
            errors=[{"field": "mode_action", "message": "must be '10' or '20'"}],
        )
    invited: list[tuple[str, int]] = []
    raw_invited = body.get("invited_users") or []
    if not isinstance(raw_invited, list):
        raise ValidationError("invited_users must be a list.", code="invalid_privacy")
    for entry in raw_invited:
        if isinstance(entry, str):
            who, action = entry, "10"
        elif isinstance(entry, Mapping) and isinstance(entry.get("email") or entry.get("username"), str):
            who = entry.get("email") or entry["username"]
            action = str(entry.get("action", "10"))
        else:
            raise ValidationError(
                f"An invited user is {entry!r}; expected an email or username string, or an object "
                "with 'email' and 'action' ('10' view or '20' edit).",
                code="invalid_privacy",
            )
        if action not in ("10", "20") or not who.strip():
            raise ValidationError(
                f"The invitation of {who!r} has action {action!r}; expected '10' (view) or '20' (edit).",
                code="invalid_privacy",
            )
        if len(who.strip()) > 254:
            raise ValidationError(
                f"An invited user is {len(who.strip())} characters long; emails and usernames have "
                "at most 254.",
                code="invalid_privacy",
            )
        invited.append((who.strip().lower(), int(action)))
    message = body.get("message") or ""
    return {
        "mode": mode,
        "notify": bool(body.get("notify", False)),
        "mode_action": mode_action,
        "message": str(message),
        "invited": invited,
    }
