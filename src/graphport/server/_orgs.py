"""Organizations and memberships: creation, roles, members, the default organization, and the
membership checks behind ``org_name`` and the org switch route.

:class:`Organizations` is composed by :class:`graphport.server._accounts.Accounts` (as
``accounts.orgs``), which hands it the database, the user lookups and its revocation signal. The
connection-level helpers are module functions, shared with ``_invitations`` and ``_accounts``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, users

if TYPE_CHECKING:
    from ._principal import Principal

ROLES = ("owner", "admin", "member")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
# Personal organizations are "~<username>": '~' is outside _SLUG, so no org anyone creates can
# take a personal slug, and usernames are unique, so personal slugs are too.
PERSONAL_PREFIX = "~"


def personal_slug(username: str) -> str:
    return PERSONAL_PREFIX + username


def personal_refused(slug: str) -> ConflictError:
    return ConflictError(
        f"{slug!r} is a personal organization: it has its owner as its only member, so datasets "
        "shared with it in organization mode stay private. Use (or create) another organization.",
        code="personal_org",
    )


@dataclasses.dataclass(frozen=True)
class OrgStatus:
    slug: str
    is_found: bool
    is_member: bool


def add_membership(c: sa.Connection, org_id: int, user_id: int, role: str) -> None:
    # Joining never changes the default organization (issue #10 F4): only its owner does.
    c.execute(memberships.insert().values(org_id=org_id, user_id=user_id, role=role, created_at=time.time()))


def create_personal_org(c: sa.Connection, user_id: int, username: str) -> int:
    org_id = int(
        c.execute(
            organizations.insert().values(
                slug=personal_slug(username),
                name=username,
                created_at=time.time(),
                personal_user_id=user_id,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    )
    add_membership(c, org_id, user_id, "owner")
    return org_id


def is_personal(c: sa.Connection, org_id: int) -> bool:
    owner = c.execute(
        sa.select(organizations.c.personal_user_id).where(organizations.c.id == org_id)
    ).scalar()
    return owner is not None


def personal_org_id(c: sa.Connection, user_id: int) -> int | None:
    value = c.execute(
        sa.select(organizations.c.id).where(organizations.c.personal_user_id == user_id)
    ).scalar()
    return int(value) if value is not None else None


def org_id_of(c: sa.Connection, slug: str) -> int:
    org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
    if org_id is None:
        raise NotFoundError(f"There is no organization {slug!r}.", code="org_not_found")
    return int(org_id)


def role_in(c: sa.Connection, org_id: int, user_id: int) -> str | None:
    role = c.execute(
        sa.select(memberships.c.role).where(memberships.c.org_id == org_id, memberships.c.user_id == user_id)
    ).scalar()
    return str(role) if role is not None else None


def visible_org(c: sa.Connection, principal: Principal, slug: str) -> tuple[int, str]:
    """The org's id and the caller's role; 404 for an org the caller does not belong to, so
    org names are not confirmed to outsiders. Site admins are outsiders here too: over the
    API they have no power over organizations (issue #10 F11); the operator uses the CLI."""
    org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
    role = role_in(c, org_id, principal.user_id) if org_id is not None else None
    if org_id is None or role is None:
        raise NotFoundError(
            f"There is no organization {slug!r}, or you are not a member of it.", code="org_not_found"
        )
    return int(org_id), role


def check_manager(slug: str, my_role: str, role: str, current: str | None) -> None:
    """Owners and admins manage members; only owners make or change owners."""
    if my_role not in ("owner", "admin") or (my_role == "admin" and "owner" in (role, current)):
        raise PermissionDenied(
            f"Your role in {slug!r} is {my_role}; inviting and managing members takes admin, "
            "and making or changing owners takes owner.",
            code="org_role_required",
        )


class Organizations:
    """Organizations and their members: the site operator's acts (CLI) and the members' own (API)."""

    def __init__(
        self,
        db: Database,
        invite: Callable[[Principal, str, str, str], dict[str, Any]],
        require_user: Callable[[str], Principal],
        find_user: Callable[[str], Principal | None],
        revoked: Callable[[int], object],
    ) -> None:
        self._db = db
        self._invite = invite  # Invitations.invite_as: a non-member is invited, never enrolled
        self._require_user = require_user
        self._find_user = find_user
        self._revoked = revoked

    # -- organizations --------------------------------------------------------------------------

    def create_org(self, slug: str, name: str | None = None, members: list[str] | None = None) -> None:
        if not _SLUG.match(slug):
            raise ValidationError(
                f"The organization slug {slug!r} is not allowed; use 1-100 lower-case letters, "
                "digits, '_' and '-', starting with a letter or digit.",
                code="invalid_slug",
            )
        if name is not None and not 0 < len(name) <= 200:
            raise ValidationError(
                f"The organization name has {len(name)} characters; use 1 to 200.", code="invalid_org"
            )
        member_users = [self._require_user(m) for m in members or []]
        with self._db.write() as c:
            if c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).first():
                raise ConflictError(f"An organization {slug!r} already exists.", code="org_exists")
            org_id = c.execute(
                organizations.insert().values(slug=slug, name=name or slug, created_at=time.time())
            ).inserted_primary_key[0]  # type: ignore[index]
            for user in member_users:
                add_membership(c, org_id, user.user_id, "member")

    def add_member(self, slug: str, username: str, role: str = "member") -> None:
        """Add a member (or change a role) directly: the site operator's act (CLI
        ``graphport org add-member``); over the API, members are invited and accept. Never
        changes anyone's default organization."""
        if role not in ROLES:
            raise ValidationError(f"The role {role!r} is not one of {', '.join(ROLES)}.", code="invalid_role")
        user = self._require_user(username)
        with self._db.write() as c:
            org_id = org_id_of(c, slug)
            if is_personal(c, org_id):
                raise personal_refused(slug)
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
                add_membership(c, org_id, user.user_id, role)

    def remove_member(self, slug: str, username: str) -> None:
        """Remove a member; whoever had it as default organization falls back to their personal
        one."""
        user = self._require_user(username)
        with self._db.write() as c:
            org_id = org_id_of(c, slug)
            if is_personal(c, org_id):
                raise personal_refused(slug)
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
        self._revoked(user.user_id)

    def status(self, user_id: int, slug: str | None) -> OrgStatus | None:
        if not slug:
            return None
        with self._db.read() as c:
            org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
            is_member = (
                org_id is not None
                and c.execute(
                    sa.select(memberships.c.role).where(
                        memberships.c.org_id == org_id, memberships.c.user_id == user_id
                    )
                ).first()
                is not None
            )
        # A non-member is not told whether the organization exists.
        return OrgStatus(slug, is_found=is_member, is_member=is_member)

    def member_org_id(self, principal: Principal, slug: str) -> int:
        """The org's id when the principal belongs to it; PermissionDenied otherwise."""
        status = self.status(principal.user_id, slug)
        if status is None or not status.is_member:
            raise PermissionDenied(
                f"Not authorized to organization {slug!r}: it does not exist or you are not a member.",
                code="not_a_member",
            )
        with self._db.read() as c:
            return org_id_of(c, slug)

    # -- organizations, as their members manage them (the API; the CLI above acts as site admin) --

    def describe_org(self, principal: Principal, slug: str) -> dict[str, Any]:
        """An organization and its members, for its members."""
        with self._db.read() as c:
            org_id, role = visible_org(c, principal, slug)
            name = c.execute(sa.select(organizations.c.name).where(organizations.c.id == org_id)).scalar()
            personal = is_personal(c, org_id)
            members = c.execute(
                sa.select(users.c.username, memberships.c.role)
                .join(users, users.c.id == memberships.c.user_id)
                .where(memberships.c.org_id == org_id)
                .order_by(users.c.username)
            ).all()
        return {
            "slug": slug,
            "name": name,
            "role": role,
            "personal": personal,
            "members": [{"username": m.username, "role": m.role} for m in members],
        }

    def create_org_as(self, principal: Principal, slug: str, name: str | None = None) -> None:
        """Create an organization whose first owner is the caller."""
        self.create_org(slug, name)
        with self._db.write() as c:
            add_membership(c, org_id_of(c, slug), principal.user_id, "owner")

    def add_member_as(
        self, principal: Principal, slug: str, username: str, role: str = "member"
    ) -> dict[str, Any]:
        """Change a member's role, or invite someone who is not a member (they accept or
        decline; nobody is enrolled without consent). Owners and admins only; only owners make
        or change owners. The answer is the same whether or not the invitee exists."""
        if role not in ROLES:
            raise ValidationError(f"The role {role!r} is not one of {', '.join(ROLES)}.", code="invalid_role")
        with self._db.read() as c:
            org_id, my_role = visible_org(c, principal, slug)
            if is_personal(c, org_id):
                raise personal_refused(slug)
            target = c.execute(
                sa.select(users.c.id).where(users.c.username == username, users.c.is_active)
            ).scalar()
            current = role_in(c, org_id, target) if target is not None else None
        check_manager(slug, my_role, role, current)
        if current is None or target is None:
            return self._invite(principal, slug, username, role)
        if current == "owner" and role != "owner":
            self._check_not_last_owner(org_id, slug, int(target))
        with self._db.write() as c:
            c.execute(
                memberships.update()
                .where(memberships.c.org_id == org_id, memberships.c.user_id == target)
                .values(role=role)
            )
        if current != role:
            self._revoked(int(target))
        return {"slug": slug, "username": username, "role": role, "status": "updated"}

    def remove_member_as(self, principal: Principal, slug: str, username: str) -> None:
        """Remove a member as an owner or admin of the org; any member may leave it."""
        with self._db.read() as c:
            org_id, my_role = visible_org(c, principal, slug)
            if is_personal(c, org_id):
                raise personal_refused(slug)
            target = self._find_user(username)
            current = role_in(c, org_id, target.user_id) if target is not None else None
        if target is None or current is None:
            raise NotFoundError(f"{username!r} is not a member of {slug!r}.", code="not_a_member")
        leaving = target.user_id == principal.user_id
        if not leaving and (my_role not in ("owner", "admin") or (my_role == "admin" and current == "owner")):
            raise PermissionDenied(
                f"Your role in {slug!r} is {my_role}; removing members takes admin (owner to remove "
                "an owner).",
                code="org_role_required",
            )
        if current == "owner":
            self._check_not_last_owner(org_id, slug, target.user_id)
        self.remove_member(slug, username)

    def _check_not_last_owner(self, org_id: int, slug: str, user_id: int) -> None:
        with self._db.read() as c:
            owners = set(
                c.execute(
                    sa.select(memberships.c.user_id).where(
                        memberships.c.org_id == org_id, memberships.c.role == "owner"
                    )
                ).scalars()
            )
        if owners == {user_id}:
            raise ConflictError(
                f"{slug!r} would have no owner left; make someone else owner first.", code="last_owner"
            )

    def default_org_id(self, user_id: int) -> int | None:
        """Where the user's datasets go without ``org_name``: their chosen default, else their
        personal organization (so organization mode shares with nobody else)."""
        with self._db.read() as c:
            value = c.execute(sa.select(users.c.default_org_id).where(users.c.id == user_id)).scalar()
            if value is None:
                return personal_org_id(c, user_id)
        return int(value)

    def org_slug(self, org_id: int | None) -> str | None:
        if org_id is None:
            return None
        with self._db.read() as c:
            slug = c.execute(sa.select(organizations.c.slug).where(organizations.c.id == org_id)).scalar()
        return str(slug) if slug is not None else None

    def user_org_ids(self, user_id: int) -> set[int]:
        with self._db.read() as c:
            return set(
                c.execute(sa.select(memberships.c.org_id).where(memberships.c.user_id == user_id)).scalars()
            )
