"""The vectorised filter columns rule out only stations the exact filter rejects, so searches find the same."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain.stations.catalog import (
    ConnectorEntry,
    EvseEntry,
    LocationEntry,
    StationCatalog,
    StationLink,
    candidate_arrays,
    location_entry,
)
from api.domain.stations.columns import may_match
from api.domain.stations.prices import TariffBook, TariffPricing
from api.domain.stations.records import ExceptionalPeriod, OpeningHours, RegularHours
from api.domain.stations.search import Availability, Box, StationFilters, StationQuery, StationSearch
from api.domain.stations.services import StationService

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)
HEARD = uuid.UUID(int=1)  # our charger, connected and heard from just now
SILENT = uuid.UUID(int=2)  # our charger, last heard from an hour ago
STANDARDS = ("IEC_62196_T2", "IEC_62196_T2_COMBO", "CHADEMO", "TESLA_S")
OPERATORS = (None, "FastNed", "fastned", "Ionity", "Allego")
TARIFF_PRICES = {"CHEAP": Decimal("0.25"), "DEAR": Decimal("0.79"), "FREE": Decimal("0")}  # "GONE" has no price


def energy_price(location: LocationEntry, connector: ConnectorEntry, now: datetime) -> Decimal | None:
    """A stand-in for the tariff engine: the first tariff id with a price decides."""
    for tariff_id in connector.tariff_ids:
        if tariff_id in TARIFF_PRICES:
            return TARIFF_PRICES[tariff_id]
    return None


connectors = st.builds(
    ConnectorEntry,
    connector_id=st.just("1"),
    standard=st.sampled_from(STANDARDS),
    format=st.just("CABLE"),
    power_type=st.just("DC"),
    max_voltage=st.none(),
    max_amperage=st.none(),
    max_electric_power=st.none() | st.sampled_from([3_700, 11_000, 22_000, 50_000, 150_000]),
    tariff_ids=st.lists(st.sampled_from(["CHEAP", "DEAR", "FREE", "GONE"]), max_size=2).map(tuple),
    last_updated=st.just(NOW),
)
evses = st.builds(
    EvseEntry,
    id=st.uuids(),
    uid=st.text("ABC123", min_size=1, max_size=4),
    emi3_evse_id=st.none(),
    status=st.sampled_from(["AVAILABLE", "AVAILABLE", "CHARGING", "UNKNOWN", "REMOVED"]),
    status_source=st.just("reported"),
    status_updated_at=st.just(NOW),
    capabilities=st.just(()),
    physical_reference=st.none(),
    floor_level=st.none(),
    charging_station_id=st.sampled_from([None, None, HEARD, SILENT]),
    connectors=st.lists(connectors, max_size=3).map(tuple),
    last_updated=st.just(NOW),
)
hours = st.builds(
    RegularHours,
    weekday=st.integers(1, 7),
    period_begin=st.sampled_from(["00:00", "08:00", "12:00", "22:00"]),
    period_end=st.sampled_from(["00:00", "06:00", "12:00", "18:00"]),
)
closings = st.builds(
    ExceptionalPeriod,
    period_begin=st.sampled_from([NOW - timedelta(days=1), NOW - timedelta(minutes=30)]),
    period_end=st.sampled_from([NOW + timedelta(hours=1), NOW + timedelta(days=2)]),
)
openings = st.none() | st.builds(
    OpeningHours,
    twentyfourseven=st.booleans(),
    regular_hours=st.lists(hours, max_size=3).map(tuple),
    exceptional_openings=st.lists(closings, max_size=1).map(tuple),
    exceptional_closings=st.lists(closings, max_size=1).map(tuple),
)
# Moments around NOW (a Monday), so opening hours, exceptional periods and time zones all come into play.
moments = st.integers(-7 * 24, 7 * 24).map(lambda steps: NOW + timedelta(minutes=37 * steps))
# Few distinct points, so equal distances (ordered by id) are common.
points = st.tuples(st.sampled_from([52.0, 52.01, 52.02, 52.05]), st.sampled_from([4.0, 4.01, 4.03, 4.1]))


@st.composite
def locations(draw: st.DrawFn) -> LocationEntry:
    latitude, longitude = draw(points)
    return location_entry(
        location_id=draw(st.uuids()),
        country_code="NL",
        party_id="TST",
        ocpi_id="L",
        name=None,
        address="Street 1",
        city="Testville",
        postal_code=None,
        state=None,
        country="NLD",
        latitude=latitude,
        longitude=longitude,
        time_zone=draw(st.sampled_from(["Europe/Amsterdam", "America/New_York", "Asia/Tokyo"])),
        operator_name=draw(st.sampled_from(OPERATORS)),
        parking_type=None,
        facilities=(),
        opening_times=draw(openings),
        publish=True,
        evses=tuple(draw(st.lists(evses, min_size=1, max_size=3))),
        last_updated=NOW,
        revision=1,
    )


filters = st.builds(
    StationFilters,
    standards=st.frozensets(st.sampled_from([*STANDARDS, "GBT_DC"]), max_size=2),
    min_power_w=st.none() | st.sampled_from([0, 11_000, 50_000, 200_000]),
    available_now=st.booleans(),
    open_now=st.booleans(),
    operator=st.none() | st.sampled_from(["fastned", "ionity", "nobody"]),
    max_price_per_kwh=st.none() | st.sampled_from([Decimal("0"), Decimal("0.30"), Decimal("1")]),
)


def catalog_of(entries: list[LocationEntry]) -> StationCatalog:
    catalog = StationCatalog()
    for entry in entries:
        catalog.put(entry)
    catalog.put_station(HEARD, StationLink(ocpp_id="HEARD", connected=True, last_seen=NOW))
    catalog.put_station(SILENT, StationLink(ocpp_id="SILENT", connected=True, last_seen=NOW - timedelta(hours=1)))
    return catalog


def search_engine(catalog: StationCatalog) -> StationSearch:
    return StationSearch(catalog, Availability(timedelta(minutes=10)), energy_price)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(entries=st.lists(locations(), max_size=25), wanted=filters, now=moments)
def test_columns_rule_out_exactly_what_the_filter_rejects_on_what_they_can_see(
    entries: list[LocationEntry], wanted: StationFilters, now: datetime
) -> None:
    """Never a station the exact filter keeps; and with feed statuses and no price, exactly its verdict.

    Opening hours across time zones and exceptional periods are among what the columns decide exactly.
    """
    catalog = catalog_of(entries)
    engine = search_engine(catalog)
    candidates = candidate_arrays(list(catalog.cells.values()), with_columns=True)
    assert candidates.columns is not None
    mask = may_match(candidates.columns, wanted, now).tolist()
    for location, may in zip(candidates.entries, mask, strict=True):
        exact = engine._passes(location, wanted, now)
        if exact:
            assert may, location
        only_feed_statuses = all(e.charging_station_id is None for e in location.evses)
        if only_feed_statuses and wanted.max_price_per_kwh is None:
            assert may == exact, location


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=st.lists(locations(), max_size=30),
    wanted=filters,
    limit=st.integers(1, 4),
    use_box=st.booleans(),
    now=moments,
)
def test_searches_page_through_what_the_exact_filter_keeps(
    entries: list[LocationEntry], wanted: StationFilters, limit: int, use_box: bool, now: datetime
) -> None:
    """Paging to the end yields every station inside the area that passes the filter, once, nearest first."""
    catalog = catalog_of(entries)
    engine = search_engine(catalog)
    box = Box(min_lon=4.0, min_lat=52.0, max_lon=4.05, max_lat=52.03) if use_box else None
    query = StationQuery(
        centre=(52.01, 4.02),
        radius_m=None if use_box else 50_000.0,  # covers every point
        box=box,
        filters=wanted,
        limit=limit,
    )
    found: list[tuple[float, str]] = []
    while True:
        hits, after = engine.search(query, now)
        found.extend((hit.distance_m, hit.location.sort_key) for hit in hits)
        if after is None:
            break
        query = StationQuery(
            centre=query.centre, radius_m=query.radius_m, box=box, filters=wanted, limit=limit, after=after
        )
    expected = {
        location.sort_key
        for location in catalog.locations.values()
        if (box is None or box.contains(location.latitude, location.longitude))
        and engine._passes(location, wanted, now)
    }
    assert sorted(key for _, key in found) == sorted(expected)
    assert found == sorted(found)  # nearest first, ties by id
    assert len(found) == len(expected)  # and no station twice across pages


def _unpriced(n: int, opening: OpeningHours | None = None) -> LocationEntry:
    connector = ConnectorEntry(
        connector_id="1",
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_3_PHASE",
        max_voltage=None,
        max_amperage=None,
        max_electric_power=None,
        tariff_ids=(),
        last_updated=NOW,
    )
    evse = EvseEntry(
        id=uuid.uuid4(),
        uid="1",
        emi3_evse_id=None,
        status="UNKNOWN",
        status_source="reported",
        status_updated_at=NOW,
        capabilities=(),
        physical_reference=None,
        floor_level=None,
        charging_station_id=None,
        connectors=(connector,),
        last_updated=NOW,
    )
    return location_entry(
        location_id=uuid.uuid4(),
        country_code="US",
        party_id="AFD",
        ocpi_id=str(n),
        name=None,
        address="Main St",
        city="Town",
        postal_code=None,
        state=None,
        country="USA",
        latitude=40.0 + (n % 100) / 20,
        longitude=-75.0 + (n // 100) / 20,
        time_zone="America/New_York",
        operator_name=None,
        parking_type=None,
        facilities=(),
        opening_times=opening,
        publish=True,
        evses=(evse,),
        last_updated=NOW,
        revision=1,
    )


def test_a_search_that_matches_nothing_checks_no_station_one_by_one() -> None:
    """Price and availability filters over thousands of unpriced, unknown-status stations: all ruled out at once."""
    catalog = catalog_of([_unpriced(n) for n in range(5_000)])
    service = StationService(catalog, Availability(timedelta(minutes=10)), TariffPricing(TariffBook()))
    box = Box(min_lon=-75.0, min_lat=40.0, max_lon=-72.5, max_lat=45.0)
    for wanted in (StationFilters(max_price_per_kwh=Decimal(0)), StationFilters(available_now=True)):
        page = service.search(StationQuery(centre=None, radius_m=None, box=box, filters=wanted, limit=100), "en", NOW)
        assert page.items == []
    assert catalog.locations_checked == 0
    page = service.search(
        StationQuery(
            centre=None, radius_m=None, box=box, filters=StationFilters(standards=frozenset({"IEC_62196_T2"})), limit=3
        ),
        "en",
        NOW,
    )
    assert len(page.items) == 3
    assert catalog.locations_checked == 4  # the page, and the one that shows there is more


def test_closed_stations_are_ruled_out_once_per_opening_hours_not_once_per_station() -> None:
    """Thousands of shops open on weekdays, searched on a Sunday with openNow: none is checked one by one."""
    weekdays = OpeningHours(
        twentyfourseven=False,
        regular_hours=tuple(RegularHours(weekday=day, period_begin="08:00", period_end="18:00") for day in range(1, 6)),
    )
    catalog = catalog_of([_unpriced(n, weekdays) for n in range(5_000)])
    service = StationService(catalog, Availability(timedelta(minutes=10)), TariffPricing(TariffBook()))
    box = Box(min_lon=-75.0, min_lat=40.0, max_lon=-72.5, max_lat=45.0)
    query = StationQuery(centre=None, radius_m=None, box=box, filters=StationFilters(open_now=True), limit=100)
    sunday_noon = datetime(2026, 11, 8, 17, tzinfo=UTC)  # 12:00 in New York
    assert service.search(query, "en", sunday_noon).items == []
    assert catalog.locations_checked == 0
    monday_noon = sunday_noon + timedelta(days=1)
    assert len(service.search(query, "en", monday_noon).items) == 100
