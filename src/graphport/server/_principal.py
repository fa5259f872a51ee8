"""Who is calling: :class:`Principal` and the re-check of its credential.

Below both ``_accounts`` (which makes principals) and ``_access`` (which re-checks them on every
decision), so neither imports the other for it (issue #11).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa

from ..errors import AuthError
from ..storage._models import personal_keys, revoked_tokens, users

_USER_COLUMNS = (
    users.c.id,
    users.c.uid,
    users.c.username,
    users.c.is_admin,
    users.c.is_active,
    users.c.token_epoch,
)


def _user_query(by: sa.ColumnElement[Any], *, with_key: bool, with_email: bool) -> sa.Select[Any]:
    """One query per authenticated request: the user, whether the token's ``jti`` was signed
    out, and (key tokens) the key. Built once: construction costs more than the lookup."""
    columns: list[Any] = [*_USER_COLUMNS, revoked_tokens.c.jti.label("revoked_jti")]
    source: Any = users.outerjoin(
        revoked_tokens, revoked_tokens.c.jti == sa.bindparam("jti", type_=sa.String)
    )
    if with_key:
        columns += [personal_keys.c.user_id.label("key_user_id"), personal_keys.c.revoked_at]
        source = source.outerjoin(personal_keys, personal_keys.c.id == sa.bindparam("kid"))
    if with_email:
        columns.append(users.c.email)
    return sa.select(*columns).select_from(source).where(by == sa.bindparam("who"))


_BY_UID = _user_query(users.c.uid, with_key=False, with_email=False)
_BY_UID_KEY = _user_query(users.c.uid, with_key=True, with_email=False)
_BY_ID_EMAIL = _user_query(users.c.id, with_key=False, with_email=True)
_BY_ID_KEY_EMAIL = _user_query(users.c.id, with_key=True, with_email=True)


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is making a request: a signed-in user (anonymous callers are ``None``).

    A principal from :meth:`Accounts.authenticate` remembers the credential it came from (the
    token epoch, the token's ``jti``, and the personal key for key logins). Every access check
    re-validates such a principal, so one held for long (an open WebSocket subscription) loses
    its rights as soon as the password changes, the user is disabled, the key is revoked or the
    session is signed out."""

    user_id: int
    username: str
    is_admin: bool = False
    epoch: int | None = dataclasses.field(default=None, compare=False, repr=False)
    key_id: str | None = dataclasses.field(default=None, compare=False, repr=False)
    token_id: str | None = dataclasses.field(default=None, compare=False, repr=False)


def check_current(c: sa.Connection, principal: Principal) -> str | None:
    """Re-validate an authenticated principal's credential inside a read; returns the user's
    email. AuthError when the password changed, the user was disabled, the key revoked or
    the session signed out since the principal was made (principals made without a token
    are not checked)."""
    if principal.epoch is None:
        return c.execute(sa.select(users.c.email).where(users.c.id == principal.user_id)).scalar()
    params = {"who": principal.user_id, "jti": principal.token_id}
    if principal.key_id is None:
        row = c.execute(_BY_ID_EMAIL, params).first()
        key_ok = True
    else:
        row = c.execute(_BY_ID_KEY_EMAIL, {**params, "kid": principal.key_id}).first()
        key_ok = row is not None and row.key_user_id == principal.user_id and row.revoked_at is None
    if (
        row is None
        or not row.is_active
        or row.token_epoch != principal.epoch
        or not key_ok
        or row.revoked_jti is not None
    ):
        raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
    return str(row.email) if row.email is not None else None
