"""sessions module, SENDER (mod_sessions, CPO side): the calling partner's sessions page by page, and its answer to
charging preferences.

A partner sees only its own drivers' sessions (`charging_sessions.ocpi_partner_id`); the page is cut in the
database, ordered by last_updated then id so pages never overlap. A billed session's charging periods come from
its stored CDR, a running one's from its stored readings (the same computation as its bill).
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from litestar import Controller, Request, Response, get, put
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, OcpiCdr
from api.domain.ocpi.auth import Caller, OcpiCaller
from api.domain.ocpi.envelope import OcpiError, OcpiStatus, ocpi_response
from api.domain.ocpi.pagination import Page, PageRequest, paginated_response
from api.domain.ocpi.pushes import places_of, progress_of
from api.domain.ocpi.session_objects import Progress, session_object
from api.settings import Settings


def _window(query: Any, column: Any, page: PageRequest) -> Any:
    if page.date_from is not None:
        query = query.where(column >= page.date_from)
    if page.date_to is not None:
        query = query.where(column < page.date_to)
    return query


async def sessions_page(
    session: AsyncSession, caller: OcpiCaller, page: PageRequest, settings: Settings
) -> tuple[list[dict[str, Any]], int]:
    """One page of the partner's Session objects and how many match in all."""
    mine = ChargingSession.ocpi_partner_id == caller.partner_id
    total = await session.scalar(
        _window(select(func.count()).select_from(ChargingSession).where(mine), ChargingSession.updated_at, page)
    )
    records = (
        (
            await session.execute(
                _window(select(ChargingSession).where(mine), ChargingSession.updated_at, page)
                .order_by(ChargingSession.updated_at, ChargingSession.id)
                .offset(page.offset)
                .limit(page.limit)
            )
        )
        .scalars()
        .all()
    )
    billed = [record.id for record in records if record.billed_at is not None]
    cdrs = (
        {
            row.session_id: row.document
            for row in (await session.execute(select(OcpiCdr).where(OcpiCdr.session_id.in_(billed)))).scalars()
        }
        if billed
        else {}
    )
    places = await places_of(session, list(records))
    items = []
    for record in records:
        place = places.get(record.id)
        if place is None:
            continue
        progress: Progress | None
        if record.id in cdrs:
            periods = list(cdrs[record.id].get("charging_periods") or [])
            progress = Progress(kwh=Decimal(0), totals=None, periods=periods)
        elif record.billed_at is None and record.transaction_id is not None:
            progress = await progress_of(session, record)
        else:
            progress = None
        items.append(
            session_object(
                record, place, progress, country_code=settings.ocpi_country_code, party_id=settings.ocpi_party_id
            )
        )
    return items, int(total or 0)


class OcpiSessionsController(Controller):
    path = "/sessions"
    tags = ["OCPI"]

    @get()
    async def list_sessions(self, request: Request[Any, Any, Any], caller: Caller, page: Page) -> Response[bytes]:
        """The calling partner's sessions, last updated in [date_from, date_to), paginated."""
        settings: Settings = request.app.state.settings
        async with request.app.state.session_factory() as session:
            items, total = await sessions_page(session, caller, page, settings)
        return paginated_response(request, items, total, page)

    @put("/{session_id:str}/charging_preferences")
    async def charging_preferences(
        self, request: Request[Any, Any, Any], caller: Caller, session_id: str
    ) -> Response[bytes]:
        """Smart charging preferences are not offered for roaming sessions: NOT_POSSIBLE for a session of the caller,
        2001 for one it does not have."""
        try:
            key = uuid.UUID(session_id.strip())
        except ValueError:
            raise OcpiError(
                OcpiStatus.INVALID_PARAMETERS, f"Unknown session {session_id!r}.", http_status=404
            ) from None
        async with request.app.state.session_factory() as session:
            owner = await session.scalar(select(ChargingSession.ocpi_partner_id).where(ChargingSession.id == key))
        if owner != caller.partner_id:
            raise OcpiError(OcpiStatus.INVALID_PARAMETERS, f"Unknown session {session_id!r}.", http_status=404)
        return ocpi_response("NOT_POSSIBLE")
