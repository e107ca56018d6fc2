"""How a session looks to the app: the view of a stored row plus, while it runs, its live meter; its cost and
payment state; and amounts in a currency's minor units."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from api.domain.sessions.metering import SessionMeter
from api.domain.sessions.schemas import CostBreakdown, PaymentState, SessionCost, SessionView
from pricing.costing import CdrTotals
from pricing.money import minor_unit_exponent

_ZERO = Decimal(0)


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount / minor_unit_exponent(currency)).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    return (Decimal(amount) * minor_unit_exponent(currency)).normalize() if amount else _ZERO


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize() if value else _ZERO


def cost_of(totals: CdrTotals | None, currency: str) -> SessionCost | None:
    if totals is None:
        return None
    vat = totals.total_cost.incl_vat - totals.total_cost.excl_vat
    return SessionCost(
        amount=totals.amount_due,
        currency=currency,
        breakdown=CostBreakdown(
            energy=_money(totals.total_energy_cost.incl_vat),
            time=_money(totals.total_time_cost.incl_vat),
            idle=_money(totals.total_parking_cost.incl_vat),
            fixed=_money(totals.total_fixed_cost.incl_vat),
            reservation=_money(totals.total_reservation_cost.incl_vat),
            total_excl_vat=_money(totals.total_cost.excl_vat),
            vat=_money(vat),
            total_incl_vat=_money(totals.total_cost.incl_vat),
        ),
    )


def view_of(row: dict[str, Any], meter: SessionMeter | None, now: datetime) -> SessionView:
    """The app's picture of a session: stored facts plus, while it runs, the live meter."""
    currency = row["currency"]
    totals = meter.totals() if meter is not None else None
    cost: SessionCost | None
    if row.get("cdr") and row["status"] in ("completed",):
        cost = _stored_cost(row["cdr"], currency)
    else:
        cost = cost_of(totals, currency)
    started = row.get("started_at")
    ended = row.get("ended_at")
    elapsed = 0 if started is None else max(0, int(((ended or now) - started).total_seconds()))
    idle_seconds = 0
    if totals is not None:
        idle_seconds = int(totals.total_parking_time * 3600)
    elif row.get("cdr"):
        idle_seconds = int(Decimal(str(row["cdr"].get("total_parking_time", "0"))) * 3600)
    energy_wh = meter.energy_wh if meter is not None else 0.0
    if meter is None and row.get("cdr"):
        energy_kwh = Decimal(str(row["cdr"].get("total_energy", "0")))
    else:
        energy_kwh = Decimal(repr(round(energy_wh / 1000, 4)))
    power = None
    if meter is not None and meter.power_w is not None and row["status"] in ("charging", "suspended", "stopping"):
        power = Decimal(repr(round(meter.power_w / 1000, 3)))
    return SessionView(
        id=row["id"],
        status=row["status"],
        source=row["source"],
        failure_reason=row["failure_reason"],
        stop_reason=row["stop_reason"],
        location_id=row["location_id"],
        location_name=row["location_name"],
        evse_uid=row["evse_uid"],
        emi3_evse_id=row["emi3_evse_id"],
        connector_id=row["connector_id"],
        created_at=row["created_at"],
        started_at=started,
        ended_at=ended,
        energy_kwh=energy_kwh,
        power_kw=power,
        soc_percent=meter.soc_percent if meter is not None else None,
        elapsed_seconds=elapsed,
        idle_seconds=idle_seconds,
        cost=cost,
        price_text=row["price_text"],
        payment=payment_state(row),
        updated_at=now,
    )


def payment_state(row: dict[str, Any]) -> PaymentState:
    currency = row["currency"]
    return PaymentState(
        provider=row["payment_provider"],
        status=row["payment_status"],
        hold_amount=from_minor(row["hold_minor"], currency),
        captured=from_minor(row["captured_minor"], currency),
        extra_charged=from_minor(row["extra_charged_minor"], currency),
        debt=from_minor(row["debt_minor"], currency),
        refunded=from_minor(row["refunded_minor"], currency),
    )


def _stored_cost(cdr: dict[str, Any], currency: str) -> SessionCost:
    def incl(name: str) -> Decimal:
        return _money(Decimal(str(cdr.get(name, {}).get("incl_vat", "0"))))

    total_excl = _money(Decimal(str(cdr["total_cost"]["excl_vat"])))
    total_incl = incl("total_cost")
    return SessionCost(
        amount=Decimal(str(cdr["amount_due"])),
        currency=currency,
        breakdown=CostBreakdown(
            energy=incl("total_energy_cost"),
            time=incl("total_time_cost"),
            idle=incl("total_parking_cost"),
            fixed=incl("total_fixed_cost"),
            reservation=incl("total_reservation_cost"),
            total_excl_vat=total_excl,
            vat=_money(total_incl - total_excl),
            total_incl_vat=total_incl,
        ),
    )


__all__ = ["cost_of", "from_minor", "payment_state", "to_minor", "view_of"]
