"""The OCPP bridge's backend: what chargers say becomes stations, statuses, transactions and meter samples.

Calls for one charger arrive in order; different chargers run concurrently. The charger directory is held in
memory, so credential checks and messages of known chargers do not wait on the database. What the map shows
(statuses, boot details, faults) is buffered and written in batches with one catalogue revision per flush
(see `live_writer.py`); meter samples likewise (see `meter_writer.py`); heartbeats only move an in-memory
`last_seen` that is written out every few seconds. Hot paths use Core statements, not ORM objects.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargerLogEntry,
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Evse,
    IdTokenRecord,
    MeterSampleRecord,
)
from api.db.types import utc_now
from api.domain.chargers.authorisation import (
    UNAUTHORISED_STOP,
    UNKNOWN,
    TokenRecord,
    TokenVerdict,
    start_verdict,
    stop_verdict,
    verdict,
)
from api.domain.chargers.certificates import ChargerSecurity
from api.domain.chargers.charging_profiles import record_smart_charging_event
from api.domain.chargers.clock import DEFAULT_FUTURE_MARGIN_SECONDS, ChargerClock
from api.domain.chargers.device_records import DEVICE_MODEL_EVENTS, record_device_event
from api.domain.chargers.live_writer import LiveStateWriter, chunks, lock_stations, table_of
from api.domain.chargers.meter_writer import MeterSampleWriter
from api.domain.chargers.observer import EndedTransactions, TransactionObserver
from api.domain.chargers.problems import ProblemObserver, fault_of, offline_of, problem_events_of
from api.domain.chargers.registration import RegistrationPolicy, Registrations
from api.domain.chargers.reservations import consume_reservation, reservation_status_changed
from api.domain.stations.store import bump_counter
from api.periodic import Periodic
from ocpp_bridge.events import (
    SMART_CHARGING_EVENTS,
    AuthorizationRequested,
    BootReply,
    CertificateSigningReply,
    CertificateSigningRequested,
    CertificateStatusReply,
    CertificateStatusRequested,
    ChargerBooted,
    ChargerConnected,
    ChargerDisconnected,
    ChargerEvent,
    ContractCertificatesPresented,
    ContractCertificateStatus,
    DataTransferReceived,
    DataTransferReply,
    DiagnosticsStatusChanged,
    EvCertificateReply,
    EvCertificateRequested,
    FirmwareStatusChanged,
    IdToken,
    IdTokenInfo,
    MeterSample,
    MeterValuesReceived,
    ReservationStatusChanged,
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
DIRECTORY_PAGE = 2000
LAST_SEEN_FLUSH_SECONDS = 5.0
TOKEN_TTL_SECONDS = 2.0  # `voltway tokens block` takes effect within this
TOKEN_CACHE_SIZE = 10_000

_stations = table_of(ChargingStation)
_evse_table = table_of(Evse)
_log_table = table_of(ChargerLogEntry)
_tokens_table = table_of(IdTokenRecord)
_transactions_table = table_of(ChargingTransaction)
_LAST_SEEN_UPDATE = update(_stations).where(_stations.c.id == bindparam("b_id")).values(last_seen=bindparam("b_seen"))
_CLOCK_UPDATE = (
    update(_stations).where(_stations.c.id == bindparam("b_id")).values(clock_offset_seconds=bindparam("b_offset"))
)

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


class RoamingTokens(Protocol):
    """Tokens of other networks' drivers (OCPI eMSPs): asked about uids that are not our own cards."""

    async def verdict(self, uid: str, location_id: uuid.UUID | None = None) -> TokenVerdict | None: ...


class ChargerRef(msgspec.Struct, frozen=True):
    """What the backend needs about a provisioned charger, cached per process."""

    station_id: uuid.UUID
    location_id: uuid.UUID
    password_hash: str | None
    evses: dict[int, uuid.UUID]  # OCPP EVSE / connector number -> EVSE row
    provisioned_at: datetime | None = None
    clock_offset_seconds: float | None = None
    registration_status: str = "accepted"  # accepted, pending or blocked (see registration.py)
    pending_password_hash: str | None = None  # a rotated secret the charger has not connected with yet


_REF_COLUMNS = (
    _stations.c.id,
    _stations.c.location_id,
    _stations.c.password_hash,
    _stations.c.created_at,
    _stations.c.clock_offset_seconds,
    _stations.c.registration_status,
    _stations.c.pending_password_hash,
)


def _ref(station_id: uuid.UUID, columns: list[Any], evses: dict[int, uuid.UUID]) -> ChargerRef:
    location_id, password_hash, provisioned_at, offset, registration, pending = columns
    return ChargerRef(station_id, location_id, password_hash, evses, provisioned_at, offset, registration, pending)


class ActiveTransaction(msgspec.Struct):
    id: uuid.UUID
    meter_start_wh: float | None
    id_token: str | None = None  # the token that started it, against which a stopping token is checked


def _older_open(ref: ChargerRef, event: TransactionStarted, keep: uuid.UUID) -> Any:
    """Open transactions on the event's connector begun before it, by the charger's own stamps (so a start replayed
    late never ends the transaction that followed it)."""
    columns = _transactions_table.c
    return select(columns.id, columns.ocpp_transaction_id).where(
        columns.charging_station_id == ref.station_id,
        columns.connector_id == event.connector_id,
        columns.status == "active",
        columns.id != keep,
        columns.charger_started_at <= event.timestamp,
    )


class ChargerDirectory:
    """Provisioned chargers by OCPP identity, all in memory: a connection or a message from a known charger never
    waits on the database.

    The whole directory is read at start and re-read every `DIRECTORY_TTL_SECONDS` in pages (so a changed
    secret or EVSE takes effect); an unknown identity, a wrong password or an unknown EVSE number re-reads
    that one charger at once, so `voltway chargers add` works without a restart.
    """

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        self._refs: dict[str, ChargerRef] = {}

    def __len__(self) -> int:
        return len(self._refs)

    def cached(self, ocpp_id: str) -> ChargerRef | None:
        return self._refs.get(ocpp_id)

    async def load_all(self) -> None:
        """Read every charger, a page at a time (the event loop keeps serving between pages)."""
        seen: set[str] = set()
        after = ""
        while True:
            async with self._session_factory() as session:
                stations = (
                    await session.execute(
                        select(_stations.c.ocpp_id, *_REF_COLUMNS)
                        .where(_stations.c.ocpp_id > after)
                        .order_by(_stations.c.ocpp_id)
                        .limit(DIRECTORY_PAGE)
                    )
                ).all()
                if not stations:
                    break
                evses = await self._evses(session, [row[1] for row in stations])
            for ocpp_id, station_id, *columns in stations:
                self._refs[ocpp_id] = _ref(station_id, columns, evses.get(station_id, {}))
                seen.add(ocpp_id)
            after = stations[-1][0]
            if len(stations) < DIRECTORY_PAGE:
                break
            await asyncio.sleep(0)
        for gone in [ocpp_id for ocpp_id in self._refs if ocpp_id not in seen]:
            self._refs.pop(gone, None)

    @staticmethod
    async def _evses(session: AsyncSession, station_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[int, uuid.UUID]]:
        found: dict[uuid.UUID, dict[int, uuid.UUID]] = {}
        for part in chunks(station_ids):
            rows = await session.execute(
                select(_evse_table.c.charging_station_id, _evse_table.c.ocpp_evse_id, _evse_table.c.id).where(
                    _evse_table.c.charging_station_id.in_(part), _evse_table.c.ocpp_evse_id.is_not(None)
                )
            )
            for station_id, number, evse_id in rows:
                found.setdefault(station_id, {})[int(number)] = evse_id
        return found

    async def get(self, ocpp_id: str, *, fresh: bool = False) -> ChargerRef | None:
        ref = self._refs.get(ocpp_id)
        if ref is not None and not fresh:
            return ref
        async with self._session_factory() as session:
            station = (await session.execute(select(*_REF_COLUMNS).where(_stations.c.ocpp_id == ocpp_id))).one_or_none()
            if station is None:
                self._refs.pop(ocpp_id, None)
                return None
            evses = await self._evses(session, [station[0]])
        station_id, *columns = station
        ref = _ref(station_id, columns, evses.get(station_id, {}))
        self._refs[ocpp_id] = ref
        return ref

    async def require(self, ocpp_id: str) -> ChargerRef:
        ref = self._refs.get(ocpp_id) or await self.get(ocpp_id)
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
        live_writer: LiveStateWriter | None = None,
        clock_future_margin_seconds: float = DEFAULT_FUTURE_MARGIN_SECONDS,
        security: ChargerSecurity | None = None,
        master_pass_group_id: str = "",
        registration_policy: RegistrationPolicy | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.master_pass_group_id = master_pass_group_id
        self._clock_future_margin = clock_future_margin_seconds
        self._clocks: dict[uuid.UUID, ChargerClock] = {}
        self._offsets: dict[uuid.UUID, float | None] = {}  # changed clock offsets, written with last_seen
        self._heartbeat_interval = heartbeat_interval
        self.directory = ChargerDirectory(session_factory)
        self.security = security or ChargerSecurity(session_factory, self.directory)
        self.meters = meter_writer
        self.live = live_writer or LiveStateWriter(session_factory)
        self._owns_live = live_writer is None
        self.observer: TransactionObserver | None = None
        self.ended: EndedTransactions | None = None  # told once an ended transaction is stored (performance)
        self.problems: ProblemObserver | None = None  # faults and lost connections, for the support desk
        self.roaming: RoamingTokens | None = None  # roaming drivers' tokens (OCPI), consulted for unknown uids
        self._transactions: dict[tuple[uuid.UUID, str], ActiveTransaction] = {}
        self._last_seen: dict[uuid.UUID, datetime] = {}
        self._tokens: dict[str, tuple[float, TokenVerdict]] = {}
        self._flusher = Periodic("ocpp-last-seen", LAST_SEEN_FLUSH_SECONDS, self.flush_last_seen)
        self._refresher = Periodic("ocpp-charger-directory", DIRECTORY_TTL_SECONDS, self.directory.load_all)
        self.registrations = Registrations(self.directory, session_factory, registration_policy)

    # ----- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        await self.directory.load_all()
        await self.meters.start()
        if self._owns_live:
            await self.live.start()
        self._flusher.start()
        self._refresher.start()

    async def stop(self) -> None:
        await self.security.stop()
        await self._refresher.stop()
        await self._flusher.stop()
        await self.flush_last_seen()
        if self._owns_live:
            await self.live.stop()
        await self.meters.stop()

    async def flush_last_seen(self) -> None:
        """Write when each charger was last heard and the clock offsets that changed."""
        if not self._last_seen and not self._offsets:
            return
        pending, self._last_seen = self._last_seen, {}
        offsets, self._offsets = self._offsets, {}
        try:
            rows = [{"b_id": station_id, "b_seen": at} for station_id, at in sorted(pending.items())]
            clock_rows = [{"b_id": station_id, "b_offset": offset} for station_id, offset in sorted(offsets.items())]
            async with self._session_factory() as session, session.begin():
                await lock_stations(session, [*pending, *offsets])  # the one lock order of every station writer
                for part in chunks(rows):  # the event loop serves messages between the pieces
                    await session.execute(_LAST_SEEN_UPDATE, part)
                for part in chunks(clock_rows):
                    await session.execute(_CLOCK_UPDATE, part)
        except Exception:
            for station_id, at in pending.items():
                previous = self._last_seen.get(station_id)
                if previous is None or at > previous:
                    self._last_seen[station_id] = at
            for station_id, offset in offsets.items():
                self._offsets.setdefault(station_id, offset)
            raise

    # ----- charger clocks ----------------------------------------------------------------------

    def clock(self, ref: ChargerRef, charger_id: str) -> ChargerClock:
        """The charger's clock, seeded with the offset stored by whichever process heard it before."""
        clock = self._clocks.get(ref.station_id)
        if clock is None:
            clock = ChargerClock(
                charger_id,
                ref.provisioned_at,
                offset_seconds=ref.clock_offset_seconds,
                future_margin_seconds=self._clock_future_margin,
            )
            self._clocks[ref.station_id] = clock
        return clock

    def _learn(self, ref: ChargerRef, charger_id: str, stamped: datetime, arrived: datetime) -> ChargerClock:
        """Teach the charger's clock a live stamp (not one queued while offline); a changed offset is stored."""
        clock = self.clock(ref, charger_id)
        if clock.observe(stamped, arrived):
            self._offsets[ref.station_id] = clock.offset
        return clock

    def _place(
        self, ref: ChargerRef, charger_id: str, stamped: datetime, arrived: datetime, *, live: bool = True
    ) -> datetime:
        """`stamped` on our timeline; a `live` stamp also teaches the clock first."""
        clock = self._learn(ref, charger_id, stamped, arrived) if live else self.clock(ref, charger_id)
        return clock.place(stamped, arrived)

    def _placed_samples(
        self, ref: ChargerRef, charger_id: str, samples: tuple[MeterSample, ...], arrived: datetime
    ) -> tuple[MeterSample, ...]:
        """The samples with their timestamps on our timeline (the clock learns from the message's own stamp)."""
        if not samples:
            return samples
        clock = self.clock(ref, charger_id)
        placed = []
        for sample in samples:
            at = clock.place(sample.timestamp, arrived)
            placed.append(sample if at == sample.timestamp else msgspec.structs.replace(sample, timestamp=at))
        return tuple(placed)

    def _seen(self, ref: ChargerRef, at: datetime) -> None:
        previous = self._last_seen.get(ref.station_id)
        if previous is None or at > previous:
            self._last_seen[ref.station_id] = at

    # ----- port: credentials -------------------------------------------------------------------

    async def check_credentials(self, charger_id: str, password: str | None) -> bool:
        return await self.registrations.check_credentials(charger_id, password)

    # ----- port: events without a reply ---------------------------------------------------------

    async def on_event(self, event: ChargerEvent) -> None:
        ref = await self.directory.require(event.charger_id)
        if isinstance(event, ChargerConnected):
            self._seen(ref, event.at)
        elif isinstance(event, ChargerDisconnected):
            self._flusher.wake()
            if self.problems is not None and (offline := offline_of(ref, event)) is not None:
                self.problems.charger_problem(offline)
        elif isinstance(event, StatusChanged):
            self._seen(ref, event.received_at)
            await self._status_changed(ref, event)
        elif isinstance(event, MeterValuesReceived):
            self._seen(ref, event.received_at)
            if event.samples:  # the newest reading of a message teaches the clock
                newest = max(sample.timestamp for sample in event.samples)
                self._learn(ref, event.charger_id, newest, event.received_at)
            if event.transaction_id is not None:
                transaction = await self._transaction(ref, event.transaction_id)
                if transaction is not None:
                    placed = self._placed_samples(ref, event.charger_id, event.samples, event.received_at)
                    self.meters.add(transaction.id, transaction.meter_start_wh, event.samples, placed)
                    self._observe_samples(transaction.id, placed)
        elif isinstance(event, SecurityEventReceived):
            self._seen(ref, event.received_at)
            at = self._place(ref, event.charger_id, event.timestamp, event.received_at)
            await self._log(ref, type(event).__name__, at, msgspec.to_builtins(event))
            await self.security.on_security_event(ref.station_id, event)
        elif isinstance(event, ReservationStatusChanged):
            self._seen(ref, event.received_at)
            await reservation_status_changed(self._session_factory, ref.station_id, event.reservation_id, event.status)
        elif isinstance(event, DEVICE_MODEL_EVENTS):
            self._seen(ref, event.received_at)
            await record_device_event(self._session_factory, ref.station_id, event)
            if self.problems is not None:
                for problem in problem_events_of(ref, event):
                    self.problems.charger_problem(problem)
        elif isinstance(event, FirmwareStatusChanged | DiagnosticsStatusChanged):
            self._seen(ref, event.received_at)
            await self._log(ref, type(event).__name__, event.received_at, msgspec.to_builtins(event))
            if isinstance(event, DiagnosticsStatusChanged):
                await record_device_event(self._session_factory, ref.station_id, event)
        elif isinstance(event, SMART_CHARGING_EVENTS):
            self._seen(ref, event.received_at)
            await record_smart_charging_event(self._session_factory, ref.station_id, event)
        else:
            received = getattr(event, "received_at", None)
            if isinstance(received, datetime):
                self._seen(ref, received)

    def _observe_samples(self, transaction_id: uuid.UUID, samples: tuple[MeterSample, ...]) -> None:
        if self.observer is not None and samples:
            try:
                self.observer.meter_values(transaction_id, samples)
            except Exception:
                logger.exception("session update failed", extra={"transaction_id": str(transaction_id)})

    async def _status_changed(self, ref: ChargerRef, event: StatusChanged) -> None:
        """Buffered for the live-state writer, which keeps the newest per EVSE by the charger's own timestamps."""
        if self.observer is not None and event.connector_id:
            try:
                self.observer.connector_status(ref.station_id, event.connector_id, event.status)
            except Exception:
                logger.exception("session status update failed", extra={"charger_id": event.charger_id})
        error = event.error_code if event.error_code not in (None, "NoError") else None
        at = self._place(ref, event.charger_id, event.timestamp, event.received_at)
        if self.problems is not None and (fault := fault_of(ref, event, at)) is not None:
            self.problems.charger_problem(fault)
        if event.connector_id == 0:
            if error is not None or event.status == "Faulted":
                self.live.charger_fault(ref.station_id, at, msgspec.to_builtins(event))
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
        self.live.status(
            station_id=ref.station_id,
            evse_id=evse_id,
            location_id=ref.location_id,
            status=OCPI_STATUS.get(event.status, "UNKNOWN"),
            ocpp_status=event.status,
            error_code=error,
            at=at,
            fault=msgspec.to_builtins(event) if error else None,
        )

    async def _log(self, ref: ChargerRef, kind: str, at: datetime, detail: dict[str, object]) -> None:
        async with self._session_factory() as session, session.begin():
            await session.execute(
                insert(_log_table).values(charging_station_id=ref.station_id, kind=kind, at=at, detail=detail)
            )

    # ----- port: calls with replies ------------------------------------------------------------

    async def on_charger_booted(self, event: ChargerBooted) -> BootReply:
        ref = await self.directory.require(event.charger_id)
        self.live.booted(
            ref.station_id,
            vendor=event.vendor[:50],
            model=event.model[:50],
            firmware_version=(event.firmware_version or "")[:50] or None,
            serial_number=(event.serial_number or "")[:50] or None,
            ocpp_version=event.ocpp_version,
            at=event.received_at,
        )
        if not self.live.running:
            await self.live.flush()
        return await self.registrations.boot_reply(event.charger_id, ref, self._heartbeat_interval)

    async def _verdict(self, token: IdToken | None, location_id: uuid.UUID | None = None) -> TokenVerdict:
        """The verdict on a token, remembered for `TOKEN_TTL_SECONDS`: a blocked card is refused within seconds.

        A uid that is none of our cards may be a roaming driver's (`roaming`), asked about at this location."""
        if token is None or token.token_type == "NoAuthorization":  # 2.0.1: a free-vend charger names no one
            return TokenVerdict(IdTokenInfo(status="Accepted"))
        now = time.monotonic()
        cached = self._tokens.get(token.id_token)
        if cached is not None and cached[0] > now:
            return cached[1]
        columns = _tokens_table.c
        async with self._session_factory() as session:
            record = (
                await session.execute(
                    select(columns.status, columns.user_id, columns.expires_at, columns.group_id).where(
                        columns.uid == token.id_token
                    )
                )
            ).one_or_none()
        found = UNKNOWN if record is None else verdict(TokenRecord(*record), utc_now())
        if record is None and self.roaming is not None:
            found = await self.roaming.verdict(token.id_token, location_id) or UNKNOWN
        if len(self._tokens) >= TOKEN_CACHE_SIZE:
            self._tokens = {uid: entry for uid, entry in self._tokens.items() if entry[0] > now}
        self._tokens[token.id_token] = (now + TOKEN_TTL_SECONDS, found)
        return found

    async def _authorize(self, token: IdToken | None) -> tuple[IdTokenInfo, uuid.UUID | None]:
        found = await self._verdict(token)
        return found.info, found.user_id

    async def on_authorization_requested(self, event: AuthorizationRequested) -> IdTokenInfo:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        return (await self._verdict(event.id_token, ref.location_id)).info

    async def _transaction(self, ref: ChargerRef, ocpp_transaction_id: str) -> ActiveTransaction | None:
        key = (ref.station_id, ocpp_transaction_id)
        cached = self._transactions.get(key)
        if cached is not None:
            return cached
        columns = _transactions_table.c
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(columns.id, columns.meter_start_wh, columns.id_token).where(
                        columns.charging_station_id == ref.station_id,
                        columns.ocpp_transaction_id == ocpp_transaction_id,
                    )
                )
            ).one_or_none()
        if row is None:
            return None
        found = ActiveTransaction(id=row[0], meter_start_wh=row[1], id_token=row[2])
        self._transactions[key] = found
        return found

    async def _remote_start_token(self, ref: ChargerRef, remote_start_id: int) -> IdToken | None:
        """The token of our RequestStartTransaction with this remoteStartId (2.0.1 starts may omit the token)."""
        async with self._session_factory() as session:
            uid = (
                await session.execute(
                    select(ChargingSession.id_token)
                    .where(
                        ChargingSession.charging_station_id == ref.station_id,
                        ChargingSession.remote_start_id == remote_start_id,
                    )
                    .order_by(ChargingSession.created_at.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return None if uid is None else IdToken(uid, "Central")

    async def on_transaction_started(self, event: TransactionStarted) -> TransactionStartReply:
        """Idempotent: a replayed start (same charger, connector and start time, or same id) gets the same answer.

        A start without a token is matched to our remote start by its remoteStartId; a start on a connector that
        still has an open transaction ends that one ("Superseded"); a start with a reservation's id uses it up.
        """
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        started_at = self._place(ref, event.charger_id, event.timestamp, event.received_at, live=not event.offline)
        placed = self._placed_samples(ref, event.charger_id, event.samples, event.received_at)
        token = event.id_token
        if token is None and event.remote_start_id is not None:
            token = await self._remote_start_token(ref, event.remote_start_id)
        found = start_verdict(await self._verdict(token, ref.location_id), self.master_pass_group_id)
        info, user_id = found.info, found.user_id
        columns = _transactions_table.c
        query = select(columns.id, columns.ocpp_transaction_id, columns.meter_start_wh).where(
            columns.charging_station_id == ref.station_id
        )
        if event.transaction_id is not None:
            query = query.where(columns.ocpp_transaction_id == event.transaction_id)
        else:
            # a 1.6 start is recognised by the charger's own stamp, whatever its clock says
            query = query.where(
                columns.connector_id == event.connector_id, columns.charger_started_at == event.timestamp
            )
        stale: list[Any] = []
        async with self._session_factory() as session:
            existing = (await session.execute(query)).one_or_none()
            if existing is None:
                ocpp_id = event.transaction_id or str(await bump_counter(session, TRANSACTION_COUNTER))
                transaction_id = uuid.uuid4()
                await session.execute(
                    insert(_transactions_table).values(
                        id=transaction_id,
                        charging_station_id=ref.station_id,
                        evse_id=ref.evses.get(event.connector_id),
                        connector_id=event.connector_id,
                        ocpp_transaction_id=ocpp_id,
                        id_token=token.id_token if token else None,
                        user_id=user_id,
                        started_at=started_at,
                        charger_started_at=event.timestamp,
                        meter_start_wh=event.meter_start_wh,
                        energy_wh=0.0,
                        charging_state=event.charging_state,
                        status="active" if info.status == "Accepted" else "rejected",
                        updated_at=utc_now(),
                    )
                )
                if event.connector_id > 0:  # in the same visit to the database
                    stale = list((await session.execute(_older_open(ref, event, transaction_id))).all())
                await session.commit()
                active = ActiveTransaction(
                    id=transaction_id, meter_start_wh=event.meter_start_wh, id_token=token.id_token if token else None
                )
            else:
                ocpp_id = existing[1]
                active = ActiveTransaction(
                    id=existing[0], meter_start_wh=existing[2], id_token=token.id_token if token else None
                )
        self._transactions[(ref.station_id, ocpp_id)] = active
        if existing is None:
            if stale:
                await self._supersede(ref, event.connector_id, stale, started_at)
            if event.reservation_id is not None:
                await consume_reservation(self._session_factory, ref.station_id, event.reservation_id, ocpp_id)
        if self.observer is not None and existing is None:
            try:
                await self.observer.transaction_started(
                    transaction_id=active.id,
                    station_id=ref.station_id,
                    connector_id=event.connector_id,
                    ocpp_id=event.charger_id,
                    ocpp_transaction_id=ocpp_id,
                    id_token=token.id_token if token else None,
                    user_id=user_id,
                    started_at=started_at,
                    meter_start_wh=event.meter_start_wh,
                    accepted=info.status == "Accepted",
                )
            except Exception:
                logger.exception("session start failed", extra={"charger_id": event.charger_id})
        if event.samples:
            self.meters.add(active.id, active.meter_start_wh, event.samples, placed)
            self._observe_samples(active.id, placed)
        numeric = int(ocpp_id) if ocpp_id.isdigit() else None
        return TransactionStartReply(id_token_info=info if event.id_token else None, transaction_id=numeric)

    async def _supersede(self, ref: ChargerRef, connector_id: int, stale: list[Any], started_at: datetime) -> None:
        """A connector runs one transaction: the older ones still open there (`_older_open`) end now, billed as far
        as they were metered."""
        columns = _transactions_table.c
        await self.meters.flush()
        samples = table_of(MeterSampleRecord).c
        for transaction_id, ocpp_transaction_id in stale:
            async with self._session_factory() as session, session.begin():
                row = (
                    await session.execute(
                        select(columns.meter_start_wh, func.max(samples.energy_wh))
                        .select_from(
                            _transactions_table.outerjoin(
                                table_of(MeterSampleRecord), samples.transaction_id == columns.id
                            )
                        )
                        .where(columns.id == transaction_id)
                        .group_by(columns.meter_start_wh)
                    )
                ).one_or_none()
                values: dict[str, object] = {
                    "ended_at": started_at,
                    "stop_reason": "Superseded",
                    "status": "ended",
                    "updated_at": utc_now(),
                }
                if row is not None and row[1] is not None:
                    values["meter_stop_wh"] = row[1]
                    if row[0] is not None:
                        values["energy_wh"] = max(0.0, row[1] - row[0])
                await session.execute(
                    update(_transactions_table)
                    .where(columns.id == transaction_id, columns.status == "active")
                    .values(**values)
                )
            self._transactions.pop((ref.station_id, ocpp_transaction_id), None)
            logger.info(
                "transaction superseded by a new start on its connector",
                extra={"transaction_id": ocpp_transaction_id, "connector_id": connector_id},
            )
            if self.observer is not None:
                try:
                    await self.observer.transaction_ended(transaction_id)
                except Exception:
                    logger.exception("session end failed", extra={"transaction_id": str(transaction_id)})

    async def _adopt(self, ref: ChargerRef, event: TransactionUpdated | TransactionEnded) -> ActiveTransaction | None:
        """A 2.0.1 transaction first heard of in an Updated or Ended event (its Started was lost): created from what
        the event carries, so its meter data is kept."""
        if event.ocpp_version == "1.6":
            return None
        energies = sorted((s.timestamp, s.energy_wh) for s in event.samples if s.energy_wh is not None)
        earliest = min((s.timestamp for s in event.samples), default=event.timestamp)
        logger.warning(
            "transaction first heard of in a %s event; created from it",
            "TransactionEnded" if isinstance(event, TransactionEnded) else "TransactionUpdated",
            extra={"charger_id": event.charger_id, "transaction_id": event.transaction_id},
        )
        await self.on_transaction_started(
            TransactionStarted(
                charger_id=event.charger_id,
                ocpp_version=event.ocpp_version,
                message_id=event.message_id,
                received_at=event.received_at,
                connector_id=event.connector_id or 0,
                transaction_id=event.transaction_id,
                id_token=event.id_token,
                meter_start_wh=energies[0][1] if energies else None,
                timestamp=min(earliest, event.timestamp),
                trigger_reason=event.trigger_reason,
                charging_state=event.charging_state,
                offline=True,  # its stamps are not live: they must not teach the clock
            )
        )
        return await self._transaction(ref, event.transaction_id)

    async def on_transaction_updated(self, event: TransactionUpdated) -> IdTokenInfo | None:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        self._place(ref, event.charger_id, event.timestamp, event.received_at, live=not event.offline)
        placed = self._placed_samples(ref, event.charger_id, event.samples, event.received_at)
        transaction = await self._transaction(ref, event.transaction_id) or await self._adopt(ref, event)
        if transaction is None:
            logger.warning(
                "update for an unknown transaction",
                extra={"charger_id": event.charger_id, "transaction_id": event.transaction_id},
            )
            return await self._token_verdict(event.id_token)
        if event.samples:
            self.meters.add(transaction.id, transaction.meter_start_wh, event.samples, placed)
            self._observe_samples(transaction.id, placed)
        if event.charging_state is not None:
            self.meters.set_state(transaction.id, event.charging_state)
            if self.observer is not None:
                self.observer.charging_state(transaction.id, event.charging_state)
        if event.id_token is not None and transaction.id_token is None:
            return await self._authorised_later(ref, event, transaction)
        return await self._stop_token_verdict(ref, event, transaction)

    async def _authorised_later(
        self, ref: ChargerRef, event: TransactionUpdated, transaction: ActiveTransaction
    ) -> IdTokenInfo:
        """A 2.0.1 transaction that began before a token was presented (cable first): the token now starts it."""
        assert event.id_token is not None
        found = start_verdict(await self._verdict(event.id_token), self.master_pass_group_id)
        if found.info.status != "Accepted":
            return found.info
        transaction.id_token = event.id_token.id_token
        columns = _transactions_table.c
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    update(_transactions_table)
                    .where(columns.id == transaction.id, columns.id_token.is_(None))
                    .values(id_token=event.id_token.id_token, user_id=found.user_id, updated_at=utc_now())
                    .returning(columns.connector_id, columns.started_at)
                )
            ).one_or_none()
        if row is not None and self.observer is not None:
            try:
                await self.observer.transaction_started(
                    transaction_id=transaction.id,
                    station_id=ref.station_id,
                    connector_id=row[0],
                    ocpp_id=event.charger_id,
                    ocpp_transaction_id=event.transaction_id,
                    id_token=event.id_token.id_token,
                    user_id=found.user_id,
                    started_at=row[1],
                    meter_start_wh=transaction.meter_start_wh,
                    accepted=True,
                )
            except Exception:
                logger.exception("session start failed", extra={"charger_id": event.charger_id})
        return found.info

    async def _stop_token_verdict(
        self, ref: ChargerRef, event: TransactionUpdated | TransactionEnded, transaction: ActiveTransaction | None
    ) -> IdTokenInfo | None:
        """The answer about a token presented during or at the end of a transaction: a card of the starter's group,
        or a master pass, may end it; another card is answered Invalid (and a stop by it is logged)."""
        if event.id_token is None:
            return None
        stopper = await self._verdict(event.id_token)
        if transaction is None or not transaction.id_token:  # started by no one in particular (or free vend)
            return stopper.info
        starter = await self._verdict(IdToken(transaction.id_token))
        answer = stop_verdict(
            event.id_token.id_token, stopper, transaction.id_token, starter.group_id, self.master_pass_group_id
        )
        if answer.info.status != stopper.info.status:
            await self._log(
                ref,
                UNAUTHORISED_STOP,
                event.received_at,
                {
                    "transactionId": event.transaction_id,
                    "idToken": event.id_token.id_token,
                    "startedBy": transaction.id_token,
                    "ended": isinstance(event, TransactionEnded),
                },
            )
        return answer.info

    async def _token_verdict(self, token: IdToken | None) -> IdTokenInfo | None:
        """What a transaction message that carries an id token gets back about it."""
        if token is None:
            return None
        return (await self._verdict(token)).info

    async def on_transaction_ended(self, event: TransactionEnded) -> IdTokenInfo | None:
        """Idempotent: a replayed stop changes nothing; samples it carries are kept (duplicates ignored)."""
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        ended_at = self._place(ref, event.charger_id, event.timestamp, event.received_at, live=not event.offline)
        placed = self._placed_samples(ref, event.charger_id, event.samples, event.received_at)
        transaction = await self._transaction(ref, event.transaction_id) or await self._adopt(ref, event)
        if transaction is None:
            logger.warning(
                "stop for an unknown transaction",
                extra={"charger_id": event.charger_id, "transaction_id": event.transaction_id},
            )
            return await self._token_verdict(event.id_token)
        answer = await self._stop_token_verdict(ref, event, transaction)
        if event.samples:
            self.meters.add(transaction.id, transaction.meter_start_wh, event.samples, placed)
        await self.meters.flush()
        await self._finish(transaction, event, ended_at)
        self._transactions.pop((ref.station_id, event.transaction_id), None)
        if self.ended is not None:
            self.ended.transaction_ended(transaction.id)
        if self.observer is not None:
            try:
                await self.observer.transaction_ended(transaction.id)
            except Exception:
                logger.exception("session end failed", extra={"charger_id": event.charger_id})
        return answer

    async def _finish(self, transaction: ActiveTransaction, event: TransactionEnded, ended_at: datetime) -> None:
        columns = _transactions_table.c
        async with self._session_factory() as session, session.begin():
            row = (
                await session.execute(
                    select(columns.status, columns.meter_start_wh, columns.charging_state).where(
                        columns.id == transaction.id
                    )
                )
            ).one_or_none()
            if row is None or row[0] == "ended":
                return
            stop = event.meter_stop_wh
            if stop is None:
                stop = max((s.energy_wh for s in event.samples if s.energy_wh is not None), default=None)
            values: dict[str, object] = {
                "ended_at": ended_at,
                "meter_stop_wh": stop,
                "stop_reason": (event.reason or event.trigger_reason or "")[:40] or None,
                "charging_state": event.charging_state or row[2],
                "status": "ended",
                "updated_at": utc_now(),
            }
            if stop is not None and row[1] is not None:
                values["energy_wh"] = max(0.0, stop - row[1])
            await session.execute(update(_transactions_table).where(columns.id == transaction.id).values(**values))

    async def on_data_transfer(self, event: DataTransferReceived) -> DataTransferReply:
        ref = await self.directory.require(event.charger_id)
        self._seen(ref, event.received_at)
        await self._log(ref, "DataTransfer", event.received_at, msgspec.to_builtins(event))
        return DataTransferReply(status="UnknownVendorId")

    # ----- port: certificates (see certificates.py) --------------------------------------------

    async def security_profile(self, charger_id: str) -> int | None:
        return await self.security.security_profile(charger_id)

    async def on_certificate_signing_requested(self, event: CertificateSigningRequested) -> CertificateSigningReply:
        return await self.security.on_certificate_signing_requested(event)

    async def on_certificate_status_requested(self, event: CertificateStatusRequested) -> CertificateStatusReply:
        return await self.security.on_certificate_status_requested(event)

    async def on_ev_certificate_requested(self, event: EvCertificateRequested) -> EvCertificateReply:
        return await self.security.on_ev_certificate_requested(event)

    async def on_contract_certificates_presented(
        self, event: ContractCertificatesPresented
    ) -> ContractCertificateStatus:
        return await self.security.on_contract_certificates_presented(event)
