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
- A ``pending`` dataset (created, its edges not stored yet) is its owner's alone: nobody else may
  do anything with it, or learn that it exists (:func:`effective_rights`). A ``failed`` dataset
  (its graph could not be built) keeps everyone's rights: viewers are told why (409
  ``graph_failed``), editors may upload corrected tables.
- A caller who may view a dataset but lacks the right asked for is told so (403
  ``dataset_view_only``): a 404 would hide nothing (:func:`refusal`).
- Public datasets are unlisted: a dataset list shows them only to their owner and invitees, never
  to everyone who could open the URL (:func:`listed`).
- Privacy details (notify, message, invitations) are shown to those who may edit (:func:`sees_sharing`).

An invitation names a user by email (it contains ``@``) or by username. When the invitee already
exists the invitation is bound to that user's id at once; otherwise it stays pending and is bound
when a user with that email or username appears (``bind_pending_invites``). A bound invitation
follows the user, not the name: changing a user's email later neither moves nor loses it.

A sharer who is not the owner cannot grant themselves more through an invitation than the
invitation they already hold (:func:`check_self_invites`): an org member with edit rights who
invited themselves would keep the dataset after leaving the org (issue #10 F11).

Every route asks :func:`check` or :func:`effective_rights` (through ``Datasets.require`` and
``Datasets.rights``), never its own rule.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError, PermissionDenied
from ..storage._models import dataset_invites, datasets, memberships, users
from ._principal import Principal, RevocationClock, resolve


class Action(enum.IntEnum):
    VIEW = 10
    EDIT = 20
    SHARE = 25
    DELETE = 30


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
    status: str = "ready"  # pending (no edges yet), ready, or failed (the graph could not be built)


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


def effective_rights(caller: Caller, facts: AccessFacts) -> frozenset[Action]:
    """:func:`rights`, after the status rule: a pending dataset is its owner's alone."""
    if facts.status == "pending" and not is_owner(caller, facts):
        return frozenset()
    return rights(caller, facts)


def is_owner(caller: Caller, facts: AccessFacts) -> bool:
    return caller.principal is not None and caller.principal.user_id == facts.owner_id


def not_found(dataset_id: str) -> NotFoundError:
    """The answer to everyone who may not know whether the dataset exists."""
    return NotFoundError(
        f"There is no dataset {dataset_id!r}, or you may not see it.", code="dataset_not_found"
    )


def refusal(caller: Caller, facts: AccessFacts | None, action: Action, dataset_id: str) -> Exception | None:
    """Why the caller may not do ``action`` on the dataset (None: they may): 404 when they may not
    know it exists, 403 ``dataset_view_only`` when they can see it but lack the right."""
    granted = effective_rights(caller, facts) if facts is not None else frozenset()
    if action in granted:
        return None
    if Action.VIEW in granted and facts is not None and facts.status == "ready":
        # The caller can see the dataset, so a 404 would hide nothing: say which right is
        # missing (403), as the official client can explain it (DESIGN.md section 5).
        verb = {Action.DELETE: "delete", Action.SHARE: "share"}.get(action, "change")
        return PermissionDenied(
            f"You may view the dataset {dataset_id!r} but not {verb} it; ask its owner for "
            + ("edit rights." if action != Action.DELETE else "its deletion."),
            code="dataset_view_only",
        )
    return not_found(dataset_id)


def check(caller: Caller, facts: AccessFacts | None, action: Action, dataset_id: str) -> None:
    """Raise :func:`refusal`'s error unless the caller may do ``action`` on the dataset."""
    error = refusal(caller, facts, action, dataset_id)
    if error is not None:
        raise error


def recheck(c: sa.Connection, principal: Principal, dataset_id: str, action: Action) -> None:
    """:func:`check` again, inside the write transaction that acts on it, with the caller read
    now: a right revoked between the first check and the write is not used (time of check = time
    of use)."""
    check(load_caller(c, principal), load_facts(c, dataset_id), action, dataset_id)


def listed(caller: Caller, facts: AccessFacts) -> bool:
    """Whether a dataset list shows this dataset to the caller: a ready dataset they may view,
    unless it is public and they are neither its owner nor invited (public means unlisted)."""
    if facts.status != "ready" or Action.VIEW not in effective_rights(caller, facts):
        return False
    if facts.mode == "public" and not is_owner(caller, facts):
        return any(invitee_matches(i, caller) for i in facts.invites)
    return True


def sees_sharing(caller: Caller, facts: AccessFacts) -> bool:
    """Whether the caller is shown a dataset's sharing details (notify, message, invitations)."""
    return Action.EDIT in effective_rights(caller, facts)


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
    status = getattr(row, "status", "ready")
    return AccessFacts(row.owner_id, row.org_id, row.privacy_mode, invites, mode_action, status)


def load_facts(c: sa.Connection, dataset_id: str) -> AccessFacts | None:
    """The access facts of a dataset, or None when there is no such dataset."""
    row = c.execute(
        sa.select(
            datasets.c.owner_id,
            datasets.c.org_id,
            datasets.c.privacy_mode,
            datasets.c.privacy_mode_action,
            datasets.c.status,
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


def load_caller(
    c: sa.Connection, principal: Principal | None, clock: RevocationClock | None = None
) -> Caller:
    """The caller's email and orgs: those the principal carries while they are fresh by ``clock``
    (read with its token moments ago, in the same request), else read now in one query that
    re-validates the principal's token (AuthError when revoked). No clock: always read."""
    if principal is None:
        return ANONYMOUS
    facts = principal.resolved
    if facts is None or clock is None or not facts.fresh(clock):
        facts = resolve(c, principal, clock)
    return Caller(principal, facts.email, facts.org_ids)


def load_callers(c: sa.Connection, principals: Sequence[Principal | None]) -> list[Caller]:
    """The callers of many principals in two queries (emails, memberships), read now; credentials
    are not re-validated here (bulk re-checks of rights, not of sessions)."""
    user_ids = sorted({p.user_id for p in principals if p is not None})
    emails = {
        r.id: r.email for r in c.execute(sa.select(users.c.id, users.c.email).where(users.c.id.in_(user_ids)))
    }
    orgs: dict[int, set[int]] = {}
    for mem in c.execute(
        sa.select(memberships.c.user_id, memberships.c.org_id).where(memberships.c.user_id.in_(user_ids))
    ):
        orgs.setdefault(mem.user_id, set()).add(mem.org_id)
    return [
        Caller(p, emails.get(p.user_id), frozenset(orgs.get(p.user_id, ()))) if p is not None else ANONYMOUS
        for p in principals
    ]


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
