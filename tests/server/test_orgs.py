"""Organizations (issue #10 F4, F5, F11, "Default organization"): joining takes the invitee's
consent, invitation answers reveal no account, site admins get no power over others' orgs,
editors cannot invite themselves past their rights, and every user has a personal org that is
their default."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

import graphport
from graphport.errors import ConflictError, PermissionDenied
from graphport.server import Principal
from graphport.server._access import Action, check_self_invites

from .._arrow import ONE_EDGE
from .._authz import PW, fast_config

SPEC = {"name": "t", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


@pytest.fixture
def srv(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> Iterator[graphport.Server]:
    with graphport.Server(config=fast_config(request, stack, tmp_path / "d")) as s:
        for name in ("alice", "mallory", "carol"):
            s.create_user(name, PW, email=f"{name}@example.org")
        yield s


def http(server: graphport.Server) -> httpx.Client:
    return httpx.Client(transport=server.local_transport(), base_url="http://testserver")


def auth(server: graphport.Server, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token_for(user)}"}


def me(server: graphport.Server, user: str) -> Principal:
    return server.authenticate(server.token_for(user))


# -- F4: nobody is enrolled without consent ------------------------------------------------------


def test_forced_membership_is_only_an_invitation(srv: graphport.Server) -> None:
    """The audit's attack: mallory adds alice to her org, which became alice's default org, so
    alice's later organization-mode plots were mallory's to read."""
    with http(srv) as c:
        assert c.post("/api/v2/orgs", json={"slug": "evil"}, headers=auth(srv, "mallory")).status_code == 201
        r = c.post("/api/v2/orgs/evil/members", json={"username": "alice"}, headers=auth(srv, "mallory"))
        assert r.status_code == 200 and r.json()["status"] == "invited"
        members = c.get("/api/v2/orgs/evil", headers=auth(srv, "mallory")).json()["members"]
        assert [m["username"] for m in members] == ["mallory"]
        mine = c.get("/api/v2/me", headers=auth(srv, "alice")).json()
        assert mine["default_org"] == "~alice" and "evil" not in {o["slug"] for o in mine["organizations"]}
    ds = srv.plot(me(srv, "alice"), SPEC, ONE_EDGE, None, {"mode": "organization"})
    assert srv.datasets.describe(me(srv, "alice"), ds)["org"] == "~alice"
    assert srv.datasets.rights(me(srv, "mallory"), ds) == frozenset()


def test_the_invitee_accepts_or_declines(srv: graphport.Server) -> None:
    alice = me(srv, "alice")
    srv.accounts.orgs.create_org_as(me(srv, "mallory"), "acme")
    srv.accounts.invitations.invite_as(me(srv, "mallory"), "acme", "alice", "admin")
    srv.accounts.invitations.invite_as(me(srv, "mallory"), "acme", "carol@example.org")
    with http(srv) as c:
        (invitation,) = c.get("/api/v2/me/invitations", headers=auth(srv, "alice")).json()["invitations"]
        assert (invitation["slug"], invitation["role"], invitation["invited_by"]) == (
            "acme",
            "admin",
            "mallory",
        )
        # Nobody else may answer alice's invitation (the inviter included): 404.
        for other in ("mallory", "carol"):
            r = c.post(f"/api/v2/me/invitations/{invitation['id']}/accept", headers=auth(srv, other))
            assert r.status_code == 404
        r = c.post(f"/api/v2/me/invitations/{invitation['id']}/accept", headers=auth(srv, "alice"))
        assert r.status_code == 200 and r.json() == {"ok": True, "slug": "acme", "role": "admin"}
        (carols,) = c.get("/api/v2/me/invitations", headers=auth(srv, "carol")).json()["invitations"]
        assert (
            c.delete(f"/api/v2/me/invitations/{carols['id']}", headers=auth(srv, "carol")).status_code == 200
        )
    roles = {m["username"]: m["role"] for m in srv.accounts.orgs.describe_org(alice, "acme")["members"]}
    assert roles == {"alice": "admin", "mallory": "owner"}
    assert srv.accounts.describe_user(alice.user_id)["default_org"] == "~alice"  # unchanged
    assert srv.accounts.invitations.my_invitations(me(srv, "carol")) == []


def test_the_operator_still_enrolls_directly(srv: graphport.Server) -> None:
    srv.create_org("acme")
    srv.add_member("acme", "alice", "owner")  # graphport org add-member: the site operator's act
    assert srv.accounts.orgs.describe_org(me(srv, "alice"), "acme")["role"] == "owner"
    assert srv.accounts.describe_user(me(srv, "alice").user_id)["default_org"] == "~alice"


# -- F5: invitation answers say nothing about who exists ---------------------------------------------


def test_invitation_answers_do_not_reveal_accounts(srv: graphport.Server) -> None:
    srv.accounts.orgs.create_org_as(me(srv, "mallory"), "probe")

    def answer(name: str) -> tuple[int, dict[str, Any]]:
        with http(srv) as c:
            r = c.post("/api/v2/orgs/probe/members", json={"username": name}, headers=auth(srv, "mallory"))
        body = r.json()
        body.pop("request_id", None)
        return r.status_code, {k: v for k, v in body.items() if k != "username"}

    existing, by_email = answer("alice"), answer("alice@example.org")
    missing, missing_email = answer("nobody-here"), answer("nobody@example.org")
    assert existing == missing == by_email == missing_email
    assert existing[0] == 200 and "user_not_found" not in str(existing)
    listed = {i["invitee"] for i in srv.accounts.invitations.org_invitations(me(srv, "mallory"), "probe")}
    assert listed == {"alice", "alice@example.org", "nobody-here", "nobody@example.org"}


def test_org_names_stay_hidden_from_outsiders(srv: graphport.Server) -> None:
    srv.accounts.orgs.create_org_as(me(srv, "alice"), "secret-project")
    with http(srv) as c:
        for slug in ("secret-project", "no-such-org"):
            for method, path, body in (
                ("GET", f"/api/v2/orgs/{slug}", None),
                ("POST", f"/api/v2/orgs/{slug}/invitations", {"username": "mallory"}),
                ("GET", f"/api/v2/orgs/{slug}/invitations", None),
            ):
                r = c.request(method, path, json=body, headers=auth(srv, "mallory"))
                assert (r.status_code, r.json()["code"]) == (404, "org_not_found")
            login = c.post("/api-token-auth/", json={"username": "mallory", "password": PW, "org_name": slug})
            assert login.json()["active_organization"] == {
                "slug": slug,
                "is_found": False,
                "is_member": False,
            }


# -- F11: site admins and editors -------------------------------------------------------------------------


def test_a_site_admin_cannot_take_over_an_org(srv: graphport.Server) -> None:
    srv.create_user("root", PW, is_admin=True)
    srv.accounts.orgs.create_org_as(me(srv, "alice"), "acme")
    with http(srv) as c:
        for method, path, body in (
            ("GET", "/api/v2/orgs/acme", None),
            ("POST", "/api/v2/orgs/acme/members", {"username": "root", "role": "owner"}),
            ("POST", "/api/v2/orgs/acme/invitations", {"username": "root", "role": "owner"}),
            ("DELETE", "/api/v2/orgs/acme/members/alice", None),
        ):
            r = c.request(method, path, json=body, headers=auth(srv, "root"))
            assert r.status_code == 404, (method, path, r.text)
    assert [m["username"] for m in srv.accounts.orgs.describe_org(me(srv, "alice"), "acme")["members"]] == [
        "alice"
    ]


def test_an_org_editor_cannot_invite_themselves(srv: graphport.Server) -> None:
    """Edit rights through the org (mode_action 20) must not become an invitation that
    outlives the membership."""
    srv.create_org("acme", members=["alice", "mallory"])
    alice, mallory = me(srv, "alice"), me(srv, "mallory")
    ds = srv.plot(
        alice, {**SPEC, "org_name": "acme"}, ONE_EDGE, None, {"mode": "organization", "mode_action": "20"}
    )
    assert Action.EDIT in srv.datasets.rights(mallory, ds)
    with srv.db.read() as c:
        for name in ("mallory", "MALLORY", "mallory@example.org"):
            with pytest.raises(PermissionDenied) as refused:
                check_self_invites(c, mallory, ds, [(name.lower(), 20)])
            assert refused.value.code == "self_invite"
        check_self_invites(c, mallory, ds, [("carol", 20)])  # others: as docs/access.md allows
        check_self_invites(c, alice, ds, [("alice", 20)])  # the owner may do anything


# -- the personal organization ------------------------------------------------------------------------


def test_organization_mode_without_an_org_shares_with_nobody(srv: graphport.Server) -> None:
    """carol (in acme with alice) saw alice's organization-mode plot made without org_name."""
    srv.create_org("acme", members=["alice", "carol"])
    alice, carol = me(srv, "alice"), me(srv, "carol")
    ds = srv.plot(alice, SPEC, ONE_EDGE, None, {"mode": "organization"})
    assert srv.datasets.rights(carol, ds) == frozenset()
    shared = srv.plot(alice, {**SPEC, "org_name": "acme"}, ONE_EDGE, None, {"mode": "organization"})
    assert srv.datasets.rights(carol, shared) == {Action.VIEW}
    with http(srv) as c:  # the personal org works as org_name too (official client's org flows)
        login = c.post("/api-token-auth/", json={"username": "alice", "password": PW, "org_name": "~alice"})
        assert login.json()["active_organization"]["is_member"] is True
        r = c.post("/api/v2/o/~alice/switch/", headers=auth(srv, "alice"))
        assert r.json()["status"] == "OK"


def test_nobody_joins_or_leaves_a_personal_org(srv: graphport.Server) -> None:
    alice = me(srv, "alice")
    with pytest.raises(ConflictError):
        srv.add_member("~alice", "mallory")
    with pytest.raises(ConflictError):
        srv.accounts.invitations.invite_as(alice, "~alice", "mallory")
    with pytest.raises(ConflictError):
        srv.accounts.orgs.remove_member_as(alice, "~alice", "alice")
    with http(srv) as c:  # '~' is outside the slug rule: nobody creates one
        r = c.post("/api/v2/orgs", json={"slug": "~carol2"}, headers=auth(srv, "mallory"))
        assert r.status_code == 400


def test_migration_0004_gives_existing_users_a_personal_default_org(tmp_path: Path) -> None:
    """A database at 0003 (users whose default org was their first org) upgraded to 0004."""
    from alembic import command
    from alembic.config import Config

    from graphport.storage import Database, sqlite_url
    from graphport.storage._database import MIGRATIONS

    url = sqlite_url(tmp_path / "old.db")
    db = Database(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.commit()
    with db.engine.begin() as c:
        c.execute(
            sa.text(
                "INSERT INTO users (id, username, is_admin, is_active, token_epoch, default_org_id, created_at) VALUES (1, 'alice', 0, 1, 0, 1, 0)"
            )
        )
        c.execute(
            sa.text("INSERT INTO organizations (id, slug, name, created_at) VALUES (1, 'acme', 'acme', 0)")
        )
        c.execute(
            sa.text("INSERT INTO memberships (org_id, user_id, role, created_at) VALUES (1, 1, 'member', 0)")
        )
        c.execute(
            sa.text(
                "INSERT INTO datasets (id, owner_id, org_id, name, description, status, privacy_mode, privacy_notify, privacy_mode_action, privacy_message, spec, edges_rows, nodes_rows, content_version, graph_version, graph_nodes_rows, created_at, updated_at) VALUES ('d1', 1, 1, 'n', '', 'ready', 'organization', 0, '10', '', '{}', 0, 0, 1, -1, 0, 0, 0)"
            )
        )
    db.close()
    with graphport.Server(config=graphport.ServerConfig(data=tmp_path / "d", db=url)) as server:
        info = server.accounts.describe_user(1)
        assert info["default_org"] == info["personal_org"] == "~alice"
        assert {o["slug"] for o in info["organizations"]} == {"acme", "~alice"}
        assert server.datasets.describe(me(server, "alice"), "d1")["org"] == "acme"  # kept
