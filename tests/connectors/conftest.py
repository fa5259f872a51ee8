"""The client tests' fixtures (a module-scoped real server with alice and bob), reused here."""

from ..client.conftest import alice_client, counting, hub

__all__ = ["alice_client", "counting", "hub"]
