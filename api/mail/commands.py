"""Reading the outbox from the command line, so a developer without SMTP can open mailed links."""

from __future__ import annotations

from sqlalchemy import select

from api.db.models import MailMessage
from api.services import open_services
from api.settings import Settings


async def list_mail(settings: Settings, *, to: str | None, limit: int) -> str:
    async with open_services(settings) as services, services.session_factory() as session:
        query = select(MailMessage).order_by(MailMessage.created_at.desc()).limit(max(1, limit))
        if to:
            query = query.where(MailMessage.to_address == to.strip().lower())
        messages = list((await session.execute(query)).scalars())
    if not messages:
        return "the outbox is empty\n"
    parts = [
        f"--- {message.created_at:%Y-%m-%d %H:%M:%S} UTC  [{message.status}]\n"
        f"To: {message.to_address}\nSubject: {message.subject}\n\n{message.body}\n"
        for message in reversed(messages)
    ]
    return "\n".join(parts)
