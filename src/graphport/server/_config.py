"""Server configuration: one frozen dataclass, and the one place that reads the environment."""

from __future__ import annotations

import dataclasses
import json
import os
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._wire import PRIVACY_MODES, UNSHARED_MODE
from ..errors import ConfigError

# Environment variables the server reads (and nothing else does). Documented in docs/config.md.
ENV_VARS = (
    "GRAPHPORT_DATA",
    "GRAPHPORT_DB",
    "GRAPHPORT_BLOBS",
    "GRAPHPORT_BUS",
    "GRAPHPORT_SECRET",
    "GRAPHPORT_NUM_CPUS",
    "GRAPHPORT_SSO_PROVIDERS",
)


@dataclasses.dataclass(frozen=True, repr=False)
class ServerConfig:
    """Everything a :class:`graphport.Server` needs to know, given to its constructor.

    Parameters:
        data: the data directory (SQLite file, blobs, generated secret). ``None`` makes a
            temporary directory that is removed when the server closes.
        db: a SQLAlchemy URL; default ``sqlite:///DATA/graphport.db``.
        blobs: where table files go; default the directory ``DATA/blobs``.
        bus: the live-update bus; default in-process.
        secret: the JWT signing key; default a random key kept in ``DATA/secret.key`` (mode 0600).
        token_ttl: lifetime of access tokens, in seconds.
        default_privacy: the privacy of datasets whose uploader never called ``privacy()``.
        max_upload_bytes: the largest request body accepted (larger gets HTTP 413).
        max_decompressed_bytes: the most one Arrow body may allocate when it is decompressed
            (LZ4/ZSTD buffer compression) and its dictionary columns decoded; checked from the
            declared lengths before anything is allocated (413 ``arrow_too_large``).
        max_decompression_ratio: past 64 MiB, an Arrow body may also declare at most this many
            times its own size once decompressed (a real table compresses far less than 100:1).
        max_live_columns: the most columns one live table (edges or nodes) may have.
        max_live_table_bytes: the most memory one live table's columns may take (capacity x row
            width, 8 bytes per row for text and other object columns); a write that would pass
            it gets 413 ``live_too_large`` and changes nothing.
        public_url: the base URL browsers use to reach this server, if it differs from the
            address the request came in on (used in URLs the server prints or returns, and
            accepted as a same-site ``Origin`` for browser changes and WebSocket upgrades).
        argon2_time_cost, argon2_memory_kib: the cost of hashing new passwords (argon2id;
            defaults are argon2-cffi's recommended profile). Lower them only for tests: a cheap
            hash makes stolen password hashes cheap to crack. Existing hashes keep their cost.
        login_failures_per_user: failed sign-ins allowed per username within
            ``login_failure_window`` seconds; past it, sign-ins for that name get 429 until the
            oldest failure leaves the window (0 disables).
        login_failures_per_address: the same, per client address (0 disables).
        login_failure_window: the sliding window of the two limits above, in seconds.
        max_concurrent_password_hashes: password hashes computed at once (each holds
            ``argon2_memory_kib`` of memory); more wait up to 10 s, then get 503 ``login_busy``.
        max_json_bytes: the largest JSON body accepted (413 beyond it; table uploads use
            ``max_upload_bytes``).
        max_anonymous_body_bytes: the largest body accepted from a caller without a credential
            (logins, token refresh and verify, the sign-in form), checked before any credential is.
        max_header_bytes: the largest total size of a request's headers (431 beyond it; ``serve``
            also gives it to uvicorn's HTTP parser).
        allowed_hosts: the host names this server answers to (``Host`` header; 400
            ``host_not_allowed`` otherwise, against DNS rebinding). ``None``: the loopback names and
            the host of ``public_url``; ``"*"`` allows any; ``".example.org"`` a domain and its
            subdomains.
        frame_ancestors: the CSP ``frame-ancestors`` of pages: who may frame them (``'self'``; e.g.
            ``"'self' https://dash.example.org"`` to embed the viewer in another site).
        graph_wait_seconds: how long a read of a graph's nodes waits (without holding a thread)
            for a layout in progress before answering 503 ``graph_pending`` with ``Retry-After``.
        build_queue_limit: graph builds that may wait in this process, over all tenants; past it a
            read that needs a build gets 503 ``server_busy`` with ``Retry-After``.
        build_queue_per_tenant: graph builds one tenant (a dataset's owner) may have waiting.
        small_graph_edges: graphs with at most this many edge rows are "small": they are built
            first, and big ones never hold every build slot (so a small one never waits behind
            big ones).
        recovery_interval: seconds between crash-recovery sweeps (also run at start-up; 0: only
            at start-up, negative: never).
        orphan_grace: age in seconds past which a blob that no dataset or file names, or a
            temporary file left in the blob directory, is deleted by the sweep.
        pending_dataset_ttl: age in seconds past which a dataset still ``pending`` (created, its
            edges never uploaded) is deleted by the sweep.
        multipart_upload_ttl: age in seconds past which an unfinished S3 multipart upload under
            the blob prefix is aborted by the sweep.
        live_durability: what an acknowledged live write survives. ``"acknowledged"``: it is in
            the live write-ahead log (``DATA/live-log``) before the answer, so a crash of the
            server process loses nothing; ``"synced"``: the log is also fsynced before the answer
            (survives a power cut; costs an fsync per group of concurrent writes);
            ``"interval"``: no log, a crash loses up to ~1 s of acknowledged live writes.
        sso_providers: OpenID Connect identity providers for single sign-on, each a mapping with
            ``name``, ``issuer``, ``client_id``, ``client_secret`` and optionally ``org``,
            ``display_name``, ``allowed_domains``, ``username_claim``, ``scopes`` (docs/sso.md);
            from the environment: ``GRAPHPORT_SSO_PROVIDERS``, a JSON list of such objects.
        sso_state_ttl: seconds a single sign-on may take, from its start to the provider's answer
            (and, for the official client, to its poll); later gets 400 ``sso_state_expired``.
        sso_recheck_interval: at most this often (seconds) a token refresh asks the provider
            whether an SSO account still works (needs a provider refresh token: ``offline_access``).
        sso_http_timeout: seconds graphport waits for an identity provider's answer.
        sso_poll_wait: how long the official client's token poll is held open (seconds, without
            holding a thread) while the browser has not finished signing in: graphistry 0.61.2
            gives up on the first "pending" answer, so its one poll waits for the sign-in (50 s:
            that client's default ``sso_timeout``, and under the usual 60 s proxy idle timeout).
    """

    data: Path | None = None
    db: str | None = None
    blobs: str | None = None
    bus: str | None = None
    secret: str | None = dataclasses.field(default=None, repr=False)  # never in logs or tracebacks
    token_ttl: int = 3600
    default_privacy: str = UNSHARED_MODE
    max_upload_bytes: int = 8 * 1024**3
    max_decompressed_bytes: int = 2 * 1024**3
    max_decompression_ratio: int = 100
    max_live_columns: int = 256
    max_live_table_bytes: int = 2 * 1024**3
    public_url: str | None = None
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    max_json_bytes: int = 1024**2
    max_anonymous_body_bytes: int = 16 * 1024
    max_header_bytes: int = 32 * 1024
    allowed_hosts: tuple[str, ...] | None = None
    frame_ancestors: str = "'self'"
    graph_wait_seconds: float = 30.0
    login_failures_per_user: int = 10
    login_failures_per_address: int = 50
    login_failure_window: float = 300.0
    max_concurrent_password_hashes: int = 4
    build_queue_limit: int = 1000
    build_queue_per_tenant: int = 100
    small_graph_edges: int = 100_000
    recovery_interval: float = 3600.0
    orphan_grace: float = 3600.0
    pending_dataset_ttl: float = 86400.0
    multipart_upload_ttl: float = 86400.0
    live_durability: str = "acknowledged"
    # Not in repr: the mappings hold client secrets (the providers' describe() shows them safely).
    sso_providers: tuple[Mapping[str, Any], ...] = dataclasses.field(default=(), repr=False)
    sso_state_ttl: float = 600.0
    sso_recheck_interval: float = 300.0
    sso_http_timeout: float = 10.0
    sso_poll_wait: float = 50.0

    def __repr__(self) -> str:
        """The settings, with passwords in the service URLs masked (``postgresql://u:***@h/db``);
        ``secret`` and the SSO providers are left out."""
        shown = (f for f in dataclasses.fields(self) if f.repr)
        parts = (f"{f.name}={_masked(getattr(self, f.name))!r}" for f in shown)
        return f"ServerConfig({', '.join(parts)})"

    def __post_init__(self) -> None:
        if self.default_privacy not in PRIVACY_MODES:
            raise ConfigError(
                f"default_privacy is {self.default_privacy!r}; expected one of {', '.join(PRIVACY_MODES)}."
            )
        if self.secret is not None and len(self.secret) < 32:
            raise ConfigError(
                f"The JWT secret has {len(self.secret)} characters; use at least 32 random characters "
                "(or leave GRAPHPORT_SECRET unset to have one generated into the data directory)."
            )
        if self.argon2_time_cost < 1 or self.argon2_memory_kib < 64:
            raise ConfigError(
                f"argon2_time_cost is {self.argon2_time_cost} and argon2_memory_kib is "
                f"{self.argon2_memory_kib}; expected at least 1 and 64."
            )
        if self.max_concurrent_password_hashes < 1 or self.login_failure_window <= 0:
            raise ConfigError(
                f"max_concurrent_password_hashes is {self.max_concurrent_password_hashes} and "
                f"login_failure_window is {self.login_failure_window}; both must be positive."
            )
        if self.token_ttl <= 0:
            raise ConfigError(f"token_ttl is {self.token_ttl}; it must be a positive number of seconds.")
        if self.max_upload_bytes <= 0:
            raise ConfigError(f"max_upload_bytes is {self.max_upload_bytes}; it must be positive.")
        arrow_limits = ("max_decompressed_bytes", "max_decompression_ratio")
        for name in (*arrow_limits, "max_live_columns", "max_live_table_bytes"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be a positive integer.")
        for name in ("max_json_bytes", "max_anonymous_body_bytes", "max_header_bytes"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be a positive number of bytes.")
        if isinstance(self.allowed_hosts, str):
            raise ConfigError(
                f"allowed_hosts is the string {self.allowed_hosts!r}; give a tuple of host names, "
                f"e.g. ({self.allowed_hosts!r},)."
            )
        if any(c in self.frame_ancestors for c in ";,\r\n"):
            raise ConfigError(
                f"frame_ancestors is {self.frame_ancestors!r}; give CSP sources separated by spaces "
                "(e.g. \"'self' https://dash.example.org\"), without ';' or ','."
            )
        if self.graph_wait_seconds < 0:
            raise ConfigError(f"graph_wait_seconds is {self.graph_wait_seconds}; it must be 0 or more.")
        for name in ("build_queue_limit", "build_queue_per_tenant", "small_graph_edges"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be a positive integer.")
        for name in ("orphan_grace", "pending_dataset_ttl", "multipart_upload_ttl"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} is {getattr(self, name)}; it must be 0 or more seconds.")
        if self.sso_poll_wait < 0:
            raise ConfigError(f"sso_poll_wait is {self.sso_poll_wait}; it must be 0 or more seconds.")
        if self.sso_state_ttl <= 0 or self.sso_http_timeout <= 0 or self.sso_recheck_interval < 0:
            raise ConfigError(
                f"sso_state_ttl is {self.sso_state_ttl}, sso_http_timeout {self.sso_http_timeout} and "
                f"sso_recheck_interval {self.sso_recheck_interval}; the first two must be positive, the "
                "last 0 or more seconds."
            )
        if isinstance(self.sso_providers, Mapping | str):
            raise ConfigError("sso_providers is a sequence of provider mappings (docs/sso.md), not one.")
        if self.live_durability not in ("acknowledged", "synced", "interval"):
            raise ConfigError(
                f"live_durability is {self.live_durability!r}; expected 'acknowledged' (the default), "
                "'synced' or 'interval'."
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> ServerConfig:
        """Build a config from ``GRAPHPORT_*`` variables; explicit ``overrides`` win when not None."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        if env.get("GRAPHPORT_DATA"):
            values["data"] = Path(env["GRAPHPORT_DATA"])
        for field, var in (
            ("db", "GRAPHPORT_DB"),
            ("blobs", "GRAPHPORT_BLOBS"),
            ("bus", "GRAPHPORT_BUS"),
            ("secret", "GRAPHPORT_SECRET"),
        ):
            if env.get(var):
                values[field] = env[var]
        if env.get("GRAPHPORT_SSO_PROVIDERS"):
            try:
                providers = json.loads(env["GRAPHPORT_SSO_PROVIDERS"])
            except ValueError as exc:
                raise ConfigError(f"GRAPHPORT_SSO_PROVIDERS is not JSON ({exc}); see docs/sso.md.") from None
            if not isinstance(providers, list):
                raise ConfigError(
                    "GRAPHPORT_SSO_PROVIDERS must be a JSON list of provider objects (docs/sso.md)."
                )
            values["sso_providers"] = tuple(providers)
        for key, value in overrides.items():
            if value is not None:
                values[key] = Path(value) if key == "data" and isinstance(value, str) else value
        return cls(**values)  # type: ignore[arg-type]


def num_cpus_from_env(environ: Mapping[str, str] | None = None) -> int:
    """``GRAPHPORT_NUM_CPUS``, else ``OMP_NUM_THREADS``, else the number of cores."""
    env = os.environ if environ is None else environ
    for var in ("GRAPHPORT_NUM_CPUS", "OMP_NUM_THREADS"):
        raw = env.get(var)
        if raw:
            try:
                value = int(raw)
            except ValueError:
                raise ConfigError(f"{var} has value {raw!r}; expected a positive integer.") from None
            if value < 1:
                raise ConfigError(f"{var} has value {raw!r}; expected a positive integer.")
            return value
    return os.cpu_count() or 1


def _masked(value: Any) -> Any:
    """A URL with its password and any ``secret_key``/``password`` query value replaced by
    ``***``; anything else (and a URL with neither) exactly as it is."""
    if not isinstance(value, str) or "://" not in value:
        return value
    parts = urllib.parse.urlsplit(value)
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    if parts.password is None and not any(k.lower() in _SECRET_QUERY_KEYS for k, _ in query):
        return value
    if parts.password is not None:
        host = parts.netloc.rpartition("@")[2]
        parts = parts._replace(netloc=f"{parts.username or ''}:***@{host}")
    masked = [(k, "***" if k.lower() in _SECRET_QUERY_KEYS else v) for k, v in query]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(masked, safe="*:/")))


_SECRET_QUERY_KEYS = frozenset({"secret_key", "password", "sslpassword"})
