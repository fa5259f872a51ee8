"""JWT access tokens (HS256, PyJWT).

Claims: ``sub`` (user id), ``username`` (the official client reads it as the personal org slug in
one SSO fallback), ``iat``, ``exp``, ``jti``, ``ep`` (the user's token epoch: bumping it revokes
every older token) and, for key logins, ``kid`` (revoking the key revokes its tokens).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import time
from typing import Any

import jwt

from ..errors import AuthError

ALGORITHM = "HS256"


class TokenIssuer:
    def __init__(self, secret: str, ttl: int) -> None:
        self._secret = secret
        self.ttl = ttl
        # Per instance (two servers in one process never share verified tokens).
        self._verified = functools.lru_cache(maxsize=4096)(self._verify)

    def __repr__(self) -> str:
        return f"TokenIssuer(ttl={self.ttl})"

    def mint(self, *, user_id: int, username: str, epoch: int, key_id: str | None = None) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": str(user_id),
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
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= time.time():
            raise AuthError("Token has expired.", code="token_expired")
        return claims

    def _verify(self, token: str) -> tuple[tuple[str, Any], ...]:
        claims: dict[str, Any] = jwt.decode(
            token,
            self._secret,
            algorithms=[ALGORITHM],
            options={"require": ["sub", "exp", "iat", "ep"], "verify_exp": False},
        )
        return tuple(claims.items())
