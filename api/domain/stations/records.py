"""Normalised, validated location data: what importers and the demo generator produce and the store persists.

Shapes and enumerations follow OCPI 2.2.1 (mod_locations). Everything here is already repaired and checked;
the store trusts it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

ConnectorStandard = str  # an OCPI ConnectorType, e.g. IEC_62196_T2, IEC_62196_T2_COMBO, CHADEMO, TESLA_S
ConnectorFormat = Literal["SOCKET", "CABLE"]
PowerType = Literal["AC_1_PHASE", "AC_2_PHASE", "AC_2_PHASE_SPLIT", "AC_3_PHASE", "DC"]
EvseStatus = Literal[
    "AVAILABLE", "BLOCKED", "CHARGING", "INOPERATIVE", "OUTOFORDER", "PLANNED", "REMOVED", "RESERVED", "UNKNOWN"
]
ParkingType = Literal[
    "ALONG_MOTORWAY", "PARKING_GARAGE", "PARKING_LOT", "ON_DRIVEWAY", "ON_STREET", "UNDERGROUND_GARAGE"
]

CONNECTOR_STANDARDS: frozenset[str] = frozenset(
    {
        "CHADEMO", "CHAOJI", "DOMESTIC_A", "DOMESTIC_B", "DOMESTIC_C", "DOMESTIC_D", "DOMESTIC_E", "DOMESTIC_F",
        "DOMESTIC_G", "DOMESTIC_H", "DOMESTIC_I", "DOMESTIC_J", "DOMESTIC_K", "DOMESTIC_L", "DOMESTIC_M",
        "DOMESTIC_N", "DOMESTIC_O", "GBT_AC", "GBT_DC", "IEC_60309_2_single_16", "IEC_60309_2_three_16",
        "IEC_60309_2_three_32", "IEC_60309_2_three_64", "IEC_62196_T1", "IEC_62196_T1_COMBO", "IEC_62196_T2",
        "IEC_62196_T2_COMBO", "IEC_62196_T3A", "IEC_62196_T3C", "NEMA_5_20", "NEMA_6_30", "NEMA_6_50",
        "NEMA_10_30", "NEMA_10_50", "NEMA_14_30", "NEMA_14_50", "PANTOGRAPH_BOTTOM_UP", "PANTOGRAPH_TOP_DOWN",
        "TESLA_R", "TESLA_S",
    }
)  # fmt: skip


class RegularHours(msgspec.Struct, frozen=True):
    weekday: int  # 1 = Monday ... 7 = Sunday
    period_begin: str  # "HH:MM" local time
    period_end: str


class ExceptionalPeriod(msgspec.Struct, frozen=True):
    period_begin: datetime
    period_end: datetime


class OpeningHours(msgspec.Struct, frozen=True):
    twentyfourseven: bool
    regular_hours: tuple[RegularHours, ...] = ()
    exceptional_openings: tuple[ExceptionalPeriod, ...] = ()
    exceptional_closings: tuple[ExceptionalPeriod, ...] = ()


class ConnectorRecord(msgspec.Struct, frozen=True):
    id: str
    standard: ConnectorStandard
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: int | None  # V; None when the source does not say (AFDC)
    max_amperage: int | None  # A
    max_electric_power: int | None  # W; derived from voltage, amperage and phases when the feed omits it
    tariff_ids: tuple[str, ...]
    last_updated: datetime


class EvseRecord(msgspec.Struct, frozen=True):
    uid: str
    evse_id: str | None  # eMI3 / ISO 15118 EVSE id as printed on the charger, e.g. "NL*FAS*E3100201"
    status: EvseStatus
    capabilities: tuple[str, ...]
    connectors: tuple[ConnectorRecord, ...]
    last_updated: datetime
    physical_reference: str | None = None
    floor_level: str | None = None


class PublishToken(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """OCPI PublishTokenType: who may see a location whose `publish` is false."""

    uid: str | None = None
    type: Literal["AD_HOC_USER", "APP_USER", "OTHER", "RFID"] | None = None
    visual_number: str | None = None
    issuer: str | None = None
    group_id: str | None = None

    def __post_init__(self) -> None:
        for name, limit in (("uid", 36), ("visual_number", 64), ("issuer", 64), ("group_id", 36)):
            value = getattr(self, name)
            if value is not None and not 0 < len(value) <= limit:
                raise ValueError(f"{name} must be 1 to {limit} characters")
        if self.uid is None and self.visual_number is None and self.group_id is None:
            raise ValueError("a publish token needs at least one of uid, visual_number or group_id")
        if self.uid is not None and self.type is None:
            raise ValueError("a publish token with a uid needs its type")
        if self.visual_number is not None and self.issuer is None:
            raise ValueError("a publish token with a visual_number needs its issuer")


class LocationRecord(msgspec.Struct, frozen=True):
    """One location as a feed described it, repaired. (`country_code`, `party_id`, `id`) identify it."""

    country_code: str  # ISO 3166-1 alpha-2 of the operator (OCPI party)
    party_id: str  # OCPI party id, 3 characters
    id: str
    source: str  # where it came from: "ocpi:<file name>", "afdc", "demo", "ocpp"
    name: str | None
    address: str
    city: str
    postal_code: str | None
    state: str | None
    country: str  # ISO 3166-1 alpha-3
    latitude: float
    longitude: float
    time_zone: str  # IANA
    operator_name: str | None
    parking_type: ParkingType | None
    facilities: tuple[str, ...]
    opening_times: OpeningHours | None
    publish: bool
    evses: tuple[EvseRecord, ...]
    last_updated: datetime
    publish_allowed_to: tuple[PublishToken, ...] = ()  # only meaningful when publish is false


class Repair(msgspec.Struct, frozen=True):
    """A fix applied to input that broke the spec, kept so the import report can say what was changed."""

    what: str  # a short, countable description, e.g. "country 'Polska' -> 'POL'"
    where: str  # the object's path in the feed, e.g. "locations[12].evses[0]"


class Rejection(msgspec.Struct, frozen=True):
    """An object left out, with the reason."""

    reason: str
    where: str


class FeedResult(msgspec.Struct, frozen=True):
    """The outcome of reading one feed: what can be stored, what was repaired, what was rejected."""

    feed: str
    locations: tuple[LocationRecord, ...]
    repairs: tuple[Repair, ...]
    rejections: tuple[Rejection, ...]
