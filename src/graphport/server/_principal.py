"""Who is calling: :class:`Principal` and the re-check of its credential.

Below both ``_accounts`` (which makes principals) and ``_access`` (which re-checks them on every
decision), so neither imports the other for it (issue #11).

A principal made from a token carries what access decisions need about its user (:class:`Resolved`:
email and organizations), read in the same query that checked the token, so one request resolves
its caller once (opening a graph cost 31 queries, ``users`` four times; issue #11). Those facts
are trusted only while fresh (:meth:`Resolved.fresh`): younger than :data:`REUSE_SECONDS` and no
revocation announced in this process since they were read. A principal held for longer (a live
subscription) is re-checked against the database as before.
"""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import AuthError
from ..storage._models import memberships, personal_keys, revoked_tokens, users

#: How long the caller facts read with a token are trusted without asking the database again. A
#: request's access checks follow its authentication by milliseconds; revocations in this process
#: end the trust at once (:class:`RevocationClock`), so this bounds only how late a revocation made
#: by another process is seen by a principal authenticated here just before it (live subscribers
#: already see those at their next publish).
REUSE_SECONDS = 1.0

_USER_COLUMNS = (
    users.c.id,
    users.c.uid,
    users.c.username,
    users.c.is_admin,
    users.c.is_active,
    users.c.token_epoch,
)


def _user_query(
    by: sa.ColumnElement[Any], *, with_key: bool, with_email: bool, with_orgs: bool = False
) -> sa.Select[Any]:
    """One query per authenticated request: the user, whether the token's ``jti`` was signed
    out, (key tokens) the key, and (``with_orgs``) the user's memberships, one row each. Built
    once: construction costs more than the lookup."""
    columns: list[Any] = [*_USER_COLUMNS, revoked_tokens.c.jti.label("revoked_jti")]
    source: Any = users.outerjoin(
        revoked_tokens, revoked_tokens.c.jti == sa.bindparam("jti", type_=sa.String)
    )
    if with_key:
        columns += [personal_keys.c.user_id.label("key_user_id"), personal_keys.c.revoked_at]
        source = source.outerjoin(personal_keys, personal_keys.c.id == sa.bindparam("kid"))
    if with_email:
        columns.append(users.c.email)
    if with_orgs:
        columns.append(memberships.c.org_id.label("member_of"))
        source = source.outerjoin(memberships, memberships.c.user_id == users.c.id)
    return sa.select(*columns).select_from(source).where(by == sa.bindparam("who"))


# Authentication reads the caller facts too (email, orgs): access decisions in the same request
# then need no query about the caller.
_BY_UID = _user_query(users.c.uid, with_key=False, with_email=True, with_orgs=True)
_BY_UID_KEY = _user_query(users.c.uid, with_key=True, with_email=True, with_orgs=True)
_BY_ID_EMAIL = _user_query(users.c.id, with_key=False, with_email=True, with_orgs=True)
_BY_ID_KEY_EMAIL = _user_query(users.c.id, with_key=True, with_email=True, with_orgs=True)


class RevocationClock:
    """Counts the revocations announced in this process (password changed, key or token revoked,
    user disabled, email changed, removed from an org), and those another process announces over
    the bus when their message arrives: caller facts read before the last one are no longer
    trusted. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = itertools.count(1)
        self.now = 0

    def tick(self) -> None:
        with self._lock:
            self.now = next(self._count)


@dataclasses.dataclass(frozen=True)
class Resolved:
    """What access decisions need about a principal's user, read with its credential."""

    email: str | None
    org_ids: frozenset[int]
    read_at: float  # time.monotonic() when read
    revocations: int  # RevocationClock.now when read

    def fresh(self, clock: RevocationClock, now: float | None = None) -> bool:
        """True while these facts may stand in for the database (see the module docstring)."""
        age = (time.monotonic() if now is None else now) - self.read_at
        return self.revocations == clock.now and 0 <= age < REUSE_SECONDS


@dataclasses.dataclass(frozen=True)
class Principal:
    """Who is making a request: a signed-in user (anonymous callers are ``None``).

    A principal from :meth:`Accounts.authenticate` remembers the credential it came from (the
    token epoch, the token's ``jti``, and the personal key for key logins), and the caller facts
    read with it (``resolved``). Access checks re-validate such a principal unless those facts
    are fresh (the same request), so one held for long (an open WebSocket subscription) loses
    its rights as soon as the password changes, the user is disabled, the key is revoked or the
    session is signed out."""

    user_id: int
    username: str
    is_admin: bool = False
    epoch: int | None = dataclasses.field(default=None, compare=False, repr=False)
    key_id: str | None = dataclasses.field(default=None, compare=False, repr=False)
    token_id: str | None = dataclasses.field(default=None, compare=False, repr=False)
    #: The caller facts read with the credential (None: read them when needed).
    resolved: Resolved | None = dataclasses.field(default=None, compare=False, repr=False)

    def detached(self) -> Principal:
        """This principal without its resolved facts: for holders that keep it past a request
        (every later check reads the database)."""
        return dataclasses.replace(self, resolved=None)


def check_current(c: sa.Connection, principal: Principal) -> str | None:
    """Re-validate an authenticated principal's credential inside a read; returns the user's
    email. AuthError when the password changed, the user was disabled, the key revoked or
    the session signed out since the principal was made (principals made without a token
    are not checked)."""
    return resolve(c, principal, None).email


def resolve(c: sa.Connection, principal: Principal, clock: RevocationClock | None) -> Resolved:
    """The caller facts of a principal, read now in one query that also re-validates its
    credential (AuthError ``token_revoked`` as :func:`check_current` says)."""
    params: dict[str, Any] = {"who": principal.user_id, "jti": principal.token_id}
    if principal.key_id is not None:
        params["kid"] = principal.key_id
    read_at, revocations = time.monotonic(), clock.now if clock is not None else -1
    rows = c.execute(_BY_ID_EMAIL if principal.key_id is None else _BY_ID_KEY_EMAIL, params).all()
    row = rows[0] if rows else None
    if principal.epoch is not None:  # a principal from a token: its credential must still hold
        key_ok = principal.key_id is None or (
            row is not None and row.key_user_id == principal.user_id and row.revoked_at is None
        )
        if (
            row is None
            or not row.is_active
            or row.token_epoch != principal.epoch
            or not key_ok
            or row.revoked_jti is not None
        ):
            raise AuthError("The token has been revoked; sign in again.", code="token_revoked")
    return resolved_from(rows, read_at, revocations)


def resolved_from(rows: Sequence[Any], read_at: float, revocations: int) -> Resolved:
    """:class:`Resolved` from the rows of a ``with_orgs`` user query (one per membership)."""
    email = rows[0].email if rows else None
    return Resolved(
        str(email) if email is not None else None,
        frozenset(int(r.member_of) for r in rows if r.member_of is not None),
        read_at,
        revocations,
    )
