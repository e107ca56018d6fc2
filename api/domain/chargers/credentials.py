"""Charger secrets (OCPP security profile 1 Basic auth passwords).

Charger secrets are random and at least 16 characters, so a salted SHA-256 is enough to make a leaked hash
useless, and it costs microseconds: a reconnect storm of thousands of chargers must not queue behind argon2.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

MIN_CHARGER_SECRET_LENGTH = 16
SCHEME = "sha256"


class WeakChargerSecret(ValueError):
    """The secret is too short to be safe with a fast hash."""


def new_charger_secret() -> str:
    return secrets.token_urlsafe(18)


def hash_charger_secret(secret: str) -> str:
    if len(secret) < MIN_CHARGER_SECRET_LENGTH:
        raise WeakChargerSecret(f"a charger password needs at least {MIN_CHARGER_SECRET_LENGTH} characters")
    salt = secrets.token_hex(16)
    digest = hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()
    return f"{SCHEME}${salt}${digest}"


def verify_charger_secret(stored: str | None, secret: str | None) -> bool:
    if not stored or secret is None:
        return False
    scheme, _, rest = stored.partition("$")
    salt, _, digest = rest.partition("$")
    if scheme != SCHEME or not salt or not digest:
        return False
    try:
        candidate = hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()
    except ValueError:
        return False
    return hmac.compare_digest(candidate, digest)
