"""Storage: the metadata database, blob stores and (later) the live-update bus. Only ``server`` imports this."""

from ._blobs import BlobStore, LocalBlobStore, open_blob_store
from ._database import Database, sqlite_url

__all__ = ["BlobStore", "Database", "LocalBlobStore", "open_blob_store", "sqlite_url"]
