"""Users, organizations, memberships, passwords (argon2), personal keys and token checks."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import secrets
import time
from typing import Any

import argon2
import sqlalchemy as sa

from ..errors import AuthError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, personal_keys, users
from ._tokens import TokenIssuer

ROLES = ("owner", "admin", "member")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
_hasher = argon2.PasswordHasher()
# Verified against when the user does not exist, so a wrong username costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is making a request: a signed-in user (anonymous callers are ``None``)."""

    user_id: int
    username: str
    is_admin: bool = False


@dataclasses.dataclass(frozen=True)
class OrgStatus:
    slug: str
    is_found: bool
    is_member: bool


@dataclasses.dataclass(frozen=True)
class Login:
    token: str
    org: OrgStatus | None


def _hash_key_secret(secret: str) -> str:
    # Key secrets are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


class Accounts:
    def __init__(self, db: Database, tokens: TokenIssuer) -> None:
        self._db = db
        self.tokens = tokens

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
        password_hash = _hasher.hash(password) if password else None
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
            ).inserted_primary_key[0]
        return Principal(int(user_id), username, is_admin)

    def find_user(self, name_or_email: str) -> Principal | None:
        """The active user with this username, or else this email (case-insensitive)."""
        with self._db.read() as c:
            row = c.execute(
                sa.select(users.c.id, users.c.username, users.c.is_admin)
                .where(users.c.is_active, users.c.username == name_or_email)
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
            row = c.execute(
                sa.select(users).where(users.c.username == username, users.c.is_active)
            ).first()
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        try:
            _hasher.verify(stored, password)
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
        with self._db.read() as c:
            row = c.execute(sa.select(users).where(users.c.id == user_id)).first()
            key_revoked = False
            if "kid" in claims:
                key = c.execute(
                    sa.select(personal_keys.c.revoked_at).where(personal_keys.c.id == claims["kid"])
                ).first()
                key_revoked = key is None or key.revoked_at is not None
        if row is None or not row.is_active or row.token_epoch != claims.get("ep") or key_revoked:
            raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
        return Principal(row.id, row.username, row.is_admin)

    def refresh(self, token: str) -> str:
        """A fresh token for a valid one (a token minted a second ago refreshes fine)."""
        claims = self.tokens.decode(token)
        principal = self._principal_for_claims(claims)
        with self._db.read() as c:
            epoch = c.execute(sa.select(users.c.token_epoch).where(users.c.id == principal.user_id)).scalar_one()
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
        new_hash = _hasher.hash(password)
        with self._db.write() as c:
            done = c.execute(
                users.update()
                .where(users.c.username == username)
                .values(password_hash=new_hash, token_epoch=users.c.token_epoch + 1)
            ).rowcount
        if not done:
            raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")

    def set_active(self, username: str, active: bool) -> None:
        with self._db.write() as c:
            done = c.execute(
                users.update()
                .where(users.c.username == username)
                .values(is_active=active, token_epoch=users.c.token_epoch + 1)
            ).rowcount
        if not done:
            raise NotFoundError(f"There is no user named {username!r}.", code="user_not_found")

    # -- personal keys --------------------------------------------------------------------------

    def create_key(self, username: str, name: str = "") -> tuple[str, str]:
        """A new personal key for the user: ``(key_id, secret)``. The secret is not kept."""
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
                sa.select(personal_keys.c.id, personal_keys.c.name, personal_keys.c.created_at,
                          personal_keys.c.revoked_at)
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
        if not done:
            raise NotFoundError(f"There is no active personal key {key_id!r}.", code="key_not_found")

    # -- organizations --------------------------------------------------------------------------

    def create_org(self, slug: str, name: str | None = None, members: list[str] | None = None) -> None:
        if not _SLUG.match(slug):
            raise ValidationError(
                f"The organization slug {slug!r} is not allowed; use 1-100 lower-case letters, "
                "digits, '_' and '-', starting with a letter or digit.",
                code="invalid_slug",
            )
        member_users = [self.require_user(m) for m in members or []]
        with self._db.write() as c:
            if c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).first():
                raise ConflictError(f"An organization {slug!r} already exists.", code="org_exists")
            org_id = c.execute(
                organizations.insert().values(slug=slug, name=name or slug, created_at=time.time())
            ).inserted_primary_key[0]
            for user in member_users:
                self._add_member(c, org_id, user.user_id, "member")

    def add_member(self, slug: str, username: str, role: str = "member") -> None:
        if role not in ROLES:
            raise ValidationError(f"The role {role!r} is not one of {', '.join(ROLES)}.", code="invalid_role")
        user = self.require_user(username)
        with self._db.write() as c:
            org_id = self._org_id(c, slug)
            existing = c.execute(
                sa.select(memberships.c.role).where(
                    memberships.c.org_id == org_id, memberships.c.user_id == user.user_id
                )
            ).first()
            if existing is not None:
                c.execute(
                    memberships.update()
                    .where(memberships.c.org_id == org_id, memberships.c.user_id == user.user_id)
                    .values(role=role)
                )
            else:
                self._add_member(c, org_id, user.user_id, role)

    def remove_member(self, slug: str, username: str) -> None:
        user = self.require_user(username)
        with self._db.write() as c:
            org_id = self._org_id(c, slug)
            done = c.execute(
                memberships.delete().where(
                    memberships.c.org_id == org_id, memberships.c.user_id == user.user_id
                )
            ).rowcount
            if not done:
                raise NotFoundError(f"{username!r} is not a member of {slug!r}.", code="not_a_member")
            c.execute(
                users.update()
                .where(users.c.id == user.user_id, users.c.default_org_id == org_id)
                .values(default_org_id=None)
            )

    def _add_member(self, c: sa.Connection, org_id: int, user_id: int, role: str) -> None:
        c.execute(
            memberships.insert().values(org_id=org_id, user_id=user_id, role=role, created_at=time.time())
        )
        c.execute(
            users.update()
            .where(users.c.id == user_id, users.c.default_org_id.is_(None))
            .values(default_org_id=org_id)
        )

    def _org_id(self, c: sa.Connection, slug: str) -> int:
        org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
        if org_id is None:
            raise NotFoundError(f"There is no organization {slug!r}.", code="org_not_found")
        return int(org_id)

    def _org_status(self, user_id: int, slug: str | None) -> OrgStatus | None:
        if not slug:
            return None
        with self._db.read() as c:
            org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
            is_member = org_id is not None and c.execute(
                sa.select(memberships.c.role).where(
                    memberships.c.org_id == org_id, memberships.c.user_id == user_id
                )
            ).first() is not None
        # A non-member is not told whether the organization exists.
        return OrgStatus(slug, is_found=is_member, is_member=is_member)

    def member_org_id(self, principal: Principal, slug: str) -> int:
        """The org's id when the principal belongs to it; PermissionDenied otherwise."""
        status = self._org_status(principal.user_id, slug)
        if status is None or not status.is_member:
            raise PermissionDenied(
                f"Not authorized to organization {slug!r}: it does not exist or you are not a member.",
                code="not_a_member",
            )
        with self._db.read() as c:
            return self._org_id(c, slug)

    def default_org_id(self, user_id: int) -> int | None:
        with self._db.read() as c:
            value = c.execute(sa.select(users.c.default_org_id).where(users.c.id == user_id)).scalar()
        return int(value) if value is not None else None

    def org_slug(self, org_id: int | None) -> str | None:
        if org_id is None:
            return None
        with self._db.read() as c:
            slug = c.execute(sa.select(organizations.c.slug).where(organizations.c.id == org_id)).scalar()
        return str(slug) if slug is not None else None

    def user_org_ids(self, user_id: int) -> set[int]:
        with self._db.read() as c:
            return set(c.execute(sa.select(memberships.c.org_id).where(memberships.c.user_id == user_id)).scalars())
