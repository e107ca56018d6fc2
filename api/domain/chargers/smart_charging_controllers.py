"""Operator API for smart charging: a charger's charging profiles (list, set, clear, ask it for a report), its
composite schedule, and what the EV at an EVSE asked for."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, delete, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter

from api.deps import DbSession
from api.domain.chargers.bridge_problems import answer
from api.domain.chargers.charging_profiles import (
    ChargingProfiles,
    EVChargingNeeds,
    ProfileReportRequested,
    StoredChargingProfile,
    latest_ev_charging_needs,
)
from api.domain.operations.scope import operations_chargers
from api.errors import NotFound, ServiceUnavailable
from api.openapi_contract import problems
from api.schema import AppStruct
from ocpp_bridge import commands
from ocpp_bridge.smart_charging import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingRateUnit,
    ChargingSchedulePeriod,
)


class SetChargingProfileBody(AppStruct):
    """The profile in the OCPP 2.0.1 ChargingProfileType shape, for ``evseId`` (0: the whole charger)."""

    evse_id: int
    charging_profile: ChargingProfile


class ProfileReportBody(AppStruct):
    """Which profiles the charger is to report (all given must match; none: all of them)."""

    evse_id: int | None = None
    charging_profile_purpose: ChargingProfilePurpose | None = None
    stack_level: int | None = None
    charging_profile_id: tuple[int, ...] = ()


class ClearResult(AppStruct):
    status: str
    reason: str | None = None


class CompositeSchedule(AppStruct):
    """The charger's composite schedule; the periods are present when ``status`` is Accepted."""

    status: str
    reason: str | None = None
    evse_id: int | None = None
    schedule_start: datetime | None = None
    duration: int | None = None
    charging_rate_unit: str | None = None
    charging_schedule_period: tuple[ChargingSchedulePeriod, ...] = ()


async def _no_bridge(_charger_id: str, _request: commands.CommandRequest) -> commands.CommandResult:
    raise ServiceUnavailable("This process does not run the OCPP bridge (VOLTWAY_OCPP_ENABLED=false).")


def _service(state: State) -> ChargingProfiles:
    bridge: Any = getattr(state, "bridge", None)
    return ChargingProfiles(state.session_factory, _no_bridge if bridge is None else bridge.central.send_command)


class AdminSmartChargingController(Controller):
    path = "/v1/admin/chargers"
    tags = ["Administration"]
    guards = [operations_chargers]
    security = [{"BearerToken": []}]

    @get(
        "/{charger_id:str}/charging-profiles",
        summary="A charger's charging profiles: the ones we set and the ones it reported",
    )
    async def list_profiles(
        self,
        charger_id: FromPath[str],
        state: State,
        include_cleared: Annotated[bool, QueryParameter(name="includeCleared")] = False,
    ) -> list[StoredChargingProfile]:
        """Ours with their state (Pending, Accepted, Rejected, NotSupported; Replaced and Cleared with
        ``includeCleared``); the charger's from its last ReportChargingProfiles (status Reported)."""
        return await _service(state).list_profiles(charger_id, include_cleared=include_cleared)

    @post(
        "/{charger_id:str}/charging-profiles",
        status_code=200,
        summary="Set a charging profile on a charger (SetChargingProfile)",
        responses=problems(409, 502, 503, 504),
    )
    async def set_profile(
        self, charger_id: FromPath[str], state: State, data: JSONBody[SetChargingProfileBody]
    ) -> StoredChargingProfile:
        """Checked against the spec's rules and the charger's state first (422 names each broken rule); answers
        the stored profile with the charger's verdict in ``status``."""
        return await answer(charger_id, _service(state).set_profile(charger_id, data.evse_id, data.charging_profile))

    @delete(
        "/{charger_id:str}/charging-profiles",
        status_code=200,
        summary="Clear charging profiles on a charger (ClearChargingProfile)",
        responses=problems(409, 502, 503, 504),
    )
    async def clear_profiles(
        self,
        charger_id: FromPath[str],
        state: State,
        profile_id: Annotated[int | None, QueryParameter(name="chargingProfileId", ge=0)] = None,
        evse_id: Annotated[int | None, QueryParameter(name="evseId", ge=0, le=1000)] = None,
        purpose: Annotated[ChargingProfilePurpose | None, QueryParameter(name="chargingProfilePurpose")] = None,
        stack_level: Annotated[int | None, QueryParameter(name="stackLevel", ge=0)] = None,
    ) -> ClearResult:
        """By ``chargingProfileId``, or every profile matching the criteria given (none given: all of them)."""
        result = await answer(
            charger_id,
            _service(state).clear(
                charger_id, profile_id=profile_id, evse_id=evse_id, purpose=purpose, stack_level=stack_level
            ),
        )
        return ClearResult(status=result.status, reason=result.reason)

    @post(
        "/{charger_id:str}/charging-profiles/report",
        status_code=200,
        summary="Ask a 2.0.1 charger to report its charging profiles (GetChargingProfiles)",
        responses=problems(409, 502, 503, 504),
    )
    async def request_report(
        self, charger_id: FromPath[str], state: State, data: JSONBody[ProfileReportBody]
    ) -> ProfileReportRequested:
        """The charger's ReportChargingProfiles arrive afterwards and show in the list as Reported."""
        return await answer(
            charger_id,
            _service(state).request_report(
                charger_id,
                evse_id=data.evse_id,
                purpose=data.charging_profile_purpose,
                stack_level=data.stack_level,
                profile_ids=data.charging_profile_id,
            ),
        )

    @get(
        "/{charger_id:str}/composite-schedule",
        summary="The schedule a charger will follow (GetCompositeSchedule)",
        responses=problems(409, 502, 503, 504),
    )
    async def composite_schedule(
        self,
        charger_id: FromPath[str],
        state: State,
        evse_id: Annotated[int, QueryParameter(name="evseId", ge=0, le=1000)],
        duration: Annotated[int, QueryParameter(ge=1, le=31 * 86_400)] = 3600,
        unit: Annotated[ChargingRateUnit | None, QueryParameter()] = None,
    ) -> CompositeSchedule:
        """For ``evseId`` (0: the charger's grid connection) over the next ``duration`` seconds, in ``unit``."""
        result = await answer(charger_id, _service(state).composite_schedule(charger_id, evse_id, duration, unit))
        return CompositeSchedule(
            status=result.status,
            reason=result.reason,
            evse_id=result.evse_id,
            schedule_start=result.schedule_start,
            duration=result.duration,
            charging_rate_unit=result.charging_rate_unit,
            charging_schedule_period=result.periods,
        )

    @get(
        "/{charger_id:str}/ev-charging-needs",
        summary="What the EV at an EVSE asked for last (OCPP 2.0.1 NotifyEVChargingNeeds)",
    )
    async def ev_charging_needs(
        self,
        charger_id: FromPath[str],
        evse_id: Annotated[int, QueryParameter(name="evseId", ge=0, le=1000)],
        db_session: DbSession,
    ) -> EVChargingNeeds:
        needs = await latest_ev_charging_needs(db_session, charger_id, evse_id)
        if needs is None:
            raise NotFound(f"No EV charging needs reported at {charger_id!r} EVSE {evse_id}.")
        return needs
