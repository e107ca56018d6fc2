"""Probes for load balancers and orchestrators."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.datastructures import State
from sqlalchemy import text

from api.domain.system.readiness import ReadinessCheck
from api.schema import AppStruct


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
        if not await _readiness(state).database_reachable():
            return Response(Readiness(status="unavailable", database="unreachable"), status_code=503)
        return Response(Readiness(status="ok", database="ok"), status_code=200)


def _readiness(state: State) -> ReadinessCheck:
    check: ReadinessCheck | None = getattr(state, "readiness", None)
    if check is None:
        engine = state.engine

        async def select_one() -> None:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))

        check = state.readiness = ReadinessCheck(select_one)
    return check
