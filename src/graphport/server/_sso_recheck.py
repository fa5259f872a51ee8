"""Does the identity provider still accept an SSO account? Asked before a graphport token refresh
(issue #15; docs/sso.md section 5).

When the provider gave a refresh token (the ``offline_access`` scope; kept encrypted on the account's
``sso_identities`` row), a refresh of one of the user's graphport tokens first uses it, at most every
``sso_recheck_interval`` seconds per account (the row's ``checked_at`` is claimed with a
compare-and-set, so one process and one request ask). A refusal (``invalid_grant``: the account was
disabled or deleted at the provider, or its grant revoked) ends every token and key of the user and
answers 401 ``sso_access_ended``. A provider that cannot be reached does not sign anyone out.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ..errors import AuthError
from ..storage import Database
from ..storage._models import users
from ..storage._sso_models import sso_identities
from ._sso_config import ProviderStore, SecretBox
from ._sso_oidc import AccessEnded, OidcClient, ProviderUnavailable

if TYPE_CHECKING:
    from ._accounts import Accounts

log = logging.getLogger("graphport.sso")


class AccountRecheck:
    """See the module doc."""

    def __init__(
        self,
        db: Database,
        accounts: Accounts,
        providers: ProviderStore,
        oidc: OidcClient,
        box: SecretBox,
        interval: float,
    ) -> None:
        self._db = db
        self._accounts = accounts
        self._providers = providers
        self._oidc = oidc
        self._box = box
        self._interval = interval

    def __call__(self, token: str, now: float) -> None:
        """Before refreshing ``token``: ask the provider about the user's accounts due for a check.
        Raises AuthError ``sso_access_ended`` when a provider refuses."""
        try:
            claims = self._accounts.tokens.decode(token)
        except AuthError:
            return  # the refresh itself refuses it
        uid = claims.get("sub")
        if not isinstance(uid, str):
            return
        for row in self.due_for_check(uid, self._interval, now):
            provider = self._providers.get(row.provider)
            if provider is None:
                continue
            try:
                rotated = self._oidc.refresh(provider, self.open_refresh(row.refresh_token))
            except ProviderUnavailable as exc:
                log.warning("sso recheck skipped, provider unavailable: %s", exc.message)
                continue
            except AccessEnded as exc:
                self.forget_refresh(int(row.user_id))
                self._accounts.revoke_all(int(row.user_id))
                log.info(
                    "sso: provider %s refused the account of user %s (%s)", provider.name, row.user_id, exc
                )
                raise AuthError(
                    f"The identity provider {provider.name!r} no longer accepts this account, so every "
                    "graphport token of it has ended; sign in again.",
                    code="sso_access_ended",
                ) from None
            if rotated is not None:
                self.store_refresh(row.issuer, row.subject, rotated)

    def forget_refresh(self, user_id: int) -> None:
        with self._db.write() as c:
            c.execute(
                sso_identities.update().where(sso_identities.c.user_id == user_id).values(refresh_token=None)
            )

    def due_for_check(self, user_uid: str, interval: float, now: float) -> list[Any]:
        """The user's identities holding a refresh token not checked for ``interval`` seconds,
        each claimed by setting ``checked_at`` (one process, one request checks it)."""
        with self._db.read() as c:
            rows = c.execute(
                sa.select(
                    sso_identities.c.issuer,
                    sso_identities.c.subject,
                    sso_identities.c.provider,
                    sso_identities.c.refresh_token,
                    sso_identities.c.checked_at,
                    sso_identities.c.user_id,
                )
                .join(users, users.c.id == sso_identities.c.user_id)
                .where(
                    users.c.uid == user_uid,
                    sso_identities.c.refresh_token.is_not(None),
                    sso_identities.c.checked_at <= now - interval,
                )
            ).all()
        claimed = []
        for row in rows:
            with self._db.write() as c:
                won = c.execute(
                    sso_identities.update()
                    .where(
                        sso_identities.c.issuer == row.issuer,
                        sso_identities.c.subject == row.subject,
                        sso_identities.c.checked_at == row.checked_at,
                    )
                    .values(checked_at=now)
                ).rowcount
            if won:
                claimed.append(row)
        return claimed

    def store_refresh(self, issuer: str, subject: str, refresh_token: str) -> None:
        with self._db.write() as c:
            c.execute(
                sso_identities.update()
                .where(sso_identities.c.issuer == issuer, sso_identities.c.subject == subject)
                .values(refresh_token=self._box.seal(refresh_token))
            )

    def open_refresh(self, sealed: str) -> str:
        return self._box.open(sealed, "provider refresh token")
