"""Password hashing with Argon2id (argon2-cffi's defaults: 64 MiB, 3 passes, 4 lanes — RFC 9106's second
recommended option). The hash string carries its parameters, so stronger settings later re-hash on login."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # a longer "password" is an attempt to make the server hash megabytes


class WeakPassword(ValueError):
    """The message (English) is the API's machine detail; `zh` is what a person reads (the CLI, the API's message)."""

    def __init__(self, message: str, *, zh: str) -> None:
        super().__init__(message)
        self.zh = zh


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"password must have at least {MIN_LENGTH} characters", zh=f"密码至少需要 {MIN_LENGTH} 个字符"
        )
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"password must have at most {MAX_LENGTH} characters", zh=f"密码最多 {MAX_LENGTH} 个字符")
    if len(set(password)) < 4:
        raise WeakPassword("password must use at least 4 different characters", zh="密码至少要用 4 个不同的字符")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher().hash(password)


def verify_password(stored: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    return _hasher().check_needs_rehash(stored)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher().hash("no such user: equalise the time")


def burn_time() -> None:
    """Spend what a real check spends, so an unknown name cannot be told from a wrong password by timing."""
    verify_password(_dummy_hash(), "wrong password")
