"""The embeddable, thread-safe engine. No web framework in here (transports adapt it)."""

from ._config import ServerConfig
from ._core import Server
from ._poll_batcher import PollBatcher
from ._pool import get_num_cpus, set_num_cpus
from ._principal import Principal

__all__ = ["PollBatcher", "Principal", "Server", "ServerConfig", "get_num_cpus", "set_num_cpus"]
