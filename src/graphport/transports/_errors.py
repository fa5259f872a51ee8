"""The one JSON error shape, built by one helper for every transport.

Own routes answer ``{"ok": false, "error", "errors", "status", "code", "request_id"}``. REST v3 routes
answer the shape the official client reads (``success``, ``non_field_errors``, ``status``...), with
these same fields beside it; ``shape`` fields win where a name is shared (the org switch's
``status: "Failed"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import GraphportError


def error_body(
    exc: GraphportError, request_id: str, shape: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ok": False,
        "error": exc.message,
        "errors": exc.errors,
        "status": exc.status,
        "code": exc.code,
        "request_id": request_id,
    }
    if shape:
        body.update(shape)
    return body


def v3_shape(route: str, exc: GraphportError) -> dict[str, Any]:
    """The fields the official client reads on a failed call to a REST v3 route."""
    message = exc.message
    if route in ("login", "key_login", "verify"):
        return {"detail": message, "non_field_errors": [message]}
    if route == "refresh":
        return {"non_field_errors": [message]}
    if route in ("switch", "sso"):
        return {"status": "Failed" if route == "switch" else "ERR", "message": message, "data": []}
    if route == "upload_file":
        return {
            "is_valid": False,
            "is_uploaded": False,
            "errors": [message] + [e.get("message", "") for e in exc.errors],
        }
    return {"success": False, "message": message}
