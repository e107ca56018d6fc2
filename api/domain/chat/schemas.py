"""Wire shapes of the assistant API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from api.schema import AppStruct, FreeText


class StartConversation(AppStruct):
    """Both optional: the session the driver opened the chat from, and a language for the first answer."""

    session_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    language: Annotated[str, msgspec.Meta(max_length=16)] | None = None


class PostMessage(AppStruct):
    """Either what the driver typed, or the id of the proposed action they confirm."""

    text: Annotated[FreeText, msgspec.Meta(max_length=2000)] | None = None
    confirm_action_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None


class ProposedActionView(AppStruct):
    id: str
    kind: str
    label: str
    charger_id: str
    connector_id: int | None = None
    charger_label: str = ""  # the charger as the driver sees it: station name and the EVSE id printed on it


class PerformedActionView(AppStruct):
    kind: str
    charger_id: str
    connector_id: int | None
    ok: bool
    status: str
    detail: str = ""


class ChatReply(AppStruct):
    text: str
    intent: str
    confidence: float
    language: str
    quick_replies: list[str]
    proposed_action: ProposedActionView | None
    performed_actions: list[PerformedActionView]
    ticket_id: str | None
    expected_response_minutes: int | None = None


class MessageView(AppStruct):
    role: str
    text: str
    at: datetime
    intent: str | None = None
    confidence: float | None = None
    quick_replies: list[str] = msgspec.field(default_factory=list)
    proposed_action: ProposedActionView | None = None
    performed_actions: list[PerformedActionView] = msgspec.field(default_factory=list)
    ticket_id: str | None = None
    author_name: str | None = None  # the agent who wrote a `role: agent` message


class ConversationView(AppStruct):
    id: uuid.UUID
    language: str
    created_at: datetime
    ticket_id: str | None
    messages: list[MessageView]
