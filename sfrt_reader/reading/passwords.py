"""Reader passwords: argon2id hashes only, never the password itself."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sfrt_reader.reading.errors import ReadingError

_HASHER = PasswordHasher()
MIN_LENGTH = 8


def hash_password(password: str) -> str:
    """An argon2id hash; refuses passwords too short to protect an electronic signature."""
    if len(password) < MIN_LENGTH:
        raise ReadingError(f"the password must have at least {MIN_LENGTH} characters")
    return _HASHER.hash(password)


def check_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False
