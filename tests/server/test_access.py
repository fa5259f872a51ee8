"""The access rules and the tenancy engine: invitations, pending invites, outbox, orgs, keys, revocation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import graphport
from graphport.errors import AuthError, ConflictError, NotFoundError, PermissionDenied, ValidationError
from graphport.server import Principal
from graphport.server._access import ANONYMOUS, AccessFacts, Action, Caller, Invite, allowed, rights
from graphport.storage._models import dataset_invites, outbox, outbox_messages

from .._arrow import ONE_EDGE
from .._authz import fast_config

PW = "a long passphrase"
SPEC = {"name": "t", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


EDGES = ONE_EDGE


@pytest.fixture
def fast(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> Iterator[graphport.Server]:
    """A server whose password hashing is cheap (ServerConfig.argon2_*), on either stack."""
    with graphport.Server(config=fast_config(request, stack, tmp_path / "d")) as s:
        yield s


def users(server: graphport.Server, *names: str) -> list[Principal]:
    return [server.create_user(n, PW, email=f"{n}@example.org") for n in names]


def plot(server: graphport.Server, owner: Principal, **privacy: Any) -> str:
    spec = {**SPEC, **({"org_name": privacy.pop("org_name")} if "org_name" in privacy else {})}
    return server.plot(owner, spec, EDGES, None, privacy or {"mode": "private"})


# -- the rules, as a pure function ------------------------------------------------------------------

OWNER = Principal(1, "olga")
MEMBER = Principal(2, "max")
STRANGER = Principal(3, "sam")


def caller(p: Principal, *orgs: int, email: str | None = None) -> Caller:
    return Caller(p, email, frozenset(orgs))


@pytest.mark.parametrize(
    ("mode", "mode_action", "who", "expected"),
    [
        ("private", 20, caller(OWNER), {10, 20, 25, 30}),
        ("private", 20, caller(MEMBER, 7), set()),
        ("private", 20, ANONYMOUS, set()),
        ("organization", 10, caller(MEMBER, 7), {10}),
        ("organization", 20, caller(MEMBER, 7), {10, 20, 25}),  # mode_action 20: org members edit
        ("organization", 20, caller(STRANGER, 8), set()),
        ("organization", 10, ANONYMOUS, set()),
        ("public", 20, ANONYMOUS, {10}),  # public never grants edit, whatever mode_action says
        ("public", 20, caller(STRANGER), {10}),
        ("public", 10, caller(MEMBER, 7), {10}),
    ],
)
def test_rules(mode: str, mode_action: int, who: Caller, expected: set[int]) -> None:
    facts = AccessFacts(owner_id=1, org_id=7, mode=mode, invites=(), mode_action=mode_action)
    assert {int(a) for a in rights(who, facts)} == expected


def test_invitations_by_name_and_email() -> None:
    facts = AccessFacts(
        1,
        None,
        "private",
        (Invite("sam", None, 10), Invite("max@example.org", None, 20), Invite("x", 3, 20)),
    )
    assert rights(caller(Principal(3, "SAM")), facts) == {Action.VIEW, Action.EDIT, Action.SHARE}  # bound id
    assert rights(caller(Principal(9, "Sam")), facts) == {Action.VIEW}  # username, any case
    assert rights(caller(Principal(4, "max"), email="MAX@example.org"), facts) == {
        Action.VIEW,
        Action.EDIT,
        Action.SHARE,
    }
    # A username that looks like the invited email does not claim an email invitation.
    assert rights(caller(Principal(5, "max@example.org"), email="other@example.org"), facts) == frozenset()
    # An invitation bound to a user does not follow the name to someone else.
    assert rights(caller(Principal(6, "x")), facts) == frozenset()
    assert not allowed(caller(Principal(4, "max"), email="max@example.org"), facts, Action.DELETE)


# -- invitations, pending invitations, outbox -------------------------------------------------------


def test_pending_invitation_applies_when_the_user_registers(fast: graphport.Server) -> None:
    (alice,) = users(fast, "alice")
    ds = plot(fast, alice, mode="private", invited_users=[{"email": "Newcomer@Example.org", "action": "20"}])
    with fast.db.read() as c:
        assert c.execute(sa.select(dataset_invites.c.user_id)).scalar() is None  # pending
    newcomer = fast.create_user("newbie", PW, email="newcomer@example.org")
    assert fast.datasets.rights(newcomer, ds) == {Action.VIEW, Action.EDIT, Action.SHARE}
    with fast.db.read() as c:
        assert c.execute(sa.select(dataset_invites.c.user_id)).scalar() == newcomer.user_id  # bound now
    assert [d["id"] for d in fast.datasets.list_for(newcomer)] == [ds]


def test_bound_invitation_follows_the_user_not_the_email(fast: graphport.Server) -> None:
    alice, bob, carol = users(fast, "alice", "bob", "carol")
    ds = plot(fast, alice, mode="private", invited_users=["bob@example.org"])
    fast.accounts.set_user("bob", email="bob@elsewhere.org")
    fast.accounts.set_user("carol", email="bob@example.org")  # carol takes over bob's old address
    assert Action.VIEW in fast.datasets.rights(bob, ds)
    assert fast.datasets.rights(carol, ds) == frozenset()


def test_pending_email_invitation_is_picked_up_by_a_new_email(fast: graphport.Server) -> None:
    alice, bob = users(fast, "alice", "bob")
    ds = plot(fast, alice, mode="private", invited_users=["bob@work.org"])
    assert fast.datasets.rights(bob, ds) == frozenset()
    fast.accounts.set_user("bob", email="bob@work.org")
    assert fast.datasets.rights(bob, ds) == {Action.VIEW}


def test_notify_and_message_go_to_the_outbox(fast: graphport.Server) -> None:
    alice, bob = users(fast, "alice", "bob")
    ds = plot(fast, alice)
    fast.datasets.share(
        alice,
        ds,
        {
            "mode": "private",
            "notify": True,
            "message": "have a look",
            "invited_users": ["bob", {"email": "ghost@example.org", "action": "20"}],
        },
    )
    fast.datasets.share(alice, ds, {"mode": "public", "notify": False, "invited_users": ["bob"]})
    with fast.db.read() as c:
        rows = c.execute(
            sa.select(outbox, outbox_messages.c.body)
            .join(outbox_messages, outbox.c.message_id == outbox_messages.c.id)
            .order_by(outbox.c.recipient)
        ).all()
        stored_messages = c.execute(sa.select(outbox_messages.c.body)).scalars().all()
    assert [(r.recipient, r.recipient_user_id, r.action, r.body, r.kind, r.delivered_at) for r in rows] == [
        ("bob", bob.user_id, 10, "have a look", "dataset_invite", None),
        ("ghost@example.org", None, 20, "have a look", "dataset_invite", None),
    ]
    assert all(r.sender_id == alice.user_id and r.dataset_id == ds for r in rows)
    assert stored_messages == ["have a look"]  # once, however many recipients (issue #10 F8)


def test_only_owner_and_editors_share_and_only_owner_deletes(fast: graphport.Server) -> None:
    alice, bob, carol = users(fast, "alice", "bob", "carol")
    ds = plot(fast, alice, mode="public", invited_users=[{"email": "bob", "action": "20"}, "carol"])
    fast.datasets.share(bob, ds, {"mode": "public", "invited_users": [{"email": "bob", "action": "20"}]})
    with pytest.raises(PermissionDenied, match="may view"):  # carol was uninvited, but it is public
        fast.datasets.share(carol, ds, {"mode": "public"})
    with pytest.raises(PermissionDenied, match="may view") as caught:  # an editor, not the owner
        fast.datasets.delete(bob, ds)
    assert caught.value.code == "dataset_view_only"
    fast.datasets.share(alice, ds, {"mode": "private", "invited_users": [{"email": "bob", "action": "20"}]})
    with pytest.raises(NotFoundError):  # dave may not even view it: 404, nothing confirmed
        fast.datasets.delete(users(fast, "dave")[0], ds)
    fast.datasets.delete(alice, ds)
    assert fast.datasets.rights(alice, ds) == frozenset()


# -- organizations -------------------------------------------------------------------------------------


def test_org_roles(fast: graphport.Server) -> None:
    olga, adam, mia, sam = users(fast, "olga", "adam", "mia", "sam")
    fast.accounts.orgs.create_org_as(olga, "acme")
    fast.accounts.orgs.add_member_as(olga, "acme", "adam", "admin")  # an invitation, until accepted
    assert fast.accounts.orgs.describe_org(olga, "acme")["members"] == [{"username": "olga", "role": "owner"}]
    join(fast, adam, "acme")
    fast.accounts.orgs.add_member_as(adam, "acme", "mia")  # admins invite members
    join(fast, mia, "acme")
    with pytest.raises(PermissionDenied, match="owner"):
        fast.accounts.orgs.add_member_as(adam, "acme", "sam", "owner")  # but do not make owners
    with pytest.raises(PermissionDenied):
        fast.accounts.orgs.add_member_as(mia, "acme", "sam")  # members add nobody
    with pytest.raises(NotFoundError):
        fast.accounts.orgs.add_member_as(sam, "acme", "sam")  # outsiders do not learn the org exists
    with pytest.raises(NotFoundError):
        fast.accounts.orgs.describe_org(sam, "acme")
    with pytest.raises(PermissionDenied):
        fast.accounts.orgs.remove_member_as(adam, "acme", "olga")  # admins do not remove owners
    with pytest.raises(ConflictError, match="no owner"):
        fast.accounts.orgs.remove_member_as(olga, "acme", "olga")  # the last owner cannot leave
    fast.accounts.orgs.remove_member_as(mia, "acme", "mia")  # anyone may leave
    info = fast.accounts.orgs.describe_org(adam, "acme")
    assert info["members"] == [{"username": "adam", "role": "admin"}, {"username": "olga", "role": "owner"}]


def join(server: graphport.Server, who: Principal, slug: str) -> None:
    """Accept the caller's invitation to ``slug``."""
    (invitation,) = [i for i in server.accounts.invitations.my_invitations(who) if i["slug"] == slug]
    server.accounts.invitations.accept_invitation(who, invitation["id"])


def test_default_org_and_org_name(fast: graphport.Server) -> None:
    alice, bob = users(fast, "alice", "bob")
    fast.create_org("acme", members=["alice"])
    fast.create_org("beta", members=["alice", "bob"])
    # Joining never changes the default: it stays the personal organization.
    assert fast.accounts.describe_user(alice.user_id)["default_org"] == "~alice"
    fast.accounts.set_user("alice", default_org="beta")
    ds = plot(fast, alice, mode="organization")  # no org_name: the default org
    assert fast.datasets.describe(alice, ds)["org"] == "beta"
    assert Action.VIEW in fast.datasets.rights(bob, ds)
    with pytest.raises(ValidationError, match="not a member"):
        fast.accounts.set_user("bob", default_org="acme")
    with pytest.raises(PermissionDenied, match="acme"):
        plot(fast, bob, mode="organization", org_name="acme")
    login = fast.login("bob", PW, org_name="acme")
    assert login.org is not None and not login.org.is_member and not login.org.is_found
    login = fast.login("bob", PW, org_name="beta")
    assert login.org is not None and login.org.is_member and login.org.is_found


def test_removal_from_org_takes_effect_at_once(fast: graphport.Server) -> None:
    alice, _ = users(fast, "alice", "bob")
    fast.create_org("acme", members=["alice", "bob"])
    ds = plot(fast, alice, mode="organization", org_name="acme")
    bob_now = fast.authenticate(fast.token_for("bob"))
    assert fast.datasets.rights(bob_now, ds) == {Action.VIEW}
    fast.accounts.orgs.remove_member("acme", "bob")
    assert fast.datasets.rights(bob_now, ds) == frozenset()


# -- credentials ----------------------------------------------------------------------------------------


def test_keys_are_the_users_own(fast: graphport.Server) -> None:
    users(fast, "alice", "bob")
    key_id, secret = fast.create_key("alice", "laptop")
    with pytest.raises(NotFoundError):
        fast.accounts.revoke_key(key_id, username="bob")  # bob cannot revoke (or see) alice's key
    token = fast.login_key(key_id, secret).token
    assert fast.authenticate(token).username == "alice"
    (row,) = fast.accounts.list_keys("alice")
    assert row["last_used_at"] is not None and "secret" not in str(row)
    fast.accounts.revoke_key(key_id, username="alice")
    with pytest.raises(AuthError):
        fast.authenticate(token)
    with pytest.raises(AuthError):
        fast.login_key(key_id, secret)


@pytest.mark.parametrize("change", ["password", "disable", "key"])
def test_held_principals_lose_rights_on_revocation(fast: graphport.Server, change: str) -> None:
    """A principal held open (as a live subscription does) is re-validated on every check."""
    alice, bob = users(fast, "alice", "bob")
    ds = plot(fast, alice, mode="private", invited_users=["bob"])
    key_id, secret = fast.create_key("bob")
    held = fast.authenticate(fast.login_key(key_id, secret).token)
    revoked: list[int] = []
    fast.accounts.revocation_listeners.append(revoked.append)
    assert fast.datasets.rights(held, ds) == {Action.VIEW}
    if change == "password":
        fast.accounts.set_password("bob", "another long passphrase")
    elif change == "disable":
        fast.accounts.set_active("bob", False)
    else:
        fast.accounts.revoke_key(key_id)
    assert revoked == [bob.user_id]
    with pytest.raises(AuthError):
        fast.datasets.rights(held, ds)
    with pytest.raises(AuthError):
        fast.datasets.require(held, ds, Action.VIEW)


def test_csrf_token_is_bound_to_the_session(fast: graphport.Server) -> None:
    users(fast, "alice")
    one, two = fast.login("alice", PW).token, fast.login("alice", PW).token
    assert fast.tokens.csrf_for(one) != fast.tokens.csrf_for(two)
    assert fast.tokens.csrf_for(one) == fast.tokens.csrf_for(one)
    assert one not in fast.tokens.csrf_for(one)


def test_oversized_names_are_refused_cleanly(fast: graphport.Server) -> None:
    """Limits checked before the database sees them (PostgreSQL would refuse with a 500)."""
    (alice,) = users(fast, "alice")
    ds = plot(fast, alice)
    with pytest.raises(ValidationError, match="254"):
        fast.datasets.share(alice, ds, {"mode": "private", "invited_users": ["x" * 300 + "@example.org"]})
    with pytest.raises(ValidationError, match="200"):
        fast.accounts.orgs.create_org_as(alice, "acme", "n" * 201)


def test_an_org_editor_cannot_invite_themselves_to_keep_access(fast: graphport.Server) -> None:
    """Issue #10 F11: an org member with edit rights (mode_action 20) names themselves in a share;
    the invitation would outlive their membership. Refused with 403 self_invite, nothing stored."""
    alice, eve = users(fast, "alice", "eve")
    fast.create_org("acme", members=["alice", "eve"])
    ds = plot(fast, alice, org_name="acme", mode="organization", mode_action="20")
    assert Action.SHARE in fast.datasets.rights(eve, ds)
    for me in ("eve", "eve@example.org", {"email": "EVE@example.org", "action": "10"}):
        with pytest.raises(PermissionDenied) as caught:
            fast.datasets.share(eve, ds, {"mode": "organization", "mode_action": "20", "invited_users": [me]})
        assert caught.value.code == "self_invite"
    with fast.db.read() as c:
        assert c.execute(sa.select(dataset_invites)).first() is None
    fast.datasets.share(eve, ds, {"mode": "organization", "mode_action": "20", "invited_users": ["bob"]})
    fast.accounts.orgs.remove_member("acme", "eve")
    assert fast.datasets.rights(eve, ds) == frozenset()
