"""OCPI commands module, receiver interface (we are the CPO): `POST /ocpi/cpo/2.2.1/commands/{command}`.

START_SESSION, STOP_SESSION, UNLOCK_CONNECTOR, RESERVE_NOW and CANCEL_RESERVATION. The request is checked at once
and answered with a CommandResponse (ACCEPTED, REJECTED, UNKNOWN_SESSION or NOT_SUPPORTED, with the timeout within
which the result follows); an accepted command is then carried out at the charger (`command_runs.py`) and its
CommandResult POSTed to the request's `response_url`. A partner commands only its own sessions and reservations.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

import msgspec
from litestar import Controller, Request, Response, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import State
from litestar.params import FromPath
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession
from api.db.models.sessions import OPEN_STATUSES
from api.deps import DbSession
from api.domain.ocpi.auth import Caller, OcpiCaller
from api.domain.ocpi.command_runs import CommandRuns, DisplayText
from api.domain.ocpi.command_targets import CommandRejected, Target, find_target, our_location
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.lenient import Repairs, decode_lenient
from api.domain.ocpi.schemas import OcpiStruct
from api.domain.ocpi.tokens import Token, read_token, store_token
from api.settings import Settings

COMMANDS: Final = ("CANCEL_RESERVATION", "RESERVE_NOW", "START_SESSION", "STOP_SESSION", "UNLOCK_CONNECTOR")
RESULT_MARGIN_SECONDS: Final = 10  # the CommandResponse timeout: the charger's answer time plus this

CommandResponseType = Literal["ACCEPTED", "NOT_SUPPORTED", "REJECTED", "UNKNOWN_SESSION"]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=r"^https?://")]
CiString36 = Annotated[str, msgspec.Meta(min_length=1, max_length=36)]


class CommandResponse(msgspec.Struct, frozen=True, omit_defaults=True):
    """OCPI CommandResponse: whether we took the command, and within how many seconds its result follows."""

    result: CommandResponseType
    timeout: int
    message: list[DisplayText] = msgspec.field(default_factory=list)


class StartSession(OcpiStruct, kw_only=True):
    response_url: Url
    token: dict[str, Any]  # read leniently as a Token of its own
    location_id: CiString36
    evse_uid: CiString36 | None = None
    connector_id: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class StopSession(OcpiStruct, kw_only=True):
    response_url: Url
    session_id: CiString36


class UnlockConnector(OcpiStruct, kw_only=True):
    response_url: Url
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36


class ReserveNow(OcpiStruct, kw_only=True):
    response_url: Url
    token: dict[str, Any]
    expiry_date: datetime
    reservation_id: CiString36
    location_id: CiString36
    evse_uid: CiString36 | None = None
    authorization_reference: CiString36 | None = None


class CancelReservation(OcpiStruct, kw_only=True):
    response_url: Url
    reservation_id: CiString36


_SHAPES: Final[dict[str, type[msgspec.Struct]]] = {
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "UNLOCK_CONNECTOR": UnlockConnector,
    "RESERVE_NOW": ReserveNow,
    "CANCEL_RESERVATION": CancelReservation,
}


def _invalid(message: str) -> OcpiError:
    return OcpiError(OcpiStatus.INVALID_PARAMETERS, message, http_status=400)


def _token(raw: dict[str, Any], caller: OcpiCaller) -> Token:
    return read_token(raw, where=f"a command of {caller.country_code}/{caller.party_id}")


class _Answer(msgspec.Struct, frozen=True):
    response: CommandResponse
    work: Any = None  # the coroutine function carrying the command out, with its arguments
    args: tuple[Any, ...] = ()


class CommandsController(Controller):
    """The commands receiver: an eMSP starts and stops its drivers' sessions, reserves and unlocks."""

    path = "/commands"
    tags = ["OCPI"]

    @post("/{command:str}", status_code=200)
    async def post_command(
        self,
        request: Request[Any, Any, Any],
        db_session: DbSession,
        caller: Caller,
        state: State,
        command: FromPath[str],
    ) -> Response[Any]:
        """Check the command, answer at once; the CommandResult follows at the request's response_url."""
        settings = state.settings
        timeout = int(settings.ocpp_command_timeout) + RESULT_MARGIN_SECONDS
        kind = command.strip().upper()
        if kind not in COMMANDS:
            return _response(CommandResponse("NOT_SUPPORTED", timeout, _text(f"Unknown command {command!r}.")))
        repairs = Repairs(kind)
        body = decode_lenient(await request.body(), _SHAPES[kind], repairs)
        repairs.log(partner=f"{caller.country_code}/{caller.party_id}")
        bridge = state.bridge
        if bridge is None:
            return _response(CommandResponse("REJECTED", timeout, _text("Chargers cannot be reached from here.")))
        runs = CommandRuns(
            state.session_factory,
            partner_id=caller.partner_id,
            sessions=state.sessions,
            reservations=bridge.reservations,
            wait_seconds=float(timeout),
        )
        try:
            answer = await _check(kind, body, db_session, caller, settings, runs, timeout)
        except CommandRejected as exc:
            return _response(CommandResponse("REJECTED", timeout, _text(str(exc))))
        response = _response(answer.response)
        if answer.work is not None:
            response.background = BackgroundTask(answer.work, *answer.args)
        return response


def _text(message: str) -> list[DisplayText]:
    return [DisplayText("en", message[:512])]


def _response(answer: CommandResponse) -> Response[Any]:
    return ocpi_response(msgspec.to_builtins(answer))


async def _check(
    kind: str, body: Any, session: AsyncSession, caller: OcpiCaller, settings: Settings, runs: CommandRuns, seconds: int
) -> _Answer:
    """The command checked against what we hold; what the CPO cannot act on is REJECTED or UNKNOWN_SESSION."""
    timeout = seconds
    accepted = CommandResponse("ACCEPTED", timeout)
    if isinstance(body, StopSession):
        try:
            session_id = uuid.UUID(body.session_id)
        except ValueError:
            return _Answer(CommandResponse("UNKNOWN_SESSION", timeout, _text(f"No session {body.session_id!r}.")))
        record = await session.get(ChargingSession, session_id)
        if record is None or record.ocpi_partner_id != caller.partner_id:
            return _Answer(CommandResponse("UNKNOWN_SESSION", timeout, _text(f"No session {body.session_id!r}.")))
        if record.status not in OPEN_STATUSES:
            return _Answer(CommandResponse("REJECTED", timeout, _text("This session is over.")))
        return _Answer(accepted, runs.stop_session, (body.response_url, session_id))
    if isinstance(body, CancelReservation):
        return _Answer(accepted, runs.cancel_reservation, (body.response_url, body.reservation_id))
    location = await our_location(session, settings.ocpi_country_code, settings.ocpi_party_id, body.location_id)
    if isinstance(body, UnlockConnector):
        target: Target = await find_target(session, location, body.evse_uid, body.connector_id)
        return _Answer(accepted, runs.unlock, (body.response_url, target))
    if isinstance(body, StartSession):
        if body.connector_id is not None and body.evse_uid is None:
            raise _invalid("connector_id needs evse_uid.")
        token = _token(body.token, caller)
        target = await find_target(session, location, body.evse_uid, body.connector_id)
        await store_token(session, caller.partner_id, token)
        await session.commit()
        return _Answer(accepted, runs.start_session, (body.response_url, token, target, body.authorization_reference))
    assert isinstance(body, ReserveNow)
    token = _token(body.token, caller)
    expires_at = body.expiry_date if body.expiry_date.tzinfo else body.expiry_date.replace(tzinfo=UTC)
    if expires_at <= datetime.now(UTC):
        raise CommandRejected("expiry_date has passed.")
    target = await find_target(session, location, body.evse_uid)
    await store_token(session, caller.partner_id, token)
    await session.commit()
    return _Answer(
        accepted,
        runs.reserve,
        (body.response_url, token, target, body.reservation_id, expires_at, body.evse_uid is None),
    )
