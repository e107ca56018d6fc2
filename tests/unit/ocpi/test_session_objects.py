"""Our sessions as OCPI Session and CDR objects: charging periods joined from the priced pieces, money rounded as
on the receipt, statuses and tokens mapped, numbers and times written the OCPI way."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from api.db.models import ChargingSession, Connector, Evse, Location
from api.domain.ocpi.charging_periods import ocpi_charging_periods
from api.domain.ocpi.costs import rounded_costs
from api.domain.ocpi.numbers import ocpi_number
from api.domain.ocpi.schemas import format_datetime
from api.domain.ocpi.session_objects import SessionPlace, cdr_object, session_object
from pricing.session import CdrDimension, CdrDimensionType, ChargingPeriod

T0 = datetime(2026, 3, 9, 10, 17, 9, 123456, tzinfo=UTC)


def piece(minute: int, kwh: str, charging: bool, kw: str = "7.4") -> ChargingPeriod:
    kind = CdrDimensionType.TIME if charging else CdrDimensionType.PARKING_TIME
    return ChargingPeriod(
        start_date_time=T0 + timedelta(minutes=minute),
        dimensions=(
            CdrDimension(CdrDimensionType.ENERGY, Decimal(kwh)),
            CdrDimension(kind, Decimal(1) / Decimal(60)),
            CdrDimension(CdrDimensionType.POWER, Decimal(kw)),
        ),
    )


def test_pieces_join_while_the_kind_of_time_stays_and_no_restriction_boundary_falls_between() -> None:
    pieces = [piece(0, "0.12", True, "7.0"), piece(1, "0.13", True, "7.8"), piece(2, "0.0", False, "0")]
    pieces.append(piece(3, "0.0", False, "0"))
    boundary = ChargingPeriod(start_date_time=T0 + timedelta(minutes=3, seconds=30), dimensions=pieces[3].dimensions)
    readings = {T0 + timedelta(minutes=m) for m in range(5)}
    periods = ocpi_charging_periods([*pieces, boundary], readings, "AC-1")
    starts = [p["start_date_time"] for p in periods]
    assert starts == ["2026-03-09T10:17:09Z", "2026-03-09T10:19:09Z", "2026-03-09T10:20:39Z"]
    charging, parking, after = periods
    assert charging["dimensions"] == [
        {"type": "ENERGY", "volume": 0.25},
        {"type": "TIME", "volume": 0.0333},
        {"type": "MIN_POWER", "volume": 7},
        {"type": "MAX_POWER", "volume": 7.8},
    ]
    assert parking["dimensions"] == [{"type": "ENERGY", "volume": 0}, {"type": "PARKING_TIME", "volume": 0.0333}]
    assert after["tariff_id"] == "AC-1"
    assert ocpi_charging_periods([], readings, None) == []


def test_money_is_rounded_as_on_the_receipt_and_the_lines_add_up() -> None:
    cdr = {
        "total_cost": {"excl_vat": "3.345", "incl_vat": "4.04745"},
        "total_energy_cost": {"excl_vat": "2.115", "incl_vat": "2.55915"},
        "total_time_cost": {"excl_vat": "0.73", "incl_vat": "0.8833"},
        "total_fixed_cost": {"excl_vat": "0.5", "incl_vat": "0.605"},
        "total_parking_cost": {"excl_vat": "0", "incl_vat": "0"},
    }
    costs = rounded_costs(cdr, "EUR")
    assert costs["total_cost"] == {"excl_vat": 3.35, "incl_vat": 4.05}
    assert "total_parking_cost" not in costs
    parts = [costs[k] for k in ("total_energy_cost", "total_time_cost", "total_fixed_cost")]
    assert round(sum(p["incl_vat"] for p in parts), 2) == 4.05
    assert round(sum(p["excl_vat"] for p in parts), 2) == 3.35


def test_a_minimum_price_shows_in_the_total_only() -> None:
    cdr = {
        "total_cost": {"excl_vat": "5", "incl_vat": "6.05"},
        "total_energy_cost": {"excl_vat": "1.2", "incl_vat": "1.452"},
    }
    assert rounded_costs(cdr, "EUR") == {
        "total_cost": {"excl_vat": 5, "incl_vat": 6.05},
        "total_energy_cost": {"excl_vat": 1.2, "incl_vat": 1.45},
    }


def test_numbers_have_at_most_four_decimals_and_times_are_utc_seconds() -> None:
    assert ocpi_number(Decimal("1.23456")) == 1.2346
    assert ocpi_number("2.0000") == 2
    assert isinstance(ocpi_number("2.0000"), int)
    assert format_datetime(T0) == "2026-03-09T10:17:09Z"


def place() -> SessionPlace:
    location = Location(
        id=uuid.uuid4(),
        country_code="NL",
        party_id="VWY",
        ocpi_id="LOC1",
        name="Gent Zuid",
        address="F.Rooseveltlaan 3A, a street name far longer than forty-five characters",
        city="Gent",
        postal_code="9000",
        country="BEL",
        latitude=51.047599,
        longitude=3.729944,
        time_zone="Europe/Brussels",
    )
    evse = Evse(id=uuid.uuid4(), location_id=location.id, uid="3256", emi3_evse_id="BE*BEC*E041503003")
    connector = Connector(
        id=uuid.uuid4(),
        evse_id=evse.id,
        connector_id="1",
        standard="IEC_62196_T2",
        format="SOCKET",
        power_type="AC_1_PHASE",
    )
    return SessionPlace(location, evse, connector)


def session(**fields: Any) -> ChargingSession:
    values: dict[str, Any] = {
        "id": uuid.uuid4(),
        "source": "ocpi",
        "connector_id": 1,
        "id_token": "012345678",
        "status": "charging",
        "currency": "EUR",
        "created_at": T0,
        "started_at": T0,
        "updated_at": T0 + timedelta(minutes=5),
        "ocpi_cdr_token": {
            "country_code": "DE",
            "party_id": "TNM",
            "uid": "012345678",
            "type": "RFID",
            "contract_id": "DE8ACC12E46L89",
            "visual_number": "not in a CdrToken",
        },
        "ocpi_auth_method": "WHITELIST",
    }
    values.update(fields)
    return ChargingSession(**values)


def test_session_statuses_and_the_token_the_partner_gave() -> None:
    statuses = {"starting": "PENDING", "charging": "ACTIVE", "suspended": "ACTIVE", "failed": "INVALID"}
    for ours, theirs in statuses.items():
        obj = session_object(session(status=ours), place(), None, country_code="NL", party_id="VWY")
        assert obj["status"] == theirs
    obj = session_object(session(), place(), None, country_code="NL", party_id="VWY")
    assert obj["cdr_token"] == {
        "country_code": "DE",
        "party_id": "TNM",
        "uid": "012345678",
        "type": "RFID",
        "contract_id": "DE8ACC12E46L89",
    }
    assert (obj["location_id"], obj["evse_uid"], obj["connector_id"]) == ("LOC1", "3256", "1")
    assert obj["kwh"] == 0
    assert "end_date_time" not in obj
    own = session_object(
        session(ocpi_cdr_token=None, ocpi_auth_method=None), place(), None, country_code="NL", party_id="VWY"
    )
    assert own["cdr_token"]["type"] == "OTHER"
    assert own["auth_method"] == "WHITELIST"


def test_a_cdr_keeps_the_bill_and_cuts_texts_to_their_ocpi_lengths() -> None:
    tariff = {
        "id": "12",
        "currency": "EUR",
        "elements": [{"price_components": [{"type": "TIME", "price": 2.0, "vat": 10.0, "step_size": 300}]}],
    }
    billed = session(
        status="completed",
        ended_at=T0 + timedelta(hours=2),
        billed_at=T0 + timedelta(hours=2, seconds=3),
        tariff=tariff,
        cdr={
            "total_cost": {"excl_vat": "4.00", "incl_vat": "4.40"},
            "total_time_cost": {"excl_vat": "4.00", "incl_vat": "4.40"},
            "total_energy_cost": {"excl_vat": "0", "incl_vat": "0"},
            "total_energy": "15.342",
            "total_time": "1.973",
            "total_parking_time": "0",
        },
    )
    cdr = cdr_object(billed, place(), [], country_code="BE", party_id="BEC", last_updated=T0 + timedelta(hours=2))
    assert cdr["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert cdr["total_time_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert (cdr["total_energy"], cdr["total_time"]) == (15.342, 1.973)
    assert len(cdr["cdr_location"]["address"]) == 45
    assert cdr["cdr_location"]["coordinates"] == {"latitude": "51.047599", "longitude": "3.729944"}
    assert cdr["tariffs"][0]["country_code"] == "NL"  # filled in from the location where the tariff had none
    assert cdr["charging_periods"][0]["dimensions"] == [{"type": "ENERGY", "volume": 0}]
    assert "total_parking_time" not in cdr
