"""Reading dataset rows with everything an access decision and a description need.

One request reads its dataset once: :func:`load_record` is one query (the row, its owner's name,
its org's slug and its invitations, joined), where the first release ran four to six per request
(opening one graph cost 31 queries; issue #11). Lists and bulk re-checks read in a fixed number
of queries however many datasets they cover.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..storage._models import dataset_invites, datasets, organizations, users
from ._access import AccessFacts, Caller, Invite, facts_from_row
from ._principal import Principal


@dataclasses.dataclass(frozen=True)
class DatasetRecord:
    """A dataset row with its owner's username, its org's slug and its access facts."""

    row: Any
    owner: str | None
    org: str | None
    facts: AccessFacts


_INVITE_COLUMNS = (
    dataset_invites.c.invitee.label("invitee"),
    dataset_invites.c.user_id.label("invite_user_id"),
    dataset_invites.c.action.label("invite_action"),
)

# One row per invitation (one row when there is none): the dataset's columns repeat, which costs
# less than a second round trip for the handful of invitations a dataset has.
_RECORD = (
    sa.select(
        datasets,
        users.c.username.label("owner_name"),
        organizations.c.slug.label("org_slug"),
        *_INVITE_COLUMNS,
    )
    .select_from(
        datasets.outerjoin(users, users.c.id == datasets.c.owner_id)
        .outerjoin(organizations, organizations.c.id == datasets.c.org_id)
        .outerjoin(dataset_invites, dataset_invites.c.dataset_id == datasets.c.id)
    )
    .where(datasets.c.id == sa.bindparam("dataset_id"))
    .order_by(dataset_invites.c.id)
)


def load_record(c: sa.Connection, dataset_id: str) -> DatasetRecord | None:
    """The dataset, or None when there is no such dataset; one query."""
    rows = c.execute(_RECORD, {"dataset_id": dataset_id}).all()
    if not rows:
        return None
    first = rows[0]
    invites = tuple(
        Invite(r.invitee, r.invite_user_id, r.invite_action) for r in rows if r.invitee is not None
    )
    return DatasetRecord(first, first.owner_name, first.org_slug, facts_from_row(first, invites))


def _invites_of(c: sa.Connection, dataset_ids: Sequence[str]) -> dict[str, list[Invite]]:
    invites: dict[str, list[Invite]] = {}
    for r in c.execute(
        sa.select(
            dataset_invites.c.dataset_id,
            dataset_invites.c.invitee,
            dataset_invites.c.user_id,
            dataset_invites.c.action,
        )
        .where(dataset_invites.c.dataset_id.in_(list(dataset_ids)))
        .order_by(dataset_invites.c.id)
    ):
        invites.setdefault(r.dataset_id, []).append(Invite(r.invitee, r.user_id, r.action))
    return invites


def load_listing(c: sa.Connection, principal: Principal, caller: Caller) -> list[DatasetRecord]:
    """Candidates for the caller's dataset list, newest first, in four queries: ready datasets
    they own, are invited to, or that are shared with one of their orgs. ``_access.listed`` has
    the last word on each."""
    names = [principal.username.lower()] + ([caller.email.lower()] if caller.email else [])
    invited = sa.select(dataset_invites.c.dataset_id).where(
        sa.or_(
            dataset_invites.c.user_id == principal.user_id,
            sa.and_(dataset_invites.c.user_id.is_(None), dataset_invites.c.invitee.in_(names)),
        )
    )
    conditions = [datasets.c.owner_id == principal.user_id, datasets.c.id.in_(invited)]
    if caller.org_ids:
        conditions.append(
            sa.and_(datasets.c.privacy_mode == "organization", datasets.c.org_id.in_(caller.org_ids))
        )
    rows = c.execute(
        sa.select(datasets)
        .where(datasets.c.status == "ready", sa.or_(*conditions))
        .order_by(datasets.c.created_at.desc())
    ).all()
    invites = _invites_of(c, [row.id for row in rows])
    owners = {
        r.id: r.username
        for r in c.execute(
            sa.select(users.c.id, users.c.username).where(
                users.c.id.in_(sorted({row.owner_id for row in rows}))
            )
        )
    }
    slugs = {
        r.id: r.slug
        for r in c.execute(
            sa.select(organizations.c.id, organizations.c.slug).where(
                organizations.c.id.in_(sorted({row.org_id for row in rows if row.org_id is not None}))
            )
        )
    }
    return [
        DatasetRecord(
            row,
            owners.get(row.owner_id),
            slugs.get(row.org_id) if row.org_id is not None else None,
            facts_from_row(row, tuple(invites.get(row.id, ()))),
        )
        for row in rows
    ]


def load_facts_many(c: sa.Connection, dataset_ids: Sequence[str]) -> dict[str, AccessFacts]:
    """The access facts of many datasets (absent ones left out), in two queries."""
    rows = c.execute(
        sa.select(
            datasets.c.id,
            datasets.c.status,
            datasets.c.owner_id,
            datasets.c.org_id,
            datasets.c.privacy_mode,
            datasets.c.privacy_mode_action,
        ).where(datasets.c.id.in_(list(dataset_ids)))
    ).all()
    invites = _invites_of(c, [r.id for r in rows])
    return {r.id: facts_from_row(r, tuple(invites.get(r.id, ()))) for r in rows}
