"""cdrs module, SENDER (mod_cdrs, CPO side): the CDRs issued to the calling partner, page by page, in the order
they were issued. Each is stored when its session is billed (see `pushes.session_billed`), so the list sends
exactly what was pushed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from sqlalchemy import func, select

from api.db.models import OcpiCdr
from api.domain.ocpi.auth import Caller
from api.domain.ocpi.pagination import Page, paginated_response


class OcpiCdrsController(Controller):
    path = "/cdrs"
    tags = ["OCPI"]

    @get()
    async def list_cdrs(self, request: Request[Any, Any, Any], caller: Caller, page: Page) -> Response[bytes]:
        """The calling partner's CDRs, last updated in [date_from, date_to), paginated."""
        conditions = [OcpiCdr.ocpi_partner_id == caller.partner_id]
        if page.date_from is not None:
            conditions.append(OcpiCdr.last_updated >= page.date_from)
        if page.date_to is not None:
            conditions.append(OcpiCdr.last_updated < page.date_to)
        async with request.app.state.session_factory() as session:
            total = await session.scalar(select(func.count()).select_from(OcpiCdr).where(*conditions))
            documents = (
                (
                    await session.execute(
                        select(OcpiCdr.document)
                        .where(*conditions)
                        .order_by(OcpiCdr.last_updated, OcpiCdr.id)
                        .offset(page.offset)
                        .limit(page.limit)
                    )
                )
                .scalars()
                .all()
            )
        return paginated_response(request, list(documents), int(total or 0), page)
