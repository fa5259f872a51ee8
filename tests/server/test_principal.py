"""The caller facts a principal carries (issue #11): read with its token, trusted only while fresh."""

from __future__ import annotations

import pyarrow as pa
import pytest

from graphport import AuthError, NotFoundError, Server
from graphport.server._access import Action
from graphport.server._principal import REUSE_SECONDS, Resolved, RevocationClock
from tests._arrow import arrow_file

SPEC = {"name": "t", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
EDGES = arrow_file(pa.table({"s": ["a"], "d": ["b"]}))


def test_authentication_reads_email_and_orgs(server: Server, alice: str) -> None:
    server.create_org("team", members=[alice])
    principal = server.authenticate(server.token_for(alice))
    assert principal.resolved is not None
    assert principal.resolved.email == "alice@example.org"
    with server.db.read() as c:
        from graphport.server._access import load_caller

        fresh = load_caller(c, principal.detached())
    assert principal.resolved.org_ids == fresh.org_ids and len(fresh.org_ids) == 2  # personal + team


def test_facts_are_stale_after_a_revocation_or_with_age() -> None:
    clock = RevocationClock()
    facts = Resolved("a@example.org", frozenset({1}), read_at=100.0, revocations=clock.now)
    assert facts.fresh(clock, now=100.0 + REUSE_SECONDS / 2)
    assert not facts.fresh(clock, now=100.0 + REUSE_SECONDS)
    assert not facts.fresh(clock, now=99.0)  # a clock that went back trusts nothing
    clock.tick()
    assert not facts.fresh(clock, now=100.0)


def test_a_held_principal_loses_org_rights_at_once(server: Server, alice: str, bob: str) -> None:
    """Removal from an org ticks the clock: the facts bob's principal carries (his membership)
    are not used again, even within REUSE_SECONDS."""
    server.create_org("team", members=[alice, bob])
    me = server.accounts.require_user(alice)
    ds = server.plot(me, {**SPEC, "org_name": "team"}, EDGES, privacy={"mode": "organization"})
    held = server.authenticate(server.token_for(bob))
    server.datasets.require(held, ds, Action.VIEW)
    server.accounts.orgs.remove_member("team", bob)
    with pytest.raises(NotFoundError):
        server.datasets.require(held, ds, Action.VIEW)


def test_a_held_principal_is_refused_after_sign_out_everywhere(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, EDGES, privacy={"mode": "private"})
    held = server.authenticate(server.token_for(alice))
    assert Action.VIEW in server.datasets.rights(held, ds)
    server.accounts.revoke_all(me.user_id)
    with pytest.raises(AuthError):
        server.datasets.rights(held, ds)
