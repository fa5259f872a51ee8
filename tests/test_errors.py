"""graphport.errors: the tree its docstring draws, the defaults each class carries, and what its
messages show (context, never secrets)."""

from __future__ import annotations

import re

import pytest

import graphport.errors as errors
from graphport.errors import (
    AuthError,
    ConfigError,
    ConflictError,
    GraphportError,
    NotFoundError,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    TransportError,
    ValidationError,
)

DEFAULTS = {
    GraphportError: (500, "error"),
    ConfigError: (400, "config_error"),
    AuthError: (401, "not_authenticated"),
    PermissionDenied: (403, "permission_denied"),
    NotFoundError: (404, "not_found"),
    ValidationError: (400, "invalid_input"),
    PayloadTooLarge: (413, "payload_too_large"),
    ConflictError: (409, "conflict"),
    ServerError: (500, "server_error"),
    TransportError: (0, "transport_error"),
}


def drawn_tree() -> dict[str, str]:
    """Each class in the module docstring's tree, with the class drawn as its parent."""
    doc = errors.__doc__ or ""
    parents: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in doc.splitlines():
        match = re.match(r"^(\s*(?:[│ ]\s*)*)(?:├── |└── )?([A-Z][A-Za-z]+)\s{2,}", line)
        if not match or match.group(2) not in errors.__all__:
            continue
        depth = len(match.group(1)) + (4 if ("├" in line or "└" in line) else 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group(2)] = stack[-1][1] if stack else ""
        stack.append((depth, match.group(2)))
    return parents


def test_the_docstring_draws_the_real_tree() -> None:
    parents = drawn_tree()
    assert set(parents) == set(errors.__all__)
    for name, parent in parents.items():
        cls = getattr(errors, name)
        assert cls.__bases__[0].__name__ == (parent or "Exception"), name


@pytest.mark.parametrize("cls", list(DEFAULTS), ids=lambda c: c.__name__)
def test_defaults_and_overrides(cls: type[GraphportError]) -> None:
    error = cls("Something is wrong; do this.")
    assert (error.status, error.code) == DEFAULTS[cls]
    assert error.errors == [] and error.request_id is None and error.url is None
    assert str(error) == "Something is wrong; do this."
    custom = cls("m", code="special", status=418, errors=[{"field": "f", "message": "bad"}])
    assert (custom.status, custom.code, custom.errors) == (418, "special", [{"field": "f", "message": "bad"}])
    assert cls("m").code == DEFAULTS[cls][1]  # an override changes that instance only


def test_http_context_is_in_the_message() -> None:
    error = NotFoundError("No dataset 'x'.", request_id="req-1", url="http://h/api/v2/datasets/x")
    assert str(error) == "No dataset 'x'. (http://h/api/v2/datasets/x, HTTP 404, request id req-1)"
    assert str(ServerError("Boom.", url="http://h/")) == "Boom. (http://h/)"
    assert repr(error) == (
        "NotFoundError(message=\"No dataset 'x'.\", code='not_found', status=404, request_id='req-1')"
    )


def test_errors_given_are_copied() -> None:
    given = [{"field": "a", "message": "b"}]
    error = ValidationError("m", errors=given)
    given.append({"field": "c", "message": "d"})
    assert len(error.errors) == 1


def test_transport_errors_say_whether_a_retry_may_help() -> None:
    assert TransportError("Connection refused.").retryable is True
    assert TransportError("TLS failed.", retryable=False, url="https://h/").retryable is False


def test_catching_broadly_or_narrowly() -> None:
    with pytest.raises(AuthError):
        raise PermissionDenied("Not a member of 'acme'.")
    with pytest.raises(ValidationError):
        raise PayloadTooLarge("Over 8 GiB.")
    assert all(issubclass(getattr(errors, name), GraphportError) for name in errors.__all__)
    assert errors.__all__ == sorted(errors.__all__)
