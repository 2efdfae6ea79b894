"""Password hashing and random tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path

import anyio
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.i18n import _

__all__ = (
    "check_password_policy",
    "hash_password",
    "hash_password_async",
    "hash_token",
    "new_token",
    "password_needs_rehash",
    "verify_password",
    "verify_password_async",
)

# argon2id, RFC 9106 "low memory" profile: t=3, m=64 MiB, p=4. ASVS 5.0 / OWASP ask
# for at least m=19 MiB, t=2, p=1.
_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("rounds-timing-equaliser")

MIN_PASSWORD = 10
MAX_PASSWORD = 128


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def hash_password_async(password: str) -> str:
    """``hash_password`` on a worker thread: argon2id takes ~0.1 s and must not stall the event loop."""
    return await anyio.to_thread.run_sync(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    return await anyio.to_thread.run_sync(verify_password, password_hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common_passwords.txt")
    return frozenset(line.strip().lower() for line in path.read_text().splitlines() if line.strip())


def check_password_policy(password: str, *, email: str = "", name: str = "") -> str | None:
    """The reason ``password`` is refused, or None (ASVS 5.0 V6.2: length, no common or personal ones)."""
    if len(password) < MIN_PASSWORD:
        return _("Use at least %(n)d characters.", n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        return _("Use at most %(n)d characters.", n=MAX_PASSWORD)
    lowered = password.lower()
    if lowered in _common_passwords():
        return _("This password is too common. Choose another.")
    local = email.split("@", 1)[0].lower()
    if (local and len(local) >= 4 and local in lowered) or (name and name.lower() == lowered):
        return _("Don't use your name or email address in your password.")
    return None


# Stored for accounts created without a password (added by API, placeholders): no password matches it.
UNUSABLE_PASSWORD = "!unusable"


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token for a link or a cookie."""
    return secrets.token_urlsafe(nbytes)


def hash_token(token: str) -> str:
    """What is stored of a token: its SHA-256 (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)
