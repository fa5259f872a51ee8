"""graphport's own request and response: what every route handler sees, whatever the framework.

The three adapters (``asgi``, ``tornado``, ``aiohttp``) translate their framework's request into a
:class:`Request` and write a :class:`Response` back; nothing below them imports a web framework.
This is Perspective's pattern (one framework-free handler core, thin per-framework wrappers),
extended from its WebSocket to the whole REST API.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from ..errors import ValidationError


class Headers(Mapping[str, str]):
    """Request headers, case-insensitive. A repeated header reads as its values joined by
    ``", "`` (RFC 9110 5.3); ``size`` counts the characters of every name and value received."""

    def __init__(self, items: Iterable[tuple[str, str]]) -> None:
        self._items = list(items)
        joined: dict[str, str] = {}
        for name, value in self._items:
            key = name.lower()
            if key in joined:  # cookies split over several headers (HTTP/2) join with "; "
                joined[key] += ("; " if key == "cookie" else ", ") + value
            else:
                joined[key] = value
        self._joined = joined

    def __getitem__(self, name: str) -> str:
        return self._joined[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._joined

    def __iter__(self) -> Iterator[str]:
        return iter(self._joined)

    def __len__(self) -> int:
        return len(self._joined)

    def getlist(self, name: str) -> list[str]:
        """Every value of a header, as received."""
        return [v for n, v in self._items if n.lower() == name.lower()]

    @property
    def size(self) -> int:
        return sum(len(n) + len(v) for n, v in self._items)


class QueryParams(Mapping[str, str]):
    """The query string's parameters; ``get`` answers the last value of a repeated name,
    ``getlist`` all of them in order."""

    def __init__(self, query_string: str) -> None:
        self._pairs = parse_qsl(query_string, keep_blank_values=True)
        self._last = dict(self._pairs)

    def __getitem__(self, name: str) -> str:
        return self._last[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._last)

    def __len__(self) -> int:
        return len(self._last)

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self._pairs if k == name]


def parse_cookies(header: str) -> dict[str, str]:
    """The ``Cookie`` header's pairs, leniently (as browsers send them: no quoting rules)."""
    cookies: dict[str, str] = {}
    for chunk in header.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            continue
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        cookies.setdefault(name, value)
    return cookies


@dataclass
class Request:
    """One HTTP request as the handlers see it.

    ``path`` is percent-decoded and canonical (see ``_app.canonical_path``); ``body`` yields the
    body in chunks as the adapter receives them (read it through ``_context.read_body``, which
    enforces the limits); ``server_host`` is the address the connection arrived on (for the Host
    rule), ``client_host`` the peer's."""

    method: str
    path: str
    query_string: str
    headers: Headers
    body: Callable[[], AsyncIterator[bytes]]
    scheme: str = "http"
    client_host: str | None = None
    server_host: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    request_id: str = ""
    authenticated: bool = False

    def __post_init__(self) -> None:
        self.query_params = QueryParams(self.query_string)
        self.cookies = parse_cookies(self.headers.get("cookie", ""))

    @property
    def is_websocket(self) -> bool:
        return self.headers.get("upgrade", "").lower() == "websocket"

    def stream(self) -> AsyncIterator[bytes]:
        return self.body()

    @property
    def full_path(self) -> str:
        """The path with its query string, as the browser asked for it."""
        return self.path + ("?" + self.query_string if self.query_string else "")


async def no_body() -> AsyncIterator[bytes]:
    """The body of a request that has none (WebSocket upgrades, adapters' GETs)."""
    return
    yield b""  # pragma: no cover - makes this an async generator


def body_of(data: bytes) -> Callable[[], AsyncIterator[bytes]]:
    """A body already in memory (Tornado buffers bodies), as the chunk stream handlers read."""

    async def chunks() -> AsyncIterator[bytes]:
        if data:
            yield data

    return chunks


def client_went_away() -> ValidationError:
    """What an adapter's body stream raises when the client disconnects before the body ended.
    The stream must not just end there: a route would read the bytes that came as the whole body,
    and an Arrow stream cut at a batch boundary is a valid, shorter table (uvicorn: a v3 upload of
    1,000 rows cut after its first batch was stored with 500, #16)."""
    return ValidationError(
        "The client went away before its request body ended (truncated upload?); nothing was stored.",
        code="truncated_body",
    )


JSON_MEDIA_TYPE = "application/json"
HTML_MEDIA_TYPE = "text/html; charset=utf-8"


class Response:
    """A status, headers (a list: ``Set-Cookie`` may repeat) and a body: bytes, or ``chunks``
    (an async iterator the adapter writes as it comes, for large tables)."""

    def __init__(
        self,
        body: bytes = b"",
        *,
        status: int = 200,
        media_type: str | None = None,
        headers: Mapping[str, str] | None = None,
        chunks: AsyncIterator[bytes] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.chunks = chunks
        self.headers: list[tuple[str, str]] = list((headers or {}).items())
        if media_type is not None and not self.has_header("content-type"):
            self.headers.append(("Content-Type", media_type))
        if chunks is None and status not in (204, 304) and not self.has_header("content-length"):
            self.headers.append(("Content-Length", str(len(body))))

    def has_header(self, name: str) -> bool:
        return any(n.lower() == name.lower() for n, _ in self.headers)

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)

    def set_header(self, name: str, value: str) -> None:
        self.headers = [(n, v) for n, v in self.headers if n.lower() != name.lower()]
        self.headers.append((name, value))

    def set_cookie(
        self,
        name: str,
        value: str,
        *,
        max_age: int | None = None,
        path: str = "/",
        httponly: bool = False,
        samesite: str = "lax",
        secure: bool = False,
        expires: str | None = None,
    ) -> None:
        cookie: SimpleCookie = SimpleCookie()
        cookie[name] = value
        morsel = cookie[name]
        morsel["path"] = path
        morsel["samesite"] = samesite
        if max_age is not None:
            morsel["max-age"] = max_age
        if expires is not None:
            morsel["expires"] = expires
        if httponly:
            morsel["httponly"] = True
        if secure:
            morsel["secure"] = True
        self.headers.append(("Set-Cookie", morsel.OutputString()))

    def delete_cookie(self, name: str, *, path: str = "/") -> None:
        self.set_cookie(name, "", max_age=0, path=path, expires="Thu, 01 Jan 1970 00:00:00 GMT")


def json_response(content: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
    return Response(body, status=status, media_type=JSON_MEDIA_TYPE, headers=headers)


def html_response(text: str, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(text.encode(), status=status, media_type=HTML_MEDIA_TYPE, headers=headers)


def redirect(location: str, status: int = 303, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status=status, headers={**(headers or {}), "Location": location})
