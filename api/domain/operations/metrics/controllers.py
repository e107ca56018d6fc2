"""`/v1/admin/metrics`: the operators' report (utilisation, uptime, sessions, energy, revenue, peak times, drivers,
failed starts, support) over local days, for their own sites, as JSON or as CSV tables."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Final, Literal

from litestar import Controller, Response, get
from litestar.params import QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.csv_cells import text_cell
from api.db.types import utc_now
from api.deps import DbSession
from api.domain.operations.metrics.reports import MetricsFilter, figure_tables, heatmap, metrics_report
from api.domain.operations.metrics.schemas import ChargerFigures, Heatmap, LocationFigures, MetricsReport
from api.domain.operations.scope import CallerScope, SiteScope
from api.errors import FieldError, InvalidInput
from api.security.guards import operations

DEFAULT_DAYS: Final = 30
LONGEST_DAYS: Final = 400
CsvTable = Literal["chargers", "locations", "heatmap"]

FromDay = Annotated[
    date | None,
    QueryParameter(name="from", description="First local day of the period (YYYY-MM-DD; default: 29 days before `to`)"),
]
ToDay = Annotated[date | None, QueryParameter(name="to", description="Last local day, included (default: today, UTC)")]
LocationId = Annotated[uuid.UUID | None, QueryParameter(name="location", description="Only this location")]
RegionId = Annotated[uuid.UUID | None, QueryParameter(name="region", description="Only locations of this region")]
BusinessUnitId = Annotated[
    uuid.UUID | None, QueryParameter(name="businessUnit", description="Only locations of this business unit")
]
Model = Annotated[
    str | None, QueryParameter(name="model", description="Only chargers of this model", min_length=1, max_length=50)
]


EARLIEST_DAY: Final = date(1900, 1, 1)
LATEST_DAY: Final = date(2999, 12, 31)


def _filter(
    first: date | None,
    last: date | None,
    location: uuid.UUID | None,
    region: uuid.UUID | None,
    business_unit: uuid.UUID | None,
    model: str | None,
) -> MetricsFilter:
    for name, day in (("from", first), ("to", last)):
        if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
            raise InvalidInput([FieldError(name, f"must be between {EARLIEST_DAY} and {LATEST_DAY}", source="query")])
    last = last or utc_now().date()
    first = first or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise InvalidInput([FieldError("from", "must not be after `to`", source="query")])
    if (last - first).days + 1 > LONGEST_DAYS:
        raise InvalidInput([FieldError("from", f"the period is at most {LONGEST_DAYS} days long", source="query")])
    return MetricsFilter(
        first=first, last=last, location_id=location, region_id=region, business_unit_id=business_unit, model=model
    )


class OperatorMetricsController(Controller):
    path = "/v1/admin"
    tags = ["Operations"]
    guards = [operations]
    security = [{"BearerToken": []}]

    @get("/metrics", summary="Utilisation, uptime, sessions, energy, revenue, peak times and support for a period")
    async def metrics(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        first: FromDay = None,
        last: ToDay = None,
        location: LocationId = None,
        region: RegionId = None,
        business_unit: BusinessUnitId = None,
        model: Model = None,
    ) -> MetricsReport:
        """The figures of the chargers at the caller's sites that the filters select, over local days [from, to]
        (at most 400): totals, per location, per charger, the hour x weekday heatmap in each location's local
        time, and the support desk's resolution times and ratings for those sites. Uptime follows the NEVI rule
        (the mean of the ports') over the period's UTC days up to now (`uptimeFrom`, `uptimeTo`)."""
        picked = _filter(first, last, location, region, business_unit, model)
        return await metrics_report(db_session, picked, site_scope, utc_now())

    @get("/metrics.csv", summary="One table of the metrics report as CSV", media_type="text/csv")
    async def metrics_csv(
        self,
        db_session: DbSession,
        site_scope: CallerScope,
        table: Annotated[
            CsvTable, QueryParameter(description="chargers, locations or heatmap (default chargers)")
        ] = "chargers",
        first: FromDay = None,
        last: ToDay = None,
        location: LocationId = None,
        region: RegionId = None,
        business_unit: BusinessUnitId = None,
        model: Model = None,
    ) -> Response[str]:
        """The same figures as `/v1/admin/metrics`, one table per file: one row per charger, per location, or
        per weekday (24 hourly columns). Revenue has one column per currency. Names, ids and models that start like
        a spreadsheet formula are written with a leading apostrophe."""
        picked = _filter(first, last, location, region, business_unit, model)
        name = f"voltway-metrics-{table}-{picked.first}-{picked.last}.csv"
        return Response(
            await csv_table(db_session, picked, site_scope, utc_now(), table),
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )


FIGURE_COLUMNS: Final = (
    "sessions",
    "failed_starts",
    "failed_start_rate",
    "energy_kwh",
    "energy_per_session_kwh",
    "average_duration_minutes",
    "delivering_hours",
    "utilisation",
    "uptime_percent",
    "first_time_drivers",
    "returning_sessions",
)


async def csv_table(db: AsyncSession, picked: MetricsFilter, scope: SiteScope, now: datetime, table: CsvTable) -> str:
    """One table of the report as CSV text, computing only what that table holds."""
    if table == "heatmap":
        return heatmap_csv(await heatmap(db, picked, scope))
    tables = await figure_tables(db, picked, scope, now)
    return figures_csv(table, tables.chargers if table == "chargers" else tables.locations)


def heatmap_csv(sessions: Heatmap) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["weekday", *(f"{hour:02d}:00" for hour in range(24))])
    for weekday, counts in zip(sessions.weekdays, sessions.sessions, strict=True):
        writer.writerow([weekday, *counts])
    return out.getvalue()


def figures_csv(table: CsvTable, rows: Sequence[ChargerFigures] | Sequence[LocationFigures]) -> str:
    """One row per charger or per location (empty cells for figures without a base)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    currencies = sorted({money.currency for row in rows for money in row.revenue})
    head = (
        ["charger_id", "model", "location_id", "location", "ports"]
        if table == "chargers"
        else ["location_id", "location", "time_zone", "chargers", "ports"]
    )
    writer.writerow([*head, *FIGURE_COLUMNS, *(f"revenue_{currency}" for currency in currencies)])
    for row in rows:
        first: list[object] = (
            [text_cell(row.charger_id), text_cell(row.model or ""), row.location_id, text_cell(row.location_name)]
            if isinstance(row, ChargerFigures)
            else [row.location_id, text_cell(row.name), text_cell(row.time_zone), row.chargers]
        )
        revenue = {money.currency: money.amount for money in row.revenue}
        writer.writerow(
            [
                *first,
                row.ports,
                *("" if getattr(row, column) is None else getattr(row, column) for column in FIGURE_COLUMNS),
                *(revenue.get(currency, "") for currency in currencies),
            ]
        )
    return out.getvalue()
