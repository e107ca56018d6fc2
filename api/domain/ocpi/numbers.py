"""How OCPI numbers and times are written: numbers with at most 4 decimals (types.asciidoc), times in UTC with a
Z and whole seconds, as the spec's examples show."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

_FOUR = Decimal("0.0001")


def ocpi_number(value: Decimal | float | int | str) -> float | int:
    """A JSON number with at most 4 decimals (half up); whole values stay integers."""
    exact = Decimal(str(value)).quantize(_FOUR, rounding=ROUND_HALF_UP).normalize()
    if exact == exact.to_integral_value():
        return int(exact)
    return float(exact)


def ocpi_time(value: datetime) -> str:
    """`2026-03-09T10:17:09Z`: UTC, no fraction of a second."""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
