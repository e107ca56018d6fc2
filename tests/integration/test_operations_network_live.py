"""The network view live: a charger's connection, an EVSE's status and a session's meter reach the operators
watching their sites, from any process, and never an operator of another region. The app with its OCPP bridge on
free ports and scripted chargers over real websockets; SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from api.domain.chargers.live_writer import StoredLink, StoredStatus
from api.domain.operations.network.feed import NetworkFeed
from api.domain.operations.scope import SiteScope
from api.domain.sessions.updates import SessionUpdates
from tests.faults.charger import ScriptedCharger
from tests.integration.network_sites import SECRET, build_sites, operators
from tests.integration.support_desk import EventReader
from tests.integration.test_sessions import served_app


@contextlib.asynccontextmanager
async def watching(client: httpx.AsyncClient, base: str, headers: dict[str, str]) -> AsyncIterator[EventReader]:
    async with client.stream("GET", f"{base}/v1/admin/network/events", headers=headers) as response:
        assert response.status_code == 200
        reader = EventReader(response)
        await reader.listening()
        yield reader


async def _next_about(reader: EventReader, kind: str, **expected: Any) -> dict[str, Any]:
    """The next event of `kind` whose data has the `expected` values, skipping others (earlier reports)."""
    while True:
        event, data = await reader.next()
        if event == kind and all(data.get(key) == value for key, value in expected.items()):
            return data


async def test_status_changes_reach_the_operator_of_the_region_and_not_the_other(database_url: str) -> None:
    sites = await build_sites(database_url)
    async with served_app(database_url) as (_, base, ocpp_url), httpx.AsyncClient(base_url=base, timeout=30) as client:
        headers = await operators(client, database_url, sites)
        north_charger, south_charger = ScriptedCharger("NET-N2", SECRET), ScriptedCharger("NET-S1", SECRET)
        async with watching(client, base, headers["north"]) as north, watching(client, base, headers["south"]) as south:
            await north_charger.connect(ocpp_url)  # NET-N2 was offline: it connects, boots, reports Available
            link = await _next_about(north, "charger", chargerId="NET-N2")
            assert link["connected"] is True
            assert link["heldBy"]
            assert link["locationId"] == str(sites.locations["NET-N2"])
            evse_id = str(sites.evses["NET-N2"][0])  # it reports Available, as stored: no news of the EVSE

            await north_charger.call(
                "StatusNotification",
                {
                    "connectorId": 1,
                    "errorCode": "GroundFailure",
                    "status": "Faulted",
                    "timestamp": datetime.now(UTC).isoformat(),
                },
            )
            fault = await _next_about(north, "evse", evseId=evse_id, ocpiStatus="OUTOFORDER")
            assert (fault["ocppStatus"], fault["errorCode"]) == ("Faulted", "GroundFailure")
            view = (await client.get("/v1/admin/network", params={"q": "NET-N2"}, headers=headers["north"])).json()
            assert view["locations"][0]["chargers"][0]["status"] == "faulted"  # the event said what is stored

            await north_charger.close()
            gone = await _next_about(north, "charger", chargerId="NET-N2")
            assert (gone["connected"], gone["heldBy"]) == (False, None)

            # the South operator heard nothing of NET-N2: the first thing they hear is their own charger
            await south_charger.connect(ocpp_url)
            first_event, first = await south.next()
            assert (first_event, first["locationId"]) == ("charger", str(sites.locations["NET-S1"]))
            await south_charger.close()


async def _until_listening(*feeds: NetworkFeed | SessionUpdates) -> None:
    for _ in range(200):
        if all(feed.listening for feed in feeds):
            return
        await asyncio.sleep(0.05)


async def test_meter_progress_and_statuses_cross_processes_only_to_the_scope_that_allows_them(
    database_url: str,
) -> None:
    """Two processes (on PostgreSQL; one on SQLite): what one process's bridge stored and its session updates
    reach the other's subscribers whose scope includes the location."""
    here_updates, there_updates = SessionUpdates(database_url), SessionUpdates(database_url)
    here, there = NetworkFeed(database_url), NetworkFeed(database_url)
    relayed = database_url.startswith("postgresql")
    if not relayed:  # one process: the watchers are on the publishing one
        there_updates, there = here_updates, here
    for updates, feed in {(here_updates, here), (there_updates, there)}:
        updates.taps.append(feed.session_update)
        await updates.start()
        await feed.start()
    try:
        await _until_listening(here, there, here_updates, there_updates)
        north_site, south_site = uuid.uuid4(), uuid.uuid4()
        north_scope = SiteScope(everything=False, location_ids=frozenset({north_site}))
        south_scope = SiteScope(everything=False, location_ids=frozenset({south_site}))
        async with there.subscribe(north_scope) as north, there.subscribe(south_scope) as south:
            now = datetime.now(UTC)
            evse_id = uuid.uuid4()
            here.stored(
                [StoredLink("NORTH-1", north_site, True, "proc-a", now, "2.0.1")],
                [StoredStatus(evse_id, north_site, "CHARGING", "Occupied", None, now)],
            )
            session_id = uuid.uuid4()
            update = {
                "id": str(session_id),
                "status": "charging",
                "source": "rfid",
                "locationId": str(north_site),
                "evseUid": "NORTH-1-1",
                "connectorId": 1,
                "energyKwh": "1.5",
                "powerKw": "11.2",
                "elapsedSeconds": 600,
                "startedAt": (now - timedelta(minutes=10)).isoformat(),
            }
            here_updates.publish(session_id, msgspec.json.encode(update))
            update |= {"energyKwh": "1.7"}
            here_updates.publish(session_id, msgspec.json.encode(update))  # the newer meter reading wins

            events: dict[str, dict[str, Any]] = {}
            while len(events) < 3:
                batch = await asyncio.wait_for(north.take(), 5)
                assert batch is not None
                events.update({event.kind: msgspec.json.decode(event.data) for event in batch})
            assert events["charger"]["connected"] is True
            assert (events["evse"]["evseId"], events["evse"]["ocpiStatus"]) == (str(evse_id), "CHARGING")
            progress = events["session"]
            assert (progress["evseUid"], progress["authMethod"], progress["final"]) == ("NORTH-1-1", "rfid", False)
            assert (progress["energyKwh"], progress["powerKw"], progress["durationSeconds"]) == ("1.7", "11.2", 600)

            here_updates.publish(session_id, msgspec.json.encode(update | {"status": "completed"}), final=True)
            ended = await asyncio.wait_for(north.take(), 5)
            assert ended is not None
            assert [msgspec.json.decode(event.data)["final"] for event in ended] == [True]
            # the South operator's queue never got any of it
            assert len(south) == 0
    finally:
        for updates, feed in {(here_updates, here), (there_updates, there)}:
            await feed.stop()
            await updates.stop()
