"""Users, sign-in and token checks: the accounts facade transports and the CLI call.

Composed of ``_passwords`` (policy, argon2 in bounded slots), ``_sessions``, ``_personal_keys``
(``accounts.keys``), ``_orgs`` (``accounts.orgs``) and ``_invitations`` (``accounts.invitations``). Failed sign-ins are throttled per
username and per address (``_throttle``). Changing a password, or ``revoke_all``, ends every
credential of the user: all tokens (the epoch) and all personal keys.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import argon2
import sqlalchemy as sa

from ..errors import AuthError, ConflictError, NotFoundError, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, personal_keys, users
from ._access import bind_pending_invites
from ._invitations import Invitations
from ._orgs import Organizations, OrgStatus, create_personal_org, org_id_of, personal_org_id, role_in
from ._passwords import Passwords, check_password_policy
from ._passwords import password_hasher as password_hasher  # re-exported for _core
from ._personal_keys import PersonalKeys, secret_matches
from ._principal import Principal as Principal  # re-exported: callers import it from here
from ._principal import RevocationClock, check_current
from ._sessions import Sessions
from ._throttle import HashSlots, LoginThrottle
from ._tokens import TokenIssuer

if TYPE_CHECKING:
    from ._config import ServerConfig

_UNSET: Any = object()
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,149}$")


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


class Accounts:
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
        self.throttle = LoginThrottle(
            per_user=config.login_failures_per_user if config else 10,
            per_address=config.login_failures_per_address if config else 50,
            window=config.login_failure_window if config else 300.0,
        )
        self.hash_slots = HashSlots(config.max_concurrent_password_hashes if config else 4)
        self.passwords = Passwords(hasher, self.hash_slots)
        self.sessions = Sessions(
            db, tokens, self.revocations, self.require_user, lambda user_id: self._revoked(user_id=user_id)
        )
        self.keys = PersonalKeys(
            db,
            self.passwords,
            self.throttle,
            self.require_user,
            lambda user_id: self._revoked(user_id=user_id),
        )
        self.invitations = Invitations(db)
        self.orgs = Organizations(
            db,
            self.invitations.invite_as,
            self.require_user,
            self.find_user,
            lambda user_id: self._revoked(user_id=user_id),
        )

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
        password_hash = self.passwords.hash(password) if password else None
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
            personal = create_personal_org(c, user_id, username)
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
        ok = self.passwords.verify(row.password_hash if row is not None else None, password)
        if not ok or row is None:
            self.throttle.failed(username, address)
            raise AuthError(
                "Unable to log in with provided credentials: wrong username or password.",
                code="invalid_credentials",
            )
        self.throttle.succeeded(username)
        token = self.tokens.mint(user_uid=row.uid, username=row.username, epoch=row.token_epoch)
        return Login(token, self.orgs.status(row.id, org_name or None))

    def login_key(self, key_id: Any, secret: Any, org_name: Any = None) -> Login:
        _check_login_fields(org_name=org_name)
        with self._db.read() as c:
            row = c.execute(
                sa.select(personal_keys, users.c.uid, users.c.username, users.c.token_epoch)
                .join(users, users.c.id == personal_keys.c.user_id)
                .where(personal_keys.c.id == str(key_id), users.c.is_active)
            ).first()
        if row is None or row.revoked_at is not None or not secret_matches(row.secret_hash, secret):
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
        return Login(token, self.orgs.status(row.user_id, org_name or None))

    # -- tokens (see _sessions) ------------------------------------------------------------------

    def authenticate(self, token: str) -> Principal:
        """The user a token speaks for, with its caller facts; AuthError when it is invalid,
        expired or revoked."""
        return self.sessions.authenticate(token)

    def refresh(self, token: str) -> str:
        """A fresh token for a valid one (a token minted a second ago refreshes fine)."""
        return self.sessions.refresh(token)

    def token_for(self, username: str) -> str:
        """A token for an active user, minted without credentials (embedded use, CLI, tests)."""
        return self.sessions.token_for(username)

    def revoke_token(self, token: str) -> bool:
        """End one token before it expires (sign-out), in every process. False when the token
        was not valid."""
        return self.sessions.revoke_token(token)

    def set_password(self, username: str, password: str) -> int:
        """Change a password. Every credential of the user ends: all tokens (sessions included)
        and all personal keys. Returns how many keys were revoked."""
        check_password_policy(username, password)
        new_hash = self.passwords.hash(password)
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
        return PersonalKeys.end_all(c, user_id)

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
                    org_id = org_id_of(c, default_org)
                    if role_in(c, org_id, row.id) is None:
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
            default_id = row.default_org_id or personal_org_id(c, user_id)
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

    # -- personal keys (see _personal_keys) ------------------------------------------------------

    def create_key(self, username: str, name: str = "") -> tuple[str, str]:
        """A new personal key for the user: ``(key_id, secret)``. The secret is not kept."""
        return self.keys.create(username, name)

    def create_key_as(
        self, principal: Principal, name: str, password: Any, *, address: str | None = None
    ) -> tuple[str, str]:
        """A new personal key for the caller, who proves it is them with their password: a
        stolen token alone cannot become a key that outlives it (issue #10 F9). Throttled like
        sign-in."""
        return self.keys.create_as(principal, name, password, address=address)

    def list_keys(self, username: str) -> list[dict[str, Any]]:
        return self.keys.list(username)

    def revoke_key(self, key_id: str, *, username: str | None = None) -> None:
        self.keys.revoke(key_id, username=username)

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
