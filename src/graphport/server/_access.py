"""The ONE place that decides who may view, edit, share or delete a dataset.

Rules (DESIGN.md section 5, written out in ``docs/access.md``):

- The owner may do everything.
- Invited users get their action: ``10`` view, ``20`` edit. Edit includes view and share (changing
  privacy and invitations, as the REST v3 share call does). Only the owner may delete.
- In ``organization`` mode the members of the dataset's organization get the mode's action:
  view, or edit when the sharer set ``mode_action`` to ``20``. A dataset without an organization
  in ``organization`` mode is visible to its owner and invitees only.
- In ``public`` mode anyone with the URL, signed in or not, may view (never edit: ``mode_action``
  does not reach anonymous callers).
- Everyone else is told the dataset does not exist (404), so ids are never confirmed. Being a site
  admin or an admin of some organization gives no rights over other people's datasets.

An invitation names a user by email (it contains ``@``) or by username. When the invitee already
exists the invitation is bound to that user's id at once; otherwise it stays pending and is bound
when a user with that email or username appears (``bind_pending_invites``). A bound invitation
follows the user, not the name: changing a user's email later neither moves nor loses it.

A sharer who is not the owner cannot grant themselves more through an invitation than the
invitation they already hold (:func:`check_self_invites`): an org member with edit rights who
invited themselves would keep the dataset after leaving the org (issue #10 F11).

Every route asks :func:`allowed` (through ``Datasets.require``), never its own check.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any

import sqlalchemy as sa

from ..errors import PermissionDenied
from ..storage._models import dataset_invites, datasets, memberships, users
from ._principal import Principal, check_current


class Action(enum.IntEnum):
    VIEW = 10
    EDIT = 20
    SHARE = 25
    DELETE = 30


MODE_ALIASES = {"org": "organization", "organisation": "organization"}
MODES = ("private", "organization", "public")


@dataclasses.dataclass(frozen=True)
class Invite:
    invitee: str
    user_id: int | None
    action: int


@dataclasses.dataclass(frozen=True)
class AccessFacts:
    """What the decision needs to know about a dataset."""

    owner_id: int
    org_id: int | None
    mode: str
    invites: tuple[Invite, ...]
    mode_action: int = 10


@dataclasses.dataclass(frozen=True)
class Caller:
    """What the decision needs to know about the caller (``None`` principal: anonymous)."""

    principal: Principal | None
    email: str | None
    org_ids: frozenset[int]


ANONYMOUS = Caller(None, None, frozenset())


def granted_level(caller: Caller, facts: AccessFacts) -> int:
    """The highest right the caller holds: 0 none, 10 view, 20 edit (and share), 30 owner."""
    p = caller.principal
    if p is not None and p.user_id == facts.owner_id:
        return int(Action.DELETE)
    level = 0
    if facts.mode == "public":
        level = int(Action.VIEW)
    if p is None:
        return level
    if facts.mode == "organization" and facts.org_id is not None and facts.org_id in caller.org_ids:
        level = max(level, int(Action.EDIT) if facts.mode_action >= Action.EDIT else int(Action.VIEW))
    return max(level, invited_action(caller, facts))


# The level each action needs (share is part of edit; delete is the owner's alone).
NEEDED = {Action.VIEW: 10, Action.EDIT: 20, Action.SHARE: 20, Action.DELETE: 30}


def allowed(caller: Caller, facts: AccessFacts, action: Action) -> bool:
    """True when the caller may perform ``action`` on the dataset described by ``facts``."""
    return granted_level(caller, facts) >= NEEDED[action]


def rights(caller: Caller, facts: AccessFacts) -> frozenset[Action]:
    """Every action the caller may perform on the dataset."""
    level = granted_level(caller, facts)
    return frozenset(a for a, needed in NEEDED.items() if level >= needed)


def invitee_matches(invite: Invite, caller: Caller) -> bool:
    p = caller.principal
    if p is None:
        return False
    if invite.user_id is not None:
        return invite.user_id == p.user_id
    # Pending: an email invitation matches the email only, a name invitation the username only,
    # so nobody can claim an email invitation by choosing a username that looks like the email.
    if "@" in invite.invitee:
        return caller.email is not None and invite.invitee == caller.email.lower()
    return invite.invitee == p.username.lower()


def invited_action(caller: Caller, facts: AccessFacts) -> int:
    return max((i.action for i in facts.invites if invitee_matches(i, caller)), default=0)


def facts_from_row(row: Any, invites: tuple[Invite, ...]) -> AccessFacts:
    """Access facts from a ``datasets`` row (any row with its owner, org and privacy columns)."""
    try:
        mode_action = int(row.privacy_mode_action)
    except (TypeError, ValueError):
        mode_action = int(Action.VIEW)
    return AccessFacts(row.owner_id, row.org_id, row.privacy_mode, invites, mode_action)


def load_facts(c: sa.Connection, dataset_id: str) -> AccessFacts | None:
    """The access facts of a dataset, or None when there is no such dataset."""
    row = c.execute(
        sa.select(
            datasets.c.owner_id, datasets.c.org_id, datasets.c.privacy_mode, datasets.c.privacy_mode_action
        ).where(datasets.c.id == dataset_id)
    ).first()
    if row is None:
        return None
    invites = tuple(
        Invite(r.invitee, r.user_id, r.action)
        for r in c.execute(
            sa.select(dataset_invites.c.invitee, dataset_invites.c.user_id, dataset_invites.c.action).where(
                dataset_invites.c.dataset_id == dataset_id
            )
        )
    )
    return facts_from_row(row, invites)


def load_caller(c: sa.Connection, principal: Principal | None) -> Caller:
    """The caller's email and orgs; re-validates the principal's token (AuthError when revoked)."""
    if principal is None:
        return ANONYMOUS
    email = check_current(c, principal)
    org_ids = frozenset(
        c.execute(sa.select(memberships.c.org_id).where(memberships.c.user_id == principal.user_id)).scalars()
    )
    return Caller(principal, email, org_ids)


def resolve_invitee(c: sa.Connection, invitee: str) -> int | None:
    """The id of the active user an invitation names (email when it has ``@``, else username)."""
    column = users.c.email if "@" in invitee else sa.func.lower(users.c.username)
    return c.execute(
        sa.select(users.c.id).where(column == invitee.lower(), users.c.is_active).order_by(users.c.id)
    ).scalar()


def bind_pending_invites(c: sa.Connection, user_id: int, username: str, email: str | None) -> int:
    """Bind pending invitations naming this user (by username, or by email); returns how many."""
    names = [username.lower()] + ([email.lower()] if email else [])
    bound = 0
    for name in names:
        if "@" in name and name != (email or "").lower():
            continue  # a username containing '@' never claims an email invitation
        bound += c.execute(
            dataset_invites.update()
            .where(dataset_invites.c.user_id.is_(None), dataset_invites.c.invitee == name)
            .values(user_id=user_id)
        ).rowcount
    return bound


def check_self_invites(
    c: sa.Connection, principal: Principal, dataset_id: str, invited: list[tuple[str, int]]
) -> None:
    """Refuse a share call in which a sharer other than the owner invites themselves with more
    than the invitation they already hold (PermissionDenied ``self_invite``, 403).

    An editor's rights may come from an org (``mode_action`` 20); an invitation to themselves
    would outlive their membership. Call inside the share's write, after the access check."""
    facts = load_facts(c, dataset_id)
    if facts is None or facts.owner_id == principal.user_id:
        return
    caller = load_caller(c, principal)
    held = invited_action(caller, facts)
    for who, action in invited:
        pending = Invite(who.lower(), None, action)
        names_me = invitee_matches(pending, caller) or resolve_invitee(c, who) == principal.user_id
        if names_me and action > held:
            raise PermissionDenied(
                f"You cannot invite yourself ({who!r}) with action {action}: your invitation to "
                f"this dataset gives {held or 'nothing'}, and only the owner may give you more.",
                code="self_invite",
            )
