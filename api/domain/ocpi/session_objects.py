"""Our charging sessions as OCPI 2.2.1 Session and CDR objects (mod_sessions, mod_cdrs): pure mappings.

The numbers come from the session's priced CDR (the bill) once it is billed, and from its meter while it runs;
money is rounded as on the driver's receipt (`costs.py`). Ids: the session id is our session's UUID, the CDR id
is the same UUID (one CDR per session, at most 39 characters), location/EVSE/connector ids are their OCPI ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from api.db.models import ChargingSession, Connector, Evse, Location
from api.domain.ocpi.costs import price, rounded_costs
from api.domain.ocpi.numbers import ocpi_number
from api.domain.ocpi.schemas import format_datetime
from pricing.costing import CdrTotals

# our session status -> OCPI SessionStatus
SESSION_STATUS: Final = {
    "starting": "PENDING",
    "charging": "ACTIVE",
    "suspended": "ACTIVE",
    "stopping": "ACTIVE",
    "completed": "COMPLETED",
    "failed": "INVALID",
}
AUTH_METHODS: Final = frozenset({"AUTH_REQUEST", "COMMAND", "WHITELIST"})


@dataclass(frozen=True, slots=True)
class SessionPlace:
    """Where a session happens, as OCPI names it."""

    location: Location
    evse: Evse
    connector: Connector | None


@dataclass(frozen=True, slots=True)
class Progress:
    """A session's meter so far: energy, the cost (None when free or unknown) and the charging periods."""

    kwh: Decimal
    totals: CdrTotals | None
    periods: list[dict[str, Any]]


def cdr_token(record: ChargingSession, country_code: str, party_id: str) -> dict[str, Any]:
    """The token the session was authorised with; a session that came without one carries its id token as ours."""
    token = record.ocpi_cdr_token
    if isinstance(token, dict) and token.get("uid"):
        return {key: token[key] for key in ("country_code", "party_id", "uid", "type", "contract_id") if key in token}
    return {
        "country_code": country_code,
        "party_id": party_id,
        "uid": record.id_token[:36],
        "type": "OTHER",
        "contract_id": record.id_token[:36],
    }


def connector_id_of(record: ChargingSession, place: SessionPlace) -> str:
    return place.connector.connector_id if place.connector is not None else str(record.connector_id)


def session_object(
    record: ChargingSession, place: SessionPlace, progress: Progress | None, *, country_code: str, party_id: str
) -> dict[str, Any]:
    """The OCPI Session of one of our sessions (status, energy, cost and periods as known now)."""
    status = SESSION_STATUS.get(record.status, "INVALID")
    obj: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": str(record.id),
        "start_date_time": format_datetime(record.started_at or record.created_at),
    }
    if record.ended_at is not None and status in ("COMPLETED", "INVALID"):
        obj["end_date_time"] = format_datetime(record.ended_at)
    billed = record.cdr if record.billed_at is not None and record.cdr is not None else None
    if billed is not None:
        kwh: Decimal | str = str(billed.get("total_energy") or "0")
    else:
        kwh = progress.kwh if progress is not None else Decimal(0)
    obj["kwh"] = ocpi_number(kwh)
    obj["cdr_token"] = cdr_token(record, country_code, party_id)
    obj["auth_method"] = record.ocpi_auth_method if record.ocpi_auth_method in AUTH_METHODS else "WHITELIST"
    if record.ocpi_authorization_reference:
        obj["authorization_reference"] = record.ocpi_authorization_reference
    obj["location_id"] = place.location.ocpi_id
    obj["evse_uid"] = place.evse.uid
    obj["connector_id"] = connector_id_of(record, place)
    obj["currency"] = record.currency
    if progress is not None and progress.periods:
        obj["charging_periods"] = progress.periods
    if billed is not None:
        obj["total_cost"] = rounded_costs(billed, record.currency)["total_cost"]
    elif progress is not None and progress.totals is not None:
        obj["total_cost"] = rounded_costs(live_cost_document(progress.totals), record.currency)["total_cost"]
    obj["status"] = status
    obj["last_updated"] = format_datetime(record.updated_at)
    return obj


def live_cost_document(totals: CdrTotals) -> dict[str, Any]:
    """The running totals in the stored CDR's shape (what billing would store if the session ended now)."""
    from pricing.cdr_document import totals_document

    return totals_document(totals)


def cdr_tariff(tariff: dict[str, Any], location: Location, fallback_updated: datetime) -> dict[str, Any]:
    """The session's tariff as an OCPI Tariff: country, party and last_updated filled in where it had none."""
    filled = dict(tariff)
    filled.setdefault("country_code", location.country_code)
    filled.setdefault("party_id", location.party_id)
    filled.setdefault("last_updated", format_datetime(fallback_updated))
    return filled


def cdr_object(
    record: ChargingSession,
    place: SessionPlace,
    periods: list[dict[str, Any]],
    *,
    country_code: str,
    party_id: str,
    last_updated: datetime,
) -> dict[str, Any]:
    """The OCPI CDR of a billed session: the bill's totals, rounded as on the receipt."""
    if record.billed_at is None or record.cdr is None:
        raise ValueError(f"session {record.id} is not billed yet: it has no CDR")
    cdr = record.cdr
    location, evse, connector = place.location, place.evse, place.connector
    cdr_location: dict[str, Any] = {"id": location.ocpi_id}
    if location.name:
        cdr_location["name"] = location.name[:255]
    cdr_location["address"] = location.address[:45]
    cdr_location["city"] = location.city[:45]
    if location.postal_code:
        cdr_location["postal_code"] = location.postal_code[:10]
    if location.state:
        cdr_location["state"] = location.state[:20]
    cdr_location["country"] = location.country
    cdr_location["coordinates"] = {"latitude": f"{location.latitude:.6f}", "longitude": f"{location.longitude:.6f}"}
    cdr_location["evse_uid"] = evse.uid
    cdr_location["evse_id"] = (evse.emi3_evse_id or evse.uid)[:48]
    cdr_location["connector_id"] = connector_id_of(record, place)
    cdr_location["connector_standard"] = connector.standard if connector is not None else "IEC_62196_T2"
    cdr_location["connector_format"] = connector.format if connector is not None else "SOCKET"
    cdr_location["connector_power_type"] = connector.power_type if connector is not None else "AC_3_PHASE"
    start = record.started_at or record.created_at
    end = record.ended_at or record.billed_at
    obj: dict[str, Any] = {
        "country_code": country_code,
        "party_id": party_id,
        "id": str(record.id),
        "start_date_time": format_datetime(start),
        "end_date_time": format_datetime(end),
        "session_id": str(record.id),
        "cdr_token": cdr_token(record, country_code, party_id),
        "auth_method": record.ocpi_auth_method if record.ocpi_auth_method in AUTH_METHODS else "WHITELIST",
    }
    if record.ocpi_authorization_reference:
        obj["authorization_reference"] = record.ocpi_authorization_reference
    obj["cdr_location"] = cdr_location
    obj["currency"] = record.currency
    if record.tariff:
        obj["tariffs"] = [cdr_tariff(record.tariff, location, record.billed_at)]
    hours = Decimal(str(cdr.get("total_time") or "0"))
    obj["charging_periods"] = periods or [
        {"start_date_time": format_datetime(start), "dimensions": [{"type": "ENERGY", "volume": ocpi_number(0)}]}
    ]
    costs = rounded_costs(cdr, record.currency)
    obj["total_cost"] = costs["total_cost"]
    for field in ("total_fixed_cost",):
        if field in costs:
            obj[field] = costs[field]
    obj["total_energy"] = ocpi_number(str(cdr.get("total_energy") or "0"))
    if "total_energy_cost" in costs:
        obj["total_energy_cost"] = costs["total_energy_cost"]
    obj["total_time"] = ocpi_number(hours)
    if "total_time_cost" in costs:
        obj["total_time_cost"] = costs["total_time_cost"]
    parking = Decimal(str(cdr.get("total_parking_time") or "0"))
    if parking:
        obj["total_parking_time"] = ocpi_number(parking)
    if "total_parking_cost" in costs:
        obj["total_parking_cost"] = costs["total_parking_cost"]
    if "total_reservation_cost" in costs:
        obj["total_reservation_cost"] = costs["total_reservation_cost"]
    obj["last_updated"] = format_datetime(last_updated)
    return obj


__all__ = ["Progress", "SessionPlace", "cdr_object", "price", "session_object"]
