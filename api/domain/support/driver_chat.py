"""The desk in the driver's chat: agent replies appear in the conversation, the satisfaction survey is asked there
and answered there, and what the driver writes while a ticket is open goes onto it."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import ChatMessage, SupportTicket, SupportTicketMessage, User
from api.domain.support import audit
from api.domain.support.audit import Actor
from api.domain.support.canned import language_of
from api.domain.support.schemas import AgentReplyEvent, SurveyEvent, TicketStatusEvent
from api.domain.support.services import ticket_number
from api.domain.support.workflow import ACTIVE_STATUSES
from api.errors import Conflict, FieldError, InvalidInput

SCALE: Final = [1, 2, 3, 4, 5]
SURVEY_QUESTION: Final = {
    "en": "Your ticket {ticket} is solved. How happy are you with our help? Tap 1 (not at all) to 5 (very).",
    "de": "Ihr Ticket {ticket} ist gelöst. Wie zufrieden sind Sie mit unserer Hilfe? Tippen Sie 1 (gar nicht) bis "
    "5 (sehr).",
    "fr": "Votre ticket {ticket} est résolu. Êtes-vous satisfait de notre aide ? Touchez 1 (pas du tout) à 5 (très).",
    "es": "Su incidencia {ticket} está resuelta. ¿Qué tan satisfecho está con nuestra ayuda? Pulse de 1 (nada) a "
    "5 (mucho).",
    "nl": "Uw ticket {ticket} is opgelost. Hoe tevreden bent u over onze hulp? Tik 1 (helemaal niet) tot 5 (heel).",
}
SURVEY_THANKS: Final = {
    "en": "Thank you for rating our help with {ticket}.",
    "de": "Danke für Ihre Bewertung unserer Hilfe zu {ticket}.",
    "fr": "Merci d'avoir évalué notre aide pour {ticket}.",
    "es": "Gracias por valorar nuestra ayuda con {ticket}.",
    "nl": "Bedankt voor uw beoordeling van onze hulp bij {ticket}.",
}
MERGED_NOTICE: Final = {
    "en": "Your request {ticket} is now handled together with {into}; we continue there.",
    "de": "Ihre Anfrage {ticket} wird jetzt zusammen mit {into} bearbeitet; wir machen dort weiter.",
    "fr": "Votre demande {ticket} est désormais traitée avec {into} ; nous poursuivons là-bas.",
    "es": "Su solicitud {ticket} se gestiona ahora junto con {into}; continuamos allí.",
    "nl": "Uw verzoek {ticket} wordt nu samen met {into} behandeld; we gaan daar verder.",
}
_SCORE = re.compile(r"^\s*([1-5])\s*(?:/\s*5)?\s*[.!]?\s*$")
_STARS = re.compile(r"^\s*([★⭐]{1,5})\s*$")


class AlreadyRated(Conflict):
    slug = "ticket-already-rated"
    title = "The ticket is already rated"


class NotRateable(Conflict):
    slug = "ticket-not-rateable"
    title = "The ticket cannot be rated yet"


def score_in(text: str) -> int | None:
    """The 1-5 score in a survey answer ("4", "4/5", a quick reply, stars), None when it is not one."""
    match = _SCORE.match(text)
    if match:
        return int(match.group(1))
    stars = _STARS.match(text)
    return len(stars.group(1)) if stars else None


def driver_actor(user: User | None, user_id: uuid.UUID) -> Actor:
    name = (user.name.strip() or user.email.partition("@")[0]) if user is not None else ""
    return Actor(user_id, "driver", name or "driver")


async def _append(session: AsyncSession, conversation_id: uuid.UUID, **fields: Any) -> ChatMessage:
    position = await session.scalar(
        select(func.coalesce(func.max(ChatMessage.position) + 1, 0)).where(
            ChatMessage.conversation_id == conversation_id
        )
    )
    message = ChatMessage(conversation_id=conversation_id, position=int(position or 0), **fields)
    session.add(message)
    return message


async def reply_in_chat(
    session: AsyncSession, ticket: SupportTicket, message: SupportTicketMessage, now: datetime
) -> AgentReplyEvent | None:
    """Store an agent's public reply in the ticket's conversation (role `agent`); the event to push after the
    commit, or None when the ticket has no conversation."""
    if ticket.conversation_id is None:
        return None
    number = ticket_number(ticket.id)
    await _append(
        session,
        ticket.conversation_id,
        role="agent",
        text=message.text[:4000],
        detail={"ticketId": number, "authorName": message.author_name},
        created_at=now,
    )
    return AgentReplyEvent(
        ticket_id=ticket.id,
        number=number,
        message_id=message.id,
        author_name=message.author_name,
        text=message.text[:3000],
        at=now,
    )


def status_event(ticket: SupportTicket, now: datetime) -> TicketStatusEvent:
    return TicketStatusEvent(ticket_id=ticket.id, number=ticket_number(ticket.id), status=ticket.status, at=now)


async def ask_survey(session: AsyncSession, ticket: SupportTicket, now: datetime) -> SurveyEvent | None:
    """Put the satisfaction question with quick replies 1-5 in the driver's chat (once per solving, never after a
    rating); the event to push after the commit."""
    if ticket.conversation_id is None or ticket.rating is not None or ticket.merged_into_id is not None:
        return None
    number = ticket_number(ticket.id)
    question = SURVEY_QUESTION[language_of(ticket.language)].format(ticket=number)
    await _append(
        session,
        ticket.conversation_id,
        role="assistant",
        text=question,
        intent="survey",
        detail={"quickReplies": [str(n) for n in SCALE], "ticketId": number, "survey": {"ticketId": ticket.id}},
        created_at=now,
    )
    audit.record(session, ticket.id, audit.SYSTEM, "survey_sent", {}, at=now)
    return SurveyEvent(ticket_id=ticket.id, number=number, question=question, scale=list(SCALE))


def rate(
    session: AsyncSession, ticket: SupportTicket, score: int, comment: str | None, actor: Actor, now: datetime
) -> None:
    """Store the driver's rating once (solved or closed tickets only), audited."""
    if ticket.rating is not None:
        raise AlreadyRated(f"Ticket {ticket_number(ticket.id)} is already rated; a rating is given once.")
    if ticket.status not in ("solved", "closed") or ticket.merged_into_id is not None:
        raise NotRateable(f"Ticket {ticket_number(ticket.id)} can be rated once it is solved.")
    if not 1 <= score <= 5:
        raise InvalidInput([FieldError("score", "a whole number from 1 to 5")])
    ticket.rating = score
    ticket.rating_comment = comment.strip()[:2000] if comment and comment.strip() else None
    ticket.rated_at = now
    ticket.updated_at = now
    audit.record(session, ticket.id, actor, "rated", {"score": score, "comment": bool(ticket.rating_comment)}, at=now)


async def survey_ticket(session: AsyncSession, conversation_id: uuid.UUID) -> SupportTicket | None:
    """The ticket whose survey is the conversation's last message, when it still waits for a rating."""
    last = (
        await session.execute(
            select(ChatMessage)
            .where(ChatMessage.conversation_id == conversation_id)
            .order_by(ChatMessage.position.desc())
            .limit(1)
        )
    ).scalar_one_or_none()
    survey = (last.detail or {}).get("survey") if last is not None else None
    if not isinstance(survey, dict) or not isinstance(survey.get("ticketId"), int):
        return None
    ticket = await session.get(SupportTicket, survey["ticketId"], with_for_update=True)
    if ticket is None or ticket.conversation_id != conversation_id or ticket.rating is not None:
        return None
    return ticket


def merged_notice(ticket: SupportTicket, into_id: int) -> str:
    """What the driver reads on a ticket merged into another, in their language."""
    text = MERGED_NOTICE[language_of(ticket.language)]
    return text.format(ticket=ticket_number(ticket.id), into=ticket_number(into_id))


def thanks(ticket: SupportTicket) -> str:
    return SURVEY_THANKS[language_of(ticket.language)].format(ticket=ticket_number(ticket.id))


async def active_ticket(session: AsyncSession, conversation_id: uuid.UUID, user_id: uuid.UUID) -> SupportTicket | None:
    """The conversation's ticket still being worked (the latest one), locked for the change."""
    return (
        await session.execute(
            select(SupportTicket)
            .where(
                SupportTicket.conversation_id == conversation_id,
                SupportTicket.user_id == user_id,
                SupportTicket.status.in_(ACTIVE_STATUSES),
            )
            .order_by(SupportTicket.id.desc())
            .limit(1)
            .with_for_update()
        )
    ).scalar_one_or_none()
