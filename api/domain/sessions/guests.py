"""What guest charging (no account, a card from the charger's QR code) needs before a session may start: a payment
provider that can hold money on a card, and limits per client address and per EVSE so that nobody can start
session after session without paying."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid

from api.errors import PaymentRequired, RateLimited
from api.security.rate_limit import FixedWindowLimiter
from api.settings import Settings

GUEST_WINDOW_SECONDS = 3600.0


class GuestChargingUnavailable(PaymentRequired):
    """A guest start that could not be paid for: no card payments here, or nothing to hold on the card."""

    slug = "guest-charging-unavailable"
    title = "Guest charging needs card payments"


NO_CARD_PAYMENTS = (
    "Guest charging needs a card payment, and this network does not take card payments in the app. "
    "Sign in with a driver account or use a charging card."
)
NOTHING_TO_HOLD = (
    "This charger has no price that could be held on a card, so it cannot be started as a guest. "
    "Sign in with a driver account or use a charging card."
)


class GuestStartLimits:
    """Guest starts per client address and per EVSE within an hour (0 turns a limit off), kept in process memory."""

    def __init__(self, per_address: int, per_evse: int) -> None:
        self._by_address = FixedWindowLimiter(per_address, GUEST_WINDOW_SECONDS)
        self._by_evse = FixedWindowLimiter(per_evse, GUEST_WINDOW_SECONDS)

    @classmethod
    def from_settings(cls, settings: Settings) -> GuestStartLimits:
        return cls(settings.guest_starts_per_address_per_hour, settings.guest_starts_per_evse_per_hour)

    def admit_address(self, address: str) -> None:
        retry_after = self._by_address.hit(address)
        if retry_after is not None:
            raise RateLimited(
                retry_after, f"Too many guest sessions from this address; try again in {retry_after} seconds."
            )

    def admit_evse(self, evse_id: uuid.UUID) -> None:
        retry_after = self._by_evse.hit(str(evse_id))
        if retry_after is not None:
            raise RateLimited(
                retry_after, f"Too many guest sessions at this charger; try again in {retry_after} seconds."
            )


def guest_secret(secret_key: str, session_id: uuid.UUID) -> str:
    """The access token of a guest session, derived so that a replayed start can hand it out again; only its
    hash is stored."""
    digest = hmac.new(secret_key.encode(), b"guest-session:" + session_id.bytes, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode().rstrip("=")


def guest_receipt_url(base_url: str, session_id: uuid.UUID, secret: str) -> str:
    """The link a guest follows the session with and gets the receipt from (also mailed)."""
    return f"{base_url}/v1/guest/sessions/{session_id}/receipt.html?token={secret}"
