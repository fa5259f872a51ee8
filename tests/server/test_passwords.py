"""``_passwords``: the policy for new passwords, and argon2 hashing in bounded slots."""

from __future__ import annotations

import threading

import argon2
import pytest

from graphport import ServerConfig
from graphport.errors import ValidationError
from graphport.server._passwords import (
    DEFAULT_COST,
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    Passwords,
    check_password_policy,
    password_hasher,
)
from graphport.server._throttle import HashSlots, Throttled

CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=64)


@pytest.mark.parametrize(
    ("username", "password", "says"),
    [
        ("ann", "short", "has 5 characters"),
        ("ann", "", "has 0 characters"),
        ("ann", "x" * (MAX_PASSWORD_LENGTH + 1), f"has {MAX_PASSWORD_LENGTH + 1} characters"),
        ("ann", None, "has 0 characters"),
        ("annabelle", "ANNABELLE", "is the username"),
        ("annabelle", "  annabelle ", "is the username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(username: str, password: object, says: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_password_policy(username, password)  # type: ignore[arg-type]
    assert refused.value.code == "weak_password" and says in refused.value.message


@pytest.mark.parametrize("length", [MIN_PASSWORD_LENGTH, MAX_PASSWORD_LENGTH])
def test_passwords_at_the_limits_are_allowed(length: int) -> None:
    check_password_policy("ann", "p" * length)


def test_the_default_cost_uses_the_shared_hasher_and_another_cost_its_own() -> None:
    assert DEFAULT_COST == (ServerConfig().argon2_time_cost, ServerConfig().argon2_memory_kib)
    assert password_hasher(ServerConfig()) is None
    own = password_hasher(ServerConfig(argon2_time_cost=2, argon2_memory_kib=128))
    assert own is not None and (own.time_cost, own.memory_cost) == (2, 128)


def test_a_hash_verifies_its_password_only_and_carries_its_cost() -> None:
    passwords = Passwords(CHEAP, HashSlots(2))
    stored = passwords.hash("correct horse")
    assert stored.startswith("$argon2id$") and "m=64,t=1" in stored
    assert passwords.verify(stored, "correct horse")
    assert not passwords.verify(stored, "correct horsE")
    assert not passwords.verify("not a hash", "correct horse")  # a damaged row is a wrong password


def test_a_missing_user_is_checked_against_a_dummy_hash_of_the_same_cost() -> None:
    """So a wrong username costs as long as a wrong password: the check runs either way, against
    a hash made once with this instance's cost."""
    passwords = Passwords(CHEAP, HashSlots(2))
    assert not passwords.verify(None, "anything")
    dummy = passwords._dummy
    assert dummy is not None and "m=64,t=1" in dummy
    assert not passwords.verify(None, "anything")
    assert passwords._dummy is dummy


def test_hashes_and_checks_wait_for_a_slot_then_answer_busy() -> None:
    slots = HashSlots(1, wait=0.05)
    passwords = Passwords(CHEAP, slots)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with slots.slot():
            holding.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert holding.wait(5)
        for attempt in (lambda: passwords.hash("correct horse"), lambda: passwords.verify(None, "x")):
            with pytest.raises(Throttled) as busy:
                attempt()
            assert busy.value.code == "login_busy" and busy.value.status == 503
    finally:
        release.set()
        holder.join()
    assert passwords.verify(passwords.hash("correct horse"), "correct horse")
