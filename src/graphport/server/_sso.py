"""Single sign-on (issue #15): OpenID Connect authorization code + PKCE, for browsers and for the
official ``graphistry`` client. ``docs/sso.md`` is the operator's guide.

A sign-in is one row of ``sso_flows`` (the database, so any process of a deployment may answer any
step), made by :meth:`SingleSignOn.begin`:

- a **browser** sign-in (``/login`` -> ``/sso/oidc/login/{provider}``) is bound to the browser
  that started it: a random secret goes into an HttpOnly cookie and its hash into the row, and the
  callback must bring the cookie back (no one can finish a sign-in into their account in your
  browser: login CSRF);
- a **client** sign-in (``POST /api/v2/g/sso/oidc/login`` and the org forms) answers the official
  client's ``{"state", "auth_url"}``; the client's user opens ``auth_url``, and the client polls
  ``/api/v2/o/sso/oidc/jwt/{state}`` until the token is there. The polled ``state`` is a second
  random value, never sent to the provider, so whoever sees the provider's URLs cannot poll.

The provider redirects to ``/sso/oidc/callback?code&state``; :meth:`SingleSignOn.finish` finds the
row by the OAuth state (stored hashed), checks it is unused and unexpired (``sso_state_ttl``),
marks it used (one-time, so a replayed callback fails), trades the code with the PKCE verifier,
validates the ID token (``_sso_oidc``), and maps the account to a user (``_sso_users``). Tokens
are minted as for a password sign-in, so refresh, revocation and expiry work the same. A client
sign-in then asks the person to allow the program (:meth:`SingleSignOn.confirm`) before its poll
gets the token.

When the provider gave a refresh token (the ``offline_access`` scope), a graphport token refresh
first asks the provider, at most every ``sso_recheck_interval`` seconds, whether the account still
works: a refusal ends every token and key of the user (401 ``sso_access_ended``). If the provider
cannot be reached the refresh goes on (a provider outage does not sign everyone out).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import GraphportError, NotFoundError, ValidationError
from ..storage import Database
from ..storage._models import users
from ..storage._sso_models import sso_flows
from ._sso_config import Provider, ProviderStore, SecretBox
from ._sso_oidc import OidcClient, pkce_pair
from ._sso_recheck import AccountRecheck
from ._sso_users import IdentityLinks, SignedIn

if TYPE_CHECKING:
    from ._accounts import Accounts
    from ._config import ServerConfig

log = logging.getLogger("graphport.sso")

NOT_CONFIGURED = (
    "single sign-on is not configured on this server; sign in with a username and password or a personal key"
)


# Sign-ins in progress (or finished, until they expire) kept at once, over all providers.
MAX_PENDING_SIGN_INS = 10_000


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogateescape")).hexdigest()


@dataclass(frozen=True)
class Started:
    """A sign-in begun: where to send the browser, and the secrets only its starter holds."""

    provider: str
    auth_url: str
    poll: str | None  # the client's polling handle (client sign-ins)
    browser: str | None  # the browser cookie's value (browser sign-ins)

    def __repr__(self) -> str:
        return f"Started(provider={self.provider!r})"


@dataclass(frozen=True)
class Finished:
    """A sign-in completed at the callback."""

    kind: str
    username: str
    token: str | None  # browser sign-ins: the session token
    next_path: str
    confirm: str | None = None  # client sign-ins: the secret of the "allow this client" form
    started_at: float = 0.0  # when the sign-in was asked for

    def __repr__(self) -> str:
        return f"Finished(kind={self.kind!r}, username={self.username!r})"


@dataclass(frozen=True)
class Polled:
    """The official client's poll: pending (no token yet), or the token and its organization."""

    token: str | None
    org_slug: str | None = None
    is_member: bool = False

    def __repr__(self) -> str:
        return f"Polled(done={self.token is not None}, org={self.org_slug!r})"


class SingleSignOn:
    """The engine's SSO service (one per server; thread-safe). See the module doc."""

    def __init__(self, db: Database, accounts: Accounts, config: ServerConfig, server_secret: str) -> None:
        self._db = db
        self._accounts = accounts
        self._config = config
        box = SecretBox(server_secret)
        self.providers = ProviderStore(db, config.sso_providers, box)
        self.oidc = OidcClient(config.sso_http_timeout)
        self.links = IdentityLinks(db, accounts, box)
        self._recheck = AccountRecheck(
            db, accounts, self.providers, self.oidc, box, config.sso_recheck_interval
        )
        #: The one source of "now" for state expiry and rechecks (tests move it, never sleep).
        self.clock: Callable[[], float] = time.time

    def __repr__(self) -> str:
        return "SingleSignOn()"

    def close(self) -> None:
        self.oidc.close()

    # -- choosing a provider ---------------------------------------------------------------------

    def choose(self, org: str | None = None, idp: str | None = None) -> Provider:
        """The provider of a sign-in route: ``/g/...`` the site-wide one, ``/o/{org}/...`` the
        organization's, ``/o/{org}/.../{idp}`` that one (the org's, or a site-wide one)."""
        providers = self.providers.all()
        if not providers:
            raise GraphportError(NOT_CONFIGURED, code="sso_not_configured", status=404)
        if idp is not None:
            found = next((p for p in providers if p.name == idp), None)
            if found is None or (found.org is not None and found.org != org):
                raise NotFoundError(
                    f"There is no single sign-on provider {idp!r}"
                    + (f" for the organization {org!r}" if org else "")
                    + f"; configured: {', '.join(sorted(self._names(providers, org)))}.",
                    code="sso_provider_unknown",
                )
            return found
        candidates = [p for p in providers if p.org == org]
        if not candidates:
            raise NotFoundError(
                f"Single sign-on is not configured for the organization {org!r}; sign in with "
                "register(..., org_name=None) for the site-wide provider, or ask its admin."
                if org
                else "There is no site-wide single sign-on provider here (every provider belongs to an "
                "organization); sign in with register(..., org_name=ORG).",
                code="sso_provider_unknown",
            )
        if len(candidates) > 1:
            raise ValidationError(
                f"Several single sign-on providers match ({', '.join(p.name for p in candidates)}); "
                "name one with idp_name= (and org_name=), or choose it on the sign-in page.",
                code="sso_provider_ambiguous",
            )
        return candidates[0]

    def named(self, name: str) -> Provider:
        """The provider called ``name`` (the sign-in page's links)."""
        found = self.providers.get(name)
        if found is None:
            raise NotFoundError(f"There is no single sign-on provider {name!r}.", code="sso_provider_unknown")
        return found

    @staticmethod
    def _names(providers: list[Provider], org: str | None) -> list[str]:
        return [p.name for p in providers if p.org in (None, org)] or ["none"]

    def login_choices(self) -> list[tuple[str, str]]:
        """``(name, label)`` of every provider, for the sign-in page."""
        return [(p.name, p.label) for p in self.providers.all()]

    # -- a sign-in: begin, finish, poll ------------------------------------------------------

    def begin(
        self,
        provider: Provider,
        *,
        kind: str,
        redirect_uri: str,
        next_path: str = "/",
        org: str | None = None,
    ) -> Started:
        """Start a sign-in; ``kind`` is ``"browser"`` or ``"client"``. Reaches the provider's
        discovery document (502 ``sso_provider_unavailable`` when it cannot)."""
        assert kind in ("browser", "client")
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        auth_url = self.oidc.authorization_url(
            provider, state=state, nonce=nonce, challenge=challenge, redirect_uri=redirect_uri
        )
        poll = secrets.token_urlsafe(32) if kind == "client" else None
        browser = secrets.token_urlsafe(32) if kind == "browser" else None
        now = self.clock()
        with self._db.write() as c:
            # Finished or abandoned sign-ins are useless once expired: swept as new ones start.
            c.execute(sso_flows.delete().where(sso_flows.c.expires_at < now))
            # Anyone may start a sign-in: a flood may not grow the table without bound.
            pending = c.execute(sa.select(sa.func.count()).select_from(sso_flows)).scalar_one()
            if pending >= MAX_PENDING_SIGN_INS:
                raise GraphportError(
                    f"{pending} single sign-ons are in progress, the most this server keeps; try again "
                    f"in a few minutes (each expires after {int(self._config.sso_state_ttl)} s).",
                    code="sso_busy",
                    status=503,
                )
            c.execute(
                sso_flows.insert().values(
                    state_hash=_digest(state),
                    poll_hash=_digest(poll) if poll else None,
                    provider=provider.name,
                    kind=kind,
                    code_verifier=verifier,
                    nonce=nonce,
                    redirect_uri=redirect_uri,
                    next_path=next_path,
                    browser_hash=_digest(browser) if browser else None,
                    org_slug=org or provider.org,
                    created_at=now,
                    expires_at=now + self._config.sso_state_ttl,
                )
            )
        return Started(provider.name, auth_url, poll, browser)

    def finish(
        self,
        *,
        state: str,
        code: str | None,
        error: str | None = None,
        browser: str | None = None,
        issuer: str | None = None,
    ) -> Finished:
        """Complete a sign-in at the provider's redirect (see the module doc). ``issuer`` is the
        answer's ``iss`` parameter (RFC 9207) when the provider sends one: it must be the issuer
        this sign-in went to (a mix-up between providers is refused)."""
        if not state:
            raise _state_error("The sign-in answer has no state", "sso_state_invalid")
        now = self.clock()
        with self._db.write() as c:
            row = c.execute(sa.select(sso_flows).where(sso_flows.c.state_hash == _digest(state))).first()
            if row is None:
                raise _state_error(
                    "This sign-in is unknown to graphport (a wrong state)", "sso_state_invalid"
                )
            if row.used_at is not None:
                raise _state_error("This sign-in was already completed (a replayed answer)", "sso_state_used")
            if row.expires_at <= now:
                raise _state_error(
                    f"This sign-in took longer than {int(self._config.sso_state_ttl)} seconds and expired",
                    "sso_state_expired",
                )
            if row.kind == "browser" and not (
                browser and row.browser_hash and secrets.compare_digest(_digest(browser), row.browser_hash)
            ):
                raise _state_error(
                    "This sign-in was started in another browser (its cookie is missing)", "sso_state_invalid"
                )
            # One-time from here on, whatever happens next.
            taken = c.execute(
                sso_flows.update()
                .where(sso_flows.c.state_hash == row.state_hash, sso_flows.c.used_at.is_(None))
                .values(used_at=now)
            ).rowcount
            if not taken:
                raise _state_error("This sign-in was already completed (a replayed answer)", "sso_state_used")
        provider = self.providers.get(row.provider)
        if provider is None:
            raise NotFoundError(
                f"The single sign-on provider {row.provider!r} was removed during this sign-in.",
                code="sso_provider_unknown",
            )
        if issuer is not None and issuer != provider.issuer:
            raise ValidationError(
                f"The answer to this sign-in comes from the issuer {issuer[:200]!r}, not from "
                f"{provider.issuer!r} where it was sent (a mix-up between providers); start again.",
                code="sso_provider_error",
            )
        if error or not code:
            raise ValidationError(
                f"The identity provider {provider.name!r} did not sign you in "
                f"({(error or 'no code')[:100]}); start the sign-in again.",
                code="sso_provider_error",
            )
        tokens = self.oidc.exchange(
            provider, code=code, verifier=row.code_verifier, redirect_uri=row.redirect_uri
        )
        claims = self.oidc.validate_id_token(provider, tokens.id_token, row.nonce)
        if "email" not in claims or "email_verified" not in claims:
            claims = {**self.oidc.userinfo(provider, tokens.access_token, claims["sub"]), **claims}
        signed: SignedIn = self.links.sign_in(provider, claims, tokens.refresh_token, self.clock())
        log.info(
            "sso sign-in via %s: user %s (%s)",
            provider.name,
            signed.username,
            "created" if signed.created else "linked by email" if signed.linked else "known",
        )
        # A client sign-in waits for the person to allow it (see confirm()): its token is not
        # handed out until then, whoever polls.
        confirm = secrets.token_urlsafe(32) if row.kind == "client" else None
        with self._db.write() as c:
            c.execute(
                sso_flows.update()
                .where(sso_flows.c.state_hash == row.state_hash)
                .values(
                    user_id=signed.user_id, browser_hash=_digest(confirm) if confirm else row.browser_hash
                )
            )
        # The used row stays until it expires (swept by a later begin), so a replay is named as one.
        token = self._accounts.token_for(signed.username) if row.kind == "browser" else None
        return Finished(
            row.kind, signed.username, token, row.next_path or "/", confirm, float(row.created_at)
        )

    def confirm(self, *, state: str, secret: str, allow: bool) -> str:
        """The person's answer on the page a client sign-in ends with: allow the program that
        asked to receive their token, or refuse (the sign-in is then forgotten). Without this
        step, whoever sent someone a client sign-in's ``auth_url`` would get their token as soon as
        they clicked it while signed in at the provider. Returns the username."""
        now = self.clock()
        with self._db.write() as c:
            row = c.execute(
                sa.select(sso_flows, users.c.username)
                .outerjoin(users, users.c.id == sso_flows.c.user_id)
                .where(sso_flows.c.state_hash == _digest(state), sso_flows.c.kind == "client")
            ).first()
            if (
                row is None
                or row.user_id is None
                or row.browser_hash is None
                or not secrets.compare_digest(_digest(secret), row.browser_hash)
            ):
                raise _state_error(
                    "This answer does not belong to a sign-in waiting for one (unknown, already "
                    "answered, or from another page)",
                    "sso_state_invalid",
                )
            if row.expires_at <= now:
                raise _state_error(
                    f"This sign-in took longer than {int(self._config.sso_state_ttl)} seconds and expired",
                    "sso_state_expired",
                )
            if allow:
                c.execute(
                    sso_flows.update()
                    .where(sso_flows.c.state_hash == row.state_hash)
                    .values(browser_hash=None)
                )
            else:
                c.execute(sso_flows.delete().where(sso_flows.c.state_hash == row.state_hash))
        return str(row.username)

    def poll(self, handle: str) -> Polled:
        """The official client's poll: the token once the browser finished, exactly once."""
        now = self.clock()
        with self._db.write() as c:
            row = c.execute(
                sa.select(sso_flows, users.c.username)
                .outerjoin(users, users.c.id == sso_flows.c.user_id)
                .where(sso_flows.c.poll_hash == _digest(handle))
            ).first()
            if row is None:
                if not self.providers.all():
                    raise GraphportError(NOT_CONFIGURED, code="sso_not_configured", status=404)
                raise NotFoundError(
                    "This single sign-on state is unknown: it was never issued, has expired, or its "
                    "token was already handed out. Sign in again.",
                    code="sso_state_unknown",
                )
            if row.expires_at <= now:
                c.execute(sso_flows.delete().where(sso_flows.c.state_hash == row.state_hash))
                raise _state_error(
                    f"This sign-in took longer than {int(self._config.sso_state_ttl)} seconds and expired",
                    "sso_state_expired",
                )
            if row.user_id is None or row.browser_hash is not None:  # not signed in, or not allowed yet
                return Polled(None)
            c.execute(sso_flows.delete().where(sso_flows.c.state_hash == row.state_hash))
        token = self._accounts.token_for(row.username)
        # The organization the client works in: the provider's (or the route's), else the user's
        # default (their personal one unless they chose another). Always named, so the official
        # client never guesses it from the token's username (its personal slug is "~name").
        me = self._accounts.describe_user(row.user_id)
        slug = row.org_slug or me["default_org"]
        return Polled(token, slug, any(o["slug"] == slug for o in me["organizations"]))

    # -- refresh: does the provider still know this account? ----------------------------------

    def recheck(self, token: str) -> None:
        """Before a token refresh (``_sso_recheck``): raises AuthError ``sso_access_ended`` when
        the provider no longer accepts the account."""
        self._recheck(token, self.clock())


def _state_error(what: str, code: str) -> ValidationError:
    return ValidationError(f"{what}; nothing was signed in. Start the sign-in again.", code=code)
