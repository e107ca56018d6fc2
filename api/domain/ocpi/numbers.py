"""How OCPI numbers are written: at most 4 decimals (types.asciidoc). Times are written by
`schemas.format_datetime`."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_FOUR = Decimal("0.0001")


def ocpi_number(value: Decimal | float | int | str) -> float | int:
    """A JSON number with at most 4 decimals (half up); whole values stay integers."""
    exact = Decimal(str(value)).quantize(_FOUR, rounding=ROUND_HALF_UP).normalize()
    if exact == exact.to_integral_value():
        return int(exact)
    return float(exact)
