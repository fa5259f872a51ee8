"""The embeddable, thread-safe engine. No web framework in here (transports adapt it)."""

from ._accounts import Principal
from ._config import ServerConfig
from ._core import Server
from ._pool import get_num_cpus, set_num_cpus

__all__ = ["Principal", "Server", "ServerConfig", "get_num_cpus", "set_num_cpus"]
