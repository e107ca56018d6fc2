"""Billing a session whose transaction ended: the price from the stored samples (the CDR totals), the payment
settled against the hold, the receipt notice; and the payment provider's events (refunds, disputes, releases)."""

from __future__ import annotations

import logging
import uuid
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import select

from api.db.models import ChargingSession, ChargingTransaction
from api.db.types import utc_now
from api.domain.operations.metrics.rollups import add_completed
from api.domain.payments.ports import PaymentEvent, PaymentHold, Settlement
from api.domain.sessions.core import SessionCore
from api.domain.sessions.views import to_minor, view_of
from pricing.cdr_document import totals_document

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)


class SessionBilling(SessionCore):
    """Bills ended sessions and records what the payment provider reports later."""

    # ----- billing ------------------------------------------------------------------------------------------

    async def bill(self, session_id: uuid.UUID) -> None:
        """Price the ended transaction from its stored samples and settle the payment; safe to run twice."""
        if self.flush_meters is not None:
            await self.flush_meters()
        async with self._lock(session_id):
            async with self._session_factory() as session:
                record = await session.get(ChargingSession, session_id)
                if record is None or record.billed_at is not None or record.status in ("failed", "completed"):
                    return
                meter = await self._meter_from_store(session, record)
                transaction = (
                    await session.get(ChargingTransaction, record.transaction_id) if record.transaction_id else None
                )
                totals = meter.totals() if meter is not None else None
                currency = record.currency
                amount_due = totals.amount_due if totals is not None else _ZERO
                due_minor = to_minor(amount_due, currency)
                payer = await self.payer(session, record)
                hold = PaymentHold(
                    status="authorized" if record.payment_reference else "not_required",
                    reference=record.payment_reference or "",
                    amount_minor=record.hold_minor,
                    currency=currency,
                )
                energy_wh = meter.energy_wh if meter is not None else 0.0
            roaming = record.source == "ocpi"  # the eMSP is billed through the CDR: no card to take money from
            try:
                settlement = (
                    Settlement(captured_minor=0)
                    if roaming
                    else await self.payments.settle(
                        payer,
                        hold,
                        amount_minor=due_minor,
                        idempotency_key=f"settle-{session_id}",
                        description=f"Charging session {str(session_id)[:8]}: {energy_wh / 1000:.2f} kWh",
                    )
                )
            except Exception:
                logger.exception("settling session %s failed; the reconciliation job will retry", session_id)
                return
            if roaming or self.payments.name == "none":
                payment_status = "billed_outside"
            elif settlement.released:
                payment_status = "released"
            elif settlement.debt_minor:
                payment_status = "debt"
            else:
                payment_status = "captured"
            cdr: dict[str, Any] = (
                totals_document(totals)
                if totals is not None
                else {"total_cost": {"excl_vat": "0", "incl_vat": "0"}, "amount_due": "0", "total_energy": "0"}
            )
            cdr["total_energy"] = str(Decimal(repr(round(energy_wh / 1000, 4))))
            now = utc_now()
            async with self._session_factory() as session, session.begin():
                record = await session.get(ChargingSession, session_id, with_for_update=True)
                if record is None or record.billed_at is not None:
                    return
                record.status = "completed"
                record.ended_at = transaction.ended_at if transaction and transaction.ended_at else now
                record.stop_reason = record.stop_reason or _stop_reason(transaction)
                record.amount_due = str(amount_due)
                record.amount_due_minor = due_minor
                record.captured_minor = settlement.captured_minor
                record.extra_charged_minor = settlement.extra_charged_minor
                record.debt_minor = settlement.debt_minor
                record.payment_status = payment_status
                record.cdr = cdr
                record.billed_at = now
                record.updated_at = now
                await add_completed(session, record)
                row = await self._row(session, record)
                if self.roaming is not None:
                    await self.roaming.session_billed(session, record)
                user_id = record.user_id
                guest_email = record.guest_email
        if record.transaction_id is not None:
            self._forget(record.transaction_id)
        self.updates.publish(session_id, msgspec.json.encode(view_of(row, None, now)), final=True)
        total = f"{amount_due} {currency}"
        self.notifier.send_later(
            session_id=session_id,
            user_id=user_id,
            kind="receipt_ready",
            title="Your receipt is ready",
            body=f"You charged {energy_wh / 1000:.2f} kWh for {total}.",
            data={"amount": str(amount_due), "currency": currency},
        )
        if guest_email and self.mail_guest is not None:
            await self.mail_guest(
                session_id,
                guest_email,
                "Your charging receipt",
                f"Thank you for charging with us. Total: {total}.\n"
                "The itemised receipt is at the link we sent when the session started.",
            )

    def _forget(self, transaction_id: uuid.UUID) -> None:
        live = self._live.pop(transaction_id, None)
        if live is not None:
            for key, value in list(self._by_connector.items()):
                if value == transaction_id:
                    del self._by_connector[key]

    # ----- payment provider events --------------------------------------------------------------------------

    async def on_payment_event(self, event: PaymentEvent) -> None:
        """Webhooks: refunds and disputes are recorded on the session the payment belongs to.

        Stripe may deliver events late, twice and in any order: a refund's amount is cumulative, so the largest
        one seen stands, and a cancellation only releases a hold that is still held (a late one never turns a
        captured payment back into a released hold)."""
        if event.reference is None:
            return
        async with self._session_factory() as session, session.begin():
            records = (
                (
                    await session.execute(
                        select(ChargingSession)
                        .where(ChargingSession.payment_reference == event.reference)
                        .with_for_update()
                    )
                )
                .scalars()
                .all()
            )
            for record in records:
                if event.type == "charge.refunded":
                    record.payment_status = "refunded"
                    if event.amount_minor is not None:
                        record.refunded_minor = max(record.refunded_minor or 0, event.amount_minor)
                elif event.type == "charge.dispute.created":
                    record.payment_status = "disputed"
                elif event.type == "payment_intent.canceled" and record.payment_status == "held":
                    record.payment_status = "released"
                else:
                    continue
                record.updated_at = utc_now()


def _stop_reason(transaction: ChargingTransaction | None) -> str | None:
    if transaction is None or not transaction.stop_reason:
        return None
    return {
        "Local": "Stopped at the charger",
        "Remote": "Stopped from the app",
        "EVDisconnected": "Cable unplugged",
        "StopAuthorized": "Stopped at the charger",
        "EmergencyStop": "Emergency stop at the charger",
        "PowerLoss": "The charger lost power",
        "Reboot": "The charger restarted",
        "EnergyLimitReached": "Energy limit reached",
        "TimeLimitReached": "Time limit reached",
    }.get(transaction.stop_reason, transaction.stop_reason)
