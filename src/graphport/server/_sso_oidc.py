"""The OpenID Connect relying party: discovery, the authorization request (code flow + PKCE S256),
the code exchange, ID-token validation and the refresh-token check, over httpx.

Why these pieces: PyJWT (already graphport's JWT library) verifies the ID token against the
provider's published keys (``PyJWKSet``), with ``cryptography`` for RSA/EC/EdDSA signatures;
discovery and the two token-endpoint calls are plain HTTP, so no OAuth framework is needed. Every
check the OpenID Connect Core spec asks of a relying party for the code flow (3.1.3.7) is here:
``iss`` equal to the configured issuer, ``aud`` containing our client id (and ``azp`` equal to it
when there are several audiences), an asymmetric signature by a key of the provider's JWKS, ``exp``
in the future and ``iat`` not in the future (60 s leeway), ``nonce`` equal to the one sent.

Errors say what went wrong without echoing secrets or tokens: the provider unreachable is 502
``sso_provider_unavailable``; a code the provider refuses (replayed, expired, or made for another
verifier) is 400 ``sso_code_rejected``; an ID token failing a check is 400 ``sso_token_invalid``.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt

from ..errors import GraphportError, ValidationError
from ._sso_config import Provider

log = logging.getLogger("graphport.sso")

# Asymmetric algorithms only: an HS256 ID token would be signed with our own client secret, and
# "none" with nothing.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)
METADATA_TTL = 3600.0
LEEWAY = 60


class ProviderUnavailable(GraphportError):
    """The identity provider did not answer, or answered something that is not OpenID Connect."""

    status = 502
    code = "sso_provider_unavailable"


class AccessEnded(Exception):
    """The provider refused a refresh token (the account was disabled or its grant revoked)."""


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``(code_verifier, code_challenge)`` for method S256 (RFC 7636)."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass(frozen=True)
class Tokens:
    """What the token endpoint answered (never logged or shown)."""

    id_token: str
    access_token: str | None
    refresh_token: str | None

    def __repr__(self) -> str:
        return "Tokens(...)"


class OidcClient:
    """One per server; thread-safe. Discovery documents and key sets are cached per issuer for an
    hour, and a key set is fetched again when a token names a key it does not have."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._metadata: dict[str, tuple[float, dict[str, Any]]] = {}
        self._jwks: dict[str, tuple[float, list[dict[str, Any]]]] = {}

    @property
    def _http(self) -> httpx.Client:
        """Made at the first sign-in, not at start: a server without single sign-on never needs
        it, and its TLS context costs ~25 ms of CPU."""
        with self._lock:
            if self._client is None:
                self._client = httpx.Client(timeout=self._timeout, follow_redirects=False)
            return self._client

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def _get_json(self, provider: Provider, url: str, what: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.get(url, **kwargs)
        except httpx.HTTPError as exc:
            raise self._unavailable(provider, what, type(exc).__name__) from None
        if response.status_code != 200:
            raise self._unavailable(provider, what, f"HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self._unavailable(provider, what, "an answer that is not a JSON object")
        return body

    @staticmethod
    def _unavailable(provider: Provider, what: str, why: str) -> ProviderUnavailable:
        return ProviderUnavailable(
            f"The identity provider {provider.name!r} ({provider.issuer}) could not be reached for "
            f"its {what} ({why}); try again later, or ask the operator to check the provider.",
        )

    def metadata(self, provider: Provider) -> dict[str, Any]:
        """The provider's discovery document, checked to name the configured issuer."""
        now = time.monotonic()
        with self._lock:
            cached = self._metadata.get(provider.issuer)
        if cached is not None and now - cached[0] < METADATA_TTL:
            return cached[1]
        url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = self._get_json(provider, url, "discovery document")
        if document.get("issuer") != provider.issuer:
            raise self._unavailable(
                provider, "discovery document", f"it names the issuer {str(document.get('issuer'))[:200]!r}"
            )
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            if not isinstance(document.get(field), str):
                raise self._unavailable(provider, "discovery document", f"it has no {field}")
        with self._lock:
            self._metadata[provider.issuer] = (now, document)
        return document

    def _keys(self, provider: Provider, refresh: bool = False) -> list[dict[str, Any]]:
        uri = str(self.metadata(provider)["jwks_uri"])
        now = time.monotonic()
        with self._lock:
            cached = self._jwks.get(uri)
        if cached is not None and not refresh and now - cached[0] < METADATA_TTL:
            return cached[1]
        found = self._get_json(provider, uri, "signing keys").get("keys")
        if not isinstance(found, list):
            raise self._unavailable(provider, "signing keys", "a key set without keys")
        keys = [k for k in found if isinstance(k, dict)]
        with self._lock:
            self._jwks[uri] = (now, keys)
        return keys

    # -- the code flow -------------------------------------------------------------------------

    def authorization_url(
        self, provider: Provider, *, state: str, nonce: str, challenge: str, redirect_uri: str
    ) -> str:
        endpoint = str(self.metadata(provider)["authorization_endpoint"])
        params = {
            "response_type": "code",
            "client_id": provider.client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(provider.scopes),
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        if "offline_access" in provider.scopes:
            params["prompt"] = "consent"  # OIDC Core 11: offline_access is ignored without it
        return endpoint + ("&" if "?" in endpoint else "?") + urlencode(params)

    def _token_request(self, provider: Provider, form: dict[str, str]) -> httpx.Response:
        document = self.metadata(provider)
        methods = document.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        # RFC 6749 2.3.1: both halves are form-encoded before Basic encoding.
        auth: httpx.Auth | None = httpx.BasicAuth(
            quote(provider.client_id, safe=""), quote(provider.client_secret, safe="")
        )
        if "client_secret_basic" not in methods and "client_secret_post" in methods:
            form = {**form, "client_id": provider.client_id, "client_secret": provider.client_secret}
            auth = None
        try:
            if auth is None:
                return self._http.post(str(document["token_endpoint"]), data=form)
            return self._http.post(str(document["token_endpoint"]), data=form, auth=auth)
        except httpx.HTTPError as exc:
            raise self._unavailable(provider, "token endpoint", type(exc).__name__) from None

    @staticmethod
    def _error_of(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code}"
        error = body.get("error") if isinstance(body, dict) else None
        return str(error)[:100] if error else f"HTTP {response.status_code}"

    def exchange(self, provider: Provider, *, code: str, verifier: str, redirect_uri: str) -> Tokens:
        """Trade an authorization code for tokens (the PKCE verifier proves we started the flow)."""
        response = self._token_request(
            provider,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        )
        if response.status_code >= 500:
            raise self._unavailable(provider, "token endpoint", f"HTTP {response.status_code}")
        if response.status_code != 200:
            error = self._error_of(response)
            if error == "invalid_grant":
                raise ValidationError(
                    f"The identity provider {provider.name!r} refused the sign-in code (invalid_grant): "
                    "it was already used, has expired, or was not issued for this sign-in. Start the "
                    "sign-in again.",
                    code="sso_code_rejected",
                )
            raise GraphportError(
                f"The identity provider {provider.name!r} refused graphport's token request ({error}); "
                "the operator should check the provider's client id, secret and redirect URI.",
                code="sso_provider_refused",
                status=502,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("id_token"), str):
            raise self._unavailable(provider, "token endpoint", "an answer without an id_token")
        refresh = body.get("refresh_token")
        access = body.get("access_token")
        return Tokens(
            body["id_token"],
            access if isinstance(access, str) else None,
            refresh if isinstance(refresh, str) else None,
        )

    def validate_id_token(self, provider: Provider, id_token: str, nonce: str) -> dict[str, Any]:
        """The ID token's claims, after every check of OIDC Core 3.1.3.7 (see the module doc)."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise _invalid_token(provider, "it is not a JWT") from None
        algorithm = header.get("alg")
        if algorithm not in SIGNING_ALGORITHMS:
            raise _invalid_token(
                provider, f"it is signed with {str(algorithm)[:20]!r}, not a public-key algorithm"
            )
        keys = self._keys(provider)
        kid = header.get("kid")
        key = _find_key(keys, kid, algorithm)
        if key is None:
            key = _find_key(self._keys(provider, refresh=True), kid, algorithm)
        if key is None:
            raise _invalid_token(provider, "no key of the provider's published key set signed it")
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[algorithm],
                audience=provider.client_id,
                issuer=provider.issuer,
                leeway=LEEWAY,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidAudienceError:
            raise _invalid_token(
                provider, f"it was issued to another client (its audience is not {provider.client_id!r})"
            ) from None
        except jwt.InvalidIssuerError:
            raise _invalid_token(provider, f"its issuer is not {provider.issuer!r}") from None
        except jwt.ExpiredSignatureError:
            raise _invalid_token(provider, "it has expired") from None
        except jwt.InvalidSignatureError:
            raise _invalid_token(provider, "its signature does not verify") from None
        except jwt.PyJWTError as exc:
            raise _invalid_token(provider, str(exc)[:200]) from None
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != provider.client_id:
            raise _invalid_token(provider, "it has several audiences and its azp is not our client id")
        if not isinstance(claims.get("nonce"), str) or not secrets.compare_digest(claims["nonce"], nonce):
            raise _invalid_token(provider, "its nonce is not the one this sign-in sent (a replayed token)")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise _invalid_token(provider, "it has no subject")
        return claims

    def userinfo(self, provider: Provider, access_token: str | None, subject: str) -> dict[str, Any]:
        """The UserInfo claims (email and names are often only there), for the same subject."""
        endpoint = self.metadata(provider).get("userinfo_endpoint")
        if not isinstance(endpoint, str) or not access_token:
            return {}
        claims = self._get_json(
            provider, endpoint, "user information", headers={"Authorization": f"Bearer {access_token}"}
        )
        if claims.get("sub") != subject:
            raise _invalid_token(provider, "the user information is about another subject")
        return claims

    def refresh(self, provider: Provider, refresh_token: str) -> str | None:
        """Use a refresh token: the new one if the provider rotated it, else None. Raises
        ``AccessEnded`` when the provider refuses it (the account is disabled or its grant revoked)
        and ``ProviderUnavailable`` when it cannot tell."""
        response = self._token_request(
            provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}
        )
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = {}
            new = body.get("refresh_token") if isinstance(body, dict) else None
            return new if isinstance(new, str) and new != refresh_token else None
        if response.status_code < 500 and self._error_of(response) in (
            "invalid_grant",
            "unauthorized_client",
        ):
            raise AccessEnded(self._error_of(response))
        raise self._unavailable(provider, "token endpoint", f"HTTP {response.status_code}")


def _find_key(keys: list[dict[str, Any]], kid: Any, algorithm: str) -> jwt.PyJWK | None:
    """The published key with this ``kid`` (any, when the token names none) usable for
    ``algorithm`` (a key that states its ``alg`` must state this one)."""
    for raw in keys:
        if (kid is not None and raw.get("kid") != kid) or raw.get("alg", algorithm) != algorithm:
            continue
        if raw.get("use", "sig") != "sig":
            continue
        try:
            return jwt.PyJWK(raw, algorithm=algorithm)
        except jwt.PyJWTError:
            continue
    return None


def _invalid_token(provider: Provider, why: str) -> ValidationError:
    return ValidationError(
        f"The ID token from the identity provider {provider.name!r} was refused: {why}. Nothing was "
        "signed in; start the sign-in again, and if this repeats ask the operator to check the "
        "provider's configuration.",
        code="sso_token_invalid",
    )
