"""`voltway chat`: classify messages in bulk, or hold a driver's conversation in the terminal."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import AsyncExitStack

from sqlalchemy import select

from api.db.models import User
from api.domain.chat.remote import RelayedCommands
from api.services import open_services
from api.settings import Settings
from chatbot.intents import LANGUAGES
from chatbot.ports import NEEDS_SERVER
from chatbot.recognizer import Recognizer

DEMO_DRIVER = "driver@example.com"
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
YES_WORDS = frozenset({"yes", "y", "ja", "oui", "si", "sí", "ok"})


class ChatCommandError(Exception):
    """A readable failure of `voltway chat`."""


def classify_lines(
    lines: Iterable[str], language: str | None = None, recognizer: Recognizer | None = None
) -> Iterator[str]:
    """One JSON line `{"text", "intent", "confidence"}` per non-empty input line (plain text or JSON with `text`)."""
    if language is not None and language not in LANGUAGES:
        raise ChatCommandError(f"--lang must be one of {', '.join(LANGUAGES)}, got {language!r}")
    recognizer = recognizer or Recognizer()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        text = line
        if line.startswith("{"):
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ChatCommandError(f"line {number}: not valid JSON: {exc.msg}") from None
            if not isinstance(value, dict) or not isinstance(value.get("text"), str):
                raise ChatCommandError(f'line {number}: a JSON line needs a "text" string')
            text = value["text"]
        result = recognizer.classify(text, language)
        yield json.dumps({"text": text, "intent": result.intent, "confidence": result.confidence}, ensure_ascii=False)


async def interactive(
    settings: Settings,
    *,
    driver_email: str | None,
    session_ref: str | None,
    read: Callable[[str], str],
    write: Callable[[str], None],
) -> None:
    """A conversation as the given driver against the local database; "yes" confirms a proposed action.

    Remote actions reach the charger through the `voltway serve` process holding it, over the PostgreSQL command
    relay. On SQLite no other process can be reached: the assistant says so plainly and opens no ticket for it.
    """
    email = (driver_email or DEMO_DRIVER).strip().lower()
    async with open_services(settings) as services, AsyncExitStack() as stack:
        async with services.session_factory() as session:
            user_id = await session.scalar(select(User.id).where(User.email == email, User.erased_at.is_(None)))
        if user_id is None:
            raise ChatCommandError(f"no account with the email address {email!r} (try --driver)")
        if settings.is_sqlite:
            services.chat.use_commands(None, unavailable=NEEDS_SERVER)
        else:
            relayed = await stack.enter_async_context(RelayedCommands(settings, services.session_factory))
            services.chat.use_commands(relayed.send_command)
        conversation = await services.chat.start(user_id, session_ref=session_ref)
        write(f"assistant> {conversation.messages[0].text}")
        if settings.is_sqlite:
            write("  (on SQLite, remote actions such as unlocking run only in `voltway serve`, not from here)")
        proposal: str | None = None
        while True:
            try:
                text = read("you> ").strip()
            except EOFError:
                return
            if text.lower() in QUIT_WORDS:
                return
            if not text:
                continue
            confirm = proposal if proposal is not None and text.lower() in YES_WORDS else None
            reply = await services.chat.answer(
                user_id, conversation.id, text=None if confirm else text, confirm_action_id=confirm
            )
            write(f"assistant> {reply.text}")
            for action in reply.performed_actions:
                write(f"  [{action.kind}: {action.status}]")
            if reply.ticket_id:
                write(f"  [ticket {reply.ticket_id}]")
            proposal = reply.proposed_action.id if reply.proposed_action is not None else None
            if proposal is not None:
                write("  (type yes to confirm, anything else to decline)")
            elif reply.quick_replies:
                write("  (" + " | ".join(reply.quick_replies) + ")")
