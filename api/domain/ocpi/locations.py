"""OCPI 2.2.1 locations module, SENDER interface (CPO): our locations, a page at a time, and one location, EVSE or
connector by id.

Only our own locations (VOLTWAY_OCPI_COUNTRY_CODE / VOLTWAY_OCPI_PARTY_ID) are sent, never other parties' feeds we
imported for the driver map. Unpublished ones are sent too, with their `publish_allowed_to`, as the spec says:
partners decide whom to show them to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.params import FromPath

from api.deps import DbSession
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.location_queries import (
    LiveStatus,
    LocationScope,
    find_connector,
    find_evse,
    find_location,
    page_locations,
)
from api.domain.ocpi.pagination import Page, PageRequest, paginated_response
from api.settings import Settings


def our_scope(settings: Settings, page: PageRequest | None = None, *, published_only: bool = False) -> LocationScope:
    """Our party's locations, within the page's date window."""
    return LocationScope(
        country_code=settings.ocpi_country_code,
        party_id=settings.ocpi_party_id,
        published_only=published_only,
        date_from=page.date_from if page else None,
        date_to=page.date_to if page else None,
    )


def live_now(settings: Settings) -> LiveStatus:
    return LiveStatus(now=datetime.now(UTC), heartbeat_window=timedelta(seconds=settings.heartbeat_window_seconds))


def _unknown(what: str) -> OcpiError:
    return OcpiError(OcpiStatus.UNKNOWN_LOCATION, what, http_status=404)


class OcpiLocationsController(Controller):
    path = "/locations"
    tags = ["OCPI"]

    @get("", summary="Our locations, a page at a time (OCPI 2.2.1 locations, SENDER)")
    async def list_locations(
        self, request: Request[Any, Any, Any], page: Page, state: State, db_session: DbSession
    ) -> Response[bytes]:
        settings: Settings = state.settings
        scope = our_scope(settings, page)
        total, items = await page_locations(db_session, scope, page.offset, page.limit, live_now(settings))
        return paginated_response(request, list(items), total, page)

    @get("/{location_id:str}", summary="One of our locations with its EVSEs and connectors")
    async def get_location(self, location_id: FromPath[str], state: State, db_session: DbSession) -> Response[bytes]:
        settings: Settings = state.settings
        found = await find_location(db_session, our_scope(settings), location_id, live_now(settings))
        if found is None:
            raise _unknown(f"Unknown location {location_id!r}.")
        return ocpi_response(found)

    @get("/{location_id:str}/{evse_uid:str}", summary="One EVSE of one of our locations")
    async def get_evse(
        self, location_id: FromPath[str], evse_uid: FromPath[str], state: State, db_session: DbSession
    ) -> Response[bytes]:
        settings: Settings = state.settings
        found = await find_evse(db_session, our_scope(settings), location_id, evse_uid, live_now(settings))
        if found is None:
            raise _unknown(f"Unknown EVSE {evse_uid!r} at location {location_id!r}.")
        return ocpi_response(found)

    @get("/{location_id:str}/{evse_uid:str}/{connector_id:str}", summary="One connector of one EVSE of ours")
    async def get_connector(
        self,
        location_id: FromPath[str],
        evse_uid: FromPath[str],
        connector_id: FromPath[str],
        state: State,
        db_session: DbSession,
    ) -> Response[bytes]:
        settings: Settings = state.settings
        found = await find_connector(db_session, our_scope(settings), location_id, evse_uid, connector_id)
        if found is None:
            raise _unknown(f"Unknown connector {connector_id!r} of EVSE {evse_uid!r} at location {location_id!r}.")
        return ocpi_response(found)
