"""Personal keys: long-lived credentials a user signs in with instead of a password.

The secret is shown once and stored as a SHA-256 hash (256 random bits: a fast hash is as strong as
a slow one here). Creating a key over the API takes the caller's password, throttled like sign-in,
so a stolen token alone cannot become a key that outlives it (issue #10 F9).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError, PermissionDenied, ValidationError
from ..storage import Database
from ..storage._models import personal_keys, users
from ._passwords import Passwords
from ._principal import Principal
from ._throttle import LoginThrottle


def hash_key_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(stored_hash: str, secret: Any) -> bool:
    return hmac.compare_digest(stored_hash, hash_key_secret(str(secret)))


class PersonalKeys:
    """The keys of every user. ``require_user`` finds an active user by name (or raises);
    ``revoked(user_id)`` is told after a key is revoked (live holders re-check)."""

    def __init__(
        self,
        db: Database,
        passwords: Passwords,
        throttle: LoginThrottle,
        require_user: Callable[[str], Principal],
        revoked: Callable[[int], None],
    ) -> None:
        self._db = db
        self._passwords = passwords
        self._throttle = throttle
        self._require_user = require_user
        self._revoked = revoked

    def create(self, username: str, name: str = "") -> tuple[str, str]:
        """A new personal key for the user: ``(key_id, secret)``. The secret is not kept."""
        if len(name) > 200:
            raise ValidationError(
                f"The key label has {len(name)} characters; use at most 200.", code="invalid_key_name"
            )
        user = self._require_user(username)
        key_id = "gpk" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._db.write() as c:
            c.execute(
                personal_keys.insert().values(
                    id=key_id,
                    user_id=user.user_id,
                    secret_hash=hash_key_secret(secret),
                    name=name,
                    created_at=time.time(),
                )
            )
        return key_id, secret

    def create_as(
        self, principal: Principal, name: str, password: Any, *, address: str | None = None
    ) -> tuple[str, str]:
        """A new personal key for the caller, who proves it is them with their password."""
        if not isinstance(password, str) or not password:
            raise ValidationError(
                'Creating a personal key needs your password: send {"name": ..., "password": ...}.',
                code="password_required",
                errors=[{"field": "password", "message": "required: your current password"}],
            )
        self._throttle.check(principal.username, address)
        with self._db.read() as c:
            stored = c.execute(
                sa.select(users.c.password_hash).where(users.c.id == principal.user_id)
            ).scalar()
        if stored is None:
            raise PermissionDenied(
                "This account has no password, so it cannot create keys over the API; an operator "
                "creates them with `graphport key create NAME`.",
                code="password_required",
            )
        if not self._passwords.verify(stored, password):
            self._throttle.failed(principal.username, address)
            raise PermissionDenied("The password is wrong; no key was created.", code="wrong_password")
        return self.create(principal.username, name)

    def list(self, username: str) -> list[dict[str, Any]]:
        user = self._require_user(username)
        with self._db.read() as c:
            rows = c.execute(
                sa.select(
                    personal_keys.c.id,
                    personal_keys.c.name,
                    personal_keys.c.created_at,
                    personal_keys.c.revoked_at,
                    personal_keys.c.last_used_at,
                )
                .where(personal_keys.c.user_id == user.user_id)
                .order_by(personal_keys.c.created_at)
            ).all()
        return [dict(r._mapping) for r in rows]

    def revoke(self, key_id: str, *, username: str | None = None) -> None:
        """Revoke an active key (of ``username`` only, when given); NotFoundError otherwise."""
        with self._db.write() as c:
            query = personal_keys.update().where(
                personal_keys.c.id == key_id, personal_keys.c.revoked_at.is_(None)
            )
            if username is not None:
                owner = sa.select(users.c.id).where(users.c.username == username).scalar_subquery()
                query = query.where(personal_keys.c.user_id == owner)
            done = c.execute(query.values(revoked_at=time.time())).rowcount
            owner_id = c.execute(
                sa.select(personal_keys.c.user_id).where(personal_keys.c.id == key_id)
            ).scalar()
        if not done or owner_id is None:
            raise NotFoundError(f"There is no active personal key {key_id!r}.", code="key_not_found")
        self._revoked(int(owner_id))

    @staticmethod
    def end_all(c: sa.Connection, user_id: int) -> int:
        """Revoke every active key of a user inside a write; returns how many."""
        return int(
            c.execute(
                personal_keys.update()
                .where(personal_keys.c.user_id == user_id, personal_keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            ).rowcount
        )
