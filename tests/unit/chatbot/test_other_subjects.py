"""Other subjects told with our words are named as such by the rules: electricity rates at home, transit cards,
looking for work. (A refused payment with them is left to the model: the rules' payment words outweigh them.)"""

from __future__ import annotations

import pytest

from chatbot.intents import OUT_OF_SCOPE
from chatbot.recognizer import Recognizer

OTHER_SUBJECTS = [
    "what's the residential rate per kWh from the utility this winter",
    "how much is home power per kWh in Ontario now",
    "my bus pass got declined at the gate this morning",
    "wo kann ich eine Fahrkarte für den Bus kaufen",
    "la carte de transport coûte combien par mois à Charleroi",
    "dónde recargo la tarjeta de transporte en Valencia",
    "was kostet der Strom daheim pro kWh im Vergleich",
    "combien coûte le kWh en tarif résidentiel cet hiver",
    "ik zoek werk als monteur, zijn jullie op zoek naar werk voor mij",
]


@pytest.fixture(scope="module")
def rules_only() -> Recognizer:
    return Recognizer()


@pytest.mark.parametrize("text", OTHER_SUBJECTS)
def test_the_rules_take_another_subject_for_out_of_scope(rules_only: Recognizer, text: str) -> None:
    assert rules_only.classify(text).intent == OUT_OF_SCOPE, text
