"""The map search's query parameters: parsed by hand on the hot path, documented from the same table.

Letting the framework convert thirteen typed parameters per request costs more than the search itself, so
`GET /v1/stations` reads its query string directly; the table below feeds both the parser and OpenAPI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from litestar.openapi.spec import OpenAPIType, Operation, Parameter, Schema

from api.domain.stations.records import CONNECTOR_STANDARDS
from api.domain.stations.search import (
    Box,
    InvalidCursor,
    StationFilters,
    StationQuery,
    decode_cursor,
)
from api.errors import FieldError

MAX_RADIUS_M = 100_000
MAX_BOX_DEGREES = 10.0

# Decimal degrees, as the document states them: the server refuses what the pattern does not match.
_LONGITUDE = r"-?(?:180(?:\.0+)?|(?:1[0-7][0-9]|[0-9]{1,2})(?:\.[0-9]+)?)"
_LATITUDE = r"-?(?:90(?:\.0+)?|[0-8]?[0-9](?:\.[0-9]+)?)"
BBOX_FORMAT = f"{_LONGITUDE},{_LATITUDE},{_LONGITUDE},{_LATITUDE}"
BBOX_PATTERN = f"^{BBOX_FORMAT}$(?!\\n)"  # Python's `$` also matches before a final newline; ECMA's does not
_BBOX = re.compile(BBOX_FORMAT)
EITHER_CENTRE_OR_BOX = (
    "Give either `lat` and `lon` (with an optional `radius`) or `bbox`; with both, `bbox` bounds the search and "
    "distances are measured from `lat`/`lon`."
)

# name -> (schema, description)
SEARCH_PARAMETERS: dict[str, tuple[Schema, str]] = {
    "lat": (
        Schema(type=OpenAPIType.NUMBER, minimum=-90, maximum=90),
        "latitude of the centre in degrees, -90 to 90; with lon, unless bbox is given",
    ),
    "lon": (
        Schema(type=OpenAPIType.NUMBER, minimum=-180, maximum=180),
        "longitude of the centre in degrees, -180 to 180; with lat, unless bbox is given",
    ),
    "radius": (
        Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=MAX_RADIUS_M),
        "metres around the centre, 1 to 100000 (default 5000)",
    ),
    "bbox": (
        Schema(type=OpenAPIType.STRING, pattern=BBOX_PATTERN),
        "map viewport minLon,minLat,maxLon,maxLat (GeoJSON order) in decimal degrees, min not above max, at most "
        "10 degrees wide and high; the alternative to lat and lon",
    ),
    "standards": (
        Schema(type=OpenAPIType.STRING),
        "comma-separated OCPI connector standards, e.g. IEC_62196_T2_COMBO,CHADEMO",
    ),
    "minPowerKw": (
        Schema(type=OpenAPIType.NUMBER, minimum=0, maximum=10_000),
        "only connectors with at least this power",
    ),
    "availableNow": (Schema(type=OpenAPIType.BOOLEAN), "only stations with an EVSE available now"),
    "openNow": (Schema(type=OpenAPIType.BOOLEAN), "leave out stations known to be closed now"),
    "operator": (Schema(type=OpenAPIType.STRING), "operator name (case-insensitive)"),
    "maxPricePerKwh": (
        Schema(type=OpenAPIType.STRING),
        "only connectors whose current energy price (VAT included) is at most this",
    ),
    "limit": (Schema(type=OpenAPIType.INTEGER, minimum=1, maximum=100), "page size, 1 to 100 (default 20)"),
    "cursor": (Schema(type=OpenAPIType.STRING), "nextCursor of the previous page"),
    "locale": (
        Schema(type=OpenAPIType.STRING),
        "language of price texts: en, de, fr, es or nl (default: Accept-Language)",
    ),
}


@dataclass
class StationSearchOperation(Operation):
    """The OpenAPI operation of the search, with its query parameters listed from `SEARCH_PARAMETERS`.

    Which of lat/lon and bbox to give is a rule across parameters, which JSON Schema cannot state for query
    parameters: the description says it, and each of the three says what it goes with.
    """

    def __post_init__(self) -> None:
        self.description = f"{self.description or ''}\n\n{EITHER_CENTRE_OR_BOX}".strip()
        self.parameters = [
            *(self.parameters or []),
            *(
                Parameter(name=name, param_in="query", required=False, schema=schema, description=text)
                for name, (schema, text) in SEARCH_PARAMETERS.items()
            ),
        ]


def _number(params: Mapping[str, str], name: str, errors: list[FieldError]) -> float | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        errors.append(FieldError(name, f"must be a number, got {raw!r}", source="query"))
        return None
    if value != value or value in (float("inf"), float("-inf")):
        errors.append(FieldError(name, "must be a finite number", source="query"))
        return None
    return value


def _integer(params: Mapping[str, str], name: str, default: int, errors: list[FieldError]) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        errors.append(FieldError(name, f"must be a whole number, got {raw!r}", source="query"))
        return default


def _flag(params: Mapping[str, str], name: str, errors: list[FieldError]) -> bool:
    raw = params.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no", ""}:
        return False
    errors.append(FieldError(name, "must be true or false", source="query"))
    return False


def _decimal(params: Mapping[str, str], name: str, errors: list[FieldError]) -> Decimal | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0:
        errors.append(FieldError(name, "must be a non-negative decimal number", source="query"))
        return None
    return value


def parse_centre(params: Mapping[str, str], errors: list[FieldError]) -> tuple[float, float] | None:
    lat = _number(params, "lat", errors)
    lon = _number(params, "lon", errors)
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        if not errors:
            errors.append(FieldError("lat" if lat is None else "lon", "lat and lon go together", source="query"))
        return None
    if not -90.0 <= lat <= 90.0:
        errors.append(FieldError("lat", "must be between -90 and 90", source="query"))
    if not -180.0 <= lon <= 180.0:
        errors.append(FieldError("lon", "must be between -180 and 180", source="query"))
    return (lat, lon)


def parse_box(bbox: str, errors: list[FieldError], max_degrees: float | None) -> Box | None:
    """The viewport, or None with the reason in `errors`; the format is `BBOX_PATTERN`, the one the document states."""
    if _BBOX.fullmatch(bbox) is None:
        errors.append(
            FieldError(
                "bbox",
                "expected minLon,minLat,maxLon,maxLat in decimal degrees, longitudes within -180..180 and "
                "latitudes within -90..90",
                source="query",
            )
        )
        return None
    min_lon, min_lat, max_lon, max_lat = (float(part) for part in bbox.split(","))
    if min_lon > max_lon or min_lat > max_lat:
        errors.append(FieldError("bbox", "inverted: expected minLon,minLat,maxLon,maxLat", source="query"))
        return None
    if max_degrees is not None and (max_lon - min_lon > max_degrees or max_lat - min_lat > max_degrees):
        errors.append(
            FieldError("bbox", f"spans more than {max_degrees:g} degrees; use /v1/stations/clusters", "query")
        )
        return None
    return Box(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


def parse_station_query(params: Mapping[str, str]) -> tuple[StationQuery | None, list[FieldError]]:
    """The query, or the list of everything wrong with the parameters."""
    errors = [
        FieldError(name, "unknown query parameter", source="query")
        for name in sorted(set(params) - SEARCH_PARAMETERS.keys())
    ]
    centre = parse_centre(params, errors)
    bbox = params.get("bbox")
    box = parse_box(bbox, errors, MAX_BOX_DEGREES) if bbox is not None else None
    if centre is None and box is None and not errors:
        errors.append(FieldError("lat", "give lat and lon, or bbox", source="query"))
    radius = _integer(params, "radius", 5000, errors)
    if not 1 <= radius <= MAX_RADIUS_M:
        errors.append(FieldError("radius", f"must be between 1 and {MAX_RADIUS_M} metres", source="query"))
    limit = _integer(params, "limit", 20, errors)
    if not 1 <= limit <= 100:
        errors.append(FieldError("limit", "must be between 1 and 100", source="query"))
    wanted = frozenset(s.strip() for s in params.get("standards", "").split(",") if s.strip())
    if wanted - CONNECTOR_STANDARDS:
        unknown = ", ".join(sorted(wanted - CONNECTOR_STANDARDS))
        errors.append(FieldError("standards", f"unknown standards: {unknown}", source="query"))
    min_power_kw = _decimal(params, "minPowerKw", errors)
    if min_power_kw is not None and min_power_kw > 10_000:
        errors.append(FieldError("minPowerKw", "must be between 0 and 10000", source="query"))
    max_price = _decimal(params, "maxPricePerKwh", errors)
    available_now = _flag(params, "availableNow", errors)
    open_now = _flag(params, "openNow", errors)
    after = None
    cursor = params.get("cursor")
    if cursor is not None:
        try:
            after = decode_cursor(cursor)
        except InvalidCursor as exc:
            errors.append(FieldError("cursor", str(exc), source="query"))
    if errors:
        return None, errors
    operator = params.get("operator")
    return (
        StationQuery(
            centre=centre,
            radius_m=None if box is not None else float(radius),
            box=box,
            filters=StationFilters(
                standards=wanted,
                min_power_w=int(min_power_kw * 1000) if min_power_kw is not None else None,
                available_now=available_now,
                open_now=open_now,
                operator=operator.casefold() if operator else None,
                max_price_per_kwh=max_price,
            ),
            limit=limit,
            after=after,
        ),
        [],
    )
