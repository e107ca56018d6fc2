"""Reader for OCPI `GET /locations` responses (2.1.1, 2.2, 2.2.1): lenient on input, strict on output.

Real CPO feeds break the spec in many ways; what can be repaired unambiguously is repaired and logged as a
`Repair`, what cannot is left out as a `Rejection` at the smallest level (connector, EVSE, location).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import PurePath
from typing import Any, cast, get_args

import msgspec

from api.domain.stations.feeds.common import (
    Log,
    alpha2_of,
    coordinate,
    country_alpha3,
    is_alpha2,
    is_time_zone,
    parse_utc,
    text_or_none,
)
from api.domain.stations.feeds.errors import FeedError
from api.domain.stations.records import (
    CONNECTOR_STANDARDS,
    ConnectorFormat,
    ConnectorRecord,
    EvseRecord,
    EvseStatus,
    ExceptionalPeriod,
    FeedResult,
    LocationRecord,
    OpeningHours,
    ParkingType,
    PowerType,
    PublishToken,
    RegularHours,
)

TimeZoneAt = Callable[[float, float], str | None]

EVSE_STATUSES: frozenset[str] = frozenset(get_args(EvseStatus))
PARKING_TYPES: frozenset[str] = frozenset(get_args(ParkingType))
POWER_TYPES: frozenset[str] = frozenset(get_args(PowerType))
_PUBLISH_TOKEN_FIELDS = frozenset(PublishToken.__struct_fields__)
CONNECTOR_FORMATS: frozenset[str] = frozenset(get_args(ConnectorFormat))
FACILITIES: frozenset[str] = frozenset(
    {
        "HOTEL", "RESTAURANT", "CAFE", "MALL", "SUPERMARKET", "SPORT", "RECREATION_AREA", "NATURE", "MUSEUM",
        "BIKE_SHARING", "BUS_STOP", "TAXI_STAND", "TRAM_STOP", "METRO_STATION", "TRAIN_STATION", "AIRPORT",
        "PARKING_LOT", "CARPOOL_PARKING", "FUEL_STATION", "WIFI",
    }
)  # fmt: skip
CAPABILITIES: frozenset[str] = frozenset(
    {
        "CHARGING_PROFILE_CAPABLE", "CHARGING_PREFERENCES_CAPABLE", "CHIP_CARD_SUPPORT", "CONTACTLESS_CARD_SUPPORT",
        "CREDIT_CARD_PAYABLE", "DEBIT_CARD_PAYABLE", "PED_TERMINAL", "REMOTE_START_STOP_CAPABLE", "RESERVABLE",
        "RFID_READER", "START_SESSION_CONNECTOR_REQUIRED", "TOKEN_GROUP_CAPABLE", "UNLOCK_CAPABLE",
    }
)  # fmt: skip

# Connectors that only exist as DC plugs on a tethered cable, and plugs that only exist as sockets.
DC_STANDARDS = frozenset({"CHADEMO", "CHAOJI", "GBT_DC", "IEC_62196_T1_COMBO", "IEC_62196_T2_COMBO"})
SOCKET_ONLY_STANDARDS = frozenset(
    {s for s in CONNECTOR_STANDARDS if s.startswith(("DOMESTIC_", "NEMA_", "IEC_60309_"))}
)


def _squash(name: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", name.upper())


# Spellings seen in the wild, compared with letters and digits only, upper case.
_STANDARD_ALIASES: dict[str, str] = {
    **{_squash(s): s for s in CONNECTOR_STANDARDS},
    "TYPE1": "IEC_62196_T1",
    "J1772": "IEC_62196_T1",
    "SAEJ1772": "IEC_62196_T1",
    "TYPE2": "IEC_62196_T2",
    "TYPE2OUTLET": "IEC_62196_T2",
    "TYPE2SOCKET": "IEC_62196_T2",
    "TYPE2CABLE": "IEC_62196_T2",
    "MENNEKES": "IEC_62196_T2",
    "CCS": "IEC_62196_T2_COMBO",
    "CCS2": "IEC_62196_T2_COMBO",
    "COMBO2": "IEC_62196_T2_COMBO",
    "TYPE2COMBO": "IEC_62196_T2_COMBO",
    "CCSTYPE2": "IEC_62196_T2_COMBO",
    "CCS1": "IEC_62196_T1_COMBO",
    "COMBO1": "IEC_62196_T1_COMBO",
    "TYPE1COMBO": "IEC_62196_T1_COMBO",
    "CCSTYPE1": "IEC_62196_T1_COMBO",
    "J1772COMBO": "IEC_62196_T1_COMBO",
    "GBTDC": "GBT_DC",
    "GBTAC": "GBT_AC",
    "SCHUKO": "DOMESTIC_F",
}

# eMI3 EVSE id: country, operator, "E", outlet id; separators "*" optional.
_EMI3 = re.compile(r"^([A-Z]{2})\*?([A-Z0-9]{3})\*?E([A-Z0-9][A-Z0-9*]{0,30})$", re.IGNORECASE)
_HHMM = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])(:[0-5][0-9])?$")
_PARTY_ID = re.compile(r"^[A-Z0-9]{3}$")
_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _snake_keys(value: Any) -> tuple[Any, bool]:
    """Snake-case every key (some feeds send `timeZone`, `evseId` ...); report whether anything changed."""
    if isinstance(value, dict):
        changed = False
        out: dict[str, Any] = {}
        for key, item in value.items():
            new_key = _CAMEL.sub(lambda m: "_" + m.group(1).lower(), key) if isinstance(key, str) else key
            new_item, item_changed = _snake_keys(item)
            changed = changed or item_changed or new_key != key
            out.setdefault(new_key, new_item)
        return out, changed
    if isinstance(value, list):
        items = [_snake_keys(item) for item in value]
        return [item for item, _ in items], any(c for _, c in items)
    return value, False


def normalise_evse_id(value: str) -> str:
    """The eMI3 form "CC*OOO*E..." when the id is one (with or without separators); otherwise as given."""
    match = _EMI3.match(value.strip())
    if match is None:
        return value.strip()
    country, operator, outlet = match.groups()
    return f"{country.upper()}*{operator.upper()}*E{outlet.upper()}"


def _emi3_party(value: object) -> tuple[str, str] | None:
    if not isinstance(value, str):
        return None
    match = _EMI3.match(value.strip())
    if match is None or not is_alpha2(match.group(1)):
        return None
    return match.group(1).upper(), match.group(2).upper()


def _feed_party(feed: str) -> str:
    tokens = [t for t in re.split(r"[^A-Za-z0-9]+", PurePath(feed).stem) if sum(c.isalpha() for c in t) >= 2]
    token = _squash(tokens[-1]) if tokens else "FEED"
    return (token + "XXX")[:3]


class _Reader:
    def __init__(self, feed: str, now: datetime, time_zone_at: TimeZoneAt) -> None:
        self.feed = feed
        self.now = now
        self.time_zone_at = time_zone_at
        self.log = Log()
        self.source = f"ocpi:{feed}"

    # -- scalars -------------------------------------------------------------------------------------------------

    def _timestamp(self, value: object, field: str, where: str) -> datetime:
        moment = parse_utc(value)
        if moment is not None:
            return moment
        if value is None:
            self.log.repair(f"{field} missing -> now", where)
        else:
            self.log.repair(f"{field} unreadable -> now", where)
        return self.now

    def _int(self, value: object, field: str, where: str) -> int | None:
        """A positive integer quantity; strings and fractions repaired, zero and junk become unknown."""
        if value is None:
            self.log.repair(f"{field} missing", where)
            return None
        number: float | None
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = None
            else:
                self.log.repair(f"{field} given as a string", where)
        else:
            number = None
        if number is None or not math.isfinite(number):
            self.log.repair(f"{field} {value!r} unreadable -> unknown", where)
            return None
        if number <= 0:
            self.log.repair(f"{field} {number:g} -> unknown", where)
            return None
        if not number.is_integer():
            self.log.repair(f"{field} fraction rounded", where)
        return round(number)

    # -- connectors ----------------------------------------------------------------------------------------------

    def _standard(self, raw: object, where: str) -> str | None:
        if not isinstance(raw, str) or not raw.strip():
            self.log.reject("connector standard missing", where)
            return None
        if raw in CONNECTOR_STANDARDS:
            return raw
        standard = _STANDARD_ALIASES.get(_squash(raw))
        if standard is None:
            self.log.reject(f"connector standard {raw!r} unknown", where)
            return None
        self.log.repair(f"standard {raw!r} -> {standard!r}", where)
        return standard

    def _enum(self, raw: object, allowed: frozenset[str], field: str, where: str) -> str | None:
        """Exact value, or a case/space variant of one (repaired); None when missing or unknown."""
        if not isinstance(raw, str) or not raw.strip():
            return None
        if raw in allowed:
            return raw
        candidate = raw.strip().upper().replace(" ", "_")
        if candidate in allowed:
            self.log.repair(f"{field} {raw!r} -> {candidate!r}", where)
            return candidate
        return None

    def _connector(self, raw: object, where: str) -> ConnectorRecord | None:
        if not isinstance(raw, dict):
            self.log.reject("connector is not an object", where)
            return None
        connector_id = text_or_none(raw.get("id"))
        if connector_id is None:
            self.log.reject("connector id missing", where)
            return None
        standard = self._standard(raw.get("standard"), where)
        if standard is None:
            return None

        power_type = self._enum(raw.get("power_type"), POWER_TYPES, "power_type", where)
        if power_type is None:
            if raw.get("power_type") not in (None, ""):
                self.log.reject(f"connector power_type {raw.get('power_type')!r} unknown", where)
                return None
            if standard not in DC_STANDARDS:
                self.log.reject("connector power_type missing", where)
                return None
            power_type = "DC"
            self.log.repair("power_type missing -> 'DC' (DC-only standard)", where)

        fmt = self._enum(raw.get("format"), CONNECTOR_FORMATS, "format", where)
        if fmt is None:
            if raw.get("format") not in (None, ""):
                self.log.reject(f"connector format {raw.get('format')!r} unknown", where)
                return None
            if standard in DC_STANDARDS:
                fmt = "CABLE"
                self.log.repair("format missing -> 'CABLE' (DC-only standard)", where)
            elif standard in SOCKET_ONLY_STANDARDS:
                fmt = "SOCKET"
                self.log.repair("format missing -> 'SOCKET' (socket-only standard)", where)
            else:
                self.log.reject("connector format missing", where)
                return None

        if "max_voltage" not in raw and ("voltage" in raw or "amperage" in raw):
            self.log.repair("voltage/amperage -> max_voltage/max_amperage (2.1.1)", where)
            voltage_raw, amperage_raw = raw.get("voltage"), raw.get("amperage")
        else:
            voltage_raw, amperage_raw = raw.get("max_voltage"), raw.get("max_amperage")
        voltage = self._int(voltage_raw, "max_voltage", where)
        amperage = self._int(amperage_raw, "max_amperage", where)
        power = self._power(raw.get("max_electric_power"), power_type, voltage, amperage, where)

        tariffs_raw = raw.get("tariff_ids")
        if tariffs_raw is None and "tariff_id" in raw:
            tariffs_raw = [raw["tariff_id"]] if raw["tariff_id"] is not None else []
            self.log.repair("tariff_id -> tariff_ids (2.1.1)", where)
        elif isinstance(tariffs_raw, str):
            tariffs_raw = [tariffs_raw]
            self.log.repair("tariff_ids given as a string", where)
        tariff_ids = tuple(
            t for t in (text_or_none(x) for x in (tariffs_raw if isinstance(tariffs_raw, list) else [])) if t
        )

        return ConnectorRecord(
            id=connector_id,
            standard=standard,
            format=cast("ConnectorFormat", fmt),
            power_type=cast("PowerType", power_type),
            max_voltage=voltage,
            max_amperage=amperage,
            max_electric_power=power,
            tariff_ids=tariff_ids,
            last_updated=self._timestamp(raw.get("last_updated"), "last_updated", where),
        )

    def _power(self, raw: object, power_type: str, voltage: int | None, amperage: int | None, where: str) -> int | None:
        if raw is not None and not isinstance(raw, bool) and isinstance(raw, int | float) and math.isfinite(raw):
            if raw >= 1000:
                return round(raw)
            if raw > 0:
                # No charger delivers less than a kilowatt: such a value is in kW.
                self.log.repair("max_electric_power in kW -> W", where)
                return round(raw * 1000)
        elif raw is not None:
            self.log.repair(f"max_electric_power {raw!r} unreadable", where)
        if voltage is None or amperage is None:
            return None
        phases = {"AC_3_PHASE": 3, "AC_2_PHASE": 2}.get(power_type, 1)
        # 380-415 V on three phases is line-to-line, where OCPI asks for line-to-neutral.
        per_phase = voltage / math.sqrt(3) if phases == 3 and 380 <= voltage <= 415 else float(voltage)
        self.log.repair("max_electric_power derived from voltage x amperage x phases", where)
        return round(per_phase * amperage * phases)

    # -- EVSEs ---------------------------------------------------------------------------------------------------

    def _evse(self, raw: object, where: str) -> EvseRecord | None:
        if not isinstance(raw, dict):
            self.log.reject("EVSE is not an object", where)
            return None
        uid = text_or_none(raw.get("uid"))
        if uid is None:
            self.log.reject("EVSE uid missing", where)
            return None

        status_raw = raw.get("status")
        status = self._enum(status_raw, EVSE_STATUSES, "status", where)
        if status is None:
            status = "UNKNOWN"
            if status_raw is None:
                self.log.repair("status missing -> 'UNKNOWN'", where)
            else:
                self.log.repair(f"status {status_raw!r} unknown -> 'UNKNOWN'", where)

        capabilities: list[str] = []
        for capability in raw.get("capabilities") or []:
            value = self._enum(capability, CAPABILITIES, "capability", where)
            if value is None:
                self.log.repair(f"capability {capability!r} dropped", where)
            elif value not in capabilities:
                capabilities.append(value)

        evse_id: str | None = None
        evse_id_raw = text_or_none(raw.get("evse_id"))
        if evse_id_raw is not None:
            evse_id = normalise_evse_id(evse_id_raw)
            if evse_id != evse_id_raw:
                self.log.repair("evse_id normalised to eMI3 form", where)

        connectors_raw = raw.get("connectors")
        if not isinstance(connectors_raw, list) or not connectors_raw:
            self.log.reject("EVSE has no connectors", where)
            return None
        connectors: list[ConnectorRecord] = []
        seen: set[str] = set()
        for index, item in enumerate(connectors_raw):
            connector_where = f"{where}.connectors[{index}]"
            connector = self._connector(item, connector_where)
            if connector is None:
                continue
            if connector.id in seen:
                self.log.reject("duplicate connector id", connector_where)
                continue
            seen.add(connector.id)
            connectors.append(connector)
        if not connectors:
            self.log.reject("EVSE has no valid connectors", where)
            return None

        return EvseRecord(
            uid=uid,
            evse_id=evse_id,
            status=cast("EvseStatus", status),
            capabilities=tuple(capabilities),
            connectors=tuple(connectors),
            last_updated=self._timestamp(raw.get("last_updated"), "last_updated", where),
            physical_reference=text_or_none(raw.get("physical_reference")),
            floor_level=text_or_none(raw.get("floor_level")),
        )

    # -- locations -----------------------------------------------------------------------------------------------

    def _position(self, raw: dict[str, Any], where: str) -> tuple[float, float] | None:
        """The location's coordinates; when those are broken, the first EVSE's valid coordinates (repaired)."""
        scratch = Log()
        position = self._coordinates(raw.get("coordinates"), where, scratch)
        if position is None:
            for evse in raw.get("evses") or []:
                if isinstance(evse, dict) and isinstance(evse.get("coordinates"), dict):
                    evse_log = Log()
                    fallback = self._coordinates(evse["coordinates"], where, evse_log)
                    if fallback is not None:
                        self.log.repair(f"coordinates taken from EVSE ({scratch.rejections[0].reason})", where)
                        self.log.repairs.extend(evse_log.repairs)
                        return fallback
        self.log.repairs.extend(scratch.repairs)
        self.log.rejections.extend(scratch.rejections)
        return position

    def _coordinates(self, raw: object, where: str, log: Log) -> tuple[float, float] | None:
        if not isinstance(raw, dict) or raw.get("latitude") in (None, "") or raw.get("longitude") in (None, ""):
            log.reject("coordinates missing", where)
            return None
        lat_raw, lon_raw = raw["latitude"], raw["longitude"]
        latitude, longitude = coordinate(lat_raw), coordinate(lon_raw)
        if latitude is None or longitude is None:
            log.reject("coordinates unreadable", where)
            return None
        if not isinstance(lat_raw, str) or not isinstance(lon_raw, str):
            log.repair("coordinates given as numbers", where)
        elif "," in lat_raw or "," in lon_raw:
            log.repair("coordinates with a decimal comma", where)
        if not -90 <= latitude <= 90 and -90 <= longitude <= 90 and -180 <= latitude <= 180:
            log.repair("coordinates swapped", where)
            latitude, longitude = longitude, latitude
        if not -90 <= latitude <= 90:
            log.reject(f"latitude {latitude:g} out of range", where)
            return None
        if not -180 <= longitude <= 180:
            log.reject(f"longitude {longitude:g} out of range", where)
            return None
        if latitude == 0 and longitude == 0:
            log.reject("coordinates 0,0", where)
            return None
        if latitude == longitude:
            log.reject("longitude is a copy of latitude", where)
            return None
        return latitude, longitude

    def _country(self, raw: object, fallback_code: str | None, where: str) -> str | None:
        if isinstance(raw, str) and raw.strip():
            alpha_3 = country_alpha3(raw)
            if alpha_3 is not None:
                if alpha_3 != raw:
                    self.log.repair(f"country {raw!r} -> {alpha_3!r}", where)
                return alpha_3
        if fallback_code is not None:
            alpha_3 = country_alpha3(fallback_code)
            if alpha_3 is not None:
                problem = "missing" if raw in (None, "") else f"{raw!r} unknown"
                self.log.repair(f"country {problem} -> {alpha_3!r} from country_code", where)
                return alpha_3
        self.log.reject("country missing" if raw in (None, "") else f"country {raw!r} unknown", where)
        return None

    def _time_zone(self, raw: object, latitude: float, longitude: float, where: str) -> str | None:
        if isinstance(raw, str) and raw:
            if is_time_zone(raw):
                return raw
            fixed = raw.strip().replace(" ", "_")
            if is_time_zone(fixed):
                self.log.repair(f"time_zone {raw!r} -> {fixed!r}", where)
                return fixed
        derived = self.time_zone_at(latitude, longitude)
        if derived is not None and is_time_zone(derived):
            if raw in (None, ""):
                self.log.repair("time_zone derived from coordinates", where)
            else:
                self.log.repair(f"time_zone {raw!r} invalid, derived from coordinates", where)
            return derived
        self.log.reject("time_zone missing and not derivable from coordinates", where)
        return None

    def _opening_times(self, raw: object, where: str) -> OpeningHours | None:
        if raw is None:
            return None
        where = f"{where}.opening_times"
        if not isinstance(raw, dict):
            self.log.repair("opening_times not an object, dropped", where)
            return None
        regular: list[RegularHours] = []
        entries = [e for e in raw.get("regular_hours") or [] if isinstance(e, dict)]
        weekdays = {e.get("weekday") for e in entries}
        shift = 0
        if 0 in weekdays:
            periods = {(e.get("period_begin"), e.get("period_end")) for e in entries}
            if weekdays == set(range(7)) and len(periods) == 1:
                shift = 1
                self.log.repair("regular_hours weekdays 0-6 -> 1-7", where)
            else:
                self.log.repair("regular_hours with weekday 0 dropped (numbering ambiguous)", where)
                entries = []
        for entry in entries:
            hours = self._regular_hours(entry, shift, where)
            if hours is not None:
                regular.append(hours)
        openings = self._periods(raw.get("exceptional_openings"), "exceptional_openings", where)
        closings = self._periods(raw.get("exceptional_closings"), "exceptional_closings", where)
        twentyfourseven = raw.get("twentyfourseven")
        if not isinstance(twentyfourseven, bool):
            twentyfourseven = not regular and not raw.get("regular_hours")
            self.log.repair("opening_times.twentyfourseven missing", where)
        if not twentyfourseven and not regular and not openings:
            self.log.repair("opening_times without valid hours dropped", where)
            return None
        return OpeningHours(
            twentyfourseven=twentyfourseven,
            regular_hours=() if twentyfourseven else tuple(regular),
            exceptional_openings=tuple(openings),
            exceptional_closings=tuple(closings),
        )

    def _regular_hours(self, entry: dict[str, Any], shift: int, where: str) -> RegularHours | None:
        weekday = entry.get("weekday")
        if isinstance(weekday, str) and weekday.strip().isdigit():
            weekday = int(weekday)
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 1 <= weekday + shift <= 7:
            self.log.repair("regular_hours entry with invalid weekday dropped", where)
            return None
        times: list[str] = []
        for field in ("period_begin", "period_end"):
            value = entry.get(field)
            match = _HHMM.match(value.strip()) if isinstance(value, str) else None
            if field == "period_end" and value in ("24:00", "00:00"):
                # Midnight as the end of the day.
                times.append("23:59")
                self.log.repair(f"period_end {value!r} -> '23:59'", where)
                continue
            if match is None:
                self.log.repair(f"regular_hours entry with invalid {field} dropped", where)
                return None
            text = f"{int(match.group(1)):02d}:{match.group(2)}"
            if text != value:
                self.log.repair(f"{field} {value!r} -> {text!r}", where)
            times.append(text)
        if times[1] <= times[0]:
            self.log.repair("regular_hours entry ending before it begins dropped", where)
            return None
        return RegularHours(weekday=weekday + shift, period_begin=times[0], period_end=times[1])

    def _periods(self, raw: object, field: str, where: str) -> list[ExceptionalPeriod]:
        periods: list[ExceptionalPeriod] = []
        for entry in raw if isinstance(raw, list) else []:
            begin = parse_utc(entry.get("period_begin")) if isinstance(entry, dict) else None
            end = parse_utc(entry.get("period_end")) if isinstance(entry, dict) else None
            if begin is None or end is None or end <= begin:
                self.log.repair(f"invalid {field} entry dropped", where)
                continue
            periods.append(ExceptionalPeriod(period_begin=begin, period_end=end))
        return periods

    def _party(self, raw: dict[str, Any], country: str, operator_name: str | None, where: str) -> tuple[str, str]:
        """(country_code, party_id): from the feed, else from an eMI3 EVSE id, the operator or the feed name."""
        code = raw.get("country_code")
        code = code.strip().upper() if isinstance(code, str) and is_alpha2(code.strip()) else None
        party = raw.get("party_id")
        party = party.strip().upper() if isinstance(party, str) and _PARTY_ID.match(party.strip().upper()) else None
        if code is not None and party is not None:
            return code, party
        emi3 = None
        for evse in raw.get("evses") or []:
            if isinstance(evse, dict):
                emi3 = _emi3_party(evse.get("evse_id"))
                if emi3 is not None and (code is None or emi3[0] == code):
                    break
                emi3 = None
        if code is None:
            if emi3 is not None:
                code = emi3[0]
                self.log.repair("country_code derived from evse_id", where)
            else:
                code = alpha2_of(country) or "ZZ"
                self.log.repair("country_code derived from country", where)
        if party is None:
            squashed = _squash(operator_name or "")
            if emi3 is not None:
                party = emi3[1]
                self.log.repair("party_id derived from evse_id", where)
            elif len(squashed) >= 3:
                party = squashed[:3]
                self.log.repair("party_id derived from operator name", where)
            else:
                party = _feed_party(self.feed)
                self.log.repair("party_id derived from feed name", where)
        return code, party

    def location(self, raw_in: object, where: str) -> LocationRecord | None:
        if not isinstance(raw_in, dict):
            self.log.reject("location is not an object", where)
            return None
        raw, renamed = _snake_keys(raw_in)
        if renamed:
            self.log.repair("camelCase field names", where)
        location_id = text_or_none(raw.get("id"))
        if location_id is None:
            self.log.reject("location id missing", where)
            return None
        position = self._position(raw, where)
        if position is None:
            return None
        latitude, longitude = position

        code_raw = raw.get("country_code")
        fallback_code = code_raw if isinstance(code_raw, str) and is_alpha2(code_raw.strip()) else None
        if fallback_code is None:
            emi3 = next(
                (p for e in raw.get("evses") or [] if isinstance(e, dict) and (p := _emi3_party(e.get("evse_id")))),
                None,
            )
            fallback_code = emi3[0] if emi3 else None
        country = self._country(raw.get("country"), fallback_code, where)
        if country is None:
            return None
        time_zone = self._time_zone(raw.get("time_zone"), latitude, longitude, where)
        if time_zone is None:
            return None

        operator = raw.get("operator")
        operator_name = text_or_none(operator.get("name")) if isinstance(operator, dict) else None
        country_code, party_id = self._party(raw, country, operator_name, where)

        parking_raw = raw.get("parking_type")
        if parking_raw is None and "type" in raw:
            parking_raw = raw["type"]
            self.log.repair("type -> parking_type (2.1.1)", where)
        parking_type = self._enum(parking_raw, PARKING_TYPES, "parking_type", where)
        if parking_type is None and parking_raw not in (None, ""):
            self.log.repair(f"parking_type {parking_raw!r} dropped", where)

        facilities: list[str] = []
        for facility in raw.get("facilities") or []:
            value = self._enum(facility, FACILITIES, "facility", where)
            if value is None:
                self.log.repair(f"facility {facility!r} dropped", where)
            elif value not in facilities:
                facilities.append(value)

        publish = raw.get("publish")
        if not isinstance(publish, bool):
            self.log.repair("publish missing -> true" if publish is None else "publish unreadable -> true", where)
            publish = True

        address = text_or_none(raw.get("address"))
        if address is None:
            self.log.repair("address missing", where)
        city = text_or_none(raw.get("city"))
        if city is None:
            self.log.repair("city missing", where)
        postal_code = text_or_none(raw.get("postal_code"))
        if postal_code is not None and len(postal_code) > 10:
            self.log.repair("postal_code longer than 10 characters dropped", where)
            postal_code = None

        evses: list[EvseRecord] = []
        seen: set[str] = set()
        evses_raw = raw.get("evses")
        for index, item in enumerate(evses_raw if isinstance(evses_raw, list) else []):
            evse_where = f"{where}.evses[{index}]"
            evse = self._evse(item, evse_where)
            if evse is None:
                continue
            if evse.uid in seen:
                self.log.reject("duplicate EVSE uid", evse_where)
                continue
            seen.add(evse.uid)
            evses.append(evse)

        return LocationRecord(
            country_code=country_code,
            party_id=party_id,
            id=location_id,
            source=self.source,
            name=text_or_none(raw.get("name")),
            address=address or "",
            city=city or "",
            postal_code=postal_code,
            state=text_or_none(raw.get("state")),
            country=country,
            latitude=latitude,
            longitude=longitude,
            time_zone=time_zone,
            operator_name=operator_name,
            parking_type=cast("ParkingType | None", parking_type),
            facilities=tuple(facilities),
            opening_times=self._opening_times(raw.get("opening_times"), where),
            publish=publish,
            evses=tuple(evses),
            last_updated=self._timestamp(raw.get("last_updated"), "last_updated", where),
            publish_allowed_to=() if publish else self._publish_tokens(raw.get("publish_allowed_to"), where),
        )

    def _publish_tokens(self, raw: object, where: str) -> tuple[PublishToken, ...]:
        """The PublishTokenType objects of an unpublished location; unusable ones are dropped and logged."""
        tokens: list[PublishToken] = []
        for index, item in enumerate(raw if isinstance(raw, list) else []):
            if not isinstance(item, dict):
                self.log.repair(
                    "publish_allowed_to entry not an object, dropped", f"{where}.publish_allowed_to[{index}]"
                )
                continue
            if set(item) - _PUBLISH_TOKEN_FIELDS:
                self.log.repair("publish_allowed_to entry: unknown fields dropped", f"{where}.publish_allowed_to")
            cleaned = {
                k: v.strip() if isinstance(v, str) else v
                for k, v in item.items()
                if k in _PUBLISH_TOKEN_FIELDS and v not in (None, "")
            }
            try:
                tokens.append(msgspec.convert(cleaned, PublishToken))
            except (msgspec.ValidationError, ValueError) as exc:
                self.log.repair(f"publish_allowed_to entry dropped ({exc})", f"{where}.publish_allowed_to[{index}]")
        return tuple(tokens)


def _locations_of(document: object, feed: str) -> list[Any]:
    """The list of location objects inside a bare list, an OCPI envelope, or a single location."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        if "data" in document:
            data = document["data"]
            if isinstance(data, list):
                return data
            if isinstance(data, dict):
                return [data]
            raise FeedError(feed, f"response envelope 'data' is {type(data).__name__}, not a list of locations")
        if "id" in document and ("coordinates" in document or "evses" in document):
            return [document]
        raise FeedError(feed, "JSON object without 'data': no list of locations")
    raise FeedError(feed, f"JSON {type(document).__name__} instead of a list of locations")


def read_ocpi_feed(data: bytes, feed: str, *, now: datetime, time_zone_at: TimeZoneAt) -> FeedResult:
    """Read one OCPI `GET /locations` response into repaired, validated location records.

    Raises FeedError only when the whole file is unreadable; bad objects become rejections.
    """
    try:
        document = msgspec.json.decode(data.removeprefix(b"\xef\xbb\xbf"))
    except msgspec.DecodeError as exc:
        raise FeedError(feed, f"not valid JSON ({exc})") from exc
    raw_locations = _locations_of(document, feed)
    reader = _Reader(feed, now, time_zone_at)
    locations: list[LocationRecord] = []
    seen: set[tuple[str, str, str]] = set()
    for index, raw in enumerate(raw_locations):
        where = f"locations[{index}]"
        location = reader.location(raw, where)
        if location is None:
            continue
        key = (location.country_code, location.party_id, location.id)
        if key in seen:
            reader.log.reject("duplicate location id", where)
            continue
        seen.add(key)
        locations.append(location)
    return FeedResult(
        feed=feed,
        locations=tuple(locations),
        repairs=tuple(reader.log.repairs),
        rejections=tuple(reader.log.rejections),
    )
