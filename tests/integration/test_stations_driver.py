"""Favourites, problem reports, tariffs by operators, and what account export and erasure do with them."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from api.db.engine import create_engine, create_session_factory
from api.domain.drivers.commands import add_user
from api.domain.stations.importing import store_feed
from tests.integration.conftest import ClientFactory
from tests.integration.stations_data import feed, location
from tests.support import make_settings

Client = AsyncTestClient[Litestar]
PASSWORD = "correct horse battery"


async def signed_in(client: Client, email: str = "dana@example.com") -> dict[str, str]:
    await client.post("/v1/auth/register", json={"email": email, "password": PASSWORD, "name": "Dana"})
    tokens = (await client.post("/v1/auth/login", json={"email": email, "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def admin(client: Client, database_url: str) -> dict[str, str]:
    await add_user(
        make_settings(database_url=database_url), email="ops@example.com", password=PASSWORD, role="admin", name="Ops"
    )
    tokens = (await client.post("/v1/auth/login", json={"email": "ops@example.com", "password": PASSWORD})).json()
    return {"Authorization": f"Bearer {tokens['accessToken']}"}


async def seed(database_url: str, *records: Any) -> None:
    engine = create_engine(database_url)
    try:
        await store_feed(create_session_factory(engine), feed(list(records)))
    finally:
        await engine.dispose()


async def first_station(client: Client) -> dict[str, Any]:
    items = (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"]
    station: dict[str, Any] = items[0]
    return station


async def test_favourites(client: Client, database_url: str, client_factory: ClientFactory) -> None:
    await seed(database_url, location("FAV", 52.37, 4.89))
    client = await client_factory()
    auth = await signed_in(client)
    station = await first_station(client)
    assert (await client.put(f"/v1/me/favourites/{station['id']}", headers=auth)).status_code == 204
    assert (await client.put(f"/v1/me/favourites/{station['id']}", headers=auth)).status_code == 204  # idempotent
    listed = (await client.get("/v1/me/favourites", headers=auth)).json()
    assert [f["locationId"] for f in listed] == [station["id"]]
    assert listed[0]["station"]["name"] == "Station FAV"
    missing = await client.put("/v1/me/favourites/00000000-0000-0000-0000-000000000000", headers=auth)
    assert missing.status_code == 404
    assert (await client.get("/v1/me/favourites")).status_code == 401
    assert (await client.delete(f"/v1/me/favourites/{station['id']}", headers=auth)).status_code == 204
    assert (await client.get("/v1/me/favourites", headers=auth)).json() == []


async def test_problem_reports(client_factory: ClientFactory, database_url: str) -> None:
    await seed(database_url, location("REP", 52.37, 4.89, kinds=("ac22", "dc50")))
    client = await client_factory()
    auth = await signed_in(client)
    station = await first_station(client)
    categories = {c["id"] for c in (await client.get("/v1/stations/report-categories")).json()}
    assert {"not_operational", "blocked_by_non_ev", "other"} <= categories

    url = f"/v1/stations/{station['id']}/reports"
    report = await client.post(
        url, headers=auth, json={"category": "not_operational", "text": "Screen dark", "evseUid": "REP-2"}
    )
    assert report.status_code == 201
    assert report.json()["evseUid"] == "REP-2"
    assert report.json()["status"] == "open"
    bad = await client.post(url, headers=auth, json={"category": "aliens"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "category"
    wrong_evse = await client.post(url, headers=auth, json={"category": "other", "evseUid": "NOPE"})
    assert wrong_evse.json()["errors"][0]["field"] == "evseUid"
    assert (await client.post(url, json={"category": "other"})).status_code == 401

    await client.put(f"/v1/me/favourites/{station['id']}", headers=auth)
    export = (await client.get("/v1/me/export", headers=auth)).json()
    assert export["favourites"][0]["locationId"] == station["id"]
    assert export["problemReports"][0]["text"] == "Screen dark"
    assert (await client.delete("/v1/me", headers=auth)).status_code == 204


async def test_operator_sets_a_tariff_and_the_map_shows_it(client_factory: ClientFactory, database_url: str) -> None:
    await seed(database_url, location("OWN", 52.37, 4.89, tariff="AC-1", party=("NL", "VWY")))
    client = await client_factory(catalog_poll_seconds=0.2)
    other_process = await client_factory(catalog_poll_seconds=0.2)
    auth = await admin(client, database_url)
    driver = await signed_in(client, "driver@example.com")

    body = {
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "ENERGY", "price": 0.40, "vat": 21.0, "step_size": 1}]}],
    }
    assert (await client.put("/v1/admin/tariffs/AC-1", json=body, headers=driver)).status_code == 403
    created = await client.put("/v1/admin/tariffs/AC-1", json=body, headers=auth)
    assert created.status_code == 201, created.text
    stored = msgspec.json.decode(created.content)
    assert stored["id"] == "AC-1"
    assert stored["party_id"] == "VWY"
    assert (await client.get("/v1/admin/tariffs/AC-1", headers=auth)).json()["currency"] == "EUR"

    price = (await first_station(client))["evses"][0]["connectors"][0]["price"]
    assert price["perKwh"] == "0.484"
    assert price["text"].startswith("€0.484/kWh")

    body["elements"][0]["price_components"][0]["price"] = 0.50  # type: ignore[index]
    assert (await client.put("/v1/admin/tariffs/AC-1", json=body, headers=auth)).status_code == 200
    deadline = asyncio.get_running_loop().time() + 1.0
    while ((await first_station(other_process))["evses"][0]["connectors"][0]["price"] or {}).get("perKwh") != "0.605":
        assert asyncio.get_running_loop().time() < deadline, "the new price did not reach the other process"
        await asyncio.sleep(0.05)

    broken = await client.put(
        "/v1/admin/tariffs/AC-1",
        json={
            "currency": "EUR",
            "elements": [{"price_components": [{"type": "ENERGY", "price": "x", "step_size": 1}]}],
        },
        headers=auth,
    )
    assert broken.status_code == 422
    assert "elements[0].price_components[0].price" in broken.json()["errors"][0]["field"]
    mismatch = await client.put("/v1/admin/tariffs/AC-1", json={**body, "id": "AC-2"}, headers=auth)
    assert mismatch.json()["errors"][0]["field"] == "id"
    assert (await client.get("/v1/admin/tariffs/NOPE", headers=auth)).status_code == 404
