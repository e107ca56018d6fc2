"""When the assistant is unsure, it asks one short question with the likeliest problems as quick replies,
instead of saying what it can only help with; a tapped quick reply continues with that problem."""

from __future__ import annotations

import pytest

from chatbot.dialogue import Assistant
from chatbot.intent_model import IntentModel
from chatbot.intents import OUT_OF_SCOPE
from chatbot.recognizer import Recognizer
from tests.unit.chatbot.world import World


@pytest.fixture(scope="module")
def assistant(intent_model: IntentModel) -> Assistant:
    return Assistant(Recognizer(model=intent_model))


async def test_charging_words_without_a_fitting_intent_get_a_question_with_quick_replies(
    assistant: Assistant,
) -> None:
    world = World()
    state = assistant.new_state("en")
    reply = await assistant.respond(state, "something is off with the charging", world)
    assert reply.intent == OUT_OF_SCOPE
    assert reply.confidence < 1.0
    assert 2 <= len(reply.quick_replies) <= 3
    assert "which one" in reply.text.lower()
    assert "only help" not in reply.text.lower()
    follow = await assistant.respond(state, reply.quick_replies[0], world)
    assert follow.intent != OUT_OF_SCOPE
    assert "which one" not in follow.text.lower()


async def test_other_subjects_are_still_declined_plainly(assistant: Assistant) -> None:
    reply = await assistant.respond(assistant.new_state("en"), "what's the weather tomorrow", World())
    assert reply.intent == OUT_OF_SCOPE
    assert "only help" in reply.text.lower()


async def test_a_safety_message_wins_over_everything(assistant: Assistant) -> None:
    world = World()
    reply = await assistant.respond(
        assistant.new_state("en"), "my card was declined and now the plug is sparking", world
    )
    assert reply.intent == "safety_hazard"


def test_the_rules_alone_work_without_a_model() -> None:
    recognizer = Recognizer()
    assert recognizer.model is None
    assert recognizer.classify("the cable is stuck in my car").intent == "cable_stuck"
    assert recognizer.classify("smoke is coming out of the charger").intent == "safety_hazard"
