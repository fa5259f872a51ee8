"""The official ``graphistry==0.61.2`` client's single sign-on, unmodified, against a real provider.

The client is driven as its user would: it shows or opens ``auth_url`` (``webbrowser.open`` for
``sso_opt_into_type="browser"``, IPython's ``display`` for ``"display"``, ``print`` otherwise), a
person signs in there (here a browser made of HTTP requests, the same steps as Chromium in
``test_sso_browser.py``), and the client polls ``/api/v2/o/sso/oidc/jwt/{state}``. Only what sits
outside the client is stood in for: the browser it opens, the display it shows the link on, the
Enter key it waits for.
"""

from __future__ import annotations

import builtins
import re
import threading
import time
import webbrowser
from collections.abc import Iterator
from typing import Any

import graphistry
import httpx
import pandas as pd
import pytest

from ._idp import HttpBrowser
from .conftest import Sso

pytestmark = pytest.mark.sso_idp

EDGES = pd.DataFrame({"s": ["a", "b", "c"], "d": ["b", "c", "a"]})


class User:
    """Signs in at whatever URL the client shows them, in a browser of their own, optionally
    after a delay (in a thread, as a person at another window)."""

    def __init__(self, login: str, delay: float = 0.0) -> None:
        self.login = login
        self.delay = delay
        self.seen: list[str] = []
        self.answers: list[httpx.Response] = []
        self.threads: list[threading.Thread] = []

    def _sign_in(self, url: str) -> None:
        time.sleep(self.delay)
        browser = HttpBrowser()
        try:
            answer = browser.sign_in(url, self.login)
            assert isinstance(answer, httpx.Response)
            self.answers.append(answer)
        finally:
            browser.close()

    def open(self, url: str, *args: Any, **kwargs: Any) -> bool:
        self.seen.append(url)
        thread = threading.Thread(target=self._sign_in, args=(url,), daemon=True)
        thread.start()
        self.threads.append(thread)
        return True

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=60)


@pytest.fixture
def no_enter_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 'browser' mode waits for Enter before opening the browser."""
    monkeypatch.setattr(builtins, "input", lambda *_: "")


def register(sso: Sso, **kwargs: Any) -> Any:
    g = graphistry.client()
    g.register(api=3, protocol="http", server=sso.live.address, **kwargs)
    return g


def plot_and_read_back(sso: Sso, g: Any) -> dict[str, Any]:
    url = g.edges(EDGES, "s", "d").plot(render=False)
    dataset = re.search(r"dataset=([A-Za-z0-9_-]+)", url)
    assert dataset is not None, url
    r = httpx.get(
        f"{sso.url}/api/v2/datasets/{dataset.group(1)}", headers={"Authorization": f"Bearer {g.api_token()}"}
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
def user(monkeypatch: pytest.MonkeyPatch, no_enter_key: None) -> Iterator[User]:
    person = User("carol", delay=2.0)  # the client's first poll comes before they finish
    monkeypatch.setattr(webbrowser, "open", person.open)
    yield person
    person.join()


def test_site_wide_sso_in_browser_mode_then_plot(sso: Sso, user: User) -> None:
    g = register(sso, is_sso_login=True, sso_opt_into_type="browser", sso_timeout=30)
    user.join()
    assert user.seen and user.seen[0].startswith(sso.idp.issuer + "/auth?")
    assert "Return to your Python session" in user.answers[0].text
    assert sso.server.authenticate(g.api_token()).username == "carol"
    # The server names the organization (the personal one), so the client never guesses it.
    assert g.org_name() == "~carol"
    assert plot_and_read_back(sso, g)["owner"] == "carol"


def test_org_sso_with_an_idp_name_binds_the_org(sso: Sso, user: User) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme"))
    g = register(sso, org_name="acme", idp_name="acme-idp", sso_opt_into_type="browser", sso_timeout=30)
    assert g.org_name() == "acme"
    meta = plot_and_read_back(sso, g)
    assert meta["org"] == "acme"


def test_org_sso_without_an_idp_name_uses_the_orgs_provider(sso: Sso, user: User) -> None:
    sso.server.create_org("acme")
    sso.server.add_sso_provider(sso.provider(name="acme-idp", org="acme"))
    g = register(sso, org_name="acme", sso_opt_into_type="browser", sso_timeout=30)
    assert (sso.server.authenticate(g.api_token()).username, g.org_name()) == ("carol", "acme")


def test_a_site_wide_provider_named_with_an_org_the_user_is_not_in(sso: Sso, user: User) -> None:
    """org_name names an org the provider does not belong to: the sign-in works, the answer says
    the user is not a member, and the official client refuses the mismatch itself."""
    sso.server.create_org("acme")
    g = register(sso, org_name="acme", idp_name="corp", sso_opt_into_type="browser", sso_timeout=30)
    assert sso.server.authenticate(g.api_token()).username == "carol"
    with pytest.raises(Exception, match=r"(?i)not (authorized|a member).*acme"):
        plot_and_read_back(sso, g)


def test_display_mode_shows_the_link_and_waits(sso: Sso, monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    person = User("carol", delay=2.0)
    shown: list[str] = []

    def display(obj: Any, *args: Any, **kwargs: Any) -> None:
        html = getattr(obj, "data", "")
        shown.append(html)
        link = re.search(r'href="([^"]+)"', html)
        if link:  # the person clicks the link
            person.open(link.group(1))

    monkeypatch.setattr(IPython.display, "display", display)
    g = register(sso, is_sso_login=True, sso_opt_into_type="display", sso_timeout=30)
    person.join()
    assert any("Login SSO" in h for h in shown)
    assert sso.server.authenticate(g.api_token()).username == "carol"


def test_printed_link_without_waiting_then_sso_get_token(
    sso: Sso, capsys: pytest.CaptureFixture[str]
) -> None:
    """sso_timeout=None: register prints the link and returns; after signing in, the user calls
    sso_get_token() (the non-blocking mode)."""
    g = register(sso, is_sso_login=True, sso_timeout=None)
    printed = capsys.readouterr().out
    link = re.search(r"browse to this URL, and sign in: (\S+)", printed)
    assert link is not None, printed
    person = User("dave")
    person.open(link.group(1))
    person.join()
    token = g.sso_get_token()
    assert token and sso.server.authenticate(token).username == "dave"
    assert g.org_name() == "~dave"
    assert plot_and_read_back(sso, g)["owner"] == "dave"


def test_the_state_is_spent_after_the_token_is_handed_out(sso: Sso, user: User) -> None:
    g = register(sso, is_sso_login=True, sso_opt_into_type="browser", sso_timeout=30)
    state = g.session.sso_state
    r = httpx.get(f"{sso.url}/api/v2/o/sso/oidc/jwt/{state}/")
    assert (r.status_code, r.json()["code"], r.json()["status"]) == (404, "sso_state_unknown", "ERR")


def test_nobody_signs_in_the_poll_answers_pending_and_the_state_expires(sso: Sso) -> None:
    r = httpx.post(f"{sso.url}/api/v2/g/sso/oidc/login/", data={"client-type": "pygraphistry"})
    assert r.status_code == 200
    data = r.json()["data"]
    assert set(data) == {"state", "auth_url"} and data["state"] not in data["auth_url"]
    started = time.monotonic()
    r = httpx.get(f"{sso.url}/api/v2/o/sso/oidc/jwt/{data['state']}/", params={"wait": "0.5"})
    assert time.monotonic() - started >= 0.5
    assert (r.status_code, r.json()["status"]) == (202, "PENDING")
    real = sso.server.sso.clock
    sso.server.sso.clock = lambda: real() + sso.server.config.sso_state_ttl + 1
    r = httpx.get(f"{sso.url}/api/v2/o/sso/oidc/jwt/{data['state']}/", params={"wait": "0"})
    assert (r.status_code, r.json()["code"]) == (400, "sso_state_expired")


def test_the_official_client_times_out_cleanly_when_nobody_signs_in(
    sso: Sso, monkeypatch: pytest.MonkeyPatch, no_enter_key: None
) -> None:
    """With a short server wait, graphistry 0.61.2 gets the pending answer and raises its message;
    no token, and sso_get_token() completes later once the person signed in."""
    object.__setattr__(sso.server.config, "sso_poll_wait", 1.0)  # this test's own server only
    opened: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url, *a, **k: opened.append(url) or True)
    g = graphistry.client()
    with pytest.raises(Exception, match="Waiting for the sign-in"):
        g.register(
            api=3,
            protocol="http",
            server=sso.live.address,
            is_sso_login=True,
            sso_opt_into_type="browser",
            sso_timeout=5,
        )
    person = User("carol")
    person.open(opened[0])
    person.join()
    assert sso.server.authenticate(g.sso_get_token()).username == "carol"


@pytest.mark.parametrize("adapter", ["tornado", "aiohttp"])
def test_the_official_client_through_the_other_adapters(sso: Sso, user: User, adapter: str) -> None:
    """The SSO routes and the held poll are the one HTTP core's: Tornado and aiohttp answer them
    too. (The provider knows one callback URL: public_url points the redirect at it.)"""
    from ..transports._adapters import serving

    object.__setattr__(sso.server.config, "public_url", sso.url)  # this test's own server only
    with serving(sso.server, adapter) as port:
        g = graphistry.client()
        g.register(
            api=3,
            protocol="http",
            server=f"127.0.0.1:{port}",
            is_sso_login=True,
            sso_opt_into_type="browser",
            sso_timeout=30,
        )
        assert sso.server.authenticate(g.api_token()).username == "carol"
        assert g.org_name() == "~carol"


def test_a_client_sign_in_needs_the_person_to_allow_the_program(sso: Sso) -> None:
    """Whoever sends someone a client sign-in's auth_url gets no token from their click alone:
    the sign-in ends on a page where the person allows (or refuses) the program that asked."""

    def start() -> dict[str, str]:
        r = httpx.post(f"{sso.url}/api/v2/g/sso/oidc/login/", data={"client-type": "pygraphistry"})
        data: dict[str, str] = r.json()["data"]
        return data

    def poll(state: str) -> httpx.Response:
        return httpx.get(f"{sso.url}/api/v2/o/sso/oidc/jwt/{state}/", params={"wait": "0"})

    started = start()
    victim = HttpBrowser()
    try:
        page = victim.sign_in(started["auth_url"], "carol", client_answer=None)
        assert isinstance(page, httpx.Response)
        assert "Sign in a program as carol?" in page.text and "Allow" in page.text
        assert poll(started["state"]).status_code == 202  # signed in at the provider, not allowed
        forged = victim.client.post(
            f"{sso.url}/sso/oidc/confirm",
            data={"state": "x", "confirm": "guess", "answer": "allow"},
        )
        assert (forged.status_code, forged.headers["x-graphport-error"]) == (400, "sso_state_invalid")
        refused = victim.answer(page, "deny")
        assert refused.status_code == 200 and "gets no token" in refused.text
    finally:
        victim.close()
    r = poll(started["state"])
    assert (r.status_code, r.json()["code"]) == (404, "sso_state_unknown")

    started = start()
    person = HttpBrowser()
    try:
        allowed = person.sign_in(started["auth_url"], "carol")
        assert isinstance(allowed, httpx.Response) and "Signed in as carol" in allowed.text
    finally:
        person.close()
    r = poll(started["state"])
    assert r.status_code == 200 and sso.server.authenticate(r.json()["data"]["token"]).username == "carol"
