"""Invitations to join an organization (issue #10 F4, F5).

Nobody joins an organization without saying yes: an owner or admin invites a username or an
email, and the invitee accepts or declines (``GET /api/v2/me/invitations``). Accepting never
changes the invitee's default organization. The only direct enrolment is the site operator's
CLI (``graphport org add-member``).

The inviter's answer is the same whether or not the invitee exists (no account or email lookup
oracle): an invitation is stored under the name as written and matched when the invitee looks.
An email invitation (the name contains ``@``) matches the user's email, any other their username
(case-insensitive), as dataset invitations do.

Composed by :class:`graphport.server._accounts.Accounts` (as ``accounts.invitations``); it reads
organizations and memberships through the connection-level helpers of ``_orgs``.
"""

from __future__ import annotations

import re
import secrets
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ConflictError, NotFoundError, ValidationError
from ..storage import Database
from ..storage._models import org_invitations, organizations, users
from ._orgs import ROLES, add_membership, check_manager, is_personal, personal_refused, role_in, visible_org

if TYPE_CHECKING:
    from ._principal import Principal

# What an invitee may be written as: a username (the username rule) or an email.
_INVITEE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]{0,253}$")
MAX_PENDING_PER_ORG = 1000


def _normalize_invitee(invitee: Any) -> str:
    if not isinstance(invitee, str) or not _INVITEE.match(invitee.strip()):
        raise ValidationError(
            "Name the invitee by username or email (letters, digits and _.@+-, at most 254 characters).",
            code="invalid_invitee",
            errors=[{"field": "username", "message": "a username or an email"}],
        )
    return invitee.strip().lower()


class Invitations:
    """Invitations to organizations: the inviters' side and the invitee's."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def invite_as(
        self, principal: Principal, slug: str, invitee: str, role: str = "member"
    ) -> dict[str, Any]:
        """Invite someone (by username or email) to the org as an owner or admin of it.

        Answers ``{"status": "invited"}`` alike for an existing user, an unknown name and an
        existing invitation (whose role is updated); a current member's role is changed through
        ``add_member_as`` instead."""
        name = _normalize_invitee(invitee)
        if role not in ROLES:
            raise ValidationError(f"The role {role!r} is not one of {', '.join(ROLES)}.", code="invalid_role")
        with self._db.write() as c:
            org_id, my_role = visible_org(c, principal, slug)
            if is_personal(c, org_id):
                raise personal_refused(slug)
            check_manager(slug, my_role, role, None)
            existing = c.execute(
                sa.select(org_invitations.c.id).where(
                    org_invitations.c.org_id == org_id, org_invitations.c.invitee == name
                )
            ).scalar()
            if existing is not None:
                c.execute(
                    org_invitations.update()
                    .where(org_invitations.c.id == existing)
                    .values(role=role, invited_by=principal.user_id, created_at=time.time())
                )
            else:
                pending = c.execute(
                    sa.select(sa.func.count()).where(org_invitations.c.org_id == org_id)
                ).scalar_one()
                if pending >= MAX_PENDING_PER_ORG:
                    raise ConflictError(
                        f"{slug!r} has {pending} pending invitations, the most allowed; cancel some "
                        "(DELETE /api/v2/orgs/{slug}/invitations/{id}) first.",
                        code="too_many_invitations",
                    )
                c.execute(
                    org_invitations.insert().values(
                        id=secrets.token_hex(16),
                        org_id=org_id,
                        invitee=name,
                        role=role,
                        invited_by=principal.user_id,
                        created_at=time.time(),
                    )
                )
        return {"slug": slug, "username": invitee, "role": role, "status": "invited"}

    def org_invitations(self, principal: Principal, slug: str) -> list[dict[str, Any]]:
        """The org's pending invitations, as their inviters wrote them (owners and admins)."""
        with self._db.read() as c:
            org_id, my_role = visible_org(c, principal, slug)
            check_manager(slug, my_role, "member", None)
            rows = c.execute(
                sa.select(
                    org_invitations.c.id,
                    org_invitations.c.invitee,
                    org_invitations.c.role,
                    org_invitations.c.created_at,
                    users.c.username.label("invited_by"),
                )
                .select_from(org_invitations.outerjoin(users, users.c.id == org_invitations.c.invited_by))
                .where(org_invitations.c.org_id == org_id)
                .order_by(org_invitations.c.created_at)
            ).all()
        return [dict(r._mapping) for r in rows]

    def cancel_invitation_as(self, principal: Principal, slug: str, invitation_id: str) -> None:
        """Withdraw a pending invitation (owners and admins; an owner invitation takes owner)."""
        with self._db.write() as c:
            org_id, my_role = visible_org(c, principal, slug)
            role = c.execute(
                sa.select(org_invitations.c.role).where(
                    org_invitations.c.id == invitation_id, org_invitations.c.org_id == org_id
                )
            ).scalar()
            if role is None:
                raise NotFoundError(
                    f"There is no pending invitation {invitation_id!r} in {slug!r}.",
                    code="invitation_not_found",
                )
            check_manager(slug, my_role, str(role), None)
            c.execute(org_invitations.delete().where(org_invitations.c.id == invitation_id))

    # -- the invitee's side ------------------------------------------------------------------------

    @staticmethod
    def _mine(c: sa.Connection, user_id: int) -> sa.ColumnElement[bool]:
        row = c.execute(sa.select(users.c.username, users.c.email).where(users.c.id == user_id)).one()
        names = [org_invitations.c.invitee == row.username.lower()] if "@" not in row.username else []
        if row.email:
            names.append(org_invitations.c.invitee == row.email.lower())
        return sa.or_(*names) if names else sa.false()

    def my_invitations(self, principal: Principal) -> list[dict[str, Any]]:
        """The caller's pending invitations: id, organization, role, who invited, when."""
        with self._db.read() as c:
            rows = c.execute(
                sa.select(
                    org_invitations.c.id,
                    organizations.c.slug,
                    organizations.c.name,
                    org_invitations.c.role,
                    org_invitations.c.created_at,
                    users.c.username.label("invited_by"),
                )
                .select_from(
                    org_invitations.join(
                        organizations, organizations.c.id == org_invitations.c.org_id
                    ).outerjoin(users, users.c.id == org_invitations.c.invited_by)
                )
                .where(self._mine(c, principal.user_id))
                .order_by(org_invitations.c.created_at)
            ).all()
        return [dict(r._mapping) for r in rows]

    def _my_invitation(self, c: sa.Connection, principal: Principal, invitation_id: str) -> Any:
        row = c.execute(
            sa.select(org_invitations, organizations.c.slug)
            .join(organizations, organizations.c.id == org_invitations.c.org_id)
            .where(org_invitations.c.id == invitation_id, self._mine(c, principal.user_id))
        ).first()
        if row is None:  # someone else's invitation is as unknown as a missing one
            raise NotFoundError(
                f"You have no pending invitation {invitation_id!r}.", code="invitation_not_found"
            )
        return row

    def accept_invitation(self, principal: Principal, invitation_id: str) -> dict[str, Any]:
        """Join the organization of one of the caller's invitations, with its role. The default
        organization does not change (``graphport user set --default-org``, or ``org_name``)."""
        with self._db.write() as c:
            row = self._my_invitation(c, principal, invitation_id)
            role = role_in(c, row.org_id, principal.user_id)
            if role is None:
                add_membership(c, row.org_id, principal.user_id, row.role)
                role = row.role
            c.execute(
                org_invitations.delete().where(
                    org_invitations.c.org_id == row.org_id, self._mine(c, principal.user_id)
                )
            )
        return {"slug": row.slug, "role": role}

    def decline_invitation(self, principal: Principal, invitation_id: str) -> None:
        """Refuse one of the caller's invitations (the inviter may invite again)."""
        with self._db.write() as c:
            row = self._my_invitation(c, principal, invitation_id)
            c.execute(org_invitations.delete().where(org_invitations.c.id == row.id))
