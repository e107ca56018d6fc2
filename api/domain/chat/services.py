"""Conversations with the assistant: start one, answer a message (or a confirmation), show one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.db.models import ChatConversation, ChatMessage, User
from api.db.types import utc_now
from api.domain.chargers.runtime import BridgeRuntime
from api.domain.chat.context import BRIDGE_UNAVAILABLE, CommandSender, DatabaseChatContext
from api.domain.chat.schemas import ChatReply, ConversationView, MessageView, PerformedActionView, ProposedActionView
from api.domain.stations.services import StationService
from api.domain.support.driver_tickets import chat_message_on_ticket, survey_answer
from api.domain.support.publishing import Pending
from api.domain.support.services import SupportService
from api.errors import FieldError, InvalidInput, NotFound
from api.metrics import instruments as metrics
from chatbot.conversation import DialogueState, Reply
from chatbot.dialogue import Assistant
from chatbot.intents import LANGUAGES


def reply_language(profile_locale: str | None, accept_language: str | None, requested: str | None) -> str:
    """The language to answer in until the driver clearly writes in another one.

    An explicit request first, then the profile's locale, then the first supported Accept-Language entry.
    """
    candidates = [
        requested,
        profile_locale,
        *(part.split(";")[0].strip() for part in (accept_language or "").split(",")),
    ]
    for candidate in candidates:
        code = (candidate or "").split("-")[0].split("_")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def _reply_view(reply: Reply) -> ChatReply:
    proposal = reply.proposed_action
    return ChatReply(
        text=reply.text,
        intent=reply.intent,
        confidence=reply.confidence,
        language=reply.language,
        quick_replies=reply.quick_replies,
        proposed_action=ProposedActionView(
            id=proposal.id,
            kind=proposal.kind,
            label=proposal.label,
            charger_id=proposal.charger_id,
            connector_id=proposal.connector_id,
            charger_label=proposal.where,
        )
        if proposal is not None
        else None,
        performed_actions=[
            PerformedActionView(
                kind=a.kind,
                charger_id=a.charger_id,
                connector_id=a.connector_id,
                ok=a.ok,
                status=a.status,
                detail=a.detail,
            )
            for a in reply.performed_actions
        ],
        ticket_id=reply.ticket.ticket_id if reply.ticket is not None else None,
        expected_response_minutes=reply.ticket.expected_response_minutes if reply.ticket is not None else None,
    )


def _message_view(message: ChatMessage) -> MessageView:
    detail = message.detail or {}
    return MessageView(
        role=message.role,
        text=message.text,
        at=message.created_at,
        intent=message.intent,
        confidence=message.confidence,
        quick_replies=list(detail.get("quickReplies", [])),
        proposed_action=msgspec.convert(detail["proposedAction"], ProposedActionView)
        if detail.get("proposedAction")
        else None,
        performed_actions=[msgspec.convert(a, PerformedActionView) for a in detail.get("performedActions", [])],
        ticket_id=detail.get("ticketId"),
        author_name=detail.get("authorName"),
    )


class ChatService:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        stations: StationService,
        support: SupportService,
        bridge: BridgeRuntime | None,
        assistant: Assistant | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.stations = stations
        self.support = support
        self.bridge = bridge
        self.assistant = assistant or Assistant()
        self._send_command: CommandSender | None = bridge.central.send_command if bridge is not None else None
        self._unavailable = BRIDGE_UNAVAILABLE

    def use_commands(self, send_command: CommandSender | None, *, unavailable: str = BRIDGE_UNAVAILABLE) -> None:
        """Send the assistant's remote actions through `send_command` (a process without the bridge, such as the
        terminal chat, relays them to the server holding the charger); without one they end as `unavailable`."""
        self._send_command = send_command
        self._unavailable = unavailable

    def context(self, user_id: uuid.UUID, conversation: ChatConversation) -> DatabaseChatContext:
        return DatabaseChatContext(
            self._session_factory,
            user_id=user_id,
            conversation_id=conversation.id,
            session_ref=conversation.session_ref,
            bridge=self.bridge,
            stations=self.stations,
            support=self.support,
            send_command=self._send_command,
            unavailable=self._unavailable,
        )

    async def start(
        self,
        user_id: uuid.UUID,
        *,
        session_ref: str | None = None,
        language: str | None = None,
        accept_language: str | None = None,
    ) -> ConversationView:
        """A new conversation, opened with a greeting in the driver's language."""
        async with self._session_factory() as session:
            locale = await session.scalar(select(User.locale).where(User.id == user_id))
            state = self.assistant.new_state(reply_language(locale, accept_language, language))
            greeting = self.assistant.knowledge.text("greeting", state.language)
            conversation = ChatConversation(user_id=user_id, language=state.language, session_ref=session_ref, state={})
            session.add(conversation)
            await session.flush()
            session.add(
                ChatMessage(
                    conversation_id=conversation.id, position=0, role="assistant", text=greeting, intent="greeting"
                )
            )
            conversation.state = msgspec.to_builtins(state)
            await session.commit()
            return await self._view(session, conversation)

    async def _own(self, session: AsyncSession, user_id: uuid.UUID, conversation_id: uuid.UUID) -> ChatConversation:
        conversation = await session.get(ChatConversation, conversation_id)
        if conversation is None or conversation.user_id != user_id:
            raise NotFound("No conversation with this id.")
        return conversation

    async def answer(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, *, text: str | None, confirm_action_id: str | None
    ) -> ChatReply:
        """The assistant's reply to one message; both sides are stored with the conversation."""
        if (text is None or not text.strip()) == (confirm_action_id is None):
            raise InvalidInput(
                [FieldError("text", "send either a non-empty text or a confirmActionId")],
            )
        async with self._session_factory() as session:
            conversation = await self._own(session, user_id, conversation_id)
            state = msgspec.convert(conversation.state or {}, DialogueState)
            context = self.context(user_id, conversation)
        if text is not None and confirm_action_id is None:
            rated = await self._survey_answer(user_id, conversation_id, text.strip(), state.language)
            if rated is not None:
                return rated
        ticket_before = state.ticket
        reply = await self.assistant.respond(state, (text or "").strip(), context, confirm_action_id=confirm_action_id)
        opened = reply.ticket if reply.ticket is not None and reply.ticket != ticket_before else None
        metrics.assistant_replied(reply.intent, escalated_with=None if opened is None else opened.priority)
        view = _reply_view(reply)
        async with self._session_factory() as session:
            conversation = await self._own(session, user_id, conversation_id)
            position = await session.scalar(
                select(func.count()).select_from(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
            )
            driver_text = text.strip() if text else f"[confirm {confirm_action_id}]"
            session.add_all(
                [
                    ChatMessage(
                        conversation_id=conversation_id, position=int(position or 0), role="driver", text=driver_text
                    ),
                    ChatMessage(
                        conversation_id=conversation_id,
                        position=int(position or 0) + 1,
                        role="assistant",
                        text=reply.text[:4000],
                        intent=reply.intent,
                        confidence=reply.confidence,
                        detail=msgspec.to_builtins(view),
                    ),
                ]
            )
            conversation.state = msgspec.to_builtins(state)
            conversation.language = state.language
            conversation.updated_at = utc_now()
            await session.commit()
        if opened is None and not context.added_to_ticket and text:
            await self._onto_ticket(user_id, conversation_id, text.strip())
        return view

    async def _survey_answer(
        self, user_id: uuid.UUID, conversation_id: uuid.UUID, text: str, language: str
    ) -> ChatReply | None:
        """A 1-5 answer to the satisfaction survey just asked: stored as the ticket's rating and thanked for."""
        pending = Pending()
        now = utc_now()
        async with self._session_factory() as session:
            answer = await survey_answer(session, conversation_id, user_id, text, pending, now)
            if answer is None:
                return None
            position = await session.scalar(
                select(func.count()).select_from(ChatMessage).where(ChatMessage.conversation_id == conversation_id)
            )
            view = ChatReply(
                text=answer,
                intent="survey",
                confidence=1.0,
                language=language,
                quick_replies=[],
                proposed_action=None,
                performed_actions=[],
                ticket_id=None,
            )
            session.add_all(
                [
                    ChatMessage(conversation_id=conversation_id, position=int(position or 0), role="driver", text=text),
                    ChatMessage(
                        conversation_id=conversation_id,
                        position=int(position or 0) + 1,
                        role="assistant",
                        text=answer,
                        intent="survey",
                        confidence=1.0,
                        detail=msgspec.to_builtins(view),
                    ),
                ]
            )
            await session.commit()
            await pending.publish(session, self.support.feed, now)
        return view

    async def _onto_ticket(self, user_id: uuid.UUID, conversation_id: uuid.UUID, text: str) -> None:
        """While the conversation's ticket is worked, what the driver writes is also a reply on it."""
        pending = Pending()
        now = utc_now()
        async with self._session_factory() as session:
            if await chat_message_on_ticket(session, conversation_id, user_id, text, pending, now) is None:
                return
            await session.commit()
            await pending.publish(session, self.support.feed, now)

    async def show(self, user_id: uuid.UUID, conversation_id: uuid.UUID) -> ConversationView:
        async with self._session_factory() as session:
            return await self._view(session, await self._own(session, user_id, conversation_id))

    async def _view(self, session: AsyncSession, conversation: ChatConversation) -> ConversationView:
        messages: Sequence[ChatMessage] = (
            (
                await session.execute(
                    select(ChatMessage)
                    .where(ChatMessage.conversation_id == conversation.id)
                    .order_by(ChatMessage.position)
                )
            )
            .scalars()
            .all()
        )
        ticket = (conversation.state or {}).get("ticket") or {}
        return ConversationView(
            id=conversation.id,
            language=conversation.language,
            created_at=conversation.created_at,
            ticket_id=ticket.get("ticket_id"),
            messages=[_message_view(m) for m in messages],
        )
