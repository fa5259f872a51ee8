"""The graphport Python client. Never imports the server side (an import-linter contract).

Example::

    import graphport
    g = graphport.client()
    g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="pw")
    url = g.edges(df, "src", "dst").plot(render=False)
"""

from __future__ import annotations

from ._async import AsyncClient
from ._client import Client, client
from ._dataset import Dataset
from ._default import bind, default_client, edges, nodes, privacy, register, set_client_for
from ._plottable import AsyncPlottable, Plottable
from ._session import ClientSession, PrivacySettings

__all__ = [
    "AsyncClient",
    "AsyncPlottable",
    "Client",
    "ClientSession",
    "Dataset",
    "Plottable",
    "PrivacySettings",
    "bind",
    "client",
    "default_client",
    "edges",
    "nodes",
    "privacy",
    "register",
    "set_client_for",
]
