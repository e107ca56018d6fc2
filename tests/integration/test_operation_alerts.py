"""The alert engine on both databases, its time driven by a clock the test moves: alerts fire and de-duplicate, wait
out their raise time, survive a flap within the clear time, resolve themselves, escalate when nobody acknowledges
them, hold a major notice (not a critical one) through the quiet hours, collect minor alerts into the next business
day's digest, and open one support ticket per charger problem for rules that stop drivers charging."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import SupportTicket
from api.db.models.operation_alerts import OperationAlert, OperationAlertEvent
from api.domain.operations.alerts.notices import DIGEST, ESCALATED, OPENED, RESOLVED
from api.domain.operations.alerts.rulebook import RuleChange
from api.domain.operations.alerts.timing import parse_timing
from api.domain.operations.conditions import ConditionReport
from tests.integration.alerts_network import ESCALATION_EMAIL, FRIDAY, build_engine, build_network, minutes


async def _events(network_sessions: async_sessionmaker[AsyncSession], alert: OperationAlert) -> list[str]:
    async with network_sessions() as session:
        rows = await session.execute(
            select(OperationAlertEvent.kind)
            .where(OperationAlertEvent.alert_id == alert.id)
            .order_by(OperationAlertEvent.at, OperationAlertEvent.id)
        )
        return list(rows.scalars())


async def test_a_fault_opens_one_alert_however_often_it_is_reported_and_tells_the_sites_operator(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)
    for n in range(3):
        await network.report("connector_faulted", "N-1", connector=1, at=FRIDAY + minutes(n), errorCode="GroundFailure")

    (alert,) = await network.alerts()
    assert (alert.state, alert.severity, alert.occurrences) == ("open", "major", 3)
    assert alert.detail == {"errorCode": "GroundFailure"}
    assert alert.opened_at == FRIDAY
    assert alert.location_id == network.locations["N-1"]
    assert await _events(sessions, alert) == ["opened", "notified"]
    (webhook,) = await network.deliveries()
    assert webhook.kind == OPENED
    assert webhook.payload["chargerId"] == "N-1"
    assert webhook.payload["detail"] == {"errorCode": "GroundFailure"}
    # the admin and the operator of the North region; not Sam, whose region is South
    assert [m.to_address for m in await network.mails("operations_alert_opened")] == [
        "ada@example.com",
        "olga@example.com",
    ]
    # another connector of the same charger is another problem
    await network.report("connector_faulted", "N-1", connector=2, at=FRIDAY + minutes(4), errorCode="OverVoltage")
    assert len(await network.alerts()) == 2


async def test_each_fleet_fault_pattern_is_its_own_alert(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Fleet patterns name no charger: their subject (model, firmware, error code) tells them apart."""
    network = await build_network(sessions)
    first = "Acme DC50 / firmware 2.1 / GroundFailure"
    second = "Acme DC50 / firmware 2.2 / OverVoltage"
    await network.report("fleet_fault_pattern", None, at=FRIDAY, subject=first, pattern=first, chargers="A-1, A-2, A-3")
    await network.report(
        "fleet_fault_pattern", None, at=FRIDAY + minutes(1), subject=second, pattern=second, chargers="B-1, B-2, B-3"
    )
    await network.report(
        "fleet_fault_pattern", None, at=FRIDAY + minutes(2), subject=first, pattern=first, chargers="A-1, A-2, A-3, A-4"
    )

    alerts = sorted(await network.alerts(), key=lambda a: a.occurrences, reverse=True)
    assert [(a.detail["pattern"], a.occurrences) for a in alerts] == [(first, 2), (second, 1)]
    assert alerts[0].detail["chargers"] == "A-1, A-2, A-3, A-4"


async def test_a_condition_must_hold_for_the_raise_time_before_an_alert_opens(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)
    async with sessions() as session:
        await network.engine.rules.change(
            session, "charger_offline", RuleChange(raise_after_seconds=120), by=None, now=FRIDAY
        )
        await session.commit()
    await network.engine.rules.refresh()

    await network.report("charger_offline", "N-1", at=FRIDAY)
    assert await network.alerts() == []
    assert (await network.scan.scan(FRIDAY + timedelta(seconds=119))).opened == 0
    assert await network.alerts() == []
    assert (await network.scan.scan(FRIDAY + timedelta(seconds=120))).opened == 1
    (alert,) = await network.alerts()
    assert alert.opened_at == FRIDAY + timedelta(seconds=120)
    assert [d.kind for d in await network.deliveries()] == [OPENED]

    # a blip shorter than the raise time never becomes an alert
    await network.report("charger_offline", "S-1", at=FRIDAY + minutes(10))
    await network.report("charger_offline", "S-1", active=False, at=FRIDAY + minutes(11))
    await network.scan.scan(FRIDAY + minutes(20))
    assert [a.charger_id for a in await network.alerts()] == ["N-1"]
    assert await network.count(OperationAlert) == 1


async def test_a_flap_within_the_clear_time_stays_one_alert_which_then_resolves_itself(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)  # clear time: the default 300 s
    seconds = timedelta(seconds=1)
    await network.report("charger_offline", "N-1", at=FRIDAY)
    await network.report("charger_offline", "N-1", active=False, at=FRIDAY + 10 * seconds)
    await network.report("charger_offline", "N-1", at=FRIDAY + 100 * seconds)  # back within 300 s
    await network.report("charger_offline", "N-1", active=False, at=FRIDAY + 200 * seconds)
    assert (await network.scan.scan(FRIDAY + 499 * seconds)).resolved == 0
    (alert,) = await network.alerts()
    assert alert.state == "open"
    assert not alert.condition_active

    assert (await network.scan.scan(FRIDAY + 500 * seconds)).resolved == 1
    (alert,) = await network.alerts()
    assert (alert.state, alert.auto_resolved, alert.live_key) == ("resolved", True, None)
    assert alert.resolved_at == FRIDAY + 500 * seconds
    assert [d.kind for d in await network.deliveries()] == [OPENED, RESOLVED]
    kinds = await _events(sessions, alert)
    assert kinds.count("opened") == 1
    assert kinds.count("resolved") == 1

    # once resolved, the same problem coming back is a new alert
    await network.report("charger_offline", "N-1", at=FRIDAY + 600 * seconds)
    assert [a.state for a in await network.alerts()] == ["resolved", "open"]


async def test_an_alert_nobody_acknowledges_escalates_once(sessions: async_sessionmaker[AsyncSession]) -> None:
    network = await build_network(sessions)
    await network.report("connector_faulted", "N-1", connector=1, at=FRIDAY)  # major: 60 minutes
    await network.report("security_event", "S-1", at=FRIDAY, event="InvalidFirmwareSignature")  # critical: 15
    await network.report("connector_faulted", "S-1", connector=1, at=FRIDAY)
    async with sessions() as session:  # the South fault is acknowledged in time
        alert = (
            await session.execute(
                select(OperationAlert).where(
                    OperationAlert.charger_id == "S-1", OperationAlert.rule == "connector_faulted"
                )
            )
        ).scalar_one()
        alert.state, alert.acknowledged_at = "acknowledged", FRIDAY + minutes(5)
        await session.commit()

    assert (await network.scan.scan(FRIDAY + minutes(14))).escalated == 0
    assert (await network.scan.scan(FRIDAY + minutes(15))).escalated == 1
    assert (await network.scan.scan(FRIDAY + minutes(59))).escalated == 0
    assert (await network.scan.scan(FRIDAY + minutes(60))).escalated == 1
    assert (await network.scan.scan(FRIDAY + minutes(600))).escalated == 0

    escalated = {a.rule + ":" + (a.charger_id or ""): a.escalated_at for a in await network.alerts()}
    assert escalated == {
        "connector_faulted:N-1": FRIDAY + minutes(60),
        "security_event:S-1": FRIDAY + minutes(15),
        "connector_faulted:S-1": None,
    }
    assert len(await network.deliveries(ESCALATED)) == 2
    mails = await network.mails("operations_alert_escalated")
    assert sorted({m.to_address for m in mails}) == ["ada@example.com", ESCALATION_EMAIL]
    assert len(mails) == 4


async def test_quiet_hours_hold_a_major_notice_but_not_a_critical_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    timing = parse_timing("22:00-07:00", "08:00", "Europe/Amsterdam")
    night = FRIDAY.replace(hour=22, minute=30)  # 23:30 in Amsterdam
    network = await build_network(sessions, timing, start=night)
    await network.report("connector_faulted", "N-1", connector=1, at=night)
    await network.report("security_event", "N-1", at=night, event="TamperDetectionActivated")
    assert [d.payload["rule"] for d in await network.deliveries(OPENED)] == ["security_event"]

    morning = night.replace(hour=5, minute=59) + timedelta(days=1)  # 06:59 in Amsterdam
    assert (await network.scan.scan(morning)).notified == 0
    assert (await network.scan.scan(morning + minutes(1))).notified == 1
    assert [d.payload["rule"] for d in await network.deliveries(OPENED)] == ["security_event", "connector_faulted"]
    # the escalation clock of the held major starts when it is told, not during the night
    assert (await network.scan.scan(morning + minutes(59))).escalated == 0
    assert (await network.scan.scan(morning + minutes(61))).escalated == 1


async def test_minor_alerts_wait_for_the_next_business_days_digest(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)  # digest at 08:00 UTC, Monday to Friday
    friday_morning = FRIDAY.replace(hour=8)
    assert (await network.scan.scan(friday_morning)).digested == 0  # Friday's digest: nothing yet
    evening = FRIDAY.replace(hour=18)
    await network.report("derating", "N-1", connector=1, at=evening, measuredKw="20", expectedKw="50")
    await network.report("derating", "S-1", connector=1, at=evening + minutes(5), measuredKw="31", expectedKw="50")
    await network.report("diagnostics_failure", "S-1", at=evening)  # info: listed, never told
    assert await network.deliveries() == []

    for day in (1, 2):  # Saturday and Sunday
        assert (await network.scan.scan(friday_morning + timedelta(days=day, hours=1))).digested == 0
    monday = friday_morning + timedelta(days=3)
    assert (await network.scan.scan(monday - minutes(1))).digested == 0
    assert (await network.scan.scan(monday)).digested == 2
    assert (await network.scan.scan(monday + minutes(30))).digested == 0

    (webhook,) = await network.deliveries()
    assert webhook.kind == DIGEST
    assert [a["chargerId"] for a in webhook.payload["alerts"]] == ["N-1", "S-1"]
    digests = {m.to_address: m for m in await network.mails("operations_alert_digest")}
    assert sorted(digests) == ["ada@example.com", "olga@example.com", "sam@example.com"]
    assert "N-1" in digests["ada@example.com"].body
    assert "S-1" in digests["ada@example.com"].body
    assert "N-1" in digests["olga@example.com"].body
    assert "S-1" not in digests["olga@example.com"].body
    assert "Derating" in digests["sam@example.com"].subject or "1 alert" in digests["sam@example.com"].subject


async def test_a_driver_affecting_rule_opens_one_support_ticket_per_charger_problem(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)
    await network.report("connector_faulted", "N-1", connector=1, at=FRIDAY, errorCode="GroundFailure")
    await network.report("connector_faulted", "N-1", connector=1, at=FRIDAY + minutes(1), errorCode="GroundFailure")
    await network.report("connector_faulted", "N-1", connector=2, at=FRIDAY + minutes(2), errorCode="GroundFailure")
    await network.report("derating", "N-1", connector=1, at=FRIDAY)  # does not stop drivers: no ticket
    await network.engine.settle()  # tickets are opened once the alert committed, never delaying it

    async with sessions() as session:
        tickets = list((await session.execute(select(SupportTicket))).scalars())
    assert len(tickets) == 1
    (ticket,) = tickets
    assert (ticket.dedupe_key, ticket.source, ticket.charger_id) == ("network:N-1:fault", "network", "N-1")
    faults = await network.alerts(OperationAlert.rule == "connector_faulted")
    assert [a.ticket_id for a in faults] == [ticket.id, ticket.id]
    derating = await network.alerts(OperationAlert.rule == "derating")
    assert derating[0].ticket_id is None


async def test_two_processes_reporting_the_same_problem_make_one_alert(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)
    other, _ = build_engine(sessions, network.clock)
    await other.rules.refresh()
    reports = [
        engine.report(ConditionReport("charger_offline", "S-1", None, True, FRIDAY + timedelta(seconds=n), {}))
        for n in range(10)
        for engine in (network.engine, other)
    ]
    await asyncio.gather(*reports)
    await network.engine.settle()
    await other.settle()
    (alert,) = await network.alerts()
    assert alert.occurrences == 20
    assert len(await network.deliveries(OPENED)) == 1
    assert await network.count(SupportTicket) == 1
    await other.stop()


async def test_the_scan_links_the_ticket_of_an_alert_a_stopped_process_left_without_one(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    network = await build_network(sessions)
    await network.report("charger_offline", "S-1", at=FRIDAY)
    async with sessions() as session:  # as if the process stopped between the alert and its ticket
        await session.execute(update(OperationAlert).values(ticket_id=None))
        await session.commit()

    assert (await network.scan.scan(FRIDAY + minutes(1))).ticketed == 1
    assert (await network.scan.scan(FRIDAY + minutes(2))).ticketed == 0
    async with sessions() as session:
        (ticket,) = (await session.execute(select(SupportTicket))).scalars()
    (alert,) = await network.alerts()
    assert alert.ticket_id == ticket.id
    assert ticket.dedupe_key == "network:S-1:offline"
