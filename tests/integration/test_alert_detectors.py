"""The alert detectors against the database: each reports its condition active and then inactive at the moments an
operator would expect, with the thresholds of the rule book, on SQLite and PostgreSQL. Time is a clock the test
moves."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingSession, ChargingStation, Evse
from api.domain.chargers.provisioning import add_charger
from api.domain.operations.conditions import DEFAULT_RULES, StaticRuleBook
from api.domain.operations.detectors.network import NetworkDetectors
from api.domain.operations.detectors.offline import OfflineChargers
from api.domain.operations.detectors.payments import CountedPayments, PaymentFailureRate
from api.domain.operations.detectors.stuck_stopping import StuckStops
from api.domain.payments.none_provider import NonePaymentProvider
from api.domain.payments.ports import Payer, PaymentHold, Refund, Settlement
from tests.condition_sinks import MovingClock, RecordingSink, rules_with

DEFAULTS = StaticRuleBook(DEFAULT_RULES)


async def _charger(sessions: async_sessionmaker[AsyncSession], ocpp_id: str) -> tuple[uuid.UUID, uuid.UUID]:
    """A provisioned charger with one EVSE: (station id, EVSE id)."""
    async with sessions() as session:
        station, _ = await add_charger(
            session, ocpp_id=ocpp_id, password="a-long-enough-secret", country_code="NL", party_id="VWY"
        )
        await session.commit()
        evse_id = (await session.execute(select(Evse.id).where(Evse.charging_station_id == station.id))).scalar_one()
        return station.id, evse_id


async def _set_station(sessions: async_sessionmaker[AsyncSession], station_id: uuid.UUID, **values: object) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(ChargingStation).where(ChargingStation.id == station_id).values(**values))


# ----- charger_offline ------------------------------------------------------------------------------------------


async def test_a_charger_offline_longer_than_the_rule_minutes_is_reported_once_and_cleared_when_back(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = MovingClock()
    gone, _ = await _charger(sessions, "OFF-1")
    await _charger(sessions, "OFF-NEVER-SEEN")  # provisioned, never connected
    pending, _ = await _charger(sessions, "OFF-PENDING")
    online, _ = await _charger(sessions, "OFF-ONLINE")
    await _set_station(sessions, gone, connected=False, last_seen=clock())
    await _set_station(sessions, pending, connected=False, last_seen=clock(), registration_status="pending")
    await _set_station(sessions, online, connected=True, last_seen=clock())
    scanner = OfflineChargers(sessions, DEFAULTS, clock)

    clock.advance(minutes=9)
    assert await scanner.scan() == []  # 9 of the rule's 10 minutes
    clock.advance(minutes=2)
    reports = await scanner.scan()
    assert [(r.charger_id, r.active) for r in reports] == [("OFF-1", True)]
    assert reports[0].detail["offlineMinutesAtLeast"] == "10"
    assert await scanner.scan() == []  # still offline: nothing new to say

    await _set_station(sessions, gone, connected=True, last_seen=clock())
    assert [(r.charger_id, r.active) for r in await scanner.scan()] == [("OFF-1", False)]
    assert await scanner.scan() == []


async def test_two_processes_scanning_one_database_report_each_change_once_each(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Every process scans; the alert engine de-duplicates the second report of the same change."""
    clock = MovingClock()
    station, _ = await _charger(sessions, "OFF-SHARED")
    await _set_station(sessions, station, connected=False, last_seen=clock())
    first, second = OfflineChargers(sessions, DEFAULTS, clock), OfflineChargers(sessions, DEFAULTS, clock)
    clock.advance(minutes=15)
    raised = await first.scan() + await second.scan()
    assert [(r.charger_id, r.active) for r in raised] == [("OFF-SHARED", True), ("OFF-SHARED", True)]
    assert await first.scan() + await second.scan() == []  # still offline: neither says it again
    await _set_station(sessions, station, connected=True, last_seen=clock())
    reports = await first.scan() + await second.scan()
    assert [(r.charger_id, r.active) for r in reports] == [("OFF-SHARED", False), ("OFF-SHARED", False)]


async def test_the_offline_threshold_comes_from_the_rule_book(sessions: async_sessionmaker[AsyncSession]) -> None:
    clock = MovingClock()
    station, _ = await _charger(sessions, "OFF-SLOW")
    await _set_station(sessions, station, connected=False, last_seen=clock())
    scanner = OfflineChargers(sessions, rules_with("charger_offline", minutes=30), clock)
    clock.advance(minutes=20)
    assert await scanner.scan() == []
    clock.advance(minutes=11)
    assert [(r.charger_id, r.active) for r in await scanner.scan()] == [("OFF-SLOW", True)]


# ----- session_stuck_stopping -------------------------------------------------------------------------------------


async def _session(
    sessions: async_sessionmaker[AsyncSession],
    station_id: uuid.UUID,
    evse_id: uuid.UUID,
    *,
    status: str,
    created_minutes_ago: float = 0,
    clock: MovingClock | None = None,
    remote_start: bool = True,
    **values: object,
) -> uuid.UUID:
    now = (clock or MovingClock())()
    async with sessions() as session, session.begin():
        location_id = (await session.execute(select(Evse.location_id).where(Evse.id == evse_id))).scalar_one()
        record = ChargingSession(
            location_id=location_id,
            evse_id=evse_id,
            charging_station_id=station_id,
            connector_id=1,
            id_token=uuid.uuid4().hex[:20],
            status=status,
            remote_start_id=7 if remote_start else None,
            created_at=now - timedelta(minutes=created_minutes_ago),
            updated_at=now,
            **values,
        )
        session.add(record)
    return record.id


async def test_a_session_stuck_in_stopping_is_reported_and_cleared_once_it_completes(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = MovingClock()
    station, evse = await _charger(sessions, "STUCK-1")
    session_id = await _session(sessions, station, evse, status="stopping", stop_requested_at=clock())
    scanner = StuckStops(sessions, DEFAULTS, clock)
    clock.advance(minutes=9)
    assert await scanner.scan() == []
    clock.advance(minutes=2)
    reports = await scanner.scan()
    assert [(r.charger_id, r.connector_id, r.active) for r in reports] == [("STUCK-1", 1, True)]
    assert reports[0].detail["sessionId"] == str(session_id)
    assert await scanner.scan() == []

    async with sessions() as session, session.begin():
        await session.execute(
            update(ChargingSession).where(ChargingSession.id == session_id).values(status="completed")
        )
    assert [(r.charger_id, r.active) for r in await scanner.scan()] == [("STUCK-1", False)]
    assert await scanner.scan() == []


async def test_a_stuck_stop_that_recovered_while_another_process_watched_still_clears(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A scanner that never raised the alert (another process did, or this one restarted) clears it from the table."""
    clock = MovingClock()
    station, evse = await _charger(sessions, "STUCK-2")
    requested = clock() - timedelta(minutes=25)
    await _session(sessions, station, evse, status="completed", stop_requested_at=requested)
    quick, quick_evse = await _charger(sessions, "STUCK-QUICK")
    await _session(sessions, quick, quick_evse, status="completed", stop_requested_at=clock() - timedelta(minutes=1))
    reports = await StuckStops(sessions, DEFAULTS, clock).scan()
    assert [(r.charger_id, r.active) for r in reports] == [("STUCK-2", False)]  # the quick stop was never stuck


# ----- failed_starts -----------------------------------------------------------------------------------------------


async def test_three_failed_starts_in_a_row_raise_and_a_successful_start_clears(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = MovingClock()
    sink = RecordingSink()
    detectors = NetworkDetectors(sessions, sink=sink, rules=DEFAULTS, clock=clock)
    station, evse = await _charger(sessions, "START-1")
    await _session(sessions, station, evse, status="completed", created_minutes_ago=60)
    for n in range(2):
        await _session(sessions, station, evse, status="failed", created_minutes_ago=30 - n)
        detectors.failed_starts.start_settled(station, succeeded=False, reason="The charger refused to start.")
        await detectors.drain()
    assert sink.of("failed_starts") == []  # two in a row, and 2 of 3 attempts is below the rate test's minimum
    await _session(sessions, station, evse, status="failed", created_minutes_ago=10)
    detectors.failed_starts.start_settled(station, succeeded=False, reason="The charger refused to start.")
    await detectors.drain()
    assert sink.of("failed_starts") == [("START-1", None, True)]
    assert sink.last("failed_starts").detail["failuresInARow"] == "3"
    assert sink.last("failed_starts").detail["lastFailure"] == "The charger refused to start."

    await _session(sessions, station, evse, status="charging", created_minutes_ago=1)
    detectors.failed_starts.start_settled(station, succeeded=True)
    await detectors.drain()
    assert sink.of("failed_starts") == [("START-1", None, True), ("START-1", None, False)]
    await _session(sessions, station, evse, status="failed", created_minutes_ago=0)
    detectors.failed_starts.start_settled(station, succeeded=False)
    await detectors.drain()
    assert len(sink.of("failed_starts")) == 2  # one failure after a success is not three in a row
    await detectors.stop()


async def test_a_failure_rate_above_the_chargers_own_baseline_raises(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """1 in 10 starts failed over the past weeks; 2 of the last 5 fail (not in a row): 0.4 > 2 x 0.1."""
    clock = MovingClock()
    sink = RecordingSink()
    detectors = NetworkDetectors(sessions, sink=sink, rules=DEFAULTS, clock=clock)
    station, evse = await _charger(sessions, "START-RATE")
    steady, steady_evse = await _charger(sessions, "START-STEADY")
    for day in range(10):
        for where, place in ((station, evse), (steady, steady_evse)):
            status = "failed" if day == 3 else "completed"
            await _session(sessions, where, place, status=status, created_minutes_ago=(day + 2) * 24 * 60)
    for n, status in enumerate(["completed", "failed", "completed", "completed", "failed"]):
        await _session(sessions, station, evse, status=status, created_minutes_ago=300 - n * 60)
    # the steady charger fails 1 of its last 5 as well: 0.2 is not above 2 x 0.1
    for n, status in enumerate(["completed", "completed", "completed", "completed", "failed"]):
        await _session(sessions, steady, steady_evse, status=status, created_minutes_ago=300 - n * 60)
    detectors.failed_starts.start_settled(station, succeeded=False)
    detectors.failed_starts.start_settled(steady, succeeded=False)
    await detectors.drain()
    assert sink.of("failed_starts") == [("START-RATE", None, True)]
    detail = sink.last("failed_starts").detail
    assert (detail["windowFailures"], detail["windowFailureRate"], detail["baselineFailureRate"]) == (
        "2 of 5",
        "0.40",
        "0.10",
    )
    await detectors.stop()


async def test_a_start_refused_before_the_charger_was_asked_is_no_failed_start(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = MovingClock()
    sink = RecordingSink()
    detectors = NetworkDetectors(sessions, sink=sink, rules=rules_with("failed_starts", in_a_row=1), clock=clock)
    station, evse = await _charger(sessions, "START-CARD")
    await _session(sessions, station, evse, status="failed", remote_start=False)  # a declined card
    detectors.failed_starts.start_settled(station, succeeded=False)
    await detectors.drain()
    assert sink.of("failed_starts") == []
    await _session(sessions, station, evse, status="failed", created_minutes_ago=-1)
    detectors.failed_starts.start_settled(station, succeeded=False)
    await detectors.drain()
    assert sink.of("failed_starts") == [("START-CARD", None, True)]  # in_a_row=1 from the rule book
    await detectors.stop()


# ----- payment_failures --------------------------------------------------------------------------------------------


class ScriptedPayments(NonePaymentProvider):
    """Our own payment port, holding money or declining as the test says (no provider behind it)."""

    def __init__(self) -> None:
        self.decline = False

    async def authorize(
        self, payer: Payer, *, amount_minor: int, currency: str, idempotency_key: str, description: str
    ) -> PaymentHold:
        if self.decline:
            return PaymentHold(status="declined", currency=currency, decline_code="insufficient_funds")
        return PaymentHold(status="authorized", reference=f"pi_{idempotency_key}", amount_minor=amount_minor)

    async def settle(
        self, payer: Payer, hold: PaymentHold, *, amount_minor: int, idempotency_key: str, description: str
    ) -> Settlement:
        return Settlement(captured_minor=amount_minor)

    async def refund(
        self, payment_reference: str | None, *, amount_minor: int, currency: str, idempotency_key: str, reason: str
    ) -> Refund:
        return Refund(status="recorded", amount_minor=amount_minor)


async def _pay(payments: CountedPayments, n: int) -> None:
    await payments.authorize(Payer(), amount_minor=5000, currency="EUR", idempotency_key=f"k{n}", description="test")


async def test_the_payment_failure_rate_raises_above_the_rule_rate_and_clears_when_failures_age_out(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    clock = MovingClock()
    rate = PaymentFailureRate(sessions, DEFAULTS, clock)
    provider = ScriptedPayments()
    woken: list[int] = []
    payments = CountedPayments(provider, rate, on_failure=lambda: woken.append(1))
    for n in range(8):
        await _pay(payments, n)
    provider.decline = True
    await _pay(payments, 8)
    first = await rate.check()
    assert [(r.charger_id, r.active) for r in first] == [(None, False)]  # 1 of 9: too few attempts, and low
    await _pay(payments, 9)
    await _pay(payments, 10)
    assert len(woken) == 3  # every failure has the rate checked at once
    raised = await rate.check()
    assert [(r.charger_id, r.active) for r in raised] == [(None, True)]  # 3 of 11 = 0.27 > 0.2
    assert (raised[0].detail["failures"], raised[0].detail["attempts"]) == ("3", "11")
    assert await rate.check() == []
    # a free session's hold is no attempt
    await payments.authorize(Payer(), amount_minor=0, currency="EUR", idempotency_key="free", description="free")

    clock.advance(minutes=61)  # everything is older than the rule's hour now
    provider.decline = False
    for n in range(11, 21):
        await _pay(payments, n)
    cleared = await rate.check()
    assert [(r.charger_id, r.active) for r in cleared] == [(None, False)]
    assert cleared[0].detail["failures"] == "0"
