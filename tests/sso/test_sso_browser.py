"""Single sign-on in a real Chromium (Debian's, through playwright-core), against a real provider:
the sign-in page offers the provider, the provider's pages are filled in as a person would, and
the browser lands back on graphport signed in, with the session cookies a password sign-in sets.
"""

from __future__ import annotations

import json

import pytest

from ._idp import chromium_sign_in, require_chromium
from .conftest import Sso

pytestmark = [pytest.mark.sso_idp, pytest.mark.browser]


def test_chromium_signs_in_from_the_login_page_and_lands_on_next(sso: Sso) -> None:
    require_chromium()
    report = chromium_sign_in(
        sso.workdir,
        {
            "start": f"{sso.url}/login?next=/api/v2/datasets/",
            "clickProvider": "corp",
            "base": sso.url,
            "login": "carol",
            "password": "any password",
            "fetch": ["/api/v2/me"],
        },
    )
    assert report["url"] == f"{sso.url}/api/v2/datasets/"
    me = report["fetched"][0]
    assert me["status"] == 200, me
    assert json.loads(me["body"])["username"] == "carol"
    cookies = {c["name"]: c for c in report["cookies"]}
    assert cookies["graphport_session"]["httpOnly"] and cookies["graphport_session"]["sameSite"] == "Lax"
    assert not cookies["graphport_csrf"]["httpOnly"]  # the page's scripts echo it
    assert "graphport_sso" not in cookies  # the sign-in's binding cookie is gone
    assert sso.server.find_user("carol@corp.example") is not None


def test_chromium_sees_a_clear_page_for_an_unverified_email(sso: Sso) -> None:
    require_chromium()
    report = chromium_sign_in(
        sso.workdir,
        {"start": f"{sso.url}/sso/oidc/login/corp", "base": sso.url, "login": "erin", "password": "pw"},
    )
    assert report["title"].startswith("Single sign-on failed")
    assert "has not verified the email" in report["text"]
    assert "graphport_session" not in {c["name"] for c in report["cookies"]}
    assert sso.server.find_user("erin") is None
