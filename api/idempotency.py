"""The Idempotency-Key header of requests that must not be done twice (starting a session, a refund)."""

from __future__ import annotations

from api.errors import FieldError, InvalidInput

MAX_LENGTH = 128


def checked_idempotency_key(key: str | None) -> str:
    """The key without surrounding spaces; 422 naming the header when it is missing, blank or too long."""
    if key is None or not key.strip():
        raise InvalidInput(
            [FieldError("Idempotency-Key", "send an Idempotency-Key header (a unique string)", source="header")]
        )
    if len(key) > MAX_LENGTH:
        raise InvalidInput([FieldError("Idempotency-Key", f"at most {MAX_LENGTH} characters", source="header")])
    return key.strip()
