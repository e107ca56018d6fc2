"""Maintenance on SQLite and PostgreSQL: schedules open exactly one work order per occurrence however many scans
run, on the right days; work orders are worked through their checklist and closed with notes, every change
audited; a work order that takes its charger out of service shows it INOPERATIVE "Under maintenance" to drivers
until it is done."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from api.db.engine import create_engine, create_session_factory
from api.db.models import Evse, Location, User, WorkOrder
from api.db.models.organisation import OperatorScope, Region
from api.db.types import utc_now
from api.domain.chargers.provisioning import add_charger
from api.domain.maintenance.schedules import open_due_work_orders
from tests.integration.conftest import ClientFactory
from tests.integration.support_desk import account
from tests.support import database_session, wait_for

Client = AsyncTestClient[Litestar]


async def _charger(database_url: str, ocpp_id: str, *, latitude: float = 52.1) -> tuple[uuid.UUID, uuid.UUID]:
    """A charger on the map: (its location id, its EVSE id), the EVSE last heard AVAILABLE."""
    async with database_session(database_url) as session:
        station, _ = await add_charger(
            session,
            ocpp_id=ocpp_id,
            password="charger secret 123",
            country_code="NL",
            party_id="VWY",
            coordinates=(latitude, 5.1),
            name=f"Site of {ocpp_id}",
        )
        await session.commit()
        evse = (await session.execute(select(Evse).where(Evse.charging_station_id == station.id))).scalar_one()
        evse.status = "AVAILABLE"
        await session.commit()
        return station.location_id, evse.id


async def _admin(client: Client, database_url: str) -> dict[str, str]:
    return await account(client, database_url, f"admin-{uuid.uuid4().hex[:6]}@example.com", "admin", name="Ada")


def _at(client: Client, moment: datetime) -> None:
    """Run the app's maintenance clock at `moment`."""
    client.app.state.maintenance.clock = lambda: moment


async def test_a_schedule_coming_due_opens_exactly_one_work_order_even_with_two_scans_at_once(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    headers = await _admin(client, database_url)
    location_id, _ = await _charger(database_url, "MNT-00001")
    today = utc_now().date()
    created = await client.post(
        "/v1/admin/maintenance/schedules",
        json={
            "locationId": str(location_id),
            "name": "Quarterly inspection",
            "rule": "quarterly",
            "startsOn": (today + timedelta(days=3)).isoformat(),
            "leadDays": 3,
            "checklist": ["Cables and plugs undamaged", "Emergency stop works"],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    schedule = created.json()
    assert schedule["recurrence"] == {"every": 3, "unit": "months", "text": "quarterly"}
    assert schedule["nextDueOn"] == (today + timedelta(days=3)).isoformat()

    engines = [create_engine(database_url), create_engine(database_url)]
    try:
        factories = [create_session_factory(engine) for engine in engines]
        yesterday = utc_now() - timedelta(days=1)
        assert await open_due_work_orders(factories[0], yesterday) == 0  # opens 3 days ahead, not 4
        now = utc_now()
        opened = await asyncio.gather(*(open_due_work_orders(factory, now) for factory in factories))
        assert sorted(opened) == [0, 1]
        assert await open_due_work_orders(factories[0], now) == 0
    finally:
        for engine in engines:
            await engine.dispose()

    listed = (await client.get("/v1/admin/work-orders", headers=headers)).json()
    assert len(listed) == 1
    order = listed[0]
    assert (order["title"], order["source"], order["status"]) == ("Quarterly inspection", "schedule", "open")
    assert order["dueOn"] == (today + timedelta(days=3)).isoformat()
    assert (order["checklistDone"], order["checklistTotal"], order["overdue"]) == (0, 2, False)
    schedules = (await client.get("/v1/admin/maintenance/schedules", headers=headers)).json()
    next_due = date.fromisoformat(schedules[0]["nextDueOn"])
    assert next_due.month == ((today + timedelta(days=3)).month + 2) % 12 + 1

    # not done in time: it is overdue, and the next quarter's work order opens in its turn
    _at(client, utc_now() + timedelta(days=5))
    overdue = (await client.get("/v1/admin/work-orders", params={"view": "overdue"}, headers=headers)).json()
    assert [item["id"] for item in overdue] == [order["id"]]
    later = datetime.combine(next_due, datetime.min.time(), UTC)
    engine = create_engine(database_url)
    try:
        assert await open_due_work_orders(create_session_factory(engine), later) == 1
    finally:
        await engine.dispose()
    async with database_session(database_url) as session:
        occurrences = (await session.execute(select(WorkOrder.occurrence).order_by(WorkOrder.occurrence))).scalars()
        assert list(occurrences) == [0, 1]


async def test_month_ends_and_years_are_counted_from_the_start(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    headers = await _admin(client, database_url)
    location_id, _ = await _charger(database_url, "MNT-00002")

    async def schedule(starts_on: str, **interval: Any) -> None:
        body = {"locationId": str(location_id), "name": f"Task {starts_on}", "startsOn": starts_on, **interval}
        answer = await client.post("/v1/admin/maintenance/schedules", json=body, headers=headers)
        assert answer.status_code == 201, answer.text

    await schedule("2027-01-31", every=1, unit="months")
    await schedule("2027-12-31", rule="yearly")
    engine = create_engine(database_url)
    due: list[tuple[str, str]] = []
    try:
        factory = create_session_factory(engine)
        for day in ("2027-01-31", "2027-02-28", "2027-03-31", "2028-12-31"):
            await open_due_work_orders(factory, datetime.fromisoformat(day).replace(tzinfo=UTC))
        async with factory() as session:
            rows = (await session.execute(select(WorkOrder.title, WorkOrder.due_on).order_by(WorkOrder.due_on))).all()
            due = [(title, due_on.isoformat() if due_on else "") for title, due_on in rows]
    finally:
        await engine.dispose()
    monthly, yearly = "Task 2027-01-31", "Task 2027-12-31"
    # on 31 December 2028 the monthly schedule catches up on every month it missed, each once
    assert [d for t, d in due if t == monthly][:4] == ["2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"]
    assert len([d for t, d in due if t == monthly]) == 24
    assert [d for t, d in due if t == yearly] == ["2027-12-31", "2028-12-31"]
    listed = {
        s["name"]: s["nextDueOn"] for s in (await client.get("/v1/admin/maintenance/schedules", headers=headers)).json()
    }
    assert listed == {monthly: "2029-01-31", yearly: "2029-12-31"}


async def _station_evse(client: Client, location_id: uuid.UUID) -> dict[str, Any]:
    """The EVSE as the driver app shows it ({} until the map has the new station)."""
    detail = (await client.get(f"/v1/stations/{location_id}")).json()
    evses: list[dict[str, Any]] = detail.get("evses") or [{}]
    return evses[0]


async def test_a_work_order_takes_its_charger_out_of_service_until_it_is_done(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory(catalog_poll_seconds=0.1)
    headers = await _admin(client, database_url)
    location_id, evse_id = await _charger(database_url, "MNT-00003")
    body = {
        "title": "Replace the cable",
        "chargerId": "MNT-00003",
        "dueOn": (utc_now().date() + timedelta(days=2)).isoformat(),
        "checklist": ["Isolate the supply", "Fit the new cable", "Test a charge"],
        "takesOutOfService": True,
        "serviceReason": "cable replacement",
        "alertId": str(uuid.uuid4()),
    }
    created = await client.post("/v1/admin/work-orders", json=body, headers=headers)
    assert created.status_code == 201, created.text
    order = created.json()
    assert (order["source"], order["locationId"], order["outOfService"]) == ("alert", str(location_id), False)
    again = await client.post("/v1/admin/work-orders", json=body, headers=headers)
    assert again.status_code == 409
    assert order["id"] in again.json()["detail"]
    work = f"/v1/admin/work-orders/{order['id']}"

    started = await client.post(f"{work}/start", headers=headers)
    assert started.status_code == 200, started.text
    assert (started.json()["status"], started.json()["outOfService"]) == ("in_progress", True)
    async with database_session(database_url) as session:
        evse = await session.get(Evse, evse_id)
        assert evse is not None
        assert (evse.status, evse.status_source, evse.status_reason) == (
            "INOPERATIVE",
            "maintenance",
            "cable replacement",
        )

    async def shown_under_maintenance() -> bool:
        return (await _station_evse(client, location_id)).get("statusSource") == "maintenance"

    await wait_for(shown_under_maintenance, "the station shown under maintenance")
    shown = await _station_evse(client, location_id)
    assert shown["status"] == "INOPERATIVE"
    assert shown["statusReason"] == "Under maintenance: cable replacement"

    # the checklist: ticked with who and when; completing needs every item and closing notes
    assert (await client.post(f"{work}/checklist/1", headers=headers)).status_code == 200
    assert (await client.post(f"{work}/checklist/9", headers=headers)).status_code == 404
    refused = await client.post(f"{work}/complete", json={"closingNotes": "Cable replaced"}, headers=headers)
    assert refused.status_code == 409
    assert "Fit the new cable" in refused.json()["detail"]
    for item in (2, 3):
        ticked = await client.post(f"{work}/checklist/{item}", headers=headers)
        assert ticked.status_code == 200
    assert (await client.post(f"{work}/complete", json={"closingNotes": "  "}, headers=headers)).status_code in (
        400,
        422,
    )
    comment = await client.post(f"{work}/comments", json={"body": "Old cable cut at the plug"}, headers=headers)
    assert comment.status_code == 201, comment.text
    done = await client.post(
        f"{work}/complete", json={"closingNotes": "Cable replaced, test charge 11 kW"}, headers=headers
    )
    assert done.status_code == 200, done.text
    detail = done.json()
    assert (detail["status"], detail["outOfService"], detail["closingNotes"]) == (
        "done",
        False,
        "Cable replaced, test charge 11 kW",
    )
    assert all(item["done"] and item["doneBy"] and item["doneAt"] for item in detail["checklist"])
    assert [c["body"] for c in detail["comments"]] == ["Old cable cut at the plug"]
    assert [entry["action"] for entry in detail["audit"]] == [
        "work_order.opened",
        "work_order.started",
        "service.out",
        "checklist.ticked",
        "checklist.ticked",
        "checklist.ticked",
        "comment.added",
        "service.back",
        "work_order.completed",
    ]
    assert detail["availability"] is None  # no OCPP bridge in this process: nothing was sent
    async with database_session(database_url) as session:
        evse = await session.get(Evse, evse_id)
        assert evse is not None
        assert (evse.status, evse.status_source, evse.status_reason) == ("AVAILABLE", "live", None)

    async def shown_live_again() -> bool:
        return (await _station_evse(client, location_id)).get("statusSource") == "offline"  # not connected

    await wait_for(shown_live_again, "the station back from maintenance")
    assert (await client.post(f"{work}/cancel", headers=headers)).status_code == 409
    closed = (await client.get("/v1/admin/work-orders", params={"view": "closed"}, headers=headers)).json()
    assert [item["id"] for item in closed] == [order["id"]]


async def test_bad_input_is_named_and_unknown_things_are_not_found(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    headers = await _admin(client, database_url)
    location_id, _ = await _charger(database_url, "MNT-00004")
    base = {"locationId": str(location_id), "name": "Annual electrical test", "startsOn": "2027-06-01"}
    both = await client.post(
        "/v1/admin/maintenance/schedules", json={**base, "rule": "yearly", "every": 2, "unit": "days"}, headers=headers
    )
    assert both.status_code == 422
    assert both.json()["errors"][0]["field"] == "rule"
    ancient = await client.post(
        "/v1/admin/maintenance/schedules", json={**base, "rule": "yearly", "startsOn": "0001-01-01"}, headers=headers
    )
    assert ancient.status_code == 422, ancient.text
    assert "2000-01-01" in ancient.text
    neither = await client.post("/v1/admin/maintenance/schedules", json=base, headers=headers)
    assert neither.status_code == 422
    assert neither.json()["errors"][0]["field"] == "every"
    nowhere = await client.post(
        "/v1/admin/maintenance/schedules",
        json={**base, "rule": "yearly", "locationId": str(uuid.uuid4())},
        headers=headers,
    )
    assert nowhere.status_code == 404
    driver = await account(client, database_url, "dora@example.com", "driver", name="Dora")
    assignee = (await client.get("/v1/me", headers=driver)).json()["id"]
    not_staff = await client.post(
        "/v1/admin/work-orders",
        json={"title": "Look", "chargerId": "MNT-00004", "assigneeId": assignee},
        headers=headers,
    )
    assert not_staff.status_code == 422
    assert not_staff.json()["errors"][0]["field"] == "assigneeId"
    no_ticket = await client.post(
        "/v1/admin/work-orders",
        json={"title": "Look", "chargerId": "MNT-00004", "ticketIds": [424242]},
        headers=headers,
    )
    assert no_ticket.status_code == 422
    assert "424242" in no_ticket.json()["errors"][0]["message"]
    unknown = await client.post("/v1/admin/work-orders", json={"title": "Look", "chargerId": "NOPE-1"}, headers=headers)
    assert unknown.status_code == 404
    assert (await client.get(f"/v1/admin/work-orders/{uuid.uuid4()}", headers=headers)).status_code == 404
    assert (await client.get("/v1/admin/work-orders", headers=driver)).status_code == 403
    schedule = await client.post("/v1/admin/maintenance/schedules", json={**base, "rule": "yearly"}, headers=headers)
    path = f"/v1/admin/maintenance/schedules/{schedule.json()['id']}"
    moved = await client.patch(path, json={"nextDueOn": "2027-07-15", "rule": "half-yearly"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert (moved.json()["nextDueOn"], moved.json()["recurrence"]["text"]) == ("2027-07-15", "half-yearly")
    assert (await client.delete(path, headers=headers)).status_code == 204
    assert (await client.delete(path, headers=headers)).status_code == 404


async def test_an_operator_sees_and_works_only_on_their_own_sites(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    admin = await _admin(client, database_url)
    operator = await account(client, database_url, "otto@example.com", "operator", name="Otto")
    own_location, _ = await _charger(database_url, "MNT-00005")
    other_location, _ = await _charger(database_url, "MNT-00006", latitude=52.3)
    async with database_session(database_url) as session:
        region = Region(id=uuid.uuid4(), name="North")
        session.add(region)
        await session.flush()
        location = await session.get(Location, own_location)
        assert location is not None
        location.region_id = region.id
        otto = (await session.execute(select(User.id).where(User.email == "otto@example.com"))).scalar_one()
        session.add(OperatorScope(user_id=otto, region_id=region.id, business_unit_id=None))
        await session.commit()

    async def work_order(charger_id: str) -> str:
        answer = await client.post(
            "/v1/admin/work-orders",
            json={"title": f"Check {charger_id}", "chargerId": charger_id, "checklist": ["Look"]},
            headers=admin,
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    async def schedule(location_id: uuid.UUID) -> str:
        body = {"locationId": str(location_id), "name": "Inspection", "rule": "quarterly", "startsOn": "2027-03-01"}
        answer = await client.post("/v1/admin/maintenance/schedules", json=body, headers=admin)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    own, other = await work_order("MNT-00005"), await work_order("MNT-00006")
    own_schedule, other_schedule = await schedule(own_location), await schedule(other_location)

    assert [o["id"] for o in (await client.get("/v1/admin/work-orders", headers=operator)).json()] == [own]
    assert {o["id"] for o in (await client.get("/v1/admin/work-orders", headers=admin)).json()} == {own, other}
    schedules = (await client.get("/v1/admin/maintenance/schedules", headers=operator)).json()
    assert [s["id"] for s in schedules] == [own_schedule]

    foreign = f"/v1/admin/work-orders/{other}"
    assert (await client.get(foreign, headers=operator)).status_code == 404
    assert (await client.patch(foreign, json={"title": "Mine now"}, headers=operator)).status_code == 404
    assert (await client.post(f"{foreign}/start", headers=operator)).status_code == 404
    assert (await client.post(f"{foreign}/checklist/1", headers=operator)).status_code == 404
    assert (await client.post(f"{foreign}/comments", json={"body": "Hello"}, headers=operator)).status_code == 404
    assert (await client.post(f"{foreign}/cancel", headers=operator)).status_code == 404
    closing = {"closingNotes": "Done"}
    assert (await client.post(f"{foreign}/complete", json=closing, headers=operator)).status_code == 404
    made = await client.post(
        "/v1/admin/work-orders", json={"title": "Sneak", "chargerId": "MNT-00006"}, headers=operator
    )
    assert made.status_code == 404
    foreign_schedule = f"/v1/admin/maintenance/schedules/{other_schedule}"
    assert (await client.patch(foreign_schedule, json={"name": "x"}, headers=operator)).status_code == 404
    assert (await client.delete(foreign_schedule, headers=operator)).status_code == 404
    body = {"locationId": str(other_location), "name": "Sneak", "rule": "yearly", "startsOn": "2027-03-01"}
    assert (await client.post("/v1/admin/maintenance/schedules", json=body, headers=operator)).status_code == 404

    started = await client.post(f"/v1/admin/work-orders/{own}/start", headers=operator)
    assert started.status_code == 200, started.text
    otto_id = (await client.get("/v1/me", headers=operator)).json()["id"]
    assert started.json()["assigneeId"] == otto_id  # who starts unassigned work has it
    mine = (await client.get("/v1/admin/work-orders", params={"view": "mine"}, headers=operator)).json()
    assert [o["id"] for o in mine] == [own]


async def test_two_running_work_orders_keep_the_charger_out_until_the_last_ends(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    headers = await _admin(client, database_url)
    location_id, evse_id = await _charger(database_url, "MNT-00007")

    async def started(title: str, **where: str) -> str:
        body = {"title": title, "takesOutOfService": True, **where}
        created = await client.post("/v1/admin/work-orders", json=body, headers=headers)
        assert created.status_code == 201, created.text
        work_order_id = str(created.json()["id"])
        answer = await client.post(f"/v1/admin/work-orders/{work_order_id}/start", headers=headers)
        assert answer.status_code == 200, answer.text
        return work_order_id

    async def evse_state() -> tuple[str, str, str | None]:
        async with database_session(database_url) as session:
            evse = await session.get(Evse, evse_id)
            assert evse is not None
            return evse.status, evse.status_source, evse.status_reason

    cable = await started("New cable", chargerId="MNT-00007")
    site = await started("Resurface the car park", locationId=str(location_id))
    assert await evse_state() == ("INOPERATIVE", "maintenance", "New cable")
    done = await client.post(
        f"/v1/admin/work-orders/{cable}/complete", json={"closingNotes": "Fitted"}, headers=headers
    )
    assert done.status_code == 200, done.text
    assert done.json()["outOfService"] is False
    assert await evse_state() == ("INOPERATIVE", "maintenance", "Resurface the car park")
    detail = (await client.get(f"/v1/admin/work-orders/{site}", headers=headers)).json()
    assert detail["outOfService"] is True
    cancelled = await client.post(f"/v1/admin/work-orders/{site}/cancel", json={"reason": "Postponed"}, headers=headers)
    assert cancelled.status_code == 200, cancelled.text
    assert await evse_state() == ("AVAILABLE", "live", None)


async def test_a_running_work_order_can_start_or_stop_holding_its_charger(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory()
    headers = await _admin(client, database_url)
    _, evse_id = await _charger(database_url, "MNT-00008")
    created = await client.post(
        "/v1/admin/work-orders", json={"title": "Inspect", "chargerId": "MNT-00008"}, headers=headers
    )
    work = f"/v1/admin/work-orders/{created.json()['id']}"
    assert (await client.post(f"{work}/start", json={"sendAvailability": False}, headers=headers)).status_code == 200

    async def evse_state() -> tuple[str, str, str | None]:
        async with database_session(database_url) as session:
            evse = await session.get(Evse, evse_id)
            assert evse is not None
            return evse.status, evse.status_source, evse.status_reason

    assert await evse_state() == ("AVAILABLE", "live", None)
    held = await client.patch(work, json={"takesOutOfService": True}, headers=headers)
    assert held.status_code == 200, held.text
    assert held.json()["outOfService"] is True
    assert await evse_state() == ("INOPERATIVE", "maintenance", "Inspect")
    reason = await client.patch(work, json={"serviceReason": "damaged holster"}, headers=headers)
    assert reason.status_code == 200, reason.text
    assert await evse_state() == ("INOPERATIVE", "maintenance", "damaged holster")
    back = await client.patch(work, json={"takesOutOfService": False}, headers=headers)
    assert back.json()["outOfService"] is False
    assert await evse_state() == ("AVAILABLE", "live", None)
    actions = [entry["action"] for entry in back.json()["audit"]]
    assert actions[-6:] == [
        "work_order.started",
        "service.out",
        "work_order.changed",
        "work_order.changed",
        "service.back",
        "work_order.changed",
    ]
