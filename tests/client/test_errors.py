"""``client/_errors``: HTTP answers and network failures become graphport's one exception tree,
each naming the action, the route, the status, the server's message and the request id, and
never quoting a credential."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from graphport.client._errors import error_from_response, raise_for_status, transport_error
from graphport.errors import (
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

URL = "http://hub.example/api/v2/datasets/abc?token=secret-in-query"


def answer(
    status: int, body: Any = None, *, text: str | None = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    request = httpx.Request("POST", URL, headers={"Authorization": "Bearer very-secret"})
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=request)
    return httpx.Response(status, json=body, headers=headers, request=request)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFoundError),
        (409, ConflictError),
        (413, PayloadTooLarge),
        (422, ValidationError),
        (429, GraphportError),
        (500, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_maps_to_its_exception(status: int, kind: type[GraphportError]) -> None:
    error = error_from_response(answer(status, {"error": "no", "code": "some_code"}), "Plot")
    assert type(error) is kind
    assert (error.status, error.code) == (status, "some_code")


def test_the_message_names_action_route_status_server_message_and_request_id() -> None:
    body = {"error": "The edges have no column 'src'.", "code": "missing_column", "request_id": "r-body"}
    body["errors"] = [{"field": "src", "message": "missing"}, "not a dict"]
    error = error_from_response(answer(400, body, headers={"x-request-id": "r-header"}), "Upload edges")
    assert error.message.startswith("Upload edges failed: POST /api/v2/datasets/abc answered HTTP 400: ")
    assert "The edges have no column 'src'." in error.message
    assert error.request_id == "r-header"  # the header wins over the body
    assert error.errors == [{"field": "src", "message": "missing"}]
    assert error.url == "http://hub.example/api/v2/datasets/abc"  # no query: it may hold a token
    assert "very-secret" not in str(error) and "secret-in-query" not in str(error)


def test_hints_say_what_to_do_next() -> None:
    assert "register(" in error_from_response(answer(401, {"error": "expired"}), "Plot").message
    assert "request id" in error_from_response(answer(500, {"error": "boom"}), "Plot").message


@pytest.mark.parametrize(
    ("body", "text", "says"),
    [
        ({"message": "from message"}, None, "from message"),
        ({"detail": "from detail"}, None, "from detail"),
        ({"non_field_errors": ["one", "two"]}, None, "one; two"),
        (None, "", "(empty body)"),
        (None, "plain\ntext answer", "plain text answer"),
        (None, "x" * 500, "x" * 200 + "…"),
    ],
)
def test_the_servers_message_is_found_wherever_it_is(body: Any, text: str | None, says: str) -> None:
    response = answer(502, body, text=text) if text is not None else answer(502, body)
    assert says in error_from_response(response, "Plot").message


def test_a_success_without_a_json_object_is_a_server_error() -> None:
    assert raise_for_status(answer(200, {"ok": True}), "Plot") == {"ok": True}
    for response in (answer(200, ["a list"]), answer(200, text="<html>")):
        with pytest.raises(ServerError) as caught:
            raise_for_status(response, "Plot")
        assert "its body is not a JSON object" in caught.value.message
    with pytest.raises(NotFoundError):
        raise_for_status(answer(404, {"error": "gone"}), "Plot")


@pytest.mark.parametrize(
    ("exc", "retryable"),
    [
        (httpx.ConnectError("refused"), True),
        (httpx.ReadTimeout("slow"), True),
        (httpx.RemoteProtocolError("cut"), True),
        (httpx.UnsupportedProtocol("ftp"), False),
    ],
)
def test_network_failures_say_whether_to_retry(exc: httpx.TransportError, retryable: bool) -> None:
    error = transport_error(exc, "GET", httpx.URL(URL), "Read nodes")
    assert isinstance(error, TransportError) and error.retryable is retryable
    assert error.message.startswith(
        "Read nodes failed: GET http://hub.example/api/v2/datasets/abc got no answer"
    )
    assert "secret-in-query" not in error.message and "server is running" in error.message
