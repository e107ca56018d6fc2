"""Receipts: the billed session itemised (energy, charging time, idle time, fees, unit prices, VAT, total), as JSON
and as a printable HTML page, with times in the station's local time zone. Every figure comes from the stored CDR,
so the receipt total is what was billed.

One rounding rule for everything the driver reads: half up to the currency's minor unit. Each line is rounded,
and where the rounded lines would not add up to the rounded total, the lines that lost most to rounding take the
missing minor units (largest remainder), so the lines always add up to the total and the total is the amount due.

The printable page also opens from a link without sign-in: `printUrl`, signed with the service's secret key and
valid for `PRINT_LINK_DAYS` days.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.db.models import ChargingSession, Evse, Location, SessionAdjustment
from api.domain.sessions.adjustments import given_back, receipt_adjustments
from api.domain.sessions.schemas import Receipt, ReceiptLine
from api.domain.sessions.views import payment_state
from api.errors import Conflict, NotFound
from api.settings import Settings
from pricing.money import minor_unit_exponent, round_half_up_to_minor_unit

PRINT_LINK_DAYS = 30
_ZERO = Decimal(0)
# (CDR cost field, description, CDR quantity field, unit, tariff dimension priced per unit)
_LINES = (
    ("total_energy_cost", "Energy", "total_energy", "kWh", "ENERGY"),
    ("total_time_cost", "Charging time", "total_time", "h", "TIME"),
    ("total_parking_cost", "Idle time", "total_parking_time", "h", "PARKING_TIME"),
    ("total_fixed_cost", "Session fee", None, "session", "FLAT"),
    ("total_reservation_cost", "Reservation", None, "reservation", None),
)


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value is not None else _ZERO


def apportion(exact: list[Decimal], total: Decimal, currency: str) -> list[Decimal]:
    """`exact` rounded half up to the minor unit, then adjusted by whole minor units, largest rounding remainder
    first, so that they add up to `total` rounded half up. `exact` must add up to `total`."""
    unit = minor_unit_exponent(currency)
    rounded = [round_half_up_to_minor_unit(value, currency) for value in exact]
    missing = int((round_half_up_to_minor_unit(total, currency) - sum(rounded, _ZERO)) / unit)
    if missing:
        step = unit if missing > 0 else -unit
        # the lines that lost most to rounding (or, when taking away, gained most) move first; ties keep line order
        order = sorted(range(len(exact)), key=lambda i: (exact[i] - rounded[i]) * step, reverse=True)
        for k in range(abs(missing)):
            rounded[order[k % len(order)]] += step
    return rounded


def _unit_terms(tariff: dict[str, Any] | None, dimension: str | None) -> tuple[Decimal | None, Decimal | None]:
    """The price per unit (excl. VAT) and the VAT rate of a tariff dimension, when the whole tariff has one of each
    for it (a tariff whose price changes with the time of day has no single unit price)."""
    if tariff is None or dimension is None:
        return None, None
    terms = {
        (Decimal(str(component["price"])), Decimal(str(component["vat"])) if component.get("vat") is not None else None)
        for element in tariff.get("elements", [])
        for component in element.get("price_components", [])
        if component.get("type") == dimension
    }
    if len(terms) != 1:
        return None, None
    price, vat = terms.pop()
    return price.normalize(), vat.normalize() if vat is not None else None


def build_receipt(
    record: ChargingSession,
    location: Location | None,
    evse: Evse | None,
    row: dict[str, Any],
    settings: Settings,
    now: datetime,
    adjustments: Sequence[SessionAdjustment] = (),
) -> Receipt:
    """The receipt of a billed session; `adjustments` are its applied refunds and adjustments (see
    `api.domain.sessions.adjustments`), listed with the net amount."""
    if record.status != "completed" or record.cdr is None or record.billed_at is None:
        raise Conflict("The receipt is ready once the session has ended and been billed.")
    cdr, currency = record.cdr, record.currency
    kept: list[tuple[str, Decimal, str, Decimal, Decimal, Decimal | None, Decimal | None]] = []
    for cost_field, description, quantity_field, unit, dimension in _LINES:
        cost = cdr.get(cost_field) or {}
        excl, incl = _amount(cost.get("excl_vat")), _amount(cost.get("incl_vat"))
        if incl == 0 and excl == 0 and cost_field != "total_energy_cost":
            continue
        quantity = _amount(cdr.get(quantity_field)) if quantity_field else Decimal(1)
        unit_price, vat_rate = _unit_terms(record.tariff, dimension)
        if dimension == "PARKING_TIME" and record.idle_fee:
            unit_price, vat_rate = None, None  # an idle fee with free minutes has no single price per hour
        if quantity_field:
            quantity = quantity.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        kept.append((description, quantity, unit, excl, incl, unit_price, vat_rate))
    total = cdr.get("total_cost") or {}
    total_excl, total_incl = _amount(total.get("excl_vat")), _amount(total.get("incl_vat"))
    lines_excl = sum((line[3] for line in kept), _ZERO)
    lines_incl = sum((line[4] for line in kept), _ZERO)
    if lines_excl != total_excl or lines_incl != total_incl:  # a tariff's minimum or maximum price applied
        label = "Minimum price" if total_incl > lines_incl else "Maximum price"
        kept.append((label, Decimal(1), "session", total_excl - lines_excl, total_incl - lines_incl, None, None))
    excl_rounded = apportion([line[3] for line in kept], total_excl, currency)
    incl_rounded = apportion([line[4] for line in kept], total_incl, currency)
    lines = [
        ReceiptLine(
            description=description,
            quantity=quantity,
            unit=unit,
            unit_price_excl_vat=unit_price,
            vat_rate=vat_rate,
            amount_excl_vat=excl,
            vat=incl - excl,
            amount_incl_vat=incl,
        )
        for (description, quantity, unit, _, _, unit_price, vat_rate), excl, incl in zip(
            kept, excl_rounded, incl_rounded, strict=True
        )
    ]
    rates = {line.vat_rate for line in lines if line.vat_rate is not None}
    address = ", ".join(p for p in (location.address, location.postal_code, location.city) if p) if location else ""
    zone = _zone(record.time_zone)
    expires = now + timedelta(days=PRINT_LINK_DAYS)
    rounded_excl = round_half_up_to_minor_unit(total_excl, currency)
    rounded_incl = round_half_up_to_minor_unit(total_incl, currency)
    amount_due = Decimal(record.amount_due or "0")
    return Receipt(
        number=f"VW-{record.billed_at:%Y%m%d}-{str(record.id)[:8].upper()}",
        session_id=record.id,
        issued_at=record.billed_at.astimezone(zone),
        operator_name=settings.operator_name,
        operator_vat_id=settings.operator_vat_id or None,
        location_name=location.name if location else None,
        address=address,
        evse_uid=evse.uid if evse else "",
        emi3_evse_id=evse.emi3_evse_id if evse else None,
        time_zone=zone.key,
        started_at=record.started_at.astimezone(zone) if record.started_at else None,
        ended_at=record.ended_at.astimezone(zone) if record.ended_at else None,
        energy_kwh=_amount(cdr.get("total_energy")),
        lines=lines,
        vat_rate=rates.pop() if len(rates) == 1 else None,
        total_excl_vat=rounded_excl,
        vat=rounded_incl - rounded_excl,
        total_incl_vat=rounded_incl,
        amount_due=amount_due,
        currency=currency,
        payment=payment_state(row),
        print_url=f"{settings.base_url}/v1/receipts/{record.id}?token={print_token(settings, record.id, expires)}",
        print_url_expires_at=expires.replace(microsecond=0),
        adjustments=receipt_adjustments(adjustments),
        net_amount=amount_due - given_back(adjustments) if adjustments else None,
    )


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# ----- the printable link ------------------------------------------------------------------------------------


def _signature(settings: Settings, session_id: uuid.UUID, expires: int) -> str:
    key = hashlib.sha256(b"voltway-receipt-link:" + settings.secret_key.encode()).digest()
    return hmac.new(key, f"{session_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def print_token(settings: Settings, session_id: uuid.UUID, expires: datetime) -> str:
    """An unguessable token for the printable receipt of one session until `expires`: nothing is stored, the
    token carries its expiry and an HMAC of it and the session id under the service's secret key."""
    moment = int(expires.timestamp())
    return f"{moment}.{_signature(settings, session_id, moment)}"


def check_print_token(settings: Settings, session_id: uuid.UUID, token: str, now: datetime) -> None:
    """Raise NotFound unless `token` was made by `print_token` for this session and has not expired."""
    moment_text, _, signature = token.partition(".")
    if not moment_text.isdigit() or len(moment_text) > 12:
        raise NotFound("No such receipt, or the link is not valid.")
    moment = int(moment_text)
    if not hmac.compare_digest(signature, _signature(settings, session_id, moment)):
        raise NotFound("No such receipt, or the link is not valid.")
    if moment < now.timestamp():
        raise NotFound("This receipt link has expired: open the receipt in the app for a new one.")


# ----- the page ----------------------------------------------------------------------------------------------


def _when(value: datetime | None) -> str:
    """Local time with the zone named: '2026-03-14 18:20 CET (Europe/Amsterdam)'."""
    if value is None:
        return "-"
    zone = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else "UTC"
    return f"{value:%Y-%m-%d %H:%M} {value.tzname()} ({zone})"


def _unit_price(line: ReceiptLine, currency: str) -> str:
    if line.unit_price_excl_vat is None:
        return ""
    return f"{line.unit_price_excl_vat} {currency}/{line.unit}"


def receipt_html(receipt: Receipt) -> str:
    """A self-contained page that prints on one A4 sheet."""
    e = html.escape
    cur = e(receipt.currency)
    rows = "".join(
        f"<tr><td>{e(line.description)}</td><td class=n>{line.quantity} {e(line.unit)}</td>"
        f"<td class=n>{e(_unit_price(line, receipt.currency))}</td>"
        f"<td class=n>{f'{line.vat_rate} %' if line.vat_rate is not None else ''}</td>"
        f"<td class=n>{line.amount_excl_vat}</td><td class=n>{line.vat}</td>"
        f"<td class=n>{line.amount_incl_vat}</td></tr>"
        for line in receipt.lines
    )
    payment = receipt.payment
    if payment.status == "billed_outside":
        paid = "Billed outside the app"
    else:
        charged = round_half_up_to_minor_unit(payment.captured + payment.extra_charged, receipt.currency)
        debt = round_half_up_to_minor_unit(payment.debt, receipt.currency)
        paid = f"Card: {charged} {cur} charged" + (f", {debt} {cur} outstanding" if payment.debt else "")
        if payment.refunded:
            paid += f", {round_half_up_to_minor_unit(payment.refunded, receipt.currency)} {cur} refunded"
    given = "".join(
        f"<tr class=adjustment><td colspan=6>{'Refund' if item.kind == 'refund' else 'Adjustment'}"
        f" ({e(item.reason_code.replace('_', ' '))}, {item.created_at:%Y-%m-%d})</td>"
        f"<td class=n>-{item.amount} {cur}</td></tr>"
        for item in receipt.adjustments
    )
    if receipt.net_amount is not None:
        given += f'<tr><td colspan=6>Net amount</td><td class=n id="net-amount">{receipt.net_amount} {cur}</td></tr>'
    vat_id = f"<br>VAT id {e(receipt.operator_vat_id)}" if receipt.operator_vat_id else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Receipt {e(receipt.number)}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;color:#111}}
table{{width:100%;border-collapse:collapse}}td,th{{padding:.35rem;border-bottom:1px solid #ddd;text-align:left}}
.n{{text-align:right}}tfoot td{{font-weight:600}}@media print{{body{{margin:0}}}}
</style></head><body>
<h1>Charging receipt</h1>
<p id="operator">{e(receipt.operator_name)}{vat_id}</p>
<p id="number">Receipt {e(receipt.number)} &middot; issued {_when(receipt.issued_at)}</p>
<p>{e(receipt.location_name or "")}<br>{e(receipt.address)}<br>EVSE {e(receipt.emi3_evse_id or receipt.evse_uid)}</p>
<p id="period">From {_when(receipt.started_at)} to {_when(receipt.ended_at)} &middot; {receipt.energy_kwh} kWh</p>
<table><thead><tr><th>Item</th><th class=n>Quantity</th><th class=n>Unit price excl. VAT</th><th class=n>VAT rate</th>
<th class=n>Excl. VAT</th><th class=n>VAT</th><th class=n>Incl. VAT ({cur})</th></tr></thead><tbody>{rows}</tbody>
<tfoot><tr><td colspan=4>Total</td><td class=n>{receipt.total_excl_vat}</td><td class=n>{receipt.vat}</td>
<td class=n id="total">{receipt.total_incl_vat}</td></tr>
<tr><td colspan=6>Amount due</td><td class=n id="amount-due">{receipt.amount_due} {cur}</td></tr>{given}</tfoot></table>
<p id="payment">{e(paid)}</p>
</body></html>
"""
