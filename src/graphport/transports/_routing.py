"""The route table: path templates, methods, and how each route reads its caller.

Templates name their parameters in braces: ``{dataset_id}`` matches one path segment,
``{kind:edges_or_nodes}`` only ``edges`` or ``nodes``, ``{path:path}`` the rest of the path. One
table serves every adapter and ``/openapi.json`` (``_openapi`` documents exactly these routes).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from ._http import Request, Response

if TYPE_CHECKING:
    from ..server import Principal
    from ._context import Context

#: How a route reads its caller: a credential it needs, may take, or never looks at.
Auth = Literal["required", "optional", "none"]
Handler = Callable[["Context", Request, "Principal | None"], Awaitable[Response]]

_PARAM = re.compile(r"{([a-z_]+)(?::([a-z_]+))?}")
_CONVERTERS = {"": "[^/]+", "edges_or_nodes": "edges|nodes", "path": ".*"}


@dataclass(frozen=True)
class Route:
    """One path and its methods, answered by ``handler``.

    ``v3`` names the REST v3 error shape its failures carry (see ``_errors.v3_shape``);
    ``cookie_ok`` lets a browser session cookie stand for a Bearer token (changes then also need
    the CSRF token and a same-site Origin)."""

    path: str
    handler: Handler
    methods: frozenset[str]
    auth: Auth = "required"
    cookie_ok: bool = False
    v3: str | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        regex, end = "", 0
        for match in _PARAM.finditer(self.path):
            regex += re.escape(self.path[end : match.start()])
            regex += f"(?P<{match.group(1)}>{_CONVERTERS[match.group(2) or '']})"
            end = match.end()
        regex += re.escape(self.path[end:])
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def template(self) -> str:
        """The path as OpenAPI writes it: ``{kind:edges_or_nodes}`` becomes ``{kind}``."""
        return _PARAM.sub(r"{\1}", self.path)

    @property
    def parameters(self) -> list[str]:
        return [m.group(1) for m in _PARAM.finditer(self.path)]

    @property
    def name(self) -> str:
        return getattr(self.handler, "__name__", self.path)


def route(
    path: str,
    handler: Handler,
    methods: Sequence[str] = ("GET",),
    *,
    auth: Auth = "required",
    cookie_ok: bool = False,
    v3: str | None = None,
) -> Route:
    return Route(path, handler, frozenset(methods), auth, cookie_ok, v3)


@dataclass(frozen=True)
class Match:
    """What the table found for a request: the route and its parameters, or the methods the
    path does take (empty: no route has this path)."""

    route: Route | None
    params: dict[str, str]
    allowed: frozenset[str]


class Router:
    """Routes tried in order; HEAD is answered by a GET route (without the body)."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)

    def match(self, method: str, path: str) -> Match:
        wanted = "GET" if method == "HEAD" else method
        allowed: set[str] = set()
        for candidate in self.routes:
            found = candidate.pattern.match(path)
            if found is None:
                continue
            if wanted in candidate.methods:
                return Match(candidate, found.groupdict(), frozenset())
            allowed |= candidate.methods
        if "GET" in allowed:
            allowed.add("HEAD")
        return Match(None, {}, frozenset(allowed))
