"""The driver's side of the desk: `/v1/me/tickets` (their own tickets only, never internal notes) and the live
events of a conversation with the assistant (agent replies, ticket status, the satisfaction survey)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, JSONBody
from litestar.response import ServerSentEvent
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChatConversation, SupportTicket
from api.db.types import utc_now
from api.deps import CurrentPrincipal, DbSession
from api.domain.support.audit import Actor
from api.domain.support.driver_tickets import (
    driver_of,
    driver_rates,
    driver_reply,
    my_tickets,
    one_view,
    own_ticket,
    reopen,
)
from api.domain.support.feed import TicketFeed
from api.domain.support.publishing import Pending
from api.domain.support.schemas import DriverMessage, MyTicket, RateTicket
from api.domain.support.streams import event_stream
from api.errors import NotFound
from api.openapi_contract import problems
from api.security.guards import signed_in

DriverChange = Callable[[AsyncSession, SupportTicket, Actor, Pending, datetime], None]


def _feed(state: State) -> TicketFeed:
    feed: TicketFeed = state.ticket_feed
    return feed


def _reopen_days(state: State) -> int:
    days: int = state.settings.support_reopen_days
    return days


class MyTicketController(Controller):
    path = "/v1/me/tickets"
    tags = ["Assistant"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @get("", summary="My support tickets")
    async def index(self, principal: CurrentPrincipal, state: State, db_session: DbSession) -> list[MyTicket]:
        """Newest first, with the replies and status lines of each (what agents note among themselves is not
        shown); `canRate` and `canReopen` say what the app may offer."""
        return await my_tickets(db_session, principal.user_id, reopen_days=_reopen_days(state), now=utc_now())

    @post("/{ticket_id:int}/messages", status_code=201, summary="Write on my ticket", responses=problems(404, 409))
    async def message(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[DriverMessage],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> MyTicket:
        """A ticket waiting for the driver (pending) opens again; a closed ticket answers 409."""

        def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            driver_reply(s, t, data.text, a, p, now)

        return await _driver_change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/rating", status_code=200, summary="Rate the help", responses=problems(404, 409, 422))
    async def rating(
        self,
        ticket_id: FromPath[int],
        data: JSONBody[RateTicket],
        principal: CurrentPrincipal,
        state: State,
        db_session: DbSession,
    ) -> MyTicket:
        """1 to 5 with an optional comment, once the ticket is solved (or closed); a second rating answers 409."""

        def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            driver_rates(s, t, data.score, data.comment, a, p, now)

        return await _driver_change(db_session, state, principal, ticket_id, change)

    @post("/{ticket_id:int}/reopen", status_code=200, summary="Reopen a solved ticket", responses=problems(404, 409))
    async def reopen(
        self, ticket_id: FromPath[int], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> MyTicket:
        """Within VOLTWAY_SUPPORT_REOPEN_DAYS of its solving (`reopenUntil`); later, or once closed, 409."""
        days = _reopen_days(state)

        def change(s: AsyncSession, t: SupportTicket, a: Actor, p: Pending, now: datetime) -> None:
            reopen(s, t, a, p, reopen_days=days, now=now)

        return await _driver_change(db_session, state, principal, ticket_id, change)


async def _driver_change(
    db_session: AsyncSession,
    state: State,
    principal: CurrentPrincipal,
    ticket_id: int,
    change: DriverChange,
) -> MyTicket:
    now = utc_now()
    ticket = await own_ticket(db_session, principal.user_id, ticket_id)
    actor = await driver_of(db_session, principal.user_id)
    pending = Pending()
    change(db_session, ticket, actor, pending, now)
    await db_session.commit()
    await pending.publish(db_session, _feed(state), now)
    return await one_view(db_session, ticket, reopen_days=_reopen_days(state), now=now)


class ConversationEventsController(Controller):
    path = "/v1/chat/conversations"
    tags = ["Assistant"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @get("/{conversation_id:uuid}/events", summary="Live events of a conversation", responses=problems(404))
    async def events(
        self, conversation_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State, db_session: DbSession
    ) -> ServerSentEvent:
        """`agent_reply` {ticketId, number, messageId, authorName, text, at} when an agent answers,
        `ticket_status` {ticketId, number, status, at} when the ticket moves, `survey` {ticketId, number, question,
        scale} when it is solved; a comment every 15 s keeps the connection open. Owner only."""
        conversation = await db_session.get(ChatConversation, conversation_id)
        if conversation is None or conversation.user_id != principal.user_id:
            raise NotFound("No conversation with this id.")
        await db_session.close()
        return event_stream(_feed(state).subscribe_conversation(conversation_id))
