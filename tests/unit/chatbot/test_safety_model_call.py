"""The model's call of danger counts only when the message has a sign of one (something hot, loud, smelling,
damaged, wet, a part of the station...): a model once sure of a danger in a traffic jam on a ring road, with
nothing of the kind in it. A device's own charger named as one word ("laptoplader", "Netzteil") is another device:
its heat is not our danger."""

from __future__ import annotations

import pytest

from chatbot.intents import INTENTS
from chatbot.recognizer import MODEL_SAFETY, Recognizer


class SureOfDangerModel:
    """A fake intent model that gives every message the same probabilities, sure of a danger."""

    def probabilities(self, text: str) -> dict[str, float]:
        rest = (1.0 - 0.9) / (len(INTENTS) - 1)
        return {intent: (0.9 if intent == "safety_hazard" else rest) for intent in INTENTS}


@pytest.fixture(scope="module")
def sure_of_danger() -> Recognizer:
    assert MODEL_SAFETY < 0.9
    return Recognizer(model=SureOfDangerModel())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "is er file op de ring van Antwerpen richting Gent?",
        "how long is the queue at the Dartford crossing right now",
        "wie ist die Verkehrslage auf dem Berliner Ring",
        "quel temps fera-t-il demain à Brest ?",
        "cuánto se tarda de Madrid a Toledo por la autovía",
    ],
)
def test_a_sure_model_without_a_sign_of_danger_raises_no_alarm(sure_of_danger: Recognizer, text: str) -> None:
    assert sure_of_danger.classify(text).intent != "safety_hazard"


@pytest.mark.parametrize(
    "text",
    [
        "the handle gets really hot and there's a weird smell near the post",
        "de stekker maakt een raar geluid en is zwart aan de pinnen",
        "am Griff der Säule ist die Isolierung kaputt, man sieht Drähte",
    ],
)
def test_a_sure_model_with_a_sign_of_danger_raises_the_alarm(sure_of_danger: Recognizer, text: str) -> None:
    assert sure_of_danger.classify(text).intent == "safety_hazard"


@pytest.mark.parametrize(
    "text",
    [
        "mijn laptoplader wordt gloeiend heet tijdens het werken, moet ik een nieuwe kopen?",
        "mein Netzteil vom Notebook wird glühend heiß, ist das normal?",
    ],
)
def test_a_devices_own_charger_running_hot_is_not_our_danger(recognizer: Recognizer, text: str) -> None:
    assert recognizer.safety.check(text) is None


def test_our_charger_running_hot_still_is(recognizer: Recognizer) -> None:
    assert recognizer.safety.check("de stekker van de laadpaal wordt gloeiend heet") is not None
