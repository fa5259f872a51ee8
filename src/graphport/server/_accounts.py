"""Users, passwords (argon2), personal keys and token checks; organizations are in ``_orgs``."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

import argon2
import sqlalchemy as sa

from ..errors import AuthError, ConflictError, NotFoundError, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, personal_keys, users
from ._orgs import Organizations, OrgStatus
from ._tokens import TokenIssuer

_UNSET: Any = object()
_USER_COLUMNS = (users.c.id, users.c.username, users.c.is_admin, users.c.is_active, users.c.token_epoch)
# Built once: statement construction costs more than the SQLite lookup itself.
_USER_BY_ID = sa.select(*_USER_COLUMNS).where(users.c.id == sa.bindparam("user_id"))
_USER_AND_KEY = (
    sa.select(*_USER_COLUMNS, personal_keys.c.user_id.label("key_user_id"), personal_keys.c.revoked_at)
    .select_from(users.outerjoin(personal_keys, personal_keys.c.id == sa.bindparam("kid")))
    .where(users.c.id == sa.bindparam("user_id"))
)
_USER_BY_ID_EMAIL = _USER_BY_ID.add_columns(users.c.email)
_USER_AND_KEY_EMAIL = _USER_AND_KEY.add_columns(users.c.email)

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")
_hasher = argon2.PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is making a request: a signed-in user (anonymous callers are ``None``).

    A principal from :meth:`Accounts.authenticate` remembers the credential it came from (the
    token epoch, and the personal key for key logins). Every access check re-validates such a
    principal, so one held for long (an open WebSocket subscription) loses its rights as soon as
    the password changes, the user is disabled or the key is revoked."""

    user_id: int
    username: str
    is_admin: bool = False
    epoch: int | None = dataclasses.field(default=None, compare=False, repr=False)
    key_id: str | None = dataclasses.field(default=None, compare=False, repr=False)


@dataclasses.dataclass(frozen=True)
class Login:
    token: str
    org: OrgStatus | None


def password_hasher(config: Any) -> argon2.PasswordHasher | None:
    """The hasher for ``ServerConfig.argon2_*``; None means the shared default profile."""
    if (config.argon2_time_cost, config.argon2_memory_kib) == (_hasher.time_cost, _hasher.memory_cost):
        return None
    return argon2.PasswordHasher(time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib)


def bind_pending_invites(c: sa.Connection, user_id: int, username: str, email: str | None) -> int:
    # Imported here: _access needs Principal from this module.
    from ._access import bind_pending_invites as bind

    return bind(c, user_id, username, email)


def _hash_key_secret(secret: str) -> str:
    # Key secrets are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts(Organizations):
    def __init__(
        self, db: Database, tokens: TokenIssuer, hasher: argon2.PasswordHasher | None = None
    ) -> None:
        self._db = db
        self.tokens = tokens
        # Called with a user id after a change that can only take rights away from that user
        # (removed from an org, key revoked, password changed, disabled, email changed), so
        # long-lived holders of rights (live subscriptions) re-check at once.
        self.revocation_listeners: list[Callable[[int], object]] = []
        self._hasher = hasher or _hasher
        # Verified against when the user does not exist, so a wrong username costs as long as a
        # wrong password (made with this instance's cost).
        self._dummy_hash = _DUMMY_HASH if hasher is None else hasher.hash(secrets.token_hex(8))

    # -- users -------------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str | None, *, email: str | None = None, is_admin: bool = False
    ) -> Principal:
        if not _NAME.match(username):
            raise ValidationError(
                f"The username {username!r} is not allowed; use 1-150 letters, digits and _.@+-, "
                "starting with a letter or digit.",
                code="invalid_username",
            )
        if email is not None and "@" not in email:
            raise ValidationError(f"The email {email!r} has no '@'.", code="invalid_email")
        password_hash = self._hasher.hash(password) if password else None
        with self._db.write() as c:
            if c.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise ConflictError(f"A user named {username!r} already exists.", code="user_exists")
            user_id = c.execute(
                users.insert().values(
                    username=username,
                    email=email.lower() if email else None,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    is_active=True,
                    token_epoch=0,
                    created_at=time.time(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            # Invitations sent before this user existed apply from now on.
            bind_pending_invites(c, int(user_id), username, email)
        return Principal(int(user_id), username, is_admin)

    def find_user(self, name_or_email: str) -> Principal | None:
        """The active user with this username, or else this email (case-insensitive)."""
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.id, users.c.username, users.c.is_admin).where(
                    users.c.is_active, users.c.username == name_or_email
                )
            ).first()
            if row is None and "@" in name_or_email:
                row = c.execute(
                    sa.select(users.c.id, users.c.username, users.c.is_admin)
                    .where(users.c.is_active, users.c.email == name_or_email.lower())
                    .order_by(users.c.id)
                ).first()
        return Principal(row.id, row.username, row.is_admin) if row else None

    def require_user(self, username: str) -> Principal:
        user = self.find_user(username)
        if user is None:
            raise NotFoundError(f"There is no active user named {username!r}.", code="user_not_found")
        return user

    def user_emails(self, user_id: int) -> tuple[str, str | None]:
        with self._db.read() as c:
            row = c.execute(sa.select(users.c.username, users.c.email).where(users.c.id == user_id)).one()
        return row.username, row.email

    # -- logins and tokens ---------------------------------------------------------------------

    def login_password(self, username: str, password: str, org_name: str | None = None) -> Login:
        with self._db.read() as c:
            row = c.execute(sa.select(users).where(users.c.username == username, users.c.is_active)).first()
        stored = row.password_hash if row is not None and row.password_hash else self._dummy_hash
        try:
            self._hasher.verify(stored, password)
            ok = row is not None and bool(row.password_hash)
        except argon2.exceptions.VerificationError:
            ok = False
        except argon2.exceptions.InvalidHashError:
            ok = False
        if not ok or row is None:
            raise AuthError(
                "Unable to log in with provided credentials: wrong username or password.",
                code="invalid_credentials",
            )
        token = self.tokens.mint(user_id=row.id, username=row.username, epoch=row.token_epoch)
        return Login(token, self._org_status(row.id, org_name))

    def login_key(self, key_id: str, secret: str, org_name: str | None = None) -> Login:
        with self._db.read() as c:
            row = c.execute(
                sa.select(personal_keys, users.c.username, users.c.token_epoch)
                .join(users, users.c.id == personal_keys.c.user_id)
                .where(personal_keys.c.id == key_id, users.c.is_active)
            ).first()
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.secret_hash, _hash_key_secret(secret))
        ):
            raise AuthError(
                "The personal key is unknown, revoked, or its secret is wrong.", code="invalid_key"
            )
        with self._db.write() as c:
            c.execute(
                personal_keys.update().where(personal_keys.c.id == key_id).values(last_used_at=time.time())
            )
        token = self.tokens.mint(
            user_id=row.user_id, username=row.username, epoch=row.token_epoch, key_id=key_id
        )
        return Login(token, self._org_status(row.user_id, org_name))

    def authenticate(self, token: str) -> Principal:
        """The user a token speaks for; AuthError when it is invalid, expired or revoked."""
        claims = self.tokens.decode(token)
        return self._principal_for_claims(claims)

    def _principal_for_claims(self, claims: dict[str, Any]) -> Principal:
        try:
            user_id = int(claims["sub"])
        except (TypeError, ValueError):
            raise AuthError("The token is not valid for this server.", code="token_invalid") from None
        kid = claims.get("kid")
        row: Any
        with self._db.read() as c:  # one query on every authenticated request
            if kid is None:
                row = c.execute(_USER_BY_ID, {"user_id": user_id}).first()
                key_revoked = False
            else:
                row = c.execute(_USER_AND_KEY, {"user_id": user_id, "kid": str(kid)}).first()
                # A key token needs the key: present, not revoked, and the token user's own.
                key_revoked = row is None or row.key_user_id != user_id or row.revoked_at is not None
        if row is None or not row.is_active or row.token_epoch != claims.get("ep") or key_revoked:
            raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
        return Principal(
            row.id,
            row.username,
            row.is_admin,
            epoch=row.token_epoch,
            key_id=None if kid is None else str(kid),
        )

    def refresh(self, token: str) -> str:
        """A fresh token for a valid one (a token minted a second ago refreshes fine)."""
        claims = self.tokens.decode(token)
        principal = self._principal_for_claims(claims)
        with self._db.read() as c:
            epoch = c.execute(
                sa.select(users.c.token_epoch).where(users.c.id == principal.user_id)
            ).scalar_one()
        return self.tokens.mint(
            user_id=principal.user_id, username=principal.username, epoch=epoch, key_id=claims.get("kid")
        )

    def token_for(self, username: str) -> str:
        """A token for an active user, minted without credentials (embedded use, CLI, tests)."""
        user = self.require_user(username)
        with self._db.read() as c:
            epoch = c.execute(sa.select(users.c.token_epoch).where(users.c.id == user.user_id)).scalar_one()
        return self.tokens.mint(user_id=user.user_id, username=user.username, epoch=epoch)

    def set_password(self, username: str, password: str) -> None:
        """Change a password; every token issued before stops working."""
        new_hash = self._hasher.hash(password)
        with self._db.write() as c:
            done = c.execute(
                users.update()
                .where(users.c.username == username)
                .values(password_hash=new_hash, token_epoch=users.c.token_epoch + 1)
            ).rowcount
        if not done:
            raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")
        self._revoked(username=username)

    def set_active(self, username: str, active: bool) -> None:
        with self._db.write() as c:
            done = c.execute(
                users.update()
                .where(users.c.username == username)
                .values(is_active=active, token_epoch=users.c.token_epoch + 1)
            ).rowcount
        if not done:
            raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")
        self._revoked(username=username)

    def set_user(
        self,
        username: str,
        *,
        email: str | None = _UNSET,
        is_admin: bool | None = None,
        default_org: str | None = _UNSET,
    ) -> None:
        """Change a user's email, site-admin flag or default organization (``None`` clears).

        A new email also picks up pending invitations sent to it. The default organization must be
        one the user belongs to; datasets created without ``org_name`` go there."""
        values: dict[str, Any] = {}
        if email is not _UNSET:
            if email is not None and ("@" not in email or len(email) > 254):
                raise ValidationError(
                    f"The email {email[:60]!r} is not an email: it needs an '@' and at most 254 characters.",
                    code="invalid_email",
                )
            values["email"] = email.lower() if email else None
        if is_admin is not None:
            values["is_admin"] = is_admin
        with self._db.write() as c:
            row = c.execute(sa.select(users.c.id).where(users.c.username == username)).first()
            if row is None:
                raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")
            if default_org is not _UNSET:
                if default_org is None:
                    values["default_org_id"] = None
                else:
                    org_id = self._org_id(c, default_org)
                    member = c.execute(
                        sa.select(memberships.c.role).where(
                            memberships.c.org_id == org_id, memberships.c.user_id == row.id
                        )
                    ).first()
                    if member is None:
                        raise ValidationError(
                            f"{username!r} is not a member of {default_org!r}; add them first "
                            f"(graphport org add-member {default_org} {username}).",
                            code="not_a_member",
                        )
                    values["default_org_id"] = org_id
            if values:
                c.execute(users.update().where(users.c.id == row.id).values(**values))
            if values.get("email"):
                bind_pending_invites(c, row.id, username, values["email"])
        if "email" in values or values.get("is_admin") is False:
            self._revoked(user_id=row.id)

    def describe_user(self, user_id: int) -> dict[str, Any]:
        """The caller's own account: name, email, admin flag, default org and memberships."""
        with self._db.read() as c:
            row = c.execute(sa.select(users).where(users.c.id == user_id)).one()
            orgs = c.execute(
                sa.select(organizations.c.slug, organizations.c.name, memberships.c.role)
                .join(memberships, memberships.c.org_id == organizations.c.id)
                .where(memberships.c.user_id == user_id)
                .order_by(organizations.c.slug)
            ).all()
            default = (
                c.execute(
                    sa.select(organizations.c.slug).where(organizations.c.id == row.default_org_id)
                ).scalar()
                if row.default_org_id is not None
                else None
            )
        return {
            "username": row.username,
            "email": row.email,
            "is_admin": bool(row.is_admin),
            "default_org": default,
            "organizations": [{"slug": o.slug, "name": o.name, "role": o.role} for o in orgs],
        }

    # -- personal keys --------------------------------------------------------------------------

    def create_key(self, username: str, name: str = "") -> tuple[str, str]:
        """A new personal key for the user: ``(key_id, secret)``. The secret is not kept."""
        if len(name) > 200:
            raise ValidationError(
                f"The key label has {len(name)} characters; use at most 200.", code="invalid_key_name"
            )
        user = self.require_user(username)
        key_id = "gpk" + secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        with self._db.write() as c:
            c.execute(
                personal_keys.insert().values(
                    id=key_id,
                    user_id=user.user_id,
                    secret_hash=_hash_key_secret(secret),
                    name=name,
                    created_at=time.time(),
                )
            )
        return key_id, secret

    def list_keys(self, username: str) -> list[dict[str, Any]]:
        user = self.require_user(username)
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

    def revoke_key(self, key_id: str, *, username: str | None = None) -> None:
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
        if not done:
            raise NotFoundError(f"There is no active personal key {key_id!r}.", code="key_not_found")
        self._revoked(user_id=owner_id)

    def _revoked(self, *, user_id: int | None = None, username: str | None = None) -> None:
        """Tell the listeners that this user may have lost rights (after the change committed)."""
        if user_id is None and username is not None:
            with self._db.read() as c:
                user_id = c.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
        if user_id is None:
            return
        for listener in list(self.revocation_listeners):
            listener(int(user_id))

    @staticmethod
    def check_current(c: sa.Connection, principal: Principal) -> str | None:
        """Re-validate an authenticated principal's credential inside a read; returns the user's
        email. AuthError when the password changed, the user was disabled or the key revoked
        since the principal was made (principals made without a token are not checked)."""
        if principal.epoch is None:
            return c.execute(sa.select(users.c.email).where(users.c.id == principal.user_id)).scalar()
        if principal.key_id is None:
            row = c.execute(_USER_BY_ID_EMAIL, {"user_id": principal.user_id}).first()
            key_ok = True
        else:
            row = c.execute(
                _USER_AND_KEY_EMAIL, {"user_id": principal.user_id, "kid": principal.key_id}
            ).first()
            key_ok = row is not None and row.key_user_id == principal.user_id and row.revoked_at is None
        if row is None or not row.is_active or row.token_epoch != principal.epoch or not key_ok:
            raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
        return str(row.email) if row.email is not None else None
