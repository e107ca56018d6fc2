"""Operators work on their own sites only: the organisation admins keep (regions, business units, grants) decides
which chargers an operator sees and commands; everything else is not there for them (404). SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChargingStation, Location
from api.domain.chargers.provisioning import add_charger
from api.domain.drivers.commands import add_user
from tests.support import make_settings

PASSWORD = "long enough staff password"
Client = AsyncTestClient[Litestar]


async def _sign_in(client: Client, database_url: str, email: str, role: str) -> dict[str, str]:
    await add_user(make_settings(database_url=database_url), email=email, password=PASSWORD, role=role, name=role)  # type: ignore[arg-type]
    answer = await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['accessToken']}"}


async def _charger(sessions: async_sessionmaker[AsyncSession], ocpp_id: str) -> uuid.UUID:
    async with sessions() as session:
        station, _ = await add_charger(
            session, ocpp_id=ocpp_id, password="charger secret 1", country_code="NL", party_id="VWY"
        )
        await session.commit()
        return station.location_id


async def _user_id(client: Client, headers: dict[str, str]) -> str:
    me = (await client.get("/v1/me", headers=headers)).json()
    return str(me["id"])


@pytest.fixture
async def network(client: Client, sessions: async_sessionmaker[AsyncSession], database_url: str) -> dict[str, Any]:
    """Two sites in two regions; an admin; an operator who looks after the North; an agent."""
    north_site = await _charger(sessions, "NORTH-1")
    south_site = await _charger(sessions, "SOUTH-1")
    admin = await _sign_in(client, database_url, "admin@example.com", "admin")
    operator = await _sign_in(client, database_url, "operator@example.com", "operator")
    agent = await _sign_in(client, database_url, "agent@example.com", "agent")
    north = (await client.post("/v1/admin/regions", json={"name": "North"}, headers=admin)).json()
    south = (await client.post("/v1/admin/regions", json={"name": "South"}, headers=admin)).json()
    for site, region in ((north_site, north), (south_site, south)):
        placed = await client.put(
            f"/v1/admin/locations/{site}/organisation", json={"regionId": region["id"]}, headers=admin
        )
        assert placed.status_code == 200, placed.text
    granted = await client.put(
        f"/v1/admin/operators/{await _user_id(client, operator)}/scope",
        json={"regionIds": [north["id"]]},
        headers=admin,
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["locations"] == 1
    return {
        "admin": admin,
        "operator": operator,
        "agent": agent,
        "north": north,
        "south": south,
        "south_site": south_site,
    }


async def test_an_operator_sees_and_reaches_only_the_chargers_of_their_region(
    client: Client, network: dict[str, Any]
) -> None:
    operator, admin, agent = network["operator"], network["admin"], network["agent"]
    listed = await client.get("/v1/admin/chargers", headers=operator)
    assert listed.status_code == 200
    assert [c["ocppId"] for c in listed.json()] == ["NORTH-1"]
    everything = await client.get("/v1/admin/chargers", headers=admin)
    assert sorted(c["ocppId"] for c in everything.json()) == ["NORTH-1", "SOUTH-1"]

    # another region's charger is not there for the operator, whatever the route; their own answers past the guard
    for path in ("/journal", "/faults", "/audit", "/variables", "/charging-profiles", "/ocpp"):
        assert (await client.get(f"/v1/admin/chargers/SOUTH-1{path}", headers=operator)).status_code == 404, path
        assert (await client.get(f"/v1/admin/chargers/NORTH-1{path}", headers=operator)).status_code == 200, path
    sent = await client.post("/v1/admin/chargers/SOUTH-1/commands/reset", json={"type": "Soft"}, headers=operator)
    assert sent.status_code == 404
    assert "SOUTH-1" in sent.json()["detail"]
    # a command to their own charger gets past the guard (this process runs no bridge to send it through)
    own = await client.post("/v1/admin/chargers/NORTH-1/commands/reset", json={"type": "Soft"}, headers=operator)
    assert own.status_code == 503, own.text
    # registration and secrets stay with admins, even on the operator's own site
    assert (await client.post("/v1/admin/chargers/NORTH-1/block", headers=operator)).status_code == 403
    assert (await client.post("/v1/admin/chargers/NORTH-1/password", headers=operator)).status_code == 403
    # the support desk still reads every charger's journal
    assert (await client.get("/v1/admin/chargers/SOUTH-1/journal", headers=agent)).status_code == 200
    # users and tariffs stay admin-only
    assert (await client.get("/v1/admin/users", headers=operator)).status_code == 403
    assert (await client.get("/v1/admin/tariffs", headers=operator)).status_code == 403


async def test_groupings_count_the_callers_locations_and_only_admins_change_them(
    client: Client, network: dict[str, Any]
) -> None:
    operator, admin = network["operator"], network["admin"]
    seen = {g["name"]: g["locations"] for g in (await client.get("/v1/admin/regions", headers=operator)).json()}
    assert seen == {"North": 1, "South": 0}  # the operator counts only their own sites
    seen = {g["name"]: g["locations"] for g in (await client.get("/v1/admin/regions", headers=admin)).json()}
    assert seen == {"North": 1, "South": 1}
    assert (await client.post("/v1/admin/regions", json={"name": "East"}, headers=operator)).status_code == 403
    twice = await client.post("/v1/admin/regions", json={"name": "North"}, headers=admin)
    assert twice.status_code == 409
    assert "North" in twice.json()["detail"]
    blank = await client.post("/v1/admin/business-units", json={"name": " "}, headers=admin)
    assert blank.status_code in {400, 422}


async def test_a_scope_names_real_groupings_and_only_operators_have_one(
    client: Client, network: dict[str, Any]
) -> None:
    admin, agent = network["admin"], network["agent"]
    operator_id = await _user_id(client, network["operator"])
    unknown = await client.put(
        f"/v1/admin/operators/{operator_id}/scope", json={"regionIds": [str(uuid.uuid4())]}, headers=admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "regionIds"
    not_operator = await client.put(
        f"/v1/admin/operators/{await _user_id(client, agent)}/scope", json={"regionIds": []}, headers=admin
    )
    assert not_operator.status_code == 409
    # the grant before the refused changes is intact
    kept = (await client.get(f"/v1/admin/operators/{operator_id}/scope", headers=admin)).json()
    assert kept["regionIds"] == [network["north"]["id"]]


async def test_removing_a_region_keeps_its_locations_and_ends_the_grants_on_it(
    client: Client, network: dict[str, Any], sessions: async_sessionmaker[AsyncSession]
) -> None:
    admin, operator = network["admin"], network["operator"]
    removed = await client.delete(f"/v1/admin/regions/{network['north']['id']}", headers=admin)
    assert removed.status_code == 204
    assert (await client.get("/v1/admin/chargers", headers=operator)).json() == []
    async with sessions() as session:
        station = await session.scalar(select(ChargingStation).where(ChargingStation.ocpp_id == "NORTH-1"))
        assert station is not None
        location = await session.get(Location, station.location_id)
        assert location is not None
        assert location.region_id is None
    assert (await client.delete(f"/v1/admin/regions/{network['north']['id']}", headers=admin)).status_code == 404
