"""Plain session data: where a client talks to, as whom, with which token, org and privacy.

One :class:`ClientSession` is made by each ``register()``; a plottable keeps the session it was
made with, so a later ``register()`` on the same client does not re-point older plottables.
Secrets (passwords, key secrets, tokens) live in small holders whose ``repr`` shows at most the
last four characters.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
import time
from collections.abc import Sequence
from typing import Any

from .._wire import DEFAULT_MODE, PRIVACY_MODE_ALIASES, default_mode_action
from .._wire import PRIVACY_MODES as _MODES
from .connectors import ConnectorState

#: The modes ``privacy(mode=...)`` accepts: the wire's modes and their aliases (``org``).
PRIVACY_MODES = (*_MODES, *PRIVACY_MODE_ALIASES)


def mask(secret: str | None) -> str:
    """A secret shown as its last four characters (``'…f00d'``), or ``'-'`` when absent."""
    if not secret:
        return "-"
    return "…" + secret[-4:] if len(secret) > 8 else "…"


#: How long ``register()`` waits for a single sign-on to finish in the browser (seconds), as the
#: official client's ``sso_timeout`` default.
SSO_TIMEOUT = 50.0


@dataclasses.dataclass(frozen=True, repr=False)
class Credentials:
    """What ``register()`` was given to sign in again when a token runs out."""

    username: str | None = None
    password: str | None = None
    key_id: str | None = None
    key_secret: str | None = None
    #: Single sign-on at the server's identity provider (``register(is_sso_login=True, ...)``).
    sso: bool = False
    idp_name: str | None = None
    sso_opt_into_type: str | None = None  # "browser", "display", or None: print the link
    sso_timeout: float | None = None  # seconds to wait for the sign-in (None: forever)

    @property
    def kind(self) -> str:
        if self.username is not None:
            return "password"
        if self.key_id is not None:
            return "personal_key"
        if self.sso:
            return "sso"
        return "token"

    @property
    def can_login(self) -> bool:
        """Whether the client may sign in again by itself (single sign-on needs the person)."""
        return self.kind in ("password", "personal_key")

    def __repr__(self) -> str:
        if self.kind == "password":
            return f"Credentials(username={self.username!r}, password='***')"
        if self.kind == "personal_key":
            return f"Credentials(key_id={self.key_id!r}, key_secret='***')"
        if self.kind == "sso":
            return f"Credentials(sso, idp_name={self.idp_name!r})"
        return "Credentials(token only)"


def _claims(token: str) -> dict[str, Any]:
    """The JWT payload, decoded without verification (only to read ``exp``/``iat``)."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        value = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return {}
    return value if isinstance(value, dict) else {}


@dataclasses.dataclass(frozen=True, repr=False)
class Token:
    """An access token and when it expires (read from its JWT payload; ``None`` when opaque)."""

    value: str
    expires_at: float | None = None
    lifetime: float | None = None

    @classmethod
    def parse(cls, value: str) -> Token:
        claims = _claims(value)
        exp, iat = claims.get("exp"), claims.get("iat")
        expires_at = float(exp) if isinstance(exp, int | float) else None
        lifetime = (
            float(exp) - float(iat)
            if isinstance(exp, int | float) and isinstance(iat, int | float) and exp > iat
            else None
        )
        return cls(value, expires_at, lifetime)

    @property
    def margin(self) -> float:
        """Renew this long before expiry: a tenth of the lifetime, at most 30 s."""
        return min(30.0, (self.lifetime or 300.0) * 0.1)

    def is_fresh(self, now: float | None = None) -> bool:
        """Usable without any auth request (unknown expiry counts as fresh)."""
        if self.expires_at is None:
            return True
        return self.expires_at - (time.time() if now is None else now) > self.margin

    def is_expired(self, now: float | None = None) -> bool:
        if self.expires_at is None:
            return False
        return self.expires_at <= (time.time() if now is None else now)

    def __repr__(self) -> str:
        return f"Token({mask(self.value)}, expires_at={self.expires_at!r})"


@dataclasses.dataclass(frozen=True)
class PrivacySettings:
    """Sharing settings; fields left ``None`` fall back (plottable → client → server default).

    Example::

        PrivacySettings(mode="organization", invited_users=("bob@example.org",))
    """

    mode: str | None = None
    notify: bool | None = None
    invited_users: tuple[Any, ...] | None = None
    mode_action: str | None = None
    message: str | None = None

    @classmethod
    def build(
        cls,
        mode: str | None,
        notify: bool | None,
        invited_users: Sequence[Any] | None,
        mode_action: str | int | None,
        message: str | None,
    ) -> PrivacySettings:
        from ..errors import ConfigError

        if mode is not None and mode not in PRIVACY_MODES:
            raise ConfigError(
                f"privacy(mode={mode!r}) is not a known mode; expected one of "
                f"{', '.join(repr(m) for m in PRIVACY_MODES)}."
            )
        if mode_action is not None and str(mode_action) not in ("10", "20"):
            raise ConfigError(
                f"privacy(mode_action={mode_action!r}) is not known; expected '10' (view) or '20' (edit)."
            )
        if invited_users is not None and isinstance(invited_users, str | bytes):
            raise ConfigError(
                f"privacy(invited_users={invited_users!r}) must be a list of emails or usernames, "
                "not a single string; write invited_users=[...]."
            )
        return cls(
            mode=mode,
            notify=notify,
            invited_users=tuple(invited_users) if invited_users is not None else None,
            mode_action=str(mode_action) if mode_action is not None else None,
            message=message,
        )

    def over(self, base: PrivacySettings | None) -> PrivacySettings:
        """These settings with unset fields taken from ``base``."""
        if base is None:
            return self
        return PrivacySettings(
            **{
                f.name: getattr(self, f.name) if getattr(self, f.name) is not None else getattr(base, f.name)
                for f in dataclasses.fields(self)
            }
        )

    def to_wire(self) -> dict[str, Any]:
        """The share fields of the wire spec, defaults filled in (``graphport._wire.DEFAULT_MODE``
        for an unset mode, as the official client does)."""
        mode = self.mode or DEFAULT_MODE
        return {
            "mode": mode,
            "notify": bool(self.notify),
            "invited_users": list(self.invited_users or ()),
            "mode_action": self.mode_action or default_mode_action(mode),
            "message": self.message or "",
        }


@dataclasses.dataclass(eq=False, repr=False)
class ClientSession:
    """The state one ``register()`` sets up. Fields other than ``token``, ``org_name`` and
    ``privacy`` never change; those three change under the owning client's locks."""

    server: str
    protocol: str
    credentials: Credentials = dataclasses.field(default_factory=Credentials)
    token: Token | None = None
    org_name: str | None = None
    privacy: PrivacySettings | None = None
    client_protocol_hostname: str | None = None
    verify: bool = True
    registered: bool = False
    # The single-flight lock for token renewal (sync clients; async clients keep their own).
    auth_lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    # Database connections (SQL engines, graph database, Kusto/Spanner clients) of this client;
    # carried over to the next session by register(), never shared with another client.
    connectors: ConnectorState = dataclasses.field(default_factory=ConnectorState)

    @property
    def base_url(self) -> str:
        return f"{self.protocol}://{self.server}"

    @property
    def viewer_base(self) -> str:
        """Where browsers reach the server (``client_protocol_hostname`` when set)."""
        base = self.client_protocol_hostname or self.base_url
        return base.rstrip("/")

    @property
    def username(self) -> str | None:
        if self.credentials.username is not None:
            return self.credentials.username
        if self.token is not None:
            name = _claims(self.token.value).get("username")
            return name if isinstance(name, str) else None
        return None

    def __repr__(self) -> str:
        return (
            f"ClientSession(server={self.base_url!r}, user={self.username!r}, "
            f"auth={self.credentials.kind!r}, org={self.org_name!r}, "
            f"token={mask(self.token.value if self.token else None)})"
        )
