"""Uptime in the operators' metrics report, on SQLite and PostgreSQL. Outages, an exclusion, a withdrawn one and a
maintenance outage planted around one UTC day give, per charger, per location and overall, what the uptime report
(`GET /v1/admin/uptime`) gives for the same instants; filters and an operator's sites narrow the ports measured; a
period that has not begun has none; the CSV tables carry it and keep imported names from running as formulas.
Every date is relative to now."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.csv_cells import FORMULA_START
from api.db.models import ChargingStation, Location
from api.db.types import utc_now
from tests.integration.test_uptime_api import sign_in
from tests.integration.uptime_support import charger, exclusion, outage

Client = AsyncTestClient[Litestar]
Factory = async_sessionmaker[AsyncSession]
FORMULA = '=HYPERLINK("x")'


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


class Planted:
    """Three chargers at two locations with a day (`day`, UTC) of outages worked out by hand:

    - UPT-A1 (Fast50, two ports at the first site): its first port out 6 h -> 75 %, the other 100 %: 87.5 %;
    - UPT-A2 (AC22, one port, same site): out 2 h, 1 h of it under a grid-outage exclusion -> 95.8333 %;
    - UPT-B1 (Fast50, one port at the second site): out from 2 h before the day to 4 h into it (240 min inside),
      then 1 h of maintenance (excluded by itself) and an exclusion that was withdrawn -> 83.3333 %.

    The first site is (75 + 100 + 95.8333) / 3 = 90.2778 %, the second 83.3333 %, all four ports 88.5417 %.
    """

    def __init__(self, day: date, first_site: uuid.UUID, second_site: uuid.UUID) -> None:
        self.day, self.first_site, self.second_site = day, first_site, second_site
        self.start = midnight(day)
        self.end = self.start + timedelta(days=1)

    @classmethod
    async def on(cls, factory: Factory, day: date) -> Planted:
        start = midnight(day)
        a1 = await charger(factory, "UPT-A1", ports=2)
        (a2,) = await charger(factory, "UPT-A2", ports=1, location_id=a1[0].location_id)
        (b1,) = await charger(factory, "UPT-B1", ports=1)
        async with factory() as session, session.begin():
            for ocpp_id, model in (("UPT-A1", "Fast50"), ("UPT-A2", "AC22"), ("UPT-B1", "Fast50")):
                await session.execute(
                    update(ChargingStation).where(ChargingStation.ocpp_id == ocpp_id).values(model=model)
                )

        def at(hour: int) -> datetime:
            return start + timedelta(hours=hour)

        await outage(factory, a1[0], at(8), at(14), "fault", "GroundFailure")
        await outage(factory, a1[1], at(-10), at(-5), "offline")  # the day before: not counted
        await outage(factory, a1[1], at(26), at(29), "offline")  # the day after: not counted
        await outage(factory, a2, at(1), at(3), "offline")
        await exclusion(factory, at(2), at(4), station_id=a2.station_id, category="grid_outage")
        await outage(factory, b1, at(-2), at(4), "fault")
        await outage(factory, b1, at(10), at(11), "maintenance")
        await exclusion(factory, at(0), at(4), location_id=b1.location_id, withdrawn_at=at(5))
        return cls(day, a1[0].location_id, b1.location_id)

    def metrics_period(self) -> dict[str, str]:
        return {"from": self.day.isoformat(), "to": self.day.isoformat()}

    def uptime_period(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


async def metrics(client: Client, headers: dict[str, str], **params: str) -> dict[str, Any]:
    answer = await client.get("/v1/admin/metrics", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


async def uptime(client: Client, headers: dict[str, str], level: str, **params: str) -> dict[str, Any]:
    answer = await client.get("/v1/admin/uptime", params={**params, "level": level}, headers=headers)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_uptime_per_charger_location_and_overall_is_the_uptime_reports(
    client: Client, sessions: Factory, database_url: str
) -> None:
    planted = await Planted.on(sessions, utc_now().date() - timedelta(days=5))
    admin = await sign_in(client, database_url, "olga@example.com", "admin")

    report = await metrics(client, admin, **planted.metrics_period())
    # the local day's uptime is its UTC day
    assert (instant(report["uptimeFrom"]), instant(report["uptimeTo"])) == (planted.start, planted.end)
    chargers = {row["chargerId"]: row["uptimePercent"] for row in report["chargers"]}
    locations = {row["locationId"]: row["uptimePercent"] for row in report["locations"]}
    # by hand: a port out 6 h of the day and its sibling never -> (75 + 100) / 2
    assert chargers == {"UPT-A1": 87.5, "UPT-A2": 95.8333, "UPT-B1": 83.3333}
    assert locations == {str(planted.first_site): 90.2778, str(planted.second_site): 83.3333}
    totals = report["totals"]
    assert totals["uptimePercent"] == 88.5417
    assert (totals["chargersBelowNevi"], totals["portsBelowNevi"]) == (3, 3)

    # the uptime report for the same instants says the same at every level
    period = planted.uptime_period()
    by_charger = await uptime(client, admin, "charger", **period)
    assert (instant(by_charger["from"]), instant(by_charger["to"])) == (planted.start, planted.end)
    assert {item["chargerId"]: item["uptimePercent"] for item in by_charger["items"]} == chargers
    by_location = await uptime(client, admin, "location", **period)
    assert {item["id"]: item["uptimePercent"] for item in by_location["items"]} == locations
    network = await uptime(client, admin, "network", **period)
    assert network["network"]["uptimePercent"] == totals["uptimePercent"]
    by_port = await uptime(client, admin, "port", **period)
    assert sum(item["belowNevi"] for item in by_port["items"]) == totals["portsBelowNevi"]


async def organise(client: Client, admin: dict[str, str], site: uuid.UUID, region: str, unit: str) -> tuple[str, str]:
    """(region id, business unit id) of a new region and a new business unit, both holding `site`."""
    ids = []
    for kind, name in (("regions", region), ("business-units", unit)):
        group = await client.post(f"/v1/admin/{kind}", json={"name": name}, headers=admin)
        assert group.status_code == 201, group.text
        ids.append(group.json()["id"])
    placed = await client.put(
        f"/v1/admin/locations/{site}/organisation", json={"regionId": ids[0], "businessUnitId": ids[1]}, headers=admin
    )
    assert placed.status_code == 200, placed.text
    return ids[0], ids[1]


async def test_filters_and_an_operators_sites_narrow_the_ports_measured(
    client: Client, sessions: Factory, database_url: str
) -> None:
    planted = await Planted.on(sessions, utc_now().date() - timedelta(days=3))
    admin = await sign_in(client, database_url, "olga@example.com", "admin")
    period = planted.metrics_period()

    async def measured(headers: dict[str, str], **params: str) -> tuple[float | None, list[str]]:
        report = await metrics(client, headers, **period, **params)
        return report["totals"]["uptimePercent"], sorted(row["chargerId"] for row in report["chargers"])

    assert await measured(admin, location=str(planted.second_site)) == (83.3333, ["UPT-B1"])
    one_site = await uptime(client, admin, "network", **planted.uptime_period(), location=str(planted.second_site))
    assert one_site["network"]["uptimePercent"] == 83.3333
    assert await measured(admin, model="AC22") == (95.8333, ["UPT-A2"])
    assert await measured(admin, model="Fast50") == (86.1111, ["UPT-A1", "UPT-B1"])  # (75 + 100 + 83.3333) / 3

    europe, _ = await organise(client, admin, planted.first_site, "Europe", "City")
    america, motorway = await organise(client, admin, planted.second_site, "America", "Motorway")
    assert await measured(admin, region=europe) == (90.2778, ["UPT-A1", "UPT-A2"])
    assert await measured(admin, businessUnit=motorway) == (83.3333, ["UPT-B1"])

    # an operator of one region measures that region's ports only, even when asking for another site
    operator = await sign_in(client, database_url, "otto@example.com", "operator")
    otto = (await client.get("/v1/me", headers=operator)).json()["id"]
    granted = await client.put(f"/v1/admin/operators/{otto}/scope", json={"regionIds": [america]}, headers=admin)
    assert granted.status_code == 200, granted.text
    assert await measured(operator) == (83.3333, ["UPT-B1"])
    mine = await uptime(client, operator, "network", **planted.uptime_period())
    assert mine["network"]["uptimePercent"] == 83.3333
    theirs = await metrics(client, operator, **period, location=str(planted.first_site))
    assert (theirs["chargers"], theirs["locations"]) == ([], [])
    assert (theirs["totals"]["uptimePercent"], theirs["totals"]["chargersBelowNevi"]) == (None, 0)


async def test_a_period_not_yet_begun_has_no_uptime_and_today_runs_to_now(
    client: Client, sessions: Factory, database_url: str
) -> None:
    today = utc_now().date()
    await Planted.on(sessions, today - timedelta(days=1))
    admin = await sign_in(client, database_url, "olga@example.com", "admin")

    ahead = today + timedelta(days=2)
    future = await metrics(client, admin, **{"from": ahead.isoformat(), "to": (ahead + timedelta(days=6)).isoformat()})
    assert instant(future["uptimeFrom"]) == instant(future["uptimeTo"]) == midnight(ahead)
    assert future["totals"]["uptimePercent"] is None
    assert (future["totals"]["chargersBelowNevi"], future["totals"]["portsBelowNevi"]) == (0, 0)
    assert {row["uptimePercent"] for row in future["chargers"] + future["locations"]} == {None}
    assert len(future["chargers"]) == 3

    # a period that has begun is measured up to the report's own now
    current = await metrics(client, admin, **{"from": today.isoformat(), "to": today.isoformat()})
    assert instant(current["uptimeFrom"]) == midnight(today)
    assert instant(current["uptimeTo"]) == min(instant(current["generatedAt"]), midnight(today + timedelta(days=1)))
    assert current["totals"]["uptimePercent"] is not None


async def test_csv_tables_carry_uptime_and_keep_names_from_running_as_formulas(
    client: Client, sessions: Factory, database_url: str
) -> None:
    planted = await Planted.on(sessions, utc_now().date() - timedelta(days=2))
    async with sessions() as session, session.begin():
        await session.execute(update(Location).where(Location.id == planted.first_site).values(name=FORMULA))
        await session.execute(
            update(ChargingStation).where(ChargingStation.ocpp_id == "UPT-A2").values(model="@SUM(1)")
        )
    admin = await sign_in(client, database_url, "olga@example.com", "admin")
    period = planted.metrics_period()

    async def table(name: str) -> tuple[str, list[dict[str, str]]]:
        answer = await client.get("/v1/admin/metrics.csv", params={**period, "table": name}, headers=admin)
        assert answer.status_code == 200, answer.text
        return answer.text, list(csv.DictReader(io.StringIO(answer.text)))

    text, chargers = await table("chargers")
    rows = {row["charger_id"]: row for row in chargers}
    assert {name: row["uptime_percent"] for name, row in rows.items()} == {
        "UPT-A1": "87.5",
        "UPT-A2": "95.8333",
        "UPT-B1": "83.3333",
    }
    assert rows["UPT-A1"]["location"] == rows["UPT-A2"]["location"] == f"'{FORMULA}"
    assert rows["UPT-A2"]["model"] == "'@SUM(1)"
    cells = [cell for line in csv.reader(io.StringIO(text)) for cell in line]
    assert not [cell for cell in cells if cell.startswith(FORMULA_START)]

    _, locations = await table("locations")
    sites = {row["location_id"]: row for row in locations}
    assert sites[str(planted.first_site)]["location"] == f"'{FORMULA}"
    assert sites[str(planted.first_site)]["uptime_percent"] == "90.2778"
    assert sites[str(planted.second_site)]["uptime_percent"] == "83.3333"

    # the JSON keeps the name as it is: the guard is for spreadsheets
    report = await metrics(client, admin, **period)
    assert {row["name"] for row in report["locations"]} >= {FORMULA}
