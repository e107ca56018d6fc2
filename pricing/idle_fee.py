"""Idle fee (beyond OCPI): a price per minute once charging has finished and the car stays plugged in too long.

Idle time is time not charging (SuspendedEV, or energy flat) after the session has charged at least once. Each
uninterrupted idle stretch is free for `grace_minutes`; after that every minute costs `price_per_minute`, up to
`cap` for the whole session. The fee is billed as parking cost, so the CDR stays valid OCPI.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

__all__ = ["IdleFee"]


class IdleFee(msgspec.Struct, frozen=True, omit_defaults=True):
    """Idle fee terms: price per minute excl. VAT, free grace period, optional cap (excl. VAT) and VAT %."""

    price_per_minute: Decimal
    grace_minutes: int = 15
    cap: Decimal | None = None
    vat: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("price_per_minute", "cap", "vat"):
            value = getattr(self, name)
            if value is not None and (not value.is_finite() or value < 0):
                raise ValueError(f"{name}: must be a finite number that is not negative")
        if self.grace_minutes < 0:
            raise ValueError("grace_minutes: must not be negative")

    @property
    def grace_seconds(self) -> Decimal:
        """The grace period in seconds."""
        return Decimal(self.grace_minutes * 60)
