"""Site hosts' revenue-share statements: per host and period, the sessions charged at each of their locations, the
kWh, the net revenue and the host's share under the agreement valid on each day.

A session counts on the UTC day it ended, for the agreement of its location valid that day. Its net revenue is what
the driver was billed less what was given back (the refunds and adjustments support issued, or what the provider
refunded when that is more), excluding VAT: the bill's VAT share (from
its CDR, `total_cost` incl./excl. VAT) comes off the net amount. A `percent` agreement pays that percentage of the net
revenue of the line, a `per_kwh` one the rate times the line's kWh; each line's share is rounded half up to the
currency's minor unit once, so a statement's total is the sum of its lines.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, HostAgreement, Location, SessionAdjustment
from api.domain.operations.money.period import Period
from api.domain.operations.money.reconciliation import money
from api.domain.operations.money.schemas import HostStatement, RevenueShareReport, StatementLine, StatementTotal
from api.domain.operations.scope import SiteScope
from api.domain.sessions.adjustments import APPLIED
from pricing.money import minor_unit_exponent

_ZERO = Decimal(0)
_KWH = Decimal("0.001")


class Sale(msgspec.Struct, frozen=True, kw_only=True):
    """One billed session as the statement needs it (major units)."""

    location_id: uuid.UUID
    ended_on: date
    currency: str
    energy_kwh: Decimal
    billed: Decimal
    given_back: Decimal
    excl_vat: Decimal | None  # the CDR's total excl./incl. VAT, to take VAT off
    incl_vat: Decimal | None

    @property
    def net_revenue(self) -> Decimal:
        """Billed less given back, excluding VAT (unrounded)."""
        net = self.billed - self.given_back
        if self.excl_vat is not None and self.incl_vat:
            net = net * self.excl_vat / self.incl_vat
        return net


class Terms(msgspec.Struct, frozen=True, kw_only=True):
    """An agreement as the statement applies it."""

    id: uuid.UUID
    location_id: uuid.UUID
    location_name: str | None
    host_name: str
    contact: str
    basis: str
    rate: Decimal
    currency: str | None
    valid_from: date
    valid_to: date | None

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


def _round(value: Decimal, currency: str) -> Decimal:
    unit = minor_unit_exponent(currency)
    return value.quantize(unit, rounding=ROUND_HALF_UP)


def statements(terms: Sequence[Terms], sales: Sequence[Sale], period: Period) -> list[HostStatement]:
    """The statements of every host with an agreement in the period (pure: no database)."""
    by_location: dict[uuid.UUID, list[Terms]] = defaultdict(list)
    for agreement in terms:
        by_location[agreement.location_id].append(agreement)
    grouped: dict[tuple[uuid.UUID, str], list[Sale]] = defaultdict(list)
    for sale in sales:
        for agreement in by_location.get(sale.location_id, []):
            if agreement.covers(sale.ended_on) and period.first_day <= sale.ended_on <= period.last_day:
                grouped[(agreement.id, sale.currency)].append(sale)
                break
    hosts: dict[str, list[StatementLine]] = defaultdict(list)
    contacts: dict[str, str] = {}
    for agreement in sorted(terms, key=lambda t: (t.host_name.casefold(), t.location_name or "", t.valid_from)):
        contacts.setdefault(agreement.host_name, agreement.contact)
        currencies = sorted({currency for (agreement_id, currency) in grouped if agreement_id == agreement.id})
        if not currencies:  # no sessions: the line still shows, with the location's usual currency unknown
            currencies = [agreement.currency or ""]
        for currency in currencies:
            hosts[agreement.host_name].append(
                _line(agreement, grouped.get((agreement.id, currency), []), currency, period)
            )
    result = []
    for host_name, lines in hosts.items():
        totals: dict[str, list[StatementLine]] = defaultdict(list)
        for line in lines:
            totals[line.share_currency].append(line)
        result.append(
            HostStatement(
                host_name=host_name,
                contact=contacts[host_name],
                lines=lines,
                totals=[
                    StatementTotal(
                        currency=currency,
                        sessions=sum(line.sessions for line in kept),
                        energy_kwh=sum((line.energy_kwh for line in kept), _ZERO),
                        net_revenue=sum((line.net_revenue for line in kept), _ZERO),
                        share=sum((line.share for line in kept), _ZERO),
                    )
                    for currency, kept in sorted(totals.items())
                    if currency
                ],
            )
        )
    return result


def _line(agreement: Terms, sales: Sequence[Sale], currency: str, period: Period) -> StatementLine:
    energy = sum((sale.energy_kwh for sale in sales), _ZERO).quantize(_KWH, rounding=ROUND_HALF_UP)
    net_exact = sum((sale.net_revenue for sale in sales), _ZERO)
    net = _round(net_exact, currency) if currency else _ZERO
    if agreement.basis == "percent":
        share_currency = currency
        share = _round(net_exact * agreement.rate / 100, currency) if currency else _ZERO
    else:
        share_currency = agreement.currency or currency
        share = _round(energy * agreement.rate, share_currency) if share_currency else _ZERO
    days_to = min(agreement.valid_to, period.last_day) if agreement.valid_to else period.last_day
    return StatementLine(
        location_id=agreement.location_id,
        location_name=agreement.location_name,
        agreement_id=agreement.id,
        basis="percent" if agreement.basis == "percent" else "per_kwh",
        rate=agreement.rate,
        days_from=max(agreement.valid_from, period.first_day),
        days_to=days_to,
        currency=currency,
        sessions=len(sales),
        energy_kwh=energy,
        net_revenue=net,
        share=share,
        share_currency=share_currency,
    )


# ----- reading ---------------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except ArithmeticError:
        return None


async def _terms(db: AsyncSession, scope: SiteScope, period: Period, host: str | None) -> list[Terms]:
    statement = (
        select(HostAgreement, Location.name)
        .join(Location, Location.id == HostAgreement.location_id)
        .where(
            scope.where(HostAgreement.location_id),
            HostAgreement.valid_from <= period.last_day,
            (HostAgreement.valid_to.is_(None)) | (HostAgreement.valid_to >= period.first_day),
        )
    )
    if host:
        statement = statement.where(func.lower(HostAgreement.host_name) == host.strip().lower())
    return [
        Terms(
            id=row.id,
            location_id=row.location_id,
            location_name=name,
            host_name=row.host_name,
            contact=row.contact,
            basis=row.basis,
            rate=Decimal(row.rate),
            currency=row.currency,
            valid_from=row.valid_from,
            valid_to=row.valid_to,
        )
        for row, name in (await db.execute(statement)).all()
    ]


async def _sales(db: AsyncSession, location_ids: list[uuid.UUID], period: Period) -> list[Sale]:
    if not location_ids:
        return []
    rows = (
        await db.execute(
            select(
                ChargingSession.id,
                ChargingSession.location_id,
                ChargingSession.ended_at,
                ChargingSession.currency,
                ChargingSession.amount_due,
                ChargingSession.cdr,
                ChargingSession.refunded_minor,
            ).where(
                ChargingSession.location_id.in_(location_ids),
                ChargingSession.status == "completed",
                ChargingSession.billed_at.is_not(None),
                ChargingSession.ended_at >= period.start,
                ChargingSession.ended_at < period.end,
            )
        )
    ).all()
    given: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    ids = [row[0] for row in rows]
    for index in range(0, len(ids), 500):
        adjustments = await db.execute(
            select(SessionAdjustment.session_id, SessionAdjustment.amount).where(
                SessionAdjustment.session_id.in_(ids[index : index + 500]), SessionAdjustment.status.in_(APPLIED)
            )
        )
        for session_id, amount in adjustments:
            given[session_id] += Decimal(amount)
    sales = []
    for session_id, location_id, ended_at, currency, amount_due, cdr, refunded_minor in rows:
        document: dict[str, Any] = cdr or {}
        # refunds made at the provider (its dashboard) count too, as they do for what support may still refund
        back = max(given.get(session_id, _ZERO), money(refunded_minor or 0, currency))
        total = document.get("total_cost") or {}
        sales.append(
            Sale(
                location_id=location_id,
                ended_on=ended_at.astimezone(UTC).date(),
                currency=currency,
                energy_kwh=_decimal(document.get("total_energy")) or _ZERO,
                billed=Decimal(amount_due or "0"),
                given_back=back,
                excl_vat=_decimal(total.get("excl_vat")),
                incl_vat=_decimal(total.get("incl_vat")),
            )
        )
    return sales


async def revenue_share_report(
    db: AsyncSession, scope: SiteScope, period: Period, host: str | None
) -> RevenueShareReport:
    """The statements of the period for the sites in `scope`, of one host when named."""
    terms = await _terms(db, scope, period, host)
    sales = await _sales(db, sorted({t.location_id for t in terms}), period)
    return RevenueShareReport(
        period_from=period.first_day, period_to=period.last_day, statements=statements(terms, sales, period)
    )
