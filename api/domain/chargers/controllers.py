"""Operator API for our chargers: their connection and registration state, commands sent to them over OCPP (named,
or any message by its OCPP action), password rotation, approval and blocking, and the audit of all of it."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from api.db.models import ChargingStation
from api.deps import CurrentPrincipal, DbSession
from api.domain.chargers import audit, registration
from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.operations import ChargerOperations
from api.domain.chargers.provisioning import ChargerSummary, list_chargers
from api.domain.chargers.station_lookup import station_or_404
from api.domain.operations.scope import CallerScope, operations_chargers
from api.errors import ServiceUnavailable
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.guards import admin_only
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import ocpp_calls


class CommandName(AppStruct):
    name: str
    description: str


class OcppActions(AppStruct):
    """The messages the central system can send to a charger, in its OCPP version."""

    ocpp_version: str | None
    actions: list[str]


class Approval(AppStruct):
    """Approve a Pending charger; ``locationId`` moves it (and its EVSE) to an existing location."""

    location_id: uuid.UUID | None = None


class Registration(AppStruct):
    ocpp_id: str
    registration_status: str


def _bridge(state: State) -> Any:
    bridge = getattr(state, "bridge", None)
    if bridge is None:
        raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
    return bridge


def operations_of(state: State) -> ChargerOperations:
    """The operator actions on chargers, reaching them through this process's bridge."""
    return _operations(state)


def _operations(state: State) -> ChargerOperations:
    bridge = _bridge(state)
    return ChargerOperations(
        state.session_factory,
        bridge.central.send_command,
        lambda ocpp_id: bridge.csms.directory.get(ocpp_id, fresh=True),
    )


def _json(value: object) -> Response[bytes]:
    return Response(msgspec.json.encode(value), media_type="application/json")


class AdminChargerController(Controller):
    path = "/v1/admin/chargers"
    tags = ["Administration"]
    guards = [operations_chargers]
    security = [{"BearerToken": []}]

    @get("", summary="Our chargers with their connection and registration state")
    async def list_chargers(self, db_session: DbSession, site_scope: CallerScope) -> list[ChargerSummary]:
        """An operator sees the chargers of their own sites."""
        return await list_chargers(db_session, site_scope.where(ChargingStation.location_id))

    @get("/commands", summary="The commands that can be sent to a charger")
    async def list_commands(self) -> list[CommandName]:
        return [
            CommandName(name=name, description=(spec.request_type.__doc__ or "").strip().split("\n")[0])
            for name, spec in ocpp_commands.COMMANDS.items()
        ]

    @post(
        "/{charger_id:str}/commands/{command:str}",
        status_code=200,
        summary="Send a command to a charger",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def send_command(
        self,
        charger_id: FromPath[str],
        command: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        principal: CurrentPrincipal,
    ) -> Response[bytes]:
        """The body holds the command's arguments (see /v1/admin/chargers/commands); answers the charger's reply.

        Works whichever process holds the charger's socket. 404 unknown charger or command, 409 charger not
        connected, 422 bad arguments, 502 the charger refused or answered nonsense, 504 no answer in time. A
        ChangeConfiguration of the charger's password is a password rotation (see POST .../password).
        """
        operations = _operations(state)
        body = await request.body()

        async def run() -> ocpp_commands.CommandResult:
            await operations.station(charger_id)
            command_request = ocpp_commands.request_from_arguments(command, body or b"{}")
            return await operations.send(audit.Operator.of(principal), charger_id, command_request)

        return _json(await answer(charger_id, run()))

    @get(
        "/{charger_id:str}/ocpp",
        summary="The OCPP messages that can be sent to a charger, in its OCPP version",
        responses=problems(404),
    )
    async def list_ocpp_actions(self, charger_id: FromPath[str], db_session: DbSession) -> OcppActions:
        station = await station_or_404(db_session, charger_id)
        version = station.ocpp_version
        return OcppActions(ocpp_version=version, actions=list(ocpp_calls.actions_of(version or "")))

    @post(
        "/{charger_id:str}/ocpp/{action:str}",
        status_code=200,
        summary="Send any OCPP message to a charger by its action name",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def send_ocpp(
        self,
        charger_id: FromPath[str],
        action: FromPath[str],
        request: Request[Any, Any, Any],
        state: State,
        principal: CurrentPrincipal,
    ) -> Response[bytes]:
        """The body is the message's payload as the OCPP schema of the charger's version defines it (checked
        before sending: 422 names the field); answers the charger's CallResult payload.

        404 unknown charger, or an action that is not a central-system message of its version; 409 not
        connected; 502 the charger answered with a CallError (its code and description in the detail); 504 no
        answer in time. Works whichever process holds the charger's socket. Setting the charger's password
        (1.6 AuthorizationKey, 2.0.1 SecurityCtrlr.BasicAuthPassword) is a password rotation.
        """
        operations = _operations(state)
        body = await request.body() or b"{}"

        async def run() -> ocpp_commands.CommandResult:
            station = await operations.station(charger_id)
            if station.ocpp_version is not None:  # checked here; else where the charger is held, by its version
                ocpp_calls.checked_payload(station.ocpp_version, action, body)
            call = ocpp_commands.OcppCall(action=action, payload=msgspec.Raw(body))
            return await operations.send(audit.Operator.of(principal), charger_id, call)

        result = await answer(charger_id, run())
        if isinstance(result, ocpp_commands.OcppCallResult):
            return Response(bytes(result.payload), media_type="application/json")
        return _json(result)

    @post(
        "/{charger_id:str}/password",
        guards=[admin_only],
        status_code=200,
        summary="Give a charger a new password (OCPP password rotation)",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def rotate_password(
        self, charger_id: FromPath[str], state: State, principal: CurrentPrincipal
    ) -> Response[bytes]:
        """A strong secret is generated and sent (1.6 AuthorizationKey, 2.0.1 SecurityCtrlr.BasicAuthPassword);
        once the charger accepts, both its old and new password work until it connects with the new one, then
        only the new one. The secret is never shown or logged. Answers the charger's reply."""
        operations = _operations(state)
        return _json(await answer(charger_id, operations.rotate_password(audit.Operator.of(principal), charger_id)))

    @post(
        "/{charger_id:str}/approve",
        guards=[admin_only],
        status_code=200,
        summary="Approve a Pending charger",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def approve(
        self, charger_id: FromPath[str], data: JSONBody[Approval], state: State, principal: CurrentPrincipal
    ) -> Registration:
        """Its registration becomes accepted, it gets a password of its own (so it must be connected), optionally
        moves to an existing location, and is asked to send a new BootNotification, which is Accepted."""
        operations = _operations(state)
        operator = audit.Operator.of(principal)
        await answer(charger_id, operations.approve(operator, charger_id, data.location_id))
        return Registration(ocpp_id=charger_id, registration_status=registration.ACCEPTED)

    @post(
        "/{charger_id:str}/block",
        guards=[admin_only],
        status_code=200,
        summary="Block a charger",
        responses=problems(404, 503),
    )
    async def block(self, charger_id: FromPath[str], state: State, principal: CurrentPrincipal) -> Registration:
        """Its BootNotification is answered Rejected (with VOLTWAY_OCPP_REJECTED_INTERVAL) and its other messages
        refused."""
        operator = audit.Operator.of(principal)
        await answer(charger_id, _operations(state).set_registration(operator, charger_id, registration.BLOCKED))
        return Registration(ocpp_id=charger_id, registration_status=registration.BLOCKED)

    @post(
        "/{charger_id:str}/unblock",
        guards=[admin_only],
        status_code=200,
        summary="Unblock a charger",
        responses=problems(404, 503),
    )
    async def unblock(self, charger_id: FromPath[str], state: State, principal: CurrentPrincipal) -> Registration:
        operator = audit.Operator.of(principal)
        await answer(charger_id, _operations(state).set_registration(operator, charger_id, registration.ACCEPTED))
        return Registration(ocpp_id=charger_id, registration_status=registration.ACCEPTED)

    @get(
        "/{charger_id:str}/audit",
        summary="What operators sent to a charger, newest first",
        responses=problems(404),
    )
    async def audit_trail(self, charger_id: FromPath[str], db_session: DbSession) -> list[audit.AuditEntry]:
        station = await station_or_404(db_session, charger_id)
        return await audit.list_entries(db_session, station.id)
