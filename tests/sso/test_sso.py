"""Single sign-on against a real OpenID Connect provider (oidc-provider on loopback), with a browser
made of HTTP requests: sign-in, account creation and linking, organizations, invitations, every bad
case of the issue (nothing created or linked), secrets never echoed, and the refresh recheck.

Mirrors ``server/_sso.py`` (the engine) through its routes (``transports/_routes_sso.py``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from html import unescape
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa

import graphport
from graphport.server._ingest import to_ipc_file
from graphport.storage._models import memberships, organizations, users
from graphport.storage._sso_models import sso_identities

from .._stacks import STACKS
from ..conftest import PASSWORD, start_live
from ._idp import CLIENT_SECRET, OTHER_SECRET, HttpBrowser, account
from .conftest import DEFAULT_ACCOUNTS, Sso

pytestmark = pytest.mark.sso_idp

SPEC = {
    "name": "t",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
EDGES = to_ipc_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))


def usernames(server: graphport.Server) -> set[str]:
    with server.db.read() as c:
        return set(c.execute(sa.select(users.c.username)).scalars())


def identities(server: graphport.Server) -> list[tuple[str, int]]:
    with server.db.read() as c:
        return [(r.subject, r.user_id) for r in c.execute(sa.select(sso_identities))]


def me(sso: Sso, browser: HttpBrowser) -> dict[str, object]:
    r = browser.client.get(f"{sso.url}/api/v2/me")
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def error_code(response: httpx.Response) -> str:
    return response.headers.get("x-graphport-error", "")


# -- browser sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS, indirect=True)  # PostgreSQL + S3 + Redis too (migration 0007)
def test_first_sign_in_creates_the_user_and_a_second_finds_them(sso: Sso, browser: HttpBrowser) -> None:
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp?next=/api/v2/datasets/", "carol")
    assert isinstance(r, httpx.Response)
    assert r.status_code == 200 and urlsplit(str(r.url)).path == "/api/v2/datasets/"
    who = me(sso, browser)
    assert (who["username"], who["email"], who["default_org"]) == ("carol", "carol@corp.example", "~carol")
    assert usernames(sso.server) == before | {"carol"}
    assert browser.client.cookies.get("graphport_sso") is None  # the binding cookie is cleared

    again = HttpBrowser()
    try:
        again.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
        assert me(sso, again)["username"] == "carol"
    finally:
        again.close()
    assert usernames(sso.server) == before | {"carol"}
    assert len(identities(sso.server)) == 1


def test_the_session_is_a_real_session_and_signs_out(sso: Sso, browser: HttpBrowser) -> None:
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    csrf = browser.client.cookies["graphport_csrf"]
    token = browser.client.cookies["graphport_session"]
    assert sso.server.authenticate(token).username == "carol"
    # It expires like any token (the issuer's clock moved past token_ttl), and refreshes before.
    real = sso.server.tokens.clock
    sso.server.tokens.clock = lambda: real() + sso.server.config.token_ttl + 1
    with pytest.raises(graphport.AuthError) as expired:
        sso.server.authenticate(token)
    assert expired.value.code == "token_expired"
    sso.server.tokens.clock = real
    r = browser.client.post(f"{sso.url}/logout", data={"csrf_token": csrf}, headers={"Origin": sso.url})
    assert r.status_code == 303
    with pytest.raises(graphport.AuthError):
        sso.server.authenticate(token)


def test_an_existing_user_is_linked_by_verified_email(sso: Sso, browser: HttpBrowser, alice: str) -> None:
    """The provider's 'alice' account (preferred_username alice-at-idp) has alice's email."""
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "alice")
    assert me(sso, browser)["username"] == "alice"
    assert "alice-at-idp" not in usernames(sso.server)
    assert identities(sso.server) == [("alice", sso.server.require_user("alice").user_id)]
    # Her password still works: linking adds a way in, it takes none away.
    assert sso.server.login("alice", PASSWORD).token


def test_a_taken_username_gets_a_number(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.create_user("carol", PASSWORD, email="another-carol@example.org")
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert me(sso, browser)["username"] == "carol-2"


def test_an_org_provider_adds_its_users_to_the_org_without_changing_their_default(
    sso: Sso, browser: HttpBrowser
) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme", display_name="Acme SSO"))
    browser.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "dave")
    who = me(sso, browser)
    assert {o["slug"]: o["role"] for o in who["organizations"]} == {"~dave": "owner", "acme": "member"}  # type: ignore[attr-defined]
    assert who["default_org"] == "~dave"


def test_an_org_admin_keeps_their_role_when_signing_in(sso: Sso, browser: HttpBrowser, alice: str) -> None:
    sso.server.create_org("acme")
    sso.server.add_member("acme", "alice", "admin")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme", allowed_domains=["example.org"]))
    browser.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "alice")
    roles = {o["slug"]: o["role"] for o in me(sso, browser)["organizations"]}  # type: ignore[attr-defined]
    assert roles["acme"] == "admin"


def test_pending_invitations_to_the_email_bind_on_first_sign_in(
    sso: Sso, browser: HttpBrowser, alice: str
) -> None:
    owner = sso.server.require_user("alice")
    private = {"mode": "private", "invited_users": [{"email": "carol@corp.example", "action": "10"}]}
    dataset = sso.server.plot(owner, SPEC, EDGES, None, private)
    sso.server.create_org("acme")
    sso.server.add_member("acme", "alice", "owner")
    sso.server.invite_as(owner, "acme", "carol@corp.example", "member")

    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert browser.client.get(f"{sso.url}/api/v2/datasets/{dataset}").status_code == 200
    invitations = browser.client.get(f"{sso.url}/api/v2/me/invitations").json()
    assert [i["slug"] for i in invitations["invitations"]] == ["acme"]


def test_the_sign_in_page_offers_each_provider(sso: Sso, http: httpx.Client) -> None:
    sso.server.add_sso_provider(sso.provider(name="second", display_name="Second <IdP>"))
    page = http.get("/login?next=/graph/graph.html%3Fdataset%3Dx").text
    assert (
        'href="/sso/oidc/login/corp?next=%2Fgraph%2Fgraph.html%3Fdataset%3Dx">Sign in with Corp Login' in page
    )
    assert "Sign in with Second &lt;IdP&gt;" in page


# -- bad cases: clear errors, nothing created or linked ----------------------------------------


def assert_nothing_signed_in(sso: Sso, browser: HttpBrowser, before: set[str]) -> None:
    assert usernames(sso.server) == before
    assert identities(sso.server) == []
    assert "graphport_session" not in browser.client.cookies


def test_a_wrong_state_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    before = usernames(sso.server)
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    query = parse_qs(urlsplit(callback).query)
    forged = f"{sso.url}/sso/oidc/callback?" + urlencode({"code": query["code"][0], "state": "forged-state"})
    r = browser.client.get(forged)
    assert (r.status_code, error_code(r)) == (400, "sso_state_invalid")
    assert "unknown to graphport" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_a_callback_in_another_browser_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    """Login CSRF: a sign-in finished in a browser other than the one that started it."""
    before = usernames(sso.server)
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    r = httpx.get(callback)
    assert (r.status_code, error_code(r)) == (400, "sso_state_invalid")
    assert "another browser" in r.text
    assert usernames(sso.server) == before and identities(sso.server) == []


def test_a_replayed_code_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    assert browser.client.get(callback).status_code == 303  # signed in once
    before = usernames(sso.server)
    # The same answer again: the state is one-time.
    r = browser.client.get(callback)
    assert (r.status_code, error_code(r)) == (400, "sso_state_used")
    # The code under a fresh sign-in's state: the provider refuses the spent code.
    other = HttpBrowser()
    try:
        fresh = other.client.get(f"{sso.url}/sso/oidc/login/corp")
        state = parse_qs(urlsplit(fresh.headers["location"]).query)["state"][0]
        code = parse_qs(urlsplit(callback).query)["code"][0]
        r = other.client.get(f"{sso.url}/sso/oidc/callback?" + urlencode({"code": code, "state": state}))
        assert (r.status_code, error_code(r)) == (400, "sso_code_rejected")
        assert "graphport_session" not in other.client.cookies
    finally:
        other.close()
    assert usernames(sso.server) == before


def test_an_expired_state_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    before = usernames(sso.server)
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    ttl = sso.server.config.sso_state_ttl
    real = sso.server.sso.clock
    sso.server.sso.clock = lambda: real() + ttl + 1
    r = browser.client.get(callback)
    assert (r.status_code, error_code(r)) == (400, "sso_state_expired")
    assert f"longer than {int(ttl)} seconds" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_an_unverified_email_creates_and_links_nothing(sso: Sso, browser: HttpBrowser) -> None:
    # erin's email is unverified at the provider, and an existing user has that email.
    sso.server.create_user("erin-here", PASSWORD, email="erin@corp.example")
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "erin")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (403, "sso_email_unverified")
    assert "not verified" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_an_email_outside_the_allowed_domains_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.add_sso_provider(sso.provider(allowed_domains=["corp.example"]), replace=True)
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "frank")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (403, "sso_email_domain")
    assert_nothing_signed_in(sso, browser, before)


def test_an_id_token_for_another_audience_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    """A token substituted on the way (issued to the provider's other client) is refused."""
    sso.server.add_sso_provider(sso.provider(name="other", client_id="other-app", client_secret=OTHER_SECRET))
    first = HttpBrowser()
    try:  # mallory's ID token for other-app, which the tampering provider then hands to us
        first.sign_in(f"{sso.url}/sso/oidc/login/other", "dave")
    finally:
        first.close()
    with sso.server.db.write() as c:  # forget dave entirely: only the refusal is under test
        c.execute(sso_identities.delete())
    before = usernames(sso.server)
    sso.idp.tamper("other-app")
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (400, "sso_token_invalid")
    assert "issued to another client" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_the_provider_down_is_a_clear_error(sso: Sso, browser: HttpBrowser) -> None:
    before = usernames(sso.server)
    sso.idp.stop()
    r = browser.client.get(f"{sso.url}/sso/oidc/login/corp")
    assert r.status_code == 502
    assert "could not be reached" in r.text and "corp" in r.text
    r = httpx.post(f"{sso.url}/api/v2/g/sso/oidc/login/", data={"client-type": "pygraphistry"})
    assert r.status_code == 502
    assert (r.json()["code"], r.json()["status"]) == ("sso_provider_unavailable", "ERR")
    assert usernames(sso.server) == before


def test_the_provider_going_down_mid_sign_in_is_a_clear_error(sso: Sso, browser: HttpBrowser) -> None:
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    before = usernames(sso.server)
    sso.idp.stop()
    sso.server.sso.oidc._metadata.clear()  # as after the cache's hour: discovery is asked again
    r = browser.client.get(callback)
    assert (r.status_code, error_code(r)) == (502, "sso_provider_unavailable")
    assert_nothing_signed_in(sso, browser, before)


def test_the_provider_refusing_our_client_never_echoes_the_secret(
    sso: Sso, browser: HttpBrowser, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wrong-secret-that-must-never-be-shown"
    sso.server.add_sso_provider(sso.provider(client_secret=wrong), replace=True)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (502, "sso_provider_refused")
    for shown in (
        r.text,
        caplog.text,
        repr(sso.server.sso_providers()),
        repr(sso.server.sso.providers.get("corp")),
    ):
        assert wrong not in shown and CLIENT_SECRET not in shown
    assert sso.server.sso_providers()[0]["client_secret"] == "(set)"
    with sso.server.db.read() as c:  # stored encrypted
        stored = c.execute(sa.text("select client_secret from sso_providers")).scalar()
    assert wrong not in stored


# -- tokens from SSO behave like password tokens -----------------------------------------------


@pytest.mark.parametrize("stack", STACKS, indirect=True)
def test_refresh_works_and_a_disabled_account_at_the_provider_ends_access(
    sso: Sso, browser: HttpBrowser
) -> None:
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    token = browser.client.cookies["graphport_session"]
    sso.server.sso.clock = lambda: 10**10  # every recheck is due
    r = httpx.post(f"{sso.url}/api/v2/auth/token/refresh", json={"token": token})
    assert r.status_code == 200, r.text
    fresh = r.json()["token"]
    assert sso.server.authenticate(fresh).username == "carol"

    sso.idp.set_accounts(
        {k: v for k, v in DEFAULT_ACCOUNTS.items() if k != "carol"}
        | {"carol": {**account("carol@corp.example"), "disabled": True}}
    )
    sso.server.sso.clock = lambda: 2 * 10**10
    r = httpx.post(f"{sso.url}/api/v2/auth/token/refresh", json={"token": fresh})
    assert r.status_code == 401
    assert r.json()["code"] == "sso_access_ended"
    for old in (token, fresh):
        with pytest.raises(graphport.AuthError):
            sso.server.authenticate(old)


def test_a_recheck_waits_for_its_interval(sso: Sso, browser: HttpBrowser) -> None:
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    token = browser.client.cookies["graphport_session"]
    sso.idp.set_accounts({})  # the provider forgets everyone...
    r = httpx.post(f"{sso.url}/api/v2/auth/token/refresh", json={"token": token})
    assert r.status_code == 200  # ...but the last check is younger than sso_recheck_interval


def test_a_disabled_graphport_user_cannot_come_back_through_sso(sso: Sso, browser: HttpBrowser) -> None:
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    sso.server.set_active("carol", False)
    again = HttpBrowser()
    try:
        r = again.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
        assert isinstance(r, httpx.Response)
        assert (r.status_code, error_code(r)) == (403, "sso_account_disabled")
    finally:
        again.close()


def test_a_disabled_users_email_never_gets_a_fresh_account(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.create_user("carol-old", PASSWORD, email="carol@corp.example")
    sso.server.set_active("carol-old", False)
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (403, "sso_account_disabled")
    assert_nothing_signed_in(sso, browser, before)


def test_unknown_provider_and_ambiguous_routes(sso: Sso) -> None:
    r = httpx.get(f"{sso.url}/sso/oidc/login/nope")
    assert r.status_code == 404 and "no single sign-on provider" in r.text
    r = httpx.post(f"{sso.url}/api/v2/o/acme/sso/oidc/login/", data={"client-type": "pygraphistry"})
    assert (r.status_code, r.json()["code"]) == (404, "sso_provider_unknown")
    sso.server.add_sso_provider(sso.provider(name="second"))
    r = httpx.post(f"{sso.url}/api/v2/g/sso/oidc/login/", data={"client-type": "pygraphistry"})
    assert (r.status_code, r.json()["code"]) == (400, "sso_provider_ambiguous")
    assert "corp, second" in r.json()["message"]


def test_membership_rows_are_untouched_by_a_failed_sign_in(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme"))
    with sso.server.db.read() as c:
        before = c.execute(sa.select(sa.func.count()).select_from(memberships)).scalar()
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "erin")  # unverified email
    assert isinstance(r, httpx.Response) and r.status_code == 403
    with sso.server.db.read() as c:
        after = c.execute(sa.select(sa.func.count()).select_from(memberships)).scalar()
        orgs = set(c.execute(sa.select(organizations.c.slug)).scalars())
    assert after == before and "~erin" not in orgs


def test_a_provider_of_a_missing_org_creates_nothing(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme"))
    with sso.server.db.write() as c:  # the org is gone (a configured provider may name any)
        c.execute(sa.delete(organizations).where(organizations.c.slug == "acme"))
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "dave")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (404, "org_not_found")
    assert "graphport org add acme" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_a_poll_held_in_one_process_sees_the_sign_in_finished_in_another(
    sso: Sso, browser: HttpBrowser
) -> None:
    """Sign-ins live in the database: process B's held poll gets the token once the browser
    finished at process A's callback."""
    other = graphport.Server(config=sso.server.config)  # a second process over the same stores
    uv, thread, port = start_live(other)
    try:
        started = httpx.post(
            f"{sso.url}/api/v2/g/sso/oidc/login/", data={"client-type": "pygraphistry"}
        ).json()
        signer = threading.Thread(
            target=lambda: (time.sleep(1.0), browser.sign_in(started["data"]["auth_url"], "carol")),
            daemon=True,
        )
        signer.start()
        r = httpx.get(
            f"http://127.0.0.1:{port}/api/v2/o/sso/oidc/jwt/{started['data']['state']}/", timeout=60
        )
        signer.join(timeout=30)
        assert r.status_code == 200, r.text
        token = r.json()["data"]["token"]
        assert (
            other.authenticate(token).username == "carol"
            and sso.server.authenticate(token).username == "carol"
        )
        assert r.json()["data"]["active_organization"] == {
            "slug": "~carol",
            "is_found": True,
            "is_member": True,
        }
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        other.close()


def test_a_site_admins_account_is_never_linked_by_email(sso: Sso, browser: HttpBrowser) -> None:
    sso.server.create_user("root", PASSWORD, email="carol@corp.example", is_admin=True)
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (403, "sso_link_refused")
    assert "site administrator" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_an_org_provider_links_only_emails_of_its_domains(sso: Sso, browser: HttpBrowser, alice: str) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme"))
    before = usernames(sso.server)
    r = browser.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "alice")  # alice@example.org exists
    assert isinstance(r, httpx.Response)
    assert (r.status_code, error_code(r)) == (403, "sso_link_refused")
    assert_nothing_signed_in(sso, browser, before)
    sso.server.add_sso_provider(
        sso.provider(name="acme-idp", org="acme", allowed_domains=["example.org"]), replace=True
    )
    again = HttpBrowser()
    try:
        again.sign_in(f"{sso.url}/sso/oidc/login/acme-idp", "alice")
        assert me(sso, again)["username"] == "alice"
    finally:
        again.close()


def test_the_person_cancelling_at_the_provider_is_a_clear_error(sso: Sso, browser: HttpBrowser) -> None:
    before = usernames(sso.server)
    page = browser.open(f"{sso.url}/sso/oidc/login/corp")  # the provider's sign-in page
    abort = re.search(r'href="([^"]*/abort)"', page.text)
    assert abort is not None, page.text[:500]
    r = browser.open(urljoin(str(page.url), unescape(abort.group(1))))  # "Cancel"
    assert (r.status_code, error_code(r)) == (400, "sso_provider_error")
    assert "access_denied" in r.text
    assert_nothing_signed_in(sso, browser, before)


def test_the_provider_down_at_refresh_does_not_sign_anyone_out(sso: Sso, browser: HttpBrowser) -> None:
    browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol")
    token = browser.client.cookies["graphport_session"]
    sso.idp.stop()
    sso.server.sso.clock = lambda: 10**10  # the recheck is due, and cannot reach the provider
    r = httpx.post(f"{sso.url}/api/v2/auth/token/refresh", json={"token": token})
    assert r.status_code == 200, r.text
    assert sso.server.authenticate(r.json()["token"]).username == "carol"


def test_two_first_sign_ins_at_once_make_one_user(sso: Sso) -> None:
    browsers = [HttpBrowser(), HttpBrowser()]
    try:
        callbacks = [
            b.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True) for b in browsers
        ]
        answers: list[int] = []
        barrier = threading.Barrier(2)

        def finish(b: HttpBrowser, url: object) -> None:
            barrier.wait()
            answers.append(b.client.get(str(url)).status_code)

        threads = [
            threading.Thread(target=finish, args=pair) for pair in zip(browsers, callbacks, strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        for b in browsers:
            b.close()
    assert 303 in answers and set(answers) <= {303, 409}, answers
    assert {u for u in usernames(sso.server) if u.startswith("carol")} == {"carol"}
    assert len(identities(sso.server)) == 1


def test_an_answer_naming_another_issuer_is_refused(sso: Sso, browser: HttpBrowser) -> None:
    """RFC 9207: oidc-provider names itself in the answer (iss); another issuer there is a mix-up."""
    callback = browser.sign_in(f"{sso.url}/sso/oidc/login/corp", "carol", stop_at_callback=True)
    assert isinstance(callback, str)
    query = parse_qs(urlsplit(callback).query)
    assert query["iss"] == [sso.idp.issuer]
    before = usernames(sso.server)
    mixed = {k: v[0] for k, v in query.items()} | {"iss": "https://evil.example"}
    r = browser.client.get(f"{sso.url}/sso/oidc/callback?" + urlencode(mixed))
    assert (r.status_code, error_code(r)) == (400, "sso_provider_error")
    assert "mix-up" in r.text
    assert_nothing_signed_in(sso, browser, before)
