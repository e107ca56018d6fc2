"""Carrying out an accepted OCPI command at the charger, then reporting its CommandResult to the eMSP.

Each run goes through the paths the app's own features use: the OCPP command registry (`send_command`, which
reaches the charger wherever its socket is held), the sessions service (a START_SESSION session is a session like
any other, a STOP_SESSION is the durable stop of `SessionStop`) and the `ReservationService` (stored reservations,
expired by the bridge's authorisation upkeep). The CommandResult is POSTed to the eMSP's `response_url` through the
delivery outbox (kind "ocpi_command_result"), retried until it arrives.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING, Final, Literal

import msgspec
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, ChargingTransaction, IdTokenRecord, Location, Reservation
from api.db.types import utc_now
from api.domain.chargers.reservations import OPEN, ReservationRefused, ReservationService
from api.domain.ocpi.command_targets import Target
from api.domain.ocpi.outbox import enqueue_ocpi
from api.domain.ocpi.tokens import Token, cdr_token_of
from api.metrics import instruments as metrics
from ocpp_bridge import errors as ocpp_errors
from ocpp_bridge.commands import RemoteStart, RemoteStartResult, Unlock

if TYPE_CHECKING:
    from api.domain.sessions.service import SessionService

logger = logging.getLogger(__name__)

RESULT_KIND: Final = "ocpi_command_result"
STOP_POLL_SECONDS: Final = 0.2
OCPP16_ID_TAG_LENGTH: Final = 20  # how often a STOP_SESSION looks whether the charger has ended the transaction

CommandResultType = Literal[
    "ACCEPTED",
    "CANCELED_RESERVATION",
    "EVSE_OCCUPIED",
    "EVSE_INOPERATIVE",
    "FAILED",
    "NOT_SUPPORTED",
    "REJECTED",
    "TIMEOUT",
    "UNKNOWN_RESERVATION",
]


class DisplayText(msgspec.Struct, frozen=True):
    language: str
    text: str


class CommandResult(msgspec.Struct, frozen=True, omit_defaults=True):
    """OCPI CommandResult: what the charger made of the command."""

    result: CommandResultType
    message: list[DisplayText] = msgspec.field(default_factory=list)


def _result(result: CommandResultType, text: str | None = None) -> CommandResult:
    return CommandResult(result, [DisplayText("en", text[:512])] if text else [])


def _app_token() -> str:
    """The OCPP id token of one commanded session (20 characters, the 1.6 idTag limit)."""
    return "VW" + secrets.token_hex(9).upper()


_REFUSAL = re.compile(r"\(([A-Za-z]+)\)")
_RESERVE_ANSWERS: Final[dict[str, CommandResultType]] = {
    "Occupied": "EVSE_OCCUPIED",
    "Faulted": "EVSE_INOPERATIVE",
    "Unavailable": "EVSE_INOPERATIVE",
    "Rejected": "REJECTED",
}
_UNLOCK_ANSWERS: Final[dict[str, CommandResultType]] = {
    "Unlocked": "ACCEPTED",
    "UnlockFailed": "FAILED",
    "NotSupported": "NOT_SUPPORTED",
    "OngoingAuthorizedTransaction": "REJECTED",
    "UnknownConnector": "REJECTED",
}


def _error_result(exc: ocpp_errors.OcppBridgeError) -> CommandResult:
    if isinstance(exc, ocpp_errors.CommandTimeout):
        return _result("TIMEOUT", "The charger did not answer in time.")
    if isinstance(exc, ocpp_errors.ChargerNotConnected | ocpp_errors.ChargerDisconnected):
        return _result("EVSE_INOPERATIVE", "The charger is offline.")
    return _result("FAILED", str(exc))


class CommandRuns:
    """Runs commands for one partner and reports each result to its `response_url`."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        partner_id: uuid.UUID,
        sessions: SessionService,
        reservations: ReservationService,
        wait_seconds: float,
    ) -> None:
        self._factory = session_factory
        self.partner_id = partner_id
        self._sessions = sessions
        self._reservations = reservations
        self._wait_seconds = wait_seconds

    async def report(self, response_url: str, result: CommandResult) -> None:
        """The CommandResult into the outbox; POSTed to the eMSP (with retries) once committed."""
        async with self._factory() as session:
            await enqueue_ocpi(
                session,
                partner_id=self.partner_id,
                kind=RESULT_KIND,
                method="POST",
                url=response_url,
                body=msgspec.to_builtins(result),
            )
            await session.commit()
        logger.info("OCPI command result %s queued for %s", result.result, response_url)

    async def _run(self, response_url: str, work: Awaitable[CommandResult]) -> None:
        try:
            result = await work
        except Exception as exc:
            logger.exception("an OCPI command failed")
            result = _result("FAILED", f"The command could not be carried out: {type(exc).__name__}.")
        await self.report(response_url, result)

    # ----- START_SESSION -------------------------------------------------------------------------------------

    async def start_session(
        self, response_url: str, token: Token, target: Target, authorization_reference: str | None
    ) -> None:
        await self._run(response_url, self._start(token, target, authorization_reference))

    async def _reserved_for(self, target: Target, uid: str) -> bool:
        """Whether this partner holds an open reservation of this EVSE (or of its whole charger) for `uid`."""
        async with self._factory() as session:
            found = (
                await session.execute(
                    select(Reservation.id).where(
                        Reservation.ocpi_partner_id == self.partner_id,
                        Reservation.charging_station_id == target.station_id,
                        Reservation.connector_id.in_((0, target.ocpp_evse_id)),
                        Reservation.id_token == uid,
                        Reservation.status.in_(OPEN),
                    )
                )
            ).first()
        return found is not None

    async def _start(self, token: Token, target: Target, authorization_reference: str | None) -> CommandResult:
        """Start with a token of our own for the session; on an EVSE the partner reserved for this token, with the
        token itself (the charger holds the connector for it, and the start uses the reservation up)."""
        if target.inoperative:
            return _result("EVSE_INOPERATIVE", "This EVSE is offline or out of order.")
        reserved = len(token.uid) <= OCPP16_ID_TAG_LENGTH and await self._reserved_for(target, token.uid)
        if target.occupied and not reserved:
            return _result("EVSE_OCCUPIED", "This EVSE is in use.")
        sessions = self._sessions
        if sessions.send_command is None:
            return _result("FAILED", "Chargers cannot be reached from here.")
        now = utc_now()
        ocpp_token = token.uid if reserved else _app_token()
        remote_start_id = secrets.randbelow(2**31)
        async with self._factory() as session:
            location = await session.get(Location, target.location_id)
            assert location is not None
            tariff = sessions._tariff(location, list(target.tariff_ids), now)
            record = ChargingSession(
                id=uuid.uuid4(),
                user_id=None,
                source="ocpi",
                location_id=location.id,
                evse_id=target.evse_id,
                charging_station_id=target.station_id,
                connector_id=target.ocpp_evse_id,
                id_token=ocpp_token,
                remote_start_id=remote_start_id,
                status="starting",
                **sessions._price_terms(tariff, location, "en"),
                created_at=now,
                updated_at=now,
                ocpi_partner_id=self.partner_id,
                ocpi_cdr_token=cdr_token_of(token),
                ocpi_auth_method="COMMAND",
                ocpi_authorization_reference=authorization_reference,
            )
            session.add(record)
            if not reserved:  # accepted at the charger as our own token; a reserved one is the partner's token
                session.add(IdTokenRecord(uid=ocpp_token, type="Central", user_id=None, status="Accepted"))
            try:
                await session.flush()
                if sessions.roaming is not None:  # the eMSP hears of the session it asked for
                    await sessions.roaming.session_changed(session, record)
                await session.commit()
            except IntegrityError:
                return _result("EVSE_OCCUPIED", "Another session has just started at this EVSE.")
            session_id = record.id
        metrics.session_started("ocpi")
        try:
            answer = await sessions.send_command(
                target.ocpp_id,
                RemoteStart(id_token=ocpp_token, connector_id=target.ocpp_evse_id, remote_start_id=remote_start_id),
            )
        except ocpp_errors.OcppBridgeError as exc:
            failed = _error_result(exc)
            await sessions._fail(session_id, f"The charger could not be started: {exc}")
            return failed
        status = answer.status if isinstance(answer, RemoteStartResult) else getattr(answer, "status", "Rejected")
        if status != "Accepted":
            await sessions._fail(session_id, f"The charger refused to start ({status}).")
            return _result("REJECTED", f"The charger refused to start ({status}).")
        return _result("ACCEPTED")

    # ----- STOP_SESSION --------------------------------------------------------------------------------------

    async def stop_session(self, response_url: str, session_id: uuid.UUID) -> None:
        await self._run(response_url, self._stop(session_id))

    async def _stop(self, session_id: uuid.UUID) -> CommandResult:
        """The durable stop of the sessions service; ACCEPTED once the charger has ended the transaction."""
        await self._sessions.stop(session_id)
        deadline = time.monotonic() + self._wait_seconds
        while time.monotonic() < deadline:
            async with self._factory() as session:
                row = (
                    await session.execute(
                        select(ChargingSession.status, ChargingTransaction.status)
                        .outerjoin(ChargingTransaction, ChargingTransaction.id == ChargingSession.transaction_id)
                        .where(ChargingSession.id == session_id)
                    )
                ).one_or_none()
            if row is None or row[0] in ("completed", "failed") or row[1] not in (None, "active"):
                return _result("ACCEPTED")
            await asyncio.sleep(STOP_POLL_SECONDS)
        return _result("TIMEOUT", "The charger has not ended the session yet; it is asked again until it does.")

    # ----- UNLOCK_CONNECTOR ----------------------------------------------------------------------------------

    async def unlock(self, response_url: str, target: Target) -> None:
        await self._run(response_url, self._unlock(target))

    async def _unlock(self, target: Target) -> CommandResult:
        if self._sessions.send_command is None:
            return _result("FAILED", "Chargers cannot be reached from here.")
        try:
            answer = await self._sessions.send_command(
                target.ocpp_id, Unlock(connector_id=target.ocpp_evse_id, evse_connector_id=target.connector_number)
            )
        except ocpp_errors.OcppBridgeError as exc:
            return _error_result(exc)
        status = str(getattr(answer, "status", "UnlockFailed"))
        return _result(_UNLOCK_ANSWERS.get(status, "FAILED"), None if status == "Unlocked" else status)

    # ----- RESERVE_NOW, CANCEL_RESERVATION ---------------------------------------------------------------------

    async def reserve(
        self, response_url: str, token: Token, target: Target, reservation_id: str, expires_at: datetime, whole: bool
    ) -> None:
        await self._run(response_url, (self._reserve(token, target, reservation_id, expires_at, whole)))

    async def _open_reservation(self, reservation_id: str) -> int | None:
        async with self._factory() as session:
            found: int | None = (
                await session.execute(
                    select(Reservation.id)
                    .where(
                        Reservation.ocpi_partner_id == self.partner_id,
                        Reservation.ocpi_reservation_id == reservation_id,
                        Reservation.status.in_(OPEN),
                    )
                    .order_by(Reservation.id.desc())
                    .limit(1)
                )
            ).scalar_one_or_none()
        return found

    async def _reserve(
        self, token: Token, target: Target, reservation_id: str, expires_at: datetime, whole: bool
    ) -> CommandResult:
        """A reservation id the partner used before replaces that reservation (OCPI ReserveNow)."""
        if target.inoperative:
            return _result("EVSE_INOPERATIVE", "This EVSE is offline or out of order.")
        previous = await self._open_reservation(reservation_id)
        if previous is not None:
            await self._reservations.cancel(previous)
        try:
            made = await self._reservations.reserve(
                target.ocpp_id,
                connector_id=0 if whole else target.ocpp_evse_id,
                id_token=token.uid,
                expires_at=expires_at,
                group_id=token.group_id,
            )
        except ReservationRefused as exc:
            answer = _REFUSAL.search(str(exc))
            return _result(_RESERVE_ANSWERS.get(answer.group(1) if answer else "", "REJECTED"), str(exc))
        except ocpp_errors.OcppBridgeError as exc:
            return _error_result(exc)
        async with self._factory() as session, session.begin():
            await session.execute(
                update(Reservation)
                .where(Reservation.id == made.id)
                .values(ocpi_partner_id=self.partner_id, ocpi_reservation_id=reservation_id)
            )
        return _result("ACCEPTED")

    async def cancel_reservation(self, response_url: str, reservation_id: str) -> None:
        await self._run(response_url, self._cancel(reservation_id))

    async def _cancel(self, reservation_id: str) -> CommandResult:
        found = await self._open_reservation(reservation_id)
        if found is None:
            return _result("UNKNOWN_RESERVATION", f"No open reservation {reservation_id!r} of yours.")
        try:
            await self._reservations.cancel(found)
        except ocpp_errors.OcppBridgeError as exc:
            return _error_result(exc)
        return _result("ACCEPTED")
