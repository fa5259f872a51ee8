"""Blobs in an S3-compatible object store (AWS S3, SeaweedFS, MinIO...), through boto3.

URL form: ``s3://BUCKET[/PREFIX][?endpoint=http://host:port&region=R&access_key=K&secret_key=S]``.
Credentials default to boto3's standard chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
``~/.aws``, instance roles); ``access_key``/``secret_key`` in the URL win over it.

A blob is never visible half-written: S3 makes an object visible only when its single PUT, or the
``CompleteMultipartUpload`` of a multipart upload, succeeds. Blobs bigger than
``multipart_threshold`` go up in parts; a failure aborts the upload, so no parts linger. ``put``
returns only after the store acknowledged the object, so the metadata row that points at it is
committed after it is durable (DESIGN.md section 4). A crash in the middle of a multipart upload
leaves it open (parts stored, object invisible); :meth:`S3BlobStore.abort_stale_uploads`, called by
the server's recovery sweep, aborts old ones.
"""

from __future__ import annotations

import secrets
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import ConfigError
from ._staged import MemoryStagedBlob, StagedBlob

#: Blobs at least this big are uploaded as a multipart upload (S3 parts must be >= 5 MiB).
MULTIPART_THRESHOLD = 64 * 1024**2
PART_SIZE = 16 * 1024**2


_session_lock = threading.Lock()
_sessions: list[Any] = []


def _botocore() -> tuple[Any, Any, type[Exception]]:
    """One botocore session per process, shared by every store: building a client from a fresh
    session parses the S3 service model again (~0.5 s); from a warm one it takes ~10 ms."""
    try:
        import botocore.config
        import botocore.exceptions
        import botocore.session
    except ImportError:
        raise ConfigError(
            "An s3:// blob store needs boto3; install it with: pip install 'graphport[s3]'."
        ) from None
    with _session_lock:
        if not _sessions:
            _sessions.append(botocore.session.get_session())
        return _sessions[0], botocore.config, botocore.exceptions.ClientError


class S3BlobStore:
    """Blobs as objects ``PREFIX/KEY.arrow`` in one bucket. Thread-safe (one boto3 client).

    Parameters:
        bucket: the bucket name (it must exist).
        prefix: a key prefix, so several deployments can share a bucket.
        endpoint: the endpoint URL of an S3-compatible store; ``None`` means AWS.
        region, access_key, secret_key: optional; default to boto3's configuration chain.
        multipart_threshold, part_size: when and how big the parts of a multipart upload are.

    Example::

        store = S3BlobStore("graphport", prefix="prod", endpoint="http://127.0.0.1:8333")
        key = store.put(b"...")
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        endpoint: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        multipart_threshold: int = MULTIPART_THRESHOLD,
        part_size: int = PART_SIZE,
    ) -> None:
        session, botocore_config, self._client_error = _botocore()
        if not bucket:
            raise ConfigError("The S3 blob store needs a bucket name: s3://BUCKET/PREFIX.")
        if part_size < 5 * 1024**2:
            raise ConfigError(f"part_size is {part_size}; S3 needs parts of at least 5 MiB.")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        with _session_lock:  # botocore sessions are not thread-safe; the clients they make are
            self._client = session.create_client(
                "s3",
                endpoint_url=endpoint,
                region_name=region or None,
                aws_access_key_id=access_key,
                aws_secret_access_key=secret_key,
                config=botocore_config.Config(
                    max_pool_connections=64,
                    retries={"max_attempts": 5, "mode": "standard"},
                    s3={"addressing_style": "path"},
                ),
            )

    def __repr__(self) -> str:
        return f"<S3BlobStore s3://{self.bucket}/{self.prefix} endpoint={self.endpoint!r}>"

    def _object(self, key: str) -> str:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return f"{self.prefix}/{key}.arrow" if self.prefix else f"{key}.arrow"

    def put(self, data: bytes | memoryview | pa.Buffer) -> str:
        """Store ``data`` under a new key; returns once the object is durable and whole."""
        key = secrets.token_hex(16)
        name = self._object(key)
        view = memoryview(data).cast("B")
        if len(view) < self.multipart_threshold:
            self._client.put_object(Bucket=self.bucket, Key=name, Body=bytes(view))
            return key
        upload = self._client.create_multipart_upload(Bucket=self.bucket, Key=name)
        upload_id = upload["UploadId"]
        try:
            parts = []
            for number, start in enumerate(range(0, len(view), self.part_size), start=1):
                chunk = bytes(view[start : start + self.part_size])
                answer = self._client.upload_part(
                    Bucket=self.bucket, Key=name, UploadId=upload_id, PartNumber=number, Body=chunk
                )
                parts.append({"ETag": answer["ETag"], "PartNumber": number})
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=name, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=name, UploadId=upload_id)
            except Exception:  # the original error matters more; lifecycle rules reap leftovers
                pass
            raise
        return key

    def stage(self, size: int) -> StagedBlob:
        """A blob to receive piece by piece: kept in memory, stored by :meth:`put` at commit."""
        return MemoryStagedBlob(size, self.put)

    def get(self, key: str) -> pa.Buffer:
        """The whole object as a buffer; ``FileNotFoundError`` when there is none."""
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self._object(key))
        except self._client_error as exc:
            if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise FileNotFoundError(f"no blob {key!r} in {self!r}") from None
            raise
        return pa.py_buffer(answer["Body"].read())

    def local_path(self, key: str) -> Path | None:
        """Always ``None``: objects have no local file."""
        self._object(key)
        return None

    def delete(self, key: str) -> None:
        """Remove the object (no error when it is already gone)."""
        self._client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def keys(self) -> Iterator[str]:
        """Every stored key under the prefix (for audits and garbage collection)."""
        start = f"{self.prefix}/" if self.prefix else ""
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                name = item["Key"][len(start) :]
                if name.endswith(".arrow") and "/" not in name:
                    yield name[: -len(".arrow")]

    def keys_older_than(self, cutoff: float) -> Iterator[str]:
        """Keys whose object was written before ``cutoff`` (a ``time.time()`` value)."""
        start = f"{self.prefix}/" if self.prefix else ""
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for item in page.get("Contents", []):
                name = item["Key"][len(start) :]
                if name.endswith(".arrow") and "/" not in name and item["LastModified"].timestamp() < cutoff:
                    yield name[: -len(".arrow")]

    def reap_temporary(self, cutoff: float) -> int:
        """Nothing to reap: an object store has no temporary files (see abort_stale_uploads)."""
        return 0

    def abort_stale_uploads(self, cutoff: float) -> int:
        """Abort the multipart uploads under the prefix started before ``cutoff`` (left open by a
        crash); returns how many. Younger ones may be in progress and stay."""
        start = f"{self.prefix}/" if self.prefix else ""
        aborted = 0
        paginator = self._client.get_paginator("list_multipart_uploads")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=start):
            for upload in page.get("Uploads", []):
                if upload["Initiated"].timestamp() < cutoff:
                    self._client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    aborted += 1
        return aborted

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist (tests and first-run setup)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except self._client_error:
            self._client.create_bucket(Bucket=self.bucket)


def s3_store_from_url(url: str) -> S3BlobStore:
    """An :class:`S3BlobStore` from ``s3://bucket/prefix?endpoint=...&region=...``."""
    parsed = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    known = {"endpoint", "region", "access_key", "secret_key"}
    unknown = sorted(set(query) - known)
    if unknown:
        raise ConfigError(
            f"The S3 URL has unknown parameters {', '.join(unknown)}; expected some of "
            f"{', '.join(sorted(known))}, as in s3://bucket/prefix?endpoint=http://127.0.0.1:8333."
        )
    return S3BlobStore(
        parsed.netloc,
        parsed.path,
        endpoint=query.get("endpoint"),
        region=query.get("region"),
        access_key=query.get("access_key"),
        secret_key=query.get("secret_key"),
    )
