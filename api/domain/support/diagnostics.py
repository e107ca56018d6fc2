"""Everything an agent needs to see about a ticket in one answer: the charger's live state and recent faults, its
last OCPP messages, the ticket's session (meter curve and cost, the same figures as the receipt) and the driver's
recent sessions and payment state.

The OCPP message journal is kept by the process holding the charger's socket; it is read through a `JournalReader`
given by the composition root (without one, the answer says the journal is not available).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import (
    ChargerLogEntry,
    ChargingSession,
    ChargingStation,
    ChargingTransaction,
    Connector,
    Evse,
    Location,
    MeterSampleRecord,
    SupportTicket,
    User,
)
from api.db.types import utc_now
from api.domain.sessions.adjustments import adjustments_of
from api.domain.sessions.receipts import build_receipt
from api.domain.sessions.service import SessionService
from api.schema import AppStruct

JOURNAL_LIMIT: Final = 50
FAULT_LIMIT: Final = 20
LAST_SESSIONS: Final = 10
MAX_CURVE_POINTS: Final = 500
BUSY: Final = frozenset({"Charging", "Preparing", "SuspendedEV", "SuspendedEVSE", "Finishing", "Occupied", "Reserved"})


class JournalEntryLike(Protocol):
    """One OCPP frame as the bridge's journal keeps it."""

    @property
    def at(self) -> datetime: ...
    @property
    def direction(self) -> str: ...
    @property
    def message_type(self) -> str | None: ...
    @property
    def action(self) -> str | None: ...
    @property
    def unique_id(self) -> str | None: ...
    @property
    def payload(self) -> Any: ...


class JournalReader(Protocol):
    """The last `limit` OCPP messages of a charger, oldest first; None when no process keeps a journal of it."""

    async def __call__(self, charger_id: str, limit: int) -> Sequence[JournalEntryLike] | None: ...


async def no_journal(charger_id: str, limit: int) -> Sequence[JournalEntryLike] | None:
    """The reader when none is wired: the journal is not available."""
    return None


class ConnectorDiagnostics(AppStruct):
    connector_id: str
    status: str | None
    error_code: str | None
    standard: str | None = None


class EvseDiagnostics(AppStruct):
    evse_id: int | None
    emi3_evse_id: str | None
    connectors: list[ConnectorDiagnostics]


class ChargerDiagnostics(AppStruct):
    """`status`: Offline when not connected; else Faulted, Unavailable, Occupied or Available over its EVSEs."""

    id: str
    connected: bool
    status: str
    last_heard: datetime | None
    firmware: str | None
    model: str | None
    vendor: str | None
    ocpp_version: str | None
    evses: list[EvseDiagnostics]


class JournalLine(AppStruct):
    at: datetime
    direction: str
    message_type: str | None
    action: str | None
    unique_id: str | None
    payload: Any = None


class FaultLine(AppStruct):
    at: datetime
    kind: str
    detail: dict[str, Any]


class MeterPoint(AppStruct):
    """`energyWh` delivered since the session started; `powerW` at that moment."""

    at: datetime
    energy_wh: float | None
    power_w: float | None


class CostLine(AppStruct):
    description: str
    amount: Decimal  # incl. VAT


class CostView(AppStruct):
    """The receipt's lines once billed (else the running cost); `net` is the total less refunds and adjustments."""

    total: Decimal
    currency: str
    lines: list[CostLine]
    refunded: Decimal
    net: Decimal


class SessionDiagnostics(AppStruct):
    id: uuid.UUID
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    energy_wh: float
    meter_curve: list[MeterPoint]
    cost: CostView | None
    stop_reason: str | None = None
    payment_state: str | None = None


class DriverSessionLine(AppStruct):
    id: uuid.UUID
    started_at: datetime | None
    energy_wh: float
    total: Decimal | None
    currency: str
    payment_state: str
    status: str


class DriverDiagnostics(AppStruct):
    id: uuid.UUID
    name: str
    email: str
    last_sessions: list[DriverSessionLine]
    payment_state: str


class Diagnostics(AppStruct):
    """`journalAvailable` false: no process keeps the charger's message journal (or none is wired here)."""

    charger: ChargerDiagnostics | None
    journal: list[JournalLine]
    journal_available: bool
    faults: list[FaultLine]
    session: SessionDiagnostics | None
    driver: DriverDiagnostics | None


def _summary_status(connected: bool, statuses: Sequence[str | None]) -> str:
    if not connected:
        return "Offline"
    known = [status for status in statuses if status]
    for wanted in ("Faulted", "Unavailable"):
        if wanted in known:
            return wanted
    if any(status in BUSY for status in known):
        return "Occupied"
    return "Available" if known else "Unknown"


async def _charger(session: AsyncSession, charger_id: str) -> tuple[ChargingStation | None, ChargerDiagnostics | None]:
    station = (
        await session.execute(select(ChargingStation).where(ChargingStation.ocpp_id == charger_id))
    ).scalar_one_or_none()
    if station is None:
        return None, None
    evses = (
        (await session.execute(select(Evse).where(Evse.charging_station_id == station.id).order_by(Evse.ocpp_evse_id)))
        .scalars()
        .all()
    )
    connectors: dict[uuid.UUID, list[Connector]] = {}
    if evses:
        rows = await session.execute(
            select(Connector).where(Connector.evse_id.in_([e.id for e in evses])).order_by(Connector.connector_id)
        )
        for connector in rows.scalars():
            connectors.setdefault(connector.evse_id, []).append(connector)
    views = [
        EvseDiagnostics(
            evse_id=evse.ocpp_evse_id,
            emi3_evse_id=evse.emi3_evse_id,
            connectors=[
                ConnectorDiagnostics(
                    connector_id=c.connector_id,
                    status=evse.ocpp_status,
                    error_code=evse.error_code,
                    standard=c.standard,
                )
                for c in connectors.get(evse.id, [])
            ]
            or [ConnectorDiagnostics(connector_id="1", status=evse.ocpp_status, error_code=evse.error_code)],
        )
        for evse in evses
    ]
    return station, ChargerDiagnostics(
        id=station.ocpp_id,
        connected=station.connected,
        status=_summary_status(station.connected, [evse.ocpp_status for evse in evses]),
        last_heard=station.last_seen,
        firmware=station.firmware_version,
        model=station.model,
        vendor=station.vendor,
        ocpp_version=station.ocpp_version,
        evses=views,
    )


async def _faults(session: AsyncSession, station_id: uuid.UUID) -> list[FaultLine]:
    rows = await session.execute(
        select(ChargerLogEntry)
        .where(ChargerLogEntry.charging_station_id == station_id, ChargerLogEntry.kind.like("%Fault%"))
        .order_by(ChargerLogEntry.at.desc(), ChargerLogEntry.id.desc())
        .limit(FAULT_LIMIT)
    )
    return [FaultLine(at=row.at, kind=row.kind, detail=row.detail or {}) for row in rows.scalars()]


def _payment_state(record: ChargingSession) -> str:
    """As the assistant words it: declined with the reason, debt with what is owed, else the status."""
    if record.payment_status == "declined" and record.failure_reason:
        return f"declined: {record.failure_reason}"
    if record.payment_status == "debt":
        return f"debt: {record.debt_minor} in minor units outstanding"
    return record.payment_status


async def _curve(session: AsyncSession, transaction: ChargingTransaction) -> list[MeterPoint]:
    rows = (
        await session.execute(
            select(MeterSampleRecord.at, MeterSampleRecord.energy_wh, MeterSampleRecord.power_w)
            .where(MeterSampleRecord.transaction_id == transaction.id)
            .order_by(MeterSampleRecord.at, MeterSampleRecord.id)
        )
    ).all()
    step = max(1, -(-len(rows) // MAX_CURVE_POINTS))
    kept = list(rows[::step])
    if rows and kept[-1] is not rows[-1]:
        kept.append(rows[-1])
    start = transaction.meter_start_wh or 0.0
    return [
        MeterPoint(at=at, energy_wh=round(energy - start, 3) if energy is not None else None, power_w=power)
        for at, energy, power in kept
    ]


async def _session(session: AsyncSession, sessions: SessionService, session_id: uuid.UUID) -> SessionDiagnostics | None:
    record = await session.get(ChargingSession, session_id)
    if record is None:
        return None
    transaction = await session.get(ChargingTransaction, record.transaction_id) if record.transaction_id else None
    curve = await _curve(session, transaction) if transaction is not None else []
    cost: CostView | None = None
    if record.status == "completed" and record.cdr is not None and record.billed_at is not None:
        given = (await adjustments_of(session, [record.id])).get(record.id, [])
        location = await session.get(Location, record.location_id)
        evse = await session.get(Evse, record.evse_id)
        row = await sessions._row(session, record)
        receipt = build_receipt(record, location, evse, row, sessions.settings, utc_now(), given)
        cost = CostView(
            total=receipt.total_incl_vat,
            currency=receipt.currency,
            lines=[CostLine(description=line.description, amount=line.amount_incl_vat) for line in receipt.lines],
            refunded=receipt.amount_due - receipt.net_amount if receipt.net_amount is not None else Decimal(0),
            net=receipt.net_amount if receipt.net_amount is not None else receipt.amount_due,
        )
    else:
        running = (await sessions.view(session, record)).cost
        if running is not None:
            parts = running.breakdown
            named = (
                ("Energy", parts.energy),
                ("Charging time", parts.time),
                ("Idle time", parts.idle),
                ("Session fee", parts.fixed),
                ("Reservation", parts.reservation),
            )
            cost = CostView(
                total=running.amount,
                currency=running.currency,
                lines=[CostLine(description=name, amount=amount) for name, amount in named if amount],
                refunded=Decimal(0),
                net=running.amount,
            )
    return SessionDiagnostics(
        id=record.id,
        status=record.status,
        started_at=record.started_at,
        ended_at=record.ended_at,
        energy_wh=float(transaction.energy_wh or 0.0) if transaction is not None else 0.0,
        meter_curve=curve,
        cost=cost,
        stop_reason=record.stop_reason,
        payment_state=_payment_state(record),
    )


async def _driver(session: AsyncSession, user_id: uuid.UUID) -> DriverDiagnostics | None:
    user = await session.get(User, user_id)
    if user is None:
        return None
    rows = (
        await session.execute(
            select(ChargingSession, ChargingTransaction.energy_wh)
            .outerjoin(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
            .where(ChargingSession.user_id == user_id)
            .order_by(ChargingSession.created_at.desc())
            .limit(LAST_SESSIONS)
        )
    ).all()
    lines = [
        DriverSessionLine(
            id=record.id,
            started_at=record.started_at,
            energy_wh=float(energy or 0.0),
            total=Decimal(record.amount_due) if record.amount_due is not None else None,
            currency=record.currency,
            payment_state=_payment_state(record),
            status=record.status,
        )
        for record, energy in rows
    ]
    return DriverDiagnostics(
        id=user.id,
        name=user.name,
        email=user.email,
        last_sessions=lines,
        payment_state=lines[0].payment_state if lines else "unknown",
    )


async def diagnose(
    session: AsyncSession, ticket: SupportTicket, *, sessions: SessionService, journal: JournalReader
) -> Diagnostics:
    """The ticket's diagnostics as they are now."""
    station, charger = (None, None) if ticket.charger_id is None else await _charger(session, ticket.charger_id)
    faults = await _faults(session, station.id) if station is not None else []
    entries = await journal(ticket.charger_id, JOURNAL_LIMIT) if ticket.charger_id is not None else None
    lines = [
        JournalLine(
            at=entry.at,
            direction=entry.direction,
            message_type=entry.message_type,
            action=entry.action,
            unique_id=entry.unique_id,
            payload=entry.payload,
        )
        for entry in (entries or ())
    ][-JOURNAL_LIMIT:]
    return Diagnostics(
        charger=charger,
        journal=lines,
        journal_available=entries is not None,
        faults=faults,
        session=await _session(session, sessions, ticket.session_id) if ticket.session_id is not None else None,
        driver=await _driver(session, ticket.user_id) if ticket.user_id is not None else None,
    )
