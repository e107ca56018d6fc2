"""The alerts API as operators use it, on both databases: each operator sees the alerts of their own region only
(another region's alert answers 404, not 403), acknowledges, assigns and resolves with a note, reads the history;
admins change rules; the fatigue report adds up a hand-made history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import User
from api.db.models.operation_alerts import OperationAlert
from api.db.types import utc_now
from api.domain.operations.conditions import ConditionReport
from api.security.passwords import PasswordHashing
from tests.integration.alerts_network import Network, build_network
from tests.integration.conftest import ClientFactory

Client = AsyncTestClient[Litestar]
PASSWORD = "an operator password 123"


async def _signed_in(client: Client, email: str) -> dict[str, str]:
    answer = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


async def _network(sessions: async_sessionmaker[AsyncSession]) -> Network:
    """The test network, built around the real now (the app's own clock), with passwords its people sign in with."""
    network = await build_network(sessions, start=utc_now() - timedelta(minutes=30))
    hashed = await PasswordHashing(time_cost=1, memory_kib=64).hash(PASSWORD)
    async with sessions() as session:
        await session.execute(update(User).values(password_hash=hashed, email_verified_at=utc_now()))
        await session.commit()
    return network


async def _fault(network: Network, charger: str) -> str:
    await network.engine.report(
        ConditionReport("connector_faulted", charger, 1, True, network.clock.now, {"errorCode": "GroundFailure"})
    )
    await network.engine.settle()
    (alert,) = await network.alerts(OperationAlert.charger_id == charger)
    return str(alert.id)


async def test_operators_see_and_handle_the_alerts_of_their_own_sites(
    client_factory: ClientFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = await client_factory()
    network = await _network(sessions)
    north, south = await _fault(network, "N-1"), await _fault(network, "S-1")
    olga, ada = await _signed_in(client, "olga@example.com"), await _signed_in(client, "ada@example.com")

    listed = (await client.get("/v1/admin/alerts", headers=olga)).json()
    assert [a["chargerId"] for a in listed["items"]] == ["N-1"]
    assert listed["total"] == 1
    assert listed["items"][0]["detail"] == {"errorCode": "GroundFailure"}
    assert (await client.get(f"/v1/admin/alerts/{south}", headers=olga)).status_code == 404
    assert (await client.post(f"/v1/admin/alerts/{south}/acknowledge", headers=olga)).status_code == 404
    everything = (await client.get("/v1/admin/alerts?severity=major", headers=ada)).json()
    assert sorted(a["chargerId"] for a in everything["items"]) == ["N-1", "S-1"]
    region = network.regions["South"]
    assert [
        a["chargerId"] for a in (await client.get(f"/v1/admin/alerts?region={region}", headers=ada)).json()["items"]
    ] == ["S-1"]

    acknowledged = await client.post(f"/v1/admin/alerts/{north}/acknowledge", headers=olga)
    assert acknowledged.status_code == 200, acknowledged.text
    assert acknowledged.json()["alert"]["state"] == "acknowledged"
    assigned = await client.post(
        f"/v1/admin/alerts/{north}/assign", json={"assigneeId": str(network.users["olga"])}, headers=ada
    )
    assert assigned.json()["alert"]["assigneeName"] == "Olga"
    driver = await client.post(
        "/v1/auth/register", json={"email": "dana@example.com", "password": PASSWORD, "name": "Dana"}
    )
    refused = await client.post(
        f"/v1/admin/alerts/{north}/assign", json={"assigneeId": driver.json()["id"]}, headers=ada
    )
    assert refused.status_code == 422
    assert "operator or an admin" in refused.json()["detail"]
    assert refused.headers["content-type"].startswith("application/problem+json")
    resolved = await client.post(f"/v1/admin/alerts/{north}/resolve", json={"note": "Replaced the RCD"}, headers=olga)
    body = resolved.json()
    assert body["alert"]["state"] == "resolved"
    assert body["alert"]["autoResolved"] is False
    assert body["resolutionNote"] == "Replaced the RCD"
    assert [e["kind"] for e in body["history"]] == [
        "opened",
        "notified",
        "acknowledged",
        "assigned",
        "resolved",
        "notified",
    ]
    assert body["history"][2]["actor"] == "Olga"
    again = await client.post(f"/v1/admin/alerts/{north}/resolve", json={}, headers=olga)
    assert again.status_code == 409
    assert (await client.get("/v1/admin/alerts", headers=olga)).json()["items"] == []
    closed = (await client.get("/v1/admin/alerts?state=resolved", headers=olga)).json()["items"]
    assert [a["id"] for a in closed] == [north]
    assert (await client.get("/v1/admin/alerts?state=gone", headers=olga)).status_code == 422


async def test_admins_tune_rules_and_operators_read_them(
    client_factory: ClientFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = await client_factory()
    await _network(sessions)
    olga, ada = await _signed_in(client, "olga@example.com"), await _signed_in(client, "ada@example.com")
    rules = {r["name"]: r for r in (await client.get("/v1/admin/alert-rules", headers=olga)).json()}
    assert rules["charger_offline"]["params"]["minutes"] == 10
    assert rules["charger_offline"]["escalateAfterMinutes"] == 60
    change = {"params": {"minutes": 15}, "raiseAfterSeconds": 60, "severity": "critical"}
    assert (await client.put("/v1/admin/alert-rules/charger_offline", json=change, headers=olga)).status_code == 403
    changed = await client.put("/v1/admin/alert-rules/charger_offline", json=change, headers=ada)
    assert changed.status_code == 200, changed.text
    assert changed.json()["params"]["minutes"] == 15
    assert changed.json()["severity"] == "critical"
    assert changed.json()["escalateAfterMinutes"] == 15
    rules = {r["name"]: r for r in (await client.get("/v1/admin/alert-rules", headers=olga)).json()}
    assert rules["charger_offline"]["raiseAfterSeconds"] == 60
    wrong = await client.put("/v1/admin/alert-rules/charger_offline", json={"params": {"hours": 1}}, headers=ada)
    assert wrong.status_code == 422
    assert "minutes" in wrong.json()["detail"]
    assert (await client.put("/v1/admin/alert-rules/nope", json={}, headers=ada)).status_code == 404


def _alert(rule: str, severity: str, charger: str, opened: datetime, **fields: Any) -> OperationAlert:
    return OperationAlert(
        id=uuid.uuid4(),
        rule=rule,
        severity=severity,
        title=rule,
        charger_id=charger,
        state="resolved",
        detail={},
        occurrences=1,
        condition_active=False,
        first_seen_at=opened,
        last_seen_at=opened,
        opened_at=opened,
        updated_at=opened,
        **{"auto_resolved": False, **fields},
    )


async def test_the_fatigue_report_adds_up_a_hand_made_history(
    client_factory: ClientFactory, sessions: async_sessionmaker[AsyncSession]
) -> None:
    client = await client_factory()
    network = await _network(sessions)
    start = datetime(2026, 11, 2, tzinfo=UTC)  # two weeks, Monday 2 to Monday 16 November
    minute = timedelta(minutes=1)
    rows = [
        # offline: 4 alerts on 2 chargers; acknowledged after 2, 4 and 10 minutes; one flapped away in 3 minutes
        _alert("charger_offline", "major", "N-1", start, acknowledged_at=start + 2 * minute),
        _alert(
            "charger_offline",
            "major",
            "N-1",
            start + timedelta(days=1),
            acknowledged_at=start + timedelta(days=1) + 4 * minute,
        ),
        _alert(
            "charger_offline",
            "major",
            "S-1",
            start + timedelta(days=2),
            acknowledged_at=start + timedelta(days=2) + 10 * minute,
        ),
        _alert(
            "charger_offline",
            "major",
            "S-1",
            start + timedelta(days=3),
            auto_resolved=True,
            resolved_at=start + timedelta(days=3) + 3 * minute,
        ),
        # derating: one alert that cleared by itself, but after 30 minutes
        _alert(
            "derating",
            "minor",
            "N-1",
            start + timedelta(days=5),
            auto_resolved=True,
            resolved_at=start + timedelta(days=5) + 30 * minute,
        ),
        # outside the period
        _alert("derating", "minor", "N-1", start + timedelta(days=20)),
    ]
    for row, charger in zip(rows, ["N-1", "N-1", "S-1", "S-1", "N-1", "N-1"], strict=True):
        row.location_id = network.locations[charger]
    async with sessions() as session:
        session.add_all(rows)
        await session.commit()
    ada, sam = await _signed_in(client, "ada@example.com"), await _signed_in(client, "sam@example.com")
    period = {"from": start.isoformat(), "to": (start + timedelta(weeks=2)).isoformat()}

    report = (await client.get("/v1/admin/alerts/fatigue", params=period, headers=ada)).json()
    assert report["weeks"] == 2
    offline, derating = report["rules"]
    assert offline == {
        "rule": "charger_offline",
        "alerts": 4,
        "chargers": 2,
        "alertsPerChargerPerWeek": 1.0,
        "acknowledged": 3,
        "medianMinutesToAcknowledge": 4.0,
        "p90MinutesToAcknowledge": 8.8,
        "autoResolvedWithin5Minutes": 0.25,
        "bySeverity": {"critical": 0, "major": 4, "minor": 0, "info": 0},
    }
    assert derating["alerts"] == 1
    assert derating["autoResolvedWithin5Minutes"] == 0.0
    assert report["overall"]["alerts"] == 5
    assert report["overall"]["autoResolvedWithin5Minutes"] == 0.2
    # Sam sees South only: the two offline alerts of S-1
    theirs = (await client.get("/v1/admin/alerts/fatigue", params=period, headers=sam)).json()
    assert [(r["rule"], r["alerts"]) for r in theirs["rules"]] == [("charger_offline", 2)]
    backwards = {"from": period["to"], "to": period["from"]}
    assert (await client.get("/v1/admin/alerts/fatigue", params=backwards, headers=ada)).status_code == 422


async def test_the_detectors_report_to_the_alert_engine_and_follow_its_rules(client_factory: ClientFactory) -> None:
    state = (await client_factory()).app.state
    for detector in (state.performance, state.fleet_patterns):
        assert detector.sink is state.alert_engine
        assert detector.rules is state.alert_rules
