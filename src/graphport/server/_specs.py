"""The dataset description (the v3 dataset JSON) and privacy settings: shape checks, no storage."""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from typing import Any

from .._wire import DEFAULT_MODE, MODE_ACTIONS, canonical_mode, default_mode_action
from ..errors import NotFoundError, ValidationError

# Limits of what a dataset description and a share call may hold (docs/security.md). The body size
# is bounded by the transport; these bound what is stored per dataset and per share.
MAX_JSON_DEPTH = 64
MAX_NAME_CHARS = 1_000
MAX_DESCRIPTION_CHARS = 100_000
MAX_SHARE_MESSAGE_CHARS = 4_000
MAX_INVITEES = 200


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


def json_problem(value: Any, max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """Why ``value`` cannot be stored and served back as standard JSON, or None when it can.

    Refuses what Python's json accepts but databases and browsers do not: NaN and infinities
    (``JSON.parse`` rejects them; PostgreSQL's json type too), strings with lone surrogates (not
    encodable as UTF-8), non-string object keys, and nesting deeper than ``max_depth``. Iterative,
    so a hostile depth cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        where = path or "the top level"
        if isinstance(item, bool) or item is None or isinstance(item, int):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                return f"{where} is {item!r}; JSON numbers must be finite (no NaN or Infinity)"
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return f"{where} holds a lone surrogate; strings must be valid Unicode text"
        elif isinstance(item, (dict, list)):
            if depth >= max_depth:
                return f"{where} is nested deeper than {max_depth} levels"
            if isinstance(item, dict):
                for key, child in item.items():
                    if not isinstance(key, str):
                        return f"{where} has the key {key!r}; object keys must be strings"
                    try:
                        key.encode("utf-8")
                    except UnicodeEncodeError:
                        return f"{where} has a key with a lone surrogate"
                    stack.append((child, f"{path}.{key}" if path else key, depth + 1))
            else:
                stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
        else:
            return f"{where} is a {type(item).__name__}, which JSON cannot hold"
    return None


def validate_spec(spec: Any) -> dict[str, Any]:
    """The dataset JSON of the create call, checked for shape (not for table contents)."""
    if not isinstance(spec, dict):
        raise ValidationError("The dataset description must be a JSON object.", code="invalid_json")
    problem = json_problem(spec)
    if problem is not None:
        raise ValidationError(
            f"The dataset description cannot be stored: {problem}.",
            code="invalid_dataset",
            errors=[{"field": problem.split(" ", 1)[0], "message": problem}],
        )
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
    # name and description: strings when given (the official client always sends both); org_name
    # may be null (no organization chosen).
    for field, limit in (("name", MAX_NAME_CHARS), ("description", MAX_DESCRIPTION_CHARS)):
        if field in spec and not isinstance(spec[field], str):
            errors.append({"field": field, "message": "must be a string"})
        elif len(spec.get(field) or "") > limit:
            errors.append({"field": field, "message": f"must have at most {limit:,} characters"})
    if spec.get("org_name") is not None and not isinstance(spec["org_name"], str):
        errors.append({"field": "org_name", "message": "must be a string"})
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


def _privacy_error(field: str, message: str) -> ValidationError:
    return ValidationError(
        f"The privacy settings are malformed: {field} {message}.",
        code="invalid_privacy",
        errors=[{"field": field, "message": message}],
    )


def normalize_privacy(body: Mapping[str, Any], default_mode: str = DEFAULT_MODE) -> dict[str, Any]:
    """Privacy settings from a share call (or the combined plot call), validated.

    An unset ``mode`` is ``default_mode``: ``graphport._wire.DEFAULT_MODE`` (``private``, the
    official client's default) for any share request; callers pass the server's
    ``default_privacy`` only for a dataset nobody shared. Types are strict (the official client
    sends ``notify`` as a bool, ``message`` as a string, ``mode_action`` as "10"/"20"): a lenient
    reading would store ``{}`` as a message or ``-268435455`` as "notify". ``null`` means "not
    given" for every field."""
    raw_mode = body.get("mode")
    if raw_mode is None:
        raw_mode = default_mode
    if not isinstance(raw_mode, str):
        raise _privacy_error("mode", f"is {raw_mode!r}; expected one of private, organization, public")
    mode = canonical_mode(raw_mode)
    if mode is None:
        raise ValidationError(
            f"The privacy mode {raw_mode!r} is not known; expected one of private, organization "
            "(or org), public.",
            code="invalid_privacy",
            errors=[{"field": "mode", "message": "unknown mode"}],
        )
    raw_action = body.get("mode_action")
    if raw_action is None or raw_action == "":
        mode_action = default_mode_action(mode)
    elif isinstance(raw_action, (str, int)) and not isinstance(raw_action, bool):
        mode_action = str(raw_action)
    else:
        raise _privacy_error("mode_action", "must be '10' (view) or '20' (edit)")
    if mode_action not in MODE_ACTIONS:
        raise ValidationError(
            f"mode_action is {mode_action!r}; expected '10' (view) or '20' (edit).",
            code="invalid_privacy",
            errors=[{"field": "mode_action", "message": "must be '10' or '20'"}],
        )
    notify = body.get("notify")
    if notify is None:
        notify = False
    elif not isinstance(notify, bool):
        raise _privacy_error("notify", f"is {notify!r}; expected true or false")
    message = body.get("message")
    if message is None:
        message = ""
    elif not isinstance(message, str):
        raise _privacy_error("message", "must be a string")
    elif len(message) > MAX_SHARE_MESSAGE_CHARS:
        raise _privacy_error(
            "message", f"has {len(message):,} characters; at most {MAX_SHARE_MESSAGE_CHARS:,} are kept"
        )
    problem = json_problem(message)
    if problem is not None:
        raise _privacy_error("message", "holds a lone surrogate; send valid Unicode text")
    raw_invited = body.get("invited_users")
    if raw_invited is None:
        raw_invited = []
    if not isinstance(raw_invited, list):
        raise ValidationError("invited_users must be a list.", code="invalid_privacy")
    if len(raw_invited) > MAX_INVITEES:
        raise _privacy_error(
            "invited_users", f"has {len(raw_invited):,} entries; share with at most {MAX_INVITEES} at once"
        )
    invited: list[tuple[str, int]] = []
    for entry in raw_invited:
        if isinstance(entry, str):
            who, action = entry, "10"
        elif isinstance(entry, Mapping) and isinstance(entry.get("email") or entry.get("username"), str):
            who = entry.get("email") or entry["username"]
            raw = entry.get("action", "10")
            action = str(raw) if isinstance(raw, (str, int)) and not isinstance(raw, bool) else "?"
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
        if json_problem(who) is not None:
            raise _privacy_error("invited_users", "holds a lone surrogate; send valid Unicode text")
        invited.append((who.strip().lower(), int(action)))
    return {
        "mode": mode,
        "notify": notify,
        "mode_action": mode_action,
        "message": message,
        "invited": invited,
    }
