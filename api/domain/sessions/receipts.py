"""Receipts: the billed session itemised (energy, charging time, idle time, fees, VAT, total), as JSON and as a
printable HTML page. Every figure comes from the stored CDR, so the receipt total is what was billed."""

from __future__ import annotations

import html
from datetime import datetime
from decimal import Decimal
from typing import Any

from api.db.models import ChargingSession, Evse, Location
from api.domain.sessions.schemas import Receipt, ReceiptLine
from api.domain.sessions.service import payment_state
from api.errors import Conflict

_ZERO = Decimal(0)
_LINES = (
    ("total_energy_cost", "Energy", "total_energy", "kWh"),
    ("total_time_cost", "Charging time", "total_time", "h"),
    ("total_parking_cost", "Idle time", "total_parking_time", "h"),
    ("total_fixed_cost", "Session fee", None, "session"),
    ("total_reservation_cost", "Reservation", None, "reservation"),
)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else _ZERO


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01")) if value else Decimal("0.00")


def build_receipt(
    record: ChargingSession, location: Location | None, evse: Evse | None, row: dict[str, Any]
) -> Receipt:
    if record.status != "completed" or record.cdr is None or record.billed_at is None:
        raise Conflict("The receipt is ready once the session has ended and been billed.")
    cdr = record.cdr
    lines: list[ReceiptLine] = []
    for cost_field, description, quantity_field, unit in _LINES:
        cost = cdr.get(cost_field) or {}
        excl, incl = _amount(cost.get("excl_vat")), _amount(cost.get("incl_vat"))
        quantity = _amount(cdr.get(quantity_field)) if quantity_field else Decimal(1)
        if incl == 0 and excl == 0 and cost_field != "total_energy_cost":
            continue
        lines.append(
            ReceiptLine(
                description=description,
                quantity=quantity.quantize(Decimal("0.001")) if quantity_field else quantity,
                unit=unit,
                amount_excl_vat=_rounded(excl),
                vat=_rounded(incl - excl),
                amount_incl_vat=_rounded(incl),
            )
        )
    total = cdr.get("total_cost") or {}
    total_excl, total_incl = _amount(total.get("excl_vat")), _amount(total.get("incl_vat"))
    address = ", ".join(p for p in (location.address, location.postal_code, location.city) if p) if location else ""
    return Receipt(
        number=f"VW-{record.billed_at:%Y%m%d}-{str(record.id)[:8].upper()}",
        session_id=record.id,
        issued_at=record.billed_at,
        location_name=location.name if location else None,
        address=address,
        evse_uid=evse.uid if evse else "",
        emi3_evse_id=evse.emi3_evse_id if evse else None,
        started_at=record.started_at,
        ended_at=record.ended_at,
        energy_kwh=_amount(cdr.get("total_energy")),
        lines=lines,
        total_excl_vat=_rounded(total_excl),
        vat=_rounded(total_incl - total_excl),
        total_incl_vat=_rounded(total_incl),
        amount_due=Decimal(record.amount_due or "0"),
        currency=record.currency,
        payment=payment_state(row),
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def receipt_html(receipt: Receipt) -> str:
    """A self-contained page that prints on one A4 sheet."""
    e = html.escape
    cur = e(receipt.currency)
    rows = "".join(
        f"<tr><td>{e(line.description)}</td><td class=n>{line.quantity} {e(line.unit)}</td>"
        f"<td class=n>{line.amount_excl_vat}</td><td class=n>{line.vat}</td>"
        f"<td class=n>{line.amount_incl_vat}</td></tr>"
        for line in receipt.lines
    )
    payment = receipt.payment
    paid = (
        "Billed outside the app"
        if payment.status == "billed_outside"
        else f"Card: {payment.captured + payment.extra_charged} {cur} charged"
        + (f", {payment.debt} {cur} outstanding" if payment.debt else "")
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt {e(receipt.number)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;color:#111}}
table{{width:100%;border-collapse:collapse}}td,th{{padding:.35rem;border-bottom:1px solid #ddd;text-align:left}}
.n{{text-align:right}}tfoot td{{font-weight:600}}@media print{{body{{margin:0}}}}
</style></head><body>
<h1>Charging receipt</h1>
<p id="number">Receipt {e(receipt.number)} &middot; issued {_when(receipt.issued_at)}</p>
<p>{e(receipt.location_name or "")}<br>{e(receipt.address)}<br>EVSE {e(receipt.emi3_evse_id or receipt.evse_uid)}</p>
<p>From {_when(receipt.started_at)} to {_when(receipt.ended_at)} &middot; {receipt.energy_kwh} kWh</p>
<table><thead><tr><th>Item</th><th class=n>Quantity</th><th class=n>Excl. VAT</th><th class=n>VAT</th>
<th class=n>Incl. VAT ({cur})</th></tr></thead><tbody>{rows}</tbody>
<tfoot><tr><td colspan=2>Total</td><td class=n>{receipt.total_excl_vat}</td><td class=n>{receipt.vat}</td>
<td class=n id="total">{receipt.total_incl_vat}</td></tr>
<tr><td colspan=4>Amount due</td><td class=n id="amount-due">{receipt.amount_due} {cur}</td></tr></tfoot></table>
<p id="payment">{e(paid)}</p>
</body></html>
"""
