"""Writing a dataset's sharing: invitations and the notification outbox (the access rules that
read them are in ``_access``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..storage._models import dataset_invites, outbox, outbox_messages
from ._access import resolve_invitee
from ._principal import Principal


def write_invites(c: sa.Connection, dataset_id: str, invited: list[tuple[str, int]]) -> None:
    """Store invitations (the strongest action wins for a name given twice). An invitee who
    is already a user is bound to their id; others stay pending until they register."""
    now = time.time()
    strongest: dict[str, int] = {}
    for who, action in invited:
        strongest[who] = max(action, strongest.get(who, 0))
    for who, action in strongest.items():
        c.execute(
            dataset_invites.insert().values(
                dataset_id=dataset_id,
                invitee=who,
                user_id=resolve_invitee(c, who),
                action=action,
                created_at=now,
            )
        )


def notify(c: sa.Connection, sender: Principal, dataset_id: str, settings: Mapping[str, Any]) -> None:
    """Record one outbox row per invitee when the sharer asked to notify (no mail is sent);
    the message itself is stored once and every row points at it (issue #10 F8)."""
    if not settings["notify"] or not settings["invited"]:
        return
    now = time.time()
    inserted = c.execute(outbox_messages.insert().values(body=settings["message"], created_at=now))
    assert inserted.inserted_primary_key is not None
    message_id = inserted.inserted_primary_key[0]
    for who, action in settings["invited"]:
        c.execute(
            outbox.insert().values(
                kind="dataset_invite",
                dataset_id=dataset_id,
                sender_id=sender.user_id,
                recipient=who,
                recipient_user_id=resolve_invitee(c, who),
                action=action,
                message="",
                message_id=message_id,
                created_at=now,
            )
        )


def sharing_answer(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The share call's answer: the settings as stored."""
    return {
        "mode": settings["mode"],
        "mode_action": settings["mode_action"],
        "notify": settings["notify"],
        "message": settings["message"],
        "invited_users": [{"user": who, "action": str(action)} for who, action in settings["invited"]],
    }
