"""Our stored locations as OCPI 2.2.1 Location, EVSE and Connector objects (mod_locations), exactly per the spec.

Pure: rows in, wire Structs out. The store keeps more than OCPI allows in places (longer addresses, physical
references of 64 characters, connectors without voltage or amperage from feeds like AFDC); this module makes each
value fit: strings are cut to their OCPI maximum, missing electrical ratings get the nominal values of the
connector's power type, and a parent's `last_updated` is never older than any of its children's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import msgspec

from api.domain.ocpi.schemas import format_datetime
from api.domain.stations.records import CONNECTOR_STANDARDS, OpeningHours, PublishToken

EVSE_STATUSES: frozenset[str] = frozenset(
    {"AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"}
)
CAPABILITIES: frozenset[str] = frozenset(
    {
        "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT", "CONTACTLESS_CARD_SUPPORT",
        "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
        "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
    }
)  # fmt: skip
FACILITIES: frozenset[str] = frozenset(
    {
        "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
        "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
        "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
    }
)  # fmt: skip
PARKING_TYPES: frozenset[str] = frozenset(
    {"ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"}
)
POWER_TYPES: frozenset[str] = frozenset({"AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"})
_FORMATS: frozenset[str] = frozenset({"SOCKET", "CABLE"})

# Nominal (voltage V, amperage A) per power type, sent when a feed did not say; North America uses 240 V split
# phase for AC. Partners need both numbers (OCPI requires them); these are what the socket type is built for.
_NOMINAL: dict[str, tuple[int, int]] = {
    "AC_1_PHASE": (230, 16),
    "AC_2_PHASE": (230, 16),
    "AC_2_PHASE_SPLIT": (240, 32),
    "AC_3_PHASE": (230, 16),
    "DC": (500, 125),
}
_NORTH_AMERICA = frozenset({"USA", "CAN", "MEX"})


# ---- wire shapes (OCPI JSON is snake_case; optional fields are left out rather than sent as null) ----


class GeoLocation(msgspec.Struct, frozen=True):
    latitude: str
    longitude: str


class BusinessDetails(msgspec.Struct, frozen=True, omit_defaults=True):
    name: str


class RegularHours(msgspec.Struct, frozen=True):
    weekday: int
    period_begin: str
    period_end: str


class ExceptionalPeriod(msgspec.Struct, frozen=True):
    period_begin: str
    period_end: str


class Hours(msgspec.Struct, frozen=True, omit_defaults=True):
    twentyfourseven: bool
    regular_hours: tuple[RegularHours, ...] = ()
    exceptional_openings: tuple[ExceptionalPeriod, ...] = ()
    exceptional_closings: tuple[ExceptionalPeriod, ...] = ()


class OcpiConnector(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    id: str
    standard: str
    format: str
    power_type: str
    max_voltage: int
    max_amperage: int
    max_electric_power: int | None = None
    tariff_ids: tuple[str, ...] = ()
    last_updated: str


class OcpiEvse(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    uid: str
    evse_id: str | None = None
    status: str
    capabilities: tuple[str, ...] = ()
    connectors: tuple[OcpiConnector, ...]
    floor_level: str | None = None
    physical_reference: str | None = None
    last_updated: str


class OcpiLocation(msgspec.Struct, frozen=True, omit_defaults=True, kw_only=True):
    country_code: str
    party_id: str
    id: str
    publish: bool
    publish_allowed_to: tuple[PublishToken, ...] = ()
    name: str | None = None
    address: str
    city: str
    postal_code: str | None = None
    state: str | None = None
    country: str
    coordinates: GeoLocation
    parking_type: str | None = None
    evses: tuple[OcpiEvse, ...] = ()
    operator: BusinessDetails | None = None
    facilities: tuple[str, ...] = ()
    time_zone: str
    opening_times: Hours | None = None
    last_updated: str


# ---- what the queries read (timestamps already as OCPI DateTime text, which orders as the instants do) ----


class ConnectorRow(msgspec.Struct, frozen=True, gc=False):
    connector_id: str
    standard: str
    format: str
    power_type: str
    max_voltage: int | None
    max_amperage: int | None
    max_electric_power: int | None
    tariff_ids: Sequence[str]
    last_updated: str


class EvseRow(msgspec.Struct, frozen=True, gc=False):
    uid: str
    emi3_evse_id: str | None
    status: str
    capabilities: Sequence[str]
    physical_reference: str | None
    floor_level: str | None
    last_updated: str
    # our own charger behind it, if any: its status is live only while we hear from that charger
    charging_station_id: object | None = None  # its id, in whatever form the database returns it
    station_connected: bool | None = None
    station_last_seen: datetime | None = None
    row_id: object | None = None  # the EVSE's own id, as the database driver gives it


class LocationRow(msgspec.Struct, frozen=True, gc=False):
    country_code: str
    party_id: str
    ocpi_id: str
    name: str | None
    address: str
    city: str
    postal_code: str | None
    state: str | None
    country: str
    latitude: float
    longitude: float
    time_zone: str
    operator_name: str | None
    parking_type: str | None
    facilities: Sequence[str]
    opening_times: dict[str, Any] | None
    publish: bool
    publish_allowed_to: Sequence[dict[str, Any]] | None
    last_updated: str


# ---- mapping ----


def fit(value: str, limit: int) -> str:
    """`value` cut to the OCPI maximum length (stored text is already trimmed by the importers)."""
    return value if len(value) <= limit else value[:limit].rstrip()


def _optional(value: str | None, limit: int) -> str | None:
    if not value:
        return None
    return value if len(value) <= limit else value[:limit].rstrip()


def coordinates(latitude: float, longitude: float) -> GeoLocation:
    """Six decimals: within the spec's regex (`-?[0-9]{1,2}\\.[0-9]{5,7}`) and about 10 cm."""
    return GeoLocation(latitude=f"{latitude:.6f}", longitude=f"{longitude:.6f}")


def electrical_ratings(row: ConnectorRow, country: str) -> tuple[int, int]:
    """(max_voltage, max_amperage), both required by OCPI: the stored ones, else derived or nominal."""
    nominal_voltage, nominal_amperage = _NOMINAL.get(row.power_type, (230, 16))
    if row.power_type == "AC_1_PHASE" and country in _NORTH_AMERICA:
        nominal_voltage, nominal_amperage = 240, 32
    voltage = row.max_voltage if row.max_voltage and row.max_voltage > 0 else None
    amperage = row.max_amperage if row.max_amperage and row.max_amperage > 0 else None
    power = row.max_electric_power if row.max_electric_power and row.max_electric_power > 0 else None
    phases = 3 if row.power_type == "AC_3_PHASE" else 1
    if voltage is None:
        voltage = round(power / (amperage * phases)) if power and amperage else nominal_voltage
    if amperage is None:
        amperage = max(1, round(power / (voltage * phases))) if power else nominal_amperage
    return voltage, amperage


@lru_cache(maxsize=4096)
def _known(values: tuple[str, ...], allowed: frozenset[str]) -> tuple[str, ...]:
    """`values` without those outside an OCPI enum; the same few lists recur on every page, so kept."""
    return tuple(value for value in values if value in allowed)


def connector_object(row: ConnectorRow, country: str) -> OcpiConnector:
    voltage, amperage = row.max_voltage, row.max_amperage
    if not (voltage and amperage and voltage > 0 and amperage > 0):
        voltage, amperage = electrical_ratings(row, country)
    power = row.max_electric_power
    return OcpiConnector(
        id=row.connector_id if len(row.connector_id) <= 36 else fit(row.connector_id, 36),
        standard=row.standard if row.standard in CONNECTOR_STANDARDS else "IEC_62196_T2",
        format=row.format if row.format in _FORMATS else "SOCKET",
        power_type=row.power_type if row.power_type in POWER_TYPES else "AC_1_PHASE",
        max_voltage=voltage,
        max_amperage=amperage,
        max_electric_power=power if power and power > 0 else None,
        tariff_ids=tuple(row.tariff_ids),
        last_updated=row.last_updated,
    )


def evse_status(row: EvseRow, now: datetime, heartbeat_window: timedelta) -> str:
    """The status a partner sees: a feed's reported one, or our charger's live one while we can hear it.

    An EVSE of our own charger that is offline (not connected, or silent past the heartbeat window) is UNKNOWN,
    which OCPI says is also used when offline; REMOVED stays REMOVED whatever the charger does.
    """
    return live_evse_status(
        row.status, row.charging_station_id, row.station_connected, row.station_last_seen, now, heartbeat_window
    )


def live_evse_status(
    stored: str,
    charging_station_id: object | None,
    connected: bool | None,
    last_seen: datetime | None,
    now: datetime,
    heartbeat_window: timedelta,
) -> str:
    status = stored if stored in EVSE_STATUSES else "UNKNOWN"
    if status == "REMOVED" or charging_station_id is None:
        return status
    if not connected or last_seen is None or now - last_seen > heartbeat_window:
        return "UNKNOWN"
    return status


def evse_object(
    row: EvseRow, connectors: Iterable[ConnectorRow], country: str, now: datetime, heartbeat_window: timedelta
) -> OcpiEvse | None:
    """The EVSE, or None when it has no connector (OCPI requires at least one)."""
    mapped = [connector_object(c, country) for c in connectors]
    if not mapped:
        return None
    newest = row.last_updated
    for connector in mapped:
        if connector.last_updated > newest:
            newest = connector.last_updated
    return OcpiEvse(
        uid=row.uid if len(row.uid) <= 36 else fit(row.uid, 36),
        evse_id=_optional(row.emi3_evse_id, 48),
        status=evse_status(row, now, heartbeat_window),
        capabilities=_known(tuple(row.capabilities), CAPABILITIES),
        connectors=tuple(mapped),
        floor_level=_optional(row.floor_level, 4),
        physical_reference=_optional(row.physical_reference, 16),
        last_updated=newest,
    )


def opening_hours(stored: dict[str, Any] | None) -> Hours | None:
    if not stored:
        return None
    hours = msgspec.convert(stored, OpeningHours)
    regular = tuple(RegularHours(h.weekday, h.period_begin, h.period_end) for h in hours.regular_hours)
    if not hours.twentyfourseven and not regular:
        return None  # nothing a partner could act on; OCPI needs regular hours when not 24/7
    return Hours(
        twentyfourseven=hours.twentyfourseven,
        regular_hours=() if hours.twentyfourseven else regular,
        exceptional_openings=tuple(
            ExceptionalPeriod(format_datetime(p.period_begin), format_datetime(p.period_end))
            for p in hours.exceptional_openings
        ),
        exceptional_closings=tuple(
            ExceptionalPeriod(format_datetime(p.period_begin), format_datetime(p.period_end))
            for p in hours.exceptional_closings
        ),
    )


def publish_tokens(stored: Sequence[dict[str, Any]] | None) -> tuple[PublishToken, ...]:
    return tuple(msgspec.convert(token, PublishToken) for token in stored or ())


def location_object(
    row: LocationRow,
    evses: Sequence[tuple[EvseRow, Sequence[ConnectorRow]]],
    now: datetime,
    heartbeat_window: timedelta,
) -> OcpiLocation:
    """The Location with its EVSEs; its `last_updated` is the newest of its own and its EVSEs' and connectors'."""
    mapped = [evse_object(evse, connectors, row.country, now, heartbeat_window) for evse, connectors in evses]
    newest = row.last_updated
    for (evse_row, _), evse in zip(evses, mapped, strict=True):
        # a mapped EVSE is already the newest of itself and its connectors
        stamp = evse_row.last_updated if evse is None else evse.last_updated
        if stamp > newest:
            newest = stamp
    return OcpiLocation(
        country_code=row.country_code,
        party_id=row.party_id,
        id=fit(row.ocpi_id, 36),
        publish=row.publish,
        publish_allowed_to=() if row.publish else publish_tokens(row.publish_allowed_to),
        name=_optional(row.name, 255),
        address=fit(row.address, 45),
        city=fit(row.city, 45),
        postal_code=_optional(row.postal_code, 10),
        state=_optional(row.state, 20),
        country=row.country,
        coordinates=coordinates(row.latitude, row.longitude),
        parking_type=row.parking_type if row.parking_type in PARKING_TYPES else None,
        evses=tuple(e for e in mapped if e is not None),
        operator=BusinessDetails(name=fit(row.operator_name, 100)) if row.operator_name else None,
        facilities=_known(tuple(row.facilities), FACILITIES) if row.facilities else (),
        time_zone=row.time_zone,
        opening_times=opening_hours(row.opening_times),
        last_updated=newest,
    )
