"""Reconciliation, run periodically: fails starts that never happened, bills ended transactions that were not
billed (a restart in between), sends stops again to chargers that kept metering after them and closes sessions
whose charger never reported an end.

The money side (every bill matched to the payment provider's captures, refunds and disputes) is the report in
`api.domain.operations.money.reconciliation`; it lists the sessions this job has still to bill with
`ended_unbilled`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update

from api.db.models import ChargingSession, ChargingTransaction, MeterSampleRecord
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.sessions.core import SessionCore


def ended_unbilled(now: datetime) -> tuple[ColumnElement[bool], ...]:
    """Sessions (joined with their transaction) whose transaction ended but that were never billed: this job bills
    them, and the money reconciliation lists those still waiting. A transaction that ended in the last 5 seconds is
    left to the billing already on its way."""
    return (
        ChargingSession.status.in_(OPEN_STATUSES),
        ChargingSession.billed_at.is_(None),
        ChargingTransaction.status == "ended",
        ChargingTransaction.updated_at < now - timedelta(seconds=5),
    )


class SessionReconciliation(SessionCore):
    """Repairs sessions left behind by lost messages or restarts."""

    # ----- reconciliation -----------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        now = utc_now()
        start_deadline = now - timedelta(seconds=self.settings.session_start_timeout_seconds)
        stale = now - timedelta(hours=self.settings.session_stale_hours)
        async with self._session_factory() as session:
            late_starts = (
                (
                    await session.execute(
                        select(ChargingSession.id).where(
                            ChargingSession.status == "starting", ChargingSession.created_at < start_deadline
                        )
                    )
                )
                .scalars()
                .all()
            )
            unbilled = (
                (
                    await session.execute(
                        select(ChargingSession.id)
                        .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
                        .where(*ended_unbilled(now))
                    )
                )
                .scalars()
                .all()
            )
            abandoned = (
                await session.execute(
                    select(ChargingSession.id, ChargingSession.transaction_id)
                    .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
                    .where(
                        ChargingSession.status.in_(OPEN_STATUSES),
                        ChargingTransaction.status == "active",
                        ChargingTransaction.updated_at < stale,
                    )
                )
            ).all()
        seconds = self.settings.session_start_timeout_seconds
        for session_id in late_starts:
            await self._fail(session_id, f"The charger did not start charging within {seconds} seconds.")
        for session_id in unbilled:
            await self.bill(session_id)
        for session_id, transaction_id in abandoned:
            if transaction_id is not None:
                await self._close_abandoned(session_id, transaction_id)
        await self.retry_stuck_stops()

    async def _close_abandoned(self, session_id: uuid.UUID, transaction_id: uuid.UUID) -> None:
        hours = self.settings.session_stale_hours
        reason = f"Closed: the charger reported nothing about this session for {hours} hours"
        async with self._session_factory() as session, session.begin():
            transaction = await session.get(ChargingTransaction, transaction_id, with_for_update=True)
            if transaction is None or transaction.status != "active":
                return
            last = (
                await session.execute(
                    select(func.max(MeterSampleRecord.at)).where(MeterSampleRecord.transaction_id == transaction_id)
                )
            ).scalar_one_or_none()
            transaction.status = "ended"
            transaction.ended_at = last or transaction.started_at
            transaction.stop_reason = "Reconciled"
            transaction.updated_at = utc_now()
            await session.execute(
                update(ChargingSession).where(ChargingSession.id == session_id).values(stop_reason=reason[:120])
            )
        await self.bill(session_id)
