"""Uptime by the NEVI rule against hand-worked examples, on SQLite and PostgreSQL (times relative to today)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Evse
from api.domain.uptime.calculation import Figure, Period, figures, ports_query
from api.domain.uptime.rollup import roll
from tests.integration.uptime_support import charger, exclusion, outage

Factory = async_sessionmaker[AsyncSession]
# a 30-day "month" that ended a while ago: 43,200 minutes
START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=45)
END = START + timedelta(days=30)
MONTH = Period(START, END)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment inside the month: day 1 is its first day."""
    return START + timedelta(days=day - 1, hours=hour, minutes=minute)


async def compute(factory: Factory, level: str, period: Period = MONTH, now: datetime | None = None) -> list[Figure]:
    async with factory() as session:
        return await figures(session, ports_query(Evse.charging_station_id.is_not(None)), [period], level, now)  # type: ignore[arg-type]


async def test_hand_worked_month_with_exclusions_overlaps_and_boundaries(sessions: Factory) -> None:
    """A 30-day month: T = 30 x 1,440 = 43,200 minutes. Charger CP-1 has ports A and B.

    Port A:
    - a fault on day 3, 08:00-10:00: 120 outage minutes, not excluded (an exclusion over it was withdrawn);
    - offline on day 10, 00:00-05:00: 300 minutes. A grid-outage exclusion on the port runs day 9 23:00 to
      day 10 03:00, a charger-wide one day 10 02:00-04:00: together 23:00-04:00, of which 00:00-04:00 = 240
      minutes are outage minutes (the hour before the outage and the overlap count once, or not at all);
    - maintenance on day 20, 06:00-10:00: 240 minutes, excluded by itself.
    T_outage = 120 + 300 + 240 = 660, T_excluded = 240 + 240 = 480:
    uptime A = (43,200 - (660 - 480)) / 43,200 x 100 = 43,020 / 432 = 99.5833 %.

    Port B:
    - offline day 5 10:00-12:00 and a fault day 5 11:00-13:00 overlapping it: 10:00-13:00 = 180 minutes;
    - an outage from 30 minutes before the month to 60 minutes into it: 60 minutes inside;
    - still open, since 100 minutes before the month's end: 100 minutes (to the period's end).
    T_outage = 180 + 60 + 100 = 340, nothing excluded: uptime B = 42,860 / 432 = 99.2130 %.

    The charger, its location and the network are the mean of the two ports: (99.58333 + 99.21296) / 2 = 99.3981 %.
    """
    a, b = await charger(sessions, "CP-1")
    await outage(sessions, a, at(3, 8), at(3, 10), "fault", "GroundFailure")
    await exclusion(sessions, at(3, 7), at(3, 11), port=a, withdrawn_at=at(4, 0))
    await outage(sessions, a, at(10, 0), at(10, 5), "offline")
    await exclusion(sessions, at(9, 23), at(10, 3), port=a)
    await exclusion(sessions, at(10, 2), at(10, 4), station_id=a.station_id, category="vandalism")
    await outage(sessions, a, at(20, 6), at(20, 10), "maintenance")
    await outage(sessions, b, at(5, 10), at(5, 12), "offline")
    await outage(sessions, b, at(5, 11), at(5, 13), "fault")
    await outage(sessions, b, START - timedelta(minutes=30), START + timedelta(minutes=60), "offline")
    await outage(sessions, b, END - timedelta(minutes=100), None, "fault")
    # another charger elsewhere, down all month under a location-wide exclusion: nothing of it leaks into CP-1
    (c,) = await charger(sessions, "CP-2", ports=1)
    await outage(sessions, c, at(1, 0), None, "offline")
    await exclusion(sessions, at(1, 0), END, location_id=c.location_id, category="natural_disaster")

    ports = {f.key: f for f in await compute(sessions, "port")}
    assert ports[a.evse_id].period_minutes == 43_200
    assert (ports[a.evse_id].outage_minutes, ports[a.evse_id].excluded_minutes) == (660, 480)
    assert ports[a.evse_id].uptime == pytest.approx(99.5833, abs=5e-5)
    assert (ports[b.evse_id].outage_minutes, ports[b.evse_id].excluded_minutes) == (340, 0)
    assert ports[b.evse_id].uptime == pytest.approx(99.2130, abs=5e-5)
    assert ports[c.evse_id].uptime == 100.0  # every outage minute excluded

    chargers = {f.key: f for f in await compute(sessions, "charger")}
    assert chargers[a.station_id].uptime == pytest.approx(99.3981, abs=5e-5)
    assert chargers[a.station_id].ports == 2
    (network,) = await compute(sessions, "network")
    assert network.ports == 3
    assert network.uptime == pytest.approx((99.583333 + 99.212963 + 100) / 3, abs=5e-5)

    # the month's days rolled up (as the outage sweep does once they are over): read from there, the same figures
    assert await roll(sessions, datetime.now(UTC)) > 0
    rolled = {f.key: f for f in await compute(sessions, "port")}
    assert (rolled[a.evse_id].outage_minutes, rolled[a.evse_id].excluded_minutes) == (660, 480)
    assert rolled[a.evse_id].uptime == pytest.approx(99.5833, abs=5e-5)
    assert (rolled[b.evse_id].outage_minutes, rolled[b.evse_id].excluded_minutes) == (340, 0)
    assert rolled[c.evse_id].uptime == 100.0
    (network,) = await compute(sessions, "network")
    assert network.uptime == pytest.approx((99.583333 + 99.212963 + 100) / 3, abs=5e-5)


async def test_an_open_outage_counts_until_now_and_the_period_stops_at_now(sessions: Factory) -> None:
    """Period: from a day ago to a day ahead, so T = 1,440 minutes (up to now). Down for the last 60 minutes:
    (1,440 - 60) / 1,440 x 100 = 95.8333 %, below both the 97 % and 98 % lines."""
    now = datetime.now(UTC).replace(microsecond=0)
    (port,) = await charger(sessions, "CP-OPEN", ports=1)
    await outage(sessions, port, now - timedelta(minutes=60), None, "offline")
    (figure,) = await compute(sessions, "port", Period(now - timedelta(days=1), now + timedelta(days=1)), now)
    assert (figure.period_minutes, figure.outage_minutes) == (1440, 60)
    assert figure.uptime == pytest.approx(95.8333, abs=5e-5)
    assert figure.ports_below_nevi == 1


async def test_a_period_in_the_future_has_no_figure(sessions: Factory) -> None:
    now = datetime.now(UTC)
    await charger(sessions, "CP-F", ports=1)
    assert await compute(sessions, "network", Period(now + timedelta(days=1), now + timedelta(days=2)), now) == []


async def test_nevi_twelve_months_and_the_ports_below_97(sessions: Factory) -> None:
    """Port P is out 15 days (21,600 minutes) in the month before last; port Q is never out.

    That month, P's uptime is (T - 21,600) / T; over the twelve months (T_year minutes, all in the past) P has
    (T_year - 21,600) / T_year: about 95.9 %, below 97 %, so P is listed and Q is not. The network's twelve-month
    figure is the mean of the two ports."""
    from api.domain.operations.scope import SiteScope
    from api.domain.uptime.report import Selection, nevi_report

    now = datetime.now(UTC)
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    month_before = (last_month - timedelta(days=1)).replace(day=1)
    p, q = await charger(sessions, "CP-N")
    await outage(sessions, p, month_before + timedelta(days=2), month_before + timedelta(days=17), "offline")
    async with sessions() as session:
        report = await nevi_report(session, Selection(SiteScope(everything=True)), f"{last_month:%Y-%m}", now)
    assert [m.month for m in report.months][-2:] == [f"{month_before:%Y-%m}", f"{last_month:%Y-%m}"]
    worst = report.months[-2]
    month_minutes = (last_month - month_before).total_seconds() / 60
    assert worst.outage_minutes == 21_600
    assert worst.uptime_percent == pytest.approx((100 * (month_minutes - 21_600) / month_minutes + 100) / 2, abs=1e-4)
    year_minutes = (report.trailing_twelve_months.end - report.trailing_twelve_months.start).total_seconds() / 60
    port_year = 100 * (year_minutes - 21_600) / year_minutes
    assert [port.port_id for port in report.ports_below_nevi] == [p.evse_id]
    assert report.ports_below_nevi[0].uptime_percent == pytest.approx(port_year, abs=1e-4)
    assert report.trailing_twelve_months.uptime_percent == pytest.approx((port_year + 100) / 2, abs=1e-4)
    assert report.trailing_twelve_months.ports_below_nevi == 1
    del q


async def test_no_ports_no_figures_at_any_level(sessions: Factory) -> None:
    """A network without chargers (or a selection without ports) has no uptime rather than 0 % or an error."""
    for level in ("port", "charger", "location", "network"):
        assert await compute(sessions, level) == []
