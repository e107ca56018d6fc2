"""The assistant: moves a conversation from one driver message to the next.

A conversation is a small state machine. Between turns it may wait for a charger id (a slot the playbook
needs), for the driver to confirm a proposed remote action, for a choice between two close intents, for
word on whether the last advice worked, or, after a hand-over, for more to add to the ticket. "Talk to a
human" and safety messages are handled in any state; an unreadable message never counts as an answer.
"""

from __future__ import annotations

from chatbot import playbooks
from chatbot.conversation import DialogueState, ProposedAction, Reply, Turn
from chatbot.intents import OUT_OF_SCOPE, SMALL_TALK
from chatbot.phrases import Cues, Phrases
from chatbot.ports import ChatContext, TranscriptLine
from chatbot.recognizer import Classification, Recognizer

TRANSCRIPT_LIMIT = 60
SHORT_ANSWER_WORDS = 5
PHRASE_CONFIDENCE = 0.9  # a message matching one of the dialogue's own phrases (a missing charge card)


class Assistant:
    """Answers one driver message at a time, reading and acting through a `ChatContext`."""

    def __init__(self, recognizer: Recognizer | None = None) -> None:
        self.recognizer = recognizer or Recognizer()
        self.knowledge = self.recognizer.knowledge
        self.phrases = Phrases(self.knowledge)

    def new_state(self, language: str | None = None) -> DialogueState:
        return DialogueState(language=language if language in self.knowledge.function_words else "en")

    async def respond(
        self,
        state: DialogueState,
        text: str,
        context: ChatContext,
        *,
        confirm_action_id: str | None = None,
    ) -> Reply:
        """The reply to the driver's message (or to their confirmation of a proposed action)."""
        if confirm_action_id is not None:
            return await self._confirm(state, confirm_action_id, context)
        result = self.recognizer.classify(text)
        if result.language_sure:
            state.language = result.language
        self._remember(state, "driver", text)
        turn = Turn(state, context, self.knowledge, result.intent, result.confidence)
        await self._handle(turn, result, text)
        reply = turn.reply()
        state.proposal = turn.proposal
        self._remember(state, "assistant", reply.text)
        return reply

    async def _confirm(self, state: DialogueState, action_id: str, context: ChatContext) -> Reply:
        self._remember(state, "driver", f"[confirmed {action_id}]")
        turn = Turn(state, context, self.knowledge, state.topic or OUT_OF_SCOPE, state.confidence)
        proposal = state.proposal
        state.proposal = None
        expired = state.expired
        if proposal is not None and proposal.id == action_id:
            state.expired = None
            await playbooks.perform(turn, proposal)
        elif expired is not None and expired.id == action_id:
            # an offer made before the driver changed the subject: say so, and offer it again if it still applies
            state.expired = None
            turn.say("offer_expired", action=expired.label)
            if expired.topic in playbooks.PLAYBOOK_INTENTS:
                state.topic, state.step, state.awaiting = expired.topic, expired.step, None
                await playbooks.run(turn)
        else:
            turn.say("declined")
        reply = turn.reply()
        state.proposal = turn.proposal
        self._remember(state, "assistant", reply.text)
        return reply

    async def _handle(self, turn: Turn, result: Classification, text: str) -> None:
        state = turn.state
        pending, state.proposal = state.proposal, None
        short = len(text.split()) <= SHORT_ANSWER_WORDS
        cues = self.phrases.read(text, result)
        if result.intent == "safety_hazard":
            state.topic, state.step, state.awaiting = "safety_hazard", 0, None
            state.confidence = result.confidence
            await playbooks.run(turn)
            return
        if result.intent == "human_agent":
            turn.say("human")
            await playbooks.escalate(turn, reason="request")
            return
        if pending is not None and await self._answer_offer(turn, result, cues, pending, short=short):
            return
        if (
            state.awaiting == "charger"
            and state.topic
            and result.intent not in playbooks.PLAYBOOK_INTENTS
            and not cues.followup
        ):
            if cues.unreadable:  # not a charger id either: ask again rather than search for it
                turn.intent, turn.confidence = OUT_OF_SCOPE, result.confidence
                turn.say("not_understood")
                turn.say("ask_charger")
                return
            await self._fill_charger(turn, text.strip())
            return
        if cues.no_card:
            state.topic, state.step, state.awaiting, state.options = "rfid_card", 0, None, []
            state.confidence = result.confidence if result.intent == "rfid_card" else PHRASE_CONFIDENCE
            state.misunderstandings = 0
            await playbooks.ways_to_pay(turn)
            return
        if state.awaiting == "ticket" and state.ticket is not None and await self._add_to_ticket(turn, result, cues):
            return
        if cues.unreadable:
            self._unreadable(turn, result)
            return
        if cues.followup and (state.topic in playbooks.PLAYBOOK_INTENTS or result.intent == OUT_OF_SCOPE):
            await self._follow_up(turn)
            return
        if state.awaiting == "followup" and state.topic:
            if "resolved" in result.concepts or result.intent == "thanks":
                state.awaiting, state.topic = None, None
                state.misunderstandings = 0
                turn.intent = "thanks" if result.intent == "thanks" else turn.intent
                turn.say("resolved")
                return
            if result.intent in (OUT_OF_SCOPE, state.topic) and {"still", "no"} & result.concepts:
                await self._follow_up(turn)
                return
            if result.intent == OUT_OF_SCOPE and short:
                self._unreadable(turn, result)
                return
        if state.awaiting == "clarify" and result.intent not in state.options and result.intent == OUT_OF_SCOPE:
            turn.say("misunderstood")
            await self._misunderstood(turn)
            return
        # Unsure, or charging words but no intent fits: one short question with the likeliest problems.
        close = self.recognizer.needs_clarification(result)
        if close is not None and state.awaiting != "clarify":
            state.awaiting, state.options = "clarify", list(close)
            labels = [self.knowledge.text(f"intent_{i}", turn.language) for i in close]
            if len(labels) == 2:
                turn.say("clarify", first=labels[0], second=labels[1])
            else:
                turn.say("clarify_three", first=labels[0], second=labels[1], third=labels[2])
            turn.quick_replies.extend(labels)
            return
        if result.intent == OUT_OF_SCOPE:
            await self._misunderstood(turn)
            return
        state.misunderstandings = 0
        if result.intent in SMALL_TALK:
            state.awaiting = None if result.intent != "greeting" else state.awaiting
            turn.say(result.intent)
            return
        state.topic, state.step, state.awaiting, state.options = result.intent, 0, None, []
        state.confidence = result.confidence
        await playbooks.run(turn)

    async def _answer_offer(
        self, turn: Turn, result: Classification, cues: Cues, pending: ProposedAction, *, short: bool
    ) -> bool:
        """The driver's answer to an offered action: yes runs it, no drops it, anything unclear asks again; a new
        subject lets the offer expire (remembered, to explain a late confirmation). True when the turn is done."""
        state = turn.state
        casual = result.intent in SMALL_TALK | {OUT_OF_SCOPE}
        if short and casual and "yes" in result.concepts:
            turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
            await playbooks.perform(turn, pending)
            return True
        if short and casual and ("no" in result.concepts or result.intent in SMALL_TALK) and not cues.followup:
            turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
            turn.say("declined")
            turn.offer("qr_still", "qr_human")
            state.awaiting = "followup"
            return True
        if cues.unreadable or cues.followup or (short and result.intent == OUT_OF_SCOPE and not cues.no_card):
            turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
            if not cues.followup:  # nothing readable: no intent is claimed for it
                turn.intent, turn.confidence = OUT_OF_SCOPE, result.confidence
                turn.say("not_understood")
            turn.propose_again(pending)
            return True
        state.expired = pending
        return False

    async def _add_to_ticket(self, turn: Turn, result: Classification, cues: Cues) -> bool:
        """After the hand-over, more about the same problem goes to the ticket instead of starting over."""
        state = turn.state
        ticket = state.ticket
        assert ticket is not None
        same_subject = result.intent in (OUT_OF_SCOPE, state.topic) or cues.followup
        if cues.unreadable or not same_subject:
            return False
        driver_line = state.transcript[-1]
        added = await turn.context.add_to_ticket(ticket.ticket_id, driver_line)
        if added is None:  # closed meanwhile: the conversation goes on without it
            state.ticket, state.awaiting = None, None
            return False
        turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
        turn.ticket = added
        if "resolved" in result.concepts or result.intent == "thanks":
            state.awaiting = None
            turn.say("resolved")
            return True
        turn.say("ticket_added", ticket=added.ticket_id, eta=playbooks.eta(turn, added.expected_response_minutes))
        return True

    async def _follow_up(self, turn: Turn) -> None:
        """A follow-up ("still nothing"): the next step of the current topic's playbook."""
        state = turn.state
        if state.topic is None or state.topic not in playbooks.PLAYBOOK_INTENTS:
            turn.intent = OUT_OF_SCOPE
            turn.say("followup_no_topic")
            turn.offer("qr_wont_start", "qr_cable_stuck", "qr_human")
            return
        turn.intent, turn.confidence = state.topic, state.confidence
        state.step += 1
        state.awaiting = None
        await playbooks.run(turn)

    def _unreadable(self, turn: Turn, result: Classification) -> None:
        """Nothing to read in the message: say so, and offer the answers that fit where the conversation is."""
        state = turn.state
        turn.intent, turn.confidence = OUT_OF_SCOPE, result.confidence
        turn.say("not_understood")
        if state.awaiting == "followup" and state.topic:
            turn.say("ask_worked")
            turn.offer("qr_worked", "qr_still", "qr_human")
            return
        if state.awaiting == "clarify" and len(state.options) == 2:
            first, second = (self.knowledge.text(f"intent_{i}", turn.language) for i in state.options)
            turn.say("clarify", first=first, second=second)
            turn.quick_replies.extend([first, second])
            return
        turn.say("not_understood_hint")
        turn.offer("qr_wont_start", "qr_cable_stuck", "qr_human")

    async def _misunderstood(self, turn: Turn) -> None:
        state = turn.state
        state.misunderstandings += 1
        turn.intent = OUT_OF_SCOPE
        if state.misunderstandings >= 2:
            turn.say("misunderstood_twice")
            await playbooks.escalate(turn, reason="misunderstood")
            state.misunderstandings = 0
            return
        turn.say("out_of_scope")
        turn.offer("qr_human")

    async def _fill_charger(self, turn: Turn, reference: str) -> None:
        state = turn.state
        turn.intent, turn.confidence = state.topic or OUT_OF_SCOPE, state.confidence
        charger = await turn.context.find_charger(reference)
        if charger is None:
            turn.say("charger_unknown", reference=reference[:40])
            state.misunderstandings += 1
            if state.misunderstandings >= 2:
                await playbooks.escalate(turn, reason="misunderstood")
                state.misunderstandings = 0
            return
        state.misunderstandings = 0
        state.charger_id, state.connector_id, state.awaiting = charger.charger_id, charger.connector_id, None
        await playbooks.run(turn)

    @staticmethod
    def _remember(state: DialogueState, role: str, text: str) -> None:
        state.transcript.append(TranscriptLine(role="driver" if role == "driver" else "assistant", text=text))
        del state.transcript[:-TRANSCRIPT_LIMIT]
