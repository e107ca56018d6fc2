"""OCPI location feeds: the 17 real feeds are read without exceptions, repaired and strictly valid on output."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pycountry
import pytest

from api.domain.stations.feeds.errors import FeedError
from api.domain.stations.feeds.ocpi import EVSE_STATUSES, normalise_evse_id, read_ocpi_feed
from api.domain.stations.records import CONNECTOR_STANDARDS, FeedResult
from api.domain.stations.time_zones import time_zone_at
from tests.support import skip_or_fail

DATA_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data"
OCPI_DIR = DATA_DIR / "ocpi-locations"
NOW = datetime(2025, 6, 1, tzinfo=UTC)

# locations / EVSEs / connectors read from each real feed.
EXPECTED = {
    "ocpi_2_1_1_locations-fastned.json": (106, 272, 655),
    "ocpi_2_2_1_locations-ev24.json": (11, 2, 2),  # 18 Type 2 connectors without `format`
    "ocpi_2_2_1_locations-ezvolt.json": (91, 222, 222),
    "ocpi_2_2_1_locations-greems.json": (80, 318, 318),
    "ocpi_2_2_1_locations-itcharge.json": (1149, 1170, 2247),  # 31 test locations at 0,0
    "ocpi_2_2_1_locations-punkt.json": (487, 1154, 1220),  # 2 at "1","1"; 67 EVSEs without connectors
    "ocpi_2_2_1_locations-sitronics.json": (65, 158, 158),  # 11 EVSEs without uid
    "ocpi_2_2_1_locations-toger.json": (41, 73, 76),  # 3 without coordinates
    "ocpi_2_2_locations-chargesini.json": (448, 1155, 1155),
    "ocpi_2_2_locations-electricera.json": (3, 8, 16),
    "ocpi_2_2_locations-evio.json": (21, 29, 29),
    "ocpi_2_2_locations-gaia.json": (4, 13, 13),
    "ocpi_2_2_locations-otopriz.json": (500, 500, 734),
    "ocpi_2_2_locations-zepto.json": (10, 10, 30),
    "ocpi_2_2_locations_powergo.json": (489, 1730, 1730),  # 46 connectors without standard
    "ocpi_3_0_0_location_example.json": (1, 2, 3),
    "ocpi_locations-voltrelli.json": (307, 575, 929),
}


def fixed_zone(_latitude: float, _longitude: float) -> str | None:
    return "Europe/Amsterdam"


def no_zone(_latitude: float, _longitude: float) -> str | None:
    return None


@pytest.fixture(scope="module")
def results() -> dict[str, FeedResult]:
    if not OCPI_DIR.is_dir():
        skip_or_fail("VOLTWAY_REQUIRE_SHARED", f"reference data not found at {OCPI_DIR}")
    return {
        path.name: read_ocpi_feed(path.read_bytes(), path.name, now=NOW, time_zone_at=time_zone_at)
        for path in sorted(OCPI_DIR.glob("*.json"))
    }


def whats(result: FeedResult) -> Counter[str]:
    return Counter(repair.what for repair in result.repairs)


def reasons(result: FeedResult) -> Counter[str]:
    return Counter(rejection.reason for rejection in result.rejections)


def read(document: object, time_zone: object = fixed_zone) -> FeedResult:
    return read_ocpi_feed(json.dumps(document).encode(), "test.json", now=NOW, time_zone_at=time_zone)  # type: ignore[arg-type]


def location(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "country_code": "NL",
        "party_id": "ABC",
        "id": "LOC1",
        "publish": True,
        "address": "Street 1",
        "city": "Utrecht",
        "country": "NLD",
        "coordinates": {"latitude": "52.090737", "longitude": "5.121420"},
        "time_zone": "Europe/Amsterdam",
        "last_updated": "2024-01-01T00:00:00Z",
        "evses": [
            {
                "uid": "E1",
                "evse_id": "NL*ABC*E1",
                "status": "AVAILABLE",
                "last_updated": "2024-01-01T00:00:00Z",
                "connectors": [
                    {
                        "id": "1",
                        "standard": "IEC_62196_T2",
                        "format": "SOCKET",
                        "power_type": "AC_3_PHASE",
                        "max_voltage": 230,
                        "max_amperage": 16,
                        "max_electric_power": 11000,
                        "last_updated": "2024-01-01T00:00:00Z",
                    }
                ],
            }
        ],
    }
    base.update(overrides)
    return base


# -- the real feeds ----------------------------------------------------------------------------------------------


def test_all_seventeen_feeds_are_read(results: dict[str, FeedResult]) -> None:
    assert len(results) == 17
    counts = {
        name: (
            len(r.locations),
            sum(len(loc.evses) for loc in r.locations),
            sum(len(e.connectors) for loc in r.locations for e in loc.evses),
        )
        for name, r in results.items()
    }
    assert counts == EXPECTED
    # 3,849 locations in the files: 31 at 0,0 (itcharge), 3 without coordinates (toger), 2 at "1","1" (punkt).
    assert sum(c[0] for c in counts.values()) == 3849 - 36
    assert sum(c[1] for c in counts.values()) == 7391
    for result in results.values():
        assert result.locations or all(r.reason for r in result.rejections)


def test_output_is_strictly_valid(results: dict[str, FeedResult]) -> None:
    for result in results.values():
        keys = Counter((loc.country_code, loc.party_id, loc.id) for loc in result.locations)
        assert max(keys.values()) == 1
        for loc in result.locations:
            assert pycountry.countries.get(alpha_3=loc.country) is not None
            assert pycountry.countries.get(alpha_2=loc.country_code) is not None
            assert len(loc.party_id) == 3
            assert -90 <= loc.latitude <= 90
            assert -180 <= loc.longitude <= 180
            assert ZoneInfo(loc.time_zone)
            assert loc.source == f"ocpi:{result.feed}"
            assert loc.last_updated.tzinfo is not None
            uids = [e.uid for e in loc.evses]
            assert len(uids) == len(set(uids))
            for evse in loc.evses:
                assert evse.status in EVSE_STATUSES
                assert evse.connectors
                assert len({c.id for c in evse.connectors}) == len(evse.connectors)
                for connector in evse.connectors:
                    assert connector.standard in CONNECTOR_STANDARDS
                    assert connector.max_electric_power is None or connector.max_electric_power >= 1000
            if loc.opening_times is not None:
                for hours in loc.opening_times.regular_hours:
                    assert 1 <= hours.weekday <= 7
                    assert hours.period_begin < hours.period_end


def test_powergo_status_with_trailing_space(results: dict[str, FeedResult]) -> None:
    result = results["ocpi_2_2_locations_powergo.json"]
    assert whats(result)["status 'CHARGING ' -> 'CHARGING'"] == 104
    assert whats(result)["power_type 'ac_3_phase' -> 'AC_3_PHASE'"] == 1422
    assert whats(result)["standard 'Type 2 outlet' -> 'IEC_62196_T2'"] == 7
    assert reasons(result)["connector standard missing"] == 46


def test_itcharge_alpha2_countries_and_null_island(results: dict[str, FeedResult]) -> None:
    result = results["ocpi_2_2_1_locations-itcharge.json"]
    assert whats(result)["country 'RU' -> 'RUS'"] == 1143
    assert whats(result)["country 'BY' -> 'BLR'"] == 6
    assert whats(result)["max_electric_power in kW -> W"] == 2247
    assert whats(result)["regular_hours weekdays 0-6 -> 1-7"] == 24
    assert reasons(result)["coordinates 0,0"] == 31
    assert {loc.country for loc in result.locations} == {"RUS", "BLR"}


def test_ev24_country_name_and_missing_party(results: dict[str, FeedResult]) -> None:
    result = results["ocpi_2_2_1_locations-ev24.json"]
    assert whats(result)["country 'Polska' -> 'POL'"] == 11
    assert {(loc.country, loc.country_code, loc.party_id) for loc in result.locations} == {("POL", "PL", "EV2")}
    assert reasons(result)["connector format missing"] == 18


def test_fastned_211_shapes(results: dict[str, FeedResult]) -> None:
    result = results["ocpi_2_1_1_locations-fastned.json"]
    counts = whats(result)
    assert counts["voltage/amperage -> max_voltage/max_amperage (2.1.1)"] == 655
    assert counts["tariff_id -> tariff_ids (2.1.1)"] == 655
    assert counts["type -> parking_type (2.1.1)"] == 106
    assert counts["evse_id normalised to eMI3 form"] == 273
    assert counts["time_zone 'Germany' invalid, derived from coordinates"] == 1
    first = result.locations[0]
    assert (first.country_code, first.party_id) in {("NL", "FAS"), ("DE", "FAS"), ("GB", "FAS")}
    connector = first.evses[0].connectors[0]
    assert connector.max_voltage is not None
    assert connector.tariff_ids
    assert all(e.evse_id and e.evse_id.count("*") == 2 for loc in result.locations for e in loc.evses)


def test_voltrelli_numeric_camel_case_and_copied_longitude(results: dict[str, FeedResult]) -> None:
    result = results["ocpi_locations-voltrelli.json"]
    counts = whats(result)
    assert counts["camelCase field names"] == 307
    assert counts["coordinates given as numbers"] == 307
    assert counts["coordinates taken from EVSE (longitude is a copy of latitude)"] == 307
    assert all(loc.latitude != loc.longitude for loc in result.locations)
    assert all(loc.time_zone for loc in result.locations)


def test_other_feed_specific_repairs(results: dict[str, FeedResult]) -> None:
    assert whats(results["ocpi_2_2_locations-chargesini.json"])["time_zone 'Asia/Kuala Lumpur' -> 'Asia/Kuala_Lumpur'"]
    assert whats(results["ocpi_2_2_1_locations-toger.json"])["country 'TRY' unknown -> 'TUR' from country_code"] == 41
    assert reasons(results["ocpi_2_2_1_locations-toger.json"])["coordinates missing"] == 3
    assert whats(results["ocpi_2_2_locations-evio.json"])["country missing -> 'PRT' from country_code"] == 21
    assert reasons(results["ocpi_2_2_1_locations-sitronics.json"])["EVSE uid missing"] == 11
    assert whats(results["ocpi_2_2_locations-zepto.json"])["last_updated missing -> now"] == 10
    assert whats(results["ocpi_3_0_0_location_example.json"])["time_zone derived from coordinates"] == 1


# -- hand-written inputs -----------------------------------------------------------------------------------------


def test_clean_location_needs_no_repair() -> None:
    result = read([location()])
    assert result.repairs == ()
    assert result.rejections == ()
    loc = result.locations[0]
    assert (loc.country_code, loc.party_id, loc.id, loc.country) == ("NL", "ABC", "LOC1", "NLD")
    assert loc.evses[0].connectors[0].max_electric_power == 11000


def test_envelope_single_object_and_bom() -> None:
    envelope = {"status_code": 1000, "data": location()}
    data = b"\xef\xbb\xbf" + json.dumps(envelope).encode()
    result = read_ocpi_feed(data, "x.json", now=NOW, time_zone_at=fixed_zone)
    assert len(result.locations) == 1


@pytest.mark.parametrize(
    ("data", "problem"),
    [(b"not json", "not valid JSON"), (b'{"status_code": 2001}', "no list"), (b'"x"', "str"), (b'{"data": 5}', "int")],
)
def test_unreadable_feed_raises(data: bytes, problem: str) -> None:
    with pytest.raises(FeedError, match=problem) as info:
        read_ocpi_feed(data, "broken.json", now=NOW, time_zone_at=fixed_zone)
    assert "broken.json" in str(info.value)


@pytest.mark.parametrize(
    ("country", "expected"),
    [("RU", "RUS"), ("Polska", "POL"), ("Deutschland", "DEU"), ("Россия", "RUS"), ("nld", "NLD"), ("France", "FRA")],
)
def test_country_repairs(country: str, expected: str) -> None:
    result = read([location(country=country)])
    assert result.locations[0].country == expected
    assert whats(result)[f"country {country!r} -> {expected!r}"] == 1


def test_unknown_country_without_country_code_is_rejected() -> None:
    result = read([location(country="Atlantis", country_code=None, evses=[])])
    assert result.locations == ()
    assert reasons(result)["country 'Atlantis' unknown"] == 1


def test_coordinates_repairs_and_rejections() -> None:
    numeric = read([location(coordinates={"latitude": 52.09, "longitude": 5.12})])
    assert whats(numeric)["coordinates given as numbers"] == 1
    swapped = read([location(coordinates={"latitude": "120.5", "longitude": "45.1"})])
    assert whats(swapped)["coordinates swapped"] == 1
    assert (swapped.locations[0].latitude, swapped.locations[0].longitude) == (45.1, 120.5)
    out = read([location(coordinates={"latitude": "95.1", "longitude": "120.0"})])
    assert reasons(out)["latitude 95.1 out of range"] == 1
    missing = read([location(coordinates=None), location(id="B", coordinates={"latitude": "x", "longitude": "1"})])
    assert reasons(missing) == Counter({"coordinates missing": 1, "coordinates unreadable": 1})


def test_time_zone_from_coordinates_or_rejected() -> None:
    derived = read([location(time_zone="Germany")])
    assert derived.locations[0].time_zone == "Europe/Amsterdam"
    assert whats(derived)["time_zone 'Germany' invalid, derived from coordinates"] == 1
    rejected = read([location(time_zone=None)], time_zone=no_zone)
    assert reasons(rejected)["time_zone missing and not derivable from coordinates"] == 1


def test_party_from_emi3_operator_or_feed_name() -> None:
    evse = {**location()["evses"][0], "evse_id": "DEXYZE12345"}  # type: ignore[index]
    from_evse = read([location(country_code=None, party_id=None, evses=[evse])])
    loc = from_evse.locations[0]
    assert (loc.country_code, loc.party_id) == ("DE", "XYZ")
    assert loc.evses[0].evse_id == "DE*XYZ*E12345"
    plain = {**evse, "evse_id": "12"}
    from_operator = read([location(party_id=None, operator={"name": "Quick Volt"}, evses=[plain])])
    assert from_operator.locations[0].party_id == "QUI"
    from_feed = read([location(party_id=None, evses=[plain])])
    assert from_feed.locations[0].party_id == "TES"
    assert whats(from_feed)["party_id derived from feed name"] == 1


def test_connector_repairs_and_rejections() -> None:
    base = location()["evses"][0]["connectors"][0]  # type: ignore[index]
    connectors = [
        {**base, "id": "1", "standard": "Type2"},
        {**base, "id": "2", "standard": "CCS2", "power_type": None, "format": None},
        {**base, "id": "3", "standard": "HYPERPLUG"},
        {**base, "id": "4", "standard": None},
        {**base, "id": "1", "standard": "CHAdeMO"},
        {
            **{k: v for k, v in base.items() if k not in ("max_voltage", "max_amperage", "max_electric_power")},
            "id": "5",
            "voltage": 230,
            "amperage": 32,
            "tariff_id": "T1",
        },
    ]
    evse = {**location()["evses"][0], "connectors": connectors}  # type: ignore[index]
    result = read([location(evses=[evse])])
    got = result.locations[0].evses[0].connectors
    assert [c.standard for c in got] == ["IEC_62196_T2", "IEC_62196_T2_COMBO", "IEC_62196_T2"]
    assert (got[1].power_type, got[1].format) == ("DC", "CABLE")
    assert (got[2].max_voltage, got[2].max_amperage, got[2].max_electric_power) == (230, 32, 230 * 32 * 3)
    assert got[2].tariff_ids == ("T1",)
    counts = whats(result)
    assert counts["standard 'Type2' -> 'IEC_62196_T2'"] == 1
    assert counts["standard 'CCS2' -> 'IEC_62196_T2_COMBO'"] == 1
    assert counts["max_electric_power derived from voltage x amperage x phases"] == 1
    assert reasons(result) == Counter(
        {"connector standard 'HYPERPLUG' unknown": 1, "connector standard missing": 1, "duplicate connector id": 1}
    )


def test_evse_level_problems() -> None:
    evse = location()["evses"][0]  # type: ignore[index]
    evses = [
        {**evse, "status": "charging "},
        {**evse, "uid": "E2", "status": None},
        {**evse, "uid": "E1"},
        {**evse, "uid": "E3", "connectors": []},
        {**evse, "uid": "E4", "connectors": [{"id": "1"}]},
        {**evse, "uid": None},
    ]
    result = read([location(evses=evses)])
    got = result.locations[0].evses
    assert [(e.uid, e.status) for e in got] == [("E1", "CHARGING"), ("E2", "UNKNOWN")]
    assert whats(result)["status 'charging ' -> 'CHARGING'"] == 1
    assert whats(result)["status missing -> 'UNKNOWN'"] == 1
    assert reasons(result) == Counter(
        {
            "duplicate EVSE uid": 1,
            "EVSE has no connectors": 1,
            "connector standard missing": 1,
            "EVSE has no valid connectors": 1,
            "EVSE uid missing": 1,
        }
    )


def test_opening_hours_facilities_parking_and_dates() -> None:
    hours = {
        "twentyfourseven": False,
        "regular_hours": [
            {"weekday": 1, "period_begin": "08:00", "period_end": "20:00"},
            {"weekday": 8, "period_begin": "08:00", "period_end": "20:00"},
            {"weekday": 2, "period_begin": "8:00", "period_end": "00:00"},
            {"weekday": 3, "period_begin": "25:00", "period_end": "20:00"},
        ],
        "exceptional_closings": [{"period_begin": "2024-12-25T00:00:00Z", "period_end": "2024-12-26T00:00:00Z"}],
        "exceptional_openings": [{"period_begin": "bad", "period_end": "2024-12-26T00:00:00Z"}],
    }
    result = read(
        [
            location(
                opening_times=hours,
                facilities=["CAFE", "SPACEPORT"],
                parking_type="on_street",
                last_updated="2024-01-01 10:00:00",
                publish=None,
            )
        ]
    )
    loc = result.locations[0]
    assert loc.opening_times is not None
    assert [(h.weekday, h.period_begin, h.period_end) for h in loc.opening_times.regular_hours] == [
        (1, "08:00", "20:00"),
        (2, "08:00", "23:59"),
    ]
    assert len(loc.opening_times.exceptional_closings) == 1
    assert loc.opening_times.exceptional_openings == ()
    assert loc.facilities == ("CAFE",)
    assert loc.parking_type == "ON_STREET"
    assert loc.publish is True
    assert loc.last_updated == datetime(2024, 1, 1, 10, tzinfo=UTC)
    counts = whats(result)
    assert counts["facility 'SPACEPORT' dropped"] == 1
    assert counts["regular_hours entry with invalid weekday dropped"] == 1
    assert counts["regular_hours entry with invalid period_begin dropped"] == 1
    assert counts["publish missing -> true"] == 1


def test_bad_objects_do_not_stop_the_feed() -> None:
    result = read([5, "x", {"coordinates": {}}, location()])
    assert len(result.locations) == 1
    assert reasons(result) == Counter({"location is not an object": 2, "location id missing": 1})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("NLFASE3100201", "NL*FAS*E3100201"),
        ("nl*fas*e31", "NL*FAS*E31"),
        ("1234", "1234"),
        ("DK.PGO.Z1*1", "DK.PGO.Z1*1"),
    ],
)
def test_evse_id_normalisation(raw: str, expected: str) -> None:
    assert normalise_evse_id(raw) == expected
