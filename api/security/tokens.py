"""Short-lived JWT access tokens and opaque, hashed-at-rest refresh and account tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt
import msgspec

Role = Literal["driver", "agent", "operator", "admin"]
ROLES: tuple[Role, ...] = ("driver", "agent", "operator", "admin")
ISSUER = "voltway"
ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token is malformed, forged, expired or of the wrong kind."""


class Principal(msgspec.Struct, frozen=True):
    """Who is calling, as proven by a valid access token, and the sign-in (refresh-token family) it came from."""

    user_id: uuid.UUID
    role: Role
    sign_in_id: uuid.UUID


class AccessTokenIssuer:
    """Signs and checks access tokens with the service's secret key."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._key = secret_key
        self.ttl_seconds = ttl_seconds

    def issue(self, user_id: uuid.UUID, role: Role, sign_in_id: uuid.UUID, now: datetime | None = None) -> str:
        """A token for one sign-in: ending the sign-in (logout, reuse, erasure) ends the token too."""
        issued = now or datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "sub": str(user_id),
            "sid": str(sign_in_id),
            "role": role,
            "typ": "access",
            "iat": int(issued.timestamp()),
            "exp": int((issued + timedelta(seconds=self.ttl_seconds)).timestamp()),
            "jti": secrets.token_hex(8),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "iss", "sid"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the access token has expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("the access token is not valid") from None
        role = claims.get("role")
        if claims.get("typ") != "access" or role not in ROLES:
            raise InvalidToken("the access token is not valid")
        try:
            user_id = uuid.UUID(str(claims["sub"]))
            sign_in_id = uuid.UUID(str(claims["sid"]))
        except ValueError:
            raise InvalidToken("the access token is not valid") from None
        return Principal(user_id=user_id, role=role, sign_in_id=sign_in_id)


def new_opaque_token() -> tuple[str, str]:
    """A random token for the client and the hash we keep of it."""
    token = secrets.token_urlsafe(32)
    return token, hash_opaque_token(token)


def hash_opaque_token(token: str) -> str:
    """Opaque tokens carry 256 random bits, so a plain SHA-256 is enough to keep them useless if leaked."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
