"""Money arithmetic: exact `Decimal` amounts, VAT, and the one named rounding step used for payment."""

from __future__ import annotations

import decimal
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache

from babel.numbers import get_currency_precision, is_currency

from pricing.errors import PricingInputError

__all__ = [
    "MONEY_CONTEXT",
    "ZERO",
    "add_vat",
    "check_currency",
    "decimal_text",
    "minor_unit_exponent",
    "round_half_up_to_minor_unit",
    "round_up_to_minor_unit",
]

ZERO = Decimal(0)
HUNDRED = Decimal(100)

# Enough digits that sums and products of real tariff amounts are exact; divisions (seconds to hours)
# keep 40 significant digits, far below any cent.
MONEY_CONTEXT = decimal.Context(prec=40, rounding=decimal.ROUND_HALF_EVEN, traps=[decimal.InvalidOperation])


def add_vat(amount: Decimal, vat_percent: Decimal | None) -> Decimal:
    """Amount including VAT; a component without `vat` has no VAT, which is not the same as 0 %."""
    if vat_percent is None:
        return amount
    return amount + amount * vat_percent / HUNDRED


def check_currency(code: str, field: str = "currency") -> str:
    """Return `code` when it is an ISO 4217 currency babel knows, else raise naming `field`."""
    if len(code) != 3 or not code.isalpha() or not code.isupper() or not is_currency(code):
        raise PricingInputError(field, f"unknown ISO 4217 currency {code!r}")
    return code


@lru_cache(maxsize=64)
def minor_unit_exponent(currency: str) -> Decimal:
    """The quantum of the currency's minor unit: Decimal('0.01') for EUR, Decimal('1') for JPY, '0.001' for BHD."""
    digits = get_currency_precision(currency)
    return Decimal(1).scaleb(-digits)


def round_half_up_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """The rounding step for amounts to pay: half-up to the currency's minor unit (ISO 4217)."""
    return amount.quantize(minor_unit_exponent(currency), rounding=ROUND_HALF_UP)


def round_up_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Rounding up to the minor unit, for amounts that must never fall short, such as a payment hold."""
    return amount.quantize(minor_unit_exponent(currency), rounding=ROUND_CEILING)


def decimal_text(value: Decimal) -> str:
    """Exact fixed-point text of `value` without trailing zeros or exponent, for JSON output ("5.5", "0.00028")."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"-0", ""} else text
