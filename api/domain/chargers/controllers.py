"""Operator API for our chargers: their connection state, and commands sent to them over OCPP."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import FromPath

from api.deps import DbSession
from api.domain.chargers.provisioning import ChargerSummary, list_chargers
from api.errors import (
    BadGateway,
    ChargerOffline,
    FieldError,
    GatewayTimeout,
    InvalidInput,
    NotFound,
    ServiceUnavailable,
)
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.guards import admin_only
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors


class CommandName(AppStruct):
    name: str
    description: str


class AdminChargerController(Controller):
    path = "/v1/admin/chargers"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @get("", summary="Our chargers with their connection state")
    async def list_chargers(self, db_session: DbSession) -> list[ChargerSummary]:
        return await list_chargers(db_session)

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
        responses=problems(409, 502, 503, 504),
    )
    async def send_command(
        self, charger_id: FromPath[str], command: FromPath[str], request: Request[Any, Any, Any], state: State
    ) -> Response[bytes]:
        """The body holds the command's arguments (see /v1/admin/chargers/commands); answers the charger's reply.

        Works whichever process holds the charger's socket. 404 unknown command, 409 charger not connected,
        422 bad arguments, 502 the charger refused or answered nonsense, 504 no answer in time.
        """
        bridge = getattr(state, "bridge", None)
        if bridge is None:
            raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
        body = await request.body()
        try:
            command_request = ocpp_commands.request_from_arguments(command, body or b"{}")
            result = await bridge.central.send_command(charger_id, command_request)
        except ocpp_errors.UnknownCommand as exc:
            raise NotFound(str(exc)) from None
        except ocpp_errors.InvalidCommand as exc:
            raise InvalidInput([FieldError("body", str(exc))]) from None
        except (ocpp_errors.ChargerNotConnected, ocpp_errors.ChargerDisconnected) as exc:
            raise ChargerOffline(f"Charger {charger_id!r} is not connected: {exc}") from None
        except ocpp_errors.CommandTimeout as exc:
            raise GatewayTimeout(str(exc)) from None
        except (ocpp_errors.CommandRejected, ocpp_errors.InvalidCommandResult) as exc:
            raise BadGateway(str(exc)) from None
        return Response(msgspec.json.encode(result), media_type="application/json")
