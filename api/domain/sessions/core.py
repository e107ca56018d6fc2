"""What every part of a session's lifecycle shares: the service's collaborators and in-memory state (live
sessions, per-session locks, background tasks), the payer of a session, the price terms a session keeps, the
stored row and the meter rebuilt from stored samples. The parts (`starting`, `stopping`, `live`, `billing`,
`reconciliation`, `reading`) derive from `SessionCore`; what one part asks of another is declared here."""

from __future__ import annotations

import abc
import asyncio
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, ChargingTransaction, Evse, Location, MeterSampleRecord, User
from api.db.types import utc_now
from api.domain.payments.ports import Payer, PaymentProvider
from api.domain.sessions.metering import SessionMeter, idle_fee_of, tariff_of
from api.domain.sessions.notifications import Notifier
from api.domain.sessions.roaming import RoamingPushes
from api.domain.sessions.updates import SessionUpdates
from api.domain.sessions.views import view_of
from api.domain.stations.prices import TariffBook
from api.settings import Settings
from ocpp_bridge.commands import CommandRequest, CommandResult
from pricing.idle_fee import IdleFee
from pricing.price_text import price_text
from pricing.tariff import Tariff, encode_tariff

logger = logging.getLogger(__name__)


class StartOutcomes(Protocol):
    """Told of every start we asked a charger for once it has settled (charging, or failed); must return at once."""

    def start_settled(self, station_id: uuid.UUID, *, succeeded: bool, reason: str | None = None) -> None: ...


class LiveSession:
    """What the process holding the charger keeps in memory about one running session."""

    __slots__ = ("meter", "row", "warned")

    def __init__(self, row: dict[str, Any], meter: SessionMeter) -> None:
        self.row = row
        self.meter = meter
        self.warned: set[str] = set()


def _row_of(record: ChargingSession, location: Location | None, evse: Evse | None) -> dict[str, Any]:
    return {
        "id": record.id,
        "user_id": record.user_id,
        "status": record.status,
        "source": record.source,
        "failure_reason": record.failure_reason,
        "stop_reason": record.stop_reason,
        "location_id": record.location_id,
        "location_name": location.name if location else None,
        "evse_uid": evse.uid if evse else "",
        "emi3_evse_id": evse.emi3_evse_id if evse else None,
        "connector_id": record.connector_id,
        "created_at": record.created_at,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "currency": record.currency,
        "price_text": record.price_text,
        "tariff": record.tariff,
        "idle_fee": record.idle_fee,
        "time_zone": record.time_zone,
        "payment_provider": record.payment_provider,
        "payment_status": record.payment_status,
        "hold_minor": record.hold_minor,
        "captured_minor": record.captured_minor,
        "extra_charged_minor": record.extra_charged_minor,
        "debt_minor": record.debt_minor,
        "refunded_minor": record.refunded_minor,
        "amount_due": record.amount_due,
        "cdr": record.cdr,
        "transaction_id": record.transaction_id,
        "updated_at": record.updated_at,
        "ocpi_partner_id": record.ocpi_partner_id,
    }


class SessionCore(abc.ABC):
    """The shared state and helpers of the session service; `service.SessionService` puts the parts together."""

    def __init__(
        self,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        tariff_book: TariffBook,
        payments: PaymentProvider,
        updates: SessionUpdates,
        notifier: Notifier,
        payer_of: Any = None,
    ) -> None:
        self.settings = settings
        self._session_factory = session_factory
        self.tariff_book = tariff_book
        self.payments = payments
        self.updates = updates
        self.notifier = notifier
        self._payer_of = payer_of
        # mails a guest, who has no account to notify: (session id, address, subject, body)
        self.mail_guest: Callable[[uuid.UUID, str, str, str], Awaitable[None]] | None = None
        # the bridge's `CentralSystem.send_command`: reaches a charger wherever its socket is held
        self.send_command: Callable[[str, CommandRequest], Awaitable[CommandResult]] | None = None
        self.flush_meters: Any = None  # awaitable: writes buffered meter samples (the bridge's writer)
        self.roaming: RoamingPushes | None = None  # pushes a roaming partner's sessions and CDRs (OCPI)
        self.start_outcomes: StartOutcomes | None = None  # remote starts that failed or began (alert detectors)
        self._live: dict[uuid.UUID, LiveSession] = {}  # by transaction row id
        self._by_connector: dict[tuple[uuid.UUID, int], uuid.UUID] = {}  # (station, connector) -> transaction
        self._loading: dict[uuid.UUID, list[tuple[datetime, float | None, float | None, float | None]]] = {}
        # one lock per session while anyone holds it; gone with the last holder
        self._locks: weakref.WeakValueDictionary[uuid.UUID, asyncio.Lock] = weakref.WeakValueDictionary()
        self._no_session: set[uuid.UUID] = set()  # transactions known to belong to no session
        self._starting: set[tuple[uuid.UUID, str]] = set()  # (driver, Idempotency-Key) of starts being processed
        self._tasks: set[asyncio.Task[Any]] = set()
        self.idle_fee: IdleFee | None = (
            IdleFee(
                price_per_minute=settings.idle_fee_per_minute,
                grace_minutes=settings.idle_fee_grace_minutes,
                cap=settings.idle_fee_cap,
            )
            if settings.idle_fee_per_minute
            else None
        )

    # ----- helpers ------------------------------------------------------------------------------------------

    def _spawn(self, coroutine: Any, name: str) -> None:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("session task %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    @property
    def active_sessions(self) -> int:
        """Sessions with a live meter here: charging, suspended or stopping on a charger this process holds."""
        return len(self._live)

    def _lock(self, session_id: uuid.UUID) -> asyncio.Lock:
        lock = self._locks.get(session_id)
        if lock is None:
            lock = self._locks[session_id] = asyncio.Lock()
        return lock

    async def payer(self, session: AsyncSession, record: ChargingSession) -> Payer:
        if record.user_id is None:
            return Payer(email=record.guest_email, payment_method=record.payment_method)
        return await self._user_payer(session, record.user_id)

    async def _user_payer(self, session: AsyncSession, user_id: uuid.UUID) -> Payer:
        if self._payer_of is not None:
            payer: Payer = await self._payer_of(session, user_id)
            return payer
        user = await session.get(User, user_id)
        return Payer(user_id=user_id, email=user.email if user else None)

    def _tariff(self, location: Location, tariff_ids: list[str], now: datetime) -> Tariff | None:
        for tariff_id in tariff_ids:
            tariff = self.tariff_book.tariff(location.country_code, location.party_id, tariff_id)
            if tariff is not None and tariff.is_valid_at(now):
                return tariff
        return None

    def _price_terms(self, tariff: Tariff | None, location: Location, locale: str) -> dict[str, Any]:
        """What a session keeps of the price shown before its start: it applies to the whole session."""
        return {
            "tariff": msgspec.json.decode(encode_tariff(tariff)) if tariff is not None else None,
            "idle_fee": msgspec.to_builtins(self.idle_fee) if self.idle_fee is not None else None,
            "time_zone": location.time_zone,
            "currency": tariff.currency if tariff is not None else "EUR",
            "price_text": price_text(tariff, locale, idle_fee=self.idle_fee) if tariff is not None else None,
            "payment_provider": self.payments.name,
        }

    async def _row(self, session: AsyncSession, record: ChargingSession) -> dict[str, Any]:
        location = await session.get(Location, record.location_id)
        evse = await session.get(Evse, record.evse_id)
        return _row_of(record, location, evse)

    async def _meter_from_store(self, session: AsyncSession, record: ChargingSession) -> SessionMeter | None:
        """Rebuild the meter from the stored samples (after a restart, or in a process not holding the charger)."""
        if record.transaction_id is None:
            return None
        transaction = await session.get(ChargingTransaction, record.transaction_id)
        if transaction is None:
            return None
        meter = SessionMeter(tariff_of(record.tariff), record.time_zone, idle_fee_of(record.idle_fee))
        meter.start(transaction.started_at, transaction.meter_start_wh)
        samples = await session.execute(
            select(
                MeterSampleRecord.at,  # on our timeline: right even when the charger's clock is not
                MeterSampleRecord.energy_wh,
                MeterSampleRecord.power_w,
                MeterSampleRecord.soc_percent,
            )
            .where(MeterSampleRecord.transaction_id == transaction.id)
            .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
        )
        for at, energy, power, soc in samples:
            meter.add(at, energy, power, soc)
        if transaction.status == "ended" and transaction.ended_at is not None:
            meter.add(transaction.ended_at, transaction.meter_stop_wh, 0.0)
        return meter

    def _publish(self, live: LiveSession) -> None:
        self.updates.publish(live.row["id"], msgspec.json.encode(view_of(live.row, live.meter, utc_now())))

    # ----- what one part asks of another --------------------------------------------------------------------

    @abc.abstractmethod
    async def _fail(self, session_id: uuid.UUID, reason: str) -> bool:
        """starting -> failed, the hold released; False when the session had moved on meanwhile (`starting`)."""

    @abc.abstractmethod
    async def _remote_stop(self, ocpp_id: str, ocpp_transaction: str) -> None:
        """Ask the charger to stop a transaction; a failure is logged (`starting`)."""

    @abc.abstractmethod
    async def retry_stuck_stops(self) -> int:
        """Send the stop again to chargers still metering long after it; returns how many (`stopping`)."""

    @abc.abstractmethod
    async def bill(self, session_id: uuid.UUID) -> None:
        """Price the ended transaction from its stored samples and settle the payment; safe to run twice (`billing`)."""
