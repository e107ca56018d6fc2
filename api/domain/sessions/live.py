"""A running session, from the charger's messages: the transaction started (linked to the app session that asked
for it, or an RFID session opened for the card's owner), meter values moving the live meter (loaded from the
store after a restart), charging states, the idle-fee warning and the transaction's end, which bills the session."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.db.models import ChargingSession, ChargingTransaction, Connector, Evse, Location, User
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.sessions.core import LiveSession, SessionCore
from api.domain.sessions.metering import SessionMeter, idle_fee_of, tariff_of
from api.metrics import instruments as metrics

logger = logging.getLogger(__name__)


class RoamingSessions(Protocol):
    """Roaming drivers' tokens (OCPI): the partner's columns of a session such a token starts."""

    async def session_columns(self, uid: str) -> dict[str, Any] | None: ...


class SessionLive(SessionCore):
    """Live metering of the sessions whose charger this process holds."""

    roaming_tokens: RoamingSessions | None = None  # set when OCPI partners' drivers may charge here

    # ----- live, from the charger's messages ----------------------------------------------------------------

    async def transaction_started(
        self,
        *,
        transaction_id: uuid.UUID,
        station_id: uuid.UUID,
        connector_id: int,
        ocpp_id: str,
        ocpp_transaction_id: str,
        id_token: str | None,
        user_id: uuid.UUID | None,
        started_at: datetime,
        meter_start_wh: float | None,
        accepted: bool,
    ) -> None:
        """Links the transaction to the app session that asked for it, or opens an RFID session for the card's
        owner; a transaction for an app session that already failed is stopped at once."""
        if id_token is None:
            return
        async with self._session_factory() as session:
            record = (
                await session.execute(
                    select(ChargingSession).where(
                        ChargingSession.id_token == id_token, ChargingSession.charging_station_id == station_id
                    )
                )
            ).scalar_one_or_none()
        if record is None:
            if user_id is not None and accepted:
                await self._open_rfid_session(
                    transaction_id, station_id, connector_id, id_token, user_id, started_at, meter_start_wh
                )
            elif accepted and self.roaming_tokens is not None:
                columns = await self.roaming_tokens.session_columns(id_token)
                if columns is not None:  # a roaming driver's card: the session is its eMSP's, billed by CDR
                    await self._open_rfid_session(
                        transaction_id, station_id, connector_id, id_token, None, started_at, meter_start_wh, columns
                    )
            return
        if record.transaction_id == transaction_id:
            return  # a replayed start
        if record.status != "starting" or not accepted:
            if record.status == "starting":
                await self._fail(record.id, "The charger did not accept the start.")
            elif record.transaction_id is None:
                logger.warning("transaction %s for a session that is over; stopping it", ocpp_transaction_id)
                self._spawn(self._remote_stop(ocpp_id, ocpp_transaction_id), f"stop stray {ocpp_transaction_id}")
            return
        async with self._lock(record.id), self._session_factory() as session, session.begin():
            record = await session.get(ChargingSession, record.id, with_for_update=True)
            if record is None or record.status != "starting":
                return
            record.status = "charging"
            record.transaction_id = transaction_id
            record.started_at = started_at
            record.updated_at = utc_now()
            row = await self._row(session, record)
            if self.roaming is not None:
                await self.roaming.session_changed(session, record)
            asked_charger = record.remote_start_id is not None
        if asked_charger and self.start_outcomes is not None:
            self.start_outcomes.start_settled(station_id, succeeded=True)
        self._attach(row, transaction_id, station_id, connector_id, started_at, meter_start_wh)

    async def _open_rfid_session(
        self,
        transaction_id: uuid.UUID,
        station_id: uuid.UUID,
        connector_id: int,
        id_token: str,
        user_id: uuid.UUID | None,
        started_at: datetime,
        meter_start_wh: float | None,
        roaming: dict[str, Any] | None = None,
    ) -> None:
        """A session for a card's owner, or (`roaming`: its OCPI columns) for an eMSP's driver."""
        now = utc_now()
        source = "ocpi" if roaming else "rfid"
        async with self._session_factory() as session:
            evse = (
                await session.execute(
                    select(Evse).where(Evse.charging_station_id == station_id, Evse.ocpp_evse_id == connector_id)
                )
            ).scalar_one_or_none()
            if evse is None:
                return
            location = await session.get(Location, evse.location_id)
            user = await session.get(User, user_id) if user_id is not None else None
            assert location is not None
            connectors = (await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars()
            tariff = self._tariff(location, [t for c in connectors for t in (c.tariff_ids or [])], now)
            record = ChargingSession(
                id=uuid.uuid4(),
                user_id=user_id,
                source=source,
                location_id=location.id,
                evse_id=evse.id,
                charging_station_id=station_id,
                connector_id=connector_id,
                id_token=id_token,
                transaction_id=transaction_id,
                status="charging",
                **self._price_terms(tariff, location, user.locale if user else "en"),
                started_at=started_at,
                created_at=now,
                updated_at=now,
                **(roaming or {}),
            )
            session.add(record)
            try:
                if roaming and self.roaming is not None:  # the eMSP hears of its driver's session
                    await session.flush()
                    await self.roaming.session_changed(session, record)
                await session.commit()
            except IntegrityError:
                logger.warning("RFID transaction %s on an EVSE another session holds; not tracked", transaction_id)
                return
            metrics.session_started(source)
            row = await self._row(session, record)
        self._attach(row, transaction_id, station_id, connector_id, started_at, meter_start_wh)

    def _attach(
        self,
        row: dict[str, Any],
        transaction_id: uuid.UUID,
        station_id: uuid.UUID,
        connector_id: int,
        started_at: datetime,
        meter_start_wh: float | None,
    ) -> None:
        meter = SessionMeter(tariff_of(row["tariff"]), row["time_zone"], idle_fee_of(row["idle_fee"]))
        meter.start(started_at, meter_start_wh)
        live = LiveSession(row, meter)
        self._live[transaction_id] = live
        self._by_connector[(station_id, connector_id)] = transaction_id
        self._no_session.discard(transaction_id)
        pending = self._loading.pop(transaction_id, None)
        for at, energy, power, soc in pending or ():
            meter.add(at, energy, power, soc)
        self._publish(live)

    def meter_values(self, transaction_id: uuid.UUID, samples: Any) -> None:
        """Readings of a running transaction: the live meter moves and the update is published at once."""
        if transaction_id in self._no_session:
            return
        readings = [(s.timestamp, s.energy_wh, s.power_w, s.soc_percent) for s in samples]
        live = self._live.get(transaction_id)
        if live is None:
            pending = self._loading.get(transaction_id)
            if pending is not None:
                pending.extend(readings)
                return
            self._loading[transaction_id] = readings
            self._spawn(self._load_live(transaction_id), f"load session of {transaction_id}")
            return
        for at, energy, power, soc in readings:
            live.meter.add(at, energy, power, soc)
        self._publish(live)
        self._check_idle(live)
        if self.roaming is not None and live.row.get("ocpi_partner_id") is not None:
            self.roaming.meter_progress(live.row, live.meter)

    async def _load_live(self, transaction_id: uuid.UUID) -> None:
        """After a restart (or a process change) the running session is rebuilt from what was stored."""
        try:
            async with self._session_factory() as session:
                record = (
                    await session.execute(
                        select(ChargingSession).where(
                            ChargingSession.transaction_id == transaction_id,
                            ChargingSession.status.in_(OPEN_STATUSES),
                        )
                    )
                ).scalar_one_or_none()
                if record is None:
                    self._loading.pop(transaction_id, None)
                    if len(self._no_session) > 50_000:
                        self._no_session.clear()
                    self._no_session.add(transaction_id)
                    return
                meter = await self._meter_from_store(session, record)
                row = await self._row(session, record)
                transaction = await session.get(ChargingTransaction, transaction_id)
        except Exception:
            self._loading.pop(transaction_id, None)
            raise
        assert meter is not None
        assert transaction is not None
        live = LiveSession(row, meter)
        self._live[transaction_id] = live
        self._by_connector[(transaction.charging_station_id, transaction.connector_id)] = transaction_id
        for at, energy, power, soc in self._loading.pop(transaction_id, None) or ():
            meter.add(at, energy, power, soc)
        self._publish(live)

    def charging_state(self, transaction_id: uuid.UUID, state: str) -> None:
        """2.0.1 chargingState: Charging, SuspendedEV, SuspendedEVSE, EVConnected, Idle."""
        live = self._live.get(transaction_id)
        if live is not None:
            self._state(live, state)

    def connector_status(self, station_id: uuid.UUID, connector_id: int, status: str) -> None:
        """1.6 StatusNotification of a connector with a running session."""
        transaction_id = self._by_connector.get((station_id, connector_id))
        live = self._live.get(transaction_id) if transaction_id is not None else None
        if live is not None:
            self._state(live, status)

    def _state(self, live: LiveSession, state: str) -> None:
        current = live.row["status"]
        if current not in ("charging", "suspended"):
            return
        new = {
            "Charging": "charging",
            "SuspendedEV": "suspended",
            "SuspendedEVSE": "suspended",
            "EVConnected": "suspended",
            "Idle": "suspended",
        }.get(state)
        if state == "SuspendedEV" and "complete" not in live.warned and live.meter.energy_wh > 0:
            live.warned.add("complete")
            self.notifier.send_later(
                session_id=live.row["id"],
                user_id=live.row["user_id"],
                kind="charging_complete",
                title="Charging complete",
                body=f"Your car has stopped taking energy after {live.meter.energy_wh / 1000:.1f} kWh. "
                "Please unplug and move it to avoid idle fees.",
            )
        if new is None or new == current:
            return
        live.row["status"] = new
        self._publish(live)
        self._spawn(self._store_status(live.row["id"], new), f"status of {live.row['id']}")

    async def _store_status(self, session_id: uuid.UUID, status: str) -> None:
        async with self._session_factory() as session, session.begin():
            await session.execute(
                update(ChargingSession)
                .where(ChargingSession.id == session_id, ChargingSession.status.in_(("charging", "suspended")))
                .values(status=status, updated_at=utc_now())
            )

    def _check_idle(self, live: LiveSession) -> None:
        fee = self.idle_fee
        if fee is None or "idle" in live.warned:
            return
        totals = live.meter.totals()
        if totals is None:
            return
        idle_seconds = totals.total_parking_time * 3600
        if idle_seconds > 0 and idle_seconds >= fee.grace_seconds - 300:
            live.warned.add("idle")
            self.notifier.send_later(
                session_id=live.row["id"],
                user_id=live.row["user_id"],
                kind="idle_fee_soon",
                title="Idle fee starts in 5 minutes",
                body=f"Please unplug: an idle fee of {fee.price_per_minute} {live.row['currency']} per minute "
                "starts in 5 minutes.",
            )

    async def transaction_ended(self, transaction_id: uuid.UUID) -> None:
        """The charger reported the end (stop from the app, at the charger, or unplugged): bill the session."""
        live = self._live.get(transaction_id)
        if live is not None:
            session_id: uuid.UUID | None = live.row["id"]
        else:
            async with self._session_factory() as session:
                session_id = (
                    await session.execute(
                        select(ChargingSession.id).where(ChargingSession.transaction_id == transaction_id)
                    )
                ).scalar_one_or_none()
        if session_id is not None:
            self._spawn(self.bill(session_id), f"bill {session_id}")
