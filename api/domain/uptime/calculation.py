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
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import msgspec
from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    func,
    literal,
    null,
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

from api.db.models import ChargingStation, Evse, Location, PortOutage, UptimeExclusion
from api.db.types import UTCDateTime

Level = Literal["port", "charger", "location", "network"]
NEVI_THRESHOLD: Final = 97.0
INDUSTRY_THRESHOLD: Final = 98.0


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
    """The periods (index, start, end in epoch seconds), clipped to now, and the span that holds them all."""

    periods: list[tuple[int, float, float]]
    start: datetime
    end: datetime
    now: datetime


def _window(periods: Sequence[Period], now: datetime) -> _Window | None:
    clipped, starts, ends = [], [], []
    for index, period in enumerate(periods):
        end = min(period.end, now)
        if end > period.start:
            clipped.append((index, period.start.timestamp(), end.timestamp()))
            starts.append(period.start)
            ends.append(end)
    return _Window(clipped, min(starts), max(ends), now) if clipped else None


def _periods_cte(window: _Window) -> Any:
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
    return union_all(*rows).cte("periods") if len(rows) > 1 else rows[0].cte("periods")


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
    """(periods CTE, per (period, port) `outage` and `excluded` seconds) as SQL; None when every period is future."""
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
        return and_(table.c.p == cte.c.p, table.c.evse_id == ports.c.evse_id)

    per_port = (
        select(cte.c.p, ports.c.evse_id, o.label("outage"), least(excluded, o).label("excluded"))
        .select_from(ports)
        .join(cte, true())
        .outerjoin(outage, same(outage))
        .outerjoin(excluded_or_maintained, same(excluded_or_maintained))
        .outerjoin(outage_or_excluded, same(outage_or_excluded))
        .outerjoin(marked, marked.c.evse_id == ports.c.evse_id)
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


async def figures(
    session: AsyncSession, ports: Any, periods: Sequence[Period], level: Level, now: datetime | None = None
) -> list[Figure]:
    """Uptime per period at `level` for the ports `ports` selects (see `ports_query`)."""
    now = now or datetime.now(UTC)
    ports = ports.cte("ports")
    built = port_seconds(ports, periods, now)
    if built is None:
        return []
    cte, per_port = built
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # a report's plan looks costly to PostgreSQL, whose JIT then compiles for longer than the query runs
        await session.execute(text("SET LOCAL jit = off"))
    span = cte.c.span
    uptime = 100.0 * (span - (per_port.c.outage - per_port.c.excluded)) / span
    key = {
        "port": ports.c.evse_id,
        "charger": ports.c.station_id,
        "location": ports.c.location_id,
        "network": null(),
    }[level]
    rows = (
        select(
            cte.c.p,
            key,
            func.count(),
            func.min(span),
            func.sum(per_port.c.outage),
            func.sum(per_port.c.excluded),
            func.avg(uptime),
            func.sum(case((uptime < NEVI_THRESHOLD, 1), else_=0)),
        )
        .select_from(per_port)
        .join(cte, cte.c.p == per_port.c.p)
        .join(ports, ports.c.evse_id == per_port.c.evse_id)
        .group_by(cte.c.p, *(() if level == "network" else (key,)))
        .order_by(cte.c.p)
    )
    found = []
    for p, item, count, seconds, out, exc, mean, below in await session.execute(rows):
        found.append(
            Figure(
                period=int(p),
                key=item if isinstance(item, uuid.UUID) or item is None else uuid.UUID(str(item)),
                ports=int(count),
                period_minutes=round(float(seconds) / 60, 4),
                outage_minutes=round(float(out) / 60, 4),
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
