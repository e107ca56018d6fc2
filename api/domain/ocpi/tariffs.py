"""OCPI 2.2.1 tariffs module, SENDER interface (CPO): our stored tariffs, a page at a time, in tariff id order.

Only our own party's tariffs are sent; tariffs imported with other parties' feeds price the driver map but are not
ours to publish.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from api.db.models import Tariff
from api.deps import DbSession
from api.domain.ocpi.pagination import Page, PageRequest, date_window, paginated_response
from api.domain.ocpi.tariff_objects import StoredTariff, tariff_json
from api.settings import Settings


def _conditions(settings: Settings, page: PageRequest) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        Tariff.country_code == settings.ocpi_country_code,
        Tariff.party_id == settings.ocpi_party_id,
    ]
    return [*conditions, *date_window(Tariff.last_updated, page)]


async def count_tariffs(session: AsyncSession, settings: Settings, page: PageRequest) -> int:
    total = await session.scalar(select(func.count()).select_from(Tariff).where(*_conditions(settings, page)))
    return int(total or 0)


async def page_tariffs(session: AsyncSession, settings: Settings, page: PageRequest) -> list[msgspec.Raw]:
    rows = (
        await session.execute(
            select(Tariff.country_code, Tariff.party_id, Tariff.tariff_id, Tariff.document, Tariff.last_updated)
            .where(*_conditions(settings, page))
            .order_by(Tariff.tariff_id)
            .offset(page.offset)
            .limit(page.limit)
        )
    ).all()
    return [tariff_json(StoredTariff(*row)) for row in rows]


class OcpiTariffsController(Controller):
    path = "/tariffs"
    tags = ["OCPI"]

    @get("", summary="Our tariffs, a page at a time (OCPI 2.2.1 tariffs, SENDER)")
    async def list_tariffs(
        self, request: Request[Any, Any, Any], page: Page, state: State, db_session: DbSession
    ) -> Response[bytes]:
        settings: Settings = state.settings
        total = await count_tariffs(db_session, settings, page)
        items = await page_tariffs(db_session, settings, page) if total else []
        return paginated_response(request, list(items), total, page)
