"""graphport: an open, self-hosted visual graph hub.

Example::

    import graphport
    g = graphport.client()
    g.register(api=3, protocol="http", server="127.0.0.1:8080", username="alice", password="correct horse")
    url = g.edges(df, "src", "dst").plot(render=False)
"""

from ._embedded import Server
from ._version import __version__
from .client import (
    AsyncClient,
    AsyncPlottable,
    Client,
    Dataset,
    Plottable,
    PrivacySettings,
    bind,
    client,
    edges,
    nodes,
    privacy,
    register,
    set_client_for,
)
from .errors import (
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
from .server import ServerConfig, get_num_cpus, set_num_cpus

__all__ = [
    "AsyncClient",
    "AsyncPlottable",
    "AuthError",
    "Client",
    "ConfigError",
    "ConflictError",
    "Dataset",
    "GraphportError",
    "NotFoundError",
    "PayloadTooLarge",
    "PermissionDenied",
    "Plottable",
    "PrivacySettings",
    "Server",
    "ServerConfig",
    "ServerError",
    "TransportError",
    "ValidationError",
    "__version__",
    "bind",
    "client",
    "edges",
    "get_num_cpus",
    "nodes",
    "privacy",
    "register",
    "set_client_for",
    "set_num_cpus",
]
