"""The support desk's tools on a ticket: diagnostics, remote actions on its charger, refunds and adjustments of its
session. Staff only; every action and refund goes to the ticket's audit trail with the agent's name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.chargers.journal import JournalEntry, journal_view
from api.domain.chat.context import CommandSender
from api.domain.sessions.service import SessionService
from api.domain.support.audit import actor_of
from api.domain.support.desk import ticket_or_404
from api.domain.support.diagnostics import Diagnostics, JournalReader, diagnose
from api.domain.support.refunds import RefundIssuer, RefundRequest, RefundView, list_refunds
from api.domain.support.remote_actions import ActionChoice, ActionOutcome, ActionRequest, choices_for, run_action
from api.domain.support.views import summary
from api.idempotency import checked_idempotency_key
from api.openapi_contract import operation_requiring_headers, problems
from api.security.guards import staff_only

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="idempotency-key",
        required=False,
        description="Required: any unique string per refund; the same key answers the same refund.",
        # checked by the handler, in its own words: 1 to 128 characters, not only spaces
        schema_extra={"max_length": 128, "pattern": r"^[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f\x85\xa0]"},
    ),
]


def provide_journal_reader(state: State) -> JournalReader:
    """The bridge's per-charger message journal (read through the command relay from whichever process holds the
    charger); `state.journal_reader` replaces it."""
    reader: JournalReader | None = getattr(state, "journal_reader", None)
    if reader is not None:
        return reader
    bridge = getattr(state, "bridge", None)

    async def read(charger_id: str, limit: int) -> Sequence[JournalEntry] | None:
        view = await journal_view(bridge, charger_id, limit)
        return view.entries if view.available else None

    return read


def _sender(state: State) -> CommandSender | None:
    bridge = getattr(state, "bridge", None)
    send: CommandSender | None = bridge.central.send_command if bridge is not None else None
    return send


async def _announce(state: State, db_session: AsyncSession, ticket_id: int) -> None:
    """Show the agents' live queue what the action or refund (already committed) changed on the ticket."""
    feed = getattr(state, "ticket_feed", None)
    await db_session.rollback()  # a failed action leaves nothing pending; read the committed ticket afresh
    ticket = await db_session.get(SupportTicket, ticket_id, populate_existing=True)
    if feed is not None and ticket is not None:
        feed.ticket_changed(await summary(db_session, ticket, utc_now()))


class SupportToolsController(Controller):
    path = "/v1/support/tickets"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]
    dependencies = {"journal_reader": Provide(provide_journal_reader, sync_to_thread=False)}

    @get(
        "/{ticket_id:int}/diagnostics",
        summary="Diagnostics of a ticket's charger, session and driver",
        responses=problems(404),
    )
    async def diagnostics(
        self, ticket_id: FromPath[int], state: State, db_session: DbSession, journal_reader: NamedDependency[Any]
    ) -> Diagnostics:
        """The charger's live state (connection, status per EVSE and connector, last heard, firmware, model,
        vendor), its last 50 OCPP messages (`journalAvailable` false when no process keeps them), its recent faults,
        the ticket's session (meter curve, cost as on the receipt) and the driver's last 10 sessions."""
        ticket = await ticket_or_404(db_session, ticket_id)
        sessions: SessionService = state.sessions
        return await diagnose(db_session, ticket, sessions=sessions, journal=journal_reader)

    @get(
        "/{ticket_id:int}/actions",
        summary="The remote actions the caller may run on a ticket's charger",
        responses=problems(404),
    )
    async def list_actions(
        self, ticket_id: FromPath[int], principal: CurrentPrincipal, db_session: DbSession
    ) -> list[ActionChoice]:
        await ticket_or_404(db_session, ticket_id)
        return choices_for(principal.role)

    @post(
        "/{ticket_id:int}/actions",
        status_code=200,
        summary="Run a remote action on a ticket's charger",
        responses=problems(403, 404, 409, 502, 503, 504),
    )
    async def run(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[ActionRequest],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> ActionOutcome:
        """Through the same command registry as the assistant, from whichever process holds the charger. hard_reset
        and change_availability are for admins (403 for agents). 409 the charger is not connected (or nothing to
        stop), 502 the charger refused (its status in the detail), 504 no answer in time."""
        ticket = await ticket_or_404(db_session, ticket_id)
        actor = await actor_of(db_session, principal)
        try:
            return await run_action(db_session, ticket, actor, data, _sender(state))
        finally:
            await _announce(state, db_session, ticket_id)

    @get("/{ticket_id:int}/refunds", summary="Refunds and adjustments of a ticket's session", responses=problems(404))
    async def list_refunds(self, ticket_id: FromPath[int], db_session: DbSession) -> list[RefundView]:
        return await list_refunds(db_session, await ticket_or_404(db_session, ticket_id))

    @post(
        "/{ticket_id:int}/refunds",
        status_code=201,
        summary="Refund (or adjust the bill of) a ticket's session",
        responses=problems(404, 409, 502, 503),
        operation_class=operation_requiring_headers("idempotency-key"),
    )
    async def refund(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[RefundRequest],
        idempotency_key: IdempotencyKey,
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> Response[RefundView]:
        """Never more than was captured less what was refunded already (422 names the refundable amount); `amount`
        omitted refunds all of that. Through the payment provider when the session was paid in the app; otherwise
        the bill paid outside the app is adjusted. The same Idempotency-Key answers the same refund (200); with a
        different body it is refused (422). The driver sees "Refund of €X issued" on the ticket."""
        key = checked_idempotency_key(idempotency_key)
        ticket = await ticket_or_404(db_session, ticket_id)
        actor = await actor_of(db_session, principal)
        view, created = await RefundIssuer(state.payments).issue(db_session, ticket, actor, data, key)
        if created:
            await _announce(state, db_session, ticket_id)
        return Response(view, status_code=201 if created else 200)
