"""Opening tickets and the response times drivers are promised for each priority."""

from __future__ import annotations

import uuid
from typing import Final

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

from api.db.models import SupportTicket
from chatbot.ports import TicketDraft, TicketRef

EXPECTED_RESPONSE_MINUTES: Final = {"urgent": 15, "high": 60, "normal": 24 * 60}


def ticket_number(ticket_id: int) -> str:
    """What drivers and agents quote: T-000042."""
    return f"T-{ticket_id:06d}"


class SupportService:
    async def open(
        self,
        session: AsyncSession,
        draft: TicketDraft,
        *,
        user_id: uuid.UUID | None,
        conversation_id: uuid.UUID | None,
        charger_id: str | None,
    ) -> TicketRef:
        """Store the ticket (committed at once: a driver told a ticket number must find it) and answer its ref."""
        minutes = EXPECTED_RESPONSE_MINUTES[draft.priority]
        ticket = SupportTicket(
            user_id=user_id,
            conversation_id=conversation_id,
            priority=draft.priority,
            intent=draft.intent,
            confidence=draft.confidence,
            language=draft.language,
            summary=draft.summary[:300],
            charger_id=charger_id,
            transcript=msgspec.to_builtins(list(draft.transcript)),
            diagnostics=msgspec.to_builtins(draft.diagnostics),
            actions_tried=msgspec.to_builtins(list(draft.actions_tried)),
            expected_response_minutes=minutes,
        )
        session.add(ticket)
        await session.commit()
        return TicketRef(ticket_id=ticket_number(ticket.id), priority=draft.priority, expected_response_minutes=minutes)
