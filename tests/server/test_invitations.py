"""``_invitations``: an org's managers invite by username or email, the invitee answers.

The flows over HTTP (consent, answers that reveal no account) are in ``test_orgs.py``; these are
the rules of the module itself: names, roles, re-invitations, cancelling, and who may answer.
"""

from __future__ import annotations

import pytest

import graphport
from graphport.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from graphport.server import Principal, _invitations

from ..conftest import PASSWORD


@pytest.fixture
def people(server: graphport.Server) -> graphport.Server:
    for name in ("owner", "ann", "bea"):
        server.create_user(name, PASSWORD, email=f"{name}@example.org")
    server.accounts.orgs.create_org_as(me(server, "owner"), "acme")
    return server


def me(server: graphport.Server, username: str) -> Principal:
    return server.authenticate(server.token_for(username))


@pytest.mark.parametrize("invitee", ["", " ", "-ann", "ann bea", "a" * 255, "ann;drop", 7, None])
def test_an_invitee_that_is_no_name_is_refused(people: graphport.Server, invitee: object) -> None:
    with pytest.raises(ValidationError) as refused:
        people.accounts.invitations.invite_as(me(people, "owner"), "acme", invitee, "member")  # type: ignore[arg-type]
    assert refused.value.code == "invalid_invitee" and refused.value.errors[0]["field"] == "username"


def test_a_role_outside_the_roles_is_refused(people: graphport.Server) -> None:
    with pytest.raises(ValidationError) as refused:
        people.accounts.invitations.invite_as(me(people, "owner"), "acme", "ann", "emperor")
    assert refused.value.code == "invalid_role" and "emperor" in refused.value.message


def test_names_match_whatever_their_case_and_spaces(people: graphport.Server) -> None:
    people.accounts.invitations.invite_as(me(people, "owner"), "acme", "  ANN ", "member")
    (invitation,) = people.accounts.invitations.my_invitations(me(people, "ann"))
    assert invitation["slug"] == "acme"
    listed = people.accounts.invitations.org_invitations(me(people, "owner"), "acme")
    assert [i["invitee"] for i in listed] == ["ann"]


def test_inviting_again_updates_the_role_instead_of_a_second_invitation(people: graphport.Server) -> None:
    owner = me(people, "owner")
    people.accounts.invitations.invite_as(owner, "acme", "ann", "member")
    people.accounts.invitations.invite_as(owner, "acme", "Ann", "admin")
    (invitation,) = people.accounts.invitations.org_invitations(owner, "acme")
    assert invitation["role"] == "admin"


def test_an_email_invitation_reaches_the_user_with_that_email(people: graphport.Server) -> None:
    people.accounts.invitations.invite_as(me(people, "owner"), "acme", "BEA@example.org", "member")
    assert people.accounts.invitations.my_invitations(me(people, "ann")) == []
    (invitation,) = people.accounts.invitations.my_invitations(me(people, "bea"))
    assert people.accounts.invitations.accept_invitation(me(people, "bea"), invitation["id"]) == {
        "slug": "acme",
        "role": "member",
    }
    assert people.accounts.invitations.my_invitations(me(people, "bea")) == []


def test_accepting_clears_every_invitation_of_the_user_to_that_org(people: graphport.Server) -> None:
    owner = me(people, "owner")
    people.accounts.invitations.invite_as(owner, "acme", "ann", "member")
    people.accounts.invitations.invite_as(owner, "acme", "ann@example.org", "admin")
    first, _second = people.accounts.invitations.my_invitations(me(people, "ann"))
    people.accounts.invitations.accept_invitation(me(people, "ann"), first["id"])
    assert people.accounts.invitations.my_invitations(me(people, "ann")) == []
    assert people.accounts.invitations.org_invitations(owner, "acme") == []


def test_only_the_invitee_answers_and_an_answered_invitation_is_gone(people: graphport.Server) -> None:
    people.accounts.invitations.invite_as(me(people, "owner"), "acme", "ann", "member")
    (invitation,) = people.accounts.invitations.my_invitations(me(people, "ann"))
    for other in ("bea", "owner"):
        with pytest.raises(NotFoundError) as unknown:
            people.accounts.invitations.accept_invitation(me(people, other), invitation["id"])
        assert unknown.value.code == "invitation_not_found"
    people.accounts.invitations.decline_invitation(me(people, "ann"), invitation["id"])
    with pytest.raises(NotFoundError):
        people.accounts.invitations.accept_invitation(me(people, "ann"), invitation["id"])


def test_managers_cancel_and_members_may_not_invite(people: graphport.Server) -> None:
    owner = me(people, "owner")
    people.accounts.invitations.invite_as(owner, "acme", "ann", "member")
    (invitation,) = people.accounts.invitations.my_invitations(me(people, "ann"))
    people.accounts.invitations.accept_invitation(me(people, "ann"), invitation["id"])
    with pytest.raises(PermissionDenied):
        people.accounts.invitations.invite_as(me(people, "ann"), "acme", "bea", "member")
    people.accounts.invitations.invite_as(owner, "acme", "bea", "member")
    (pending,) = people.accounts.invitations.org_invitations(owner, "acme")
    with pytest.raises(PermissionDenied):
        people.accounts.invitations.cancel_invitation_as(me(people, "ann"), "acme", pending["id"])
    people.accounts.invitations.cancel_invitation_as(owner, "acme", pending["id"])
    assert people.accounts.invitations.my_invitations(me(people, "bea")) == []
    with pytest.raises(NotFoundError) as gone:
        people.accounts.invitations.cancel_invitation_as(owner, "acme", pending["id"])
    assert gone.value.code == "invitation_not_found"


def test_pending_invitations_per_org_are_bounded(
    people: graphport.Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_invitations, "MAX_PENDING_PER_ORG", 2)
    owner = me(people, "owner")
    people.accounts.invitations.invite_as(owner, "acme", "one", "member")
    people.accounts.invitations.invite_as(owner, "acme", "two", "member")
    people.accounts.invitations.invite_as(owner, "acme", "two", "admin")  # an update, not a third
    with pytest.raises(ConflictError) as full:
        people.accounts.invitations.invite_as(owner, "acme", "three", "member")
    assert full.value.code == "too_many_invitations"
