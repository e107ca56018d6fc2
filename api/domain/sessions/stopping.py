"""Stopping a session: the driver's stop, kept durable until the charger ends the transaction.

A stop turns the session `stopping` and hands the remote stop to the command relay, which retries it through
whichever process holds the charger until the charger answers or the transaction ends. The `stopping` row is
what keeps it durable: a charger attaching to any process is sent the stops it still owes (`owed_commands`),
a repeated stop sends again, and the reconciliation retries (and counts) sessions whose charger kept metering
well after their stop.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import uuid
from datetime import timedelta
from typing import Final

from sqlalchemy import select

from api.db.models import ChargingSession, ChargingStation, ChargingTransaction
from api.db.types import utc_now
from api.domain.chargers.relay import LocalCommandRelay, Owed, PostgresCommandRelay
from api.domain.sessions.core import SessionCore
from api.errors import NotFound
from api.metrics import instruments as metrics
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.commands import RemoteStop

logger = logging.getLogger(__name__)

STUCK_AFTER_SECONDS: Final = 20.0  # a charger still metering this long after the stop did not carry it out
OWED_FRESH_SECONDS: Final = 1.0  # the stops owed to chargers, read at most this often during a reconnect storm


def stop_key(session_id: uuid.UUID) -> str:
    return f"stop {session_id}"


class SessionStop(SessionCore):
    """The driver's stop and its delivery until the charger carries it out."""

    relay: LocalCommandRelay | PostgresCommandRelay | None = None  # set when the bridge runs in this process
    stuck_after_seconds: float = STUCK_AFTER_SECONDS
    _owed: tuple[float, dict[str, list[tuple[uuid.UUID, str]]]] | None = None  # (read at, stops by charger)
    _owed_lock: asyncio.Lock | None = None

    async def stop(self, record_id: uuid.UUID) -> None:
        """Idempotent for the session; a session already `stopping` is sent the stop again (the charger may have
        missed it), one that is over is left as it is."""
        async with self._session_factory() as session, session.begin():
            record = await session.get(ChargingSession, record_id, with_for_update=True)
            if record is None:
                raise NotFound("No such session.")
            if record.status == "starting":
                cancel = True
            elif record.status in ("charging", "suspended", "stopping"):
                cancel = False
                now = utc_now()
                if record.status != "stopping":
                    record.status = "stopping"
                    record.stop_requested_at = now
                record.updated_at = now
                transaction = (
                    await session.get(ChargingTransaction, record.transaction_id) if record.transaction_id else None
                )
                station = await session.get(ChargingStation, record.charging_station_id)
                ocpp_transaction = transaction.ocpp_transaction_id if transaction else None
                ocpp_id = station.ocpp_id if station else None
            else:
                return
        if cancel:
            await self._fail(record_id, "Cancelled before the charger started.")
            return
        live = self._live.get(record.transaction_id) if record.transaction_id else None
        if live is not None and live.row["status"] != "stopping":
            live.row["status"] = "stopping"
            self._publish(live)
        if ocpp_id and ocpp_transaction:
            self._send_stop(record_id, ocpp_id, ocpp_transaction)

    def _send_stop(self, session_id: uuid.UUID, ocpp_id: str, ocpp_transaction: str) -> None:
        if self.relay is not None:
            self.relay.deliver_later(ocpp_id, self._owed_stop(session_id, ocpp_transaction))
        elif self.send_command is not None:
            self._spawn(self._remote_stop(ocpp_id, ocpp_transaction), f"remote stop {session_id}")

    def _owed_stop(self, session_id: uuid.UUID, ocpp_transaction: str) -> Owed:
        return Owed(
            key=stop_key(session_id),
            request=RemoteStop(transaction_id=ocpp_transaction),
            wanted=functools.partial(self._stop_wanted, session_id),
        )

    async def _stop_wanted(self, session_id: uuid.UUID) -> bool:
        """The stop still matters: the session is stopping and its transaction has not ended."""
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(ChargingSession.status, ChargingTransaction.status)
                    .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
                    .where(ChargingSession.id == session_id)
                )
            ).one_or_none()
        return row is not None and row[0] == "stopping" and row[1] == "active"

    async def owed_commands(self, ocpp_id: str) -> list[Owed]:
        """The stops a charger has not carried out yet: sent to it as soon as it attaches to a process.

        Thousands of chargers attach within seconds after a network outage, so every stop owed to any charger is
        read in one query at most every `OWED_FRESH_SECONDS` rather than once per charger; a stop requested in
        between is delivered by its own retries."""
        if self._owed_lock is None:
            self._owed_lock = asyncio.Lock()
        async with self._owed_lock:
            if self._owed is None or time.monotonic() - self._owed[0] > OWED_FRESH_SECONDS:
                self._owed = (time.monotonic(), await self._read_owed())
            owed = self._owed[1].get(ocpp_id, [])
        return [self._owed_stop(session_id, ocpp_transaction) for session_id, ocpp_transaction in owed]

    async def _read_owed(self) -> dict[str, list[tuple[uuid.UUID, str]]]:
        async with self._session_factory() as session:
            rows = (
                await session.execute(
                    select(ChargingStation.ocpp_id, ChargingSession.id, ChargingTransaction.ocpp_transaction_id)
                    .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
                    .join(ChargingStation, ChargingStation.id == ChargingTransaction.charging_station_id)
                    .where(ChargingSession.status == "stopping", ChargingTransaction.status == "active")
                )
            ).all()
        owed: dict[str, list[tuple[uuid.UUID, str]]] = {}
        for ocpp_id, session_id, ocpp_transaction in rows:
            owed.setdefault(ocpp_id, []).append((session_id, ocpp_transaction))
        return owed

    async def _remote_stop(self, ocpp_id: str, ocpp_transaction: str) -> None:
        assert self.send_command is not None
        try:
            await self.send_command(ocpp_id, RemoteStop(transaction_id=ocpp_transaction))
        except ocpp_errors.OcppBridgeError as exc:
            logger.warning("remote stop of %s on %s failed: %s", ocpp_transaction, ocpp_id, exc)

    async def retry_stuck_stops(self) -> int:
        """Send the stop again for sessions whose charger (held by this process) kept metering well after it; each
        is logged and counted (`voltway_session_stop_retries_total`). Returns how many."""
        relay = self.relay
        if relay is None:
            return 0
        cutoff = utc_now() - timedelta(seconds=self.stuck_after_seconds)
        query = (
            select(
                ChargingSession.id,
                ChargingSession.stop_requested_at,
                ChargingStation.ocpp_id,
                ChargingTransaction.ocpp_transaction_id,
            )
            .join(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
            .join(ChargingStation, ChargingStation.id == ChargingTransaction.charging_station_id)
            .where(
                ChargingSession.status == "stopping",
                ChargingTransaction.status == "active",
                ChargingSession.stop_requested_at < cutoff,
                ChargingTransaction.updated_at > ChargingSession.stop_requested_at,  # still metering
            )
        )
        if isinstance(relay, PostgresCommandRelay):  # the holder retries; a charger offline is sent it on attach
            query = query.where(ChargingStation.held_by == relay.process_id)
        async with self._session_factory() as session:
            stuck = (await session.execute(query)).all()
        for session_id, requested_at, ocpp_id, ocpp_transaction in stuck:
            waited = (utc_now() - requested_at).total_seconds() if requested_at else 0.0
            logger.warning(
                "session %s is still metering %.0f s after its stop; sending the stop to %s again",
                session_id,
                waited,
                ocpp_id,
            )
            metrics.stop_retried()
            relay.deliver_later(ocpp_id, self._owed_stop(session_id, ocpp_transaction))
        return len(stuck)
