"""Support API for a charger's diagnostics: its last OCPP messages and its recent faults, for agents and admins."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter

from api.deps import DbSession
from api.domain.chargers.journal import ChargerFault, ChargerJournalView, journal_view, recent_faults
from api.domain.chargers.operations import UnknownCharger, station_info
from api.domain.operations.scope import staff_and_operations_chargers
from api.errors import NotFound
from api.openapi_contract import problems


class ChargerDiagnosticsController(Controller):
    path = "/v1/admin/chargers/{charger_id:str}"
    tags = ["Administration"]
    guards = [staff_and_operations_chargers]
    security = [{"BearerToken": []}]

    @get("/journal", summary="The charger's last OCPP messages, oldest first", responses=problems(404))
    async def journal(
        self,
        charger_id: FromPath[str],
        db_session: DbSession,
        state: State,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> ChargerJournalView:
        """Both directions, newest last, each result with the action of the Call it answers, secrets redacted.
        Read from whichever process holds the charger's socket (nothing is sent to the charger); when it is not
        connected anywhere, from this process if the charger disconnected from it lately. ``available`` false (not
        an error) when there is no journal to read. At most VOLTWAY_OCPP_JOURNAL_SIZE messages are kept."""
        try:
            await station_info(db_session, charger_id)
        except UnknownCharger as exc:
            raise NotFound(str(exc)) from None
        return await journal_view(getattr(state, "bridge", None), charger_id, limit)

    @get("/faults", summary="The charger's recent faults, newest first", responses=problems(404))
    async def faults(
        self,
        charger_id: FromPath[str],
        db_session: DbSession,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 20,
    ) -> list[ChargerFault]:
        """Errors its connectors or the charger itself reported in StatusNotification (ConnectorFault,
        ChargerFault), as logged."""
        try:
            station = await station_info(db_session, charger_id)
        except UnknownCharger as exc:
            raise NotFound(str(exc)) from None
        return await recent_faults(db_session, station.id, limit)
