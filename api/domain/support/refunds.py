"""Refunds and bill adjustments an agent issues from a ticket on the ticket's charging session.

Never more than was paid less what was given back already: with a payment provider, what was captured on the
session's payment (a refund through the provider); without one (the `none` provider, billed outside the app), the
amount due (an adjustment of that bill). The same Idempotency-Key is the same refund; a second request with it
and a different body is refused. The refund row is stored as `pending` before the provider is asked, so it counts
against the refundable amount at once and nothing is lost if the process stops halfway; the provider call carries
an idempotency key of that row, so asking again never refunds twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
import weakref
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Final, Literal

import msgspec
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, SessionAdjustment, SupportTicket
from api.db.types import utc_now
from api.domain.payments.ports import PaymentProvider, Refund
from api.domain.sessions.adjustments import APPLIED
from api.domain.sessions.views import from_minor
from api.domain.support import audit
from api.domain.support.audit import SYSTEM, Actor
from api.domain.support.workflow import TicketClosed, add_message
from api.errors import (
    BadGateway,
    Conflict,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    RequestInProgress,
)
from api.schema import AppStruct, FreeText
from pricing.money import minor_unit_exponent

ReasonCode = Literal["charger_fault", "billing_error", "goodwill", "duplicate", "other"]
# a pending refund whose process went away may be asked of the provider again after this long
STALE_PENDING: Final = timedelta(minutes=2)
CURRENCY_SIGNS: Final = {"EUR": "€", "GBP": "£", "USD": "$", "CHF": "CHF ", "SEK": "SEK ", "NOK": "NOK ", "DKK": "DKK "}

_locks: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()


class RefundRequest(AppStruct):
    """`amount` in major units as a decimal string ("12.34"); omitted: everything still refundable."""

    reason_code: ReasonCode
    amount: Decimal | None = None
    comment: Annotated[FreeText, msgspec.Meta(max_length=1000)] | None = None


class RefundView(AppStruct):
    """`kind` refund: money returned through the payment provider (`providerReference` its id); adjustment: the bill
    paid outside the app is lowered. `status`: pending, succeeded, failed, recorded (an adjustment)."""

    id: uuid.UUID
    session_id: uuid.UUID
    kind: str
    amount: Decimal
    currency: str
    reason_code: str
    status: str
    provider_reference: str | None
    comment: str | None
    actor_name: str
    created_at: datetime


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput([FieldError(field=field, message=message)])


def view_of(row: SessionAdjustment) -> RefundView:
    return RefundView(
        id=row.id,
        session_id=row.session_id,
        kind=row.kind,
        amount=Decimal(row.amount),
        currency=row.currency,
        reason_code=row.reason_code,
        status=row.status,
        provider_reference=row.provider_reference,
        comment=row.comment,
        actor_name=row.actor_name,
        created_at=row.created_at,
    )


def money_text(amount: Decimal, currency: str) -> str:
    """'€12.34' for drivers; the code where no sign is known ('PLN 12.34')."""
    sign = CURRENCY_SIGNS.get(currency.upper(), f"{currency.upper()} ")
    return f"{sign}{amount:.2f}" if minor_unit_exponent(currency) == Decimal("0.01") else f"{sign}{amount}"


async def list_refunds(session: AsyncSession, ticket: SupportTicket) -> list[RefundView]:
    """Every refund and adjustment issued from this ticket or on its session, failed ones included, oldest first."""
    condition = SessionAdjustment.ticket_id == ticket.id
    if ticket.session_id is not None:
        condition = condition | (SessionAdjustment.session_id == ticket.session_id)
    rows = (
        await session.execute(
            select(SessionAdjustment).where(condition).order_by(SessionAdjustment.created_at, SessionAdjustment.id)
        )
    ).scalars()
    return [view_of(row) for row in rows]


def _request_hash(ticket_id: int, request: RefundRequest) -> str:
    fields = [ticket_id, str(request.amount) if request.amount is not None else None, request.reason_code]
    fields.append(request.comment.strip() if request.comment else None)
    return hashlib.sha256(msgspec.json.encode(fields)).hexdigest()


async def _by_key(session: AsyncSession, key: str) -> SessionAdjustment | None:
    row: SessionAdjustment | None = (
        await session.execute(select(SessionAdjustment).where(SessionAdjustment.idempotency_key == key))
    ).scalar_one_or_none()
    return row


def _kind_and_limit(record: ChargingSession, given_back_minor: int) -> tuple[str, int]:
    """Whether money goes back through the provider, and how much of the session may still be given back."""
    if record.payment_provider != "none" and record.payment_reference:
        refunded = max(given_back_minor, record.refunded_minor or 0)  # refunds made at the provider count too
        return "refund", max(0, (record.captured_minor or 0) - refunded)
    return "adjustment", max(0, (record.amount_due_minor or 0) - given_back_minor)


class RefundIssuer:
    """Issues refunds through the payment provider, one at a time per session in this process (and under a row
    lock of the session across processes on PostgreSQL)."""

    def __init__(self, payments: PaymentProvider) -> None:
        self.payments = payments

    async def issue(
        self, session: AsyncSession, ticket: SupportTicket, actor: Actor, request: RefundRequest, key: str
    ) -> tuple[RefundView, bool]:
        """The refund and whether it was made now (False: the same key's earlier refund)."""
        if ticket.session_id is None:
            raise Conflict(f"Ticket {ticket.id} is not about a charging session: there is nothing to refund.")
        if ticket.status == "closed":
            raise TicketClosed(f"Ticket {ticket.id} is closed; open a new one instead.")
        request_hash = _request_hash(ticket.id, request)
        lock = _locks.get(ticket.session_id)
        if lock is None:
            lock = asyncio.Lock()
            _locks[ticket.session_id] = lock
        async with lock:
            row, created = await self._reserve(session, ticket, actor, request, key, request_hash)
            if row.status in ("pending", "failed") and not row.provider_reference:
                await self._ask_provider(session, ticket, actor, row)
            return view_of(row), created

    async def _reserve(
        self,
        session: AsyncSession,
        ticket: SupportTicket,
        actor: Actor,
        request: RefundRequest,
        key: str,
        request_hash: str,
    ) -> tuple[SessionAdjustment, bool]:
        """The same key's row, or a new pending row within the refundable amount (committed)."""
        existing = await _by_key(session, key)
        if existing is not None:
            return self._again(existing, request_hash), False
        record = (
            await session.execute(
                select(ChargingSession).where(ChargingSession.id == ticket.session_id).with_for_update()
            )
        ).scalar_one_or_none()
        if record is None:
            raise Conflict(f"The session of ticket {ticket.id} no longer exists.")
        existing = await _by_key(session, key)  # a request with this key that held the lock first
        if existing is not None:
            await session.commit()  # the lock: nothing was changed
            return self._again(existing, request_hash), False
        if record.status != "completed" or record.billed_at is None:
            raise Conflict("The session has not been billed yet: refund it once it has ended and been billed.")
        given_back_minor = (
            await session.scalar(
                select(func.coalesce(func.sum(SessionAdjustment.amount_minor), 0)).where(
                    SessionAdjustment.session_id == record.id, SessionAdjustment.status.in_(APPLIED)
                )
            )
            or 0
        )
        kind, limit_minor = _kind_and_limit(record, int(given_back_minor))
        currency = record.currency
        limit = from_minor(limit_minor, currency)
        amount_minor = limit_minor if request.amount is None else _to_minor(request.amount, currency)
        if amount_minor <= 0:
            if request.amount is not None:
                raise _invalid("amount", "must be more than zero")
            raise _invalid("amount", f"nothing is left to refund on this session ({limit:.2f} {currency})")
        if amount_minor > limit_minor:
            raise _invalid(
                "amount", f"at most {limit:.2f} {currency} can still be refunded on this session (refundable amount)"
            )
        now = utc_now()
        row = SessionAdjustment(
            session_id=record.id,
            ticket_id=ticket.id,
            amount=str(from_minor(amount_minor, currency).quantize(minor_unit_exponent(currency))),
            amount_minor=amount_minor,
            currency=currency,
            kind=kind,
            reason_code=request.reason_code,
            comment=request.comment.strip()[:1000] if request.comment else None,
            status="pending",
            idempotency_key=key,
            request_hash=request_hash,
            actor_id=actor.id,
            actor_name=actor.name[:200],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        try:
            await session.commit()
        except IntegrityError:  # the same key, stored by another process a moment ago
            await session.rollback()
            await session.refresh(ticket)
            existing = await _by_key(session, key)
            if existing is None:
                raise
            return self._again(existing, request_hash), False
        return row, True

    @staticmethod
    def _again(row: SessionAdjustment, request_hash: str) -> SessionAdjustment:
        """The earlier request's row when it was this request; a pending one still being asked is in progress."""
        if row.request_hash != request_hash:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different refund; use a new key.")
        if row.status == "pending" and not row.provider_reference and utc_now() - row.updated_at < STALE_PENDING:
            raise RequestInProgress("The first request with this Idempotency-Key is still being processed; ask again.")
        return row

    async def _ask_provider(
        self, session: AsyncSession, ticket: SupportTicket, actor: Actor, row: SessionAdjustment
    ) -> None:
        """Ask the provider for the reserved refund and record its answer on the row, the session and the ticket."""
        record = await session.get(ChargingSession, row.session_id)
        reference = record.payment_reference if record is not None and row.kind == "refund" else None
        reason = f"{row.reason_code}: ticket T-{ticket.id:06d}"
        row.updated_at = utc_now()
        await session.commit()
        try:
            answer = await self.payments.refund(
                reference,
                amount_minor=row.amount_minor,
                currency=row.currency,
                idempotency_key=f"voltway-refund-{row.id}",
                reason=reason,
            )
        except Exception:
            await self._record(session, ticket, actor, row, Refund(status="failed", amount_minor=row.amount_minor))
            raise
        await self._record(session, ticket, actor, row, answer)
        if answer.status == "failed":
            raise BadGateway(f"The payment service refused the refund: {answer.failure_reason or 'no reason given'}.")

    async def _record(
        self, session: AsyncSession, ticket: SupportTicket, actor: Actor, row: SessionAdjustment, answer: Refund
    ) -> None:
        now = utc_now()
        row.status = answer.status
        row.provider_reference = answer.reference
        row.updated_at = now
        applied = answer.status in APPLIED
        if applied and row.kind == "refund":
            record = (
                await session.execute(
                    select(ChargingSession).where(ChargingSession.id == row.session_id).with_for_update()
                )
            ).scalar_one()
            record.refunded_minor = (record.refunded_minor or 0) + row.amount_minor
            record.payment_status = "refunded"
            record.updated_at = now
        detail = {
            "refundId": str(row.id),
            "kind": row.kind,
            "amount": row.amount,
            "currency": row.currency,
            "reasonCode": row.reason_code,
            "status": row.status,
            "providerReference": row.provider_reference,
        }
        audit.record(session, ticket.id, actor, row.kind if applied else f"{row.kind}_failed", detail, at=now)
        if applied:
            amount = money_text(Decimal(row.amount), row.currency)
            text = f"Refund of {amount} issued" if row.kind == "refund" else f"Your bill was lowered by {amount}"
            add_message(session, ticket, visibility="system", actor=SYSTEM, text=text, now=now)
        await session.commit()


def _to_minor(amount: Decimal, currency: str) -> int:
    unit = minor_unit_exponent(currency)
    if not amount.is_finite():
        raise _invalid("amount", 'must be a decimal amount such as "12.34"')
    try:
        minor = amount / unit
    except InvalidOperation:
        raise _invalid("amount", 'must be a decimal amount such as "12.34"') from None
    if minor != minor.to_integral_value():
        decimals = len(str(unit).partition(".")[2])
        raise _invalid("amount", f"use at most {decimals} decimals for {currency}")
    return int(minor)
