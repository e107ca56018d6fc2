"""`/v1/chat/conversations`: a signed-in driver talks with the troubleshooting assistant."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import FromPath, HeaderParameter, JSONBody

from api.deps import CurrentPrincipal
from api.domain.chat.schemas import ChatReply, ConversationView, PostMessage, StartConversation
from api.domain.chat.services import ChatService
from api.domain.drivers.limits import check_room_for_conversation
from api.security.guards import signed_in

AcceptLanguage = Annotated[str | None, HeaderParameter(name="accept-language", required=False)]


def _chat(state: State) -> ChatService:
    service: ChatService = state.chat
    return service


class ChatController(Controller):
    path = "/v1/chat/conversations"
    tags = ["Assistant"]
    guards = [signed_in]
    security = [{"BearerToken": []}]

    @post("", status_code=201, summary="Start a conversation with the assistant")
    async def start(
        self,
        data: JSONBody[StartConversation],
        principal: CurrentPrincipal,
        state: State,
        accept_language: AcceptLanguage,
    ) -> ConversationView:
        """Answers in the requested language, else the profile's, else Accept-Language's; later replies follow
        the language the driver writes in. 409 `limit-reached` past VOLTWAY_MAX_CONVERSATIONS_PER_DAY."""
        async with state.session_factory() as db_session:
            await check_room_for_conversation(db_session, state.settings, principal.user_id)
        return await _chat(state).start(
            principal.user_id, session_ref=data.session_id, language=data.language, accept_language=accept_language
        )

    @post("/{conversation_id:uuid}/messages", status_code=200, summary="Send a message, or confirm an action")
    async def message(
        self,
        conversation_id: FromPath[uuid.UUID],
        data: JSONBody[PostMessage],
        principal: CurrentPrincipal,
        state: State,
    ) -> ChatReply:
        """`{"text": ...}` or `{"confirmActionId": ...}` (the `proposedAction.id` of the previous reply); any
        other message declines a proposed action. Remote actions run only after that confirmation."""
        return await _chat(state).answer(
            principal.user_id, conversation_id, text=data.text, confirm_action_id=data.confirm_action_id
        )

    @get("/{conversation_id:uuid}", summary="A conversation with all its messages")
    async def show(
        self, conversation_id: FromPath[uuid.UUID], principal: CurrentPrincipal, state: State
    ) -> ConversationView:
        return await _chat(state).show(principal.user_id, conversation_id)
