"""Reservations: a connector held for one id token until it expires, kept in step with the charger.

A reservation is stored before ReserveNow is sent (its row id is the OCPP reservationId), becomes Active when the
charger accepts it, Used when a transaction starts with its id, Expired when its time has passed (we notice it
ourselves; a 2.0.1 charger also says so with ReservationStatusUpdate), Removed when the charger dropped it, and
Cancelled by CancelReservation. Other parts of the product (e.g. roaming reservations) call `ReservationService`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Reservation
from api.db.types import utc_now
from api.schema import FrozenAppStruct
from ocpp_bridge import commands, errors

SendCommand = Callable[[str, commands.CommandRequest], Awaitable[commands.CommandResult]]
OPEN = ("Pending", "Active")


class ReservationError(Exception):
    """A reservation that cannot be made or changed; the message says why."""


class UnknownCharger(ReservationError):
    pass


class UnknownReservation(ReservationError):
    pass


class InvalidReservation(ReservationError):
    """What was asked cannot be a reservation (e.g. it expires in the past)."""


class ReservationRefused(ReservationError):
    """The charger answered ReserveNow with something other than Accepted."""


class ReservationOut(FrozenAppStruct, frozen=True):
    id: int
    charger_id: str
    connector_id: int
    id_token: str
    group_id: str | None
    expires_at: datetime
    status: str
    ocpp_transaction_id: str | None
    created_at: datetime


def _out(record: Reservation, charger_id: str) -> ReservationOut:
    return ReservationOut(
        id=record.id,
        charger_id=charger_id,
        connector_id=record.connector_id,
        id_token=record.id_token,
        group_id=record.group_id,
        expires_at=record.expires_at,
        status=record.status,
        ocpp_transaction_id=record.ocpp_transaction_id,
        created_at=record.created_at,
    )


class ReservationService:
    """Makes, cancels and lists reservations; `send_command` reaches the charger wherever its socket is held."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], send_command: SendCommand) -> None:
        self._session_factory = session_factory
        self._send = send_command

    async def reserve(
        self, charger_id: str, *, connector_id: int, id_token: str, expires_at: datetime, group_id: str | None = None
    ) -> ReservationOut:
        """Store the reservation, send ReserveNow; its status is the charger's answer (Active when Accepted)."""
        if expires_at.tzinfo is None:
            raise InvalidReservation("The expiry must carry a time zone, e.g. 2027-01-31T18:00:00Z.")
        if expires_at <= utc_now():
            raise InvalidReservation("The reservation must expire in the future.")
        async with self._session_factory() as session, session.begin():
            station_id = (
                await session.execute(select(ChargingStation.id).where(ChargingStation.ocpp_id == charger_id))
            ).scalar_one_or_none()
            if station_id is None:
                raise UnknownCharger(f"No charger {charger_id!r}.")
            record = Reservation(
                charging_station_id=station_id,
                connector_id=connector_id,
                id_token=id_token,
                group_id=group_id,
                expires_at=expires_at,
                status="Pending",
                created_at=utc_now(),
                updated_at=utc_now(),
            )
            session.add(record)
            await session.flush()
            reservation_id = record.id
        request = commands.ReserveNow(
            reservation_id=reservation_id,
            id_token=id_token,
            expiry_date=expires_at,
            connector_id=connector_id,
            parent_id_token=group_id,
        )
        try:
            result = await self._send(charger_id, request)
        except errors.OcppBridgeError:
            await self._set_status(reservation_id, "Rejected")
            raise
        answer = getattr(result, "status", "Rejected")
        await self._set_status(reservation_id, "Active" if answer == "Accepted" else "Rejected")
        found = await self.get(reservation_id)
        if answer != "Accepted":
            raise ReservationRefused(f"The charger refused the reservation ({answer}).")
        return found

    async def cancel(self, reservation_id: int) -> ReservationOut:
        """CancelReservation to the charger; the reservation is Cancelled whatever the charger says about it."""
        found = await self.get(reservation_id)
        if found.status in OPEN:
            # an offline charger lets the reservation expire by itself
            with contextlib.suppress(errors.ChargerNotConnected, errors.ChargerDisconnected):
                await self._send(found.charger_id, commands.CancelReservation(reservation_id=reservation_id))
            await self._set_status(reservation_id, "Cancelled", only_open=True)
        return await self.get(reservation_id)

    async def get(self, reservation_id: int) -> ReservationOut:
        async with self._session_factory() as session:
            row = (
                await session.execute(
                    select(Reservation, ChargingStation.ocpp_id)
                    .join(ChargingStation, ChargingStation.id == Reservation.charging_station_id)
                    .where(Reservation.id == reservation_id)
                )
            ).one_or_none()
        if row is None:
            raise UnknownReservation(f"No reservation {reservation_id}.")
        return _out(row[0], row[1])

    async def list(self, *, charger_id: str | None = None, open_only: bool = False) -> list[ReservationOut]:
        query = select(Reservation, ChargingStation.ocpp_id).join(
            ChargingStation, ChargingStation.id == Reservation.charging_station_id
        )
        if charger_id is not None:
            query = query.where(ChargingStation.ocpp_id == charger_id)
        if open_only:
            query = query.where(Reservation.status.in_(OPEN))
        async with self._session_factory() as session:
            rows = (await session.execute(query.order_by(Reservation.id.desc()).limit(500))).all()
        return [_out(record, ocpp_id) for record, ocpp_id in rows]

    async def _set_status(self, reservation_id: int, status: str, *, only_open: bool = False) -> None:
        query = update(Reservation).where(Reservation.id == reservation_id)
        if only_open:
            query = query.where(Reservation.status.in_(OPEN))
        async with self._session_factory() as session, session.begin():
            await session.execute(query.values(status=status, updated_at=utc_now()))


# ----- what chargers report (called by the bridge's backend) -----------------------------------------------------


async def reservation_status_changed(
    session_factory: async_sessionmaker[AsyncSession], station_id: uuid.UUID, reservation_id: int, status: str
) -> None:
    """2.0.1 ReservationStatusUpdate: Expired or Removed; a reservation already Used or Cancelled stays so."""
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Reservation)
            .where(
                Reservation.id == reservation_id,
                Reservation.charging_station_id == station_id,
                Reservation.status.in_(OPEN),
            )
            .values(status=status if status in ("Expired", "Removed") else "Removed", updated_at=utc_now())
        )


async def consume_reservation(
    session_factory: async_sessionmaker[AsyncSession],
    station_id: uuid.UUID,
    reservation_id: int,
    ocpp_transaction_id: str,
) -> None:
    """A transaction started with the reservation's id: the reservation is Used by it."""
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Reservation)
            .where(
                Reservation.id == reservation_id,
                Reservation.charging_station_id == station_id,
                Reservation.status.in_(OPEN),
            )
            .values(status="Used", ocpp_transaction_id=ocpp_transaction_id, updated_at=utc_now())
        )


async def expire_reservations(session_factory: async_sessionmaker[AsyncSession], now: datetime | None = None) -> int:
    """Open reservations whose time has passed become Expired (the charger frees the connector by itself)."""
    async with session_factory() as session, session.begin():
        result = await session.execute(
            update(Reservation)
            .where(Reservation.status.in_(OPEN), Reservation.expires_at <= (now or utc_now()))
            .values(status="Expired", updated_at=utc_now())
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
