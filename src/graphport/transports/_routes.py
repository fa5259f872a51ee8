"""Every route of graphport's HTTP API, in the order they are tried (the one table all three
adapters and ``/openapi.json`` use)."""

from __future__ import annotations

from ._openapi import openapi_route
from ._routes_accounts import account_routes
from ._routes_api import api_routes
from ._routes_layout import layout_routes
from ._routes_live import live_routes
from ._routes_pages import page_routes
from ._routes_sso import sso_routes
from ._routes_v3 import v3_routes
from ._routing import Route


def all_routes() -> list[Route]:
    return [
        *v3_routes(),
        *sso_routes(),
        *api_routes(),
        *layout_routes(),
        *account_routes(),
        *live_routes(),
        openapi_route(),
        *page_routes(),
    ]
