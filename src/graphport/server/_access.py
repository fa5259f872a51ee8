"""The ONE place that decides who may view, edit, share or delete a dataset.

Rules (DESIGN.md section 5): the owner may do everything. Members of the dataset's organization may
view it when its mode is ``organization``. Invited users get their action: ``10`` view, ``20`` edit
(edit includes view and share). Anyone, signed in or not, may view a ``public`` dataset. Everyone else
is told the dataset does not exist (404), so ids are never confirmed.

Every route asks :func:`allowed` (through ``Datasets.require``), never its own check.
"""

from __future__ import annotations

import dataclasses
import enum

import sqlalchemy as sa

from ..storage._models import dataset_invites, datasets, memberships, users
from ._accounts import Principal


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


@dataclasses.dataclass(frozen=True)
class Caller:
    """What the decision needs to know about the caller (``None`` principal: anonymous)."""

    principal: Principal | None
    email: str | None
    org_ids: frozenset[int]


def allowed(caller: Caller, facts: AccessFacts, action: Action) -> bool:
    """True when the caller may perform ``action`` on the dataset described by ``facts``."""
    p = caller.principal
    if p is not None and p.user_id == facts.owner_id:
        return True
    if action == Action.VIEW:
        if facts.mode == "public":
            return True
        if p is not None and facts.mode == "organization" and facts.org_id in caller.org_ids:
            return True
    if p is None or action == Action.DELETE:
        return False
    granted = _invited_action(caller, facts)
    needed = Action.EDIT if action == Action.SHARE else action
    return granted >= needed


def _invited_action(caller: Caller, facts: AccessFacts) -> int:
    assert caller.principal is not None
    names = {caller.principal.username.lower()}
    if caller.email:
        names.add(caller.email.lower())
    best = 0
    for invite in facts.invites:
        # Invites for an email or username not registered yet apply as soon as that user exists.
        if invite.user_id == caller.principal.user_id or invite.invitee in names:
            best = max(best, invite.action)
    return best


def load_facts(c: sa.Connection, dataset_id: str) -> AccessFacts | None:
    """The access facts of a ready dataset, or None when there is no such (ready) dataset."""
    row = c.execute(
        sa.select(datasets.c.owner_id, datasets.c.org_id, datasets.c.privacy_mode).where(
            datasets.c.id == dataset_id
        )
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
    return AccessFacts(row.owner_id, row.org_id, row.privacy_mode, invites)


def load_caller(c: sa.Connection, principal: Principal | None) -> Caller:
    if principal is None:
        return Caller(None, None, frozenset())
    email = c.execute(sa.select(users.c.email).where(users.c.id == principal.user_id)).scalar()
    org_ids = frozenset(
        c.execute(sa.select(memberships.c.org_id).where(memberships.c.user_id == principal.user_id)).scalars()
    )
    return Caller(principal, email, org_ids)
