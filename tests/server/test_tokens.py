"""server/_tokens.py: JWT access tokens on an injected clock (no real-clock sleeps)."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from graphport import AuthError
from graphport.server._tokens import ALGORITHM, TokenIssuer

SECRET = "s" * 40


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def issuer(clock: Clock, ttl: int = 60, deployment: str = "d1") -> TokenIssuer:
    return TokenIssuer(SECRET, ttl, deployment, clock=clock)


def mint(tokens: TokenIssuer, **extra: str) -> str:
    return tokens.mint(user_uid="u1", username="alice", epoch=0, **extra)


def test_claims_come_from_the_clock() -> None:
    clock = Clock(1_800_000_000.7)
    claims = issuer(clock).decode(mint(issuer(clock)))
    assert (claims["iat"], claims["exp"]) == (1_800_000_000, 1_800_000_060)
    assert (claims["sub"], claims["username"], claims["ep"]) == ("u1", "alice", 0)
    assert claims["iss"] == claims["aud"] == "graphport:d1"


def test_a_token_expires_exactly_at_exp_on_the_issuers_clock() -> None:
    clock = Clock()
    tokens = issuer(clock)
    token = mint(tokens)
    clock.now += 59.9
    assert tokens.decode(token)["sub"] == "u1"  # verified and cached
    clock.now += 0.1  # exp <= now: expired, although the signature check is cached
    with pytest.raises(AuthError) as caught:
        tokens.decode(token)
    assert caught.value.code == "token_expired"
    clock.now -= 1  # a clock that goes back makes it valid again: expiry is checked every call
    assert tokens.decode(token)["sub"] == "u1"


def test_the_clock_can_be_swapped_on_a_running_issuer() -> None:
    tokens = issuer(Clock())
    token = mint(tokens)
    tokens.clock = Clock(Clock().now + 3600)
    with pytest.raises(AuthError, match="expired"):
        tokens.decode(token)


def test_the_default_clock_is_the_real_one() -> None:
    import time

    tokens = TokenIssuer(SECRET, 60)
    assert tokens.clock is time.time
    claims = tokens.decode(mint(tokens))
    assert abs(claims["iat"] - time.time()) < 5


@pytest.mark.parametrize(
    ("tamper", "why"),
    [
        (lambda t, c: TokenIssuer("x" * 40, 60, "d1", clock=c).decode(t), "another secret"),
        (lambda t, c: issuer(c, deployment="d2").decode(t), "another deployment"),
        (
            lambda t, c: issuer(c).decode(t[:-2] + ("AA" if not t.endswith("AA") else "BB")),
            "a changed signature",
        ),
        (lambda t, c: issuer(c).decode("not.a.jwt"), "garbage"),
    ],
)
def test_tokens_from_elsewhere_are_invalid(tamper: Callable[[str, Clock], object], why: str) -> None:
    clock = Clock()
    token = mint(issuer(clock))
    with pytest.raises(AuthError) as caught:
        tamper(token, clock)
    assert caught.value.code == "token_invalid", why


def test_tokens_without_the_required_claims_are_invalid() -> None:
    clock = Clock()
    old = jwt.encode(
        {"sub": "u1", "exp": int(clock.now) + 60, "iat": int(clock.now), "ep": 0}, SECRET, ALGORITHM
    )
    with pytest.raises(AuthError) as caught:
        issuer(clock).decode(old)
    assert caught.value.code == "token_invalid"


def test_key_logins_carry_the_key_id_and_each_token_its_own_jti() -> None:
    tokens = issuer(Clock())
    a, b = mint(tokens, key_id="k1"), mint(tokens)
    assert tokens.decode(a)["kid"] == "k1" and "kid" not in tokens.decode(b)
    assert tokens.decode(a)["jti"] != tokens.decode(b)["jti"]


def test_csrf_tokens_follow_the_session_token() -> None:
    tokens = issuer(Clock())
    a, b = mint(tokens), mint(tokens)
    assert tokens.csrf_for(a) == tokens.csrf_for(a) != tokens.csrf_for(b)
    assert len(tokens.csrf_for(a)) == 40


def test_login_nonces_are_signed() -> None:
    tokens = issuer(Clock())
    nonce = tokens.login_nonce()
    assert tokens.check_login_nonce(nonce)
    value, _, mac = nonce.partition(".")
    assert not tokens.check_login_nonce(f"{value}.{'0' * len(mac)}")
    assert not tokens.check_login_nonce(value)
    assert issuer(Clock(), deployment="d2").check_login_nonce(nonce)  # signed by the secret alone
    assert not TokenIssuer("y" * 40, 60).check_login_nonce(nonce)


def test_a_token_issued_later_on_the_issuers_clock_is_invalid() -> None:
    """PyJWT's "not yet valid (iat)" rule, on the injected clock (a minting host ahead in time)."""
    clock = Clock()
    tokens = issuer(clock)
    token = mint(tokens)
    clock.now -= 1
    with pytest.raises(AuthError) as caught:
        tokens.decode(token)
    assert caught.value.code == "token_invalid"
    clock.now += 1
    assert tokens.decode(token)["sub"] == "u1"
