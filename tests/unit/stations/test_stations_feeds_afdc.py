"""AFDC CSV exports: both real files, the ELEC filter, connector mapping, and junk lines that never raise."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.domain.stations.feeds.afdc import read_afdc_csv
from api.domain.stations.feeds.errors import FeedError
from api.domain.stations.records import CONNECTOR_STANDARDS, FeedResult
from api.domain.stations.time_zones import time_zone_at
from tests.support import skip_or_fail

AFDC_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "afdc"
NOW = datetime(2025, 6, 1, tzinfo=UTC)
SHORT_HEADER = "Station Name,ZIP,Latitude,Longitude,ID\n"
FULL_HEADER = (
    "Fuel Type Code,Station Name,Street Address,City,State,ZIP,Status Code,Access Days Time,EV Level1 EVSE Num,"
    "EV Level2 EVSE Num,EV DC Fast Count,EV Network,Latitude,Longitude,ID,Updated At,EV Connector Types,Country,"
    "Facility Type\n"
)


def new_york(_latitude: float, _longitude: float) -> str | None:
    return "America/New_York"


def read_file(name: str) -> tuple[FeedResult, float]:
    path = AFDC_DIR / name
    if not path.is_file():
        skip_or_fail("VOLTWAY_REQUIRE_SHARED", f"reference data not found at {path}")
    text = path.read_text(encoding="utf-8")
    time_zone_at(40.0, -74.0)  # load the polygons outside the timing
    started = time.perf_counter()
    result = read_afdc_csv(text, name, now=NOW, time_zone_at=time_zone_at)
    return result, time.perf_counter() - started


@pytest.fixture(scope="module")
def short_export() -> tuple[FeedResult, float]:
    return read_file("ghhyc_alt_fuel_stations.csv")


@pytest.fixture(scope="module")
def full_export() -> FeedResult:
    return read_file("jingniz_alt_fuel_stations.csv")[0]


def test_short_export_every_row_becomes_a_location(short_export: tuple[FeedResult, float]) -> None:
    result, elapsed = short_export
    assert len(result.locations) == 50_270
    assert result.rejections == ()
    assert elapsed < 2.5  # about 1 s on one core; slack for a loaded machine
    repairs = Counter(r.what for r in result.repairs)
    assert repairs == Counter({"ZIP without leading zeros, padded": 4544, "Canadian postal code -> country 'CAN'": 2})
    by_id = {loc.id: loc for loc in result.locations}
    truesdale = by_id["1517"]  # LADWP - Truesdale Center, Sun Valley CA
    assert (truesdale.time_zone, truesdale.postal_code, truesdale.country) == ("America/Los_Angeles", "91352", "USA")
    assert (truesdale.country_code, truesdale.party_id, truesdale.source) == ("US", "AFD", "afdc")
    assert truesdale.evses == ()
    assert truesdale.address == ""
    short = [loc.postal_code for loc in result.locations if loc.postal_code is not None and len(loc.postal_code) < 5]
    assert short == ["0"]  # one row gives ZIP "0": kept as given


def test_full_export_keeps_only_electric(full_export: FeedResult) -> None:
    assert len(full_export.locations) == 4_736
    assert Counter(r.reason for r in full_export.rejections) == Counter(
        {
            "fuel type E85 is not electric": 74,
            "fuel type CNG is not electric": 23,
            "fuel type LPG is not electric": 19,
            "fuel type BD is not electric": 4,
            "fuel type RD is not electric": 1,
        }
    )
    evses = [e for loc in full_export.locations for e in loc.evses]
    assert len(evses) == 16_788
    for loc in full_export.locations:
        assert loc.state == "NY"
        assert loc.time_zone == "America/New_York"
        assert len({e.uid for e in loc.evses}) == len(loc.evses)
        for evse in loc.evses:
            assert evse.connectors
            for connector in evse.connectors:
                assert connector.standard in CONNECTOR_STANDARDS
                assert connector.max_voltage is None
                expected = "DC" if "-DC-" in evse.uid else "AC_1_PHASE"
                assert connector.power_type == expected
    assert sum(1 for loc in full_export.locations if loc.opening_times and loc.opening_times.twentyfourseven) > 3_800


def test_connector_mapping_and_levels() -> None:
    text = FULL_HEADER + (
        "ELEC,Hub,1 Main St,Albany,NY,12207,E,24 hours daily,1,2,1,ChargePoint Network,42.65,-73.75,77,"
        '2025-02-12 00:16:32 UTC,"J1772 CHADEMO J1772COMBO TESLA NEMA515 WARP",US,HOTEL\n'
        "ELEC,Planned,2 Main St,Albany,NY,12207,P,,,,2,Non-Networked,42.65,-73.75,78,,J1772,US,PAY_GARAGE\n"
        "ELEC,Down,3 Main St,Albany,NY,12207,T,,,1,,Tesla,42.65,-73.75,79,,TESLA,US,\n"
    )
    result = read_afdc_csv(text, "ny.csv", now=NOW, time_zone_at=new_york)
    hub, planned, down = result.locations
    assert [e.uid for e in hub.evses] == ["77-L1-1", "77-L2-1", "77-L2-2", "77-DC-1"]
    assert [c.standard for c in hub.evses[0].connectors] == ["IEC_62196_T1", "TESLA_S", "DOMESTIC_B"]
    assert [c.standard for c in hub.evses[3].connectors] == ["CHADEMO", "IEC_62196_T1_COMBO", "TESLA_S"]
    assert hub.evses[3].connectors[0].power_type == "DC"
    assert hub.evses[0].status == "UNKNOWN"
    assert hub.opening_times is not None
    assert hub.opening_times.twentyfourseven
    assert hub.facilities == ("HOTEL",)
    assert hub.operator_name == "ChargePoint Network"
    assert hub.last_updated == datetime(2025, 2, 12, 0, 16, 32, tzinfo=UTC)
    assert (hub.address, hub.city, hub.postal_code) == ("1 Main St", "Albany", "12207")
    assert planned.evses == ()  # DC fast counted, but J1772 does not fit DC
    assert planned.parking_type == "PARKING_GARAGE"
    assert planned.operator_name is None
    assert [e.status for e in down.evses] == ["INOPERATIVE"]
    assert Counter(r.what for r in result.repairs)["connector type 'WARP' unknown, dropped"] == 1
    assert Counter(r.reason for r in result.rejections) == Counter({"no connector type fits level DC": 1})


def test_broken_rows_are_rejected() -> None:
    text = (
        SHORT_HEADER + "A,10001,,,1\nB,10001,95.5,-73,2\nC,10001,40.7,-73.9,2\nD,10001,40.7,-73.9,\nE,,40.7,-73.9,3\n"
    )
    result = read_afdc_csv(text, "x.csv", now=NOW, time_zone_at=new_york)
    assert [loc.id for loc in result.locations] == ["2", "3"]
    assert Counter(r.reason for r in result.rejections) == Counter(
        {"coordinates missing or unreadable": 1, "latitude 95.5 out of range": 1, "ID missing": 1}
    )
    no_zone = read_afdc_csv(SHORT_HEADER + "A,1,10,10,1\n", "x.csv", now=NOW, time_zone_at=lambda _a, _b: None)
    assert [r.reason for r in no_zone.rejections] == ["time_zone not derivable from coordinates"]


@pytest.mark.parametrize("text", ["", "a,b,c\n1,2,3\n", "\ufeffName\n"])
def test_not_an_export_raises(text: str) -> None:
    with pytest.raises(FeedError, match=r"bad\.csv"):
        read_afdc_csv(text, "bad.csv", now=NOW, time_zone_at=new_york)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(max_size=80), max_size=8), st.sampled_from([SHORT_HEADER, FULL_HEADER]))
def test_junk_lines_never_raise(lines: list[str], header: str) -> None:
    result = read_afdc_csv(header + "\n".join(lines), "junk.csv", now=NOW, time_zone_at=time_zone_at)
    for loc in result.locations:
        assert -90 <= loc.latitude <= 90
        assert -180 <= loc.longitude <= 180
