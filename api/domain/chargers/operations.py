"""What an operator does to a charger over OCPP, from the admin API or the command line: any command (named or by
OCPP action), password rotation, approval, blocking. Each is audited; a command that sets the charger's password,
however it is phrased, goes through the rotation path so the new secret is stored once the charger accepts it."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation
from api.domain.chargers import audit, registration, rotation
from api.domain.chargers.audit import Operator
from api.domain.chargers.credentials import new_charger_secret
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors

logger = logging.getLogger(__name__)

Send = Callable[[str, ocpp_commands.CommandRequest], Awaitable[ocpp_commands.CommandResult]]
Refresh = Callable[[str], Awaitable[object]]


class UnknownCharger(LookupError):
    """No charger has this OCPP identity."""


class PasswordNotTaken(ocpp_errors.CommandError):
    """The charger answered but did not take the new password; it keeps the old one."""


class StationInfo(msgspec.Struct, frozen=True):
    id: uuid.UUID
    ocpp_id: str
    ocpp_version: str | None
    registration_status: str


async def station_info(session: AsyncSession, ocpp_id: str) -> StationInfo:
    row = (
        await session.execute(
            select(
                ChargingStation.id,
                ChargingStation.ocpp_id,
                ChargingStation.ocpp_version,
                ChargingStation.registration_status,
            ).where(ChargingStation.ocpp_id == ocpp_id)
        )
    ).one_or_none()
    if row is None:
        raise UnknownCharger(f"No charger {ocpp_id!r}.")
    return StationInfo(*row)


async def _nothing(_ocpp_id: str) -> None:
    return None


class ChargerOperations:
    """Operator actions on chargers; ``send`` reaches the charger wherever its socket is, ``refresh`` makes this
    process's view of the charger (its secret, its registration) current after a change."""

    def __init__(
        self, session_factory: async_sessionmaker[AsyncSession], send: Send, refresh: Refresh | None = None
    ) -> None:
        self.session_factory = session_factory
        self._send = send
        self._refresh = refresh or _nothing

    async def station(self, ocpp_id: str) -> StationInfo:
        async with self.session_factory() as session:
            return await station_info(session, ocpp_id)

    async def send(
        self, operator: Operator, ocpp_id: str, request: ocpp_commands.CommandRequest
    ) -> ocpp_commands.CommandResult:
        """Run a command and audit it; one that sets the password becomes a rotation."""
        station = await self.station(ocpp_id)
        secret = rotation.new_password_in(request)
        if secret is not None:
            return await self._rotate(operator, station, request, secret)
        action = audit.action_of(request)
        try:
            result = await self._send(ocpp_id, request)
        except ocpp_errors.CommandError as exc:
            await self._audit(station, operator, action, audit.outcome_of_error(exc), str(exc), request)
            raise
        await self._audit(station, operator, action, audit.outcome_of_result(result), None, request)
        return result

    async def rotate_password(self, operator: Operator, ocpp_id: str) -> ocpp_commands.CommandResult:
        """Generate a new secret, send it in the charger's OCPP version, and keep it once the charger accepts."""
        station = await self.station(ocpp_id)
        if station.ocpp_version is None:
            msg = f"{ocpp_id} has never connected, so its OCPP version is unknown: connect it to a running server first"
            raise ocpp_errors.ChargerNotConnected(msg)
        secret = new_charger_secret()
        return await self._rotate(operator, station, rotation.rotation_request(secret, station.ocpp_version), secret)

    async def _rotate(
        self, operator: Operator, station: StationInfo, request: ocpp_commands.CommandRequest, secret: str
    ) -> ocpp_commands.CommandResult:
        pending = await rotation.begin(self.session_factory, station.id, secret)
        error: BaseException | None = None
        took_it = False
        outcome = "error"
        try:
            result = await self._send(station.ocpp_id, request)
            took_it = rotation.charger_took_it(result)
            outcome = audit.outcome_of_result(result)
            return result
        except BaseException as exc:
            error = exc
            outcome = audit.outcome_of_error(exc)
            raise
        finally:
            state = rotation.outcome_state(error, took_it)
            await rotation.settle(self.session_factory, station.id, pending, state)
            detail = {
                "accepted": "the old and the new password work until the charger connects with the new one",
                "unconfirmed": "no answer: the old and the new password both work until it connects with the new one",
                None: "the charger keeps its old password",
            }[state]
            await self._audit(station, operator, "password-rotation", outcome, detail, request)
            await self._refresh(station.ocpp_id)

    async def approve(
        self, operator: Operator, ocpp_id: str, location_id: uuid.UUID | None = None
    ) -> ocpp_commands.CommandResult:
        """Accept a Pending charger: it gets a secret of its own (it must be connected to take it), may move to
        ``location_id``, and is asked to boot again so its BootNotification is Accepted."""
        station = await self.station(ocpp_id)
        async with self.session_factory() as session:
            await registration.set_status(session, ocpp_id, registration.ACCEPTED, location_id=location_id)
        await self._refresh(ocpp_id)
        try:
            result = await self.rotate_password(operator, ocpp_id)
            if not rotation.charger_took_it(result):
                msg = f"{ocpp_id} did not take its new password ({audit.outcome_of_result(result)})"
                raise PasswordNotTaken(msg)
        except Exception as exc:
            async with self.session_factory() as session:
                await registration.set_status(session, ocpp_id, station.registration_status)
            await self._refresh(ocpp_id)
            await self._audit(station, operator, "approve", audit.outcome_of_error(exc), str(exc), None)
            raise
        await self._audit(station, operator, "approve", "accepted", None, None)
        try:  # the charger books in again and is Accepted; if it does not, its Pending retry interval does it
            await self.send(operator, ocpp_id, ocpp_commands.TriggerMessage(message="BootNotification"))
        except ocpp_errors.CommandError as exc:
            logger.info("charger %s: approved; asking it to boot again failed: %s", ocpp_id, exc)
        return result

    async def set_registration(self, operator: Operator, ocpp_id: str, status: str) -> None:
        """Block (BootNotification Rejected) or unblock (Accepted) a charger."""
        station = await self.station(ocpp_id)
        async with self.session_factory() as session:
            await registration.set_status(session, ocpp_id, status)
        await self._refresh(ocpp_id)
        action = "block" if status == registration.BLOCKED else "unblock"
        await self._audit(station, operator, action, status, None, None)

    async def _audit(
        self,
        station: StationInfo,
        operator: Operator,
        action: str,
        outcome: str,
        detail: str | None,
        request: ocpp_commands.CommandRequest | None,
    ) -> None:
        payload = {} if request is None else audit.audit_payload(request)
        try:
            await audit.record(
                self.session_factory, station.id, operator, action, outcome, detail=detail, payload=payload
            )
        except Exception:
            logger.exception("charger %s: the audit of %s could not be written", station.ocpp_id, action)
