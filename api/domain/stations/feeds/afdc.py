"""Reader for US DOE Alternative Fuels Data Center (AFDC) station exports in CSV.

Two shapes are known: the short export (Station Name, ZIP, Latitude, Longitude, ID) and the full schema
(address, network, EVSE counts per level, connector types, access hours ...). Both share the AFDC ID space,
so records are keyed US / AFD / ID and importing both merges them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Literal

from api.domain.stations.feeds.common import Log, is_time_zone
from api.domain.stations.feeds.errors import FeedError
from api.domain.stations.records import (
    ConnectorRecord,
    EvseRecord,
    EvseStatus,
    FeedResult,
    LocationRecord,
    OpeningHours,
    ParkingType,
    PowerType,
)

TimeZoneAt = Callable[[float, float], str | None]
Level = Literal["L1", "L2", "DC"]

# AFDC connector code -> (OCPI standard, format, usable on AC levels, usable on DC fast).
CONNECTOR_TYPES: dict[str, tuple[str, Literal["SOCKET", "CABLE"], bool, bool]] = {
    "J1772": ("IEC_62196_T1", "CABLE", True, False),
    "J1772COMBO": ("IEC_62196_T1_COMBO", "CABLE", False, True),
    "CHADEMO": ("CHADEMO", "CABLE", False, True),
    "TESLA": ("TESLA_S", "CABLE", True, True),
    "NEMA1450": ("NEMA_14_50", "SOCKET", True, False),
    "NEMA520": ("NEMA_5_20", "SOCKET", True, False),
    "NEMA515": ("DOMESTIC_B", "SOCKET", True, False),
}
STATUS_CODES: dict[str, EvseStatus] = {"E": "UNKNOWN", "P": "PLANNED", "T": "INOPERATIVE"}
FACILITY_TYPES: dict[str, str] = {
    "HOTEL": "HOTEL",
    "INN": "HOTEL",
    "B_AND_B": "HOTEL",
    "RESTAURANT": "RESTAURANT",
    "CAFE": "CAFE",
    "SHOPPING_CENTER": "MALL",
    "SHOPPING_MALL": "MALL",
    "GROCERY": "SUPERMARKET",
    "SUPERMARKET": "SUPERMARKET",
    "REC_SPORTS_FACILITY": "SPORT",
    "STADIUM": "SPORT",
    "PARK": "NATURE",
    "MUSEUM": "MUSEUM",
    "AIRPORT": "AIRPORT",
    "TRAIN_STATION": "TRAIN_STATION",
    "GAS_STATION": "FUEL_STATION",
    "FUEL_RESELLER": "FUEL_STATION",
    "PARKING_LOT": "PARKING_LOT",
}
PARKING_FACILITIES: dict[str, ParkingType] = {
    "PARKING_GARAGE": "PARKING_GARAGE",
    "PAY_GARAGE": "PARKING_GARAGE",
    "PARKING_LOT": "PARKING_LOT",
}
_CANADIAN_POSTAL = re.compile(r"^[A-Z]\d[A-Z](\s?\d([A-Z]\d?)?)?$", re.IGNORECASE)
_REQUIRED = ("ID", "Latitude", "Longitude")


def _count(value: str) -> int:
    text = value.strip()
    return int(text) if text.isdigit() else 0


def _updated_at(value: str) -> datetime | None:
    text = value.strip().removesuffix(" UTC")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class _Row:
    """Cell access by column name for one CSV row; missing columns read as ""."""

    __slots__ = ("cells", "columns")

    def __init__(self, columns: dict[str, int], cells: list[str]) -> None:
        self.columns = columns
        self.cells = cells

    def __getitem__(self, name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index]


def _rows(text: str, feed: str, log: Log) -> Iterator[tuple[int, _Row]]:
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise FeedError(feed, "no CSV header") from exc
    columns = {name.strip(): index for index, name in enumerate(header)}
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        raise FeedError(feed, f"not an AFDC export: columns {', '.join(missing)} missing")
    line = 1
    while True:
        line += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            log.reject("unreadable CSV line", f"rows[{line}]")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield line, _Row(columns, cells)


class _AfdcReader:
    def __init__(self, now: datetime, time_zone_at: TimeZoneAt, log: Log) -> None:
        self.now = now
        self.time_zone_at = time_zone_at
        self.log = log

    def _position(self, row: _Row, where: str) -> tuple[float, float] | None:
        try:
            latitude, longitude = float(row["Latitude"]), float(row["Longitude"])
        except ValueError:
            self.log.reject("coordinates missing or unreadable", where)
            return None
        if not (math.isfinite(latitude) and math.isfinite(longitude)):
            self.log.reject("coordinates unreadable", where)
            return None
        if not -90 <= latitude <= 90:
            self.log.reject(f"latitude {latitude:g} out of range", where)
            return None
        if not -180 <= longitude <= 180:
            self.log.reject(f"longitude {longitude:g} out of range", where)
            return None
        if latitude == 0 and longitude == 0:
            self.log.reject("coordinates 0,0", where)
            return None
        return latitude, longitude

    def _postal(self, row: _Row, where: str) -> tuple[str | None, str]:
        """(postal code, country alpha-3): US ZIPs lose leading zeros in spreadsheets; Canadian codes mean CAN."""
        zip_code = row["ZIP"].strip()
        country = "CAN" if row["Country"].strip().upper() == "CA" else "USA"
        if zip_code.isdigit() and 3 <= len(zip_code) <= 4:
            self.log.repair("ZIP without leading zeros, padded", where)
            zip_code = zip_code.zfill(5)
        elif country == "USA" and _CANADIAN_POSTAL.match(zip_code):
            self.log.repair("Canadian postal code -> country 'CAN'", where)
            country = "CAN"
        return zip_code or None, country

    def _evses(self, row: _Row, station_id: str, status: EvseStatus, updated: datetime, where: str) -> list[EvseRecord]:
        codes = row["EV Connector Types"].split()
        known: list[tuple[str, Literal["SOCKET", "CABLE"], bool, bool]] = []
        for code in codes:
            mapped = CONNECTOR_TYPES.get(code.upper())
            if mapped is None:
                self.log.repair(f"connector type {code!r} unknown, dropped", where)
            elif mapped not in known:
                known.append(mapped)
        evses: list[EvseRecord] = []
        levels: tuple[tuple[Level, str], ...] = (
            ("L1", "EV Level1 EVSE Num"),
            ("L2", "EV Level2 EVSE Num"),
            ("DC", "EV DC Fast Count"),
        )
        for level, column in levels:
            count = _count(row[column])
            if not count:
                continue
            fitting = [k for k in known if (k[3] if level == "DC" else k[2])]
            if not fitting:
                self.log.reject(f"no connector type fits level {level}", where)
                continue
            power_type: PowerType = "DC" if level == "DC" else "AC_1_PHASE"
            connectors = tuple(
                ConnectorRecord(
                    id=str(index),
                    standard=standard,
                    format=fmt,
                    power_type=power_type,
                    max_voltage=None,
                    max_amperage=None,
                    max_electric_power=None,
                    tariff_ids=(),
                    last_updated=updated,
                )
                for index, (standard, fmt, _, _) in enumerate(fitting, start=1)
            )
            evses.extend(
                EvseRecord(
                    uid=f"{station_id}-{level}-{number}",
                    evse_id=None,
                    status=status,
                    capabilities=(),
                    connectors=connectors,
                    last_updated=updated,
                )
                for number in range(1, count + 1)
            )
        return evses

    def location(self, row: _Row, where: str) -> LocationRecord | None:
        fuel = row["Fuel Type Code"].strip()
        if fuel and fuel != "ELEC":
            self.log.reject(f"fuel type {fuel} is not electric", where)
            return None
        station_id = row["ID"].strip()
        if not station_id:
            self.log.reject("ID missing", where)
            return None
        position = self._position(row, where)
        if position is None:
            return None
        latitude, longitude = position
        time_zone = self.time_zone_at(latitude, longitude)
        if time_zone is None or not is_time_zone(time_zone):
            self.log.reject("time_zone not derivable from coordinates", where)
            return None
        postal_code, country = self._postal(row, where)

        updated = self.now
        if "Updated At" in row.columns:
            parsed = _updated_at(row["Updated At"])
            if parsed is None:
                self.log.repair("Updated At missing or unreadable -> now", where)
            else:
                updated = parsed

        status_code = row["Status Code"].strip().upper()
        status = STATUS_CODES.get(status_code, "UNKNOWN")
        if status_code and status_code not in STATUS_CODES:
            self.log.repair(f"Status Code {status_code!r} unknown -> 'UNKNOWN'", where)

        access = row["Access Days Time"].strip().lower()
        opening_times = OpeningHours(twentyfourseven=True) if access.startswith("24 hours daily") else None
        facility = row["Facility Type"].strip().upper()
        network = row["EV Network"].strip()
        operator_name = None if network in ("", "Non-Networked") else network

        return LocationRecord(
            country_code="US",
            party_id="AFD",
            id=station_id,
            source="afdc",
            name=row["Station Name"].strip() or None,
            address=" ".join(row["Street Address"].split()),
            city=row["City"].strip(),
            postal_code=postal_code,
            state=row["State"].strip() or None,
            country=country,
            latitude=latitude,
            longitude=longitude,
            time_zone=time_zone,
            operator_name=operator_name,
            parking_type=PARKING_FACILITIES.get(facility),
            facilities=(FACILITY_TYPES[facility],) if facility in FACILITY_TYPES else (),
            opening_times=opening_times,
            publish=True,
            evses=tuple(self._evses(row, station_id, status, updated, where)),
            last_updated=updated,
        )


def read_afdc_csv(text: str, feed: str, *, now: datetime, time_zone_at: TimeZoneAt) -> FeedResult:
    """Read an AFDC CSV export (short or full schema) into location records; only electric stations are kept.

    Raises FeedError only when the text is not an AFDC export at all (no header with ID, Latitude, Longitude).
    """
    log = Log()
    reader = _AfdcReader(now, time_zone_at, log)
    locations: list[LocationRecord] = []
    seen: set[str] = set()
    for line, row in _rows(text, feed, log):
        where = f"rows[{line}]"
        location = reader.location(row, where)
        if location is None:
            continue
        if location.id in seen:
            log.reject("duplicate ID", where)
            continue
        seen.add(location.id)
        locations.append(location)
    return FeedResult(
        feed=feed, locations=tuple(locations), repairs=tuple(log.repairs), rejections=tuple(log.rejections)
    )
