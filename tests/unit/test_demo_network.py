"""The demo network: realistic places, chargers and prices, valid OCPI shapes, and the same output for the same seed."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import msgspec
import pytest

from api.demo_network import DEMO_CITIES, DemoNetwork, generate_demo_network
from api.domain.stations.feeds.ocpi import CAPABILITIES, FACILITIES, normalise_evse_id
from api.domain.stations.geo import haversine_m
from api.domain.stations.records import CONNECTOR_STANDARDS, FeedResult, LocationRecord
from api.domain.stations.time_zones import time_zone_at
from pricing.price_text import price_text
from pricing.quote import quote
from pricing.tariff import Tariff, TariffDimensionType, decode_tariff, encode_tariff

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
CITIES = {city.name: city for city in DEMO_CITIES}
LANGUAGES = ("en", "de", "fr", "es", "nl")
VAT = {
    cc: Decimal(rate)
    for cc, rate in (
        ("NL", "21"), ("DE", "19"), ("FR", "20"), ("BE", "21"), ("DK", "25"), ("AT", "20"), ("CH", "8.1"),
        ("IT", "22"), ("ES", "21"), ("NO", "25"), ("SE", "25"),
    )
}  # fmt: skip
CURRENCY = {"DK": "DKK", "NO": "NOK", "SE": "SEK", "CH": "CHF"}
ALPHA2 = {"NLD": "NL", "DEU": "DE", "FRA": "FR", "BEL": "BE", "DNK": "DK", "AUT": "AT", "CHE": "CH", "ITA": "IT"}
ALPHA2 |= {"ESP": "ES", "NOR": "NO", "SWE": "SE"}


@pytest.fixture(scope="module")
def network() -> DemoNetwork:
    return generate_demo_network(now=NOW)


def power_kw(location: LocationRecord) -> int:
    return max(c.max_electric_power or 0 for evse in location.evses for c in evse.connectors) // 1000


def kind(location: LocationRecord) -> str:
    kw = power_kw(location)
    return {11: "AC11", 22: "AC22", 50: "DC50"}.get(kw, "HPC" if kw >= 150 else f"other {kw} kW")


def distance_km(location: LocationRecord) -> float:
    city = CITIES[location.city]
    return haversine_m(location.latitude, location.longitude, city.latitude, city.longitude) / 1000


def test_a_few_hundred_locations_in_every_city(network: DemoNetwork) -> None:
    assert 250 <= len(network.locations) <= 350
    per_city = Counter(location.city for location in network.locations)
    assert set(per_city) == set(CITIES)
    assert min(per_city.values()) >= 8
    assert per_city["Paris"] > per_city["Antwerp"]  # bigger cities get more


@pytest.mark.parametrize("count", [18, 40, 120])
def test_count_is_a_parameter(count: int) -> None:
    small = generate_demo_network(now=NOW, count=count)
    assert len(small.locations) == count
    assert {location.city for location in small.locations} == set(CITIES)


def test_locations_lie_near_their_city_in_its_country_and_zone(network: DemoNetwork) -> None:
    distances = [distance_km(location) for location in network.locations]
    assert max(distances) <= 40
    assert sum(d <= 8 for d in distances) / len(distances) >= 0.7  # most are in town
    for location, km in zip(network.locations, distances, strict=True):
        city = CITIES[location.city]
        assert ALPHA2[location.country] == city.country
        assert location.time_zone == city.time_zone
        # The point itself lies in that zone, so no motorway hub strays across a border.
        assert time_zone_at(location.latitude, location.longitude) == city.time_zone, location.name
        if location.parking_type == "ALONG_MOTORWAY":
            assert km >= 9, location.name
            assert location.postal_code is None
        else:
            assert km <= 12, location.name
            assert location.postal_code


def test_motorway_hubs_are_fast_chargers(network: DemoNetwork) -> None:
    hubs = [location for location in network.locations if location.parking_type == "ALONG_MOTORWAY"]
    assert 0.08 <= len(hubs) / len(network.locations) <= 0.25
    assert all(power_kw(hub) >= 50 for hub in hubs)
    assert all(6 <= len(hub.evses) <= 12 for hub in hubs if kind(hub) == "HPC")


@pytest.mark.parametrize("seed", [7, 1, 2024])
def test_power_mix(seed: int) -> None:
    locations = generate_demo_network(seed=seed, now=NOW).locations
    share = {k: n / len(locations) for k, n in Counter(kind(location) for location in locations).items()}
    assert set(share) == {"AC11", "AC22", "DC50", "HPC"}
    assert 0.5 <= share["AC11"] + share["AC22"] <= 0.8
    assert share["AC11"] >= 0.2
    assert share["AC22"] >= 0.2
    assert 0.05 <= share["DC50"] <= 0.25
    assert 0.1 <= share["HPC"] <= 0.35
    assert {power_kw(location) for location in locations if kind(location) == "HPC"} == {150, 300, 350}


def test_connectors_match_their_power(network: DemoNetwork) -> None:
    for location in network.locations:
        k = kind(location)
        evse_counts = {"AC11": (1, 4), "AC22": (1, 4), "DC50": (1, 2), "HPC": (4, 12)}[k]
        assert evse_counts[0] <= len(location.evses) <= evse_counts[1], location.id
        for evse in location.evses:
            standards = [c.standard for c in evse.connectors]
            if k.startswith("AC"):
                assert standards == ["IEC_62196_T2"]
            elif k == "DC50":
                assert standards == ["IEC_62196_T2_COMBO", "CHADEMO"]
            else:
                assert standards == ["IEC_62196_T2_COMBO"]
            for c in evse.connectors:
                assert c.standard in CONNECTOR_STANDARDS
                assert c.max_voltage is not None
                assert c.max_amperage is not None
                assert c.max_electric_power is not None
                if c.power_type == "DC":
                    assert c.format == "CABLE"
                    assert c.max_electric_power <= c.max_voltage * c.max_amperage
                    assert c.max_voltage == (500 if k == "DC50" else 920)
                else:
                    assert (c.power_type, c.format, c.max_voltage) == ("AC_3_PHASE", "SOCKET", 230)
                    assert c.max_amperage == {"AC11": 16, "AC22": 32}[k]
                    assert c.max_electric_power <= c.max_voltage * c.max_amperage * 3
            expected = ("CREDIT_CARD_PAYABLE" in evse.capabilities) is (k in {"DC50", "HPC"})
            assert expected, "card payment at every fast charger, and only there"
            assert set(evse.capabilities) <= CAPABILITIES


def test_identifiers_are_unique_and_in_ocpi_and_emi3_form(network: DemoNetwork) -> None:
    ids = [location.id for location in network.locations]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"LOC-\d{4}", i) for i in ids)
    names = [location.name for location in network.locations]
    assert len(set(names)) == len(names)
    uids = [evse.uid for location in network.locations for evse in location.evses]
    assert len(set(uids)) == len(uids)
    evse_ids = [evse.evse_id for location in network.locations for evse in location.evses]
    assert len(set(evse_ids)) == len(evse_ids)
    for location in network.locations:
        assert (location.country_code, location.party_id) == ("NL", "VWY")
        assert (location.source, location.operator_name, location.publish) == ("demo", "Voltway", True)
        assert location.name is not None
        assert location.name.startswith(f"Voltway {location.city} ")
        # EVSEs numbered 1..n as OCPP numbers them; connectors 1..n within each.
        assert [evse.physical_reference for evse in location.evses] == [
            str(n) for n in range(1, len(location.evses) + 1)
        ]
        for evse in location.evses:
            assert evse.evse_id is not None
            assert re.fullmatch(r"NL\*VWY\*E[0-9A-Z]+", evse.evse_id)
            assert normalise_evse_id(evse.evse_id) == evse.evse_id
            assert [c.id for c in evse.connectors] == [str(n) for n in range(1, len(evse.connectors) + 1)]


def test_party_comes_from_the_arguments() -> None:
    network = generate_demo_network(now=NOW, country_code="DE", party_id="ABC", count=20)
    assert {(location.country_code, location.party_id) for location in network.locations} == {("DE", "ABC")}
    assert {(tariff.country_code, tariff.party_id) for tariff in network.tariffs} == {("DE", "ABC")}
    evse_ids = [evse.evse_id or "" for location in network.locations for evse in location.evses]
    assert all(evse_id.startswith("DE*ABC*E") for evse_id in evse_ids)


def test_statuses_are_mostly_available(network: DemoNetwork) -> None:
    statuses = Counter(evse.status for location in network.locations for evse in location.evses)
    total = sum(statuses.values())
    assert set(statuses) == {"AVAILABLE", "CHARGING", "OUTOFORDER"}
    assert statuses["AVAILABLE"] / total >= 0.6
    assert 0.05 <= statuses["CHARGING"] / total <= 0.35
    assert statuses["OUTOFORDER"] / total <= 0.1


def test_sites_facilities_and_opening_hours(network: DemoNetwork) -> None:
    parking = Counter(location.parking_type for location in network.locations)
    assert set(parking) == {"ON_STREET", "PARKING_LOT", "PARKING_GARAGE", "ALONG_MOTORWAY", "UNDERGROUND_GARAGE"}
    assert all(set(location.facilities) <= FACILITIES for location in network.locations)
    assert sum(bool(location.facilities) for location in network.locations) / len(network.locations) > 0.6
    hours = [location.opening_times for location in network.locations]
    assert all(h is not None for h in hours)
    always = sum(h is not None and h.twentyfourseven for h in hours)
    assert 0.7 <= always / len(hours) < 1
    for location in network.locations:
        opening = location.opening_times
        assert opening is not None
        if opening.twentyfourseven:
            assert opening.regular_hours == ()
            continue
        assert location.parking_type in {"PARKING_LOT", "PARKING_GARAGE", "UNDERGROUND_GARAGE"}
        assert opening.regular_hours
        for period in opening.regular_hours:
            assert 1 <= period.weekday <= 7
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", period.period_begin)
            assert re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", period.period_end)
            assert period.period_begin < period.period_end


def test_floor_levels_only_in_garages(network: DemoNetwork) -> None:
    for location in network.locations:
        for evse in location.evses:
            if location.parking_type == "UNDERGROUND_GARAGE":
                assert evse.floor_level is not None
                assert evse.floor_level.startswith("-")
            elif location.parking_type != "PARKING_GARAGE":
                assert evse.floor_level is None


def test_tariffs_are_referenced_and_used(network: DemoNetwork) -> None:
    by_id = {tariff.id: tariff for tariff in network.tariffs}
    assert len(by_id) == len(network.tariffs)
    used: set[str] = set()
    for location in network.locations:
        alpha2 = ALPHA2[location.country]
        for evse in location.evses:
            for connector in evse.connectors:
                assert len(connector.tariff_ids) == 1
                (tariff_id,) = connector.tariff_ids
                assert tariff_id in by_id
                assert tariff_id.endswith(f"-{alpha2}")
                kind_of_tariff = tariff_id.removesuffix(f"-{alpha2}")
                expected = {"AC11": "AC-", "AC22": "AC-", "DC50": "DC-50", "HPC": "HPC"}[kind(location)]
                assert kind_of_tariff.startswith(expected)
                used.add(tariff_id)
    assert used == set(by_id)
    kinds = {tariff.id.rsplit("-", 1)[0] for tariff in network.tariffs}
    assert kinds == {"AC-STANDARD", "AC-PEAK-OFFPEAK", "DC-50", "HPC"}


def test_tariffs_have_the_country_currency_vat_and_language(network: DemoNetwork) -> None:
    for tariff in network.tariffs:
        alpha2 = tariff.id.rsplit("-", 1)[1]
        assert tariff.currency == CURRENCY.get(alpha2, "EUR")
        assert {component.vat for e in tariff.elements for component in e.price_components} == {VAT[alpha2]}
        assert all(c.step_size >= 1 for e in tariff.elements for c in e.price_components)
        languages = [text.language for text in tariff.tariff_alt_text]
        assert languages[0] == "en"
        assert len(languages) >= 2
        assert all(text.text for text in tariff.tariff_alt_text)
        assert tariff.last_updated == NOW
    assert [t.language for t in next(t for t in network.tariffs if t.id.endswith("-BE")).tariff_alt_text] == [
        "en",
        "nl",
        "fr",
    ]


def test_tariffs_round_trip_and_read_in_five_languages(network: DemoNetwork) -> None:
    for tariff in network.tariffs:
        assert decode_tariff(encode_tariff(tariff)) == tariff
        for language in LANGUAGES:
            text = price_text(tariff, language)
            assert "kWh" in text


def find(network: DemoNetwork, prefix: str, alpha2: str) -> Tariff:
    return next(t for t in network.tariffs if t.id == f"{prefix}-{alpha2}")


def test_peak_offpeak_is_cheaper_at_night_in_local_time(network: DemoNetwork) -> None:
    tariff = find(network, "AC-PEAK-OFFPEAK", "NL")
    zone = ZoneInfo("Europe/Amsterdam")

    def cost(hour: int) -> Decimal:
        start = datetime(2025, 6, 3, hour, 0, tzinfo=zone)
        one_hour = timedelta(hours=1)
        return quote(
            tariff, energy_kwh=Decimal(10), duration=one_hour, power_kw=Decimal(11), start=start, time_zone=zone
        ).amount_due

    assert cost(23) == Decimal("3.51")  # 10 kWh x 0.29 + 21 % VAT
    assert cost(12) == Decimal("5.45")  # 10 kWh x 0.45 + 21 % VAT


def test_dc_and_hpc_prices(network: DemoNetwork) -> None:
    start = datetime(2025, 6, 3, 12, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    dc = quote(
        find(network, "DC-50", "DE"),
        energy_kwh=Decimal(20),
        duration=timedelta(minutes=30),
        power_kw=Decimal(50),
        start=start,
    )
    assert dc.amount_due == Decimal("12.26")  # (20 x 0.49 + 0.50) x 1.19
    hpc = find(network, "HPC", "DE")
    assert any(c.type is TariffDimensionType.PARKING_TIME for e in hpc.elements for c in e.price_components)
    short = quote(hpc, energy_kwh=Decimal(40), duration=timedelta(minutes=50), power_kw=Decimal(150), start=start)
    long = quote(hpc, energy_kwh=Decimal(40), duration=timedelta(minutes=90), power_kw=Decimal(150), start=start)
    assert short.amount_due == Decimal("28.08")  # 40 x 0.59 x 1.19, parking within the first hour is free
    assert long.amount_due == Decimal("31.65")  # plus 30 min parking at 6.00/h x 1.19


def test_same_seed_same_network_other_seed_other_layout(network: DemoNetwork) -> None:
    again = generate_demo_network(now=NOW)
    assert msgspec.json.encode(again) == msgspec.json.encode(network)
    other = generate_demo_network(seed=8, now=NOW)
    assert [(x.latitude, x.longitude) for x in other.locations] != [
        (x.latitude, x.longitude) for x in network.locations
    ]
    later = generate_demo_network(now=NOW + timedelta(days=1))
    assert [x.name for x in later.locations] == [x.name for x in network.locations]
    assert all(
        x.last_updated == y.last_updated + timedelta(days=1)
        for x, y in zip(later.locations, network.locations, strict=True)
    )


def test_timestamps_are_utc_and_not_in_the_future(network: DemoNetwork) -> None:
    for location in network.locations:
        assert location.last_updated <= NOW
        assert location.last_updated.tzinfo is not None
        assert location.last_updated == max(evse.last_updated for evse in location.evses)
        for evse in location.evses:
            assert all(c.last_updated <= evse.last_updated for c in evse.connectors)


def test_feeds_into_the_importer_as_is(network: DemoNetwork) -> None:
    result = FeedResult(feed="demo", locations=network.locations, repairs=(), rejections=())
    decoded = msgspec.json.decode(msgspec.json.encode(result), type=FeedResult)
    assert decoded == result


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="now"):
        generate_demo_network(now=datetime(2025, 6, 1))
    with pytest.raises(ValueError, match="party_id"):
        generate_demo_network(now=NOW, party_id="voltway")
    with pytest.raises(ValueError, match="country_code"):
        generate_demo_network(now=NOW, country_code="NLD")
    with pytest.raises(ValueError, match="count"):
        generate_demo_network(now=NOW, count=0)
