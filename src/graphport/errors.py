"""The one exception tree of graphport, shared by the client, the server and the CLI.

Catch broadly (``GraphportError``) or narrowly (a leaf)::

    GraphportError              base: status, code, request_id, url, errors
    ├── ConfigError             fix your code or configuration (bad argument, missing extra)
    ├── AuthError               401: not signed in, bad credentials, expired or revoked token
    │   └── PermissionDenied    403: signed in, but not allowed (e.g. not a member of that org)
    ├── NotFoundError           404: no such thing, or you may not know it exists
    ├── ValidationError         400: the input is wrong; ``errors`` lists each field problem
    │   └── PayloadTooLarge     413: the body is over the server's configured limit
    ├── ConflictError           409: the thing changed under you, or already exists
    ├── ServerError             5xx: the server failed; report it with the request id
    └── TransportError          the request never got an answer (``retryable`` says if a retry may help)

Every error carries a machine-readable ``code`` (public API, listed in ``docs/errors.md``) and,
when it came from an HTTP exchange, the ``status``, the ``url`` and the server's ``request_id``.
Messages never contain tokens, passwords or key secrets.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "ConfigError",
    "ConflictError",
    "GraphportError",
    "NotFoundError",
    "PayloadTooLarge",
    "PermissionDenied",
    "ServerError",
    "TransportError",
    "ValidationError",
]


class GraphportError(Exception):
    """Base class of every error graphport raises on purpose."""

    status: int = 500
    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        request_id: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.errors: list[dict[str, Any]] = list(errors or [])
        self.request_id = request_id
        self.url = url

    def __str__(self) -> str:
        parts = [self.message]
        context = []
        if self.url:
            context.append(self.url)
        if self.status and self.request_id is not None:
            context.append(f"HTTP {self.status}")
        if self.request_id:
            context.append(f"request id {self.request_id}")
        if context:
            parts.append(f"({', '.join(context)})")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(message={self.message!r}, code={self.code!r}, "
            f"status={self.status!r}, request_id={self.request_id!r})"
        )


class ConfigError(GraphportError):
    """The caller's code or configuration is wrong; nothing was sent."""

    status = 400
    code = "config_error"


class AuthError(GraphportError):
    """Authentication failed or is missing (HTTP 401)."""

    status = 401
    code = "not_authenticated"


class PermissionDenied(AuthError):
    """Authenticated, but not allowed to do this (HTTP 403)."""

    status = 403
    code = "permission_denied"


class NotFoundError(GraphportError):
    """No such resource, or the caller may not know that it exists (HTTP 404)."""

    status = 404
    code = "not_found"


class ValidationError(GraphportError):
    """The input is malformed or inconsistent (HTTP 400). ``errors`` lists the problems."""

    status = 400
    code = "invalid_input"


class PayloadTooLarge(ValidationError):
    """The request body is over the server's configured limit (HTTP 413)."""

    status = 413
    code = "payload_too_large"


class ConflictError(GraphportError):
    """The resource changed concurrently or already exists (HTTP 409)."""

    status = 409
    code = "conflict"


class ServerError(GraphportError):
    """The server failed while handling a valid request (HTTP 5xx)."""

    status = 500
    code = "server_error"


class TransportError(GraphportError):
    """The request got no answer: connection refused, reset or timed out."""

    status = 0
    code = "transport_error"

    def __init__(self, message: str, *, retryable: bool = True, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retryable = retryable
