"""The money reconciliation: every session billed in a period matched to what the payment provider captured,
refunded and had disputed, with what does not add up listed by kind, and totals per currency.

Our side is the session's bill (`amount_due`, and what billing recorded as the driver's debt) and the refunds
support issued (`session_adjustments`, each from a ticket with a reason code). The provider's side is read back
from the provider (`PaymentLedger`: the Stripe API) and, for disputes, from the webhook events Stripe sent (stored
in `payment_webhook_events`). A charge belongs to a session through its
PaymentIntent (the session's `payment_reference`) or, for a charge made off-session after the hold, through the
session named in its description.

A session in the period is a session billed in it; charges are read from a week before the period (a hold is
placed at the start, and Stripe keeps a hold for seven days). Matching is a pure function (`match`), so the rules
are tested without a database or a provider.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, ChargingTransaction, Location, PaymentWebhookEvent, SessionAdjustment
from api.domain.operations.money.period import Period
from api.domain.operations.money.schemas import (
    MISMATCH_TITLES,
    CurrencyTotals,
    Mismatch,
    MismatchKind,
    ReconciliationLine,
    ReconciliationReport,
)
from api.domain.operations.scope import SiteScope
from api.domain.payments.ledger import PaymentLedger, ProviderCharge
from api.domain.sessions.adjustments import APPLIED
from api.domain.sessions.reconciliation import ended_unbilled
from pricing.money import minor_unit_exponent

HOLD_LIFETIME: Final = timedelta(days=7)
OPEN_DISPUTE_LOST: Final = "lost"
_ZERO = Decimal(0)


def money(minor: int, currency: str) -> Decimal:
    """Minor units as a Decimal in major units with the currency's decimals ("12.30")."""
    unit = minor_unit_exponent(currency)
    return (Decimal(minor) * unit).quantize(unit)


class Bill(msgspec.Struct, frozen=True, kw_only=True):
    """Our side of one billed session (amounts in minor units)."""

    session_id: uuid.UUID
    location_name: str | None
    billed_at: datetime
    currency: str
    provider: str  # the payment provider the session was paid with: stripe, or none (billed outside)
    source: str
    payment_reference: str | None
    due_minor: int
    debt_minor: int  # what billing could not take and recorded as owed


class Given(msgspec.Struct, frozen=True, kw_only=True):
    """A refund or adjustment support recorded on a session."""

    session_id: uuid.UUID
    kind: str  # refund | adjustment
    amount_minor: int
    reason_code: str
    ticket_id: int | None
    provider_reference: str | None


class Dispute(msgspec.Struct, frozen=True, kw_only=True):
    """A dispute as the provider last reported it."""

    id: str
    payment_reference: str
    amount_minor: int
    currency: str
    status: str  # needs_response, under_review, won, lost, ...
    reason: str | None
    at: datetime


class Totals:
    def __init__(self) -> None:
        self.sessions = 0
        self.billed = self.outside = self.captured = self.refunded = self.adjusted = 0
        self.disputed = self.lost = 0


def match(
    bills: Sequence[Bill],
    charges: Sequence[ProviderCharge],
    given: Sequence[Given],
    disputes: Sequence[Dispute],
    *,
    provider: str,
    include_unclaimed: bool,
    unclaimed_since: datetime,
    elsewhere: frozenset[str] = frozenset(),
) -> tuple[list[ReconciliationLine], list[Mismatch], dict[str, Totals]]:
    """Match bills to charges, refunds and disputes. `include_unclaimed`: list charges captured since
    `unclaimed_since` that belong to no session (only for a caller who sees every site); `elsewhere`: payment
    references of sessions outside this report (another period or site), whose charges are not unclaimed."""
    by_reference: dict[str, list[ProviderCharge]] = defaultdict(list)
    by_hint: dict[str, list[ProviderCharge]] = defaultdict(list)
    references = {bill.payment_reference for bill in bills if bill.payment_reference}
    for charge in charges:
        if charge.payment_reference is not None and charge.payment_reference in references:
            by_reference[charge.payment_reference].append(charge)
        elif charge.session_hint and charge.payment_reference not in elsewhere:
            by_hint[charge.session_hint].append(charge)
    given_by_session: dict[uuid.UUID, list[Given]] = defaultdict(list)
    for item in given:
        given_by_session[item.session_id].append(item)
    disputes_by_reference: dict[str, list[Dispute]] = defaultdict(list)
    for dispute in disputes:
        disputes_by_reference[dispute.payment_reference].append(dispute)

    totals: dict[str, Totals] = defaultdict(Totals)
    lines: list[ReconciliationLine] = []
    mismatches: list[Mismatch] = []
    claimed: set[str] = set()
    checks_provider = provider != "none"
    for bill in sorted(bills, key=lambda b: (b.billed_at, str(b.session_id))):
        currency = bill.currency
        total = totals[currency]
        total.sessions += 1
        total.billed += bill.due_minor
        findings = _Findings(bill)
        add = findings.add
        outside = bill.provider == "none" or bill.source == "ocpi" or not checks_provider
        session_given = given_by_session.get(bill.session_id, [])
        own = [
            *by_reference.get(bill.payment_reference or "", []),
            *by_hint.get(str(bill.session_id)[:8], []),
        ]
        claimed.update(charge.id for charge in own)
        captured_minor = sum(charge.amount_captured_minor for charge in own)
        refunded_minor = sum(refund.amount_minor for charge in own for refund in charge.refunds)
        if outside:
            total.outside += bill.due_minor
            total.adjusted += sum(item.amount_minor for item in session_given if item.kind == "adjustment")
            for item in session_given:
                if item.ticket_id is None:
                    add("refund_without_reason", "An adjustment with no ticket behind it.", item.amount_minor)
        else:
            total.captured += captured_minor
            total.refunded += refunded_minor
            _check_capture(bill, own, captured_minor, add)
            recorded = {item.provider_reference: item for item in session_given if item.provider_reference}
            for charge in own:
                for refund in charge.refunds:
                    behind = recorded.get(refund.id)
                    if behind is None:
                        said = f' ("{refund.reason}")' if refund.reason else ""
                        add(
                            "refund_without_reason",
                            f"Refunded at the payment provider{said} with no refund recorded by support: no reason "
                            "code and no ticket behind it.",
                            refund.amount_minor,
                            provider_id=refund.id,
                            at=refund.created,
                        )
                    elif behind.ticket_id is None:
                        add(
                            "refund_without_reason",
                            f"A refund ({behind.reason_code}) whose ticket no longer exists.",
                            refund.amount_minor,
                            provider_id=refund.id,
                            at=refund.created,
                        )
        for dispute in disputes_by_reference.get(bill.payment_reference or "", []):
            if dispute.status == "won":
                continue
            lost = dispute.status == OPEN_DISPUTE_LOST
            total.disputed += dispute.amount_minor
            total.lost += dispute.amount_minor if lost else 0
            reason = f" ({dispute.reason.replace('_', ' ')})" if dispute.reason else ""
            add(
                "dispute_lost" if lost else "dispute_open",
                f"The driver's bank {'decided against us' if lost else 'disputes this payment'}{reason}; status "
                f"{dispute.status.replace('_', ' ')}.",
                dispute.amount_minor,
                provider_id=dispute.id,
                at=dispute.at,
            )
        found = findings.items
        mismatches.extend(found)
        lines.append(
            ReconciliationLine(
                session_id=bill.session_id,
                location_name=bill.location_name,
                billed_at=bill.billed_at,
                currency=currency,
                billed=money(bill.due_minor, currency),
                captured=money(captured_minor, currency),
                refunded=money(refunded_minor, currency),
                status=found[0].kind if found else "outside" if outside else "matched",
                payment_reference=bill.payment_reference,
            )
        )
    if include_unclaimed:
        for charge in sorted(charges, key=lambda c: c.created):
            if charge.id in claimed or charge.payment_reference in elsewhere or charge.created < unclaimed_since:
                continue
            mismatches.append(
                Mismatch(
                    kind="captured_without_session",
                    title=MISMATCH_TITLES["captured_without_session"],
                    detail="Captured at the payment provider, but no charging session has this payment.",
                    currency=charge.currency,
                    amount=money(charge.amount_captured_minor, charge.currency),
                    payment_reference=charge.payment_reference,
                    provider_id=charge.id,
                    captured=money(charge.amount_captured_minor, charge.currency),
                    at=charge.created,
                )
            )
            totals[charge.currency].captured += charge.amount_captured_minor
    return lines, mismatches, totals


class _Findings:
    """The mismatches of one bill."""

    def __init__(self, bill: Bill) -> None:
        self.bill = bill
        self.items: list[Mismatch] = []

    def add(self, kind: MismatchKind, detail: str, amount_minor: int, **extra: Any) -> None:
        bill = self.bill
        self.items.append(
            Mismatch(
                kind=kind,
                title=MISMATCH_TITLES[kind],
                detail=detail,
                currency=bill.currency,
                amount=money(amount_minor, bill.currency),
                session_id=bill.session_id,
                location_name=bill.location_name,
                payment_reference=bill.payment_reference,
                billed=money(bill.due_minor, bill.currency),
                **extra,
            )
        )


def _check_capture(bill: Bill, own: Sequence[ProviderCharge], captured_minor: int, add: Callable[..., None]) -> None:
    """The bill against what the provider captured for it."""
    due = bill.due_minor
    if captured_minor == due:
        return
    shown = money(captured_minor, bill.currency)
    billed = money(due, bill.currency)
    if captured_minor == 0:
        owed = " (recorded as the driver's debt)" if bill.debt_minor else ""
        add("billed_not_captured", f"Billed {billed} {bill.currency}; nothing captured{owed}.", due, captured=shown)
    elif len(own) > 1 and captured_minor > due:
        add(
            "captured_twice",
            f"{len(own)} payments captured for one session: {shown} {bill.currency} for a bill of {billed}.",
            captured_minor - due,
            captured=shown,
            provider_id=", ".join(charge.id for charge in own),
        )
    else:
        owed = f"; {money(bill.debt_minor, bill.currency)} recorded as debt" if bill.debt_minor else ""
        add(
            "amount_mismatch",
            f"Captured {shown} {bill.currency} for a bill of {billed}{owed}.",
            abs(captured_minor - due),
            captured=shown,
        )


def summarise(totals: dict[str, Totals]) -> list[CurrencyTotals]:
    return [
        CurrencyTotals(
            currency=currency,
            sessions=t.sessions,
            billed=money(t.billed, currency),
            billed_outside=money(t.outside, currency),
            captured=money(t.captured, currency),
            refunded=money(t.refunded, currency),
            adjusted=money(t.adjusted, currency),
            disputed=money(t.disputed, currency),
            lost_in_disputes=money(t.lost, currency),
            net=money(t.captured - t.refunded - t.lost, currency),
        )
        for currency, t in sorted(totals.items())
    ]


# ----- reading our side ----------------------------------------------------------------------------------------


async def _bills(db: AsyncSession, scope: SiteScope, start: datetime, end: datetime) -> list[Bill]:
    rows = await db.execute(
        select(
            ChargingSession.id,
            Location.name,
            ChargingSession.billed_at,
            ChargingSession.currency,
            ChargingSession.payment_provider,
            ChargingSession.source,
            ChargingSession.payment_reference,
            ChargingSession.amount_due_minor,
            ChargingSession.debt_minor,
        )
        .join(Location, Location.id == ChargingSession.location_id)
        .where(
            ChargingSession.billed_at >= start,
            ChargingSession.billed_at < end,
            scope.where(ChargingSession.location_id),
        )
    )
    return [
        Bill(
            session_id=row[0],
            location_name=row[1],
            billed_at=row[2] or start,
            currency=row[3],
            provider=row[4],
            source=row[5],
            payment_reference=row[6],
            due_minor=row[7] or 0,
            debt_minor=row[8] or 0,
        )
        for row in rows
    ]


async def _given(db: AsyncSession, session_ids: list[uuid.UUID]) -> list[Given]:
    found: list[Given] = []
    for chunk in _chunks(session_ids):
        rows = await db.execute(
            select(SessionAdjustment).where(
                SessionAdjustment.session_id.in_(chunk), SessionAdjustment.status.in_(APPLIED)
            )
        )
        found.extend(
            Given(
                session_id=row.session_id,
                kind=row.kind,
                amount_minor=row.amount_minor,
                reason_code=row.reason_code,
                ticket_id=row.ticket_id,
                provider_reference=row.provider_reference,
            )
            for row in rows.scalars()
        )
    return found


async def _disputes(db: AsyncSession, references: list[str]) -> list[Dispute]:
    """The latest word on each dispute of these payments, from the stored Stripe events."""
    latest: dict[str, Dispute] = {}
    for chunk in _chunks(references):
        rows = await db.execute(
            select(PaymentWebhookEvent)
            .where(PaymentWebhookEvent.type.like("charge.dispute.%"), PaymentWebhookEvent.reference.in_(chunk))
            .order_by(PaymentWebhookEvent.received_at)
        )
        for event in rows.scalars():
            summary = event.summary or {}
            dispute_id = str(summary.get("id") or event.event_id)
            status = str(summary.get("status") or ("lost" if event.type == "charge.dispute.funds_withdrawn" else ""))
            latest[dispute_id] = Dispute(
                id=dispute_id,
                payment_reference=event.reference or "",
                amount_minor=int(event.amount_minor or summary.get("amount") or 0),
                currency=(event.currency or str(summary.get("currency") or "")).upper(),
                status=status or "needs_response",
                reason=summary.get("reason"),
                at=event.received_at,
            )
    return list(latest.values())


async def _references_elsewhere(db: AsyncSession, references: list[str]) -> frozenset[str]:
    found: set[str] = set()
    for chunk in _chunks(references):
        rows = await db.execute(
            select(ChargingSession.payment_reference).where(ChargingSession.payment_reference.in_(chunk))
        )
        found.update(reference for reference in rows.scalars() if reference)
    return frozenset(found)


async def _unbilled(
    db: AsyncSession, scope: SiteScope, start: datetime, end: datetime, now: datetime
) -> list[Mismatch]:
    rows = await db.execute(
        select(ChargingSession.id, Location.name, ChargingSession.currency, ChargingSession.payment_reference)
        .add_columns(ChargingTransaction.ended_at)
        .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
        .join(Location, Location.id == ChargingSession.location_id)
        .where(
            *ended_unbilled(now),
            ChargingTransaction.ended_at >= start,
            ChargingTransaction.ended_at < end,
            scope.where(ChargingSession.location_id),
        )
    )
    return [
        Mismatch(
            kind="ended_not_billed",
            title=MISMATCH_TITLES["ended_not_billed"],
            detail="The charger ended the transaction but the session was never billed; the session reconciliation "
            "bills it on its next run.",
            currency=currency,
            amount=money(0, currency),
            session_id=session_id,
            location_name=name,
            payment_reference=reference,
            at=ended_at,
        )
        for session_id, name, currency, reference, ended_at in rows
    ]


def _chunks(values: Iterable[object], size: int = 500) -> Iterable[list[object]]:
    items = list(values)
    for index in range(0, len(items), size):
        yield items[index : index + size]


async def reconciliation_report(
    db: AsyncSession, ledger: PaymentLedger, scope: SiteScope, period: Period, now: datetime
) -> ReconciliationReport:
    """The reconciliation of `period` for the sites in `scope` (charges that belong to no session only for a
    scope of every site)."""
    start, end = period.start, period.end
    bills = await _bills(db, scope, start, end)
    charges = await ledger.captured_charges(start - HOLD_LIFETIME, end)
    references = [bill.payment_reference for bill in bills if bill.payment_reference]
    given = await _given(db, [bill.session_id for bill in bills])
    ours = set(references)
    strangers = [c.payment_reference for c in charges if c.payment_reference and c.payment_reference not in ours]
    elsewhere = await _references_elsewhere(db, strangers)
    disputes = await _disputes(db, references)
    lines, mismatches, totals = match(
        bills,
        charges,
        given,
        disputes,
        provider=ledger.name,
        include_unclaimed=scope.everything,
        unclaimed_since=start,
        elsewhere=elsewhere,
    )
    mismatches.extend(await _unbilled(db, scope, start, end, now))
    counts: dict[str, int] = dict.fromkeys(MISMATCH_TITLES, 0)
    for item in mismatches:
        counts[item.kind] += 1
    mismatched = sum(1 for line in lines if line.status not in ("matched", "outside"))
    outside = sum(1 for line in lines if line.status == "outside")
    return ReconciliationReport(
        period_from=period.first_day,
        period_to=period.last_day,
        provider=ledger.name,
        sessions=len(lines),
        matched=len(lines) - mismatched - outside,
        mismatched=mismatched,
        outside=outside,
        counts=counts,
        totals=summarise(totals),
        mismatches=mismatches,
        lines=lines,
    )
