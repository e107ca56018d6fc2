"""Uptime API for operators and admins, limited to the caller's sites: reports (JSON, CSV, SVG chart), the NEVI
monthly report, the outage log, and exclusions (mark, list, withdraw)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from litestar import Controller, Response, delete, get, post
from litestar.params import FromPath, JSONBody, QueryParameter

from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.operations.scope import CallerScope, SiteScope
from api.domain.uptime import exclusions
from api.domain.uptime.calculation import Level
from api.domain.uptime.chart import uptime_chart
from api.domain.uptime.outage_listing import OutageFilter, outage_page
from api.domain.uptime.report import MONTH_PATTERN, Selection, nevi_report, report_csv, uptime_report
from api.domain.uptime.schemas import (
    ExclusionPage,
    ExclusionView,
    NeviReport,
    NewExclusion,
    OutagePage,
    UptimeReport,
    Withdrawal,
)
from api.errors import NotFound
from api.openapi_contract import problems
from api.security.guards import operations

From = Annotated[
    datetime | None,
    QueryParameter(name="from", required=False, description="Start (ISO 8601; UTC unless an offset is given)"),
]
To = Annotated[datetime | None, QueryParameter(name="to", required=False, description="End, exclusive; default now")]
LevelParam = Annotated[Level, QueryParameter(description="port, charger, location or network")]
LocationParam = Annotated[uuid.UUID | None, QueryParameter(name="location", required=False)]
RegionParam = Annotated[uuid.UUID | None, QueryParameter(name="region", required=False)]
DEFAULT_DAYS = 30


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period asked for; by default the last 30 days up to now."""
    end = _utc(end) if end is not None else utc_now()
    start = _utc(start) if start is not None else end - timedelta(days=DEFAULT_DAYS)
    return start, end


def _selection(scope: SiteScope, location: uuid.UUID | None, region: uuid.UUID | None) -> Selection:
    if location is not None and not scope.allows(location):
        raise NotFound("There is no location with that id among your sites.")
    return Selection(scope, location_id=location, region_id=region)


async def _nevi(
    db: DbSession, scope: SiteScope, month: str | None, location: uuid.UUID | None, region: uuid.UUID | None
) -> NeviReport:
    """By default the last full month."""
    if month is None:
        month = f"{utc_now().replace(day=1) - timedelta(days=1):%Y-%m}"
    return await nevi_report(db, _selection(scope, location, region), month)


class UptimeController(Controller):
    path = "/v1/admin"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get(
        "/uptime",
        summary="Uptime by the NEVI rule for any period, per port, charger, location or network",
        responses=problems(404, 422),
    )
    async def report(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        start: From = None,
        end: To = None,
        level: LevelParam = "location",
        location: LocationParam = None,
        region: RegionParam = None,
    ) -> UptimeReport:
        """Items are sorted worst first; `belowNevi`/`belowIndustry` mark those under 97 % and 98 %."""
        start, end = _period(start, end)
        return await uptime_report(db_session, _selection(site_scope, location, region), start, end, level)

    @get("/uptime/export.csv", summary="The uptime report as CSV", media_type="text/csv", responses=problems(404, 422))
    async def export_csv(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        start: From = None,
        end: To = None,
        level: LevelParam = "location",
        location: LocationParam = None,
        region: RegionParam = None,
    ) -> Response[str]:
        start, end = _period(start, end)
        report = await uptime_report(db_session, _selection(site_scope, location, region), start, end, level)
        name = f"voltway-uptime-{level}-{start:%Y%m%d}-{report.end:%Y%m%d}.csv"
        return Response(
            report_csv(report),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @get(
        "/uptime/chart.svg",
        summary="The uptime report as a bar chart with the 97 % and 98 % lines",
        media_type="image/svg+xml",
        responses=problems(404, 422),
    )
    async def chart(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        start: From = None,
        end: To = None,
        level: LevelParam = "location",
        location: LocationParam = None,
        region: RegionParam = None,
    ) -> Response[str]:
        start, end = _period(start, end)
        report = await uptime_report(db_session, _selection(site_scope, location, region), start, end, level)
        bars = [(item.name, item.uptime_percent) for item in report.items]
        if report.network is not None and level != "network":
            bars.insert(0, ("Whole network (mean of ports)", report.network.uptime_percent))
        title = f"Uptime {start:%Y-%m-%d %H:%M} to {report.end:%Y-%m-%d %H:%M} UTC, per {level}"
        return Response(uptime_chart(title, bars), media_type="image/svg+xml")

    @get(
        "/uptime/nevi",
        summary="NEVI report: each of the twelve months up to a month, and the twelve together",
        responses=problems(422),
    )
    async def nevi(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        month: Annotated[
            str | None,
            QueryParameter(required=False, pattern=MONTH_PATTERN, description="YYYY-MM; default the last full month"),
        ] = None,
        location: LocationParam = None,
        region: RegionParam = None,
    ) -> NeviReport:
        return await _nevi(db_session, site_scope, month, location, region)

    @get(
        "/uptime/nevi/chart.svg",
        summary="The NEVI months as a bar chart with the 97 % and 98 % lines",
        media_type="image/svg+xml",
        responses=problems(422),
    )
    async def nevi_chart(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        month: Annotated[
            str | None, QueryParameter(required=False, pattern=MONTH_PATTERN, description="YYYY-MM")
        ] = None,
        location: LocationParam = None,
        region: RegionParam = None,
    ) -> Response[str]:
        report = await _nevi(db_session, site_scope, month, location, region)
        bars = [(m.month, m.uptime_percent) for m in report.months]
        bars.append(("Twelve months", report.trailing_twelve_months.uptime_percent))
        return Response(uptime_chart(f"NEVI uptime, twelve months to {report.month}", bars), media_type="image/svg+xml")

    @get("/outages", summary="The outage log: per port, when it could not charge and why", responses=problems(422))
    async def outages(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        start: From = None,
        end: To = None,
        location: LocationParam = None,
        charger: Annotated[str | None, QueryParameter(required=False, description="The charger's OCPP id")] = None,
        cause: Annotated[
            Literal["offline", "fault", "unavailable", "maintenance"] | None, QueryParameter(required=False)
        ] = None,
        open_only: Annotated[bool, QueryParameter(name="open", description="only those still going on")] = False,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> OutagePage:
        given = OutageFilter(
            start=_utc(start) if start else None,
            end=_utc(end) if end else None,
            location_id=location,
            charger_id=charger,
            cause=cause,
            open_only=open_only,
        )
        return await outage_page(db_session, site_scope, given, limit=limit, offset=offset)

    @get("/outages/exclusions", summary="Exclusions, newest first, withdrawn ones too (the audit)")
    async def list_exclusions(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        start: From = None,
        end: To = None,
        include_withdrawn: Annotated[bool, QueryParameter(name="includeWithdrawn")] = True,
    ) -> ExclusionPage:
        items = await exclusions.listing(
            db_session,
            site_scope,
            start=_utc(start) if start else None,
            end=_utc(end) if end else None,
            include_withdrawn=include_withdrawn,
        )
        return ExclusionPage(items=items)

    @post(
        "/outages/exclusions",
        summary="Mark a period of a port, charger or location as excluded, with a reason",
        responses=problems(404, 422),
    )
    async def create_exclusion(
        self, db_session: DbSession, site_scope: CallerScope, principal: CurrentPrincipal, data: JSONBody[NewExclusion]
    ) -> ExclusionView:
        data.start, data.end = _utc(data.start), _utc(data.end)
        return await exclusions.create(db_session, site_scope, data, principal.user_id)

    @delete(
        "/outages/exclusions/{exclusion_id:uuid}",
        summary="Withdraw an exclusion (kept, with who, when, why)",
        status_code=200,
        responses=problems(404, 409, 422),
    )
    async def withdraw_exclusion(
        self,
        exclusion_id: FromPath[uuid.UUID],
        db_session: DbSession,
        site_scope: CallerScope,
        principal: CurrentPrincipal,
        data: JSONBody[Withdrawal],
    ) -> ExclusionView:
        return await exclusions.withdraw(db_session, site_scope, exclusion_id, data.reason, principal.user_id)
