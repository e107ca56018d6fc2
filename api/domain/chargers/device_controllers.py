"""Operator API for a charger's device model and what it reported: variables (read and written over OCPP),
device-model events, monitors, and the progress of requests answered over time (logs, customer information,
display messages, reports, firmware publishing)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from api.deps import CurrentPrincipal, DbSession
from api.domain.chargers import controllers as charger_controllers
from api.domain.chargers import rotation
from api.domain.chargers.audit import Operator
from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.charger_events import DeviceEventPage, MonitorView, list_events, list_monitors
from api.domain.chargers.charger_requests import REQUEST_KINDS, ChargerRequestView, get_request, list_requests
from api.domain.chargers.device_model import (
    ConfigurationRefresh,
    DeviceModelService,
    VariablePage,
    list_variables,
)
from api.domain.chargers.station_lookup import station_or_404
from api.domain.operations.scope import operations_chargers
from api.errors import FieldError, InvalidInput, NotFound, ServiceUnavailable
from api.openapi_contract import problems
from api.schema import AppStruct
from api.security.tokens import Principal
from ocpp_bridge import commands
from ocpp_bridge.device_model import ComponentVariable, VariableOutcome, VariableSetting

Limit = Annotated[int, QueryParameter(ge=1, le=1000)]


class VariableRef(AppStruct):
    """A variable of a component; ``evseId`` / ``connectorId`` for EVSE- and connector-level components."""

    component: str
    variable: str
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] | None = None


class VariableValue(AppStruct):
    component: str
    variable: str
    value: Annotated[str, msgspec.Meta(max_length=1000)]
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    attribute_type: Literal["Actual", "Target", "MinSet", "MaxSet"] | None = None


class VariablesToGet(AppStruct):
    variables: Annotated[list[VariableRef], msgspec.Meta(min_length=1, max_length=500)]


class VariablesToSet(AppStruct):
    variables: Annotated[list[VariableValue], msgspec.Meta(min_length=1, max_length=500)]


class VariableOutcomeView(AppStruct):
    component: str
    variable: str
    status: str
    value: str | None = None
    attribute_type: str | None = None
    component_instance: str | None = None
    variable_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    reason: str | None = None


class VariableOutcomes(AppStruct):
    """The charger's answers in the order asked, and how many OCPP messages carried the request."""

    variables: list[VariableOutcomeView]
    messages: int


async def _rotate_to(
    state: State, principal: Principal, charger_id: str, variables: list[VariableValue]
) -> VariableOutcomes:
    """The password alone, through the rotation path of the charger commands."""
    if len(variables) > 1:
        raise InvalidInput([FieldError("variables", rotation.PASSWORD_ALONE)])
    [setting] = variables
    request = commands.ChangeConfiguration(key=rotation.V201_PASSWORD_KEY, value=setting.value)
    operations = charger_controllers.operations_of(state)
    result = await answer(charger_id, operations.send(Operator.of(principal), charger_id, request))
    status = result.status if isinstance(result, commands.StatusResult) else "Accepted"
    outcome = VariableOutcomeView(component=setting.component, variable=setting.variable, status=status)
    return VariableOutcomes(variables=[outcome], messages=1)


def _outcomes(variables: tuple[VariableOutcome, ...], messages: int) -> VariableOutcomes:
    return VariableOutcomes(
        variables=[VariableOutcomeView(**msgspec.structs.asdict(item)) for item in variables], messages=messages
    )


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit():
        raise InvalidInput([FieldError("cursor", "not a cursor this API gave out")])
    return int(cursor)


def _service(state: State) -> DeviceModelService:
    bridge = getattr(state, "bridge", None)
    if bridge is None:
        raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")
    return DeviceModelService(state.session_factory, bridge.central)


class AdminChargerDeviceController(Controller):
    path = "/v1/admin/chargers"
    tags = ["Administration"]
    guards = [operations_chargers]
    security = [{"BearerToken": []}]

    @get("/{charger_id:str}/variables", summary="A charger's stored device model", responses=problems(404))
    async def variables(
        self,
        db_session: DbSession,
        charger_id: FromPath[str],
        component: FromQuery[str | None] = None,
        variable: FromQuery[str | None] = None,
        evse: FromQuery[int | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Limit = 100,
    ) -> VariablePage:
        """Components and variables as the charger last reported them (NotifyReport, GetVariables, SetVariables,
        and for 1.6 chargers GetConfiguration under the component ``OCPP16Configuration``)."""
        station_id = (await station_or_404(db_session, charger_id)).id
        return await list_variables(
            db_session,
            station_id,
            component=component,
            variable=variable,
            evse=evse,
            offset=_offset(cursor),
            limit=limit,
        )

    @post(
        "/{charger_id:str}/variables/get",
        status_code=200,
        summary="Read variables from a charger",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def get_variables(
        self, db_session: DbSession, state: State, charger_id: FromPath[str], data: JSONBody[VariablesToGet]
    ) -> VariableOutcomes:
        """GetVariables in as many messages as the charger's DeviceDataCtrlr limits allow; values read are stored."""
        station_id = (await station_or_404(db_session, charger_id)).id
        await db_session.close()
        result = await answer(
            charger_id,
            _service(state).get_variables(
                station_id, charger_id, [ComponentVariable(**msgspec.structs.asdict(v)) for v in data.variables]
            ),
        )
        return _outcomes(result.variables, result.messages)

    @post(
        "/{charger_id:str}/variables/set",
        status_code=200,
        summary="Write variables on a charger",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def set_variables(
        self,
        db_session: DbSession,
        state: State,
        charger_id: FromPath[str],
        data: JSONBody[VariablesToSet],
        principal: CurrentPrincipal,
    ) -> VariableOutcomes:
        """SetVariables in as many messages as the charger's limits allow; accepted values are stored.

        ``SecurityCtrlr.BasicAuthPassword`` is set alone and becomes a password rotation (see
        ``POST /v1/admin/chargers/{id}/password``); it is never stored here."""
        station_id = (await station_or_404(db_session, charger_id)).id
        await db_session.close()
        if any(rotation.password_setting(v.component, v.variable) for v in data.variables):
            return await _rotate_to(state, principal, charger_id, data.variables)
        result = await answer(
            charger_id,
            _service(state).set_variables(
                station_id, charger_id, [VariableSetting(**msgspec.structs.asdict(v)) for v in data.variables]
            ),
        )
        return _outcomes(result.variables, result.messages)

    @post(
        "/{charger_id:str}/variables/refresh",
        status_code=200,
        summary="Ask a charger for its whole configuration",
        responses=problems(404, 409, 502, 503, 504),
    )
    async def refresh_variables(
        self, db_session: DbSession, state: State, charger_id: FromPath[str]
    ) -> ConfigurationRefresh:
        """2.0.1: a full base report, stored as its NotifyReport parts arrive; 1.6: GetConfiguration, stored at once
        as variables of the component ``OCPP16Configuration``."""
        station = await station_or_404(db_session, charger_id)
        await db_session.close()
        return await answer(charger_id, _service(state).refresh(station.id, charger_id, station.ocpp_version))

    @get("/{charger_id:str}/events", summary="Device-model events a charger reported", responses=problems(404))
    async def events(
        self, db_session: DbSession, charger_id: FromPath[str], cursor: FromQuery[str | None] = None, limit: Limit = 100
    ) -> DeviceEventPage:
        """NotifyEvent events, newest first."""
        station_id = (await station_or_404(db_session, charger_id)).id
        return await list_events(db_session, station_id, offset=_offset(cursor), limit=limit)

    @get("/{charger_id:str}/monitors", summary="Variable monitors a charger reported", responses=problems(404))
    async def monitors(self, db_session: DbSession, charger_id: FromPath[str]) -> list[MonitorView]:
        station_id = (await station_or_404(db_session, charger_id)).id
        return await list_monitors(db_session, station_id)

    @get(
        "/{charger_id:str}/requests",
        summary="Progress of requests a charger answers over time",
        responses=problems(404),
    )
    async def requests(
        self, db_session: DbSession, charger_id: FromPath[str], kind: FromQuery[str | None] = None
    ) -> list[ChargerRequestView]:
        """Log uploads, customer information, display messages, reports and firmware publishing, newest first."""
        if kind is not None and kind not in REQUEST_KINDS:
            raise InvalidInput([FieldError("kind", f"one of {', '.join(REQUEST_KINDS)}")])
        station_id = (await station_or_404(db_session, charger_id)).id
        return await list_requests(db_session, station_id, kind)

    @get(
        "/{charger_id:str}/requests/{kind:str}/{request_id:int}",
        summary="One request's progress and what the charger sent for it",
        responses=problems(404),
    )
    async def request(
        self, db_session: DbSession, charger_id: FromPath[str], kind: FromPath[str], request_id: FromPath[int]
    ) -> ChargerRequestView:
        station_id = (await station_or_404(db_session, charger_id)).id
        found = await get_request(db_session, station_id, kind, request_id)
        if found is None:
            raise NotFound(f"No {kind} request {request_id} for charger {charger_id!r}.")
        return found
