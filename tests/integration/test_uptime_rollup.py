"""Uptime over rolled-up days equals uptime over the outage log, on SQLite and PostgreSQL: for periods that start and
end inside a day, span rolled and live days, or lie in the live days alone; and it stays equal when an outage
arrives late or an exclusion is marked or withdrawn over days already rolled up. Times are relative to today."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import Evse, PortUptimeDay, User
from api.domain.operations.scope import EVERYTHING
from api.domain.uptime import exclusions
from api.domain.uptime.calculation import Figure, Period, figures, ports_query, rolled_until
from api.domain.uptime.outage_log import PortState, record
from api.domain.uptime.rollup import rebuild, roll, roll_target
from api.domain.uptime.schemas import ExclusionTarget, NewExclusion
from tests.integration.uptime_support import Port, charger, exclusion, outage

Factory = async_sessionmaker[AsyncSession]
NOW = datetime.now(UTC).replace(microsecond=0)
LEVELS = ("port", "charger", "location", "network")


async def both(factory: Factory, periods: list[Period], level: str) -> tuple[list[Figure], list[Figure]]:
    """The figures with the rolled-up days, and walking the log for every day."""
    ports = ports_query(Evse.charging_station_id.is_not(None))
    async with factory() as session:
        rolled = await figures(session, ports, periods, level, NOW)  # type: ignore[arg-type]
        walked = await figures(session, ports, periods, level, NOW, rolled=False)  # type: ignore[arg-type]
    return rolled, walked


def assert_same(rolled: list[Figure], walked: list[Figure]) -> None:
    assert len(rolled) == len(walked)

    def order(figure: Figure) -> tuple[int, str]:
        return figure.period, str(figure.key)

    for a, b in zip(sorted(rolled, key=order), sorted(walked, key=order), strict=True):
        assert (a.period, a.key, a.ports, a.ports_below_nevi) == (b.period, b.key, b.ports, b.ports_below_nevi)
        assert a.period_minutes == pytest.approx(b.period_minutes, abs=1e-3)
        assert a.outage_minutes == pytest.approx(b.outage_minutes, abs=1e-3)
        assert a.excluded_minutes == pytest.approx(b.excluded_minutes, abs=1e-3)
        assert a.uptime == pytest.approx(b.uptime, abs=1e-3)


async def plant(factory: Factory, seed: int) -> list[Port]:
    """Three chargers (two at one location) with 40 days of overlapping outages of every cause, some still open,
    and exclusions on ports, chargers and a location, one of them withdrawn."""
    rng = random.Random(seed)
    first = await charger(factory, "ROLL-1")
    second = await charger(factory, "ROLL-2", location_id=first[0].location_id)
    third = await charger(factory, "ROLL-3", ports=1)
    ports = first + second + third
    for port in ports:
        moment = NOW - timedelta(days=40)
        while moment < NOW - timedelta(hours=2):
            moment += timedelta(minutes=rng.randint(60, 4 * 1440))
            length = timedelta(minutes=rng.choice([5, 45, 200, 900, 2000, 3500]))
            cause = rng.choice(["offline", "fault", "unavailable", "maintenance"])
            end = moment + length
            await outage(factory, port, moment, end if end < NOW else None, cause)
            if end >= NOW:
                break
            if rng.random() < 0.25:  # an overlapping one of another cause
                await outage(factory, port, moment + length / 2, end + timedelta(minutes=30), "fault")
            moment = end + timedelta(minutes=1)
    await exclusion(factory, NOW - timedelta(days=30, hours=5), NOW - timedelta(days=25), port=first[0])
    await exclusion(
        factory, NOW - timedelta(days=20, minutes=17), NOW - timedelta(days=12), station_id=second[0].station_id
    )
    await exclusion(factory, NOW - timedelta(days=9), NOW - timedelta(hours=30), location_id=first[0].location_id)
    await exclusion(
        factory, NOW - timedelta(days=35), NOW - timedelta(days=5), port=third[0], withdrawn_at=NOW - timedelta(days=4)
    )
    return ports


def report_periods() -> list[Period]:
    midnight = NOW.replace(hour=0, minute=0, second=0)
    return [
        Period(NOW - timedelta(days=38, hours=7, minutes=13), NOW - timedelta(days=3, hours=2)),  # inside days
        Period(midnight - timedelta(days=30), midnight - timedelta(days=2)),  # whole days, all rolled
        Period(NOW - timedelta(days=10, minutes=1), NOW + timedelta(days=3)),  # into the live days, past now
        Period(midnight - timedelta(days=1, hours=3), NOW),  # the live days alone (and the last rolled one)
        Period(NOW - timedelta(days=60), NOW - timedelta(days=50)),  # before any outage
    ]


def back_to_back_periods() -> list[Period]:
    """Periods that do not overlap, as a monthly report's (each rolled day then belongs to one of them)."""
    midnight = NOW.replace(hour=0, minute=0, second=0)
    return [
        Period(midnight - timedelta(days=31), midnight - timedelta(days=20)),
        Period(midnight - timedelta(days=20), midnight - timedelta(days=9, hours=5)),
        Period(midnight - timedelta(days=9, hours=5), NOW),
    ]


@pytest.mark.parametrize("seed", [3, 11])
async def test_rolled_up_days_give_the_figures_of_the_log(sessions: Factory, seed: int) -> None:
    await plant(sessions, seed)
    assert await roll(sessions, NOW) > 0
    async with sessions() as session:
        assert await rolled_until(session) == roll_target(NOW)
        assert (await session.scalar(select(func.count()).select_from(PortUptimeDay)) or 0) > 0
    assert await roll(sessions, NOW) == 0  # nothing more is due: a second process rolls nothing
    for level in LEVELS:
        for periods in (report_periods(), back_to_back_periods()):
            rolled, walked = await both(sessions, periods, level)
            assert any(f.outage_minutes > 0 for f in walked)
            assert_same(rolled, walked)


async def test_a_late_outage_and_exclusions_marked_and_withdrawn_over_rolled_days(sessions: Factory) -> None:
    ports = await plant(sessions, 5)
    (port,) = await charger(sessions, "ROLL-LATE", ports=1, location_id=ports[0].location_id)
    await roll(sessions, NOW)
    periods = report_periods()[:3]
    (network_before,) = [f for f in (await both(sessions, periods, "network"))[0] if f.period == 1]

    # a charger's status arrives late: a fault since 8 days ago, told now
    late = NOW - timedelta(days=8, hours=4)
    async with sessions() as session, session.begin():
        changed = await record(
            session,
            [
                PortState(
                    port.evse_id,
                    port.station_id,
                    port.location_id,
                    "OUTOFORDER",
                    "Faulted",
                    "GroundFailure",
                    "live",
                    late,
                    True,
                    NOW,
                    None,
                    None,
                    None,
                    None,
                )
            ],
            NOW,
        )
    assert changed == 1
    for level in LEVELS:
        assert_same(*await both(sessions, periods, level))
    (network_after,) = [f for f in (await both(sessions, periods, "network"))[0] if f.period == 1]
    assert network_after.outage_minutes > network_before.outage_minutes  # the late fault counts

    # an operator excludes the whole location for a week of rolled days, then withdraws it
    async with sessions() as session:
        user = User(id=uuid.uuid4(), email="ops@example.com", name="Ops", role="admin")
        session.add(user)
        await session.commit()
        marked = await exclusions.create(
            session,
            EVERYTHING,
            NewExclusion(
                target=ExclusionTarget(location_id=port.location_id),
                start=NOW - timedelta(days=15, hours=1),
                end=NOW - timedelta(days=7),
                category="grid_outage",
                reason="Utility outage",
            ),
            user.id,
        )
    for level in LEVELS:
        assert_same(*await both(sessions, periods, level))
    (excluded,) = [f for f in (await both(sessions, periods, "network"))[0] if f.period == 1]
    assert excluded.excluded_minutes > network_after.excluded_minutes
    async with sessions() as session:
        await exclusions.withdraw(session, EVERYTHING, marked.id, "wrong week", user.id)
    for level in LEVELS:
        assert_same(*await both(sessions, periods, level))
    (withdrawn,) = [f for f in (await both(sessions, periods, "network"))[0] if f.period == 1]
    assert withdrawn.excluded_minutes == pytest.approx(network_after.excluded_minutes, abs=1e-3)


async def test_days_roll_on_as_time_passes(sessions: Factory) -> None:
    """A day is rolled up once it is more than a day behind; an outage still open counts whole days as it goes."""
    (port,) = await charger(sessions, "ROLL-9", ports=1)
    await outage(sessions, port, NOW - timedelta(days=6, hours=6), None, "offline")
    earlier = NOW - timedelta(days=3)
    await roll(sessions, earlier)
    async with sessions() as session:
        assert await rolled_until(session) == roll_target(earlier)
    await roll(sessions, NOW)
    async with sessions() as session:
        assert await rolled_until(session) == roll_target(NOW)
        days = (await session.execute(select(PortUptimeDay.outage_seconds).order_by(PortUptimeDay.day))).scalars()
        first_day = (NOW - timedelta(days=6, hours=6)).date()
        assert list(days)[1:] == [86_400.0] * ((roll_target(NOW) - first_day).days - 1)
    period = Period(NOW - timedelta(days=10), NOW)
    assert_same(*await both(sessions, [period], "port"))


async def test_rebuild_rolls_every_day_again_from_the_log(sessions: Factory) -> None:
    """`voltway metrics rebuild` rolls again what was edited outside the API (here: rows lost)."""
    await plant(sessions, 7)
    await roll(sessions, NOW)
    async with sessions() as session, session.begin():
        await session.execute(delete(PortUptimeDay))
    lost, walked = await both(sessions, report_periods(), "network")
    assert sum(f.outage_minutes for f in lost) < sum(f.outage_minutes for f in walked)
    async with sessions() as session, session.begin():
        assert await rebuild(session, NOW) > 0
    assert_same(*await both(sessions, report_periods(), "network"))
