"""Organizations and memberships: creation, roles, members, the default organization, and the
membership checks behind ``org_name`` and the org switch route.

A mixin of :class:`graphport.server._accounts.Accounts`, which supplies the database and the user
lookups; split out so each module holds one idea.
"""

from __future__ import annotations

import dataclasses
import re
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from ..storage import Database
from ..storage._models import memberships, organizations, users

if TYPE_CHECKING:
    from ._accounts import Principal

ROLES = ("owner", "admin", "member")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclasses.dataclass(frozen=True)
class OrgStatus:
    slug: str
    is_found: bool
    is_member: bool


class Organizations:
    """The organization half of :class:`Accounts`."""

    _db: Database

    if TYPE_CHECKING:

        def require_user(self, username: str) -> Principal: ...
        def find_user(self, name_or_email: str) -> Principal | None: ...
        def _revoked(self, *, user_id: int | None = None, username: str | None = None) -> None: ...

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
        member_users = [self.require_user(m) for m in members or []]
        with self._db.write() as c:
            if c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).first():
                raise ConflictError(f"An organization {slug!r} already exists.", code="org_exists")
            org_id = c.execute(
                organizations.insert().values(slug=slug, name=name or slug, created_at=time.time())
            ).inserted_primary_key[0]  # type: ignore[index]
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
        self._revoked(user_id=user.user_id)

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
        status = self._org_status(principal.user_id, slug)
        if status is None or not status.is_member:
            raise PermissionDenied(
                f"Not authorized to organization {slug!r}: it does not exist or you are not a member.",
                code="not_a_member",
            )
        with self._db.read() as c:
            return self._org_id(c, slug)

    # -- organizations, as their members manage them (the API; the CLI above acts as site admin) --

    def _role(self, c: sa.Connection, org_id: int, user_id: int) -> str | None:
        role = c.execute(
            sa.select(memberships.c.role).where(
                memberships.c.org_id == org_id, memberships.c.user_id == user_id
            )
        ).scalar()
        return str(role) if role is not None else None

    def _visible_org(self, c: sa.Connection, principal: Principal, slug: str) -> tuple[int, str | None]:
        """The org's id and the caller's role; 404 for an org the caller does not belong to
        (site admins see every org), so org names are not confirmed to outsiders."""
        org_id = c.execute(sa.select(organizations.c.id).where(organizations.c.slug == slug)).scalar()
        role = self._role(c, org_id, principal.user_id) if org_id is not None else None
        if org_id is None or (role is None and not principal.is_admin):
            raise NotFoundError(
                f"There is no organization {slug!r}, or you are not a member of it.", code="org_not_found"
            )
        return int(org_id), ("owner" if principal.is_admin and role is None else role)

    def describe_org(self, principal: Principal, slug: str) -> dict[str, Any]:
        """An organization and its members, for its members."""
        with self._db.read() as c:
            org_id, role = self._visible_org(c, principal, slug)
            name = c.execute(sa.select(organizations.c.name).where(organizations.c.id == org_id)).scalar()
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
            "members": [{"username": m.username, "role": m.role} for m in members],
        }

    def create_org_as(self, principal: Principal, slug: str, name: str | None = None) -> None:
        """Create an organization whose first owner is the caller."""
        self.create_org(slug, name)
        with self._db.write() as c:
            self._add_member(c, self._org_id(c, slug), principal.user_id, "owner")

    def add_member_as(self, principal: Principal, slug: str, username: str, role: str = "member") -> None:
        """Add a member (or change a role) as an owner or admin of the org.

        Admins manage members and admins; only owners make or unmake owners."""
        if role not in ROLES:
            raise ValidationError(f"The role {role!r} is not one of {', '.join(ROLES)}.", code="invalid_role")
        with self._db.read() as c:
            org_id, my_role = self._visible_org(c, principal, slug)
            target = self.require_user(username)
            current = self._role(c, org_id, target.user_id)
        if my_role not in ("owner", "admin") or (my_role == "admin" and "owner" in (role, current)):
            raise PermissionDenied(
                f"Your role in {slug!r} is {my_role}; adding members takes admin, and making or "
                "changing owners takes owner.",
                code="org_role_required",
            )
        if current == "owner" and role != "owner":
            self._check_not_last_owner(org_id, slug, target.user_id)
        self.add_member(slug, username, role)

    def remove_member_as(self, principal: Principal, slug: str, username: str) -> None:
        """Remove a member as an owner or admin of the org; any member may leave it."""
        with self._db.read() as c:
            org_id, my_role = self._visible_org(c, principal, slug)
            target = self.find_user(username)
            current = self._role(c, org_id, target.user_id) if target is not None else None
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
            return set(
                c.execute(sa.select(memberships.c.org_id).where(memberships.c.user_id == user_id)).scalars()
            )
