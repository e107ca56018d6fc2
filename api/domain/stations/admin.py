"""Operator endpoints for tariffs: read and replace our OCPI tariffs; changes reach every process's map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Controller, Response, get, put
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody

from api.deps import DbSession
from api.domain.stations.tariffs import TariffImportReport, TariffStore, parse_tariff
from api.errors import FieldError, InvalidInput, NotFound
from api.schema import AppStruct
from api.security.guards import admin_only
from api.services import Services
from pricing.errors import PricingInputError


class TariffListItem(AppStruct):
    country_code: str
    party_id: str
    id: str
    currency: str
    last_updated: datetime


def _store(state: State) -> TariffStore:
    store: TariffStore = state.tariffs
    return store


class AdminTariffController(Controller):
    path = "/v1/admin/tariffs"
    tags = ["Administration"]
    guards = [admin_only]
    security = [{"BearerToken": []}]

    @get("", summary="Every stored tariff")
    async def list_tariffs(self, state: State, db_session: DbSession) -> list[TariffListItem]:
        return [
            TariffListItem(
                country_code=t.country_code,
                party_id=t.party_id,
                id=t.tariff_id,
                currency=t.currency,
                last_updated=t.last_updated,
            )
            for t in await _store(state).list_all(db_session)
        ]

    @get("/{tariff_id:str}", summary="One of our tariffs as an OCPI 2.2.1 Tariff object")
    async def get_tariff(self, tariff_id: FromPath[str], state: State, db_session: DbSession) -> Response[bytes]:
        stored = await _store(state).get(db_session, tariff_id)
        if stored is None:
            raise NotFound(f"No tariff {tariff_id!r}.")
        return Response(stored.document.encode(), media_type="application/json")

    @put("/{tariff_id:str}", summary="Create or replace one of our tariffs (OCPI 2.2.1 Tariff JSON)")
    async def put_tariff(
        self, tariff_id: FromPath[str], data: JSONBody[dict[str, Any]], state: State, db_session: DbSession
    ) -> Response[bytes]:
        """Validated by the pricing engine; connectors that name this tariff show the new price within a second."""
        store = _store(state)
        body = {**data}
        if body.setdefault("id", tariff_id) != tariff_id:
            raise InvalidInput([FieldError("id", f"must match the tariff id in the path ({tariff_id!r})")])
        try:
            tariff = parse_tariff(msgspec.json.encode(body), country_code=store.country_code, party_id=store.party_id)
        except PricingInputError as exc:
            raise InvalidInput([FieldError(exc.field or "body", exc.problem)]) from None
        if (tariff.country_code, tariff.party_id) != (store.country_code, store.party_id):
            raise InvalidInput(
                [FieldError("party_id", f"tariffs edited here belong to {store.country_code}/{store.party_id}")]
            )
        report = TariffImportReport()
        await store.save(db_session, [tariff], report)
        await db_session.commit()
        services: Services = state.services
        await services.catalog_sync.refresh()
        stored = await store.get(db_session, tariff_id)
        if stored is None:  # removed by another request in between
            raise NotFound(f"No tariff {tariff_id!r}.")
        return Response(
            stored.document.encode(), media_type="application/json", status_code=201 if report.created else 200
        )
