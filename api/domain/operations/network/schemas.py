"""The network view's wire shapes and its status vocabulary.

An EVSE's network status is what an operator acts on: the OCPI status its charger last reported, unless the
charger has no connection (then `offline`, whatever it said before). A charger's status is the worst of its EVSEs'.
The console's script (network.js) applies the same rule to live events; keep the two in step.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from api.schema import AppStruct

NetworkStatus = Literal["offline", "faulted", "unavailable", "blocked", "charging", "reserved", "available", "unknown"]
NETWORK_STATUSES: Final[tuple[NetworkStatus, ...]] = (
    "offline",
    "faulted",
    "unavailable",
    "blocked",
    "charging",
    "reserved",
    "available",
    "unknown",
)  # worst first: a charger shows the first of these any of its EVSEs has
OCPI_TO_NETWORK: Final[dict[str, NetworkStatus]] = {
    "OUTOFORDER": "faulted",
    "INOPERATIVE": "unavailable",
    "BLOCKED": "blocked",
    "CHARGING": "charging",
    "RESERVED": "reserved",
    "AVAILABLE": "available",
}
Connectivity = Literal["online", "offline"]
# how the driver of a session proved who they are: the app, an RFID card or fob, a card payment without an account
# (guest), another network's token (OCPI roaming), or the charger alone (a token we have no session for)
AuthMethod = Literal["app", "rfid", "guest", "roaming", "charger"]
AUTH_OF_SOURCE: Final[dict[str, AuthMethod]] = {"app": "app", "rfid": "rfid", "guest": "guest", "ocpi": "roaming"}


def evse_status(connected: bool, ocpi_status: str) -> NetworkStatus:
    """An EVSE's network status from its charger's connection and its stored OCPI status."""
    if not connected:
        return "offline"
    return OCPI_TO_NETWORK.get(ocpi_status, "unknown")


def charger_status(connected: bool, evse_statuses: list[NetworkStatus]) -> NetworkStatus:
    """The worst status of a charger's EVSEs (`unknown` for a charger without any)."""
    if not connected:
        return "offline"
    present = set(evse_statuses)
    return next((status for status in NETWORK_STATUSES if status in present), "unknown")


class ActiveSession(AppStruct):
    """The session running on an EVSE, as the meter last reported it."""

    session_id: uuid.UUID | None  # None: a transaction the charger started on its own (no session of ours)
    status: str  # starting | charging | suspended | stopping (`charging` for a charger's own transaction)
    auth_method: AuthMethod
    id_token_hint: str | None  # the last characters of the card or token, enough to recognise it
    roaming_partner: str | None  # OCPI: the eMSP's country code and party id, e.g. "DE-ABC"
    transaction_id: str | None  # the charger's own transaction id (for a remote stop)
    started_at: datetime | None
    duration_seconds: int
    energy_kwh: Decimal
    power_kw: Decimal | None
    soc_percent: float | None


class EvseRow(AppStruct):
    evse_id: uuid.UUID
    uid: str
    emi3_evse_id: str | None
    connector_id: int | None  # the OCPP connector (1.6) or EVSE (2.0.1) number
    status: NetworkStatus
    ocpi_status: str
    ocpp_status: str | None
    error_code: str | None
    status_updated_at: datetime
    session: ActiveSession | None


class ChargerRow(AppStruct):
    charger_id: str  # the OCPP identity
    status: NetworkStatus
    connected: bool
    held_by: str | None  # the process holding its socket
    last_seen: datetime | None
    vendor: str | None
    model: str | None
    firmware_version: str | None
    ocpp_version: str | None
    registration_status: str
    evses: list[EvseRow]


class StatusCounts(AppStruct):
    """Chargers and EVSEs of a group by status, and the share of its chargers that are connected."""

    chargers: int = 0
    chargers_online: int = 0
    evses: int = 0
    evses_by_status: dict[str, int] = {}
    online_share: float = 0.0  # chargers_online / chargers, 0..1 (0 for a group without chargers)


class GroupRef(AppStruct):
    id: uuid.UUID
    name: str


class LocationGroup(AppStruct):
    location_id: uuid.UUID
    name: str | None
    address: str
    city: str
    region: GroupRef | None
    business_unit: GroupRef | None
    totals: StatusCounts
    chargers: list[ChargerRow]


class GroupTotals(AppStruct):
    """Totals of a region or business unit (`id` None: locations without one)."""

    id: uuid.UUID | None
    name: str
    totals: StatusCounts


class NetworkChoices(AppStruct):
    """What the filters can choose from within the caller's sites, whatever is chosen now."""

    regions: list[GroupRef]
    business_units: list[GroupRef]
    locations: list[GroupRef]
    models: list[str]


class NetworkView(AppStruct):
    """The network the caller may see after the filters: totals of all of it (overall, per region, per business
    unit), and a page of its locations (ordered by region, then name) with their totals and chargers."""

    generated_at: datetime
    choices: NetworkChoices
    totals: StatusCounts
    regions: list[GroupTotals]
    business_units: list[GroupTotals]
    locations_total: int  # locations with a charger the filters keep
    offset: int
    limit: int
    locations: list[LocationGroup]  # from `offset`, at most `limit`


class ChargerLink(AppStruct):
    """Live: a charger connected or lost its connection (`event: charger`)."""

    charger_id: str
    location_id: uuid.UUID
    connected: bool
    held_by: str | None
    last_seen: datetime
    ocpp_version: str | None


class EvseChange(AppStruct):
    """Live: an EVSE reported a different status or error (`event: evse`)."""

    evse_id: uuid.UUID
    location_id: uuid.UUID
    ocpi_status: str
    ocpp_status: str | None
    error_code: str | None
    status_updated_at: datetime


class SessionProgress(AppStruct):
    """Live: a session's meter moved or its state changed (`event: session`); `final` when it is over. The EVSE is
    the location's EVSE with `evseUid`."""

    session_id: uuid.UUID
    location_id: uuid.UUID
    evse_uid: str
    status: str
    auth_method: AuthMethod
    started_at: datetime | None
    duration_seconds: int
    energy_kwh: Decimal
    power_kw: Decimal | None
    soc_percent: float | None
    final: bool
