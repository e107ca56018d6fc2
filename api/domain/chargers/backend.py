"""The OCPP bridge's backend: what chargers say becomes stations, statuses, transactions and meter samples.

Calls for one charger arrive in order; different chargers run concurrently. Writes the map must see bump the
catalogue revision; meter samples are buffered and written in batches (see `meter_writer.py`); heartbeats
only move an in-memory `last_seen` that is written out every few seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime

import msgspec
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargerLogEntry, ChargingStation, ChargingTransaction, Evse, IdTokenRecord
from api.db.types import utc_now
from api.domain.chargers.credentials import verify_charger_secret
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.stations.store import bump_counter, bump_revision, touch_location
from api.periodic import Periodic
from ocpp_bridge.events import (
    AuthorizationRequested,
    BootReply,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerEvent,
    DataTransferReceived,
    DataTransferReply,
    DiagnosticsStatusChanged,
    EventsNotified,
    FirmwareStatusChanged,
    IdToken,
    IdTokenInfo,
    MeterValuesReceived,
    ReportReceived,
    SecurityEventReceived,
    StatusChanged,
    TransactionEnded,
    TransactionStarted,
    TransactionStartReply,
    TransactionUpdated,
)

logger = logging.getLogger(__name__)

TRANSACTION_COUNTER = "ocpp-transactions"
DIRECTORY_TTL_SECONDS = 60.0
LAST_SEEN_FLUSH_SECONDS = 5.0

# OCPP connector status (1.6 ChargePointStatus, 2.0.1 ConnectorStatus) -> OCPI EVSE status shown on the map.
OCPI_STATUS = {
    "Available": "AVAILABLE",
    "Preparing": "CHARGING",
    "Charging": "CHARGING",
    "SuspendedEV": "CHARGING",
    "SuspendedEVSE": "CHARGING",
    "Finishing": "CHARGING",
    "Occupied": "CHARGING",
    "Reserved": "RESERVED",
    "Unavailable": "INOPERATIVE",
    "Faulted": "OUTOFORDER",
}


class ChargerRef(msgspec.Struct, frozen=True):
    """What the backend needs about a provisioned charger, cached per process."""

    station_id: uuid.UUID
    location_id: uuid.UUID
    password_hash: str | None
    evses: dict[int, uuid.UUID]  # OCPP EVSE / connector number -> EVSE row
    loaded_at: float


class ActiveTransaction(msgspec.Struct):
    id: uuid.UUID
    meter_start_wh: float | None


class ChargerDirectory:
    """Provisioned chargers by OCPP identity; re-read after a minute so `voltway chargers add` takes effect."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._refs: dict[str, ChargerRef] = {}

    async def get(self, ocpp_id: str, *, fresh: bool = False) -> ChargerRef | None:
        ref = self._refs.get(ocpp_id)
        if ref is not None and not fresh and time.monotonic() - ref.loaded_at < DIRECTORY_TTL_SECONDS:
            return ref
        async with self._session_factory() as session:
            station = (
                await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id))
            ).scalar_one_or_none()
            if station is None:
                self._refs.pop(ocpp_id, None)
                return None
            rows = (
                await session.execute(
                    select(Evse.id, Evse.ocpp_evse_id).where(
                        Evse.charging_station_id == station.id, Evse.ocpp_evse_id.is_not(None)
                    )
                )
            ).all()
        ref = ChargerRef(
            station_id=station.id,
            location_id=station.location_id,
            password_hash=station.password_hash,
            evses={int(row.ocpp_evse_id): row.id for row in rows},
            loaded_at=time.monotonic(),
        )
        self._refs[ocpp_id] = ref
        return ref

    async def require(self, ocpp_id: str) -> ChargerRef:
        ref = await self.get(ocpp_id)
        if ref is None:
            raise LookupError(f"charger {ocpp_id!r} is not provisioned")
        return ref


class CsmsService:
    """Implements `ocpp_bridge.ports.CsmsBackend` on the database."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        heartbeat_interval: int,
        meter_writer: MeterSampleWriter,
    ) -> None:
        self._session_factory = session_factory
        self._heartbeat_interval = heartbeat_interval
        self.directory = ChargerDirectory(session_factory)
        self.meters = meter_writer
        self._transactions: dict[tuple[uuid.UUID, str], ActiveTransaction] = {}
        self._last_seen: dict[uuid.UUID, datetime] = {}
        self._flusher = Periodic("ocpp-last-seen", LAST_SEEN_FLUSH_SECONDS, self.flush_last_seen)

    # ----- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.meters.start()
        self._flusher.start()

    async def stop(self) -> None:
        await self._flusher.stop()
        await self.flush_last_seen()
        await self.meters.stop()

    async def flush_last_seen(self) -> None:
        if not self._last_seen:
            return
        pending, self._last_seen = self._last_seen, {}
        async with self._session_factory() as session:
            await session.execute(
                update(ChargingStation), [{"id": station_id, "last_seen": at} for station_id, at in pending.items()]
            )
            await session.commit()

    def _seen(self, ref: ChargerRef, at: datetime) -> None:
        previous = self._last_seen.get(ref.station_id)
        if previous is None or at > previous:
            self._last_seen[ref.station_id] = at

    # ----- port: credentials -------------------------------------------------------------------

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        ref = await self.directory.get(charger_id)
        if ref is not None and verify_charger_secret(ref.password_hash, password):
            return True
        # The secret may have been changed by `voltway chargers add` since it was cached.
        fresh = await self.directory.get(charger_id, fresh=True)
        return fresh is not None and verify_charger_secret(fresh.password_hash, password)

    # ----- port: events without a reply ---------------------------------------------------------

    async def on_event(self, event: ChargerEvent) -> None:
        ref = await self.directory.require(event.charger_id)
        if isinstance(event, ChargerConnected):
            self._seen(ref, event.at)
        elif isinstance(event, ChargerDisconnected):
            await self.flush_last_seen()
        elif isinstance(event, StatusChanged):
            self._seen(ref, event.received_at)
            await self._status_changed(ref, event)
        elif isinstance(event, MeterValuesReceived):
            self._seen(ref, event.received_at)
            if event.transaction_id is not None:
                transaction = await self._transaction(ref, event.transaction_id)
                if transaction is not None:
                    self.meters.add(transaction.id, transaction.meter_start_wh, event.samples)
        elif isinstance(
            event,
            FirmwareStatusChanged | DiagnosticsStatusChanged | SecurityEventReceived | EventsNotified | ReportReceived,
        ):
            self._seen(ref, event.received_at)
            await self._log(ref, type(event).__name__, event.received_at, msgspec.to_builtins(event))
        else:
            received = getattr(event, "received_at", None)
            if isinstance(received, datetime):
                self._seen(ref, received)

    async def _status_changed(self, ref: ChargerRef, event: StatusChanged) -> None:
        if event.connector_id == 0:
            if event.error_code not in (None, "NoError") or event.status == "Faulted":
                await self._log(ref, "ChargerFault", event.timestamp, msgspec.to_builtins(event))
            return
        evse_id = ref.evses.get(event.connector_id)
        if evse_id is None:
            ref = await self.directory.get(event.charger_id, fresh=True) or ref
            evse_id = ref.evses.get(event.connector_id)
        if evse_id is None:
            logger.warning(
                "status for an EVSE that is not provisioned",
                extra={"charger_id": event.charger_id, "connector_id": event.connector_id},
            )
            return
        status = OCPI_STATUS.get(event.status, "UNKNOWN")
        error = event.error_code if event.error_code not in (None, "NoError") else None
        async with self._session_factory() as session:
            current = (
                await session.execute(select(Evse.status_updated_at, Evse.status_source).where(Evse.id == evse_id))
            ).one()
            if current.status_source == "live" and current.status_updated_at > event.timestamp:
                return  # a replayed, older status must not overwrite a newer one
            revision = await bump_revision(session)
            now = utc_now()
            await session.execute(
                update(Evse)
                .where(Evse.id == evse_id)
                .values(
                    status=status,
                    ocpp_status=event.status,
                    error_code=error,
                    status_source="live",
                    status_updated_at=event.timestamp,
                    last_updated=now,
                )
            )
            await touch_location(session, ref.location_id, revision, now)
            if error:
                session.add(
                    ChargerLogEntry(
                        charging_station_id=ref.station_id,
                        kind="ConnectorFault",
                        at=event.timestamp,
                        detail=msgspec.to_builtins(event),
                    )
                )
            await session.commit()

    async def _log(self, ref: ChargerRef, kind: str, at: datetime, detail: dict[str, object]) -> None:
        async with self._session_factory() as session:
            session.add(ChargerLogEntry(charging_station_id=ref.station_id, kind=kind, at=at, detail=detail))
            await session.commit()

    # ----- port: calls with replies ------------------------------------------------------------

    async def on_charger_booted(self, event: ChargerBooted) -> BootReply:
        ref = await self.directory.require(event.charger_id)
        async with self._session_factory() as session:
            await session.execute(
                update(ChargingStation)
                .where(ChargingStation.id == ref.station_id)
                .values(
                    vendor=event.vendor[:50],
                    model=event.model[:50],
                    firmware_version=(event.firmware_version or "")[:50] or None,
                    serial_number=(event.serial_number or "")[:50] or None,
                    ocpp_version=event.ocpp_version,
                    last_seen=event.received_at,
                )
            )
            await session.commit()
        return BootReply(status="Accepted", interval=self._heartbeat_interval)

    async def _authorize(self, session: AsyncSession, token: IdToken | None) -> tuple[IdTokenInfo, uuid.UUID | None]:
        if token is None:
            return IdTokenInfo(status="Accepted"), None
        record = (
            await session.execute(select(IdTokenRecord).where(IdTokenRecord.uid == token.id_token))
        ).scalar_one_or_none()
        if record is None:
            return IdTokenInfo(status="Invalid"), None
        if record.status != "Accepted":
            return IdTokenInfo(status="Blocked"), record.user_id
        return IdTokenInfo(status="Accepted"), record.user_id

    async def on_authorization_requested(self, event: AuthorizationRequested) -> IdTokenInfo:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        async with self._session_factory() as session:
            info, _ = await self._authorize(session, event.id_token)
        return info

    async def _transaction(self, ref: ChargerRef, ocpp_transaction_id: str) -> ActiveTransaction | None:
        key = (ref.station_id, ocpp_transaction_id)
        cached = self._transactions.get(key)
        if cached is not None:
            return cached
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(ChargingTransaction.id, ChargingTransaction.meter_start_wh).where(
                        ChargingTransaction.charging_station_id == ref.station_id,
                        ChargingTransaction.ocpp_transaction_id == ocpp_transaction_id,
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        found = ActiveTransaction(id=row.id, meter_start_wh=row.meter_start_wh)
        self._transactions[key] = found
        return found

    async def on_transaction_started(self, event: TransactionStarted) -> TransactionStartReply:
        """Idempotent: a replayed start (same charger, connector and start time, or same id) gets the same answer."""
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        async with self._session_factory() as session:
            info, user_id = await self._authorize(session, event.id_token)
            query = select(ChargingTransaction).where(ChargingTransaction.charging_station_id == ref.station_id)
            if event.transaction_id is not None:
                query = query.where(ChargingTransaction.ocpp_transaction_id == event.transaction_id)
            else:
                query = query.where(
                    ChargingTransaction.connector_id == event.connector_id,
                    ChargingTransaction.started_at == event.timestamp,
                )
            existing = (await session.execute(query)).scalar_one_or_none()
            if existing is None:
                ocpp_id = event.transaction_id or str(await bump_counter(session, TRANSACTION_COUNTER))
                existing = ChargingTransaction(
                    id=uuid.uuid4(),
                    charging_station_id=ref.station_id,
                    evse_id=ref.evses.get(event.connector_id),
                    connector_id=event.connector_id,
                    ocpp_transaction_id=ocpp_id,
                    id_token=event.id_token.id_token if event.id_token else None,
                    user_id=user_id,
                    started_at=event.timestamp,
                    meter_start_wh=event.meter_start_wh,
                    charging_state=event.charging_state,
                    status="active" if info.status == "Accepted" else "rejected",
                    updated_at=utc_now(),
                )
                session.add(existing)
                await session.commit()
            active = ActiveTransaction(id=existing.id, meter_start_wh=existing.meter_start_wh)
            self._transactions[(ref.station_id, existing.ocpp_transaction_id)] = active
        if event.samples:
            self.meters.add(active.id, active.meter_start_wh, event.samples)
        numeric = int(existing.ocpp_transaction_id) if existing.ocpp_transaction_id.isdigit() else None
        return TransactionStartReply(id_token_info=info if event.id_token else None, transaction_id=numeric)

    async def on_transaction_updated(self, event: TransactionUpdated) -> IdTokenInfo | None:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        transaction = await self._transaction(ref, event.transaction_id)
        if transaction is None:
            logger.warning(
                "update for an unknown transaction",
                extra={"charger_id": event.charger_id, "transaction_id": event.transaction_id},
            )
        else:
            if event.samples:
                self.meters.add(transaction.id, transaction.meter_start_wh, event.samples)
            if event.charging_state is not None:
                self.meters.set_state(transaction.id, event.charging_state)
        return await self._token_verdict(event.id_token)

    async def _token_verdict(self, token: IdToken | None) -> IdTokenInfo | None:
        """What a transaction message that carries an id token gets back about it."""
        if token is None:
            return None
        async with self._session_factory() as session:
            info, _ = await self._authorize(session, token)
        return info

    async def on_transaction_ended(self, event: TransactionEnded) -> IdTokenInfo | None:
        """Idempotent: a replayed stop changes nothing; samples it carries are kept (duplicates ignored)."""
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        transaction = await self._transaction(ref, event.transaction_id)
        if transaction is None:
            logger.warning(
                "stop for an unknown transaction",
                extra={"charger_id": event.charger_id, "transaction_id": event.transaction_id},
            )
        else:
            if event.samples:
                self.meters.add(transaction.id, transaction.meter_start_wh, event.samples)
            await self.meters.flush()
            await self._finish(transaction, event)
            self._transactions.pop((ref.station_id, event.transaction_id), None)
        return await self._token_verdict(event.id_token)

    async def _finish(self, transaction: ActiveTransaction, event: TransactionEnded) -> None:
        async with self._session_factory() as session:
            row = await session.get(ChargingTransaction, transaction.id)
            if row is None or row.status == "ended":
                return
            stop = event.meter_stop_wh
            if stop is None:
                stop = max((s.energy_wh for s in event.samples if s.energy_wh is not None), default=None)
            row.ended_at = event.timestamp
            row.meter_stop_wh = stop
            if stop is not None and row.meter_start_wh is not None:
                row.energy_wh = max(0.0, stop - row.meter_start_wh)
            row.stop_reason = (event.reason or event.trigger_reason or "")[:40] or None
            row.charging_state = event.charging_state or row.charging_state
            row.status = "ended"
            row.updated_at = utc_now()
            await session.commit()

    async def on_data_transfer(self, event: DataTransferReceived) -> DataTransferReply:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        await self._log(ref, "DataTransfer", event.received_at, msgspec.to_builtins(event))
        return DataTransferReply(status="UnknownVendorId")
