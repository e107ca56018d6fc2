"""Map endpoints: nearby and viewport search, clusters, station detail, favourites and problem reports."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.deps import CurrentPrincipal, DbSession
from api.domain.stations.records import CONNECTOR_STANDARDS
from api.domain.stations.reports import REPORT_CATEGORIES
from api.domain.stations.schemas import (
    ClusterPage,
    Favourite,
    ProblemReport,
    ProblemReportRequest,
    ReportCategory,
    StationDetail,
    StationPage,
)
from api.domain.stations.search import Box, InvalidCursor, StationFilters, StationQuery, decode_cursor
from api.domain.stations.services import StationService
from api.errors import FieldError, InvalidQuery
from api.security.guards import signed_in

MAX_RADIUS_M = 100_000
MAX_BOX_DEGREES = 10.0
SEARCH_PARAMS = frozenset(
    {"lat", "lon", "radius", "bbox", "standards", "minPowerKw", "availableNow", "openNow", "operator",
     "maxPricePerKwh", "limit", "cursor", "locale"}
)  # fmt: skip
SUPPORTED_LOCALES = ("en", "de", "fr", "es", "nl")

Latitude = Annotated[float | None, QueryParameter(required=False, description="degrees, -90 to 90")]
Longitude = Annotated[float | None, QueryParameter(required=False, description="degrees, -180 to 180")]
AcceptLanguage = Annotated[str | None, HeaderParameter(name="accept-language", required=False)]
LocaleParam = Annotated[str | None, QueryParameter(required=False, description="en, de, fr, es or nl")]


def _service(state: State) -> StationService:
    service: StationService = state.stations
    return service


def pick_locale(explicit: str | None, accept_language: str | None) -> str:
    """The driver's language for price texts: `?locale=`, else the first supported Accept-Language entry."""
    for candidate in [explicit or "", *(part.split(";")[0] for part in (accept_language or "").split(","))]:
        base = candidate.strip().lower().split("-")[0]
        if base in SUPPORTED_LOCALES:
            return base
    return "en"


def _unknown_params(request: Request[Any, Any, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        raise InvalidQuery([FieldError(name, "unknown query parameter", source="query") for name in unknown])


def _centre(lat: float | None, lon: float | None, errors: list[FieldError]) -> tuple[float, float] | None:
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        errors.append(FieldError("lat" if lat is None else "lon", "lat and lon go together", source="query"))
        return None
    if not -90.0 <= lat <= 90.0:
        errors.append(FieldError("lat", "must be between -90 and 90", source="query"))
    if not -180.0 <= lon <= 180.0:
        errors.append(FieldError("lon", "must be between -180 and 180", source="query"))
    return (lat, lon)


def parse_box(bbox: str, errors: list[FieldError], max_degrees: float | None) -> Box | None:
    parts = bbox.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError:
        values = []
    if len(values) != 4 or any(v != v for v in values):
        errors.append(FieldError("bbox", "expected minLon,minLat,maxLon,maxLat in degrees", source="query"))
        return None
    min_lon, min_lat, max_lon, max_lat = values
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180 and -90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        errors.append(FieldError("bbox", "longitudes must be within -180..180 and latitudes within -90..90", "query"))
        return None
    if min_lon > max_lon or min_lat > max_lat:
        errors.append(FieldError("bbox", "inverted: expected minLon,minLat,maxLon,maxLat", source="query"))
        return None
    if max_degrees is not None and (max_lon - min_lon > max_degrees or max_lat - min_lat > max_degrees):
        errors.append(
            FieldError("bbox", f"spans more than {max_degrees:g} degrees; use /v1/stations/clusters", "query")
        )
        return None
    return Box(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


class StationController(Controller):
    path = "/v1/stations"
    tags = ["Stations"]

    @get("", summary="Stations near a point or inside a map viewport")
    async def list_stations(
        self,
        request: Request[Any, Any, Any],
        state: State,
        accept_language: AcceptLanguage,
        lat: Latitude = None,
        lon: Longitude = None,
        radius: Annotated[int, QueryParameter(description="metres, at most 100000")] = 5000,
        bbox: Annotated[str | None, QueryParameter(required=False, description="minLon,minLat,maxLon,maxLat")] = None,
        standards: Annotated[
            str | None, QueryParameter(required=False, description="comma-separated OCPI connector standards")
        ] = None,
        min_power_kw: Annotated[Decimal | None, QueryParameter(name="minPowerKw", required=False)] = None,
        available_now: Annotated[bool, QueryParameter(name="availableNow")] = False,
        open_now: Annotated[bool, QueryParameter(name="openNow")] = False,
        operator: Annotated[str | None, QueryParameter(required=False)] = None,
        max_price_per_kwh: Annotated[str | None, QueryParameter(name="maxPricePerKwh", required=False)] = None,
        limit: Annotated[int, QueryParameter(description="1 to 100")] = 20,
        cursor: Annotated[str | None, QueryParameter(required=False)] = None,
        locale: LocaleParam = None,
    ) -> StationPage:
        """Nearest first with `distanceMeters`; ties by station id. Pass `nextCursor` as `cursor` for more."""
        _unknown_params(request, SEARCH_PARAMS)
        errors: list[FieldError] = []
        centre = _centre(lat, lon, errors)
        box = parse_box(bbox, errors, MAX_BOX_DEGREES) if bbox is not None else None
        if centre is None and box is None and not errors:
            errors.append(FieldError("lat", "give lat and lon, or bbox", source="query"))
        if not 1 <= radius <= MAX_RADIUS_M:
            errors.append(FieldError("radius", f"must be between 1 and {MAX_RADIUS_M} metres", source="query"))
        if not 1 <= limit <= 100:
            errors.append(FieldError("limit", "must be between 1 and 100", source="query"))
        wanted = frozenset(s.strip() for s in (standards or "").split(",") if s.strip())
        if wanted - CONNECTOR_STANDARDS:
            errors.append(
                FieldError(
                    "standards", f"unknown standards: {', '.join(sorted(wanted - CONNECTOR_STANDARDS))}", "query"
                )
            )
        if min_power_kw is not None and not (0 <= min_power_kw <= 10_000):
            errors.append(FieldError("minPowerKw", "must be between 0 and 10000", source="query"))
        max_price: Decimal | None = None
        if max_price_per_kwh is not None:
            try:
                max_price = Decimal(max_price_per_kwh)
                if not max_price.is_finite() or max_price < 0:
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(FieldError("maxPricePerKwh", "must be a non-negative decimal number", source="query"))
        after = None
        if cursor is not None:
            try:
                after = decode_cursor(cursor)
            except InvalidCursor as exc:
                errors.append(FieldError("cursor", str(exc), source="query"))
        if errors:
            raise InvalidQuery(errors)
        query = StationQuery(
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
        )
        return _service(state).search(query, pick_locale(locale, accept_language))

    @get("/clusters", summary="Station counts per grid cell for drawing a large map area")
    async def clusters(
        self,
        state: State,
        bbox: Annotated[str, QueryParameter(description="minLon,minLat,maxLon,maxLat")],
        zoom: Annotated[int, QueryParameter(description="map zoom level, 0 to 22")] = 6,
    ) -> ClusterPage:
        errors: list[FieldError] = []
        box = parse_box(bbox, errors, None)
        if not 0 <= zoom <= 22:
            errors.append(FieldError("zoom", "must be between 0 and 22", source="query"))
        if errors or box is None:
            raise InvalidQuery(errors)
        return _service(state).clusters(box, zoom)

    @get("/report-categories", summary="What a driver can report about a station")
    async def report_categories(self) -> list[ReportCategory]:
        return [ReportCategory(id=key, title=title) for key, title in REPORT_CATEGORIES.items()]

    @get("/{location_id:uuid}", summary="One station with its EVSEs, connectors, live status and prices")
    async def get_station(
        self,
        location_id: FromPath[uuid.UUID],
        state: State,
        accept_language: AcceptLanguage,
        lat: Latitude = None,
        lon: Longitude = None,
        locale: LocaleParam = None,
    ) -> StationDetail:
        errors: list[FieldError] = []
        centre = _centre(lat, lon, errors)
        if errors:
            raise InvalidQuery(errors)
        return _service(state).detail(location_id, centre, pick_locale(locale, accept_language))

    @post("/{location_id:uuid}/reports", summary="Report a problem with a station", guards=[signed_in])
    async def report_problem(
        self,
        location_id: FromPath[uuid.UUID],
        data: JSONBody[ProblemReportRequest],
        state: State,
        db_session: DbSession,
        principal: CurrentPrincipal,
    ) -> ProblemReport:
        """Support agents see the report; `category` is one of /v1/stations/report-categories."""
        return await _service(state).report_problem(db_session, principal.user_id, location_id, data)


class FavouriteController(Controller):
    path = "/v1/me/favourites"
    tags = ["Stations"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @get("", summary="The signed-in driver's favourite stations")
    async def list_favourites(
        self,
        state: State,
        db_session: DbSession,
        principal: CurrentPrincipal,
        accept_language: AcceptLanguage,
        locale: LocaleParam = None,
    ) -> list[Favourite]:
        return await _service(state).favourites(db_session, principal.user_id, pick_locale(locale, accept_language))

    @put("/{location_id:uuid}", status_code=HTTP_204_NO_CONTENT, summary="Add a favourite station")
    async def add_favourite(
        self, location_id: FromPath[uuid.UUID], state: State, db_session: DbSession, principal: CurrentPrincipal
    ) -> None:
        await _service(state).add_favourite(db_session, principal.user_id, location_id)

    @delete("/{location_id:uuid}", status_code=HTTP_204_NO_CONTENT, summary="Remove a favourite station")
    async def remove_favourite(
        self, location_id: FromPath[uuid.UUID], state: State, db_session: DbSession, principal: CurrentPrincipal
    ) -> None:
        await _service(state).remove_favourite(db_session, principal.user_id, location_id)
