"""The chargers of a page of the network view: the chargers, then their EVSEs, the open sessions and the
transactions running without a session, each looked up by indexed ids in lists of at most 500, read as plain rows
(no ORM objects): four statements for a page of up to 500 chargers."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from api.db.models import ChargingSession, ChargingStation, ChargingTransaction, Evse, Location
from api.db.models.sessions import OPEN_STATUSES
from api.domain.chargers.live_writer import chunks
from api.domain.operations.network.schemas import (
    AUTH_OF_SOURCE,
    ActiveSession,
    ChargerRow,
    EvseRow,
    charger_status,
    evse_status,
)

_transaction = ChargingTransaction


def _hint(token: str | None) -> str | None:
    """The end of a card's or token's id: enough for an operator to recognise it, not to copy it."""
    if not token:
        return None
    return "…" + token[-4:] if len(token) > 4 else token


def _kwh(energy_wh: float | None) -> Decimal:
    return Decimal(repr(round((energy_wh or 0.0) / 1000, 3)))


def _kw(power_w: float | None) -> Decimal | None:
    return None if power_w is None else Decimal(repr(round(power_w / 1000, 2)))


def _seconds(started_at: datetime | None, now: datetime) -> int:
    return 0 if started_at is None else max(0, int((now - started_at).total_seconds()))


def _partner(cdr_token: Any) -> str | None:
    """An OCPI token's issuer as operators name it: country code and party id, e.g. DE-ABC."""
    if not isinstance(cdr_token, dict):
        return None
    return "-".join(str(cdr_token.get(key) or "") for key in ("country_code", "party_id")).strip("-") or None


async def _open_sessions(
    connection: AsyncConnection, evse_ids: list[uuid.UUID], now: datetime
) -> dict[uuid.UUID, ActiveSession]:
    """The open session on each of the EVSEs, with its transaction's latest meter reading."""
    found: dict[uuid.UUID, ActiveSession] = {}
    for part in chunks(evse_ids):
        await _add_open_sessions(connection, part, now, found)
    return found


async def _add_open_sessions(
    connection: AsyncConnection, evse_ids: Any, now: datetime, found: dict[uuid.UUID, ActiveSession]
) -> None:
    rows = await connection.execute(
        select(
            ChargingSession.id,
            ChargingSession.evse_id,
            ChargingSession.status,
            ChargingSession.source,
            ChargingSession.id_token,
            ChargingSession.started_at,
            ChargingSession.created_at,
            ChargingSession.ocpi_cdr_token,
            _transaction.ocpp_transaction_id,
            _transaction.energy_wh,
            _transaction.power_w,
            _transaction.soc_percent,
        )
        .outerjoin(_transaction, _transaction.id == ChargingSession.transaction_id)
        .where(ChargingSession.evse_id.in_(evse_ids), ChargingSession.status.in_(OPEN_STATUSES))
    )
    for session_id, evse_id, status, source, token, started, created, cdr_token, ocpp_tx, energy, power, soc in rows:
        method = AUTH_OF_SOURCE.get(source, "app")
        found[evse_id] = ActiveSession(
            session_id=session_id,
            status=status,
            auth_method=method,
            id_token_hint=_hint(token) if method in ("rfid", "roaming") else None,
            roaming_partner=_partner(cdr_token) if method == "roaming" else None,
            transaction_id=ocpp_tx,
            started_at=started,
            duration_seconds=_seconds(started or created, now),
            energy_kwh=_kwh(energy),
            power_kw=_kw(power),
            soc_percent=soc,
        )


async def _sessionless_transactions(
    connection: AsyncConnection, evse_ids: Any, now: datetime, found: dict[uuid.UUID, ActiveSession]
) -> None:
    """Transactions a charger runs without a session of ours (a free-vend or locally authorised card)."""
    rows = await connection.execute(
        select(
            _transaction.evse_id,
            _transaction.ocpp_transaction_id,
            _transaction.id_token,
            _transaction.started_at,
            _transaction.energy_wh,
            _transaction.power_w,
            _transaction.soc_percent,
        ).where(
            _transaction.evse_id.in_(evse_ids),
            _transaction.status == "active",
            ~exists().where(ChargingSession.transaction_id == _transaction.id),
        )
    )
    for evse_id, ocpp_tx, token, started, energy, power, soc in rows:
        if evse_id is None or evse_id in found:
            continue
        found[evse_id] = ActiveSession(
            session_id=None,
            status="charging",
            auth_method="charger",
            id_token_hint=_hint(token),
            roaming_partner=None,
            transaction_id=ocpp_tx,
            started_at=started,
            duration_seconds=_seconds(started, now),
            energy_kwh=_kwh(energy),
            power_kw=_kw(power),
            soc_percent=soc,
        )


_EVSE_COLUMNS = (
    Evse.id,
    Evse.charging_station_id,
    Evse.uid,
    Evse.emi3_evse_id,
    Evse.ocpp_evse_id,
    Evse.status,
    Evse.ocpp_status,
    Evse.error_code,
    Evse.status_updated_at,
)


async def _evses(
    connection: AsyncConnection, connected: dict[uuid.UUID, bool], now: datetime
) -> dict[uuid.UUID, list[EvseRow]]:
    rows: list[Any] = []
    for part in chunks(sorted(connected)):
        rows.extend(await connection.execute(select(*_EVSE_COLUMNS).where(Evse.charging_station_id.in_(part))))
    running: dict[uuid.UUID, ActiveSession] = {}
    if rows:
        evse_ids = sorted(row[0] for row in rows)
        running = await _open_sessions(connection, evse_ids, now)
        for part in chunks(evse_ids):
            await _sessionless_transactions(connection, part, now, running)
    evses: dict[uuid.UUID, list[EvseRow]] = {}
    for evse_id, station_id, uid, emi3, number, status, ocpp_status, error, updated in rows:
        evses.setdefault(station_id, []).append(
            EvseRow(
                evse_id=evse_id,
                uid=uid,
                emi3_evse_id=emi3,
                connector_id=number,
                status=evse_status(connected.get(station_id, False), status),
                ocpi_status=status,
                ocpp_status=ocpp_status,
                error_code=error,
                status_updated_at=updated,
                session=running.get(evse_id),
            )
        )
    for listed in evses.values():
        listed.sort(key=lambda evse: (evse.connector_id or 0, evse.uid))
    return evses


async def chargers_by_location(
    connection: AsyncConnection, where: list[ColumnElement[bool]], now: datetime
) -> dict[uuid.UUID, list[ChargerRow]]:
    """The chargers `where` keeps (on chargers joined with their location), by location, in charger id order."""
    rows = (
        await connection.execute(
            select(
                ChargingStation.id,
                ChargingStation.location_id,
                ChargingStation.ocpp_id,
                ChargingStation.connected,
                ChargingStation.held_by,
                ChargingStation.last_seen,
                ChargingStation.vendor,
                ChargingStation.model,
                ChargingStation.firmware_version,
                ChargingStation.ocpp_version,
                ChargingStation.registration_status,
            )
            .join(Location, Location.id == ChargingStation.location_id)
            .where(*where)
            .order_by(ChargingStation.ocpp_id)
        )
    ).all()
    connected = {row[0]: bool(row[3]) for row in rows}
    evses = await _evses(connection, connected, now) if rows else {}
    found: dict[uuid.UUID, list[ChargerRow]] = {}
    for station_id, location_id, ocpp_id, online, held_by, seen, vendor, model, firmware, version, registration in rows:
        listed = evses.get(station_id, [])
        found.setdefault(location_id, []).append(
            ChargerRow(
                charger_id=ocpp_id,
                status=charger_status(bool(online), [evse.status for evse in listed]),
                connected=bool(online),
                held_by=held_by if online else None,
                last_seen=seen,
                vendor=vendor,
                model=model,
                firmware_version=firmware,
                ocpp_version=version,
                registration_status=registration,
                evses=listed,
            )
        )
    return found
