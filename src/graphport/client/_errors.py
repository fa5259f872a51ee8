"""Turn HTTP answers and network failures into the one exception tree of :mod:`graphport.errors`.

Every error names the action, the route (method and path), the HTTP status, the server's message
and its request id (the ``x-request-id`` header, else ``request_id`` in the JSON body). Request
headers are never quoted, so tokens and key secrets cannot leak into messages.
"""

from __future__ import annotations

from typing import Any

import httpx

from ..errors import (
    AuthError,
    ConflictError,
    GraphportError,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    TransportError,
    ValidationError,
)

_BY_STATUS: dict[int, type[GraphportError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLarge,
    422: ValidationError,
}

_HINTS: dict[type[GraphportError], str] = {
    AuthError: "Sign in again with register(...) or check the credentials.",
    PermissionDenied: "The signed-in user is not allowed to do this; check org membership and sharing.",
    PayloadTooLarge: "Upload less data, or raise the server's limit (graphport serve --max-upload-bytes).",
    ServerError: "This is a server bug or outage; report it with the request id.",
}


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or ``None`` when there is none or it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def route_of(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.path}"


def _server_message(response: httpx.Response, body: Any) -> str:
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        nfe = body.get("non_field_errors")
        if isinstance(nfe, list) and nfe:
            return "; ".join(str(v) for v in nfe)
    text = response.text.strip().replace("\n", " ")
    if not text:
        return "(empty body)"
    return text[:200] + ("…" if len(text) > 200 else "")


def error_from_response(
    response: httpx.Response, action: str, *, reason: str | None = None
) -> GraphportError:
    """The exception for a failed (or malformed) answer to ``action``.

    ``reason`` replaces the server's message when the status was fine but the body was not.
    """
    body = json_body(response)
    status = response.status_code
    if reason is None:
        cls = _BY_STATUS.get(status, ServerError if status >= 500 else GraphportError)
        what = f"answered HTTP {status}: {_server_message(response, body)}"
    else:
        cls = ServerError
        what = f"answered HTTP {status} but {reason}"
    request_id = response.headers.get("x-request-id")
    code = None
    errors: list[dict[str, Any]] = []
    if isinstance(body, dict):
        if not request_id and isinstance(body.get("request_id"), str):
            request_id = body["request_id"]
        if isinstance(body.get("code"), str):
            code = body["code"]
        if isinstance(body.get("errors"), list):
            errors = [e for e in body["errors"] if isinstance(e, dict)]
    message = f"{action} failed: {route_of(response)} {what}"
    if not message.endswith("."):
        message += "."
    hint = _HINTS.get(cls)
    if hint:
        message += " " + hint
    url = str(response.request.url.copy_with(query=None))
    return cls(message, code=code, status=status, errors=errors, request_id=request_id or "", url=url)


def raise_for_status(response: httpx.Response, action: str) -> Any:
    """The JSON body of a successful answer; the mapped exception otherwise."""
    if response.status_code >= 400:
        raise error_from_response(response, action)
    body = json_body(response)
    if not isinstance(body, dict):
        raise error_from_response(response, action, reason="its body is not a JSON object")
    return body


def transport_error(exc: httpx.TransportError, method: str, url: httpx.URL, action: str) -> TransportError:
    retryable = isinstance(exc, httpx.ConnectError | httpx.TimeoutException | httpx.RemoteProtocolError)
    target = str(url.copy_with(query=None))
    return TransportError(
        f"{action} failed: {method} {target} got no answer ({type(exc).__name__}: {exc}). "
        "Check that the server address is right and the server is running.",
        retryable=retryable,
        url=target,
    )
