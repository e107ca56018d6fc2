"""Uptime by the NEVI rule, computed in the database.

23 CFR 680.116(b): per port, uptime = (T − (T_outage − T_excluded)) / T × 100, T the period's minutes. Here:

- outage minutes are the UNION of the port's outage intervals inside the period (overlaps never count twice; an
  open interval runs to the period's end, and a period never runs past now);
- excluded minutes are the minutes that are outage minutes AND inside an operator's exclusion (for the port, its
  charger or its location) or a maintenance outage;
- a charger's, a location's and the network's figure is the mean of their ports' figures (NEVI measures ports).

One sweep over interval boundaries does both unions: each interval, clipped to each period, gives a +1 at its
start and a −1 at its end (an outage counter and an exclusion counter); running sums ordered by time say, for
each stretch between two boundaries, whether the port was out and whether that was excluded. All of it is SQL
aggregates and window functions, so a year of a large network never comes into Python row by row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final, Literal

import msgspec
from sqlalchemy import ColumnElement, Float, Integer, and_, case, func, literal, null, or_, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from api.db.models import ChargingStation, Evse, Location, PortOutage, UptimeExclusion

Level = Literal["port", "charger", "location", "network"]
NEVI_THRESHOLD: Final = 97.0
INDUSTRY_THRESHOLD: Final = 98.0


class epoch_seconds(FunctionElement[float]):  # noqa: N801 (an SQL function, named like one)
    """Seconds since 1970 of a stored UTC timestamp, on either database."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds)
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite keeps naive UTC text; julianday reads it
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


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


def _clip_to_now(periods: Sequence[Period], now: datetime) -> list[tuple[int, float, float]]:
    clipped = []
    for index, period in enumerate(periods):
        end = min(period.end, now)
        if end > period.start:
            clipped.append((index, period.start.timestamp(), end.timestamp()))
    return clipped


def _periods_cte(clipped: list[tuple[int, float, float]]) -> Any:
    rows = [
        select(
            literal(index, Integer).label("p"), literal(start, Float).label("a"), literal(end, Float).label("b")
        )
        for index, start, end in clipped
    ]
    return union_all(*rows).cte("periods") if len(rows) > 1 else rows[0].cte("periods")


def _intervals(ports: Any, window_start: float, window_end: float, now: float) -> Any:
    """Every outage and exclusion interval touching the window, per port: (evse_id, s, e, o, x) in epoch seconds."""
    started, ended = epoch_seconds(PortOutage.started_at), epoch_seconds(PortOutage.ended_at)
    outages = select(
        PortOutage.evse_id.label("evse_id"),
        started.label("s"),
        func.coalesce(ended, literal(now, Float)).label("e"),
        literal(1, Integer).label("o"),
        case((PortOutage.cause == "maintenance", 1), else_=0).label("x"),
    ).where(
        PortOutage.evse_id.in_(select(ports.c.evse_id)),
        started < window_end,
        or_(PortOutage.ended_at.is_(None), ended > window_start),
    )
    live = and_(
        UptimeExclusion.withdrawn_at.is_(None),
        epoch_seconds(UptimeExclusion.starts_at) < window_end,
        epoch_seconds(UptimeExclusion.ends_at) > window_start,
    )
    parts = [outages]
    for target, port_column in (
        (UptimeExclusion.evse_id, ports.c.evse_id),
        (UptimeExclusion.charging_station_id, ports.c.station_id),
        (UptimeExclusion.location_id, ports.c.location_id),
    ):
        parts.append(
            select(
                ports.c.evse_id,
                epoch_seconds(UptimeExclusion.starts_at),
                epoch_seconds(UptimeExclusion.ends_at),
                literal(0, Integer),
                literal(1, Integer),
            )
            .select_from(UptimeExclusion)
            .join(ports, port_column == target)
            .where(live)
        )
    return union_all(*parts).cte("intervals")


def port_minutes(ports: Any, periods: Sequence[Period], now: datetime) -> tuple[Any, Any] | None:
    """(periods CTE, per (period, port) outage and excluded seconds) as SQL, or None when every period is future."""
    clipped = _clip_to_now(periods, now)
    if not clipped:
        return None
    cte = _periods_cte(clipped)
    intervals = _intervals(
        ports, min(start for _, start, _ in clipped), max(end for _, _, end in clipped), now.timestamp()
    )
    start = case((intervals.c.s > cte.c.a, intervals.c.s), else_=cte.c.a)
    end = case((intervals.c.e < cte.c.b, intervals.c.e), else_=cte.c.b)
    clipped_rows = (
        select(
            cte.c.p, intervals.c.evse_id, start.label("cs"), end.label("ce"), intervals.c.o, intervals.c.x
        )
        .join(cte, and_(intervals.c.s < cte.c.b, intervals.c.e > cte.c.a))
        .cte("clipped")
    )
    c = clipped_rows.c
    events = union_all(
        select(c.p, c.evse_id, c.cs.label("t"), c.o.label("do"), c.x.label("dx")),
        select(c.p, c.evse_id, c.ce, -c.o, -c.x),
    ).cte("events")
    e = events.c
    window = {"partition_by": (e.p, e.evse_id), "order_by": e.t}
    steps = (
        select(
            e.p,
            e.evse_id,
            func.sum(func.sum(e.do)).over(**window, rows=(None, 0)).label("out"),
            func.sum(func.sum(e.dx)).over(**window, rows=(None, 0)).label("exc"),
            (func.lead(e.t).over(**window) - e.t).label("length"),
        )
        .group_by(e.p, e.evse_id, e.t)
        .cte("steps")
    )
    s = steps.c
    per_port = (
        select(
            s.p,
            s.evse_id,
            func.sum(case((s.out > 0, s.length), else_=0.0)).label("outage"),
            func.sum(case((and_(s.out > 0, s.exc > 0), s.length), else_=0.0)).label("excluded"),
        )
        .where(s.length.is_not(None))
        .group_by(s.p, s.evse_id)
        .cte("per_port")
    )
    return cte, per_port


async def figures(
    session: AsyncSession, ports: Any, periods: Sequence[Period], level: Level, now: datetime | None = None
) -> list[Figure]:
    """Uptime per period at `level` for the ports `ports` selects (see `ports_query`)."""
    now = now or datetime.now(UTC)
    ports = ports.cte("ports")
    built = port_minutes(ports, periods, now)
    if built is None:
        return []
    cte, per_port = built
    span = cte.c.b - cte.c.a
    outage = func.coalesce(per_port.c.outage, 0.0)
    excluded = func.coalesce(per_port.c.excluded, 0.0)
    uptime = 100.0 * (span - (outage - excluded)) / span
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
            func.sum(outage),
            func.sum(excluded),
            func.avg(uptime),
            func.sum(case((uptime < NEVI_THRESHOLD, 1), else_=0)),
        )
        .select_from(ports)
        .join(cte, true())
        .outerjoin(per_port, and_(per_port.c.p == cte.c.p, per_port.c.evse_id == ports.c.evse_id))
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


__all__ = ["INDUSTRY_THRESHOLD", "NEVI_THRESHOLD", "Figure", "Level", "Period", "figures", "ports_query"]
