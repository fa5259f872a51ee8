"""Storage: the metadata database, blob stores and the live-update bus. Only ``server`` imports this."""

from ._blobs import BlobStore, LocalBlobStore, open_blob_store
from ._bus import Bus, InProcessBus, RedisBus, open_bus
from ._database import Database, sqlite_url
from ._staged import StagedBlob

__all__ = [
    "BlobStore",
    "Bus",
    "Database",
    "InProcessBus",
    "LocalBlobStore",
    "RedisBus",
    "StagedBlob",
    "open_blob_store",
    "open_bus",
    "sqlite_url",
]
