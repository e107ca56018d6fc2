"""The metrics report as the API answers it (`GET /v1/admin/metrics`): key figures, per charger and location, the
hour x weekday heatmap and the support desk's figures, for one period of local days; uptime for the UTC days that
match them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

import msgspec

from api.domain.support.reports import Durations, Satisfaction
from api.schema import AppStruct

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _doc(text: str) -> msgspec.Meta:
    return msgspec.Meta(description=text)


Share = Annotated[float | None, _doc("A share between 0 and 1 (four decimals); null when its base is empty")]
Kwh = Annotated[float, _doc("Kilowatt-hours, to three decimals")]
UptimePercent = Annotated[
    float | None,
    _doc(
        "Uptime by the NEVI rule (23 CFR 680.116(b)) over uptimeFrom..uptimeTo: the mean of the ports' uptime "
        "(each 100 x (T - (outage - excluded)) / T), four decimals; null when there are no ports or the period "
        "has not begun"
    ),
]


class Money(AppStruct):
    """An amount in one currency (a decimal string in major units)."""

    currency: str
    amount: Decimal


class Figures(AppStruct):
    """What a set of chargers did over the period."""

    sessions: Annotated[int, _doc("Completed sessions that started in the period")]
    failed_starts: Annotated[int, _doc("Starts the charger did not carry out (refused, no answer, offline)")]
    failed_start_rate: Annotated[Share, _doc("failedStarts / (sessions + failedStarts)")]
    energy_kwh: Kwh
    energy_per_session_kwh: Annotated[float | None, _doc("Mean energy of a session; null without sessions")]
    average_duration_minutes: Annotated[float | None, _doc("Mean time plugged in, start to end (one decimal)")]
    delivering_hours: Annotated[float, _doc("Hours in which energy flowed, all ports together (two decimals)")]
    utilisation: Annotated[Share, _doc("deliveringHours / (ports x hours in the period)")]
    uptime_percent: UptimePercent
    revenue: Annotated[list[Money], _doc("Billed amounts, per currency")]
    first_time_drivers: Annotated[int, _doc("Sessions that were the driver's first on the network")]
    returning_sessions: Annotated[int, _doc("Sessions of drivers who had charged before")]


class TotalFigures(Figures, kw_only=True):
    """All the selected chargers together, with how many fall under the NEVI line."""

    chargers_below_nevi: Annotated[int, _doc("Chargers whose uptime is under 97 %")]
    ports_below_nevi: Annotated[int, _doc("Ports whose own uptime is under 97 %, the line NEVI holds each port to")]


class ChargerFigures(Figures, kw_only=True):
    """One charger's figures."""

    charger_id: Annotated[str, _doc("The charger's OCPP identity")]
    model: str | None
    location_id: uuid.UUID
    location_name: str
    ports: Annotated[int, _doc("EVSEs the charger serves")]


class LocationFigures(Figures, kw_only=True):
    """One location's figures, its chargers together."""

    location_id: uuid.UUID
    name: str
    time_zone: str
    chargers: int
    ports: int


class Heatmap(AppStruct):
    """Completed sessions by local starting hour (columns 0-23) and weekday (rows, Monday first)."""

    weekdays: list[str]
    sessions: Annotated[list[list[int]], _doc("7 rows (Monday..Sunday) of 24 counts (hour 0..23, local time)")]


class SupportFigures(AppStruct):
    """The support desk over the period, for tickets about the selected chargers (every ticket when nothing is
    filtered): tickets opened, time to resolution and drivers' ratings (CSAT)."""

    tickets: Annotated[int, _doc("Tickets opened in the period (merged tickets left out)")]
    resolution: Annotated[Durations, _doc("Minutes from opening to solved")]
    satisfaction: Annotated[Satisfaction, _doc("Ratings given in the period")]


class MetricsReport(AppStruct):
    """Metrics over the local days [from, to], both included, for the chargers the filters and the caller's sites
    select. Days, weekdays and hours are each location's local time; uptime, measured per port over one stretch of
    time, covers the UTC days [from 00:00 UTC, the day after `to` 00:00 UTC) up to now."""

    period_from: date = msgspec.field(name="from")
    period_to: date = msgspec.field(name="to")
    days: int
    generated_at: datetime
    chargers_count: Annotated[int, _doc("Chargers selected")]
    ports: int
    uptime_from: Annotated[datetime, _doc("First instant (UTC) the uptime covers: `from` at 00:00 UTC")]
    uptime_to: Annotated[
        datetime,
        _doc(
            "End (UTC, excluded) of the uptime: the day after `to` at 00:00 UTC, or now if earlier; uptimeFrom "
            "when the period has not begun"
        ),
    ]
    totals: TotalFigures
    locations: list[LocationFigures]
    chargers: list[ChargerFigures]
    heatmap: Heatmap
    support: SupportFigures
