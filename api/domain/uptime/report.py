"""Uptime reports: any period at port, charger, location or network level; the NEVI monthly report; CSV."""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import msgspec
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.csv_cells import text_cell
from api.db.models import ChargingStation, Evse, Location
from api.db.types import utc_now
from api.domain.operations.scope import SiteScope
from api.domain.uptime.calculation import (
    INDUSTRY_THRESHOLD,
    NEVI_THRESHOLD,
    Figure,
    Level,
    Period,
    figures,
    ports_query,
    possibly_below,
)
from api.domain.uptime.schemas import NeviMonth, NeviPort, NeviReport, UptimeItem, UptimeReport
from api.errors import FieldError, InvalidInput

MAX_PERIOD: Final = timedelta(days=3 * 366)
METHOD: Final = (
    "23 CFR 680.116(b): per port, uptime = (T - (outage - excluded)) / T x 100, T the period's minutes up to now; "
    "a charger, a location and the network are the mean of their ports"
)
MONTH_PATTERN: Final = r"^((?:19|2[0-9])[0-9]{2})-(0[1-9]|1[0-2])$"  # YYYY-MM, 1900 to 2999
_MONTH = re.compile(MONTH_PATTERN)


class Selection:
    """Which ports a report covers: the operator's sites, narrowed to a location or a region."""

    def __init__(self, scope: SiteScope, *, location_id: uuid.UUID | None = None, region_id: uuid.UUID | None = None):
        self.conditions: list[ColumnElement[bool]] = [
            Evse.charging_station_id.is_not(None),
            scope.where(Evse.location_id),
        ]
        if location_id is not None:
            self.conditions.append(Evse.location_id == location_id)
        if region_id is not None:
            self.conditions.append(Location.region_id == region_id)

    def ports(self) -> Any:
        return ports_query(*self.conditions)

    @classmethod
    def narrowed(cls, selection: Selection, condition: ColumnElement[bool]) -> Selection:
        """The same ports, further narrowed."""
        narrowed = cls.__new__(cls)
        narrowed.conditions = [*selection.conditions, condition]
        return narrowed


def check_period(start: datetime, end: datetime, now: datetime) -> None:
    errors = []
    if end <= start:
        errors.append(FieldError("to", "must be after 'from'"))
    elif start >= now:
        errors.append(FieldError("from", "must be in the past: the future has no uptime yet"))
    elif end - start > MAX_PERIOD:
        errors.append(FieldError("to", "a report covers at most three years"))
    if errors:
        raise InvalidInput(errors)


class _Labels:
    """Names of the ports, chargers and locations a selection covers."""

    def __init__(self) -> None:
        self.port: dict[uuid.UUID, tuple[str, str, uuid.UUID, str | None]] = {}  # (uid, charger, location, name)
        self.charger: dict[uuid.UUID, tuple[str, uuid.UUID, str | None]] = {}
        self.location: dict[uuid.UUID, str | None] = {}

    @classmethod
    async def of(cls, session: AsyncSession, selection: Selection) -> _Labels:
        labels = cls()
        rows = await session.execute(
            select(Evse.id, Evse.uid, ChargingStation.id, ChargingStation.ocpp_id, Location.id, Location.name)
            .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
            .join(Location, Location.id == Evse.location_id)
            .where(*selection.conditions)
        )
        for evse_id, uid, station_id, ocpp_id, location_id, name in rows:
            labels.port[evse_id] = (uid, ocpp_id, location_id, name)
            labels.charger[station_id] = (ocpp_id, location_id, name)
            labels.location[location_id] = name
        return labels


def _item(level: Level, figure: Figure, labels: _Labels) -> UptimeItem:
    key = figure.key
    name, location_id, location_name, charger = "Network", None, None, None
    if level == "port" and key in labels.port:
        uid, charger, location_id, location_name = labels.port[key]
        name = uid
    elif level == "charger" and key in labels.charger:
        charger, location_id, location_name = labels.charger[key]
        name = charger
    elif level == "location" and key is not None:
        location_id, location_name = key, labels.location.get(key)
        name = location_name or str(key)
    return UptimeItem(
        level=level,
        id=key,
        name=name,
        location_id=location_id,
        location_name=location_name,
        charger_id=charger,
        ports=figure.ports,
        period_minutes=figure.period_minutes,
        outage_minutes=figure.outage_minutes,
        excluded_minutes=figure.excluded_minutes,
        uptime_percent=figure.uptime,
        below_nevi=figure.uptime < NEVI_THRESHOLD,
        below_industry=figure.uptime < INDUSTRY_THRESHOLD,
        ports_below_nevi=figure.ports_below_nevi,
    )


async def uptime_report(
    session: AsyncSession,
    selection: Selection,
    start: datetime,
    end: datetime,
    level: Level,
    now: datetime | None = None,
) -> UptimeReport:
    now = now or utc_now()
    check_period(start, end, now)
    period = Period(start, end)
    network = await figures(session, selection.ports(), [period], "network", now)
    found = network if level == "network" else await figures(session, selection.ports(), [period], level, now)
    labels = await _Labels.of(session, selection) if level != "network" else _Labels()
    items = sorted((_item(level, f, labels) for f in found), key=lambda item: (item.uptime_percent, item.name))
    return UptimeReport(
        start=start,
        end=min(end, now),
        level=level,
        method=METHOD,
        nevi_threshold=NEVI_THRESHOLD,
        industry_threshold=INDUSTRY_THRESHOLD,
        network=_item("network", network[0], labels) if network else None,
        items=items,
        below_nevi=sum(item.below_nevi for item in items),
        below_industry=sum(item.below_industry for item in items),
    )


def parse_month(month: str) -> datetime:
    """The first instant (UTC) of a YYYY-MM month."""
    match = _MONTH.match(month)
    if match is None:
        raise InvalidInput([FieldError("month", "give the month as YYYY-MM (1900 to 2999), e.g. 2026-11")])
    return datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)


def _next_month(moment: datetime) -> datetime:
    if moment.month == 12:
        return moment.replace(year=moment.year + 1, month=1)
    return moment.replace(month=moment.month + 1)


def _year_of(months: list[Figure]) -> Figure | None:
    """The twelve months together from the months' sums: each port's net outage minutes add up over disjoint
    months, so the mean of the ports' yearly uptimes is 100 x (1 - sum of net / (ports x T))."""
    if not months:
        return None
    minutes = sum(m.period_minutes for m in months)
    outage = sum(m.outage_minutes for m in months)
    excluded = sum(m.excluded_minutes for m in months)
    ports = months[0].ports
    uptime = 100.0 * (1 - (outage - excluded) / (ports * minutes)) if ports and minutes else 100.0
    return Figure(
        len(months), None, ports, round(minutes, 4), round(outage, 4), round(excluded, 4), round(uptime, 4), 0
    )


def _month_row(label: str, period: Period, figure: Figure | None) -> NeviMonth:
    return NeviMonth(
        month=label,
        start=period.start,
        end=period.end,
        ports=figure.ports if figure else 0,
        uptime_percent=figure.uptime if figure else None,
        ports_below_nevi=figure.ports_below_nevi if figure else 0,
        outage_minutes=figure.outage_minutes if figure else 0.0,
        excluded_minutes=figure.excluded_minutes if figure else 0.0,
    )


async def nevi_report(
    session: AsyncSession, selection: Selection, month: str, now: datetime | None = None
) -> NeviReport:
    """The twelve months up to `month`, each on its own, and the twelve together with the ports below 97 %."""
    now = now or utc_now()
    last = parse_month(month)
    if last > now:
        raise InvalidInput([FieldError("month", "must not be in the future")])
    starts = [last]
    for _ in range(11):
        previous = starts[0]
        starts.insert(
            0,
            previous.replace(year=previous.year - 1, month=12)
            if previous.month == 1
            else previous.replace(month=previous.month - 1),
        )
    periods = [Period(start, _next_month(start)) for start in starts]
    trailing = Period(starts[0], periods[-1].end)
    by_period = {f.period: f for f in await figures(session, selection.ports(), periods, "network", now)}
    months = [_month_row(f"{p.start:%Y-%m}", p, by_period.get(index)) for index, p in enumerate(periods)]
    year = _year_of(list(by_period.values()))
    below: list[NeviPort] = []
    candidates = Selection.narrowed(
        selection, Evse.id.in_(possibly_below(selection.ports().cte(), trailing, NEVI_THRESHOLD, now))
    )
    exact = await figures(session, candidates.ports(), [trailing], "port", now)
    if exact:
        labels = await _Labels.of(session, candidates)
        for figure in exact:
            if figure.uptime < NEVI_THRESHOLD and figure.key in labels.port:
                uid, charger, _, location_name = labels.port[figure.key]
                below.append(
                    NeviPort(
                        port_id=figure.key,
                        evse_uid=uid,
                        charger_id=charger,
                        location_name=location_name,
                        uptime_percent=figure.uptime,
                    )
                )
    if year is not None:
        year = msgspec.structs.replace(year, ports_below_nevi=len(below))
    return NeviReport(
        month=month,
        months=months,
        trailing_twelve_months=_month_row(f"{starts[0]:%Y-%m}..{month}", trailing, year),
        nevi_threshold=NEVI_THRESHOLD,
        ports_below_nevi=sorted(below, key=lambda port: port.uptime_percent),
    )


CSV_COLUMNS: Final = (
    "level",
    "id",
    "name",
    "location",
    "charger",
    "ports",
    "from",
    "to",
    "period_minutes",
    "outage_minutes",
    "excluded_minutes",
    "uptime_percent",
    "below_97",
    "below_98",
)


def _text_cell(value: str | None) -> str:
    return text_cell(value or "")


def report_csv(report: UptimeReport, rows: Sequence[UptimeItem] | None = None) -> str:
    """One row per item, then the network; numbers as plain decimals for spreadsheets."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    items = list(rows if rows is not None else report.items)
    if report.network is not None and report.level != "network":
        items.append(report.network)
    for item in items:
        writer.writerow(
            [
                item.level,
                item.id or "",
                _text_cell(item.name),
                _text_cell(item.location_name),
                _text_cell(item.charger_id),
                item.ports,
                report.start.isoformat(),
                report.end.isoformat(),
                f"{item.period_minutes:.2f}",
                f"{item.outage_minutes:.2f}",
                f"{item.excluded_minutes:.2f}",
                f"{item.uptime_percent:.4f}",
                "yes" if item.below_nevi else "no",
                "yes" if item.below_industry else "no",
            ]
        )
    return out.getvalue()
