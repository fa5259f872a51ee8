"""Who a provider's account is here: the claims of a validated sign-in become a graphport user.

In order:

1. The email must be verified by the provider (``email_verified`` true) and, when the provider
   lists ``allowed_domains``, in one of them: an unverified email is never used to name, link or
   invite anyone, so such a sign-in is refused (403 ``sso_email_unverified``) before anything is
   written.
2. A known account (the provider's ``iss`` + ``sub``, stored at its first sign-in) is that user.
3. Else an active user with this email (set by an operator, or by an earlier sign-in) is linked:
   their datasets, keys and memberships stay theirs. Never a site administrator's account, and
   through an organization's provider only emails in its ``allowed_domains`` (403
   ``sso_link_refused``): a provider vouches only for what its operator checks.
4. Else a user is created without a password (they sign in through the provider, or with
   personal keys an operator makes), named from the provider's ``username_claim`` (then the
   email's local part), made unique with a number when taken. Creating a user binds the dataset
   invitations sent to their email before they existed; organization invitations to it are listed
   for them to accept (``GET /api/v2/me/invitations``), as joining an organization takes consent.

A provider that belongs to an organization adds whoever signs in through it to that organization
(the operator configured it so: the site admin's act), without changing their default organization.

Users are created and joined through ``Accounts`` (its ``create_user``/``add_member``); this
module reads ``users``/``memberships`` and writes only its own ``sso_identities``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import ConflictError, NotFoundError, PermissionDenied
from ..storage import Database
from ..storage._models import memberships, organizations, users
from ..storage._sso_models import sso_identities
from ._sso_config import Provider, SecretBox

if TYPE_CHECKING:
    from ._accounts import Accounts

_NOT_NAME = re.compile(r"[^A-Za-z0-9_.@+-]+")


@dataclass(frozen=True)
class SignedIn:
    user_id: int
    username: str
    created: bool
    linked: bool


def verified_email(provider: Provider, claims: dict[str, Any]) -> str:
    """The provider-verified email of a sign-in, in an allowed domain; PermissionDenied else."""
    email = claims.get("email")
    verified = claims.get("email_verified")
    if isinstance(verified, str):  # some providers send the JSON string "true"
        verified = verified.lower() == "true"
    if not isinstance(email, str) or "@" not in email or len(email) > 254:
        raise PermissionDenied(
            f"The identity provider {provider.name!r} sent no email for this account; graphport "
            "needs a verified email (ask for the 'email' scope). Nothing was created.",
            code="sso_email_unverified",
        )
    if verified is not True:
        raise PermissionDenied(
            f"The identity provider {provider.name!r} has not verified the email of this account; "
            "verify it there, then sign in again. No account was created or linked.",
            code="sso_email_unverified",
        )
    email = email.strip().lower()
    if not provider.email_allowed(email):
        raise PermissionDenied(
            f"Sign-ins through {provider.name!r} are limited to emails in "
            f"{', '.join(provider.allowed_domains)}; this account's email is elsewhere. Nothing was created.",
            code="sso_email_domain",
        )
    return email


def _base_username(provider: Provider, claims: dict[str, Any], email: str) -> str:
    raw = claims.get(provider.username_claim)
    candidate = raw if isinstance(raw, str) and raw.strip() else email.partition("@")[0]
    name = _NOT_NAME.sub("-", candidate.strip()).strip("-._@+")[:140]
    return name or "user"


class IdentityLinks:
    """Maps validated sign-ins to users (see the module doc)."""

    def __init__(self, db: Database, accounts: Accounts, box: SecretBox) -> None:
        self._db = db
        self._accounts = accounts
        self._box = box

    def sign_in(
        self, provider: Provider, claims: dict[str, Any], refresh_token: str | None, now: float
    ) -> SignedIn:
        email = verified_email(provider, claims)
        if provider.org is not None:
            self._require_org(provider)
        subject = str(claims["sub"])
        sealed = self._box.seal(refresh_token) if refresh_token else None
        with self._db.read() as c:
            known = c.execute(
                sa.select(sso_identities.c.user_id, users.c.username, users.c.is_active)
                .join(users, users.c.id == sso_identities.c.user_id)
                .where(sso_identities.c.issuer == provider.issuer, sso_identities.c.subject == subject)
            ).first()
            by_email = (
                None
                if known is not None
                else c.execute(
                    sa.select(users.c.id, users.c.username, users.c.is_active, users.c.is_admin)
                    .where(users.c.email == email)
                    .order_by(users.c.is_active.desc(), users.c.id)
                ).first()
            )
        created = linked = False
        for found in (known, by_email):
            if found is not None and not found.is_active:
                # Never a fresh account beside a disabled one with the same identity or email.
                raise PermissionDenied(
                    f"The graphport account {found.username!r} is disabled; an operator can enable it "
                    f"(graphport user enable {found.username}).",
                    code="sso_account_disabled",
                )
        if known is not None:
            user_id, username = int(known.user_id), str(known.username)
            with self._db.write() as c:
                values: dict[str, Any] = {"email": email, "last_login_at": now, "checked_at": now}
                if sealed is not None:
                    values["refresh_token"] = sealed
                c.execute(
                    sso_identities.update()
                    .where(sso_identities.c.issuer == provider.issuer, sso_identities.c.subject == subject)
                    .values(**values)
                )
        else:
            if by_email is not None:
                self._check_link(provider, by_email, email)
                user_id, username, linked = int(by_email.id), str(by_email.username), True
            else:
                username, created = self._create_user(provider, claims, email)
                user_id, linked = self._accounts.require_user(username).user_id, not created
            try:
                with self._db.write() as c:
                    taken = c.execute(
                        sa.select(sso_identities.c.subject).where(
                            sso_identities.c.issuer == provider.issuer, sso_identities.c.user_id == user_id
                        )
                    ).first()
                    if taken is not None and taken.subject != subject:
                        raise ConflictError(
                            f"The graphport account with the email {email!r} is already linked to another "
                            f"account of this identity provider; an operator must unlink it first.",
                            code="sso_identity_conflict",
                        )
                    if taken is None:  # else a sign-in of this same account linked it a moment ago
                        c.execute(
                            sso_identities.insert().values(
                                issuer=provider.issuer,
                                subject=subject,
                                user_id=user_id,
                                provider=provider.name,
                                email=email,
                                refresh_token=sealed,
                                checked_at=now,
                                created_at=now,
                                last_login_at=now,
                            )
                        )
            except sa.exc.IntegrityError:
                # Two first sign-ins of one account at once: the other linked it first.
                raise ConflictError(
                    "This account was signed in twice at the same moment; sign in again.",
                    code="sso_identity_conflict",
                ) from None
        if provider.org is not None:
            self._join(provider.org, user_id, username)
        return SignedIn(user_id, username, created, linked)

    def _create_user(self, provider: Provider, claims: dict[str, Any], email: str) -> tuple[str, bool]:
        """A new user for this email: ``(username, True)``; or ``(username, False)`` when a
        concurrent first sign-in of the same email made them a moment ago."""
        base = _base_username(provider, claims, email)
        for attempt in range(1, 50):
            name = base if attempt == 1 else f"{base}-{attempt}"
            try:
                self._accounts.create_user(name, None, email=email)
            except ConflictError:
                with self._db.read() as c:
                    twin = c.execute(
                        sa.select(users.c.id, users.c.username, users.c.is_active, users.c.is_admin).where(
                            users.c.username == name, users.c.email == email, users.c.is_active
                        )
                    ).first()
                if twin is not None:
                    self._check_link(provider, twin, email)
                    return name, False
                continue  # the name is someone else's: the next number
            return name, True
        raise ConflictError(
            f"Could not find a free username for {base!r}; an operator can create the user with "
            "`graphport user add` and the email this provider reports, and the sign-in will link to it.",
            code="sso_username_taken",
        )

    @staticmethod
    def _check_link(provider: Provider, user: Any, email: str) -> None:
        """Whether this provider may vouch for an existing account by its email. A provider's
        "verified" only means what its operator checks: a site administrator's account is never
        taken over that way, nor anyone's through an organization's provider unless the email is
        in the domains the operator listed for it (``allowed_domains``)."""
        why = None
        if user.is_admin:
            why = "it is a site administrator's account"
        elif provider.org is not None and not provider.allowed_domains:
            why = (
                f"the provider belongs to the organization {provider.org!r} and lists no allowed_domains "
                "it may vouch for"
            )
        if why is not None:
            raise PermissionDenied(
                f"The email {email!r} belongs to the existing graphport account {user.username!r}, which "
                f"single sign-on through {provider.name!r} does not link: {why}. Nothing was created or "
                "linked; sign in to that account another way, or ask the operator.",
                code="sso_link_refused",
            )

    def _require_org(self, provider: Provider) -> None:
        """Before anything is written: the provider's organization exists (a configured provider
        may name one nobody created yet)."""
        with self._db.read() as c:
            found = c.execute(
                sa.select(organizations.c.personal_user_id).where(organizations.c.slug == provider.org)
            ).first()
        if found is None or found.personal_user_id is not None:
            raise NotFoundError(
                f"The single sign-on provider {provider.name!r} belongs to the organization "
                f"{provider.org!r}, which does not exist; the operator must create it "
                f"(graphport org add {provider.org}). Nothing was created.",
                code="org_not_found",
            )

    def _join(self, slug: str, user_id: int, username: str) -> None:
        with self._db.read() as c:
            member = c.execute(
                sa.select(memberships.c.role)
                .join(organizations, organizations.c.id == memberships.c.org_id)
                .where(organizations.c.slug == slug, memberships.c.user_id == user_id)
            ).first()
        if member is None:
            self._accounts.orgs.add_member(slug, username, "member")
