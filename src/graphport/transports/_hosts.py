"""Which ``Host`` a server answers to (against DNS rebinding), for every transport: framework-free.

A page of an attacker's site whose name resolves to 127.0.0.1 reaches a loopback server with the
attacker's name in ``Host``; answering only to known names makes that page see an error instead of
the API. The ASGI app checks in a middleware, Tornado and aiohttp before any handler works.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..errors import GraphportError
from ..server import ServerConfig

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


def allowed_hosts(config: ServerConfig) -> frozenset[str]:
    """The host names this server answers to: ``allowed_hosts``, or by default the loopback
    names and the host of ``public_url``. ``*`` allows any; ``.example.org`` a domain and its
    subdomains."""
    if config.allowed_hosts is not None:
        names = set(config.allowed_hosts)
    else:
        names = set(LOOPBACK_HOSTS)
        if config.public_url:
            names.add(urlsplit(config.public_url).hostname or "")
    return frozenset(n.lower().strip("[]") for n in names if n)


def host_name(host: str) -> str:
    """The name part of a Host header (no port; IPv6 brackets removed), lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host


def host_allowed(host: str, allowed: frozenset[str], server_host: str | None) -> bool:
    if "*" in allowed:
        return True
    name = host_name(host)
    if name in allowed or any(a.startswith(".") and (name.endswith(a) or name == a[1:]) for a in allowed):
        return True
    # The address the connection arrived on (an IP literal for real sockets: no DNS name an
    # attacker controls; the base URL's host for in-process transports such as httpx's).
    return server_host is not None and name == server_host.lower().strip("[]")


def host_problem(host: str | None, allowed: frozenset[str], server_host: str | None) -> GraphportError | None:
    """The 400 ``host_not_allowed`` for a ``Host`` header this server does not answer to, else None.
    A request without a Host header (HTTP/1.0 tools) passes; browsers always send one."""
    if host is None or host_allowed(host, allowed, server_host):
        return None
    return GraphportError(
        f"This server does not answer to the host {host[:100]!r}; reach it by an allowed name, or "
        "add the name to the server setting allowed_hosts.",
        code="host_not_allowed",
        status=400,
    )
