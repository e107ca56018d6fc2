"""Clusters and searches cost what the stations in view cost, never the area of the map they cover."""

from __future__ import annotations

import math
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from api.domain.stations.catalog import (
    ConnectorEntry,
    EvseEntry,
    LocationEntry,
    StationCatalog,
    StationLink,
    location_entry,
)
from api.domain.stations.clusters import cluster_degrees
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.search import Availability, Box, StationFilters, StationQuery
from api.domain.stations.services import StationService
from api.domain.stations.worker import MapWorker

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
OUR_CHARGER = uuid.UUID(int=7)


def _evse(uid: str, status: str, station: uuid.UUID | None = None, power: int = 22_000) -> EvseEntry:
    connector = ConnectorEntry(
        connector_id="1",
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        max_voltage=400,
        max_amperage=32,
        max_electric_power=power,
        tariff_ids=(),
        last_updated=NOW,
    )
    return EvseEntry(
        id=uuid.uuid4(),
        uid=uid,
        emi3_evse_id=None,
        status=status,
        status_source="feed",
        status_updated_at=NOW,
        capabilities=(),
        physical_reference=None,
        floor_level=None,
        charging_station_id=station,
        connectors=(connector,),
        last_updated=NOW,
    )


def _location(latitude: float, longitude: float, evses: tuple[EvseEntry, ...]) -> LocationEntry:
    return location_entry(
        location_id=uuid.uuid4(),
        country_code="NL",
        party_id="TST",
        ocpi_id=str(uuid.uuid4()),
        name=None,
        address="Street 1",
        city="Testville",
        postal_code=None,
        state=None,
        country="NLD",
        latitude=latitude,
        longitude=longitude,
        time_zone="UTC",
        operator_name=None,
        parking_type=None,
        facilities=(),
        opening_times=None,
        publish=True,
        evses=evses,
        last_updated=NOW,
        revision=1,
    )


def _service(locations: list[LocationEntry]) -> StationService:
    catalog = StationCatalog()
    for entry in locations:
        catalog.put(entry)
    catalog.put_station(OUR_CHARGER, StationLink(ocpp_id="CP1", connected=True, last_seen=NOW))
    return StationService(catalog, Availability(timedelta(minutes=10)), TariffPricing(TariffBook()))


def _world(count: int, seed: int) -> list[LocationEntry]:
    rng = random.Random(seed)
    statuses = ("AVAILABLE", "CHARGING", "REMOVED", "OUTOFORDER")
    return [
        _location(
            round(rng.uniform(-89.9, 89.9), 5),
            round(rng.uniform(-179.9, 179.9), 5),
            (
                _evse("A", "AVAILABLE", power=rng.choice((11_000, 50_000, 300_000))),
                _evse("B", rng.choice(statuses), OUR_CHARGER if index % 3 == 0 else None),
            ),
        )
        for index in range(count)
    ]


def _expected(locations: list[LocationEntry], box: Box, zoom: int) -> list[tuple[float, float, int, int, int, float]]:
    """The clusters counted one location at a time, the obvious way."""
    size = cluster_degrees(zoom)
    groups: dict[tuple[int, int], list[LocationEntry]] = {}
    for loc in locations:
        if box.contains(loc.latitude, loc.longitude):
            groups.setdefault((math.floor(loc.latitude / size), math.floor(loc.longitude / size)), []).append(loc)
    result = []
    for key in sorted(groups):
        members = groups[key]
        usable = [e for loc in members for e in loc.evses if e.status != "REMOVED"]
        result.append(
            (
                round(sum(loc.latitude for loc in members) / len(members), 6),
                round(sum(loc.longitude for loc in members) / len(members), 6),
                len(members),
                len(usable),
                sum(1 for e in usable if e.status == "AVAILABLE"),
                max(loc.max_power_w or 0 for loc in members) / 1000,
            )
        )
    return result


def test_world_clusters_at_zoom_0_visit_only_the_cells_that_hold_stations() -> None:
    service = _service([_location(52.37, 4.89, (_evse("A", "AVAILABLE"),)), _location(40.7, -74.0, ())])
    service.catalog.put(_location(-33.9, 151.2, (_evse("A", "CHARGING"), _evse("B", "AVAILABLE"))))
    before = service.catalog.cells_visited

    page = service.clusters(Box(min_lon=-180, min_lat=-90, max_lon=180, max_lat=90), zoom=0, now=NOW)

    assert service.catalog.cells_visited - before == 2  # the two occupied cells, not the 6.5 million of the world
    assert [(c.locations, c.evses, c.available_evses) for c in page.clusters] == [(1, 2, 1), (1, 1, 1)]


@pytest.mark.parametrize(
    ("box", "zoom"), [((-180, -90, 180, 90), 0), ((-180, -90, 180, 90), 3), ((-20, -10, 40, 50), 6)]
)
def test_clusters_count_what_a_location_by_location_count_finds(box: tuple[float, ...], zoom: int) -> None:
    locations = _world(3_000, seed=zoom)
    service = _service(locations)
    view = Box(min_lon=box[0], min_lat=box[1], max_lon=box[2], max_lat=box[3])

    page = service.clusters(view, zoom, now=NOW)

    found = [(c.latitude, c.longitude, c.locations, c.evses, c.available_evses, c.max_power_kw) for c in page.clusters]
    expected = _expected(locations, view, zoom)
    assert [f[2:] for f in found] == [e[2:] for e in expected]
    assert [f[:2] for f in found] == [pytest.approx(e[:2], abs=1e-6) for e in expected]


def test_our_chargers_count_as_available_only_while_they_are_heard_from() -> None:
    service = _service([_location(52.37, 4.89, (_evse("A", "AVAILABLE", OUR_CHARGER),))])
    world = Box(min_lon=-180, min_lat=-90, max_lon=180, max_lat=90)
    assert service.clusters(world, 0, now=NOW).clusters[0].available_evses == 1
    assert service.clusters(world, 0, now=NOW + timedelta(hours=1)).clusters[0].available_evses == 0


def test_a_search_near_the_pole_visits_the_occupied_cells_not_whole_rows_of_the_world() -> None:
    service = _service(
        [_location(89.5, 10.0, (_evse("A", "AVAILABLE"),)), _location(0.0, 0.0, (_evse("A", "AVAILABLE"),))]
    )
    before = service.catalog.cells_visited

    query = StationQuery(centre=(90.0, 0.0), radius_m=100_000, box=None, filters=StationFilters(), limit=20)
    page = service.search(query, "en", now=NOW)

    assert len(page.items) == 1
    assert service.catalog.cells_visited - before == 2


async def test_large_views_are_computed_on_the_map_worker_with_the_same_answer() -> None:
    locations = _world(500, seed=9)
    service = _service(locations)
    service.worker = MapWorker(inline_locations=100)
    # These run on the real clock: our charger was last heard from just now.
    service.catalog.put_station(OUR_CHARGER, StationLink(ocpp_id="CP1", connected=True, last_seen=datetime.now(UTC)))
    world = Box(min_lon=-180, min_lat=-90, max_lon=180, max_lat=90)
    query = StationQuery(centre=(0.0, 0.0), radius_m=None, box=Box(-5, -5, 5, 5), filters=StationFilters(), limit=5)
    try:
        clusters = await service.clusters_off_loop(world, 2)
        assert service.worker.offloaded == 1
        nearby = await service.search_off_loop(query, "en")
        assert service.worker.offloaded == 1  # a small viewport stays inline
    finally:
        service.close()
    assert clusters == service.clusters(world, 2)
    assert nearby == service.search(query, "en")
