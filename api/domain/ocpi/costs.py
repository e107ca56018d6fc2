"""The money of a session in OCPI Price objects, rounded exactly as the driver's receipt rounds it.

The stored CDR totals carry full precision; the receipt rounds each line half up to the currency's minor unit and
gives the lines that lost most the missing minor units, so the lines add up to the total. A partner is billed the
same numbers: `total_cost` is the receipt's total, and each `total_*_cost` its receipt line.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Final

from api.domain.ocpi.numbers import ocpi_number
from api.domain.sessions.receipts import apportion
from pricing.money import round_half_up_to_minor_unit

_ZERO = Decimal(0)
# the CDR cost fields in the receipt's line order; the energy line is always kept
COST_FIELDS: Final = (
    "total_energy_cost",
    "total_time_cost",
    "total_parking_cost",
    "total_fixed_cost",
    "total_reservation_cost",
)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else _ZERO


def price(excl_vat: Decimal, incl_vat: Decimal) -> dict[str, float | int]:
    return {"excl_vat": ocpi_number(excl_vat), "incl_vat": ocpi_number(incl_vat)}


def rounded_costs(cdr: dict[str, Any], currency: str) -> dict[str, dict[str, float | int]]:
    """`total_cost` and the non-zero `total_*_cost` fields of a priced session, rounded as on the receipt."""
    kept: list[tuple[str | None, Decimal, Decimal]] = []
    for field in COST_FIELDS:
        cost = cdr.get(field) or {}
        excl, incl = _amount(cost.get("excl_vat")), _amount(cost.get("incl_vat"))
        if excl == 0 and incl == 0 and field != "total_energy_cost":
            continue
        kept.append((field, excl, incl))
    total = cdr.get("total_cost") or {}
    total_excl, total_incl = _amount(total.get("excl_vat")), _amount(total.get("incl_vat"))
    lines_excl = sum((line[1] for line in kept), _ZERO)
    lines_incl = sum((line[2] for line in kept), _ZERO)
    if lines_excl != total_excl or lines_incl != total_incl:  # the tariff's minimum or maximum price: a line of its own
        kept.append((None, total_excl - lines_excl, total_incl - lines_incl))
    excl_rounded = apportion([line[1] for line in kept], total_excl, currency)
    incl_rounded = apportion([line[2] for line in kept], total_incl, currency)
    costs = {
        "total_cost": price(
            round_half_up_to_minor_unit(total_excl, currency), round_half_up_to_minor_unit(total_incl, currency)
        )
    }
    for (name, _, _), excl, incl in zip(kept, excl_rounded, incl_rounded, strict=True):
        if name is not None and (excl or incl or name == "total_energy_cost"):
            costs[name] = price(excl, incl)
    return costs
