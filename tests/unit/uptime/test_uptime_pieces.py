"""The pure parts of uptime: why a port is down, the chart, the CSV and the NEVI year from its months."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.domain.uptime.calculation import Figure
from api.domain.uptime.chart import uptime_chart
from api.domain.uptime.outage_log import PortState, down_of
from api.domain.uptime.report import _year_of, report_csv
from api.domain.uptime.schemas import UptimeItem, UptimeReport

NOW = datetime.now(UTC)


def state(**changes: object) -> PortState:
    base: dict[str, object] = {
        "evse_id": uuid.uuid4(),
        "station_id": uuid.uuid4(),
        "location_id": uuid.uuid4(),
        "status": "AVAILABLE",
        "ocpp_status": "Available",
        "error_code": None,
        "status_source": "live",
        "status_at": NOW,
        "connected": True,
        "last_seen": NOW,
        "open_id": None,
        "open_cause": None,
        "open_error": None,
        "open_since": None,
    }
    return PortState(**(base | changes))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({}, None),
        ({"status": "CHARGING", "ocpp_status": "Charging"}, None),
        ({"connected": False}, "offline"),
        ({"connected": False, "last_seen": None}, None),  # never connected: not in service yet
        ({"status": "OUTOFORDER", "ocpp_status": "Faulted", "error_code": "GroundFailure"}, "fault"),
        ({"status": "INOPERATIVE", "ocpp_status": "Unavailable"}, "unavailable"),
        ({"status": "INOPERATIVE", "status_source": "maintenance"}, "maintenance"),
        ({"status": "INOPERATIVE", "status_source": "maintenance", "connected": False}, "maintenance"),
        ({"status": "OUTOFORDER", "ocpp_status": "Faulted", "connected": False}, "offline"),
    ],
)
def test_why_a_port_cannot_charge(changes: dict[str, object], cause: str | None) -> None:
    down = down_of(state(**changes))
    assert (down.cause if down else None) == cause
    if cause == "fault":
        assert down is not None
        assert down.error_code == "GroundFailure"


def test_the_chart_draws_both_lines_and_escapes_names() -> None:
    svg = uptime_chart("Uptime", [("<script>alert(1)</script>", 95.0), ("Amber & Co", 97.5), ("Fine", 100.0)])
    assert svg.startswith("<svg")
    assert svg.endswith("</svg>")
    assert "97 % NEVI" in svg
    assert "98 % industry" in svg
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Amber &amp; Co" in svg
    assert svg.count('fill="#c62828"><title>') == 1  # one bar below 97 %
    assert svg.count('fill="#f9a825"><title>') == 1  # one between 97 % and 98 %


def test_the_csv_keeps_formula_like_names_as_text() -> None:
    item = UptimeItem(
        level="location",
        id=uuid.uuid4(),
        name='=HYPERLINK("http://x")',
        location_name=None,
        ports=2,
        period_minutes=1440.0,
        outage_minutes=72.0,
        excluded_minutes=0.0,
        uptime_percent=95.0,
        below_nevi=True,
        below_industry=True,
        ports_below_nevi=1,
    )
    report = UptimeReport(
        start=NOW - timedelta(days=1),
        end=NOW,
        level="location",
        method="",
        nevi_threshold=97.0,
        industry_threshold=98.0,
        network=None,
        items=[item],
        below_nevi=1,
        below_industry=1,
    )
    (row,) = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert row["name"].startswith("'=")
    assert (row["uptime_percent"], row["below_97"], row["below_98"]) == ("95.0000", "yes", "yes")


def test_the_nevi_year_is_the_months_added_up() -> None:
    """Two ports, two 30-day months (43,200 minutes each): 432 net outage minutes in the first, 0 in the second.
    The mean of the ports' yearly uptimes is 100 x (1 - 432 / (2 x 86,400)) = 99.75 %."""
    months = [
        Figure(0, None, 2, 43_200.0, 500.0, 68.0, 99.5, 0),
        Figure(1, None, 2, 43_200.0, 0.0, 0.0, 100.0, 0),
    ]
    year = _year_of(months)
    assert year is not None
    assert (year.period_minutes, year.outage_minutes, year.excluded_minutes) == (86_400.0, 500.0, 68.0)
    assert year.uptime == 99.75
    assert _year_of([]) is None
