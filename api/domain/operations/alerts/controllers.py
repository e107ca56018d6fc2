"""`/v1/admin/alerts` and `/v1/admin/alert-rules`: the operations alerts (operators and admins, each seeing the
alerts of their own sites; another site's alert answers 404) and the rules behind them (admins change them)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated

from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent

from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.operations.alerts import actions
from api.domain.operations.alerts.engine import AlertEngine
from api.domain.operations.alerts.fatigue import fatigue
from api.domain.operations.alerts.feed import AlertFeed
from api.domain.operations.alerts.history import detail_of
from api.domain.operations.alerts.rulebook import RuleChange, RuleChangeError, escalation_minutes
from api.domain.operations.alerts.schemas import (
    AlertDetail,
    AlertNote,
    AlertPage,
    AssignAlert,
    FatigueReport,
    RuleUpdate,
    RuleView,
)
from api.domain.operations.conditions import AlertRule
from api.domain.operations.scope import CallerScope
from api.domain.support.streams import event_stream
from api.errors import FieldError, InvalidInput, NotFound
from api.openapi_contract import problems
from api.security.guards import admin_only, operations

STATES = ("open", "acknowledged", "resolved")
SEVERITIES = ("critical", "major", "minor", "info")
LONGEST_REPORT = timedelta(days=400)


def _engine(state: State) -> AlertEngine:
    engine: AlertEngine = state.alert_engine
    return engine


def _split(values: list[str] | None, allowed: tuple[str, ...] | None, field: str) -> list[str]:
    items = [item.strip() for value in values or () for item in value.split(",") if item.strip()]
    if allowed is not None:
        wrong = [item for item in items if item not in allowed]
        if wrong:
            raise InvalidInput(
                [FieldError(field=field, message=f"must be one of {', '.join(allowed)}", source="query")]
            )
    return items


def rule_view(rule: AlertRule) -> RuleView:
    return RuleView(
        name=rule.name,
        title=rule.title,
        severity=rule.severity,
        enabled=rule.enabled,
        raise_after_seconds=rule.raise_after_seconds,
        clear_after_seconds=rule.clear_after_seconds,
        affects_drivers=rule.affects_drivers,
        escalate_after_minutes=escalation_minutes(rule),
        params=dict(rule.params),
    )


class AlertController(Controller):
    path = "/v1/admin/alerts"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get("", summary="Alerts of your sites", responses=problems(422))
    async def list(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        alert_state: Annotated[
            list[str] | None,
            QueryParameter(
                name="state",
                required=False,
                description="open|acknowledged|resolved, repeatable or a comma list; default open,acknowledged",
            ),
        ] = None,
        severity: Annotated[
            list[str] | None, QueryParameter(required=False, description="critical|major|minor|info")
        ] = None,
        rule: Annotated[list[str] | None, QueryParameter(required=False, description="rule names")] = None,
        charger: Annotated[str | None, QueryParameter(required=False, max_length=48, description="OCPP id")] = None,
        location: Annotated[uuid.UUID | None, QueryParameter(required=False)] = None,
        region: Annotated[uuid.UUID | None, QueryParameter(required=False)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> AlertPage:
        """Most severe first, then the newest; `total` counts every match."""
        return await actions.list_alerts(
            db_session,
            site_scope,
            states=_split(alert_state, STATES, "state") or ["open", "acknowledged"],
            severities=_split(severity, SEVERITIES, "severity"),
            rules=_split(rule, None, "rule"),
            charger=charger,
            location_id=location,
            region_id=region,
            limit=limit,
            offset=offset,
        )

    @get("/events", summary="Live alert changes as server-sent events")
    async def events(self, state: State, site_scope: CallerScope) -> ServerSentEvent:
        """`event: alert` with the alert's summary whenever an alert of your sites opens or changes, from any
        process; a comment every 15 s keeps the connection open."""
        feed: AlertFeed = state.alert_feed
        return event_stream(feed.subscribe(site_scope))

    @get("/fatigue", summary="Alert fatigue per rule", responses=problems(422))
    async def fatigue(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        from_: Annotated[
            datetime | None, QueryParameter(name="from", required=False, description="default: 4 weeks ago")
        ] = None,
        to: Annotated[datetime | None, QueryParameter(required=False, description="default: now")] = None,
    ) -> FatigueReport:
        """Alerts opened in [from, to): per rule and overall, alerts per alerted charger per week, median and p90
        minutes to acknowledge, the share resolved by themselves within 5 minutes, and the count per severity."""
        end = to or utc_now()
        start = from_ or end - timedelta(weeks=4)
        errors = []
        for name, value in (("from", start), ("to", end)):
            if value.tzinfo is None:
                errors.append(FieldError(field=name, message="must carry a time zone (e.g. Z)", source="query"))
        if errors:
            raise InvalidInput(errors)
        if not start < end or end - start > LONGEST_REPORT:
            raise InvalidInput(
                [FieldError(field="from", message="must be before 'to', at most 400 days apart", source="query")]
            )
        return await fatigue(db_session, site_scope, start, end)

    @get("/{alert_id:uuid}", summary="One alert with its history", responses=problems(404))
    async def detail(
        self, alert_id: FromPath[uuid.UUID], db_session: DbSession, site_scope: CallerScope
    ) -> AlertDetail:
        return await detail_of(db_session, await actions.visible_alert(db_session, site_scope, alert_id))

    @post("/{alert_id:uuid}/acknowledge", status_code=200, summary="Acknowledge an alert", responses=problems(404, 409))
    async def acknowledge(
        self,
        alert_id: FromPath[uuid.UUID],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> AlertDetail:
        """Stops its escalation clock; acknowledging twice changes nothing."""
        return await actions.acknowledge(_engine(state), db_session, site_scope, alert_id, principal.user_id, utc_now())

    @post("/{alert_id:uuid}/assign", status_code=200, summary="Assign an alert", responses=problems(404, 409, 422))
    async def assign(
        self,
        alert_id: FromPath[uuid.UUID],
        data: JSONBody[AssignAlert],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> AlertDetail:
        """To an operator or admin account (`assigneeId` null: nobody)."""
        return await actions.assign(
            _engine(state), db_session, site_scope, alert_id, data.assignee_id, principal.user_id, utc_now()
        )

    @post("/{alert_id:uuid}/resolve", status_code=200, summary="Resolve an alert by hand", responses=problems(404, 409))
    async def resolve(
        self,
        alert_id: FromPath[uuid.UUID],
        data: JSONBody[AlertNote],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        state: State,
    ) -> AlertDetail:
        """With a note for the history; a condition that still holds opens a new alert at its next report."""
        return await actions.resolve(
            _engine(state), db_session, site_scope, alert_id, data.note, principal.user_id, utc_now()
        )


class AlertRuleController(Controller):
    path = "/v1/admin/alert-rules"
    tags = ["Operations"]
    security = [{"BearerToken": []}]

    @get("", guards=[operations], summary="The alert rules as configured now")
    async def rules(self, state: State) -> list[RuleView]:
        return [rule_view(rule) for rule in _engine(state).rules.all()]

    @put("/{name:str}", guards=[admin_only], summary="Change an alert rule", responses=problems(404, 422))
    async def change(
        self,
        name: FromPath[str],
        data: JSONBody[RuleUpdate],
        db_session: DbSession,
        principal: CurrentPrincipal,
        state: State,
    ) -> RuleView:
        """Severity, on/off, raise and clear times and thresholds; fields left out keep their value. Every process
        follows within one scan."""
        rules = _engine(state).rules
        if not rules.knows(name):
            raise NotFound(f"No alert rule named {name!r}.")
        change = RuleChange(
            severity=data.severity,
            enabled=data.enabled,
            raise_after_seconds=data.raise_after_seconds,
            clear_after_seconds=data.clear_after_seconds,
            params=dict(data.params) if data.params is not None else None,
        )
        try:
            await rules.change(db_session, name, change, by=principal.user_id, now=utc_now())
        except RuleChangeError as exc:
            raise InvalidInput([FieldError(field=exc.field, message=str(exc))], str(exc).capitalize() + ".") from None
        await db_session.commit()
        await rules.refresh()
        return rule_view(rules.rule(name))
