"""Single sign-on providers: what one OpenID Connect identity provider is, where providers come
from (``ServerConfig.sso_providers`` and the database, filled by ``graphport sso add``), and how
their client secrets are kept.

A provider has a ``name`` (the ``idp_name`` of the official client, and the path segment of
``/api/v2/o/{org}/sso/oidc/login/{idp}``), an ``issuer`` (discovery at
``ISSUER/.well-known/openid-configuration``), the ``client_id``/``client_secret`` this server was
registered with, optionally the ``org`` it belongs to (who signs in through it joins that org), the
``allowed_domains`` of verified emails it accepts (empty: any), the ``username_claim`` new users are
named from, and the ``scopes`` it asks for.

Secrets are never echoed: ``Provider.__repr__`` leaves the secret out, CLI listings show only
whether one is set, and error messages never contain it. In the database a secret is encrypted
(Fernet, from the ``cryptography`` package) under a key derived from the server secret, so a copy
of the database alone does not reveal it.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import ipaddress
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken

from ..errors import ConfigError, ConflictError, NotFoundError, ValidationError
from ..storage import Database
from ..storage._models import organizations
from ..storage._sso_models import sso_providers

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_DOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")
_CLAIM = re.compile(r"^[A-Za-z0-9_:.-]{1,100}$")
DEFAULT_SCOPES = ("openid", "email", "profile")
DEFAULT_USERNAME_CLAIM = "preferred_username"
_KEYS = {
    "name",
    "issuer",
    "client_id",
    "client_secret",
    "org",
    "display_name",
    "allowed_domains",
    "username_claim",
    "scopes",
}


@dataclasses.dataclass(frozen=True)
class Provider:
    """One OpenID Connect identity provider (see the module doc)."""

    name: str
    issuer: str
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    org: str | None = None
    display_name: str | None = None
    allowed_domains: tuple[str, ...] = ()
    username_claim: str = DEFAULT_USERNAME_CLAIM
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    source: str = "config"  # "config" (ServerConfig) or "database" (graphport sso add)

    @property
    def label(self) -> str:
        return self.display_name or self.name

    def describe(self) -> dict[str, Any]:
        """What may be shown about the provider: everything but the secret."""
        return {
            "name": self.name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": "(set)" if self.client_secret else "(missing)",
            "org": self.org,
            "display_name": self.display_name,
            "allowed_domains": list(self.allowed_domains),
            "username_claim": self.username_claim,
            "scopes": list(self.scopes),
            "source": self.source,
        }

    def email_allowed(self, email: str) -> bool:
        if not self.allowed_domains:
            return True
        domain = email.rpartition("@")[2].lower()
        return any(domain == d or domain.endswith("." + d) for d in self.allowed_domains)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer(issuer: str) -> str:
    """An issuer URL: https, or http on a loopback address only (a test or a local provider)."""
    parts = urlsplit(issuer)
    host = parts.hostname or ""
    # Kept exactly as written: ID tokens must name this very string as their ``iss``.
    if (parts.scheme == "https" and host) or (parts.scheme == "http" and _loopback(host)):
        return issuer
    raise ValidationError(
        f"The issuer {issuer[:200]!r} is not an https URL (plain http is allowed only for a "
        "provider on this machine's loopback address); give the provider's issuer URL, e.g. "
        "https://accounts.example.org.",
        code="invalid_sso_provider",
        errors=[{"field": "issuer", "message": "an https URL"}],
    )


def _strings(value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,]+", value) if v]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise _invalid(field, "a list of strings (or one comma-separated string)")
    return tuple(value)


def _invalid(field: str, wanted: str) -> ValidationError:
    return ValidationError(
        f"The SSO provider's '{field}' must be {wanted}.",
        code="invalid_sso_provider",
        errors=[{"field": field, "message": f"must be {wanted}"}],
    )


def provider_from_mapping(raw: Mapping[str, Any], source: str = "config") -> Provider:
    """A validated :class:`Provider` from a mapping (``ServerConfig.sso_providers`` entries, the
    JSON of ``GRAPHPORT_SSO_PROVIDERS``, the CLI's options)."""
    if not isinstance(raw, Mapping):
        raise ValidationError(
            "Each SSO provider is a mapping with 'name', 'issuer', 'client_id' and 'client_secret'.",
            code="invalid_sso_provider",
        )
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ValidationError(
            f"Unknown SSO provider settings {unknown}; known: {sorted(_KEYS)}.",
            code="invalid_sso_provider",
        )
    values: dict[str, Any] = {}
    for field in ("name", "issuer", "client_id", "client_secret"):
        value = raw.get(field)
        if not isinstance(value, str) or not value.strip():
            raise _invalid(field, "a non-empty string")
        values[field] = value.strip()
    if not _NAME.match(values["name"]):
        raise _invalid("name", "1-64 lower-case letters, digits, '_' or '-' (it appears in URLs)")
    values["issuer"] = check_issuer(values["issuer"])
    for field in ("org", "display_name"):
        value = raw.get(field)
        if value is not None and not isinstance(value, str):
            raise _invalid(field, "a string")
        values[field] = value or None
    domains = tuple(d.lower().lstrip("@") for d in _strings(raw.get("allowed_domains"), "allowed_domains"))
    if not all(_DOMAIN.match(d) for d in domains):
        raise _invalid("allowed_domains", "domain names such as example.org")
    claim = raw.get("username_claim") or DEFAULT_USERNAME_CLAIM
    if not isinstance(claim, str) or not _CLAIM.match(claim):
        raise _invalid("username_claim", "a claim name such as preferred_username or email")
    scopes = _strings(raw.get("scopes"), "scopes") or DEFAULT_SCOPES
    if "openid" not in scopes:
        raise _invalid("scopes", "a list that includes 'openid'")
    return Provider(
        name=values["name"],
        issuer=values["issuer"],
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        org=values["org"],
        display_name=values["display_name"],
        allowed_domains=domains,
        username_claim=claim,
        scopes=scopes,
        source=source,
    )


class SecretBox:
    """Encrypts provider secrets and stored refresh tokens under a key derived from the server
    secret (HMAC-SHA256 of it with a fixed label, as a Fernet key: AES-128-CBC + HMAC)."""

    def __init__(self, server_secret: str) -> None:
        key = hmac.new(server_secret.encode(), b"graphport:sso-secrets:v1", hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:
        return "SecretBox()"

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def open(self, sealed: str, what: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                f"The stored {what} cannot be decrypted: the server secret (GRAPHPORT_SECRET or "
                "DATA/secret.key) changed since it was stored. Add the provider again with "
                "`graphport sso add ... --replace`.",
                code="sso_secret_unreadable",
                status=500,
            ) from None


class ProviderStore:
    """Providers from the configuration and from the database; a name is unique across both."""

    def __init__(self, db: Database, configured: Iterable[Mapping[str, Any]], box: SecretBox) -> None:
        self._db = db
        self._box = box
        self._configured: dict[str, Provider] = {}
        for raw in configured:
            provider = provider_from_mapping(raw, "config")
            if provider.name in self._configured:
                raise ConfigError(f"Two SSO providers in the configuration are named {provider.name!r}.")
            self._configured[provider.name] = provider

    def all(self) -> list[Provider]:
        with self._db.read() as c:
            rows = c.execute(sa.select(sso_providers).order_by(sso_providers.c.name)).all()
        stored = [self._from_row(r) for r in rows if r.name not in self._configured]
        return sorted([*self._configured.values(), *stored], key=lambda p: p.name)

    def get(self, name: str) -> Provider | None:
        if name in self._configured:
            return self._configured[name]
        with self._db.read() as c:
            row = c.execute(sa.select(sso_providers).where(sso_providers.c.name == name)).first()
        return self._from_row(row) if row is not None else None

    def _from_row(self, row: Any) -> Provider:
        return Provider(
            name=row.name,
            issuer=row.issuer,
            client_id=row.client_id,
            client_secret=self._box.open(row.client_secret, f"client secret of SSO provider {row.name!r}"),
            org=row.org_slug,
            display_name=row.display_name,
            allowed_domains=tuple(d for d in row.allowed_domains.split(",") if d),
            username_claim=row.username_claim,
            scopes=tuple(row.scopes.split()),
            source="database",
        )

    def add(self, raw: Mapping[str, Any], *, replace: bool = False) -> Provider:
        """Store a provider (``graphport sso add``); its org must exist."""
        provider = provider_from_mapping(raw, "database")
        if provider.name in self._configured:
            raise ConflictError(
                f"The SSO provider {provider.name!r} is defined in the server configuration; "
                "change it there, or pick another name.",
                code="sso_provider_exists",
            )
        values = {
            "issuer": provider.issuer,
            "client_id": provider.client_id,
            "client_secret": self._box.seal(provider.client_secret),
            "org_slug": provider.org,
            "display_name": provider.display_name,
            "allowed_domains": ",".join(provider.allowed_domains),
            "username_claim": provider.username_claim,
            "scopes": " ".join(provider.scopes),
        }
        with self._db.write() as c:
            if provider.org is not None:
                found = c.execute(
                    sa.select(organizations.c.id, organizations.c.personal_user_id).where(
                        organizations.c.slug == provider.org
                    )
                ).first()
                if found is None or found.personal_user_id is not None:
                    raise NotFoundError(
                        f"There is no organization {provider.org!r} to give this provider to "
                        f"(personal organizations cannot have one); create it first with "
                        f"`graphport org add {provider.org}`.",
                        code="org_not_found",
                    )
            exists = c.execute(
                sa.select(sso_providers.c.name).where(sso_providers.c.name == provider.name)
            ).first()
            if exists is not None and not replace:
                raise ConflictError(
                    f"An SSO provider named {provider.name!r} exists; pass --replace to change it.",
                    code="sso_provider_exists",
                )
            if exists is not None:
                c.execute(
                    sso_providers.update().where(sso_providers.c.name == provider.name).values(**values)
                )
            else:
                c.execute(sso_providers.insert().values(name=provider.name, created_at=time.time(), **values))
        return provider

    def remove(self, name: str) -> None:
        if name in self._configured:
            raise ConflictError(
                f"The SSO provider {name!r} is defined in the server configuration; remove it there.",
                code="sso_provider_exists",
            )
        with self._db.write() as c:
            done = c.execute(sso_providers.delete().where(sso_providers.c.name == name)).rowcount
        if not done:
            raise NotFoundError(f"There is no SSO provider named {name!r}.", code="sso_provider_unknown")
