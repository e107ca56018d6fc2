"""Probes for load balancers and orchestrators."""

from __future__ import annotations

import logging

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from api.schema import AppStruct

logger = logging.getLogger(__name__)


class Health(AppStruct):
    status: str
    version: str
    payments: str  # the active payment provider: "none" (billed outside the app) or "stripe"


class Readiness(AppStruct):
    status: str
    database: str


class SystemController(Controller):
    tags = ["System"]

    @get("/health", summary="The process is alive")
    async def health(self, state: State) -> Health:
        return Health(status="ok", version=state.version, payments=state.payments.name)

    @get("/ready", summary="The service can reach its database", responses={})
    async def ready(self, state: State) -> Response[Readiness]:
        try:
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception:
            logger.exception("readiness check failed: database unreachable")
            return Response(Readiness(status="unavailable", database="unreachable"), status_code=503)
        return Response(Readiness(status="ok", database="ok"), status_code=200)
