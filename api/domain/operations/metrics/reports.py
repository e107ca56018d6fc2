"""Computing the metrics report from the rollups: never from the sessions, so a year of a large network answers in
well under a second.

A period is a run of local days. Its whole months are read from the month rows and the days before and after
them from the day rows, so a year touches twelve rows per charger plus at most two partial months of day rows.
Utilisation divides the hours energy flowed by ports x 24 h x days (a day with a clock change counts 24 h).

Uptime is not a rollup: it is the uptime pages' NEVI calculation (`api.domain.uptime.calculation.figures`), asked
once per port over the UTC days of the period and averaged here per charger, per location and overall, since NEVI
measures ports and a larger item's figure is the mean of its ports'.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import msgspec
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargerHours, ChargerRollup, ChargingStation, Evse, Location, SupportTicket
from api.db.models.metrics import HOUR_COLUMNS
from api.domain.operations.metrics.schemas import (
    WEEKDAYS,
    ChargerFigures,
    Heatmap,
    LocationFigures,
    MetricsReport,
    Money,
    SupportFigures,
    TotalFigures,
)
from api.domain.operations.scope import SiteScope
from api.domain.sessions.views import from_minor
from api.domain.support.reports import Satisfaction, durations, rating_figures
from api.domain.uptime.calculation import NEVI_THRESHOLD, Figure, Period, figures, ports_query

_T = TypeVar("_T")


class MetricsFilter(msgspec.Struct, frozen=True):
    """What the operator picked: local days [first, last] and, optionally, one location, region, business unit
    or charger model."""

    first: date
    last: date
    location_id: uuid.UUID | None = None
    region_id: uuid.UUID | None = None
    business_unit_id: uuid.UUID | None = None
    model: str | None = None

    @property
    def narrowed(self) -> bool:
        return any(v is not None for v in (self.location_id, self.region_id, self.business_unit_id, self.model))


def month_after(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def split_period(first: date, last: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """The day ranges (both ends included) and the run of whole months (first days of the first and last month)
    that together cover [first, last] exactly once."""
    months_from = first if first.day == 1 else month_after(first)
    end = last + timedelta(days=1)
    months_to = end.replace(day=1)  # the first month not wholly inside
    if months_from >= months_to:
        return [(first, last)], None
    days = []
    if first < months_from:
        days.append((first, months_from - timedelta(days=1)))
    if months_to <= last:
        days.append((months_to, last))
    last_month = (months_to - timedelta(days=1)).replace(day=1)
    return days, (months_from, last_month)


def utc_days(first: date, last: date) -> tuple[datetime, datetime]:
    """The UTC instants of the local days [first, last]: [first 00:00 UTC, the day after last 00:00 UTC). Tickets
    and uptime are counted over these, the same for every location."""
    return (
        datetime.combine(first, time(), tzinfo=UTC),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC),
    )


def uptime_period(first: date, last: date, now: datetime) -> Period:
    """What the uptime of [first, last] covers: their UTC days up to now (the future has no uptime yet); a period
    that has not begun is empty, starting and ending at its start."""
    start, end = utc_days(first, last)
    return Period(start, max(start, min(end, now)))


def _period(table: Any, first: date, last: date) -> ColumnElement[bool]:
    days, months = split_period(first, last)
    parts: list[ColumnElement[bool]] = [
        and_(table.grain == "day", table.period_start >= start, table.period_start <= stop) for start, stop in days
    ]
    if months is not None:
        parts.append(and_(table.grain == "month", table.period_start >= months[0], table.period_start <= months[1]))
    return or_(*parts)


def _locations(picked: MetricsFilter, scope: SiteScope) -> Select[uuid.UUID]:
    """The ids of the locations the filter and the caller's sites select."""
    query = select(Location.id).where(scope.where(Location.id))
    if picked.location_id is not None:
        query = query.where(Location.id == picked.location_id)
    if picked.region_id is not None:
        query = query.where(Location.region_id == picked.region_id)
    if picked.business_unit_id is not None:
        query = query.where(Location.business_unit_id == picked.business_unit_id)
    return query


def _selected(table: Any, picked: MetricsFilter, scope: SiteScope) -> ColumnElement[bool]:
    conditions = [scope.where(table.location_id)]
    if picked.location_id is not None or picked.region_id is not None or picked.business_unit_id is not None:
        conditions.append(table.location_id.in_(_locations(picked, scope)))
    if picked.model is not None:
        conditions.append(
            table.charging_station_id.in_(select(ChargingStation.id).where(ChargingStation.model == picked.model))
        )
    return and_(*conditions)


@dataclass(slots=True)
class _Sums:
    sessions: int = 0
    failed_starts: int = 0
    energy_wh: float = 0.0
    duration_seconds: float = 0.0
    delivering_seconds: float = 0.0
    first_time_drivers: int = 0
    revenue_minor: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, other: _Sums) -> None:
        self.sessions += other.sessions
        self.failed_starts += other.failed_starts
        self.energy_wh += other.energy_wh
        self.duration_seconds += other.duration_seconds
        self.delivering_seconds += other.delivering_seconds
        self.first_time_drivers += other.first_time_drivers
        for currency, minor in other.revenue_minor.items():
            self.revenue_minor[currency] += minor

    def figures(self, ports: int, period_hours: float) -> dict[str, Any]:
        attempts = self.sessions + self.failed_starts
        capacity = ports * period_hours
        delivering_hours = self.delivering_seconds / 3600
        return {
            "sessions": self.sessions,
            "failed_starts": self.failed_starts,
            "failed_start_rate": round(self.failed_starts / attempts, 4) if attempts else None,
            "energy_kwh": round(self.energy_wh / 1000, 3),
            "energy_per_session_kwh": round(self.energy_wh / 1000 / self.sessions, 3) if self.sessions else None,
            "average_duration_minutes": round(self.duration_seconds / 60 / self.sessions, 1) if self.sessions else None,
            "delivering_hours": round(delivering_hours, 2),
            "utilisation": round(delivering_hours / capacity, 4) if capacity else None,
            "revenue": [
                Money(currency=currency, amount=from_minor(minor, currency))
                for currency, minor in sorted(self.revenue_minor.items())
            ],
            "first_time_drivers": self.first_time_drivers,
            "returning_sessions": self.sessions - self.first_time_drivers,
        }


@dataclass(slots=True)
class _Uptime:
    """Ports' uptimes added up, for their mean (a charger's, a location's or the network's NEVI figure)."""

    ports: int = 0
    percent_sum: float = 0.0
    ports_below: int = 0

    def add_charger(self, figure: Figure) -> None:
        """A charger's figure: the sum of its ports' percentages, from its minutes rather than its rounded mean,
        so that every mean agrees with the uptime pages' to the fourth decimal."""
        net = figure.outage_minutes - figure.excluded_minutes
        self.ports += figure.ports
        self.percent_sum += 100.0 * (figure.ports * figure.period_minutes - net) / figure.period_minutes
        self.ports_below += figure.ports_below_nevi

    def add(self, other: _Uptime) -> None:
        self.ports += other.ports
        self.percent_sum += other.percent_sum
        self.ports_below += other.ports_below

    @property
    def percent(self) -> float | None:
        return round(self.percent_sum / self.ports, 4) if self.ports else None

    @property
    def below_nevi(self) -> bool:
        percent = self.percent
        return percent is not None and percent < NEVI_THRESHOLD


@dataclass(frozen=True, slots=True)
class _Charger:
    id: uuid.UUID
    ocpp_id: str
    model: str | None
    location_id: uuid.UUID
    location_name: str
    time_zone: str
    ports: int


@dataclass(slots=True)
class _Site:
    """A location's chargers added up; `charger`, its first, gives the location's name and time zone."""

    charger: _Charger
    sums: _Sums = field(default_factory=_Sums)
    uptime: _Uptime = field(default_factory=_Uptime)
    ports: int = 0
    chargers: int = 0


@dataclass(frozen=True, slots=True)
class FigureTables:
    """The report's figures per charger, per location and in total (what its CSV tables hold), without the heatmap
    and the support desk's figures."""

    chargers: list[ChargerFigures]
    locations: list[LocationFigures]
    totals: TotalFigures
    ports: int
    covered: Period
    selected: list[_Charger]


async def metrics_report(db: AsyncSession, picked: MetricsFilter, scope: SiteScope, now: datetime) -> MetricsReport:
    """Every figure of the report for the chargers the filter and the caller's sites select."""
    heatmap_soon = await beside(db, lambda own: heatmap(own, picked, scope))
    try:
        tables = await figure_tables(db, picked, scope, now)
    except BaseException:
        _drop(heatmap_soon)
        raise
    return MetricsReport(
        period_from=picked.first,
        period_to=picked.last,
        days=(picked.last - picked.first).days + 1,
        generated_at=now,
        chargers_count=len(tables.chargers),
        ports=tables.ports,
        uptime_from=tables.covered.start,
        uptime_to=tables.covered.end,
        totals=tables.totals,
        locations=tables.locations,
        chargers=tables.chargers,
        heatmap=await heatmap_soon,
        support=await _support(db, picked, scope, tables.selected),
    )


async def beside(db: AsyncSession, work: Callable[[AsyncSession], Awaitable[_T]]) -> Awaitable[_T]:
    """`work` on a connection of its own when the database runs queries side by side (PostgreSQL: the report's
    independent parts then take the time of the longest, not of all), else after the rest on `db` (SQLite has one
    writer and gains nothing). Returns what to await."""
    bind = db.bind
    if bind is None or bind.dialect.name != "postgresql":

        async def later() -> _T:
            return await work(db)

        return later()

    async def alone() -> _T:
        async with AsyncSession(bind) as own:
            return await work(own)

    return asyncio.ensure_future(alone())


def _drop(pending: Awaitable[Any]) -> None:
    """Stop a part started by `beside` whose report failed."""
    if isinstance(pending, asyncio.Future):
        pending.cancel()
    elif isinstance(pending, Coroutine):
        pending.close()


async def figure_tables(db: AsyncSession, picked: MetricsFilter, scope: SiteScope, now: datetime) -> FigureTables:
    """The figures per charger, per location and in total."""
    covered = uptime_period(picked.first, picked.last, now)
    uptimes_soon = await beside(db, lambda own: _uptimes(own, picked, scope, covered, now))
    try:
        chargers = await _chargers(db, picked, scope)
        sums = await _rollup_sums(db, picked, scope)
    except BaseException:
        _drop(uptimes_soon)
        raise
    uptimes = await uptimes_soon
    days = (picked.last - picked.first).days + 1
    period_hours = days * 24.0

    per_location: dict[uuid.UUID, _Site] = {}
    charger_rows: list[ChargerFigures] = []
    totals = _Sums()
    total_uptime = _Uptime()
    total_ports = chargers_below_nevi = 0
    for charger in chargers:
        own = sums.get(charger.id, _Sums())
        own_uptime = uptimes.get(charger.id, _Uptime())
        own_ports = charger.ports
        charger_rows.append(
            ChargerFigures(
                charger_id=charger.ocpp_id,
                model=charger.model,
                location_id=charger.location_id,
                location_name=charger.location_name,
                ports=own_ports,
                uptime_percent=own_uptime.percent,
                **own.figures(own_ports, period_hours),
            )
        )
        site = per_location.setdefault(charger.location_id, _Site(charger))
        site.sums.add(own)
        site.uptime.add(own_uptime)
        site.ports += own_ports
        site.chargers += 1
        totals.add(own)
        total_uptime.add(own_uptime)
        total_ports += own_ports
        chargers_below_nevi += own_uptime.below_nevi
    charger_rows.sort(key=lambda row: (-row.sessions, row.charger_id))
    location_rows = [
        LocationFigures(
            location_id=location_id,
            name=site.charger.location_name,
            time_zone=site.charger.time_zone,
            chargers=site.chargers,
            ports=site.ports,
            uptime_percent=site.uptime.percent,
            **site.sums.figures(site.ports, period_hours),
        )
        for location_id, site in per_location.items()
    ]
    location_rows.sort(key=lambda row: (row.name.lower(), str(row.location_id)))
    totals_row = TotalFigures(
        uptime_percent=total_uptime.percent,
        chargers_below_nevi=chargers_below_nevi,
        ports_below_nevi=total_uptime.ports_below,
        **totals.figures(total_ports, period_hours),
    )
    return FigureTables(charger_rows, location_rows, totals_row, total_ports, covered, chargers)


async def _chargers(db: AsyncSession, picked: MetricsFilter, scope: SiteScope) -> list[_Charger]:
    ports = select(func.count()).where(Evse.charging_station_id == ChargingStation.id).scalar_subquery()
    query = (
        select(
            ChargingStation.id,
            ChargingStation.ocpp_id,
            ChargingStation.model,
            Location.id,
            func.coalesce(Location.name, Location.address),
            Location.time_zone,
            ports,
        )
        .join(Location, Location.id == ChargingStation.location_id)
        .where(ChargingStation.location_id.in_(_locations(picked, scope)))
    )
    if picked.model is not None:
        query = query.where(ChargingStation.model == picked.model)
    rows = await (await db.connection()).execute(query)
    return [_Charger(*row) for row in rows]


async def _uptimes(
    db: AsyncSession, picked: MetricsFilter, scope: SiteScope, covered: Period, now: datetime
) -> dict[uuid.UUID, _Uptime]:
    """Per charger (station id), its ports' uptimes over `covered`: one charger-level pass of the NEVI calculation
    over the ports of the chargers `_chargers` selects. Empty when the period has not begun."""
    conditions: list[ColumnElement[bool]] = [ChargingStation.location_id.in_(_locations(picked, scope))]
    if picked.model is not None:
        conditions.append(ChargingStation.model == picked.model)
    ports = ports_query(*conditions)
    uptimes: dict[uuid.UUID, _Uptime] = defaultdict(_Uptime)
    for figure in await figures(db, ports, [covered], "charger", now):
        if figure.key is not None:
            uptimes[figure.key].add_charger(figure)
    return uptimes


async def _rollup_sums(db: AsyncSession, picked: MetricsFilter, scope: SiteScope) -> dict[uuid.UUID, _Sums]:
    table = ChargerRollup
    rows = await (await db.connection()).execute(
        select(
            table.charging_station_id,
            table.currency,
            func.sum(table.sessions),
            func.sum(table.failed_starts),
            func.sum(table.energy_wh),
            func.sum(table.duration_seconds),
            func.sum(table.delivering_seconds),
            func.sum(table.first_time_drivers),
            func.sum(table.revenue_minor),
        )
        .where(_period(table, picked.first, picked.last), _selected(table, picked, scope))
        .group_by(table.charging_station_id, table.currency)
    )
    sums: dict[uuid.UUID, _Sums] = {}
    for charger_id, currency, sessions, failed, energy, duration, delivering, first, revenue in rows:
        own = sums.get(charger_id)
        if own is None:
            own = sums[charger_id] = _Sums()
        own.sessions += int(sessions or 0)
        own.failed_starts += int(failed or 0)
        own.energy_wh += float(energy or 0)
        own.duration_seconds += float(duration or 0)
        own.delivering_seconds += float(delivering or 0)
        own.first_time_drivers += int(first or 0)
        if revenue:
            own.revenue_minor[currency] += int(revenue)
    return sums


async def heatmap(db: AsyncSession, picked: MetricsFilter, scope: SiteScope) -> Heatmap:
    """Sessions by local hour and weekday."""
    table = ChargerHours
    rows = await (await db.connection()).execute(
        select(table.weekday, *(func.sum(getattr(table, column)) for column in HOUR_COLUMNS))
        .where(_period(table, picked.first, picked.last), _selected(table, picked, scope))
        .group_by(table.weekday)
    )
    cells = [[0] * 24 for _ in WEEKDAYS]
    for weekday, *hours in rows:
        cells[weekday] = [int(n or 0) for n in hours]
    return Heatmap(weekdays=list(WEEKDAYS), sessions=cells)


async def _support(
    db: AsyncSession, picked: MetricsFilter, scope: SiteScope, chargers: list[_Charger]
) -> SupportFigures:
    """Tickets opened and ratings given in the period (UTC days), about the selected sites and chargers."""
    start, end = utc_days(picked.first, picked.last)
    about: list[ColumnElement[bool]] = []
    if picked.narrowed or not scope.everything:
        ocpp_ids = [charger.ocpp_id for charger in chargers]
        about.append(SupportTicket.charger_id.in_(ocpp_ids) if ocpp_ids else SupportTicket.id < 0)
        if picked.model is None:
            about[0] = or_(about[0], SupportTicket.location_id.in_(_locations(picked, scope)))
    opened = (
        await db.execute(
            select(SupportTicket.created_at, SupportTicket.solved_at).where(
                SupportTicket.created_at >= start,
                SupportTicket.created_at < end,
                SupportTicket.merged_into_id.is_(None),
                *about,
            )
        )
    ).all()
    minutes = [(solved - created).total_seconds() / 60 for created, solved in opened if solved is not None]
    ratings = [
        rating
        for (rating,) in (
            await db.execute(
                select(SupportTicket.rating).where(
                    SupportTicket.rating.is_not(None),
                    SupportTicket.rated_at >= start,
                    SupportTicket.rated_at < end,
                    *about,
                )
            )
        ).all()
        if rating is not None
    ]

    count, share, mean = rating_figures(ratings)
    return SupportFigures(
        tickets=len(opened),
        resolution=durations(minutes),
        satisfaction=Satisfaction(ratings=count, satisfied_share=share, mean=mean),
    )
