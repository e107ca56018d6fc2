"""Our locations' stored OCPI documents, on SQLite and PostgreSQL: a crawl served from them says exactly what
building each location on the spot says; any edit (through any write path, the database's triggers see them all)
is sent at once and its document rebuilt; live status, a charger going silent and locations added or removed show
on the next page without a rebuild."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, TypeVar

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.engine import create_engine, create_session_factory
from api.db.models import ChargingStation, Connector, Evse, Location, OcpiLocationDocument
from api.domain.ocpi.location_queries import LocationScope, refresh_location_documents
from api.domain.ocpi.schemas import format_datetime
from api.domain.stations.records import PublishToken
from tests.integration.conftest import ClientFactory
from tests.integration.test_ocpi_locations import LOCATIONS, OURS, at, crawl, ours, partner, store
from tests.ocpi_fake_emsp import FakeEmsp

Client = AsyncTestClient[Litestar]
SCOPE = LocationScope(country_code=OURS[0], party_id=OURS[1])
Result = TypeVar("Result")


@pytest.fixture
async def client(client_factory: ClientFactory) -> Client:
    """The app without its own document upkeep: these tests store documents when they choose."""
    return await client_factory(ocpi_document_refresh_seconds=0)


async def in_database(database_url: str, work: Callable[[AsyncSession], Awaitable[Result]]) -> Result:
    """`work` in one committed transaction of its own."""
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session:
            result = await work(session)
            await session.commit()
            return result
    finally:
        await engine.dispose()


async def refresh(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        return await refresh_location_documents(create_session_factory(engine), SCOPE)
    finally:
        await engine.dispose()


async def current_documents(database_url: str) -> int:
    """How many of our locations have a document built from what they are now."""

    async def count(session: AsyncSession) -> int:
        found = await session.scalar(
            select(func.count())
            .select_from(Location)
            .join(OcpiLocationDocument, OcpiLocationDocument.location_id == Location.id)
            .where(
                OcpiLocationDocument.content_version == Location.ocpi_content_version,
                func.length(OcpiLocationDocument.body) > 0,
            )
        )
        return int(found or 0)

    return await in_database(database_url, count)


async def location_id(session: AsyncSession, ocpi_id: str) -> uuid.UUID:
    found = await session.scalar(select(Location.id).where(Location.ocpi_id == ocpi_id))
    assert found is not None
    return found


async def evse_id(session: AsyncSession, uid: str) -> uuid.UUID:
    found = await session.scalar(select(Evse.id).where(Evse.uid == uid))
    assert found is not None
    return found


async def by_id(client: Client, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    items, _ = await crawl(client, headers, f"{LOCATIONS}?limit=2")
    return {item["id"]: item for item in items}


async def a_varied_network(database_url: str) -> datetime:
    """Locations of every shape a document must carry: several EVSEs and kinds, unpublished with tokens, our own
    chargers online, offline and silent, an EVSE without connectors; returns when it was stored."""
    now = datetime.now(UTC)
    earlier = (now - timedelta(days=2)).replace(microsecond=0)  # relative to now: the clock may be anywhere
    hidden = (PublishToken(visual_number="4411-22", issuer="Roamy"), PublishToken(uid="04ABCDEF", type="RFID"))
    await store(
        database_url,
        [
            at(ours("A1", kinds=("ac22", "dc50", "ac22")), earlier),
            at(ours("A2", kinds=("hpc",), statuses=("CHARGING",)), earlier),
            at(msgspec.structs.replace(ours("A3"), publish=False, publish_allowed_to=hidden), earlier),
            at(ours("A4", kinds=("ac22", "ac22")), earlier),
            at(ours("A5 100%"), earlier),  # a '%' in the text must survive the document's formatting
        ],
    )

    async def chargers(session: AsyncSession) -> None:
        site = await location_id(session, "A4")
        online = ChargingStation(ocpp_id="DOC-ON", location_id=site, connected=True, last_seen=now)
        silent = ChargingStation(
            ocpp_id="DOC-SILENT", location_id=site, connected=True, last_seen=now - timedelta(days=1)
        )
        session.add_all([online, silent])
        await session.flush()
        await session.execute(update(Evse).where(Evse.uid == "A4-1").values(charging_station_id=online.id))
        await session.execute(update(Evse).where(Evse.uid == "A4-2").values(charging_station_id=silent.id))
        # an EVSE whose connectors were all removed: left out of its location, its stamp still counts
        await session.execute(delete(Connector).where(Connector.evse_id == await evse_id(session, "A1-3")))

    await in_database(database_url, chargers)
    return now


class Stored(NamedTuple):
    headers: dict[str, str]  # a registered partner's
    now: datetime  # when the network was stored


@pytest.fixture
async def stored(client: Client, fake_emsp: FakeEmsp, database_url: str) -> Stored:
    """The varied network, a registered partner, and every location's document stored."""
    now = await a_varied_network(database_url)
    headers = await partner(client, fake_emsp, database_url)
    await refresh(database_url)
    return Stored(headers, now)


async def test_a_crawl_from_stored_documents_says_what_building_on_the_spot_says(
    client: Client, stored: Stored, database_url: str
) -> None:
    headers = stored.headers
    assert await current_documents(database_url) == 5

    crawled = await by_id(client, headers)
    assert sorted(crawled) == ["A1", "A2", "A3", "A4", "A5 100%"]
    for ocpi_id, item in crawled.items():
        # the single-location route always builds the object from its rows
        built = (await client.get(f"{LOCATIONS}/{ocpi_id}", headers=headers)).json()["data"]
        assert item == built, ocpi_id
    assert [evse["uid"] for evse in crawled["A1"]["evses"]] == ["A1-1", "A1-2"]
    assert [evse["status"] for evse in crawled["A4"]["evses"]] == ["AVAILABLE", "UNKNOWN"]
    assert crawled["A2"]["evses"][0]["status"] == "CHARGING"
    assert crawled["A3"]["publish"] is False
    assert [token.get("issuer") for token in crawled["A3"]["publish_allowed_to"]] == ["Roamy", None]
    assert crawled["A5 100%"]["name"] == "Station A5 100%"

    # the crawl really is served from the documents: a document changed behind the database's back shows
    async def tamper(session: AsyncSession) -> None:
        site = await location_id(session, "A2")
        body = await session.scalar(select(OcpiLocationDocument.body).where(OcpiLocationDocument.location_id == site))
        assert body is not None
        assert b"Station A2" in body
        await session.execute(
            update(OcpiLocationDocument)
            .where(OcpiLocationDocument.location_id == site)
            .values(body=body.replace(b"Station A2", b"Station Z2"))
        )

    await in_database(database_url, tamper)
    assert (await by_id(client, headers))["A2"]["name"] == "Station Z2"


async def test_every_edit_is_sent_at_once_and_its_document_rebuilt(
    client: Client, stored: Stored, database_url: str
) -> None:
    headers = stored.headers

    async def edit(session: AsyncSession) -> None:
        await session.execute(update(Location).where(Location.ocpi_id == "A2").values(name="Harbour Hub"))
        await session.execute(update(Evse).where(Evse.uid == "A1-1").values(physical_reference="Bay 7"))
        await session.execute(
            update(Connector).where(Connector.evse_id == await evse_id(session, "A4-1")).values(max_electric_power=7400)
        )
        await session.execute(delete(Evse).where(Evse.uid == "A1-2"))
        extra = Evse(location_id=await location_id(session, "A5 100%"), uid="A5-NEW", status="AVAILABLE")
        session.add(extra)
        await session.flush()
        session.add(
            Connector(
                evse_id=extra.id,
                connector_id="1",
                standard="IEC_62196_T2",
                format="SOCKET",
                power_type="AC_3_PHASE",
                max_voltage=230,
                max_amperage=32,
                max_electric_power=22080,
            )
        )

    await in_database(database_url, edit)
    assert await current_documents(database_url) == 1  # only A3 was left alone

    for when in ("before", "after"):  # the rebuild by the upkeep changes nothing a partner sees
        crawled = await by_id(client, headers)
        assert crawled["A2"]["name"] == "Harbour Hub", when
        assert [evse["uid"] for evse in crawled["A1"]["evses"]] == ["A1-1"], when
        assert crawled["A1"]["evses"][0]["physical_reference"] == "Bay 7", when
        assert crawled["A4"]["evses"][0]["connectors"][0]["max_electric_power"] == 7400, when
        assert [evse["uid"] for evse in crawled["A5 100%"]["evses"]] == ["A5 100%-1", "A5-NEW"], when
        assert crawled["A5 100%"]["evses"][1]["connectors"][0]["power_type"] == "AC_3_PHASE", when
        if when == "before":
            assert await refresh(database_url) == 4
            assert await current_documents(database_url) == 5


async def test_live_status_and_silent_chargers_fill_the_stored_documents(
    client: Client, stored: Stored, database_url: str
) -> None:
    headers, now = stored.headers, stored.now
    later = (now + timedelta(minutes=3)).replace(microsecond=0)

    async def statuses(session: AsyncSession) -> None:
        # what the live writer does for a StatusNotification: the EVSE's status and stamp, and its location's
        await session.execute(update(Evse).where(Evse.uid == "A2-1").values(status="AVAILABLE", last_updated=later))
        await session.execute(update(Location).where(Location.ocpi_id == "A2").values(last_updated=later))
        # the charger of A4-1 falls silent, the one of A4-2 is heard from again
        await session.execute(
            update(ChargingStation)
            .where(ChargingStation.ocpp_id == "DOC-ON")
            .values(last_seen=now - timedelta(hours=3))
        )
        await session.execute(
            update(ChargingStation).where(ChargingStation.ocpp_id == "DOC-SILENT").values(last_seen=later)
        )
        await session.execute(update(Evse).where(Evse.uid == "A1-1").values(status="OUTOFORDER"))

    await in_database(database_url, statuses)
    assert await current_documents(database_url) == 5  # nothing to rebuild: status is filled in live

    crawled = await by_id(client, headers)
    assert crawled["A2"]["evses"][0]["status"] == "AVAILABLE"
    assert crawled["A2"]["evses"][0]["last_updated"] == crawled["A2"]["last_updated"] == format_datetime(later)
    assert [evse["status"] for evse in crawled["A4"]["evses"]] == ["UNKNOWN", "AVAILABLE"]
    assert crawled["A1"]["evses"][0]["status"] == "OUTOFORDER"
    for ocpi_id, item in crawled.items():
        built = (await client.get(f"{LOCATIONS}/{ocpi_id}", headers=headers)).json()["data"]
        assert item == built, ocpi_id


async def test_totals_and_offsets_follow_locations_added_and_removed(
    client: Client, stored: Stored, database_url: str
) -> None:
    headers = stored.headers
    first = await client.get(f"{LOCATIONS}?limit=2&offset=2", headers=headers)
    assert first.headers["x-total-count"] == "5"
    assert [item["id"] for item in first.json()["data"]] == ["A3", "A4"]

    await store(database_url, [ours("A0")])  # sorts first: every later offset moves on by one
    after_adding = await client.get(f"{LOCATIONS}?limit=2&offset=2", headers=headers)
    assert after_adding.headers["x-total-count"] == "6"
    assert [item["id"] for item in after_adding.json()["data"]] == ["A2", "A3"]

    async def remove(session: AsyncSession) -> None:
        await session.execute(delete(Location).where(Location.ocpi_id.in_(["A0", "A1"])))

    await in_database(database_url, remove)
    after_removing = await client.get(f"{LOCATIONS}?limit=2&offset=2", headers=headers)
    assert after_removing.headers["x-total-count"] == "4"
    assert [item["id"] for item in after_removing.json()["data"]] == ["A4", "A5 100%"]
    assert "link" not in after_removing.headers
