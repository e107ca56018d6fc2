"""Credentials tokens at rest: tokens we issue are hashed, tokens we must send are encrypted (Fernet).

The encryption key comes from `VOLTWAY_OCPI_TOKEN_KEY`: a Fernet key is used as it is, anything else is taken as a
passphrase and stretched into one. Without it the key is derived from the secret key, so the quick start works;
production should set a key of its own (a leaked secret key then does not also expose partners' tokens).
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken

from api.settings import Settings

_SALT = b"voltway-ocpi-token-key"
_ROUNDS = 200_000


class TokenKeyError(Exception):
    """A stored token cannot be decrypted with the configured key (the key changed?)."""


def new_token() -> str:
    """A fresh credentials token: 43 URL-safe characters, within OCPI's 64 printable ASCII characters."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 (hex) of a token we issued: what is stored and looked up, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


@functools.lru_cache(maxsize=8)
def _fernet(configured: str, secret_key: str) -> Fernet:
    if configured and _is_fernet_key(configured):
        return Fernet(configured.encode())
    material = configured or secret_key
    derived = hashlib.pbkdf2_hmac("sha256", material.encode(), _SALT, _ROUNDS)
    return Fernet(base64.urlsafe_b64encode(derived))


def fernet_for(settings: Settings) -> Fernet:
    """The Fernet instance for these settings (derived once per process and key)."""
    return _fernet(settings.ocpi_token_key, settings.secret_key)


def encrypt_token(settings: Settings, token: str) -> str:
    return fernet_for(settings).encrypt(token.encode()).decode()


def decrypt_token(settings: Settings, stored: str) -> str:
    try:
        return fernet_for(settings).decrypt(stored.encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            "a stored OCPI partner token cannot be decrypted: VOLTWAY_OCPI_TOKEN_KEY (or the secret key it is derived "
            "from) changed since it was stored"
        ) from None
