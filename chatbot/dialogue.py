"""The assistant: moves a conversation from one driver message to the next.

A conversation is a small state machine. Between turns it may wait for a charger id (a slot the playbook
needs), for the driver to confirm a proposed remote action, for a choice between two close intents, or for
word on whether the last advice worked. "Talk to a human" and safety messages are handled in any state.
"""

from __future__ import annotations

from chatbot import playbooks
from chatbot.conversation import DialogueState, Reply, Turn
from chatbot.intents import OUT_OF_SCOPE, SMALL_TALK
from chatbot.ports import ChatContext, TranscriptLine
from chatbot.recognizer import Classification, Recognizer

TRANSCRIPT_LIMIT = 60
SHORT_ANSWER_WORDS = 5


class Assistant:
    """Answers one driver message at a time, reading and acting through a `ChatContext`."""

    def __init__(self, recognizer: Recognizer | None = None) -> None:
        self.recognizer = recognizer or Recognizer()
        self.knowledge = self.recognizer.knowledge

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
        if proposal is None or proposal.id != action_id:
            turn.say("declined")
        else:
            await playbooks.perform(turn, proposal)
        reply = turn.reply()
        state.proposal = turn.proposal
        self._remember(state, "assistant", reply.text)
        return reply

    async def _handle(self, turn: Turn, result: Classification, text: str) -> None:
        state = turn.state
        pending, state.proposal = state.proposal, None
        short = len(text.split()) <= SHORT_ANSWER_WORDS
        if result.intent == "safety_hazard":
            state.topic, state.step, state.awaiting = "safety_hazard", 0, None
            state.confidence = result.confidence
            await playbooks.run(turn)
            return
        if result.intent == "human_agent":
            turn.say("human")
            await playbooks.escalate(turn, reason="request")
            return
        if pending is not None and short and "yes" in result.concepts and result.intent in SMALL_TALK | {OUT_OF_SCOPE}:
            turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
            await playbooks.perform(turn, pending)
            return
        if pending is not None and result.intent in SMALL_TALK | {OUT_OF_SCOPE} and short:
            turn.intent, turn.confidence = state.topic or turn.intent, state.confidence
            turn.say("declined")
            turn.offer("qr_still", "qr_human")
            state.awaiting = "followup"
            return
        if state.awaiting == "charger" and state.topic and result.intent not in playbooks.PLAYBOOK_INTENTS:
            await self._fill_charger(turn, text.strip())
            return
        if state.awaiting == "followup" and state.topic:
            if "resolved" in result.concepts or result.intent == "thanks":
                state.awaiting, state.topic = None, None
                state.misunderstandings = 0
                turn.intent = "thanks" if result.intent == "thanks" else turn.intent
                turn.say("resolved")
                return
            if result.intent in (OUT_OF_SCOPE, state.topic) and ({"still", "no"} & result.concepts or short):
                turn.intent, turn.confidence = state.topic, state.confidence
                state.step += 1
                state.awaiting = None
                await playbooks.run(turn)
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
