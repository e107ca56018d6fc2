"""`/v1/support`: the agents' side of the desk: the queue and its live feed, tickets, replies, notes, canned
replies, merges and bulk changes (agents and admins)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated

import msgspec
from litestar import Controller, get, patch, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import ServerSentEvent
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChargingSession, SupportTicket, User
from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.support import desk, views
from api.domain.support.audit import Actor, actor_of
from api.domain.support.canned import canned_replies, rendered
from api.domain.support.feed import TicketFeed
from api.domain.support.publishing import Pending
from api.domain.support.queue import build_filter, queue_page
from api.domain.support.schemas import (
    AssignTicket,
    BulkFailure,
    BulkResult,
    BulkUpdate,
    CannedReply,
    ChangeStatus,
    MergeTicket,
    OpenTicket,
    PatchTicket,
    QueuePage,
    TextBody,
    TicketDetail,
)
from api.domain.support.services import SupportService, ticket_number
from api.domain.support.streams import event_stream
from api.errors import PROBLEM_TYPE_PREFIX, ProblemDetails, VoltwayError
from api.openapi_contract import problems
from api.security.guards import staff_only

Change = Callable[[AsyncSession, SupportTicket, Actor, Pending, datetime], Awaitable[object]]


def _support(state: State) -> SupportService:
    service: SupportService = state.support
    return service


def _feed(state: State) -> TicketFeed:
    feed: TicketFeed = state.ticket_feed
    return feed


async def _change(
    db_session: AsyncSession, state: State, principal: CurrentPrincipal, ticket_id: int, change: Change
) -> TicketDetail:
    """Lock the ticket, change it with its audit rows, commit, tell the feeds, answer the ticket as it is now."""
    now = utc_now()
    actor = await actor_of(db_session, principal)
    ticket = await desk.ticket_for_update(db_session, ticket_id)
    pending = Pending()
    await change(db_session, ticket, actor, pending, now)
    await db_session.commit()
    await pending.publish(db_session, _feed(state), now)
    return await views.detail(db_session, ticket, now)


class SupportQueueController(Controller):
    path = "/v1/support"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]

    @get("/queue", summary="The ticket queue", responses=problems(422))
    async def queue(
        self,
        principal: CurrentPrincipal,
        db_session: DbSession,
        status: Annotated[
            list[str] | None,
            QueryParameter(required=False, description="repeatable or a comma list; default new,open,pending,on_hold"),
        ] = None,
        priority: Annotated[
            list[str] | None, QueryParameter(required=False, description="low|normal|high|urgent")
        ] = None,
        assignee: Annotated[str | None, QueryParameter(required=False, description="me, none or an account id")] = None,
        category: Annotated[str | None, QueryParameter(required=False, max_length=40)] = None,
        charger: Annotated[str | None, QueryParameter(required=False, max_length=48, description="OCPP id")] = None,
        sla: Annotated[str | None, QueryParameter(required=False, description="breached or soon")] = None,
        q: Annotated[str | None, QueryParameter(required=False, max_length=200, description="text in summary")] = None,
        cursor: Annotated[str | None, QueryParameter(required=False, max_length=200, description="nextCursor")] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 25,
    ) -> QueuePage:
        """Urgent first, then the earliest due time of the clock running now (first response until answered, then
        resolution), then the oldest; `nextCursor` continues the list."""
        flt = build_filter(
            status=status, priority=priority, assignee=assignee, category=category, charger=charger, sla=sla, q=q
        )
        return await queue_page(db_session, flt, me=principal.user_id, cursor=cursor, limit=limit, now=utc_now())

    @get("/queue/events", summary="Live ticket changes as server-sent events")
    async def queue_events(self, state: State) -> ServerSentEvent:
        """`event: ticket` with the ticket's queue summary whenever any ticket is created or changes, from any
        process; a comment every 15 s keeps the connection open."""
        return event_stream(_feed(state).subscribe_queue())

    @get("/canned-replies", summary="Canned replies", responses=problems(422))
    async def canned(
        self,
        language: Annotated[
            str | None, QueryParameter(required=False, max_length=16, description="en de fr es nl")
        ] = None,
    ) -> list[CannedReply]:
        """Placeholders {driver_name} {charger} {amount} {ticket} are left in; a missing language falls back to
        English."""
        return canned_replies(language)


class SupportTicketController(Controller):
    path = "/v1/support/tickets"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]

    @post("", status_code=201, summary="Open a ticket by hand", responses=problems(422))
    async def open(
        self, data: JSONBody[OpenTicket], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> TicketDetail:
        """For a call or an email: linked to the driver, charger and session given (the session names its driver
        and charger when they are left out); `text` is kept as an internal note."""
        now = utc_now()
        pending = Pending()
        actor = await actor_of(db_session, principal)
        ticket = await desk.open_by_hand(db_session, data, actor, _support(state).policy, pending, now)
        await db_session.commit()
        await pending.publish(db_session, _feed(state), now)
        return await views.detail(db_session, ticket, now)

    @get("/{ticket_id:int}", summary="A ticket with everything known", responses=problems(404))
    async def show(self, ticket_id: FromPath[int], db_session: DbSession) -> TicketDetail:
        ticket = await desk.ticket_or_404(db_session, ticket_id)
        return await views.detail(db_session, ticket, utc_now())

    @patch("/{ticket_id:int}", summary="Change priority, category or tags", responses=problems(404, 409, 422))
    async def update(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[PatchTicket],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """A new priority recomputes the SLA due times; safety tickets stay urgent."""
        policy = _support(state).policy

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            desk.patch(s, t, data, a, policy, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/claim", status_code=200, summary="Assign the ticket to me", responses=problems(404, 409))
    async def claim(
        self, ticket_id: FromPath[int], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> TicketDetail:
        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            await desk.assign(s, t, principal.user_id, a, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/assign", status_code=200, summary="Assign the ticket", responses=problems(404, 409, 422))
    async def assign(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[AssignTicket],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """To an agent or admin account (422 for any other), or `null` to nobody."""

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            await desk.assign(s, t, data.assignee_id, a, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/status", status_code=200, summary="Move the ticket", responses=problems(404, 409, 422))
    async def status(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[ChangeStatus],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """new -> open, pending, on_hold, solved, closed; open/pending/on_hold -> each other or solved; solved ->
        open or closed; closed is final (409 for any other move). Solving asks the driver for a rating."""

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            if desk.set_status(s, t, data.status, a, p, now=now, comment=data.comment):
                await desk.after_status(s, t, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @post("/bulk", status_code=200, summary="Change several tickets", responses=problems(422))
    async def bulk(
        self, data: JSONBody[BulkUpdate], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> BulkResult:
        """Each ticket changes on its own: `failed` holds the problem each refused ticket would have got alone."""
        policy = _support(state).policy
        actor = await actor_of(db_session, principal)
        await db_session.commit()
        updated: list[int] = []
        failed: list[BulkFailure] = []
        for ticket_id in dict.fromkeys(data.ids):
            now = utc_now()
            pending = Pending()
            try:
                ticket = await desk.ticket_for_update(db_session, ticket_id)
                await desk.bulk_apply(db_session, ticket, data, actor, policy, pending, now)
                await db_session.commit()
            except VoltwayError as exc:
                await db_session.rollback()
                problem = ProblemDetails(
                    type=PROBLEM_TYPE_PREFIX + exc.slug,
                    title=exc.title,
                    status=exc.status_code,
                    detail=exc.detail,
                    errors=getattr(exc, "errors", None),
                )
                failed.append(BulkFailure(id=ticket_id, problem=msgspec.to_builtins(problem)))
                continue
            await pending.publish(db_session, _feed(state), now)
            updated.append(ticket_id)
        return BulkResult(updated=updated, failed=failed)

    @post("/{ticket_id:int}/messages", status_code=201, summary="Reply to the driver", responses=problems(404, 409))
    async def reply(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[TextBody],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """Public: shown in the driver's chat at once (`agent_reply` on the conversation's events). The first reply
        is the first response; a new ticket becomes open."""

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            await desk.reply(s, t, data.text, a, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/notes", status_code=201, summary="Add an internal note", responses=problems(404, 409))
    async def note(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[TextBody],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """Agents only: the driver never sees it."""

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            await desk.note(s, t, data.text, a, p, now)

        return await _change(db_session, state, principal, ticket_id, change)

    @get("/{ticket_id:int}/canned-replies", summary="Canned replies filled for this ticket", responses=problems(404))
    async def canned(self, ticket_id: FromPath[int], db_session: DbSession) -> list[CannedReply]:
        """In the driver's language (English when it has none), with the driver's name, the charger, the
        session's amount and the ticket number filled in; a placeholder without a value stays for the agent."""
        ticket = await desk.ticket_or_404(db_session, ticket_id)
        driver = await db_session.get(User, ticket.user_id) if ticket.user_id is not None else None
        amount: str | None = None
        if ticket.session_id is not None:
            row = (
                await db_session.execute(
                    select(ChargingSession.amount_due, ChargingSession.currency).where(
                        ChargingSession.id == ticket.session_id
                    )
                )
            ).one_or_none()
            if row is not None and row.amount_due:
                amount = f"{row.amount_due} {row.currency}"
        values = {
            "driver_name": (driver.name.strip() or None) if driver is not None else None,
            "charger": ticket.charger_id,
            "amount": amount,
            "ticket": ticket_number(ticket.id),
        }
        return rendered(driver.locale if driver is not None else ticket.language, values)

    @post(
        "/{ticket_id:int}/merge",
        status_code=200,
        summary="Merge into another ticket",
        responses=problems(404, 409, 422),
    )
    async def merge(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[MergeTicket],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> TicketDetail:
        """This ticket closes with `mergedIntoId` set; its messages stay, its links fill the other's gaps and its
        driver is told where the work continues. Answers the ticket merged into."""
        merged: list[SupportTicket] = []

        async def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            merged.append(await desk.merge(s, t, data.into_id, a, p, now))

        await _change(db_session, state, principal, ticket_id, change)
        return await views.detail(db_session, merged[0], utc_now())
