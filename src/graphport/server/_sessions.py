"""Tokens: who a token speaks for, refreshing, minting without credentials, signing out.

:meth:`Sessions.authenticate` is one query per authenticated request, and reads the caller facts
access decisions need with it (``_principal.Resolved``): the request resolves its caller once.
A signed-out token's ``jti`` is stored until the token would have expired anyway, so every
process refuses it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..errors import AuthError
from ..storage import Database
from ..storage._models import revoked_tokens, users
from ._principal import _BY_UID, _BY_UID_KEY, Principal, RevocationClock, resolved_from
from ._tokens import TokenIssuer


class Sessions:
    """``require_user`` finds an active user by name (or raises); ``revoked(user_id)`` is told
    after a sign-out; ``clock`` stamps the caller facts a principal carries."""

    def __init__(
        self,
        db: Database,
        tokens: TokenIssuer,
        clock: RevocationClock,
        require_user: Callable[[str], Principal],
        revoked: Callable[[int], None],
    ) -> None:
        self._db = db
        self._tokens = tokens
        self._clock = clock
        self._require_user = require_user
        self._revoked = revoked

    def authenticate(self, token: str) -> Principal:
        """The user a token speaks for; AuthError when it is invalid, expired or revoked."""
        claims = self._tokens.decode(token)
        return self.principal_for_claims(claims)

    def principal_for_claims(self, claims: dict[str, Any]) -> Principal:
        uid, jti, kid = claims.get("sub"), claims.get("jti"), claims.get("kid")
        if not isinstance(uid, str) or not isinstance(jti, str) or not (kid is None or isinstance(kid, str)):
            raise AuthError("The token is not valid for this server; sign in again.", code="token_invalid")
        row: Any
        read_at, revocations = time.monotonic(), self._clock.now
        with self._db.read() as c:  # one query on every authenticated request
            if kid is None:
                rows = c.execute(_BY_UID, {"who": uid, "jti": jti}).all()
                row = rows[0] if rows else None
                key_revoked = False
            else:
                rows = c.execute(_BY_UID_KEY, {"who": uid, "jti": jti, "kid": kid}).all()
                row = rows[0] if rows else None
                # A key token needs the key: present, not revoked, and the token user's own.
                key_revoked = row is None or row.key_user_id != row.id or row.revoked_at is not None
        if (
            row is None
            or not row.is_active
            or row.token_epoch != claims.get("ep")
            or key_revoked
            or row.revoked_jti is not None
        ):
            raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
        return Principal(
            row.id,
            row.username,
            row.is_admin,
            epoch=row.token_epoch,
            key_id=kid,
            token_id=jti,
            resolved=resolved_from(rows, read_at, revocations),
        )

    def refresh(self, token: str) -> str:
        """A fresh token for a valid one (a token minted a second ago refreshes fine)."""
        claims = self._tokens.decode(token)
        principal = self.principal_for_claims(claims)
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.uid, users.c.token_epoch).where(users.c.id == principal.user_id)
            ).one()
        return self._tokens.mint(
            user_uid=row.uid, username=principal.username, epoch=row.token_epoch, key_id=claims.get("kid")
        )

    def token_for(self, username: str) -> str:
        """A token for an active user, minted without credentials (embedded use, CLI, tests)."""
        user = self._require_user(username)
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.uid, users.c.token_epoch).where(users.c.id == user.user_id)
            ).one()
        return self._tokens.mint(user_uid=row.uid, username=user.username, epoch=row.token_epoch)

    def revoke_token(self, token: str) -> bool:
        """End one token before it expires (sign-out), in every process: its ``jti`` is stored
        until the token would have expired anyway. False when the token was not valid."""
        try:
            claims = self._tokens.decode(token)
            principal = self.principal_for_claims(claims)
        except AuthError:
            return False
        now = self._tokens.clock()  # the clock tokens expire by (tests move it)
        with self._db.write() as c:
            c.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < now))
            exists = c.execute(
                sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == claims["jti"])
            ).first()
            if exists is None:
                c.execute(revoked_tokens.insert().values(jti=claims["jti"], expires_at=float(claims["exp"])))
        self._revoked(principal.user_id)
        return True
