"""JWT access tokens (HS256, PyJWT), bound to one deployment and one stable user id.

Claims: ``iss`` and ``aud`` (``graphport:<deployment id>``; the id is stored in the database, so
every process of one deployment shares it and another deployment's tokens are refused even under
the same secret), ``sub`` (the user's random ``uid``, never the numeric row id), ``username`` (the
official client reads it as the personal org slug in one SSO fallback), ``iat``, ``exp``, ``jti``
(sign-out revokes one token by it), ``ep`` (the user's token epoch: bumping it revokes every older
token) and, for key logins, ``kid`` (revoking the key revokes its tokens). Tokens without ``iss``,
``aud`` or ``jti`` (issued before migration 0004) are refused: users sign in again.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

import jwt
import sqlalchemy as sa

from ..errors import AuthError
from ..storage import Database
from ..storage._models import deployment

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ["sub", "exp", "iat", "ep", "iss", "aud", "jti"]


def deployment_id(db: Database) -> str:
    """This deployment's id (created by migration 0004; made here if a restore lost it)."""
    with db.read() as c:
        value = c.execute(sa.select(deployment.c.value).where(deployment.c.name == "deployment_id")).scalar()
    if value is not None:
        return str(value)
    try:
        with db.write() as c:
            c.execute(deployment.insert().values(name="deployment_id", value=secrets.token_hex(16)))
    except sa.exc.IntegrityError:
        pass  # another process made it first: use theirs
    with db.read() as c:
        return str(
            c.execute(sa.select(deployment.c.value).where(deployment.c.name == "deployment_id")).scalar_one()
        )


class TokenIssuer:
    """Mints and checks access tokens.

    ``clock`` (seconds since the epoch, default ``time.time``) is the one source of "now" for
    ``iat``/``exp`` and the expiry check. It is a plain attribute so a test can move time for a
    running server (``server.tokens.clock = lambda: time.time() + 3600``) instead of sleeping
    until a token expires.
    """

    def __init__(
        self, secret: str, ttl: int, deployment: str = "local", clock: Callable[[], float] = time.time
    ) -> None:
        self._secret = secret
        self.ttl = ttl
        self.issuer = f"graphport:{deployment}"
        self.clock = clock
        # Per instance (two servers in one process never share verified tokens).
        self._verified = functools.lru_cache(maxsize=4096)(self._verify)

    def __repr__(self) -> str:
        return f"TokenIssuer(ttl={self.ttl}, issuer={self.issuer!r})"

    def mint(self, *, user_uid: str, username: str, epoch: int, key_id: str | None = None) -> str:
        now = int(self.clock())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.issuer,
            "sub": user_uid,
            "username": username,
            "iat": now,
            "exp": now + self.ttl,
            "jti": secrets.token_hex(12),
            "ep": epoch,
        }
        if key_id is not None:
            claims["kid"] = key_id
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def csrf_for(self, token: str) -> str:
        """The CSRF token that goes with a (valid) session token: an HMAC of its ``jti``, so it
        needs no storage, changes with every sign-in, and reveals nothing about the session."""
        claims = self.decode(token)
        digest = hmac.new(self._secret.encode(), f"csrf:{claims.get('jti', '')}".encode(), hashlib.sha256)
        return digest.hexdigest()[:40]

    def login_nonce(self) -> str:
        """A fresh sign-in form token (double-submit: the form field and a cookie carry it).

        Signed, so a value planted by another site (or a sibling subdomain's cookie) that this
        server never issued is refused as well."""
        nonce = secrets.token_hex(16)
        return f"{nonce}.{self._sign_nonce(nonce)}"

    def check_login_nonce(self, value: str) -> bool:
        nonce, dot, mac = value.partition(".")
        return bool(dot) and len(nonce) == 32 and hmac.compare_digest(mac, self._sign_nonce(nonce))

    def _sign_nonce(self, nonce: str) -> str:
        return hmac.new(self._secret.encode(), f"login:{nonce}".encode(), hashlib.sha256).hexdigest()[:40]

    def decode(self, token: str) -> dict[str, Any]:
        """The token's claims; raises AuthError ``token_expired`` or ``token_invalid``.

        Verified signatures are remembered (a bounded LRU keyed by the token, which a client
        sends on every request); expiry is checked on every call. Revocation is not a property
        of the token, so callers still check the database (``Accounts.authenticate``)."""
        try:
            claims = dict(self._verified(token))
        except jwt.PyJWTError:
            raise AuthError(
                "The token is not valid for this server; sign in again.", code="token_invalid"
            ) from None
        now = self.clock()
        iat = claims.get("iat")
        if not isinstance(iat, int | float) or isinstance(iat, bool) or iat > now:
            # Issued "in the future" by this deployment's clock (PyJWT's iat rule, on our clock).
            raise AuthError("The token is not valid for this server; sign in again.", code="token_invalid")
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= now:
            raise AuthError("Token has expired.", code="token_expired")
        return claims

    def _verify(self, token: str) -> tuple[tuple[str, Any], ...]:
        claims: dict[str, Any] = jwt.decode(
            token,
            self._secret,
            algorithms=[ALGORITHM],
            audience=self.issuer,
            issuer=self.issuer,
            # Time claims are checked in decode() on self.clock, not by PyJWT on the real clock.
            options={
                "require": REQUIRED_CLAIMS,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
        return tuple(claims.items())
