"""Passwords: the policy for new ones and argon2 hashing in a bounded number of slots.

New passwords follow :func:`check_password_policy` (existing hashes keep working). Every hash and
every check runs in one of ``max_concurrent_password_hashes`` slots (``_throttle.HashSlots``), so a
burst of sign-ins cannot take every core. A check against a user that does not exist runs against
a dummy hash, so a wrong username costs as long as a wrong password.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

import argon2

from ..errors import ValidationError
from ._throttle import HashSlots

_hasher = argon2.PasswordHasher()
#: ``ServerConfig``'s default cost: a config with it uses the shared ``_hasher`` (which the test
#: suite swaps for argon2's cheapest profile, tests/conftest.py).
DEFAULT_COST = (_hasher.time_cost, _hasher.memory_cost)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024


def check_password_policy(username: str, password: str) -> None:
    """New passwords: 8 to 1024 characters, and not the username (in any case)."""
    if not isinstance(password, str) or not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        length = len(password) if isinstance(password, str) else 0
        raise ValidationError(
            f"The password has {length} characters; use {MIN_PASSWORD_LENGTH} to "
            f"{MAX_PASSWORD_LENGTH} (a few words make a good one).",
            code="weak_password",
        )
    if password.strip().lower() == username.lower():
        raise ValidationError(
            "The password is the username; choose one nobody can guess from your name.",
            code="weak_password",
        )


def password_hasher(config: Any) -> argon2.PasswordHasher | None:
    """The hasher for ``ServerConfig.argon2_*``; None means the shared default profile."""
    if (config.argon2_time_cost, config.argon2_memory_kib) == DEFAULT_COST:
        return None
    return argon2.PasswordHasher(time_cost=config.argon2_time_cost, memory_cost=config.argon2_memory_kib)


class Passwords:
    """Hashing and checking passwords with one hasher, in ``slots`` concurrent slots."""

    def __init__(self, hasher: argon2.PasswordHasher | None, slots: HashSlots) -> None:
        self._hasher = hasher or _hasher
        self.slots = slots
        self._dummy: str | None = None
        self._dummy_lock = threading.Lock()

    def _dummy_hash(self) -> str:
        """Verified against when the user does not exist, so a wrong username costs as long as a
        wrong password. Made with this instance's cost at the first check (not at import: every
        ``import graphport`` would pay a full hash), before either kind of check runs."""
        with self._dummy_lock:
            if self._dummy is None:
                self._dummy = self._hasher.hash(secrets.token_hex(8))
            return self._dummy

    def hash(self, password: str) -> str:
        with self.slots.slot():
            return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """Check a password against a stored hash (the dummy hash when there is none, so a
        missing user costs as long as a wrong password)."""
        with self.slots.slot():
            dummy = self._dummy_hash()
            try:
                self._hasher.verify(stored or dummy, password)
            except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
                return False
        return stored is not None
