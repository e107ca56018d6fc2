"""Uptime by the NEVI rule, computed in the database.

23 CFR 680.116(b): per port, uptime = (T - (T_outage - T_excluded)) / T x 100, T the period's minutes. Here:

- outage minutes are the UNION of the port's outage intervals inside the period (overlaps never count twice; an
  open interval runs to now, and a period never runs past now);
- excluded minutes are the outage minutes that are also inside an operator's exclusion (for the port, its
  charger or its location) or a maintenance outage;
- a charger's, a location's and the network's figure is the mean of their ports' figures (NEVI measures ports).

The length of a union of intervals is one pass in start order: each interval adds what reaches beyond every
interval before it, max(0, end - max(start, reach)), reach being the latest end so far (a window function; on
PostgreSQL it streams in the (evse_id, started_at) index's order, no sort). Clipped to a period [a, b) that is
max(0, min(end, b) - max(start, a, reach)). With O the outages, M the maintenance ones (inside O) and X the
exclusions, the excluded minutes are |O and (X or M)| = |O| + |X or M| - |O or X|; for the many ports without an
exclusion that is just |M|, so only the few ports with exclusions pay for the unions that need a sort.

The whole UTC days a period covers before `uptime_rollup.rolled_until` are read from `port_uptime_days` (see
`rollup`), which holds this same calculation per port and day; only the rest of the period (its partial first and
last days, and the last day or two) walks the log. Net outage minutes of disjoint pieces add up, so the figures
are the same either way.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, Final, Literal

import msgspec
from sqlalchemy import (
    ColumnElement,
    Date,
    Float,
    Integer,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from api.db.models import (
    ChargingStation,
    Evse,
    Location,
    PortOutage,
    PortUptimeDay,
    UptimeExclusion,
    UptimeRollup,
)
from api.db.types import UTCDateTime

Level = Literal["port", "charger", "location", "network"]
NEVI_THRESHOLD: Final = 97.0
INDUSTRY_THRESHOLD: Final = 98.0
ROLLUP_ROW: Final = 1  # uptime_rollup's one row


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def floor_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def ceil_day(moment: datetime) -> date:
    day = floor_day(moment)
    return day if day_start(day) == moment else day + timedelta(days=1)


async def rolled_until(session: AsyncSession) -> date | None:
    """The first UTC day not in `port_uptime_days` (None: nothing rolled up)."""
    return await session.scalar(select(UptimeRollup.rolled_until).where(UptimeRollup.id == ROLLUP_ROW))


class greatest(FunctionElement[float]):  # noqa: N801
    """The largest of its arguments (PostgreSQL greatest, SQLite's scalar max)."""

    type = Float()
    inherit_cache = True


class least(FunctionElement[float]):  # noqa: N801
    type = Float()
    inherit_cache = True


@compiles(greatest, "postgresql")
def _greatest_postgresql(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"greatest({compiler.process(element.clauses, **kw)})"


@compiles(greatest)
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "postgresql")
def _least_postgresql(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"least({compiler.process(element.clauses, **kw)})"


@compiles(least)
def _least_sqlite(element: least, compiler: SQLCompiler, **kw: Any) -> str:
    return f"min({compiler.process(element.clauses, **kw)})"


class latest_before(FunctionElement[Any]):  # noqa: N801
    """max(value) over the rows before this one of its partition, in `order`: written out with a literal frame so
    that several such columns share one window (with bound frame offsets each would get a pass of its own)."""

    inherit_cache = True


@compiles(latest_before)
def _latest_before(element: latest_before, compiler: SQLCompiler, **kw: Any) -> str:
    value, partition, order = (compiler.process(clause, **kw) for clause in element.clauses)
    frame = "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING"
    return f"max({value}) OVER (PARTITION BY {partition} ORDER BY {order} {frame})"


class Period(msgspec.Struct, frozen=True):
    start: datetime
    end: datetime


class Figure(msgspec.Struct, frozen=True):
    """One item's uptime over one period. Minutes are summed over the item's ports; `uptime` is their mean."""

    period: int  # index into the periods asked for
    key: uuid.UUID | None  # the port, charger or location id; None network-wide
    ports: int
    period_minutes: float
    outage_minutes: float
    excluded_minutes: float
    uptime: float
    ports_below_nevi: int


def ports_query(*conditions: ColumnElement[bool]) -> Any:
    """Our own chargers' ports (EVSEs with a charging station), filtered by `conditions`."""
    return (
        select(
            Evse.id.label("evse_id"),
            Evse.charging_station_id.label("station_id"),
            Evse.location_id.label("location_id"),
        )
        .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        .join(Location, Location.id == Evse.location_id)
        .where(*conditions)
    )


class _Window(msgspec.Struct, frozen=True):
    """The periods (index, start, end in epoch seconds), clipped to now, and the disjoint spans they cover in order
    (a long report's live pieces lie at its two ends: only their outages are read)."""

    periods: list[tuple[int, float, float]]
    now: datetime
    spans: list[tuple[datetime, datetime]]

    @property
    def start(self) -> datetime:
        return self.spans[0][0]

    @property
    def end(self) -> datetime:
        return self.spans[-1][1]


def _window(periods: Sequence[Period], now: datetime) -> _Window | None:
    clipped: list[tuple[int, float, float]] = []
    bounds: list[tuple[datetime, datetime]] = []
    for index, period in enumerate(periods):
        end = min(period.end, now)
        if end > period.start:
            clipped.append((index, period.start.timestamp(), end.timestamp()))
            bounds.append((period.start, end))
    if not clipped:
        return None
    spans: list[tuple[datetime, datetime]] = []
    for start, end in sorted(bounds):
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], end))
        else:
            spans.append((start, end))
    return _Window(clipped, now, spans)


def _periods_cte(window: _Window, name: str = "periods") -> Any:
    """(p, a, b): each period's bounds as stored timestamps; `span` its length in seconds."""
    rows = [
        select(
            literal(index, Integer).label("p"),
            literal(datetime.fromtimestamp(start, UTC), UTCDateTime()).label("a"),
            literal(datetime.fromtimestamp(end, UTC), UTCDateTime()).label("b"),
            literal(end - start, Float).label("span"),
        )
        for index, start, end in window.periods
    ]
    return union_all(*rows).cte(name) if len(rows) > 1 else rows[0].cte(name)


class sum_seconds(FunctionElement[float]):  # noqa: N801
    """SUM over rows of the seconds from `earlier` to `later` where later > earlier (two timestamps). PostgreSQL
    adds intervals and converts once per group; SQLite converts each row's text timestamps."""

    type = Float()
    inherit_cache = True


@compiles(sum_seconds, "postgresql")
def _sum_seconds_postgresql(element: sum_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"date_part('epoch', sum(CASE WHEN {later} > {earlier} THEN {later} - {earlier} END))"


@compiles(sum_seconds)
def _sum_seconds_sqlite(element: sum_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"sum(CASE WHEN {later} > {earlier} THEN (julianday({later}) - julianday({earlier})) * 86400.0 END)"


def _touches(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(PortOutage.started_at < end, or_(PortOutage.ended_at.is_(None), PortOutage.ended_at > start))


def _outages(window: _Window, *conditions: ColumnElement[bool]) -> Any:
    """Outage intervals touching the window as (evse_id, s, e, m) timestamps; an open one ends now; m: maintenance."""
    return select(
        PortOutage.evse_id.label("evse_id"),
        PortOutage.started_at.label("s"),
        func.coalesce(PortOutage.ended_at, literal(window.now, UTCDateTime())).label("e"),
        (PortOutage.cause == "maintenance").label("m"),
    ).where(
        PortOutage.started_at < window.end,
        or_(PortOutage.ended_at.is_(None), PortOutage.ended_at > window.start),
        *(() if len(window.spans) == 1 else (or_(*(_touches(start, end) for start, end in window.spans)),)),
        *conditions,
    )


def _exclusions(ports: Any, window: _Window) -> list[Any]:
    """Live exclusion intervals touching the window, one row per port they cover: (evse_id, s, e)."""
    live = and_(
        UptimeExclusion.withdrawn_at.is_(None),
        UptimeExclusion.starts_at < window.end,
        UptimeExclusion.ends_at > window.start,
    )
    return [
        select(
            ports.c.evse_id.label("evse_id"),
            UptimeExclusion.starts_at.label("s"),
            least(UptimeExclusion.ends_at, literal(window.now, UTCDateTime())).label("e"),
        )
        .select_from(UptimeExclusion)
        .join(ports, port_column == target)
        .where(live)
        for target, port_column in (
            (UptimeExclusion.evse_id, ports.c.evse_id),
            (UptimeExclusion.charging_station_id, ports.c.station_id),
            (UptimeExclusion.location_id, ports.c.location_id),
        )
    ]


def _added(periods: Any, s: Any, e: Any, reach: Any) -> tuple[Any, Any]:
    """(later, earlier) of what an interval adds to the union inside a period, given the reach before it."""
    return least(e, periods.c.b), greatest(s, periods.c.a, func.coalesce(reach, s))


def _reached(source: Any, name: str, *, several: bool, maintenance: bool) -> Any:
    """`source` with each interval's reach (the latest end before it, per port, in start order); with
    `maintenance`, also the reach among the maintenance intervals alone."""

    def reach(value: Any) -> Any:
        return latest_before(value, source.c.evse_id, source.c.s)

    columns = [source.c.evse_id, source.c.s, source.c.e, reach(source.c.e).label("r")]
    if maintenance:
        columns += [source.c.m, reach(case((source.c.m, source.c.e))).label("mr")]
    reached = select(*columns).cte(f"{name}_reach")
    # joined with several periods, the window must run once, not once per period
    return reached.prefix_with("MATERIALIZED") if several else reached


def _overlapping(reached: Any, periods: Any) -> Any:
    return and_(reached.c.s < periods.c.b, reached.c.e > periods.c.a)


def _outage_seconds(window: _Window, periods: Any, *, several: bool) -> Any:
    """Per (period, port): `outage`, the union of its outages, and `maintenance`, the union of its maintenance
    outages, in seconds. One pass over the outages in the (evse_id, started_at) index's order."""
    reached = _reached(_outages(window).subquery("o_intervals"), "o", several=several, maintenance=True)
    later, earlier = _added(periods, reached.c.s, reached.c.e, reached.c.r)
    m_later, m_earlier = _added(periods, reached.c.s, reached.c.e, reached.c.mr)
    return (
        select(
            periods.c.p,
            reached.c.evse_id,
            sum_seconds(later, earlier).label("outage"),
            sum_seconds(case((reached.c.m, m_later)), m_earlier).label("maintenance"),
        )
        .join(periods, _overlapping(reached, periods))
        .group_by(periods.c.p, reached.c.evse_id)
        .cte("o_union")
    )


def _union_seconds(intervals: Any, periods: Any, name: str, *, several: bool) -> Any:
    """Per (period, port), the length in seconds of the union of `intervals` (evse_id, s, e) inside the period."""
    reached = _reached(intervals.subquery(f"{name}_intervals"), name, several=several, maintenance=False)
    later, earlier = _added(periods, reached.c.s, reached.c.e, reached.c.r)
    return (
        select(periods.c.p, reached.c.evse_id, sum_seconds(later, earlier).label("seconds"))
        .join(periods, _overlapping(reached, periods))
        .group_by(periods.c.p, reached.c.evse_id)
        .cte(name)
    )


def port_seconds(ports: Any, periods: Sequence[Period], now: datetime) -> tuple[Any, Any] | None:
    """(periods CTE, `outage` and `excluded` seconds per (period, port) with an outage in the period) as SQL; None
    when every period is future. A port without a row was never out in that period."""
    window = _window(periods, now)
    if window is None:
        return None
    cte = _periods_cte(window)
    several = len(window.periods) > 1
    exclusions = _exclusions(ports, window)
    excluded_ports = union_all(*(select(part.subquery().c.evse_id) for part in exclusions)).cte("excluded_ports")
    in_excluded = PortOutage.evse_id.in_(select(excluded_ports.c.evse_id))
    maintenance = PortOutage.cause == "maintenance"
    # every port's outages are read in index order (no sort); the ports asked for are picked when joined below
    outage = _outage_seconds(window, cte, several=several)
    plain = [
        part.with_only_columns(*part.selected_columns[:3])
        for part in (_outages(window, in_excluded, maintenance), _outages(window, in_excluded))
    ]
    excluded_or_maintained = _union_seconds(union_all(*exclusions, plain[0]), cte, "xm_union", several=several)
    outage_or_excluded = _union_seconds(union_all(*exclusions, plain[1]), cte, "ox_union", several=several)
    marked = select(excluded_ports.c.evse_id).distinct().cte("marked_ports")
    o = func.coalesce(outage.c.outage, 0.0)
    # |O and (X or M)| = |O| + |X or M| - |O or X| where a port has exclusions, |M| where it has none
    with_exclusions = greatest(
        0.0, o + func.coalesce(excluded_or_maintained.c.seconds, 0.0) - func.coalesce(outage_or_excluded.c.seconds, o)
    )
    excluded = case((marked.c.evse_id.is_not(None), with_exclusions), else_=func.coalesce(outage.c.maintenance, 0.0))

    def same(table: Any) -> Any:
        return and_(table.c.p == outage.c.p, table.c.evse_id == outage.c.evse_id)

    per_port = (
        select(outage.c.p, outage.c.evse_id, o.label("outage"), least(excluded, o).label("excluded"))
        .select_from(outage)
        .join(ports, ports.c.evse_id == outage.c.evse_id)
        .outerjoin(excluded_or_maintained, same(excluded_or_maintained))
        .outerjoin(outage_or_excluded, same(outage_or_excluded))
        .outerjoin(marked, marked.c.evse_id == outage.c.evse_id)
        .cte("per_port")
    )
    return cte, per_port


def possibly_below(ports: Any, period: Period, threshold: float, now: datetime) -> Any:
    """The ids of the ports that MAY be below `threshold` over `period`: those whose outages, simply added up (at
    least their union, so at least their net outage), reach the minutes the threshold allows. A cheap pass that
    keeps the exact computation to a few ports."""
    end = min(period.end, now)
    allowed = (1 - threshold / 100) * (end - period.start).total_seconds()
    start_at, end_at = literal(period.start, UTCDateTime()), literal(end, UTCDateTime())
    ended = func.coalesce(PortOutage.ended_at, literal(now, UTCDateTime()))
    return (
        select(PortOutage.evse_id)
        .where(
            PortOutage.evse_id.in_(select(ports.c.evse_id)),
            PortOutage.started_at < end,
            or_(PortOutage.ended_at.is_(None), PortOutage.ended_at > period.start),
        )
        .group_by(PortOutage.evse_id)
        .having(sum_seconds(least(ended, end_at), greatest(PortOutage.started_at, start_at)) > allowed)
    )


class _Plan(msgspec.Struct, frozen=True):
    """A report's periods split into what walks the log (`live`: pieces, each with the index of its period) and
    what sums rolled days (`rolled`: period index, first day, day after the last)."""

    live: list[tuple[int, Period]]
    rolled: list[tuple[int, date, date]]


def _plan(window: _Window, until: date | None) -> _Plan:
    live: list[tuple[int, Period]] = []
    rolled: list[tuple[int, date, date]] = []
    for index, start, end in window.periods:
        a, b = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        first, last = ceil_day(a), floor_day(b)
        if until is not None and first < min(last, until):
            last = min(last, until)
            rolled.append((index, first, last))
            if a < day_start(first):
                live.append((index, Period(a, day_start(first))))
            if day_start(last) < b:
                live.append((index, Period(day_start(last), b)))
        else:
            live.append((index, Period(a, b)))
    return _Plan(live, rolled)


def _rolled_ranges(plan: _Plan) -> Any:
    """(p, first, last): the rolled days [first, last) of each period."""
    rows = [
        select(
            literal(index, Integer).label("p"),
            literal(first, Date()).label("first"),
            literal(last, Date()).label("last"),
        )
        for index, first, last in plan.rolled
    ]
    return (union_all(*rows) if len(rows) > 1 else rows[0]).cte("rolled_ranges")


def _rolled_seconds(plan: _Plan, ports: Any) -> Any:
    """(p, evse_id, outage, excluded) of the rolled days in each period's rolled range. One pass over the days of
    the span, joined with the ports asked for; each day is given its period by comparisons when the ranges do not
    overlap (a report's months), else joined with the ranges."""
    days = PortUptimeDay
    ordered = sorted(plan.rolled, key=lambda item: item[1])
    span = (days.day >= ordered[0][1], days.day < max(last for _, _, last in ordered))
    if all(earlier[2] <= later[1] for earlier, later in pairwise(ordered)):
        owner = (
            literal(ordered[0][0], Integer)
            if len(ordered) == 1
            else case(
                *((and_(days.day >= first, days.day < last), literal(index, Integer)) for index, first, last in ordered)
            )
        )
        inside = (
            select(owner.label("p"), days.evse_id, days.outage_seconds, days.excluded_seconds)
            .join(ports, ports.c.evse_id == days.evse_id)
            .where(*span)
        )
        if all(earlier[2] == later[1] for earlier, later in pairwise(ordered)):
            return inside  # the ranges cover the span: every day has its period
        gaps = inside.subquery("rolled_days")
        return select(*gaps.c).where(gaps.c.p.is_not(None))
    ranges = _rolled_ranges(plan)
    return (
        select(ranges.c.p, days.evse_id, days.outage_seconds, days.excluded_seconds)
        .join(ports, ports.c.evse_id == days.evse_id)
        .join(ranges, and_(days.day >= ranges.c.first, days.day < ranges.c.last))
        .where(*span)
    )


def _net_seconds(ports: Any, plan: _Plan, now: datetime) -> Any:
    """Per (period, port) with any outage: `outage` and `excluded` seconds, from the log and the rolled days."""
    parts = []
    if plan.live:
        built = port_seconds(ports, [piece for _, piece in plan.live], now)
        if built is not None:
            _, live = built
            owner = case({n: index for n, (index, _) in enumerate(plan.live)}, value=live.c.p)
            parts.append(select(owner.label("p"), live.c.evse_id, live.c.outage, live.c.excluded))
    if plan.rolled:
        parts.append(_rolled_seconds(plan, ports))
    pieces = (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("pieces")
    columns = list(pieces.c)
    outage = func.sum(columns[2])
    return (
        select(
            columns[0].label("p"),
            columns[1].label("evse_id"),
            outage.label("outage"),
            least(func.sum(columns[3]), outage).label("excluded"),
        )
        .group_by(columns[0], columns[1])
        .cte("net")
    )


async def figures(
    session: AsyncSession,
    ports: Any,
    periods: Sequence[Period],
    level: Level,
    now: datetime | None = None,
    *,
    rolled: bool = True,
) -> list[Figure]:
    """Uptime per period at `level` for the ports `ports` selects (see `ports_query`); `rolled=False` walks the
    log for every day (to check the roll-up against).

    Only the ports that were out are summed: a port never out in a period is at 100 %, so an item's mean is
    100 x (1 - net outage of its ports / (its ports x T)) with T the same for every port of the period."""
    now = now or datetime.now(UTC)
    ports = ports.cte("ports")
    window = _window(periods, now)
    if window is None:
        return []
    plan = _plan(window, await rolled_until(session) if rolled else None)
    cte = _periods_cte(window, "report_periods")
    net = _net_seconds(ports, plan, now)
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # a report's plan looks costly to PostgreSQL, whose JIT then compiles for longer than the query runs
        await session.execute(text("SET LOCAL jit = off"))
    key = {
        "port": ports.c.evse_id,
        "charger": ports.c.station_id,
        "location": ports.c.location_id,
        "network": literal(0, Integer),
    }[level]
    grouped = () if level == "network" else (key,)
    items = select(key.label("k"), func.count().label("ports")).select_from(ports).group_by(*grouped).cte("items")
    span = cte.c.span
    net_seconds = net.c.outage - net.c.excluded
    out = (
        select(
            net.c.p,
            key.label("k"),
            func.sum(net.c.outage).label("outage"),
            func.sum(net.c.excluded).label("excluded"),
            func.sum(case((100.0 * (span - net_seconds) / span < NEVI_THRESHOLD, 1), else_=0)).label("below"),
        )
        .join(cte, cte.c.p == net.c.p)
        .join(ports, ports.c.evse_id == net.c.evse_id)
        .group_by(net.c.p, *grouped)
        .cte("out")
    )
    outage, excluded = func.coalesce(out.c.outage, 0.0), func.coalesce(out.c.excluded, 0.0)
    rows = (
        select(
            cte.c.p,
            items.c.k,
            items.c.ports,
            span,
            outage,
            excluded,
            100.0 * (1.0 - (outage - excluded) / (items.c.ports * span)),
            func.coalesce(out.c.below, 0),
        )
        .select_from(items)
        .join(cte, true())
        .outerjoin(out, and_(out.c.p == cte.c.p, out.c.k == items.c.k))
        .where(items.c.ports > 0)  # no ports, no figure (the network's count is 0 then)
        .order_by(cte.c.p)
    )
    found = []
    for p, item, count, seconds, out_seconds, exc, mean, below in await session.execute(rows):
        found.append(
            Figure(
                period=int(p),
                key=None if level == "network" else item if isinstance(item, uuid.UUID) else uuid.UUID(str(item)),
                ports=int(count),
                period_minutes=round(float(seconds) / 60, 4),
                outage_minutes=round(float(out_seconds) / 60, 4),
                excluded_minutes=round(float(exc) / 60, 4),
                uptime=round(float(mean), 4),
                ports_below_nevi=int(below or 0),
            )
        )
    return found


__all__ = [
    "INDUSTRY_THRESHOLD",
    "NEVI_THRESHOLD",
    "Figure",
    "Level",
    "Period",
    "figures",
    "ports_query",
    "possibly_below",
]
