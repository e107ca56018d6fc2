"""The AFDC stations as OUR OWN network, for the OCPI benchmarks: every location under our country code and party id.

The 50,270-row AFDC export has no connector columns (only name, ZIP, coordinates and id), so the importer gives its
locations no EVSEs. A partner crawl of EVSE-less locations would measure almost nothing; each such location gets the
equipment of a typical US public site instead, deterministically from its id: two Level 2 EVSEs with a J1772 cable,
and on every third location a DC fast EVSE with CCS1 and CHAdeMO. The 4,857 New York rows keep the connectors AFDC
lists for them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import msgspec

from api.domain.stations.feeds.afdc import read_afdc_csv
from api.domain.stations.records import ConnectorRecord, EvseRecord, LocationRecord
from api.domain.stations.time_zones import time_zone_at

AFDC = Path(__file__).resolve().parents[2] / "shared" / "data" / "afdc"
FILES = ("ghhyc_alt_fuel_stations.csv", "jingniz_alt_fuel_stations.csv")


def _connector(number: int, standard: str, power_type: str, watts: int, now: datetime) -> ConnectorRecord:
    return ConnectorRecord(
        id=str(number),
        standard=standard,
        format="CABLE",
        power_type=power_type,  # type: ignore[arg-type]
        max_voltage=None,
        max_amperage=None,
        max_electric_power=watts,
        tariff_ids=("AC-STANDARD",) if power_type != "DC" else ("DC-FAST",),
        last_updated=now,
    )


def typical_evses(location_id: str, now: datetime) -> tuple[EvseRecord, ...]:
    evses = [
        EvseRecord(
            uid=f"{location_id}-L2-{number}",
            evse_id=None,
            status="AVAILABLE",
            capabilities=("RFID_READER", "REMOTE_START_STOP_CAPABLE"),
            connectors=(_connector(1, "IEC_62196_T1", "AC_1_PHASE", 7_200, now),),
            last_updated=now,
        )
        for number in (1, 2)
    ]
    if sum(map(ord, location_id)) % 3 == 0:
        evses.append(
            EvseRecord(
                uid=f"{location_id}-DC-1",
                evse_id=None,
                status="CHARGING",
                capabilities=("RFID_READER", "REMOTE_START_STOP_CAPABLE", "CREDIT_CARD_PAYABLE"),
                connectors=(
                    _connector(1, "IEC_62196_T1_COMBO", "DC", 150_000, now),
                    _connector(2, "CHADEMO", "DC", 50_000, now),
                ),
                last_updated=now,
            )
        )
    return tuple(evses)


def our_network(country_code: str, party_id: str, now: datetime) -> list[LocationRecord]:
    """Both AFDC files as locations of our party (the New York file's ids win where both list a station)."""
    records: dict[str, LocationRecord] = {}
    for name in FILES:
        result = read_afdc_csv((AFDC / name).read_text(encoding="utf-8-sig"), name, now=now, time_zone_at=time_zone_at)
        for record in result.locations:
            evses = record.evses or typical_evses(record.id, now)
            records[record.id] = msgspec.structs.replace(
                record, country_code=country_code, party_id=party_id, evses=evses
            )
    return list(records.values())
