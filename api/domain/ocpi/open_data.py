"""The open data feed: our published locations with live status, and our tariffs with their ad-hoc price texts, for
national access points and map apps without an OCPI contract (EU AFIR article 20, US NEVI 23 CFR 680.116(c)).

Off unless VOLTWAY_OPEN_DATA_FEED is on. No credentials; instead a request limit per client address, and pages a
cache can keep: each carries an ETag (a digest of what it holds), and `If-None-Match` with the current one gets 304
without a body. The objects are OCPI 2.2.1 Location and Tariff objects in the OCPI envelope, paginated as for
partners, so an OCPI client reads the feed unchanged. Unpublished locations (`publish: false`) are never in it.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from api.deps import ClientAddress, DbSession
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, encode, ocpi_response
from api.domain.ocpi.location_queries import page_locations
from api.domain.ocpi.locations import live_now, our_scope
from api.domain.ocpi.pagination import PageRequest, page_limit, paginated_response
from api.domain.ocpi.tariffs import count_tariffs, page_tariffs
from api.security.rate_limit import FixedWindowLimiter
from api.settings import Settings

OPEN_DATA_PATH = "/ocpi/open-data/2.2.1"
_LIMITER_KEY = "open_data_limiter"


def _limiter(state: State, settings: Settings) -> FixedWindowLimiter:
    """One limiter per app, made on first use."""
    limiter = state.get(_LIMITER_KEY)
    if not isinstance(limiter, FixedWindowLimiter):
        limiter = FixedWindowLimiter(settings.open_data_requests_per_minute, 60)
        state[_LIMITER_KEY] = limiter
    return limiter


def _refusal(state: State, client: str) -> Response[bytes] | None:
    """The answer when the feed is off or this client asked too often; None to go on."""
    settings: Settings = state.settings
    if not settings.open_data_feed:
        return ocpi_response(
            None, status_code=OcpiStatus.CLIENT_ERROR, status_message="The open data feed is off.", http_status=404
        )
    retry_after = _limiter(state, settings).hit(client)
    if retry_after is not None:
        return ocpi_response(
            None,
            status_code=OcpiStatus.CLIENT_ERROR,
            status_message=f"Too many requests from this address; try again in {retry_after} seconds.",
            http_status=429,
            headers={"Retry-After": str(retry_after)},
        )
    return None


def _page(request: Request[Any, Any, Any], state: State, client: str) -> PageRequest | Response[bytes]:
    """The page asked for, once the feed is on, the client within its rate and the paging valid; else the answer."""
    refused = _refusal(state, client)
    if refused is not None:
        return refused
    try:
        return PageRequest.parse(request.query_params, page_limit(request))
    except OcpiError as exc:
        return ocpi_response(None, status_code=exc.status_code, status_message=exc.message, http_status=exc.http_status)


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def _cacheable(
    request: Request[Any, Any, Any], items: list[Any], total: int, page: PageRequest, settings: Settings
) -> Response[bytes]:
    """The page, or 304 when the client already holds it; either way with its ETag and how long to keep it."""
    digest = hashlib.blake2b(encode(items), digest_size=16)
    digest.update(f"|{total}|{page.offset}|{page.limit}|{request.url.query}".encode())
    etag = f'"{digest.hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={settings.open_data_max_age_seconds}"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    response = paginated_response(request, items, total, page)
    response.headers.update(headers)
    return response


class OpenDataController(Controller):
    path = OPEN_DATA_PATH
    tags = ["Open data"]
    include_in_schema = False  # OCPI-shaped, like the rest of /ocpi; described in the README

    @get("/locations", summary="Our published locations with live EVSE status (open data, OCPI 2.2.1 Locations)")
    async def locations(
        self, request: Request[Any, Any, Any], state: State, db_session: DbSession, client_address: ClientAddress
    ) -> Response[bytes]:
        page = _page(request, state, client_address)
        if isinstance(page, Response):
            return page
        settings: Settings = state.settings
        scope = our_scope(settings, page, published_only=True)
        total, items = await page_locations(db_session, scope, page.offset, page.limit, live_now(settings))
        return _cacheable(request, list(items), total, page, settings)

    @get("/tariffs", summary="Our tariffs with their ad-hoc price texts (open data, OCPI 2.2.1 Tariffs)")
    async def tariffs(
        self, request: Request[Any, Any, Any], state: State, db_session: DbSession, client_address: ClientAddress
    ) -> Response[bytes]:
        page = _page(request, state, client_address)
        if isinstance(page, Response):
            return page
        settings: Settings = state.settings
        total = await count_tariffs(db_session, settings, page)
        items = await page_tariffs(db_session, settings, page) if total else []
        return _cacheable(request, list(items), total, page, settings)
