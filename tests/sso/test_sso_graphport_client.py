"""graphport's own client signs in through single sign-on the way the official client does
(``register(is_sso_login=True / org_name= / idp_name=, sso_opt_into_type=, sso_timeout=)``),
against the real provider of ``conftest.py``: the person signs in in their browser (a browser made
of HTTP requests, in a thread), the client holds its token poll until they have."""

from __future__ import annotations

import threading
import time
import webbrowser
from collections.abc import Iterator

import pandas as pd
import pytest

import graphport
from graphport.errors import AuthError, ConfigError

from .conftest import Sso
from .test_sso_official_client import User

pytestmark = pytest.mark.sso_idp

EDGES = pd.DataFrame({"s": ["a", "b", "c"], "d": ["b", "c", "a"]})


@pytest.fixture
def person(monkeypatch: pytest.MonkeyPatch) -> Iterator[User]:
    someone = User("carol", delay=1.0)  # the client's first poll comes before they finish
    monkeypatch.setattr(webbrowser, "open", someone.open)
    yield someone
    someone.join()


def test_browser_mode_signs_in_and_plots(sso: Sso, person: User) -> None:
    g = graphport.client().register(
        api=3, server=sso.live.address, is_sso_login=True, sso_opt_into_type="browser", sso_timeout=30
    )
    person.join()
    assert person.seen and person.seen[0].startswith(sso.idp.issuer + "/auth?")
    assert sso.server.authenticate(g.session.token.value).username == "carol"  # type: ignore[union-attr]
    assert g.session.org_name == "~carol"  # named by the server, never guessed
    assert "sso" in repr(g.session.credentials) and "secret" not in repr(g.session.credentials)
    url = g.edges(EDGES, "s", "d").plot(render=False)
    assert "dataset=" in url


def test_the_printed_link_is_enough(sso: Sso, person: User, capsys: pytest.CaptureFixture[str]) -> None:
    """Without sso_opt_into_type the client prints the link; the person opens it themselves."""

    def when_printed() -> None:
        for _ in range(200):
            out = capsys.readouterr().out
            if "http" in out:
                person.open(out.split("provider: ", 1)[1].strip())
                return
            time.sleep(0.05)

    reader = threading.Thread(target=when_printed, daemon=True)
    reader.start()
    g = graphport.client().register(api=3, server=sso.live.address, is_sso_login=True, sso_timeout=30)
    reader.join(timeout=10)
    person.join()
    assert person.seen and person.seen[0].startswith(sso.idp.issuer + "/auth?")
    assert sso.server.authenticate(g.session.token.value).username == "carol"  # type: ignore[union-attr]


def test_nobody_signs_in_and_the_client_gives_up_at_sso_timeout(
    sso: Sso, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(webbrowser, "open", lambda *_a, **_k: True)  # opened, never used
    with pytest.raises(AuthError) as refused:
        graphport.client().register(
            api=3, server=sso.live.address, is_sso_login=True, sso_opt_into_type="browser", sso_timeout=1
        )
    assert refused.value.code == "sso_timeout" and "sso_timeout=1" in str(refused.value)


def test_sso_takes_no_other_credentials_and_a_known_way_to_show_the_link() -> None:
    with pytest.raises(ConfigError, match="no username"):
        graphport.client().register(
            api=3, server="127.0.0.1:9", is_sso_login=True, username="u", password="p"
        )
    with pytest.raises(ConfigError, match="sso_opt_into_type"):
        graphport.client().register(api=3, server="127.0.0.1:9", is_sso_login=True, sso_opt_into_type="email")
