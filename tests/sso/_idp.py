"""A real OpenID Connect provider for the SSO tests, and a browser made of HTTP requests.

The provider is panva/oidc-provider (OpenID Certified) under Node, started by ``idp.mjs`` on
127.0.0.1 and a free port; ``tests/sso/package.json`` pins it and :func:`require_idp` installs it
(``npm ci``) into ``tests/sso/node_modules`` on first use.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest

HERE = Path(__file__).resolve().parent
IDP_SCRIPT = HERE / "idp.mjs"
BROWSER_SCRIPT = HERE / "browser.mjs"
ROOT = HERE.parents[1]
CLIENT_SECRET = "graphport-client-secret-for-tests-only"
OTHER_SECRET = "other-app-client-secret-for-tests-only"
_install_lock = threading.Lock()


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def require_idp() -> None:
    """Node and oidc-provider (installed here by ``npm ci`` when missing), else skip (fail in CI)."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        _missing("The SSO tests need Node 20+ and npm (they run oidc-provider).")
    # One install at a time, across pytest-xdist workers too (a file lock beside package.json).
    with _install_lock, (Path(tempfile.gettempdir()) / "graphport-sso-npm.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (HERE / "node_modules" / "oidc-provider").is_dir():
            proc = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund"],
                cwd=HERE,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if proc.returncode != 0:
                _missing(f"`npm ci` in tests/sso failed: {proc.stderr[-2000:]}")


def require_chromium() -> None:
    if shutil.which("chromium") is None or not (ROOT / "web" / "node_modules" / "playwright-core").is_dir():
        _missing("The SSO browser tests need Debian's chromium and web/node_modules (cd web && npm ci).")


class Idp:
    """One running provider: ``issuer``, its accounts (a JSON file it re-reads on every lookup),
    and ``stop()``."""

    def __init__(self, workdir: Path, redirect_uri: str, accounts: dict[str, dict[str, Any]]) -> None:
        self.accounts_file = workdir / "idp-accounts.json"
        self.set_accounts(accounts)
        client = {
            "redirect_uris": [redirect_uri],
            "grant_types": ["authorization_code", "refresh_token"],
            "response_types": ["code"],
        }
        config = {
            "clients": [
                {**client, "client_id": "graphport", "client_secret": CLIENT_SECRET},
                {**client, "client_id": "other-app", "client_secret": OTHER_SECRET},
            ],
            "accounts_file": str(self.accounts_file),
        }
        config_file = workdir / "idp-config.json"
        config_file.write_text(json.dumps(config))
        self.log = (workdir / "idp.log").open("w")
        self.proc = subprocess.Popen(
            ["node", str(IDP_SCRIPT), str(config_file)],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.stop()
            raise AssertionError(f"oidc-provider did not start: {(workdir / 'idp.log').read_text()[-2000:]}")
        self.issuer: str = json.loads(line)["issuer"]

    def set_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(accounts))
        tmp.replace(self.accounts_file)

    def tamper(self, swap_from: str | None) -> None:
        """Make the token endpoint hand out the last ID token of client ``swap_from`` instead."""
        httpx.get(f"{self.issuer}/__test/tamper", params={"swap_from": swap_from or ""}).raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.log.close()


def account(email: str, *, verified: bool = True, username: str | None = None) -> dict[str, Any]:
    claims: dict[str, Any] = {"email": email, "email_verified": verified, "name": email.split("@")[0].title()}
    if username:
        claims["preferred_username"] = username
    return {"claims": claims}


_FORM = re.compile(r'<form[^>]*action="([^"]+)"', re.I)
_CONFIRM = 'action="/sso/oidc/confirm"'
_HIDDEN = re.compile(r'<input type="hidden" name="([a-z]+)" value="([^"]*)">')


class HttpBrowser:
    """A user's browser made of HTTP requests: it follows redirects, keeps cookies, and fills the
    provider's sign-in and consent forms as a person would."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=30)

    def close(self) -> None:
        self.client.close()

    def _follow(self, response: httpx.Response, stop_at: str | None) -> httpx.Response | str:
        for _ in range(20):
            if not response.is_redirect:
                return response
            location = urljoin(str(response.url), response.headers["location"])
            if stop_at is not None and stop_at in location:
                return location
            response = self.client.get(location)
        raise AssertionError("too many redirects")

    def sign_in(
        self, start: str, login: str, *, stop_at_callback: bool = False, client_answer: str | None = "allow"
    ) -> httpx.Response | str:
        """Open ``start`` (a graphport URL leading to the provider), sign in as ``login`` and
        consent; a client sign-in's last page (allow the program?) gets ``client_answer``
        (``None``: left unanswered). Returns graphport's final answer, or with ``stop_at_callback``
        the callback URL the provider sent the browser to (not yet opened)."""
        stop = "/sso/oidc/callback" if stop_at_callback else None
        page = self._follow(self.client.get(start), stop)
        for fields in (
            {"prompt": "login", "login": login, "password": "any password"},
            {"prompt": "consent"},
        ):
            assert isinstance(page, httpx.Response)
            match = _FORM.search(page.text)
            if match is None or f'value="{fields["prompt"]}"' not in page.text:
                if fields["prompt"] == "consent":
                    break  # consent already given earlier
                raise AssertionError(
                    f"no {fields['prompt']} form at {page.url}: {page.status_code} {page.text[:500]}"
                )
            page = self._follow(
                self.client.post(urljoin(str(page.url), unescape(match.group(1))), data=fields), stop
            )
            if isinstance(page, str):
                return page
        if client_answer is not None and isinstance(page, httpx.Response) and _CONFIRM in page.text:
            return self.answer(page, client_answer)
        return page

    def answer(self, page: httpx.Response, answer: str) -> httpx.Response:
        """Press Allow (``"allow"``) or Refuse (``"deny"``) on a client sign-in's last page."""
        fields = {k: unescape(v) for k, v in _HIDDEN.findall(page.text)} | {"answer": answer}
        return self.client.post(urljoin(str(page.url), "/sso/oidc/confirm"), data=fields)

    def open(self, url: str) -> httpx.Response:
        result = self._follow(self.client.get(url), None)
        assert isinstance(result, httpx.Response)
        return result


def chromium_sign_in(workdir: Path, plan: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
    """Run ``browser.mjs`` (Chromium) with ``plan``; returns its JSON report."""
    plan_file = workdir / f"sso-plan-{id(plan)}.json"
    plan_file.write_text(json.dumps(plan))
    proc = subprocess.run(
        ["node", str(BROWSER_SCRIPT), str(plan_file)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(f"The Chromium sign-in failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    report: dict[str, Any] = json.loads(proc.stdout)
    return report
