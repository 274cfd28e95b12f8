"""Password hashes: Argon2id through argon2-cffi, with its recommended parameters."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from briefing.core.errors import InputError

MIN_LENGTH = 10
MAX_LENGTH = 1000  # hashing a megabyte "password" would be a cheap way to burn our CPU


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_password(password: str) -> str:
    if len(password) < MIN_LENGTH:
        raise InputError(f"the password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InputError(f"the password must have at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password(password))


def verify_password(stored_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Checked against when the email is unknown, so a wrong address costs as much time as a
# wrong password and timing does not tell which addresses have accounts.
@lru_cache(maxsize=1)
def decoy_hash() -> str:
    return _hasher().hash("no such account: a decoy to spend the same time")
