"""The driver's charging session from start to bill.

Start: checks, the session row (one open session per EVSE, enforced by the database), the payment hold, and
the remote start through the bridge. The charger's transaction then drives the session (see `observer.py`):
meter values update a live meter whose result is published at once; the end of the transaction bills the
session from the stored samples with the price that was shown before the start. A reconciliation job fails
starts that never happened, bills ended transactions that were not billed (a restart in between) and closes
sessions whose charger never reported an end.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
import uuid
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import msgspec
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import (
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Connector,
    Evse,
    IdTokenRecord,
    Location,
    MeterSampleRecord,
    User,
)
from api.db.models.sessions import OPEN_STATUSES
from api.db.types import utc_now
from api.domain.payments.ports import Payer, PaymentEvent, PaymentHold, PaymentProvider
from api.domain.sessions.metering import SessionMeter, idle_fee_of, tariff_of
from api.domain.sessions.notifications import Notifier
from api.domain.sessions.schemas import (
    CostBreakdown,
    PaymentState,
    SessionCost,
    SessionQuote,
    SessionView,
)
from api.domain.sessions.updates import SessionUpdates
from api.domain.stations.prices import TariffBook
from api.errors import (
    CardDeclined,
    ChargerOffline,
    Conflict,
    ConnectorBusy,
    EvseOutOfOrder,
    FieldError,
    IdempotencyKeyReused,
    InvalidInput,
    NotFound,
    PaymentRequired,
    RequestInProgress,
    ServiceUnavailable,
    SessionAlreadyActive,
)
from api.metrics import instruments as metrics
from api.settings import Settings
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.commands import CommandRequest, CommandResult, RemoteStart, RemoteStartResult, RemoteStop
from pricing.cdr_document import totals_document
from pricing.costing import CdrTotals
from pricing.errors import PricingError
from pricing.idle_fee import IdleFee
from pricing.money import minor_unit_exponent
from pricing.price_text import price_text
from pricing.quote import example_charging_time, example_quote, quote
from pricing.tariff import Tariff, encode_tariff

logger = logging.getLogger(__name__)

_ZERO = Decimal(0)
_BUSY = {"Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Occupied", "Reserved"}
_OUT_OF_ORDER = {"Faulted", "Unavailable"}


def to_minor(amount: Decimal, currency: str) -> int:
    return int((amount / minor_unit_exponent(currency)).to_integral_value())


def from_minor(amount: int, currency: str) -> Decimal:
    return (Decimal(amount) * minor_unit_exponent(currency)).normalize() if amount else _ZERO


def _app_token() -> str:
    """An OCPP id token for one app session: 20 characters, the 1.6 idTag limit."""
    return "VW" + secrets.token_hex(9).upper()


def _normalise_emi3(value: str) -> str:
    return value.replace("*", "").replace(" ", "").upper()


class Resolved(msgspec.Struct, kw_only=True):
    evse: Any
    station: Any
    location: Any
    max_power_w: int | None
    tariff_ids: list[str]


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
    }


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP).normalize() if value else _ZERO


def cost_of(totals: CdrTotals | None, currency: str) -> SessionCost | None:
    if totals is None:
        return None
    vat = totals.total_cost.incl_vat - totals.total_cost.excl_vat
    return SessionCost(
        amount=totals.amount_due,
        currency=currency,
        breakdown=CostBreakdown(
            energy=_money(totals.total_energy_cost.incl_vat),
            time=_money(totals.total_time_cost.incl_vat),
            idle=_money(totals.total_parking_cost.incl_vat),
            fixed=_money(totals.total_fixed_cost.incl_vat),
            reservation=_money(totals.total_reservation_cost.incl_vat),
            total_excl_vat=_money(totals.total_cost.excl_vat),
            vat=_money(vat),
            total_incl_vat=_money(totals.total_cost.incl_vat),
        ),
    )


def view_of(row: dict[str, Any], meter: SessionMeter | None, now: datetime) -> SessionView:
    """The app's picture of a session: stored facts plus, while it runs, the live meter."""
    currency = row["currency"]
    totals = meter.totals() if meter is not None else None
    cost: SessionCost | None
    if row.get("cdr") and row["status"] in ("completed",):
        cost = _stored_cost(row["cdr"], currency)
    else:
        cost = cost_of(totals, currency)
    started = row.get("started_at")
    ended = row.get("ended_at")
    elapsed = 0 if started is None else max(0, int(((ended or now) - started).total_seconds()))
    idle_seconds = 0
    if totals is not None:
        idle_seconds = int(totals.total_parking_time * 3600)
    elif row.get("cdr"):
        idle_seconds = int(Decimal(str(row["cdr"].get("total_parking_time", "0"))) * 3600)
    energy_wh = meter.energy_wh if meter is not None else 0.0
    if meter is None and row.get("cdr"):
        energy_kwh = Decimal(str(row["cdr"].get("total_energy", "0")))
    else:
        energy_kwh = Decimal(repr(round(energy_wh / 1000, 4)))
    power = None
    if meter is not None and meter.power_w is not None and row["status"] in ("charging", "suspended", "stopping"):
        power = Decimal(repr(round(meter.power_w / 1000, 3)))
    return SessionView(
        id=row["id"],
        status=row["status"],
        source=row["source"],
        failure_reason=row["failure_reason"],
        stop_reason=row["stop_reason"],
        location_id=row["location_id"],
        location_name=row["location_name"],
        evse_uid=row["evse_uid"],
        emi3_evse_id=row["emi3_evse_id"],
        connector_id=row["connector_id"],
        created_at=row["created_at"],
        started_at=started,
        ended_at=ended,
        energy_kwh=energy_kwh,
        power_kw=power,
        soc_percent=meter.soc_percent if meter is not None else None,
        elapsed_seconds=elapsed,
        idle_seconds=idle_seconds,
        cost=cost,
        price_text=row["price_text"],
        payment=payment_state(row),
        updated_at=now,
    )


def payment_state(row: dict[str, Any]) -> PaymentState:
    currency = row["currency"]
    return PaymentState(
        provider=row["payment_provider"],
        status=row["payment_status"],
        hold_amount=from_minor(row["hold_minor"], currency),
        captured=from_minor(row["captured_minor"], currency),
        extra_charged=from_minor(row["extra_charged_minor"], currency),
        debt=from_minor(row["debt_minor"], currency),
        refunded=from_minor(row["refunded_minor"], currency),
    )


def _stored_cost(cdr: dict[str, Any], currency: str) -> SessionCost:
    def incl(name: str) -> Decimal:
        return _money(Decimal(str(cdr.get(name, {}).get("incl_vat", "0"))))

    total_excl = _money(Decimal(str(cdr["total_cost"]["excl_vat"])))
    total_incl = incl("total_cost")
    return SessionCost(
        amount=Decimal(str(cdr["amount_due"])),
        currency=currency,
        breakdown=CostBreakdown(
            energy=incl("total_energy_cost"),
            time=incl("total_time_cost"),
            idle=incl("total_parking_cost"),
            fixed=incl("total_fixed_cost"),
            reservation=incl("total_reservation_cost"),
            total_excl_vat=total_excl,
            vat=_money(total_incl - total_excl),
            total_incl_vat=total_incl,
        ),
    )


class SessionService:
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

    # ----- reading ------------------------------------------------------------------------------------------

    async def _resolve(
        self, session: AsyncSession, evse_uid: str | None, emi3: str | None, location_id: Any
    ) -> Resolved:
        if not evse_uid and not emi3:
            raise InvalidInput([FieldError("evseUid", "give the EVSE uid shown on the map, or emi3EvseId")])
        query = (
            select(Evse, ChargingStation, Location)
            .join(Location, Location.id == Evse.location_id)
            .outerjoin(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        )
        if emi3:
            query = query.where(func.upper(func.replace(Evse.emi3_evse_id, "*", "")) == _normalise_emi3(emi3))
        else:
            query = query.where(Evse.uid == evse_uid)
        if location_id is not None:
            query = query.where(Evse.location_id == location_id)
        rows = (await session.execute(query.limit(3))).all()
        field = "emi3EvseId" if emi3 else "evseUid"
        if not rows:
            raise NotFound(f"No charger with {field} {emi3 or evse_uid!r}.")
        if len(rows) > 1:
            raise InvalidInput(
                [FieldError(field, "this id is used at several locations; add locationId or use emi3EvseId")]
            )
        evse, station, location = rows[0]
        connectors = (await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars().all()
        powers = [c.max_electric_power for c in connectors if c.max_electric_power]
        tariff_ids = [t for c in connectors for t in (c.tariff_ids or [])]
        return Resolved(
            evse=evse,
            station=station,
            location=location,
            max_power_w=max(powers) if powers else None,
            tariff_ids=tariff_ids,
        )

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

    def _hold_amount(
        self, tariff: Tariff | None, location: Location, max_power_w: int | None, now: datetime
    ) -> Decimal:
        """The quote for a generous session, capped per currency: what the card is asked to hold."""
        if tariff is None:
            return _ZERO
        power = Decimal(max_power_w or 22000) / 1000
        try:
            expected = quote(
                tariff,
                energy_kwh=Decimal(self.settings.payment_hold_energy_kwh),
                duration=timedelta(minutes=self.settings.payment_hold_minutes),
                power_kw=power,
                start=now,
                time_zone=location.time_zone,
                idle_fee=self.idle_fee,
            )
        except PricingError:
            logger.exception("no quote for the hold; using the cap")
            return dict(self.settings.payment_hold_caps).get(tariff.currency, _ZERO)
        cap = dict(self.settings.payment_hold_caps).get(tariff.currency)
        return min(expected.hold_amount, cap) if cap is not None else expected.hold_amount

    async def quote_for(self, evse_uid: str | None, emi3: str | None, location_id: Any, locale: str) -> SessionQuote:
        now = utc_now()
        async with self._session_factory() as session:
            resolved = await self._resolve(session, evse_uid, emi3, location_id)
        tariff = self._tariff(resolved.location, resolved.tariff_ids, now)
        hold = self._hold_amount(tariff, resolved.location, resolved.max_power_w, now)
        energy = Decimal(20)
        power = Decimal(resolved.max_power_w or 22000) / 1000
        charging_time = example_charging_time(energy, power)  # 20 kWh at the connector's power, whole minutes
        example = None
        if tariff is not None:
            example = example_quote(
                tariff,
                energy_kwh=energy,
                power_kw=power,
                start=now,
                time_zone=resolved.location.time_zone,
                idle_fee=self.idle_fee,
            ).amount_due
        return SessionQuote(
            evse_uid=resolved.evse.uid,
            emi3_evse_id=resolved.evse.emi3_evse_id,
            currency=tariff.currency if tariff else None,
            price_text=price_text(tariff, locale, idle_fee=self.idle_fee) if tariff else None,
            hold_amount=hold,
            example_energy_kwh=energy,
            example_charging_minutes=int(charging_time.total_seconds()) // 60,
            example_cost=example,
            payment_provider=self.payments.name,
        )

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

    async def view(self, session: AsyncSession, record: ChargingSession) -> SessionView:
        row = await self._row(session, record)
        if record.transaction_id is not None:
            live = self._live.get(record.transaction_id)
            if live is not None:
                live.row.update({k: row[k] for k in ("status", "payment_status", "stop_reason", "updated_at")})
                return view_of(live.row, live.meter, utc_now())
            latest = self.updates.latest(record.id)
            if latest is not None and record.status in OPEN_STATUSES:
                published = msgspec.json.decode(latest, type=SessionView)
                return msgspec.structs.replace(published, status=record.status, payment=payment_state(row))
        meter = None if record.status == "completed" else await self._meter_from_store(session, record)
        return view_of(row, meter, utc_now())

    async def get_owned(self, session: AsyncSession, session_id: uuid.UUID, user_id: uuid.UUID) -> ChargingSession:
        record = await session.get(ChargingSession, session_id)
        if record is None or record.user_id != user_id:
            raise NotFound("No such session.")
        return record

    async def get_guest(self, session: AsyncSession, session_id: uuid.UUID, secret: str) -> ChargingSession:
        record = await session.get(ChargingSession, session_id)
        digest = hashlib.sha256(secret.encode()).hexdigest()
        if (
            record is None
            or record.guest_secret_hash is None
            or not secrets.compare_digest(record.guest_secret_hash, digest)
        ):
            raise NotFound("No such session, or the link is not valid.")
        return record

    async def active(self, session: AsyncSession, user_id: uuid.UUID) -> list[SessionView]:
        records = (
            await session.execute(
                select(ChargingSession)
                .where(ChargingSession.user_id == user_id, ChargingSession.status.in_(OPEN_STATUSES))
                .order_by(ChargingSession.created_at.desc())
            )
        ).scalars()
        return [await self.view(session, record) for record in records]

    async def history(
        self, session: AsyncSession, user_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[ChargingSession], str | None]:
        query = select(ChargingSession).where(ChargingSession.user_id == user_id)
        if cursor:
            try:
                created_text, _, id_text = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
                created, last_id = datetime.fromisoformat(created_text), uuid.UUID(id_text)
            except (ValueError, UnicodeDecodeError):
                raise InvalidInput([FieldError("cursor", "not a cursor this API gave out", source="query")]) from None
            query = query.where(
                or_(
                    ChargingSession.created_at < created,
                    and_(ChargingSession.created_at == created, ChargingSession.id < last_id),
                )
            )
        records = list(
            (
                await session.execute(
                    query.order_by(ChargingSession.created_at.desc(), ChargingSession.id.desc()).limit(limit + 1)
                )
            ).scalars()
        )
        next_cursor = None
        if len(records) > limit:
            records = records[:limit]
            last = records[-1]
            next_cursor = base64.urlsafe_b64encode(f"{last.created_at.isoformat()}|{last.id}".encode()).decode()
        return records, next_cursor

    # ----- start --------------------------------------------------------------------------------------------

    async def start(
        self,
        *,
        user_id: uuid.UUID | None,
        idempotency_key: str | None,
        evse_uid: str | None,
        emi3_evse_id: str | None,
        location_id: uuid.UUID | None,
        locale: str,
        guest_email: str | None = None,
        payment_method: str | None = None,
    ) -> tuple[ChargingSession, str | None]:
        """Create the session, hold the payment, send the remote start; returns the session (and a guest secret)."""
        if self.send_command is None:
            raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
        request_hash = hashlib.sha256(
            msgspec.json.encode([evse_uid, emi3_evse_id, str(location_id) if location_id else None])
        ).hexdigest()
        keyed = (user_id, idempotency_key) if user_id is not None and idempotency_key else None
        if keyed in self._starting:
            raise RequestInProgress("The first request with this Idempotency-Key is still being processed; ask again.")
        if keyed is not None:
            self._starting.add(keyed)
        try:
            return await self._start(
                user_id,
                idempotency_key,
                request_hash,
                evse_uid,
                emi3_evse_id,
                location_id,
                locale,
                guest_email,
                payment_method,
            )
        finally:
            if keyed is not None:
                self._starting.discard(keyed)

    async def _start(
        self,
        user_id: uuid.UUID | None,
        idempotency_key: str | None,
        request_hash: str,
        evse_uid: str | None,
        emi3_evse_id: str | None,
        location_id: uuid.UUID | None,
        locale: str,
        guest_email: str | None,
        payment_method: str | None,
    ) -> tuple[ChargingSession, str | None]:
        now = utc_now()
        async with self._session_factory() as session:
            if user_id is not None and idempotency_key:
                existing = await self._by_key(session, user_id, idempotency_key)
                if existing is not None:
                    return self._replayed(existing, request_hash), None
            resolved = await self._resolve(session, evse_uid, emi3_evse_id, location_id)
            evse, station, location = resolved.evse, resolved.station, resolved.location
            evse_id = evse.id
            if user_id is not None:
                await self._check_open_sessions(session, user_id, evse_id)
            if station is None or evse.ocpp_evse_id is None:
                raise Conflict("This charger is not connected to this network and cannot be started from the app.")
            if not station.connected or station.held_by is None:
                raise ChargerOffline("The charger is offline. Try another charger or try again later.")
            ocpp_status = evse.ocpp_status or ""
            if ocpp_status in _OUT_OF_ORDER or evse.status in ("OUTOFORDER", "INOPERATIVE"):
                raise EvseOutOfOrder("This connector is out of order. Please use another one.")
            if ocpp_status in _BUSY or evse.status in ("CHARGING", "BLOCKED", "RESERVED"):
                raise ConnectorBusy("This connector is in use. Please use another one.")
            payer = (
                await self._user_payer(session, user_id)
                if user_id is not None
                else Payer(email=guest_email, payment_method=payment_method)
            )
            if self.payments.requires_payment_method and not await self.payments.has_usable_method(payer):
                raise PaymentRequired("Add a payment method before you start charging.")
            tariff = self._tariff(location, resolved.tariff_ids, now)
            hold = self._hold_amount(tariff, location, resolved.max_power_w, now)
            currency = tariff.currency if tariff is not None else "EUR"
            secret = secrets.token_urlsafe(24) if user_id is None else None
            token = _app_token()
            record = ChargingSession(
                id=uuid.uuid4(),
                user_id=user_id,
                guest_email=guest_email,
                guest_secret_hash=hashlib.sha256(secret.encode()).hexdigest() if secret else None,
                source="app" if user_id is not None else "guest",
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                location_id=location.id,
                evse_id=evse.id,
                charging_station_id=station.id,
                connector_id=evse.ocpp_evse_id,
                id_token=token,
                status="starting",
                **self._price_terms(tariff, location, locale),
                payment_method=payment_method,
                created_at=now,
                updated_at=now,
            )
            ocpp_id = station.ocpp_id
            try:
                async with self._lock(user_id or record.id):  # a driver's starts count and insert one at a time
                    if user_id is not None:  # again, now that no start of this driver can slip in between
                        await session.execute(select(User.id).where(User.id == user_id).with_for_update())
                        await self._check_open_sessions(session, user_id, evse_id)
                    session.add(record)
                    session.add(IdTokenRecord(uid=token, type="Central", user_id=user_id, status="Accepted"))
                    await session.commit()
            except IntegrityError:
                await session.rollback()
                if user_id is not None and idempotency_key:
                    existing = await self._by_key(session, user_id, idempotency_key)
                    if existing is not None:
                        return self._replayed(existing, request_hash), None
                if user_id is not None:
                    await self._check_open_sessions(session, user_id, evse_id)
                raise ConnectorBusy("Someone else has just started charging at this connector.") from None
            session_id = record.id
            metrics.session_started(record.source)
        held = await self._hold(session_id, payer, hold, currency, location.name or location.address)
        if held.status == "declined":
            raise CardDeclined(held.decline_reason or "The card was declined.")
        self._spawn(self._remote_start(session_id, ocpp_id, token, record.connector_id), f"remote start {session_id}")
        async with self._session_factory() as session:
            fresh = await session.get(ChargingSession, session_id)
            assert fresh is not None
            return fresh, secret

    async def _by_key(self, session: AsyncSession, user_id: uuid.UUID, key: str) -> ChargingSession | None:
        found: ChargingSession | None = (
            await session.execute(
                select(ChargingSession).where(
                    ChargingSession.user_id == user_id, ChargingSession.idempotency_key == key
                )
            )
        ).scalar_one_or_none()
        return found

    @staticmethod
    def _replayed(existing: ChargingSession, request_hash: str) -> ChargingSession:
        if existing.request_hash is not None and existing.request_hash != request_hash:
            raise IdempotencyKeyReused(
                f"This Idempotency-Key already started session {existing.id} with a different request; "
                "send a new key for a new start."
            )
        if existing.status == "failed" and existing.payment_status == "declined":
            raise CardDeclined(existing.failure_reason or "The card was declined.")
        return existing

    async def _check_open_sessions(self, session: AsyncSession, user_id: uuid.UUID, evse_id: uuid.UUID) -> None:
        """Refuse a start at an EVSE where the driver already charges, or beyond the driver's active-session limit."""
        rows = (
            await session.execute(
                select(ChargingSession.id, ChargingSession.evse_id, ChargingSession.source, Evse.uid)
                .join(Evse, Evse.id == ChargingSession.evse_id)
                .where(ChargingSession.user_id == user_id, ChargingSession.status.in_(OPEN_STATUSES))
                .order_by(ChargingSession.created_at)
            )
        ).all()
        for row in rows:
            if row.evse_id == evse_id:
                raise SessionAlreadyActive(
                    f"You already have a session at this EVSE: session {row.id}. Follow or stop that one.", row.id
                )
        limit = self.settings.max_active_sessions_per_driver
        app_sessions = [row for row in rows if row.source == "app"]
        if limit and len(app_sessions) >= limit:
            first = app_sessions[0]
            raise SessionAlreadyActive(
                f"You already have an active session: session {first.id} at EVSE {first.uid}. Stop it before "
                f"starting another (at most {limit} at a time).",
                first.id,
            )

    async def _hold(
        self, session_id: uuid.UUID, payer: Payer, amount: Decimal, currency: str, where: str
    ) -> PaymentHold:
        minor = to_minor(amount, currency)
        if minor <= 0:
            return PaymentHold(status="not_required", currency=currency)  # a free connector: nothing to hold
        try:
            hold = await self.payments.authorize(
                payer,
                amount_minor=minor,
                currency=currency,
                idempotency_key=f"hold-{session_id}",
                description=f"Charging at {where}"[:200],
            )
        except Exception as exc:
            logger.exception("payment hold failed")
            await self._fail(session_id, "The payment could not be authorised: the payment service did not answer.")
            raise ServiceUnavailable("The payment service is not reachable; nothing was charged.") from exc
        async with self._session_factory() as session, session.begin():
            values: dict[str, Any] = {
                "payment_reference": hold.reference or None,
                "hold_minor": hold.amount_minor,
                "payment_status": {"authorized": "held", "declined": "declined"}.get(hold.status, "none"),
                "updated_at": utc_now(),
            }
            await session.execute(update(ChargingSession).where(ChargingSession.id == session_id).values(**values))
        if hold.status == "declined":
            await self._fail(session_id, f"Payment declined: {hold.decline_reason or 'the card was declined'}")
        return hold

    async def _remote_start(self, session_id: uuid.UUID, ocpp_id: str, token: str, connector_id: int) -> None:
        assert self.send_command is not None
        try:
            result = await self.send_command(
                ocpp_id,
                RemoteStart(id_token=token, connector_id=connector_id, remote_start_id=secrets.randbelow(2**31)),
            )
        except (ocpp_errors.ChargerNotConnected, ocpp_errors.ChargerDisconnected):
            await self._fail(session_id, "The charger went offline before it could start.")
            return
        except ocpp_errors.CommandTimeout:
            await self._fail(session_id, "The charger did not answer the start request.")
            return
        except ocpp_errors.OcppBridgeError as exc:
            await self._fail(session_id, f"The charger could not be started: {exc}")
            return
        status = result.status if isinstance(result, RemoteStartResult) else getattr(result, "status", "Rejected")
        if status != "Accepted":
            reason = getattr(result, "reason", None)
            await self._fail(session_id, "The charger refused to start" + (f" ({reason})." if reason else "."))

    # ----- failure, stop ------------------------------------------------------------------------------------

    async def _fail(self, session_id: uuid.UUID, reason: str) -> bool:
        """starting -> failed, the hold released; False when the session had moved on meanwhile."""
        async with self._lock(session_id):
            async with self._session_factory() as session, session.begin():
                record = await session.get(ChargingSession, session_id, with_for_update=True)
                if record is None or record.status != "starting":
                    return False
                record.status = "failed"
                record.failure_reason = reason[:300]
                metrics.session_failed(reason)
                record.ended_at = utc_now()
                record.updated_at = utc_now()
                await session.execute(
                    update(IdTokenRecord).where(IdTokenRecord.uid == record.id_token).values(status="Expired")
                )
                hold = PaymentHold(
                    status="authorized" if record.payment_status == "held" else "not_required",
                    reference=record.payment_reference or "",
                    amount_minor=record.hold_minor,
                    currency=record.currency,
                )
                row = await self._row(session, record)
                user_id = record.user_id
            if hold.status == "authorized":
                try:
                    await self.payments.release(hold, idempotency_key=f"release-{session_id}")
                    async with self._session_factory() as session, session.begin():
                        await session.execute(
                            update(ChargingSession)
                            .where(ChargingSession.id == session_id)
                            .values(payment_status="released")
                        )
                    row["payment_status"] = "released"
                except Exception:
                    logger.exception("could not release the hold of session %s", session_id)
        self.updates.publish(session_id, msgspec.json.encode(view_of(row, None, utc_now())), final=True)
        self.notifier.send_later(
            session_id=session_id,
            user_id=user_id,
            kind="session_failed",
            title="Charging did not start",
            body=reason,
        )
        return True

    async def stop(self, record_id: uuid.UUID) -> None:
        """Idempotent: a session that is already stopping or over is left as it is."""
        async with self._session_factory() as session, session.begin():
            record = await session.get(ChargingSession, record_id, with_for_update=True)
            if record is None:
                raise NotFound("No such session.")
            if record.status == "starting":
                cancel = True
            elif record.status in ("charging", "suspended"):
                cancel = False
                record.status = "stopping"
                record.stop_requested_at = utc_now()
                record.updated_at = utc_now()
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
        if live is not None:
            live.row["status"] = "stopping"
            self._publish(live)
        if ocpp_id and ocpp_transaction and self.send_command is not None:
            self._spawn(self._remote_stop(ocpp_id, ocpp_transaction), f"remote stop {record_id}")

    async def _remote_stop(self, ocpp_id: str, ocpp_transaction: str) -> None:
        assert self.send_command is not None
        try:
            await self.send_command(ocpp_id, RemoteStop(transaction_id=ocpp_transaction))
        except ocpp_errors.OcppBridgeError as exc:
            logger.warning("remote stop of %s on %s failed: %s", ocpp_transaction, ocpp_id, exc)

    # ----- live, from the charger's messages ----------------------------------------------------------------

    def _publish(self, live: LiveSession) -> None:
        self.updates.publish(live.row["id"], msgspec.json.encode(view_of(live.row, live.meter, utc_now())))

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
        self._attach(row, transaction_id, station_id, connector_id, started_at, meter_start_wh)

    async def _open_rfid_session(
        self,
        transaction_id: uuid.UUID,
        station_id: uuid.UUID,
        connector_id: int,
        id_token: str,
        user_id: uuid.UUID,
        started_at: datetime,
        meter_start_wh: float | None,
    ) -> None:
        now = utc_now()
        async with self._session_factory() as session:
            evse = (
                await session.execute(
                    select(Evse).where(Evse.charging_station_id == station_id, Evse.ocpp_evse_id == connector_id)
                )
            ).scalar_one_or_none()
            if evse is None:
                return
            location = await session.get(Location, evse.location_id)
            user = await session.get(User, user_id)
            assert location is not None
            connectors = (await session.execute(select(Connector).where(Connector.evse_id == evse.id))).scalars()
            tariff = self._tariff(location, [t for c in connectors for t in (c.tariff_ids or [])], now)
            record = ChargingSession(
                id=uuid.uuid4(),
                user_id=user_id,
                source="rfid",
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
            )
            session.add(record)
            try:
                await session.commit()
            except IntegrityError:
                logger.warning("RFID transaction %s on an EVSE another session holds; not tracked", transaction_id)
                return
            metrics.session_started("rfid")
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
            try:
                settlement = await self.payments.settle(
                    payer,
                    hold,
                    amount_minor=due_minor,
                    idempotency_key=f"settle-{session_id}",
                    description=f"Charging session {str(session_id)[:8]}: {energy_wh / 1000:.2f} kWh",
                )
            except Exception:
                logger.exception("settling session %s failed; the reconciliation job will retry", session_id)
                return
            if self.payments.name == "none":
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
                row = await self._row(session, record)
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
        """Webhooks: refunds and disputes are recorded on the session the payment belongs to."""
        if event.reference is None:
            return
        values: dict[str, Any] | None = None
        if event.type == "charge.refunded":
            values = {"payment_status": "refunded"}
            if event.amount_minor is not None:
                values["refunded_minor"] = event.amount_minor
        elif event.type == "charge.dispute.created":
            values = {"payment_status": "disputed"}
        elif event.type == "payment_intent.canceled":
            values = {"payment_status": "released"}
        if values is None:
            return
        values["updated_at"] = utc_now()
        async with self._session_factory() as session, session.begin():
            await session.execute(
                update(ChargingSession).where(ChargingSession.payment_reference == event.reference).values(**values)
            )

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
                        .where(
                            ChargingSession.status.in_(OPEN_STATUSES),
                            ChargingSession.billed_at.is_(None),
                            ChargingTransaction.status == "ended",
                            ChargingTransaction.updated_at < now - timedelta(seconds=5),
                        )
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


__all__ = ["SessionService", "from_minor", "to_minor", "view_of"]
