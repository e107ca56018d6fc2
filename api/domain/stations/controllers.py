"""Map endpoints: nearby and viewport search, clusters, station detail, favourites and problem reports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post, put
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from api.deps import CurrentPrincipal, DbSession
from api.domain.stations.clusters import MAX_CLUSTER_CELLS, cluster_span_cells
from api.domain.stations.query_params import (
    BBOX_PATTERN,
    StationSearchOperation,
    parse_box,
    parse_centre,
    parse_station_query,
)
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
from api.domain.stations.services import StationService
from api.errors import FieldError, InvalidInput
from api.security.guards import signed_in

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


class StationController(Controller):
    path = "/v1/stations"
    tags = ["Stations"]

    @get("", summary="Stations near a point or inside a map viewport", operation_class=StationSearchOperation)
    async def list_stations(
        self, request: Request[Any, Any, Any], state: State, accept_language: AcceptLanguage
    ) -> StationPage:
        """Nearest first with `distanceMeters`; ties by station id. Pass `nextCursor` as `cursor` for more."""
        params = request.query_params
        query, errors = parse_station_query({name: params[name] for name in params})
        if query is None:
            raise InvalidInput(errors)
        return await _service(state).search_off_loop(query, pick_locale(params.get("locale"), accept_language))

    @get("/clusters", summary="Station counts per grid cell for drawing a large map area")
    async def clusters(
        self,
        state: State,
        bbox: Annotated[
            str,
            QueryParameter(
                description="minLon,minLat,maxLon,maxLat in decimal degrees; at most 128 x 128 clusters at the zoom",
                pattern=BBOX_PATTERN,
            ),
        ],
        zoom: Annotated[int, QueryParameter(description="map zoom level, 0 to 22")] = 6,
    ) -> ClusterPage:
        errors: list[FieldError] = []
        box = parse_box(bbox, errors, None)
        if not 0 <= zoom <= 22:
            errors.append(FieldError("zoom", "must be between 0 and 22", source="query"))
        if not errors and box is not None and cluster_span_cells(box, zoom) > MAX_CLUSTER_CELLS:
            errors.append(
                FieldError(
                    "bbox", "spans too many clusters for this zoom level; zoom out or show a smaller area", "query"
                )
            )
        if errors or box is None:
            raise InvalidInput(errors)
        return await _service(state).clusters_off_loop(box, zoom)

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
        given = {name: str(value) for name, value in (("lat", lat), ("lon", lon)) if value is not None}
        centre = parse_centre(given, errors)
        if errors:
            raise InvalidInput(errors)
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
        """`category` is one of /v1/stations/report-categories. The report opens a support ticket for the charger (or
        joins the one already open for it); `ticketNumber` is that ticket's number. A report describing danger is
        urgent."""
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
