"""The uptime API as an operator uses it, on SQLite and PostgreSQL: the report with the 97 % and 98 % lines, an
exclusion marked and withdrawn (audited, never deleted), the outage log with causes, the NEVI months, CSV and the
chart. Times are relative to now."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, Evse, UptimeExclusion
from api.domain.drivers.commands import add_user
from tests.integration.uptime_support import Port, charger, outage
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"
NOW = datetime.now(UTC).replace(microsecond=0)
DAY_START = NOW - timedelta(days=2)  # the report's day: 1,440 minutes, all in the past
DAY = {"from": DAY_START.isoformat(), "to": (DAY_START + timedelta(days=1)).isoformat()}


async def sign_in(client: Client, database_url: str, email: str, role: Any) -> dict[str, str]:
    await add_user(make_settings(database_url=database_url), email=email, password=PASSWORD, role=role, name="Ops")
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def network(database_url: str) -> tuple[Any, Any, Any]:
    """CP-A (two ports) out for 72 minutes on its first port that day; CP-B (one port) never out."""
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        first, second = await charger(factory, "CP-A")
        (other,) = await charger(factory, "CP-B", ports=1)
        await outage(
            factory,
            first,
            DAY_START + timedelta(hours=3),
            DAY_START + timedelta(hours=4, minutes=12),
            "fault",
            "GroundFailure",
        )
        return first, second, other
    finally:
        await engine.dispose()


async def charger_ports(session: Any, ocpp_id: str) -> list[Any]:
    rows = await session.execute(
        select(Evse.id, Evse.charging_station_id, Evse.location_id)
        .join(ChargingStation, ChargingStation.id == Evse.charging_station_id)
        .where(ChargingStation.ocpp_id == ocpp_id)
    )
    return [Port(*row) for row in rows]


async def outage_for(database_url: str, port: Port) -> None:
    """The South's charger out for an hour that day too."""
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        await outage(factory, port, DAY_START + timedelta(hours=6), DAY_START + timedelta(hours=7), "offline")
    finally:
        await engine.dispose()


async def test_report_exclusion_and_withdrawal(client: Client, database_url: str) -> None:
    admin = await sign_in(client, database_url, "ops@example.com", "admin")
    first, second, _ = await network(database_url)

    answer = await client.get("/v1/admin/uptime", params={**DAY, "level": "port"}, headers=admin)
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert (report["neviThreshold"], report["industryThreshold"]) == (97.0, 98.0)
    worst = report["items"][0]
    # (1,440 - 72) / 1,440 x 100 = 95 %: under both lines
    assert (worst["id"], worst["uptimePercent"], worst["outageMinutes"]) == (str(first.evse_id), 95.0, 72.0)
    assert worst["belowNevi"]
    assert worst["belowIndustry"]
    assert worst["chargerId"] == "CP-A"
    assert report["belowNevi"] == 1
    assert report["network"]["uptimePercent"] == round((95 + 100 + 100) / 3, 4)

    chargers = (await client.get("/v1/admin/uptime", params={**DAY, "level": "charger"}, headers=admin)).json()
    assert [(i["name"], i["uptimePercent"], i["ports"]) for i in chargers["items"]] == [
        ("CP-A", 97.5, 2),
        ("CP-B", 100.0, 1),
    ]

    # a grid outage covering the first 36 minutes of the fault, and a little before it
    mark = {
        "target": {"chargerId": "CP-A"},
        "from": (DAY_START + timedelta(hours=2, minutes=50)).isoformat(),
        "to": (DAY_START + timedelta(hours=3, minutes=36)).isoformat(),
        "category": "grid_outage",
        "reason": "Utility feeder trip, ticket UT-4411",
    }
    created = await client.post("/v1/admin/outages/exclusions", json=mark, headers=admin)
    assert created.status_code == 201, created.text
    exclusion = created.json()
    assert (exclusion["target"], exclusion["createdBy"], exclusion["withdrawnAt"]) == (
        "charger",
        "ops@example.com",
        None,
    )
    ports = (await client.get("/v1/admin/uptime", params={**DAY, "level": "port"}, headers=admin)).json()
    port = next(i for i in ports["items"] if i["id"] == str(first.evse_id))
    # (1,440 - (72 - 36)) / 1,440 x 100 = 97.5 %: over the NEVI line, under the industry one
    assert (port["uptimePercent"], port["excludedMinutes"], port["belowNevi"], port["belowIndustry"]) == (
        97.5,
        36.0,
        False,
        True,
    )

    log = (await client.get("/v1/admin/outages", params=DAY, headers=admin)).json()
    assert log["total"] == 1
    (entry,) = log["items"]
    assert (entry["cause"], entry["errorCode"], entry["minutes"], entry["excludedBy"]) == (
        "fault",
        "GroundFailure",
        72.0,
        ["grid_outage"],
    )

    path = f"/v1/admin/outages/exclusions/{exclusion['id']}"
    withdrawn = await client.request("DELETE", path, json={"reason": "Wrong feeder: not ours"}, headers=admin)
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["withdrawalReason"] == "Wrong feeder: not ours"
    assert withdrawn.json()["withdrawnBy"] == "ops@example.com"
    again = await client.request("DELETE", path, json={"reason": "twice"}, headers=admin)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    ports = (await client.get("/v1/admin/uptime", params={**DAY, "level": "port"}, headers=admin)).json()
    assert ports["items"][0]["uptimePercent"] == 95.0  # the withdrawn exclusion counts no more
    listed = (await client.get("/v1/admin/outages/exclusions", headers=admin)).json()["items"]
    assert [item["withdrawnAt"] is not None for item in listed] == [True]  # kept for the audit
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            assert (await session.execute(select(func.count()).select_from(UptimeExclusion))).scalar_one() == 1
    finally:
        await engine.dispose()
    del second


async def test_bad_input_answers_problem_details(client: Client, database_url: str) -> None:
    admin = await sign_in(client, database_url, "ops@example.com", "admin")
    await network(database_url)
    base = {
        "from": NOW.isoformat(),
        "to": (NOW + timedelta(hours=1)).isoformat(),
        "category": "vandalism",
        "reason": "Cable cut",
    }
    two = await client.post(
        "/v1/admin/outages/exclusions",
        json={**base, "target": {"chargerId": "CP-A", "locationId": None, "portId": None}},
        headers=admin,
    )
    assert two.status_code == 201  # nulls are "not given"
    both = {**base, "target": {"chargerId": "CP-A", "portId": "7b0e6c1e-52c5-4a8e-8a4f-5a8d3c1f1a11"}}
    answer = await client.post("/v1/admin/outages/exclusions", json=both, headers=admin)
    assert answer.status_code == 422
    assert "exactly one" in answer.text
    backwards = {**base, "target": {"chargerId": "CP-A"}, "to": (NOW - timedelta(hours=1)).isoformat()}
    assert (await client.post("/v1/admin/outages/exclusions", json=backwards, headers=admin)).status_code == 422
    unknown = {**base, "target": {"chargerId": "CP-NOPE"}}
    assert (await client.post("/v1/admin/outages/exclusions", json=unknown, headers=admin)).status_code == 404
    category = {**base, "target": {"chargerId": "CP-A"}, "category": "we_felt_like_it"}
    assert (await client.post("/v1/admin/outages/exclusions", json=category, headers=admin)).status_code == 422
    empty = {**base, "target": {"chargerId": "CP-A"}, "reason": ""}
    assert (await client.post("/v1/admin/outages/exclusions", json=empty, headers=admin)).status_code == 422
    future = await client.get(
        "/v1/admin/uptime",
        params={"from": (NOW + timedelta(days=1)).isoformat(), "to": (NOW + timedelta(days=2)).isoformat()},
        headers=admin,
    )
    assert future.status_code == 422
    assert "past" in future.text
    month = await client.get("/v1/admin/uptime/nevi", params={"month": "2026-13"}, headers=admin)
    assert month.status_code == 422
    assert "month" in month.text
    level = await client.get("/v1/admin/uptime", params={"level": "galaxy"}, headers=admin)
    assert level.status_code == 422
    assert "level" in level.text
    driver = await sign_in(client, database_url, "dana@example.com", "driver")
    assert (await client.get("/v1/admin/uptime", headers=driver)).status_code == 403
    assert (await client.get("/v1/admin/outages")).status_code == 401


async def test_nevi_months_csv_and_chart(client: Client, database_url: str) -> None:
    admin = await sign_in(client, database_url, "ops@example.com", "admin")
    await network(database_url)
    this_month = f"{NOW:%Y-%m}"
    nevi = (await client.get("/v1/admin/uptime/nevi", params={"month": this_month}, headers=admin)).json()
    assert len(nevi["months"]) == 12
    assert nevi["months"][-1]["month"] == this_month
    assert nevi["months"][0]["month"] < nevi["months"][-1]["month"]
    outage_month = f"{DAY_START:%Y-%m}"
    assert any(m["month"] == outage_month and m["outageMinutes"] == 72.0 for m in nevi["months"])
    assert nevi["trailingTwelveMonths"]["outageMinutes"] == 72.0
    assert nevi["portsBelowNevi"] == []  # 72 minutes in a year is far above 97 %

    exported = await client.get("/v1/admin/uptime/export.csv", params={**DAY, "level": "charger"}, headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["level"], r["name"], r["uptime_percent"], r["below_97"], r["below_98"]) for r in rows] == [
        ("charger", "CP-A", "97.5000", "no", "yes"),
        ("charger", "CP-B", "100.0000", "no", "no"),
        ("network", "Network", "98.3333", "no", "no"),
    ]
    chart = await client.get("/v1/admin/uptime/chart.svg", params={**DAY, "level": "charger"}, headers=admin)
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert "97 % NEVI" in chart.text
    assert "98 % industry" in chart.text
    assert "CP-A" in chart.text
    months_chart = await client.get("/v1/admin/uptime/nevi/chart.svg", headers=admin)
    assert months_chart.status_code == 200
    assert "Twelve months" in months_chart.text


async def test_an_operator_sees_only_their_sites(client: Client, database_url: str) -> None:
    """CP-A's site is in the North, which the operator looks after; CP-B's is in the South. The operator's report,
    log, exclusions and charts hold the North only; the South's charger, location and exclusion are not there for
    them (404), while the admin sees both."""
    admin = await sign_in(client, database_url, "ops@example.com", "admin")
    operator = await sign_in(client, database_url, "north@example.com", "operator")
    first, _, other = await network(database_url)
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            (south_outage,) = await charger_ports(session, "CP-B")
    finally:
        await engine.dispose()
    north = (await client.post("/v1/admin/regions", json={"name": "North"}, headers=admin)).json()
    south = (await client.post("/v1/admin/regions", json={"name": "South"}, headers=admin)).json()
    for site, region in ((first.location_id, north), (other.location_id, south)):
        placed = await client.put(
            f"/v1/admin/locations/{site}/organisation", json={"regionId": region["id"]}, headers=admin
        )
        assert placed.status_code == 200, placed.text
    me = (await client.get("/v1/me", headers=operator)).json()
    granted = await client.put(
        f"/v1/admin/operators/{me['id']}/scope", json={"regionIds": [north["id"]]}, headers=admin
    )
    assert granted.status_code == 200, granted.text
    await outage_for(database_url, south_outage)

    mine = (await client.get("/v1/admin/uptime", params={**DAY, "level": "charger"}, headers=operator)).json()
    assert [item["name"] for item in mine["items"]] == ["CP-A"]
    everything = (await client.get("/v1/admin/uptime", params={**DAY, "level": "charger"}, headers=admin)).json()
    assert sorted(item["name"] for item in everything["items"]) == ["CP-A", "CP-B"]
    by_region = await client.get(
        "/v1/admin/uptime", params={**DAY, "level": "charger", "region": south["id"]}, headers=admin
    )
    assert [item["name"] for item in by_region.json()["items"]] == ["CP-B"]

    log = (await client.get("/v1/admin/outages", params=DAY, headers=operator)).json()
    assert {item["chargerId"] for item in log["items"]} == {"CP-A"}
    assert (await client.get("/v1/admin/outages", params=DAY, headers=admin)).json()["total"] == 2
    south_only = {"location": str(other.location_id), **DAY}
    assert (await client.get("/v1/admin/uptime", params=south_only, headers=operator)).status_code == 404
    chart = await client.get("/v1/admin/uptime/chart.svg", params={**DAY, "level": "charger"}, headers=operator)
    assert "CP-A" in chart.text
    assert "CP-B" not in chart.text
    exported = await client.get("/v1/admin/uptime/export.csv", params={**DAY, "level": "charger"}, headers=operator)
    assert "CP-B" not in exported.text

    mark = {"from": DAY["from"], "to": DAY["to"], "category": "vandalism", "reason": "Cable cut at night"}
    theirs = await client.post(
        "/v1/admin/outages/exclusions", json={**mark, "target": {"chargerId": "CP-B"}}, headers=operator
    )
    assert theirs.status_code == 404
    port = await client.post(
        "/v1/admin/outages/exclusions", json={**mark, "target": {"portId": str(other.evse_id)}}, headers=operator
    )
    assert port.status_code == 404
    south_mark = await client.post(
        "/v1/admin/outages/exclusions", json={**mark, "target": {"chargerId": "CP-B"}}, headers=admin
    )
    assert south_mark.status_code == 201
    path = f"/v1/admin/outages/exclusions/{south_mark.json()['id']}"
    assert (await client.request("DELETE", path, json={"reason": "not mine"}, headers=operator)).status_code == 404
    assert (await client.get("/v1/admin/outages/exclusions", headers=operator)).json()["items"] == []
    own = await client.post(
        "/v1/admin/outages/exclusions", json={**mark, "target": {"chargerId": "CP-A"}}, headers=operator
    )
    assert own.status_code == 201
    assert own.json()["createdBy"] == "north@example.com"
