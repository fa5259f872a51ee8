"""Users, passwords (argon2), personal keys and token checks; organizations are in ``_orgs``.

Passwords: new ones follow :func:`check_password_policy` (existing hashes keep working); every
hash runs in one of ``max_concurrent_password_hashes`` slots, and failed sign-ins are throttled
per username and per address (``_throttle``). Changing a password, or ``revoke_all``, ends every
credential of the user: all tokens (the epoch) and all personal keys.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import argon2
import sqlalchemy as sa

from ..errors import AuthError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, personal_keys, revoked_tokens, users
from ._access import bind_pending_invites
from ._invitations import Invitations
from ._orgs import OrgStatus
from ._principal import _BY_UID, _BY_UID_KEY, RevocationClock, check_current, resolved_from
from ._principal import Principal as Principal  # re-exported: callers import it from here
from ._throttle import HashSlots, LoginThrottle
from ._tokens import TokenIssuer

if TYPE_CHECKING:
    from ._config import ServerConfig

_UNSET: Any = object()
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")
_hasher = argon2.PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def check_password_policy(username: str, password: str) -> None:
    """New passwords: 8 to 1024 characters, and not the username (in any case)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        length = len(password) if isinstance(password, str) else 0
        raise ValidationError(
            f"The password has {length} characters; use {MIN_PASSWORD_LENGTH} to "
            f"{MAX_PASSWORD_LENGTH} (a few words make a good one).",
            code="weak_password",
        )
    if password.strip().lower() == username.lower():
        raise ValidationError(
            "The password is the username; choose one nobody can guess from your name.",
            code="weak_password",
        )


def _check_login_fields(**fields: Any) -> None:
    """Wrong JSON types on sign-in routes are a 400 naming the field, never a 500 (issue #17)."""
    for name, value in fields.items():
        optional = name == "org_name"
        if (value is None and optional) or isinstance(value, str):
            continue
        raise ValidationError(
            f"'{name}' must be a string{' (or left out)' if optional else ''}, not "
            f"{type(value).__name__ if value is not None else 'null'}.",
            code="invalid_org_name" if optional else "invalid_credentials_body",
            errors=[{"field": name, "message": "must be a string"}],
        )


@dataclasses.dataclass(frozen=True)
class Login:
    token: str
    org: OrgStatus | None


def password_hasher(config: Any) -> argon2.PasswordHasher | None:
    """The hasher for ``ServerConfig.argon2_*``; None means the shared default profile."""
    if (config.argon2_time_cost, config.argon2_memory_kib) == (_hasher.time_cost, _hasher.memory_cost):
        return None
    return argon2.PasswordHasher(time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib)


def _hash_key_secret(secret: str) -> str:
    # Key secrets are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts(Invitations):
    def __init__(
        self,
        db: Database,
        tokens: TokenIssuer,
        hasher: argon2.PasswordHasher | None = None,
        config: ServerConfig | None = None,
    ) -> None:
        self._db = db
        self.tokens = tokens
        # Called with a user id after a change that can only take rights away from that user
        # (removed from an org, key revoked, password changed, disabled, email changed), so
        # long-lived holders of rights (live subscriptions) re-check at once.
        self.revocation_listeners: list[Callable[[int], object]] = []
        # Ticks on each of those changes: caller facts a principal carries are stale from then on.
        self.revocations = RevocationClock()
        self._hasher = hasher or _hasher
        # Verified against when the user does not exist, so a wrong username costs as long as a
        # wrong password (made with this instance's cost).
        self._dummy_hash = _DUMMY_HASH if hasher is None else hasher.hash(secrets.token_hex(8))
        self.throttle = LoginThrottle(
            per_user=config.login_failures_per_user if config else 10,
            per_address=config.login_failures_per_address if config else 50,
            window=config.login_failure_window if config else 300.0,
        )
        self.hash_slots = HashSlots(config.max_concurrent_password_hashes if config else 4)

    @contextmanager
    def _hashing(self) -> Iterator[None]:
        with self.hash_slots.slot():
            yield

    def _hash(self, password: str) -> str:
        with self._hashing():
            return self._hasher.hash(password)

    def _verify(self, stored: str | None, password: str) -> bool:
        """Check a password against a stored hash (the dummy hash when there is none, so a
        missing user costs as long as a wrong password)."""
        with self._hashing():
            try:
                self._hasher.verify(stored or self._dummy_hash, password)
            except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
                return False
        return stored is not None

    # -- users -------------------------------------------------------------------------------

    def create_user(
        self, username: str, password: str | None, *, email: str | None = None, is_admin: bool = False
    ) -> Principal:
        """Create a user and their personal organization (``~username``), their default org.

        ``password=None`` makes a user who signs in with personal keys only."""
        if not isinstance(username, str) or not _NAME.match(username):
            raise ValidationError(
                f"The username {username!r} is not allowed; use 1-150 letters, digits and _.@+-, "
                "starting with a letter or digit.",
                code="invalid_username",
            )
        if email is not None and ("@" not in email or len(email) > 254):
            raise ValidationError(
                f"The email {email[:60]!r} is not an email: it needs an '@' and at most 254 characters.",
                code="invalid_email",
            )
        if password is not None:
            check_password_policy(username, password)
        password_hash = self._hash(password) if password else None
        with self._db.write() as c:
            if c.execute(sa.select(users.c.id).where(users.c.username == username)).first():
                raise ConflictError(f"A user named {username!r} already exists.", code="user_exists")
            user_id = int(
                c.execute(
                    users.insert().values(
                        uid=secrets.token_hex(16),
                        username=username,
                        email=email.lower() if email else None,
                        password_hash=password_hash,
                        is_admin=is_admin,
                        is_active=True,
                        token_epoch=0,
                        created_at=time.time(),
                    )
                ).inserted_primary_key[0]  # type: ignore[index]
            )
            personal = self._create_personal_org(c, user_id, username)
            c.execute(users.update().where(users.c.id == user_id).values(default_org_id=personal))
            # Invitations sent before this user existed apply from now on.
            bind_pending_invites(c, user_id, username, email)
        return Principal(user_id, username, is_admin)

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

    def login_password(
        self, username: Any, password: Any, org_name: Any = None, *, address: str | None = None
    ) -> Login:
        """Sign in with a password; ``address`` (the client's, from the transport) is throttled
        as well as the username. Raises ``Throttled`` (429) before any hash when over the limit."""
        _check_login_fields(username=username, password=password, org_name=org_name)
        self.throttle.check(username, address)
        with self._db.read() as c:
            row = c.execute(sa.select(users).where(users.c.username == username, users.c.is_active)).first()
        ok = self._verify(row.password_hash if row is not None else None, password)
        if not ok or row is None:
            self.throttle.failed(username, address)
            raise AuthError(
                "Unable to log in with provided credentials: wrong username or password.",
                code="invalid_credentials",
            )
        self.throttle.succeeded(username)
        token = self.tokens.mint(user_uid=row.uid, username=row.username, epoch=row.token_epoch)
        return Login(token, self._org_status(row.id, org_name or None))

    def login_key(self, key_id: Any, secret: Any, org_name: Any = None) -> Login:
        _check_login_fields(org_name=org_name)
        with self._db.read() as c:
            row = c.execute(
                sa.select(personal_keys, users.c.uid, users.c.username, users.c.token_epoch)
                .join(users, users.c.id == personal_keys.c.user_id)
                .where(personal_keys.c.id == str(key_id), users.c.is_active)
            ).first()
        if (
            row is None
            or row.revoked_at is not None
            or not hmac.compare_digest(row.secret_hash, _hash_key_secret(str(secret)))
        ):
            raise AuthError(
                "The personal key is unknown, revoked, or its secret is wrong.", code="invalid_key"
            )
        with self._db.write() as c:
            c.execute(
                personal_keys.update().where(personal_keys.c.id == key_id).values(last_used_at=time.time())
            )
        token = self.tokens.mint(
            user_uid=row.uid, username=row.username, epoch=row.token_epoch, key_id=str(key_id)
        )
        return Login(token, self._org_status(row.user_id, org_name or None))

    def authenticate(self, token: str) -> Principal:
        """The user a token speaks for; AuthError when it is invalid, expired or revoked."""
        claims = self.tokens.decode(token)
        return self._principal_for_claims(claims)

    def _principal_for_claims(self, claims: dict[str, Any]) -> Principal:
        uid, jti, kid = claims.get("sub"), claims.get("jti"), claims.get("kid")
        if not isinstance(uid, str) or not isinstance(jti, str) or not (kid is None or isinstance(kid, str)):
            raise AuthError("The token is not valid for this server; sign in again.", code="token_invalid")
        row: Any
        read_at, revocations = time.monotonic(), self.revocations.now
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
        claims = self.tokens.decode(token)
        principal = self._principal_for_claims(claims)
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.uid, users.c.token_epoch).where(users.c.id == principal.user_id)
            ).one()
        return self.tokens.mint(
            user_uid=row.uid, username=principal.username, epoch=row.token_epoch, key_id=claims.get("kid")
        )

    def token_for(self, username: str) -> str:
        """A token for an active user, minted without credentials (embedded use, CLI, tests)."""
        user = self.require_user(username)
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.uid, users.c.token_epoch).where(users.c.id == user.user_id)
            ).one()
        return self.tokens.mint(user_uid=row.uid, username=user.username, epoch=row.token_epoch)

    def revoke_token(self, token: str) -> bool:
        """End one token before it expires (sign-out), in every process: its ``jti`` is stored
        until the token would have expired anyway. False when the token was not valid."""
        try:
            claims = self.tokens.decode(token)
            principal = self._principal_for_claims(claims)
        except AuthError:
            return False
        now = time.time()
        with self._db.write() as c:
            c.execute(revoked_tokens.delete().where(revoked_tokens.c.expires_at < now))
            exists = c.execute(
                sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == claims["jti"])
            ).first()
            if exists is None:
                c.execute(revoked_tokens.insert().values(jti=claims["jti"], expires_at=float(claims["exp"])))
        self._revoked(user_id=principal.user_id)
        return True

    def set_password(self, username: str, password: str) -> int:
        """Change a password. Every credential of the user ends: all tokens (sessions included)
        and all personal keys. Returns how many keys were revoked."""
        check_password_policy(username, password)
        new_hash = self._hash(password)
        with self._db.write() as c:
            user_id = c.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
            if user_id is None:
                raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")
            c.execute(users.update().where(users.c.id == user_id).values(password_hash=new_hash))
            revoked = self._end_credentials(c, int(user_id))
        self._revoked(user_id=int(user_id))
        return revoked

    def revoke_all(self, user_id: int) -> int:
        """End every credential of a user: all tokens (sessions included) and all personal keys;
        returns how many keys were revoked. The user signs in again with their password."""
        with self._db.write() as c:
            revoked = self._end_credentials(c, user_id)
        self._revoked(user_id=user_id)
        return revoked

    @staticmethod
    def _end_credentials(c: sa.Connection, user_id: int) -> int:
        c.execute(users.update().where(users.c.id == user_id).values(token_epoch=users.c.token_epoch + 1))
        return int(
            c.execute(
                personal_keys.update()
                .where(personal_keys.c.user_id == user_id, personal_keys.c.revoked_at.is_(None))
                .values(revoked_at=time.time())
            ).rowcount
        )

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
        """Change a user's email, site-admin flag or default organization (``None``: their
        personal organization).

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
                    if self._role(c, org_id, row.id) is None:
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
        """The caller's own account: name, email, admin flag, default org, personal org and
        memberships."""
        with self._db.read() as c:
            row = c.execute(sa.select(users).where(users.c.id == user_id)).one()
            orgs = c.execute(
                sa.select(
                    organizations.c.slug,
                    organizations.c.name,
                    organizations.c.personal_user_id,
                    memberships.c.role,
                )
                .join(memberships, memberships.c.org_id == organizations.c.id)
                .where(memberships.c.user_id == user_id)
                .order_by(organizations.c.slug)
            ).all()
            default_id = row.default_org_id or self._personal_org_id(c, user_id)
            default = (
                c.execute(sa.select(organizations.c.slug).where(organizations.c.id == default_id)).scalar()
                if default_id is not None
                else None
            )
        return {
            "username": row.username,
            "email": row.email,
            "is_admin": bool(row.is_admin),
            "default_org": default,
            "personal_org": next((o.slug for o in orgs if o.personal_user_id == user_id), None),
            "organizations": [
                {"slug": o.slug, "name": o.name, "role": o.role, "personal": o.personal_user_id is not None}
                for o in orgs
            ],
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

    def create_key_as(
        self, principal: Principal, name: str, password: Any, *, address: str | None = None
    ) -> tuple[str, str]:
        """A new personal key for the caller, who proves it is them with their password: a
        stolen token alone cannot become a key that outlives it (issue #10 F9). Throttled like
        sign-in."""
        if not isinstance(password, str) or not password:
            raise ValidationError(
                'Creating a personal key needs your password: send {"name": ..., "password": ...}.',
                code="password_required",
                errors=[{"field": "password", "message": "required: your current password"}],
            )
        self.throttle.check(principal.username, address)
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
        if not self._verify(stored, password):
            self.throttle.failed(principal.username, address)
            raise PermissionDenied("The password is wrong; no key was created.", code="wrong_password")
        return self.create_key(principal.username, name)

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
        self.revocations.tick()
        for listener in list(self.revocation_listeners):
            listener(int(user_id))

    check_current = staticmethod(check_current)
