"""Our rows as OCPI Location/EVSE/Connector objects: valid per the spec's tables and the ocpi-types definitions,
shaped like the spec's examples, cut to the spec's lengths, with parents never older than their children."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from ocpi_types import v2_2_1 as ocpi

from api.domain.ocpi.location_objects import (
    ConnectorRow,
    EvseRow,
    LocationRow,
    electrical_ratings,
    evse_status,
    location_object,
)
from api.domain.ocpi.schemas import format_datetime
from api.domain.stations.records import PublishToken
from tests.ocpi_shapes import shape_differences, spec_example
from tests.ocpi_spec import problems

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=10)
STATION_ID = uuid.uuid4()


def location_row(**changes: Any) -> LocationRow:
    values: dict[str, Any] = {
        "country_code": "NL",
        "party_id": "VWY",
        "ocpi_id": "LOC1",
        "name": "Gent Zuid",
        "address": "F.Rooseveltlaan 3A",
        "city": "Gent",
        "postal_code": "9000",
        "state": None,
        "country": "BEL",
        "latitude": 51.047599,
        "longitude": 3.729944,
        "time_zone": "Europe/Brussels",
        "operator_name": "BeCharged",
        "parking_type": "ON_STREET",
        "facilities": [],
        "opening_times": None,
        "publish": True,
        "publish_allowed_to": None,
        "last_updated": format_datetime(NOW - timedelta(days=3)),
    }
    values.update(changes)
    return LocationRow(**values)


def evse_row(**changes: Any) -> EvseRow:
    values: dict[str, Any] = {
        "uid": "3256",
        "emi3_evse_id": "BE*BEC*E041503001",
        "status": "AVAILABLE",
        "capabilities": ["RESERVABLE"],
        "physical_reference": "1",
        "floor_level": "-1",
        "last_updated": format_datetime(NOW - timedelta(days=2)),
    }
    values.update(changes)
    return EvseRow(**values)


def connector_row(**changes: Any) -> ConnectorRow:
    values: dict[str, Any] = {
        "connector_id": "1",
        "standard": "IEC_62196_T2",
        "format": "CABLE",
        "power_type": "AC_3_PHASE",
        "max_voltage": 220,
        "max_amperage": 16,
        "max_electric_power": None,
        "tariff_ids": ["11"],
        "last_updated": format_datetime(NOW - timedelta(days=1)),
    }
    values.update(changes)
    return ConnectorRow(**values)


def as_json(value: object) -> Any:
    return json.loads(msgspec.json.encode(value))


def test_location_is_valid_and_has_the_shape_of_the_spec_example(shared_dir: Path) -> None:
    sent = as_json(location_object(location_row(), [(evse_row(), [connector_row()])], NOW, WINDOW))
    assert problems(sent, "Location") == []
    ocpi.Location.from_dict(sent)
    example = spec_example(shared_dir, "location_example.json")
    differences = shape_differences(sent, example)
    # no field the example lacks and every field typed alike; the example's extras (images, energy mix ...) we
    # do not store, so only "missing" differences are allowed
    assert [d for d in differences if not d.endswith(": missing")] == []


def test_parent_last_updated_follows_the_newest_child() -> None:
    newest = NOW - timedelta(hours=1)
    sent = location_object(
        location_row(),
        [(evse_row(), [connector_row(), connector_row(connector_id="2", last_updated=format_datetime(newest))])],
        NOW,
        WINDOW,
    )
    assert sent.last_updated == sent.evses[0].last_updated == format_datetime(newest)
    assert sent.evses[0].connectors[0].last_updated == format_datetime(NOW - timedelta(days=1))


def test_strings_are_cut_to_the_spec_lengths_and_coordinates_match_its_pattern() -> None:
    row = location_row(
        address="A" * 200, city="B" * 80, postal_code="12345678901234", state="C" * 60, latitude=-8.5, longitude=-170.25
    )
    sent = as_json(location_object(row, [(evse_row(physical_reference="P" * 60), [connector_row()])], NOW, WINDOW))
    assert problems(sent, "Location") == []
    assert (len(sent["address"]), len(sent["city"]), len(sent["postal_code"]), len(sent["state"])) == (45, 45, 10, 20)
    assert sent["evses"][0]["physical_reference"] == "P" * 16
    assert sent["coordinates"] == {"latitude": "-8.500000", "longitude": "-170.250000"}


def test_connectors_without_ratings_get_nominal_ones() -> None:
    afdc = connector_row(power_type="AC_1_PHASE", max_voltage=None, max_amperage=None, standard="IEC_62196_T1")
    assert electrical_ratings(afdc, "USA") == (240, 32)
    assert electrical_ratings(afdc, "NLD") == (230, 16)
    assert electrical_ratings(connector_row(power_type="DC", max_voltage=None, max_amperage=None), "USA") == (500, 125)
    derived = connector_row(power_type="AC_3_PHASE", max_voltage=230, max_amperage=None, max_electric_power=22_080)
    assert electrical_ratings(derived, "DEU") == (230, 32)


def test_unpublished_locations_carry_their_publish_tokens_and_published_ones_none() -> None:
    tokens = [{"visual_number": "12345-67", "issuer": "NewMotion"}, {"uid": "12345678905880", "type": "RFID"}]
    hidden = as_json(location_object(location_row(publish=False, publish_allowed_to=tokens), [], NOW, WINDOW))
    assert hidden["publish"] is False
    assert hidden["publish_allowed_to"] == tokens
    assert problems(hidden, "Location") == []
    ocpi.Location.from_dict(hidden)
    shown = as_json(location_object(location_row(publish_allowed_to=tokens), [], NOW, WINDOW))
    assert "publish_allowed_to" not in shown


@pytest.mark.parametrize(
    "token",
    [{}, {"issuer": "ANWB"}, {"visual_number": "1"}, {"uid": "1"}, {"group_id": "G" * 37}],
    ids=["empty", "issuer only", "number without issuer", "uid without type", "group too long"],
)
def test_publish_tokens_the_spec_forbids_are_refused(token: dict[str, str]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(token, PublishToken)


def test_live_status_needs_a_charger_we_hear_from() -> None:
    live = evse_row(status="CHARGING", charging_station_id=STATION_ID, station_connected=True)
    assert evse_status(msgspec.structs.replace(live, station_last_seen=NOW - timedelta(minutes=1)), NOW, WINDOW) == (
        "CHARGING"
    )
    assert evse_status(msgspec.structs.replace(live, station_last_seen=NOW - timedelta(hours=1)), NOW, WINDOW) == (
        "UNKNOWN"
    )
    offline = msgspec.structs.replace(live, station_connected=False, station_last_seen=NOW)
    assert evse_status(offline, NOW, WINDOW) == "UNKNOWN"
    assert evse_status(msgspec.structs.replace(offline, status="REMOVED"), NOW, WINDOW) == "REMOVED"
    assert evse_status(evse_row(status="OUTOFORDER"), NOW, WINDOW) == "OUTOFORDER"  # a feed's report, as is


def test_evses_without_connectors_are_left_out_and_opening_hours_are_sent_in_utc() -> None:
    hours = {
        "twentyfourseven": False,
        "regular_hours": [{"weekday": 1, "period_begin": "08:00", "period_end": "20:00"}],
        "exceptional_closings": [
            {"period_begin": "2026-12-25T00:00:00+01:00", "period_end": "2026-12-26T00:00:00+01:00"}
        ],
    }
    sent = as_json(location_object(location_row(opening_times=hours), [(evse_row(), [])], NOW, WINDOW))
    assert "evses" not in sent
    assert sent["opening_times"]["exceptional_closings"] == [
        {"period_begin": "2026-12-24T23:00:00Z", "period_end": "2026-12-25T23:00:00Z"}
    ]
    assert problems(sent, "Location") == []
