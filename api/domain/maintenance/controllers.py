"""Operations API for maintenance: schedules and work orders of the caller's sites (another site's answers 404).

Starting a work order that takes its charger out of service holds the charger's EVSEs INOPERATIVE and, when the
charger is connected, sends it ChangeAvailability Inoperative; completing or cancelling gives them back with
ChangeAvailability Operative. What the charger answered is in the work order's audit.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import CurrentPrincipal, DbSession
from api.domain.chargers.audit import Operator, outcome_of_error, outcome_of_result
from api.domain.chargers.controllers import operations_of
from api.domain.maintenance import schedules, work_orders
from api.domain.maintenance.schemas import (
    Cancellation,
    CommentView,
    Completion,
    NewComment,
    NewSchedule,
    NewWorkOrder,
    ScheduleChange,
    ScheduleView,
    StartWork,
    Tick,
    WorkOrderChange,
    WorkOrderDetail,
    WorkOrderSummary,
)
from api.domain.maintenance.service import Maintenance
from api.domain.operations.scope import EVERYTHING, CallerScope
from api.openapi_contract import problems
from api.security.guards import operations
from api.security.tokens import Principal
from ocpp_bridge import commands as ocpp_commands
from ocpp_bridge import errors as ocpp_errors


def _maintenance(state: State) -> Maintenance:
    service: Maintenance = state.maintenance
    return service


async def _tell_chargers(
    state: State,
    db_session: AsyncSession,
    principal: Principal,
    detail: WorkOrderDetail,
    operational: bool | None,
    *,
    send: bool,
) -> WorkOrderDetail:
    """Send ChangeAvailability to the work order's connected chargers and audit each answer; a charger that is
    offline hears its statuses' truth when it reconnects, and a refusal never undoes the work order's change."""
    if operational is None or not send:
        return detail
    chargers = await work_orders.chargers_to_tell(db_session, detail)
    if not chargers:
        return detail
    results: list[tuple[str, bool, str]] = []
    if getattr(state, "bridge", None) is None:
        results = [(charger, operational, "not sent: this process runs no OCPP bridge") for charger in chargers]
    else:
        charger_operations = operations_of(state)
        for charger in chargers:
            request = ocpp_commands.ChangeAvailability(operational=operational)
            try:
                result = await charger_operations.send(Operator.of(principal), charger, request)
                results.append((charger, operational, outcome_of_result(result)))
            except ocpp_errors.CommandError as exc:
                results.append((charger, operational, outcome_of_error(exc)))
    maintenance = _maintenance(state)
    now = maintenance.clock()
    work_orders.record_told(db_session, detail.id, principal.user_id, results, now)
    await db_session.commit()
    return await work_orders.get_work_order(db_session, EVERYTHING, detail.id, now.date())


class MaintenanceScheduleController(Controller):
    path = "/v1/admin/maintenance/schedules"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get("", summary="Preventive maintenance schedules of your sites, soonest due first")
    async def list_schedules(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        location_id: Annotated[uuid.UUID | None, QueryParameter(name="locationId", required=False)] = None,
    ) -> list[ScheduleView]:
        return await schedules.list_schedules(db_session, site_scope, location_id)

    @post("", summary="Add a preventive maintenance schedule to a location", responses=problems(404, 422))
    async def create_schedule(
        self,
        data: JSONBody[NewSchedule],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> ScheduleView:
        """A named task repeated `rule` ("quarterly", "yearly" ...) or every N days or months from `startsOn`.
        Each occurrence opens a work order when it comes due (`leadDays` earlier), with the checklist."""
        return await schedules.create_schedule(
            db_session, site_scope, principal.user_id, data, _maintenance(state).clock()
        )

    @patch("/{schedule_id:uuid}", summary="Change a maintenance schedule", responses=problems(404, 422))
    async def change_schedule(
        self,
        schedule_id: FromPath[uuid.UUID],
        data: JSONBody[ScheduleChange],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> ScheduleView:
        return await schedules.change_schedule(
            db_session, site_scope, principal.user_id, schedule_id, data, _maintenance(state).clock()
        )

    @delete("/{schedule_id:uuid}", summary="Delete a maintenance schedule", responses=problems(404))
    async def delete_schedule(
        self,
        schedule_id: FromPath[uuid.UUID],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> None:
        """The work orders it opened stay."""
        await schedules.delete_schedule(
            db_session, site_scope, principal.user_id, schedule_id, _maintenance(state).clock()
        )


class WorkOrderController(Controller):
    path = "/v1/admin/work-orders"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get("", summary="Work orders of your sites: open, overdue, mine, closed or all")
    async def list_work_orders(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
        view: Annotated[work_orders.View, QueryParameter(required=False)] = "open",
        location_id: Annotated[uuid.UUID | None, QueryParameter(name="locationId", required=False)] = None,
        charger_id: Annotated[str | None, QueryParameter(name="chargerId", required=False, max_length=48)] = None,
    ) -> list[WorkOrderSummary]:
        """Overdue ones first (by due date), then the rest by due date; `open` is open and in progress."""
        today = _maintenance(state).clock().date()
        return await work_orders.list_work_orders(
            db_session,
            site_scope,
            principal.user_id,
            today,
            view=view,
            location_id=location_id,
            charger_id=charger_id,
        )

    @post("", summary="Open a work order by hand or from an alert", responses=problems(404, 409, 422))
    async def create_work_order(
        self,
        data: JSONBody[NewWorkOrder],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> WorkOrderDetail:
        """On a charger (`chargerId`) or a whole location (`locationId`); `alertId` names the alert it answers
        (409 while another work order for it is open), `ticketIds` the support tickets about the problem."""
        return await work_orders.create_work_order(
            db_session, site_scope, principal.user_id, data, _maintenance(state).clock()
        )

    @get(
        "/{work_order_id:uuid}", summary="A work order with its checklist, comments and audit", responses=problems(404)
    )
    async def get_work_order(
        self, work_order_id: FromPath[uuid.UUID], db_session: DbSession, site_scope: CallerScope, state: State
    ) -> WorkOrderDetail:
        return await work_orders.get_work_order(
            db_session, site_scope, work_order_id, _maintenance(state).clock().date()
        )

    @patch("/{work_order_id:uuid}", summary="Change a work order", responses=problems(404, 409, 422))
    async def change_work_order(
        self,
        work_order_id: FromPath[uuid.UUID],
        data: JSONBody[WorkOrderChange],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> WorkOrderDetail:
        maintenance = _maintenance(state)
        detail, tell = await work_orders.change_work_order(
            db_session,
            site_scope,
            maintenance.service_status,
            principal.user_id,
            work_order_id,
            data,
            maintenance.clock(),
        )
        return await _tell_chargers(state, db_session, principal, detail, tell, send=True)

    @post("/{work_order_id:uuid}/start", status_code=200, summary="Start work", responses=problems(404, 409))
    async def start(
        self,
        work_order_id: FromPath[uuid.UUID],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[StartWork | None] = None,
    ) -> WorkOrderDetail:
        """A work order that takes its charger out of service shows it INOPERATIVE ("Under maintenance") to
        drivers and roaming partners from now, and tells the charger (ChangeAvailability) when it is connected."""
        maintenance = _maintenance(state)
        detail, tell = await work_orders.start_work_order(
            db_session, site_scope, maintenance.service_status, principal.user_id, work_order_id, maintenance.clock()
        )
        send = True if data is None else data.send_availability
        return await _tell_chargers(state, db_session, principal, detail, tell, send=send)

    @post(
        "/{work_order_id:uuid}/complete",
        status_code=200,
        summary="Complete with closing notes",
        responses=problems(404, 409, 422),
    )
    async def complete(
        self,
        work_order_id: FromPath[uuid.UUID],
        data: JSONBody[Completion],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> WorkOrderDetail:
        """Needs closing notes and every checklist item ticked (409 names those still open). The charger is back in
        service: its EVSEs show their status again and the charger is told ChangeAvailability Operative."""
        maintenance = _maintenance(state)
        detail, tell = await work_orders.close_work_order(
            db_session,
            site_scope,
            maintenance.service_status,
            principal.user_id,
            work_order_id,
            maintenance.clock(),
            status="done",
            notes=data.closing_notes,
        )
        return await _tell_chargers(state, db_session, principal, detail, tell, send=data.send_availability)

    @post("/{work_order_id:uuid}/cancel", status_code=200, summary="Cancel a work order", responses=problems(404, 409))
    async def cancel(
        self,
        work_order_id: FromPath[uuid.UUID],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[Cancellation | None] = None,
    ) -> WorkOrderDetail:
        """The charger is back in service as on completion."""
        maintenance = _maintenance(state)
        body = data or Cancellation()
        detail, tell = await work_orders.close_work_order(
            db_session,
            site_scope,
            maintenance.service_status,
            principal.user_id,
            work_order_id,
            maintenance.clock(),
            status="cancelled",
            notes=body.reason,
        )
        return await _tell_chargers(state, db_session, principal, detail, tell, send=body.send_availability)

    @post(
        "/{work_order_id:uuid}/checklist/{item:int}",
        status_code=200,
        summary="Tick or untick a checklist item",
        responses=problems(404, 409),
    )
    async def tick(
        self,
        work_order_id: FromPath[uuid.UUID],
        item: FromPath[int],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
        data: JSONBody[Tick | None] = None,
    ) -> WorkOrderDetail:
        """`item` is the item's position (1 is the first); the body `{"done": false}` unticks it."""
        done = True if data is None else data.done
        return await work_orders.tick(
            db_session, site_scope, principal.user_id, work_order_id, item, done, _maintenance(state).clock()
        )

    @post("/{work_order_id:uuid}/comments", summary="Comment on a work order", responses=problems(404, 422))
    async def comment(
        self,
        work_order_id: FromPath[uuid.UUID],
        data: JSONBody[NewComment],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> CommentView:
        return await work_orders.add_comment(
            db_session, site_scope, principal.user_id, work_order_id, data.body, _maintenance(state).clock()
        )
