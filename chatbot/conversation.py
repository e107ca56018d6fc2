"""What a conversation keeps between turns, the shape of a reply, and the reply being built in one turn.

The state is a plain msgspec Struct, so the caller stores it as JSON between requests.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

import msgspec

from chatbot.knowledge_base import KnowledgeBase
from chatbot.ports import ActionRequest, ActionResult, ChatContext, TicketRef, TranscriptLine


class ProposedAction(msgspec.Struct, frozen=True, kw_only=True):
    """A remote action offered to the driver; it runs only when the driver confirms this id."""

    id: str
    kind: str  # stop-and-unlock, unlock, remote-stop, reset, trigger-status
    label: str
    charger_id: str
    connector_id: int | None = None
    steps: tuple[ActionRequest, ...] = ()
    where: str = ""  # the charger as the driver sees it (station name, EVSE id), for the replies about it
    topic: str | None = None  # the subject it was offered for, and the playbook step, to offer it again later
    step: int = 0


class DialogueState(msgspec.Struct, kw_only=True):
    language: str = "en"
    topic: str | None = None  # the intent being worked on
    step: int = 0  # how far its playbook got
    awaiting: str | None = None  # "charger", "clarify", "followup" or "ticket" (handed over to a person)
    options: list[str] = msgspec.field(default_factory=list)
    charger_id: str | None = None
    connector_id: int | None = None
    session_id: str | None = None
    proposal: ProposedAction | None = None
    misunderstandings: int = 0
    actions: list[ActionResult] = msgspec.field(default_factory=list)
    transcript: list[TranscriptLine] = msgspec.field(default_factory=list)
    ticket: TicketRef | None = None
    confidence: float = 0.0
    expired: ProposedAction | None = None  # the last offer dropped because the driver changed the subject


class Reply(msgspec.Struct, kw_only=True):
    text: str
    intent: str
    confidence: float
    language: str
    quick_replies: list[str] = msgspec.field(default_factory=list)
    proposed_action: ProposedAction | None = None
    performed_actions: list[ActionResult] = msgspec.field(default_factory=list)
    ticket: TicketRef | None = None


@dataclass
class Turn:
    """One reply being put together by the assistant and the playbooks."""

    state: DialogueState
    context: ChatContext
    knowledge: KnowledgeBase
    intent: str
    confidence: float
    parts: list[str] = field(default_factory=list)
    quick_replies: list[str] = field(default_factory=list)
    proposal: ProposedAction | None = None
    performed: list[ActionResult] = field(default_factory=list)
    ticket: TicketRef | None = None

    @property
    def language(self) -> str:
        return self.state.language

    def say(self, key: str, **values: object) -> None:
        text = self.knowledge.text(key, self.language, **values)
        self.parts.append(text[:1].upper() + text[1:])  # a sentence may start with "the charger"

    def offer(self, *keys: str) -> None:
        self.quick_replies.extend(self.knowledge.text(key, self.language) for key in keys)

    def propose(
        self, kind: str, label_key: str, steps: tuple[ActionRequest, ...], *, where: str, connector: str = ""
    ) -> None:
        """Offer a remote action on the charger the driver sees as `where` (its `connector` in words)."""
        first = steps[0]
        label = self.knowledge.text(label_key, self.language)
        if first.connector_id is not None or connector:
            self.say("propose", action=label, charger=where, connector=connector or first.connector_id or 1)
        else:
            self.say("propose_charger", action=label, charger=where)
        self.say("confirm_hint")
        self.proposal = ProposedAction(
            id=secrets.token_hex(8),
            kind=kind,
            label=label,
            charger_id=first.charger_id,
            connector_id=first.connector_id,
            steps=steps,
            where=where,
            topic=self.state.topic,
            step=self.state.step,
        )
        self.offer("qr_yes", "qr_no")

    def propose_again(self, proposal: ProposedAction) -> None:
        """Ask once more about an offer the driver has not answered yet; it keeps its id."""
        self.say("offer_again", action=proposal.label, charger=proposal.where)
        self.proposal = proposal
        self.offer("qr_yes", "qr_no")

    def reply(self) -> Reply:
        return Reply(
            text=" ".join(self.parts),
            intent=self.intent,
            confidence=self.confidence,
            language=self.language,
            quick_replies=self.quick_replies,
            proposed_action=self.proposal,
            performed_actions=self.performed,
            ticket=self.ticket,
        )
