"""A registered partner reads our locations and tariffs through OCPI 2.2.1, on SQLite and PostgreSQL: pages with
filters, sub-object routes, unknown ids, only our own party's locations, unpublished ones with their publish
tokens; and the open data feed (off by default, published locations only, ETag, rate limit)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from ocpi_types import v2_2_1 as ocpi
from sqlalchemy import update

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, Evse, Location
from api.domain.ocpi.schemas import format_datetime
from api.domain.stations.records import LocationRecord, PublishToken
from api.domain.stations.tariffs import TariffImportReport, TariffStore, parse_tariff
from tests.integration.conftest import ClientFactory
from tests.integration.stations_data import T0, location, tariff_document
from tests.integration.stations_data import store as store_network
from tests.ocpi_fake_emsp import FakeEmsp, RegisteredPartner, ocpi_headers, register_fake_emsp
from tests.ocpi_spec import problems

Client = AsyncTestClient[Litestar]
OURS = ("NL", "VWY")  # the test settings' VOLTWAY_OCPI_COUNTRY_CODE / _PARTY_ID
LOCATIONS = "/ocpi/cpo/2.2.1/locations"
OPEN_LOCATIONS = "/ocpi/open-data/2.2.1/locations"
OPEN_TARIFFS = "/ocpi/open-data/2.2.1/tariffs"
HIDDEN_TOKENS = (PublishToken(visual_number="12345-67", issuer="NewMotion"), PublishToken(uid="04A1B2C3", type="RFID"))


def ours(ocpi_id: str, **options: Any) -> LocationRecord:
    return location(ocpi_id, 52.37, 4.89, party=OURS, **options)


def at(record: LocationRecord, moment: datetime) -> LocationRecord:
    """The record with every timestamp (its own, its EVSEs', its connectors') at `moment`."""
    evses = tuple(
        msgspec.structs.replace(
            evse,
            last_updated=moment,
            connectors=tuple(msgspec.structs.replace(c, last_updated=moment) for c in evse.connectors),
        )
        for evse in record.evses
    )
    return msgspec.structs.replace(record, last_updated=moment, evses=evses)


async def store(database_url: str, records: list[LocationRecord], tariffs: Sequence[dict[str, object]] = ()) -> None:
    """Our own network (the party the test settings publish as)."""
    await store_network(database_url, records, tariffs, party=OURS)


async def partner(client: Client, fake_emsp: FakeEmsp, database_url: str) -> dict[str, str]:
    registered: RegisteredPartner = await register_fake_emsp(client, fake_emsp, database_url)
    return ocpi_headers(registered.token)


async def crawl(client: Client, headers: dict[str, str], url: str) -> tuple[list[dict[str, Any]], list[httpx.Response]]:
    """Every page from `url` on, following Link; returns the objects and the pages' responses."""
    items: list[dict[str, Any]] = []
    pages: list[httpx.Response] = []
    next_url: str | None = url
    while next_url is not None:
        response = await client.get(next_url, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["status_code"] == 1000
        pages.append(response)
        items.extend(response.json()["data"])
        link = response.headers.get("link")
        next_url = None
        if link:
            target = httpx.URL(link.split(";")[0].strip("<> "))
            next_url = f"{target.path}?{target.query.decode()}"
    return items, pages


async def test_pages_carry_the_filters_and_only_our_own_locations(
    client: Client, fake_emsp: FakeEmsp, database_url: str
) -> None:
    old, new = T0, T0 + timedelta(days=10)
    records = [at(ours(f"L{index:02d}"), old if index < 4 else new) for index in range(9)]
    imported = [location(f"X{index}", 52.0, 5.0, party=("DE", "ABC")) for index in range(3)]  # another party's feed
    await store(database_url, [*records, *imported])
    headers = await partner(client, fake_emsp, database_url)

    everything, pages = await crawl(client, headers, f"{LOCATIONS}?limit=4")
    assert [item["id"] for item in everything] == [f"L{index:02d}" for index in range(9)]
    assert [len(page.json()["data"]) for page in pages] == [4, 4, 1]
    assert {page.headers["x-total-count"] for page in pages} == {"9"}
    assert {page.headers["x-limit"] for page in pages} == {"4"}
    assert "link" not in pages[-1].headers
    for item in everything:
        assert problems(item, "Location") == []
        ocpi.Location.from_dict(item)
        assert (item["country_code"], item["party_id"]) == OURS

    since = format_datetime(new)
    recent, pages = await crawl(client, headers, f"{LOCATIONS}?limit=2&date_from={since}")
    assert [item["id"] for item in recent] == [f"L{index:02d}" for index in range(4, 9)]
    assert f"date_from={since.replace(':', '%3A')}" in pages[0].headers["link"]
    assert pages[0].headers["x-total-count"] == "5"
    before, _ = await crawl(client, headers, f"{LOCATIONS}?date_to={since}")
    assert [item["id"] for item in before] == [f"L{index:02d}" for index in range(4)]


async def test_sub_objects_and_unknown_ids(client: Client, fake_emsp: FakeEmsp, database_url: str) -> None:
    await store(database_url, [ours("A1", kinds=("ac22", "dc50"), tariff="T1")])
    headers = await partner(client, fake_emsp, database_url)

    found = await client.get(f"{LOCATIONS}/A1", headers=headers)
    assert found.status_code == 200
    location_json = found.json()["data"]
    assert problems(location_json, "Location") == []
    assert [evse["uid"] for evse in location_json["evses"]] == ["A1-1", "A1-2"]

    evse = await client.get(f"{LOCATIONS}/A1/A1-2", headers=headers)
    assert evse.json()["data"] == location_json["evses"][1]
    assert problems(evse.json()["data"], "EVSE") == []
    connector = await client.get(f"{LOCATIONS}/A1/A1-2/1", headers=headers)
    assert connector.json()["data"] == location_json["evses"][1]["connectors"][0]
    assert connector.json()["data"]["tariff_ids"] == ["T1"]
    assert problems(connector.json()["data"], "Connector") == []

    for path in (f"{LOCATIONS}/NOPE", f"{LOCATIONS}/A1/NOPE", f"{LOCATIONS}/A1/A1-2/9"):
        missing = await client.get(path, headers=headers)
        assert missing.status_code == 404, path
        assert missing.json()["status_code"] == 2003
        assert "data" not in missing.json()


async def test_another_partys_imported_location_is_unknown_by_id(
    client: Client, fake_emsp: FakeEmsp, database_url: str
) -> None:
    await store(database_url, [location("X1", 52.0, 5.0, party=("DE", "ABC"))])
    headers = await partner(client, fake_emsp, database_url)
    answer = await client.get(f"{LOCATIONS}/X1", headers=headers)
    assert (answer.status_code, answer.json()["status_code"]) == (404, 2003)
    listed = await client.get(LOCATIONS, headers=headers)
    assert (listed.json()["data"], listed.headers["x-total-count"]) == ([], "0")


async def test_unpublished_locations_go_to_partners_with_their_tokens_and_nowhere_else(
    client_factory: ClientFactory, fake_emsp: FakeEmsp, database_url: str
) -> None:
    hidden = msgspec.structs.replace(ours("H1"), publish=False, publish_allowed_to=HIDDEN_TOKENS)
    await store(database_url, [hidden, ours("P1")])
    client = await client_factory(open_data_feed=True)
    headers = await partner(client, fake_emsp, database_url)

    sent = {item["id"]: item for item in (await crawl(client, headers, LOCATIONS))[0]}
    assert sent["H1"]["publish"] is False
    assert sent["H1"]["publish_allowed_to"] == [
        {"visual_number": "12345-67", "issuer": "NewMotion"},
        {"uid": "04A1B2C3", "type": "RFID"},
    ]
    assert problems(sent["H1"], "Location") == []
    assert sent["P1"]["publish"] is True
    assert "publish_allowed_to" not in sent["P1"]

    open_data = await client.get(OPEN_LOCATIONS)
    assert [item["id"] for item in open_data.json()["data"]] == ["P1"]
    near = await client.get("/v1/stations", params={"lat": 52.37, "lon": 4.89, "radius": 1000})
    assert near.status_code == 200, near.text
    assert [item["name"] for item in near.json()["items"]] == ["Station P1"]  # the driver map leaves H1 out


async def test_live_status_of_our_chargers_and_parents_following_children(
    client: Client, fake_emsp: FakeEmsp, database_url: str
) -> None:
    now = datetime.now(UTC)
    earlier = (now - timedelta(days=1)).replace(microsecond=0)  # relative to now: the clock may be anywhere
    await store(database_url, [at(ours("C1", kinds=("ac22", "ac22")), earlier)])
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            location_id = (await session.execute(Location.__table__.select())).first().id  # type: ignore[union-attr]
            online = ChargingStation(ocpp_id="CP-ON", location_id=location_id, connected=True, last_seen=now)
            offline = ChargingStation(ocpp_id="CP-OFF", location_id=location_id, connected=False, last_seen=now)
            session.add_all([online, offline])
            await session.flush()
            await session.execute(
                update(Evse).where(Evse.uid == "C1-1").values(charging_station_id=online.id, status="CHARGING")
            )
            await session.execute(
                update(Evse)
                .where(Evse.uid == "C1-2")
                .values(charging_station_id=offline.id, status="AVAILABLE", last_updated=now)
            )
            await session.commit()
    finally:
        await engine.dispose()
    headers = await partner(client, fake_emsp, database_url)
    sent = (await client.get(f"{LOCATIONS}/C1", headers=headers)).json()["data"]
    assert [evse["status"] for evse in sent["evses"]] == ["CHARGING", "UNKNOWN"]
    assert sent["last_updated"] == sent["evses"][1]["last_updated"] == format_datetime(now)
    assert sent["evses"][0]["last_updated"] == format_datetime(earlier)


async def test_tariffs_are_ours_paged_with_alt_texts(client: Client, fake_emsp: FakeEmsp, database_url: str) -> None:
    documents = [{**tariff_document(f"T{index}", "0.30"), "party_id": "VWY"} for index in range(3)]
    await store(database_url, [], documents)
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            foreign = parse_tariff(msgspec.json.encode(tariff_document("F1", "0.50")), country_code="DE", party_id="X")
            await TariffStore("DE", "ABC").save(
                session, [msgspec.structs.replace(foreign, country_code="DE", party_id="ABC")], TariffImportReport()
            )
            await session.commit()
    finally:
        await engine.dispose()
    headers = await partner(client, fake_emsp, database_url)
    items, pages = await crawl(client, headers, "/ocpi/cpo/2.2.1/tariffs?limit=2")
    assert [item["id"] for item in items] == ["T0", "T1", "T2"]
    assert len(pages) == 2
    for item in items:
        assert problems(item, "Tariff") == []
        ocpi.Tariff.from_dict(item)
        assert {text["language"] for text in item["tariff_alt_text"]} == {"en", "de", "fr", "es", "nl"}
        assert item["elements"][0]["price_components"][0]["price"] == 0.3  # a JSON number, as OCPI wants


async def test_open_data_feed_is_off_by_default(client: Client, database_url: str) -> None:
    await store(database_url, [ours("P1")])
    for path in (OPEN_LOCATIONS, OPEN_TARIFFS):
        answer = await client.get(path)
        assert answer.status_code == 404
        assert answer.json()["status_code"] == 2000


async def test_open_data_feed_is_cacheable_and_rate_limited(client_factory: ClientFactory, database_url: str) -> None:
    tariff = {**tariff_document("T1", "0.30"), "party_id": "VWY"}
    await store(database_url, [ours(f"P{index}") for index in range(3)], [tariff])
    client = await client_factory(open_data_feed=True, open_data_requests_per_minute=4, open_data_max_age_seconds=120)

    first = await client.get(OPEN_LOCATIONS, params={"limit": 2})
    assert first.status_code == 200
    assert first.headers["cache-control"] == "public, max-age=120"
    assert first.headers["x-total-count"] == "3"
    assert "limit=2" in first.headers["link"]
    etag = first.headers["etag"]
    for item in first.json()["data"]:
        assert problems(item, "Location") == []
    again = await client.get(OPEN_LOCATIONS, params={"limit": 2}, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other_page = await client.get(OPEN_LOCATIONS, params={"limit": 2, "offset": 2}, headers={"If-None-Match": etag})
    assert other_page.status_code == 200
    assert other_page.headers["etag"] != etag
    tariffs = await client.get(OPEN_TARIFFS)
    assert tariffs.status_code == 200
    assert [item["id"] for item in tariffs.json()["data"]] == ["T1"]
    assert problems(tariffs.json()["data"][0], "Tariff") == []

    limited = await client.get(OPEN_LOCATIONS)  # the fifth request from this address within the minute
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["status_code"] == 2000


@pytest.mark.parametrize("query", ["limit=-1", "offset=x", "date_from=yesterday"])
async def test_bad_paging_parameters_get_2001(
    client: Client, fake_emsp: FakeEmsp, database_url: str, query: str
) -> None:
    headers = await partner(client, fake_emsp, database_url)
    answer = await client.get(f"{LOCATIONS}?{query}", headers=headers)
    assert answer.status_code == 400
    assert answer.json()["status_code"] == 2001


async def test_a_location_is_as_new_as_its_newest_connector_in_the_date_filters(
    client: Client, fake_emsp: FakeEmsp, database_url: str
) -> None:
    record = at(ours("N1", kinds=("ac22", "dc50")), T0)
    newer = T0 + timedelta(days=3)
    evse = record.evses[1]
    touched = msgspec.structs.replace(
        evse, connectors=(msgspec.structs.replace(evse.connectors[0], last_updated=newer),)
    )
    await store(database_url, [msgspec.structs.replace(record, evses=(record.evses[0], touched))])
    headers = await partner(client, fake_emsp, database_url)

    found, _ = await crawl(client, headers, f"{LOCATIONS}?date_from={format_datetime(newer)}")
    assert [item["id"] for item in found] == ["N1"]
    assert found[0]["last_updated"] == found[0]["evses"][1]["last_updated"] == format_datetime(newer)
    assert found[0]["evses"][0]["last_updated"] == format_datetime(T0)

    # the feed drops an EVSE: it is sent as REMOVED, and the location moves to now in the filters
    before = datetime.now(UTC).replace(microsecond=0)
    await store(database_url, [msgspec.structs.replace(record, evses=(record.evses[0],))])
    found, _ = await crawl(client, headers, f"{LOCATIONS}?date_from={format_datetime(before)}")
    assert [item["id"] for item in found] == ["N1"]
    assert [evse["status"] for evse in found[0]["evses"]] == ["AVAILABLE", "REMOVED"]
