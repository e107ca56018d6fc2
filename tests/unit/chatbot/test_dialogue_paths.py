"""Scripted conversations that used to end in a dead end, in each of the five languages."""

from __future__ import annotations

import pytest

from chatbot.conversation import Reply
from chatbot.dialogue import Assistant
from chatbot.intents import LANGUAGES
from tests.unit.chatbot.test_conversations import Chat, chat
from tests.unit.chatbot.world import World

CABLE_STUCK = {
    "en": "my cable is stuck",
    "de": "mein Kabel steckt fest",
    "fr": "mon câble est bloqué",
    "es": "el cable está atascado",
    "nl": "mijn kabel zit vast",
}
WONT_START = {
    "en": "charging won't start",
    "de": "Ladevorgang startet nicht",
    "fr": "la charge ne démarre pas",
    "es": "la carga no empieza",
    "nl": "het laden start niet",
}
PRICE = {
    "en": "how much does it cost?",
    "de": "was kostet das Laden?",
    "fr": "combien coûte la recharge ?",
    "es": "¿cuánto cuesta cargar?",
    "nl": "wat kost het laden?",
}
YES = {"en": "yes", "de": "Ja, bitte", "fr": "oui", "es": "sí", "nl": "Ja, doe maar"}
FORGOT_CARD = {
    "en": "I forgot my card, can I still charge?",
    "de": "Ich habe meine Karte vergessen, kann ich trotzdem laden?",
    "fr": "J'ai oublié ma carte, je peux quand même charger ?",
    "es": "Olvidé mi tarjeta, ¿puedo cargar igual?",
    "nl": "Ik ben mijn pas vergeten, kan ik toch laden?",
}
GIBBERISH = ("asdfgh", "qwertz uiop", "???")
STATION = "Marktplein"
EVSE_ID = "DE*VWY*E0001*1"


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    return Assistant()


def network() -> World:
    """The driver charges at a charger whose station and printed EVSE id are known (our own id is SIM-00001)."""
    world = World()
    world.charger(
        "SIM-00001",
        connected=True,
        status="Charging",
        vendor="Voltway",
        model="SimCharger",
        station_name=STATION,
        evse_id=EVSE_ID,
        connector_type="CCS",
    )
    world.charging("SIM-00001", station_name=STATION, evse_id=EVSE_ID, connector_type="CCS")
    return world


def text(assistant: Assistant, key: str, language: str, **values: object) -> str:
    return assistant.knowledge.text(key, language, **values)


def quick(assistant: Assistant, language: str, *keys: str) -> list[str]:
    return [text(assistant, key, language) for key in keys]


def no_internal_ids(*replies: Reply) -> None:
    for reply in replies:
        assert "SIM-" not in reply.text, reply.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_more_after_the_hand_over_goes_to_the_open_ticket(assistant: Assistant, language: str) -> None:
    world = network()
    world.answers["unlock"] = "Rejected"  # the unlock does not work: a person has to come
    c = chat(assistant, world, language)
    offer = await c.say(CABLE_STUCK[language])
    failed = await c.confirm(offer)
    assert failed.ticket is not None
    ticket = failed.ticket.ticket_id
    still = text(assistant, "qr_still", language)
    again = await c.say(still)
    assert again.language == language
    assert again.ticket is not None
    assert again.ticket.ticket_id == ticket
    assert ticket in again.text
    assert again.text.startswith(text(assistant, "ticket_added", language, ticket=ticket, eta="")[:12])
    assert again.proposed_action is None  # the checklist does not start over
    more = await c.say("I have been waiting here for 20 minutes")
    assert ticket in more.text
    assert len(world.tickets) == 1
    assert [line.text for _, line in world.ticket_additions] == [still, "I have been waiting here for 20 minutes"]
    assert {number for number, _ in world.ticket_additions} == {ticket}
    assert [r.kind for r in world.sent] == ["remote-stop", "unlock"]  # nothing sent again
    no_internal_ids(offer, failed, again, more)


async def test_a_closed_ticket_lets_the_conversation_go_on(assistant: Assistant) -> None:
    world = network()
    world.answers["unlock"] = "Rejected"
    c = chat(assistant, world)
    failed = await c.confirm(await c.say("my cable is stuck"))
    assert failed.ticket is not None
    world.closed_tickets.add(failed.ticket.ticket_id)
    again = await c.say("still not working")
    assert world.ticket_additions == []
    assert failed.ticket.ticket_id not in again.text


@pytest.mark.parametrize("language", LANGUAGES)
async def test_gibberish_after_an_offer_asks_again(assistant: Assistant, language: str) -> None:
    world = network()
    c = chat(assistant, world, language)
    offer = await c.say(CABLE_STUCK[language])
    assert offer.proposed_action is not None
    for gibberish in GIBBERISH:
        again = await c.say(gibberish)
        assert again.language == language
        assert again.text.startswith(text(assistant, "not_understood", language))
        assert again.quick_replies == offer.quick_replies == quick(assistant, language, "qr_yes", "qr_no")
        assert again.proposed_action == offer.proposed_action  # the same offer, still open
        assert again.intent == "out_of_scope"  # nothing is claimed for an unreadable message
    assert world.sent == []
    assert world.tickets == []
    done = await c.say(YES[language])
    assert [a.status for a in done.performed_actions] == ["Accepted", "Unlocked"]


@pytest.mark.parametrize("language", LANGUAGES)
async def test_gibberish_later_claims_nothing(assistant: Assistant, language: str) -> None:
    world = network()
    c = chat(assistant, world, language)
    await c.say(CABLE_STUCK[language])
    declined = await c.say(text(assistant, "qr_no", language))
    assert declined.text.startswith(text(assistant, "declined", language))
    exhausted = text(assistant, "exhausted", language)
    for gibberish in GIBBERISH:
        reply = await c.say(gibberish)
        assert exhausted not in reply.text
        assert reply.text.startswith(text(assistant, "not_understood", language))
        assert reply.quick_replies == quick(assistant, language, "qr_worked", "qr_still", "qr_human")
        assert reply.intent == "out_of_scope"
        assert reply.ticket is None
    assert world.sent == []
    assert world.tickets == []


async def test_gibberish_at_the_start_gets_answers_to_tap(assistant: Assistant) -> None:
    world = World()
    c = chat(assistant, world)
    for gibberish in GIBBERISH:
        reply = await c.say(gibberish)
        assert reply.text.startswith("Sorry, I didn't get that.")
        assert reply.quick_replies == ["Charging won't start", "My cable is stuck", "Talk to a person"]
        assert reply.ticket is None
    tapped = await c.say(reply.quick_replies[1])
    assert tapped.intent == "cable_stuck"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_confirming_an_expired_offer_explains_and_offers_again(assistant: Assistant, language: str) -> None:
    world = network()
    c = chat(assistant, world, language)
    offer = await c.say(CABLE_STUCK[language])
    assert offer.proposed_action is not None
    price = await c.say(PRICE[language])
    assert price.intent == "pricing_info"
    late = await c.confirm(offer)
    assert late.language == language
    label = offer.proposed_action.label
    assert late.text.startswith(text(assistant, "offer_expired", language, action=label))
    assert text(assistant, "declined", language) not in late.text
    assert late.performed_actions == []
    assert world.sent == []
    assert late.proposed_action is not None  # still stuck and still charging: the same help is offered anew
    assert late.proposed_action.kind == "stop-and-unlock"
    assert late.proposed_action.id != offer.proposed_action.id
    done = await c.confirm(late)
    assert [a.status for a in done.performed_actions] == ["Accepted", "Unlocked"]


async def test_an_expired_offer_that_no_longer_applies_is_not_offered_again(assistant: Assistant) -> None:
    world = network()
    c = chat(assistant, world)
    offer = await c.say("my cable is stuck")
    await c.say("how much does it cost?")
    world.charger("SIM-00001", connected=False, status="Charging", station_name=STATION, evse_id=EVSE_ID)
    late = await c.confirm(offer)
    assert "expired" in late.text
    assert "offline" in late.text
    assert late.proposed_action is None
    assert world.sent == []


@pytest.mark.parametrize("language", LANGUAGES)
async def test_chargers_are_named_as_the_driver_sees_them(assistant: Assistant, language: str) -> None:
    world = network()
    c = chat(assistant, world, language)
    offer = await c.say(CABLE_STUCK[language])
    assert f"{STATION}, {EVSE_ID}" in offer.text
    assert "CCS" in offer.text
    done = await c.confirm(offer)
    assert f"{STATION}, {EVSE_ID}" in done.text
    assert offer.proposed_action is not None
    assert offer.proposed_action.where == f"{STATION}, {EVSE_ID}"
    no_internal_ids(offer, done)


async def test_a_charger_without_a_printed_id_is_just_the_charger(assistant: Assistant) -> None:
    world = World()
    world.charger("SIM-00002", connected=False, last_seen=None)
    world.charging("SIM-00002")
    reply = await chat(assistant, world).say("the charger is offline")
    assert reply.text.startswith("The charger is offline")
    no_internal_ids(reply)


@pytest.mark.parametrize("language", LANGUAGES)
async def test_no_card_with_me_gets_the_ways_to_pay(assistant: Assistant, language: str) -> None:
    world = World()
    reply = await chat(assistant, world, language).say(FORGOT_CARD[language])
    assert reply.language == language
    assert reply.intent == "rfid_card"
    assert reply.text.startswith(text(assistant, "ways_to_pay", language))
    assert "QR" in reply.text
    assert "RFID" in reply.text
    assert "app" in reply.text.lower()
    assert world.tickets == []


FOLLOW_UPS = [
    ("en", "still nothing"),
    ("en", "and now?"),
    ("en", "same problem"),
    ("de", "noch immer nicht"),
    ("fr", "toujours rien"),
    ("es", "sigue igual"),
    ("nl", "nog steeds niks"),
    *((language, None) for language in LANGUAGES),  # the "Still not working" quick reply
]


@pytest.mark.parametrize(("language", "follow_up"), FOLLOW_UPS)
async def test_follow_ups_continue_the_current_topic(
    assistant: Assistant, language: str, follow_up: str | None
) -> None:
    world = World()
    world.charger("SIM-00004", connected=True, status="Available", station_name=STATION, evse_id=EVSE_ID)
    world.charging("SIM-00004")
    c = chat(assistant, world, language)
    first = await c.say(WONT_START[language])
    assert first.intent == "session_wont_start"
    assert first.text.startswith(text(assistant, "start_available", language))
    nxt = await c.say(follow_up or text(assistant, "qr_still", language))
    assert nxt.intent == "session_wont_start"
    assert nxt.language == language
    assert nxt.text.startswith(text(assistant, "start_retry", language))  # the playbook's next step
    assert nxt.proposed_action is not None
    assert nxt.proposed_action.kind == "trigger-status"
    last = await c.say(follow_up or text(assistant, "qr_still", language))  # declines the offer, asks again
    assert last.proposed_action is None or last.proposed_action == nxt.proposed_action
    assert world.tickets == []


async def test_a_follow_up_without_a_topic_asks_what_is_wrong(assistant: Assistant) -> None:
    reply = await chat(assistant, World()).say("still nothing")
    assert reply.text.startswith("What isn't working?")
    assert "Talk to a person" in reply.quick_replies


async def _follow(c: Chat, *lines: str) -> list[Reply]:
    return [await c.say(line) for line in lines]


async def test_follow_ups_walk_the_playbook_to_a_person(assistant: Assistant) -> None:
    world = World()
    world.charger("SIM-00005", connected=True, status="Charging", station_name=STATION, evse_id=EVSE_ID)
    world.charging("SIM-00005", power_kw=20.0)
    c = chat(assistant, world)
    first, second, third = await _follow(c, "charging is very slow", "still nothing", "same problem")
    assert first.intent == second.intent == "charging_slow"
    assert second.ticket is not None  # its one step did not help: a person takes over
    assert third.ticket == second.ticket
    assert "added this to your ticket" in third.text
    assert len(world.tickets) == 1


async def test_gibberish_when_asked_which_charger_asks_again(assistant: Assistant) -> None:
    world = World()
    world.charger("SIM-00006", connected=True, status="Finishing", station_name=STATION, evse_id=EVSE_ID)
    c = chat(assistant, world)
    asked = await c.say("my cable is stuck")
    assert "Which charger" in asked.text
    assert "SIM-" not in asked.text
    for gibberish in GIBBERISH:
        again = await c.say(gibberish)
        assert again.text.startswith("Sorry, I didn't get that. Which charger")
        assert again.ticket is None
    found = await c.say(EVSE_ID.lower())
    assert found.proposed_action is not None
    assert found.proposed_action.charger_id == "SIM-00006"
    assert world.tickets == []


async def test_a_new_question_with_follow_up_words_is_answered_as_asked(assistant: Assistant) -> None:
    reply = await chat(assistant, World()).say("the charger is not working")
    assert reply.intent == "charger_offline"


async def test_gibberish_after_a_clarifying_question_asks_it_again(assistant: Assistant) -> None:
    c = chat(assistant, World())
    asked = await c.say("charging stopped and now the connector is stuck")
    assert len(asked.quick_replies) == 2
    again = await c.say("asdfgh")
    assert again.text.startswith("Sorry, I didn't get that.")
    assert again.quick_replies == asked.quick_replies
    assert again.ticket is None
