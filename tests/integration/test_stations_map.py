"""The driver map over HTTP on SQLite and PostgreSQL: search, filters, paging, detail, errors, liveness."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import pytest
from geopy.distance import great_circle
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select, update

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, Evse, Location
from api.domain.stations.importing import store_feed
from api.domain.stations.records import LocationRecord
from api.domain.stations.store import bump_revision
from tests.integration.conftest import ClientFactory
from tests.integration.stations_data import SHOP_HOURS, feed, location, random_network, store, tariff_document

Client = AsyncTestClient[Litestar]
EARTH_KM = 6371.0088


async def station_ids(client: Client, **params: Any) -> list[str]:
    response = await client.get("/v1/stations", params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def problem_fields(response: Any) -> set[str]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return {error["field"] for error in response.json()["errors"]}


async def test_nearest_first_with_distances_and_ties_by_id(client_factory: ClientFactory, database_url: str) -> None:
    await store(
        database_url,
        [
            location("FAR", 52.40, 4.90),
            location("TIE-B", 52.3705, 4.8905),
            location("TIE-A", 52.3705, 4.8905),
            location("NEAR", 52.3701, 4.8901),
            location("OUTSIDE", 53.5, 6.5),
        ],
    )
    client = await client_factory()
    response = await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89, "radius": 10000})
    items = response.json()["items"]
    names = [item["name"] for item in items]
    assert names[0] == "Station NEAR"
    assert set(names[1:3]) == {"Station TIE-A", "Station TIE-B"}
    tie_ids = [item["id"] for item in items[1:3]]
    assert tie_ids == sorted(tie_ids)
    assert names[3] == "Station FAR"
    assert "Station OUTSIDE" not in names
    far = items[3]
    expected = great_circle((52.37, 4.89), (52.40, 4.90), radius=EARTH_KM).meters
    assert far["distanceMeters"] == pytest.approx(expected, abs=0.1)
    assert far["coordinates"] == {"latitude": 52.40, "longitude": 4.90}
    assert response.json()["nextCursor"] is None


class Wanted(NamedTuple):
    standard: str | None
    min_power_kw: int | None
    available: bool
    operator: str | None
    max_price: str | None
    open_now: bool


PRICE_INCL_VAT = {"CHEAP": Decimal("0.30") * Decimal("1.21"), "DEAR": Decimal("0.70") * Decimal("1.21")}


def matches(record: LocationRecord, wanted: Wanted, now: datetime) -> bool:
    """The map's filters, written out plainly as the oracle for the brute-force comparison."""
    if wanted.operator and (record.operator_name or "").casefold() != wanted.operator.casefold():
        return False
    if wanted.open_now and record.opening_times is not None:
        local = now.astimezone(ZoneInfo(record.time_zone))
        clock = local.strftime("%H:%M")
        if not any(
            h.weekday == local.isoweekday() and h.period_begin <= clock < h.period_end for h in SHOP_HOURS.regular_hours
        ):
            return False
    for evse in record.evses:
        if wanted.available and evse.status != "AVAILABLE":
            continue
        for c in evse.connectors:
            if wanted.standard and c.standard != wanted.standard:
                continue
            if wanted.min_power_kw and (c.max_electric_power or 0) < wanted.min_power_kw * 1000:
                continue
            if wanted.max_price:
                tariff = c.tariff_ids[0] if c.tariff_ids else None
                if tariff is None or PRICE_INCL_VAT[tariff] > Decimal(wanted.max_price):
                    continue
            return True
    return False


async def test_api_equals_brute_force_for_random_queries(client_factory: ClientFactory, database_url: str) -> None:
    """Random points, radii, boxes, filters and page sizes: the API matches a brute-force great-circle search."""
    records = random_network(300, seed=11)
    await store(database_url, records, [tariff_document("CHEAP", "0.30"), tariff_document("DEAR", "0.70")])
    client = await client_factory()
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            ids_by_name = {
                f"Station {row.ocpi_id}": str(row.id)
                for row in await connection.execute(select(Location.id, Location.ocpi_id))
            }
    finally:
        await engine.dispose()
    rng = random.Random(5)
    total_hits = 0
    now = datetime.now(UTC)
    for _ in range(60):
        params: dict[str, Any] = {"limit": rng.choice((5, 20, 100))}
        centre = (52.37 + rng.uniform(-0.6, 0.6), 4.89 + rng.uniform(-1.0, 1.0))
        if rng.random() < 0.7:
            radius = rng.choice((500, 5000, 20000, 60000, 100000))
            params |= {"lat": centre[0], "lon": centre[1], "radius": radius}
            box = None
        else:
            box = (centre[1] - 0.3, centre[0] - 0.2, centre[1] + 0.3, centre[0] + 0.2)
            params["bbox"] = ",".join(str(v) for v in box)
            radius = None
        wanted_standard = rng.choice((None, "CHADEMO", "IEC_62196_T2"))
        min_power = rng.choice((None, 20, 150))
        available = rng.random() < 0.3
        operator = rng.choice((None, "Voltway", "city power"))
        max_price = rng.choice((None, "0.40", "1.00"))
        open_now = rng.random() < 0.2
        wanted = Wanted(wanted_standard, min_power, available, operator, max_price, open_now)
        if wanted_standard:
            params["standards"] = wanted_standard
        if min_power:
            params["minPowerKw"] = min_power
        if available:
            params["availableNow"] = "true"
        if operator:
            params["operator"] = operator
        if max_price:
            params["maxPricePerKwh"] = max_price
        if open_now:
            params["openNow"] = "true"

        origin = centre if box is None else ((box[1] + box[3]) / 2, (box[0] + box[2]) / 2)
        expected = []
        for record in records:
            if box is not None and not (box[1] <= record.latitude <= box[3] and box[0] <= record.longitude <= box[2]):
                continue
            distance = great_circle(origin, (record.latitude, record.longitude), radius=EARTH_KM).meters
            if radius is not None and distance > radius:
                continue
            if matches(record, wanted, now):
                expected.append((distance, ids_by_name[f"Station {record.id}"], record.name))

        got: list[tuple[float, str]] = []
        ids: list[str] = []
        cursor = None
        while True:
            page_params = dict(params, cursor=cursor) if cursor else params
            response = await client.get("/v1/stations", params=page_params)
            assert response.status_code == 200, response.text
            body = response.json()
            assert len(body["items"]) <= params["limit"]
            got += [(item["distanceMeters"], item["name"]) for item in body["items"]]
            ids += [item["id"] for item in body["items"]]
            cursor = body["nextCursor"]
            if cursor is None:
                break
        expected.sort(key=lambda hit: (hit[0], hit[1]))  # nearest first, ties by station id
        assert [name for _, name in got] == [name for _, _, name in expected], params
        assert len(ids) == len(set(ids))
        total_hits += len(got)
        for (distance, _), (exact, _, _) in zip(got, expected, strict=True):
            assert distance == pytest.approx(exact, abs=0.1)
    assert total_hits > 300  # the queries found plenty, so the comparison means something


async def test_filters_and_prices_in_the_driver_language(client_factory: ClientFactory, database_url: str) -> None:
    await store(
        database_url,
        [
            location("AC", 52.37, 4.89, kinds=("ac22",), tariff="CHEAP"),
            location("DC", 52.371, 4.891, kinds=("hpc", "dc50"), statuses=("CHARGING", "AVAILABLE"), tariff="DEAR"),
            location("SHOP", 52.372, 4.892, opening=SHOP_HOURS, operator="City Power"),
        ],
        [tariff_document("CHEAP", "0.30"), tariff_document("DEAR", "0.60")],
    )
    client = await client_factory()
    near = {"lat": 52.37, "lon": 4.89, "radius": 2000}
    assert len(await station_ids(client, **near)) == 3
    assert len(await station_ids(client, **near, standards="IEC_62196_T2_COMBO")) == 1
    assert len(await station_ids(client, **near, standards="IEC_62196_T2_COMBO,CHADEMO,IEC_62196_T2")) == 3
    assert len(await station_ids(client, **near, minPowerKw=100)) == 1
    assert len(await station_ids(client, **near, maxPricePerKwh="0.40")) == 1
    assert len(await station_ids(client, **near, operator="city power")) == 1

    response = await client.get("/v1/stations", params=near, headers={"Accept-Language": "de-DE,de;q=0.9"})
    items = {item["name"]: item for item in response.json()["items"]}
    ac_price = items["Station AC"]["evses"][0]["connectors"][0]["price"]
    assert ac_price["currency"] == "EUR"
    assert Decimal(ac_price["perKwh"]) == Decimal("0.3630")
    assert "0,36" in ac_price["text"]  # German number format
    english = await client.get("/v1/stations", params={**near, "locale": "en"})
    ac_en = next(i for i in english.json()["items"] if i["name"] == "Station AC")
    assert "0.36" in ac_en["evses"][0]["connectors"][0]["price"]["text"]
    shop = items["Station SHOP"]
    assert shop["evses"][0]["connectors"][0]["price"] is None
    assert shop["openNow"] in (True, False)
    dc = items["Station DC"]
    assert dc["maxPowerKw"] == 300.0
    assert dc["availableEvseCount"] == 1
    assert [e["statusSource"] for e in dc["evses"]] == ["reported", "reported"]


async def test_bad_queries_are_clear_problems(client: Client) -> None:
    assert problem_fields(await client.get("/v1/stations", params={"lat": 95, "lon": 4})) == {"lat"}
    assert problem_fields(await client.get("/v1/stations", params={"lat": 52})) == {"lon"}
    assert problem_fields(await client.get("/v1/stations")) == {"lat"}
    assert problem_fields(await client.get("/v1/stations", params={"lat": 52, "lon": 4, "radius": 100001})) == {
        "radius"
    }
    assert problem_fields(await client.get("/v1/stations", params={"bbox": "5,53,4,52"})) == {"bbox"}
    assert problem_fields(await client.get("/v1/stations", params={"bbox": "0,40,20,60"})) == {"bbox"}
    assert problem_fields(await client.get("/v1/stations", params={"bbox": "a,b,c"})) == {"bbox"}
    # Decimal degrees as the document's pattern states them, nothing the pattern does not match.
    for outside_the_pattern in ("4e0,52,5,53", " 4,52,5,53", "4,52,5,53\n", "4,52,5,53,", "4,52,5,inf"):
        bad_box = await client.get("/v1/stations", params={"bbox": outside_the_pattern})
        assert problem_fields(bad_box) == {"bbox"}, outside_the_pattern
        bad_clusters = await client.get("/v1/stations/clusters", params={"bbox": outside_the_pattern})
        assert problem_fields(bad_clusters) == {"bbox"}, outside_the_pattern
    assert (await client.get("/v1/stations", params={"bbox": "4.0,52.000,5,53"})).status_code == 200
    unknown = await client.get("/v1/stations", params={"lat": 52, "lon": 4, "colour": "red", "sort": "x"})
    assert problem_fields(unknown) == {"colour", "sort"}
    assert problem_fields(await client.get("/v1/stations", params={"lat": 52, "lon": 4, "standards": "TYPE9"})) == {
        "standards"
    }
    assert problem_fields(await client.get("/v1/stations", params={"lat": 52, "lon": 4, "cursor": "%%%"})) == {"cursor"}
    assert problem_fields(await client.get("/v1/stations", params={"lat": 52, "lon": 4, "limit": 0})) == {"limit"}
    assert problem_fields(
        await client.get("/v1/stations", params={"lat": 52, "lon": 4, "maxPricePerKwh": "cheap"})
    ) == {"maxPricePerKwh"}
    typed = await client.get("/v1/stations", params={"lat": "north", "lon": 4})
    assert typed.status_code == 422
    assert typed.json()["errors"][0]["field"] == "lat"
    assert (await client.get(f"/v1/stations/{uuid.uuid4()}")).status_code == 404
    assert problem_fields(await client.get("/v1/stations/clusters", params={"bbox": "5,53,4,52"})) == {"bbox"}
    # One response holds at most 128 x 128 clusters: the whole world at street level would be millions.
    world = {"bbox": "-180,-90,180,90"}
    assert problem_fields(await client.get("/v1/stations/clusters", params={**world, "zoom": 10})) == {"bbox"}
    assert (await client.get("/v1/stations/clusters", params={**world, "zoom": 5})).status_code == 200


async def test_station_detail_and_clusters(client_factory: ClientFactory, database_url: str) -> None:
    await store(
        database_url,
        [location("A", 52.37, 4.89, kinds=("ac22", "hpc"), opening=SHOP_HOURS), location("B", 48.85, 2.35)],
    )
    client = await client_factory()
    first = (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"][0]
    detail = await client.get(f"/v1/stations/{first['id']}", params={"lat": 52.38, "lon": 4.89})
    body = detail.json()
    assert body["name"] == "Station A"
    assert body["distanceMeters"] == pytest.approx(1111.95, abs=1)
    assert body["openingTimes"]["twentyfourseven"] is False
    assert len(body["openingTimes"]["regularHours"]) == 6
    assert [e["uid"] for e in body["evses"]] == ["A-1", "A-2"]
    assert body["evses"][1]["connectors"][0]["standard"] == "IEC_62196_T2_COMBO"
    assert body["evses"][1]["emi3EvseId"] == "NL*TST*EA2"

    clusters = (await client.get("/v1/stations/clusters", params={"bbox": "-10,35,30,60", "zoom": 4})).json()
    assert sum(c["locations"] for c in clusters["clusters"]) == 2
    assert sum(c["evses"] for c in clusters["clusters"]) == 3
    assert max(c["maxPowerKw"] for c in clusters["clusters"]) == 300.0


async def test_stations_without_a_usable_evse_are_off_the_map_but_counted_by_the_import(
    client_factory: ClientFactory, database_url: str
) -> None:
    engine = create_engine(database_url)
    try:
        report = await store_feed(
            create_session_factory(engine),
            feed(
                [
                    location("TEEEST", 52.3702, 4.8902, kinds=()),  # a test site with no EVSE at all
                    location("GONE", 52.3703, 4.8903, statuses=("REMOVED",)),
                    location("REAL", 52.3704, 4.8904),
                ]
            ),
        )
    finally:
        await engine.dispose()
    assert report.counts.created == 3  # the import report still tells of all three
    client = await client_factory()
    items = (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89, "radius": 5000})).json()["items"]
    assert [item["name"] for item in items] == ["Station REAL"]
    clusters = (await client.get("/v1/stations/clusters", params={"bbox": "4,52,6,53", "zoom": 8})).json()
    assert sum(c["locations"] for c in clusters["clusters"]) == 1
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            hidden = (await session.execute(select(Location.id).where(Location.ocpi_id == "TEEEST"))).scalar_one()
    finally:
        await engine.dispose()
    assert (await client.get(f"/v1/stations/{hidden}")).status_code == 404


async def test_live_status_needs_a_charger_we_can_hear(client_factory: ClientFactory, database_url: str) -> None:
    await store(database_url, [location("LIVE", 52.37, 4.89, kinds=("ac22",))])
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    station_id = uuid.uuid4()
    try:
        async with factory() as session:
            location_id = (await session.execute(Location.__table__.select())).first().id  # type: ignore[union-attr]
            session.add(
                ChargingStation(
                    id=station_id,
                    ocpp_id="CP-1",
                    location_id=location_id,
                    connected=True,
                    last_seen=datetime.now(UTC),
                )
            )
            await session.flush()
            revision = await bump_revision(session)
            await session.execute(update(Evse).values(charging_station_id=station_id, status="AVAILABLE"))
            await session.execute(update(Location).values(revision=revision))
            await session.commit()
        client = await client_factory(heartbeat_window_seconds=60)
        evse = (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"][0]["evses"][0]
        assert (evse["status"], evse["statusSource"]) == ("AVAILABLE", "live")

        async with factory() as session:
            revision = await bump_revision(session)
            await session.execute(update(ChargingStation).values(last_seen=datetime.now(UTC) - timedelta(minutes=5)))
            await session.execute(update(Location).values(revision=revision))
            await session.commit()
        silent = await client_factory(heartbeat_window_seconds=60)
        item = (await silent.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"][0]
        assert (item["evses"][0]["status"], item["evses"][0]["statusSource"]) == ("UNKNOWN", "offline")
        assert item["availableEvseCount"] == 0
        assert await station_ids(silent, lat=52.37, lon=4.89, availableNow="true") == []

        async with factory() as session:
            revision = await bump_revision(session)
            await session.execute(update(ChargingStation).values(connected=False, last_seen=datetime.now(UTC)))
            await session.execute(update(Location).values(revision=revision))
            await session.commit()
        closed = await client_factory(heartbeat_window_seconds=60)
        item = (await closed.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"][0]
        assert item["evses"][0]["statusSource"] == "offline"
    finally:
        await engine.dispose()


async def test_writes_from_elsewhere_reach_a_running_server_within_a_second(
    client_factory: ClientFactory, database_url: str
) -> None:
    client = await client_factory(catalog_poll_seconds=0.2)
    assert await station_ids(client, lat=52.37, lon=4.89) == []
    await store(database_url, [location("NEW", 52.37, 4.89)])  # as `voltway import` in another process would
    deadline = asyncio.get_running_loop().time() + 1.0
    while not await station_ids(client, lat=52.37, lon=4.89):
        assert asyncio.get_running_loop().time() < deadline, "the import did not show within one second"
        await asyncio.sleep(0.05)

    moved = location("NEW", 52.37, 4.89, kinds=("hpc",))
    await store(database_url, [moved])
    while (await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89})).json()["items"][0][
        "maxPowerKw"
    ] != 300.0:
        assert asyncio.get_running_loop().time() < deadline + 1.0, "the update did not show within one second"
        await asyncio.sleep(0.05)
