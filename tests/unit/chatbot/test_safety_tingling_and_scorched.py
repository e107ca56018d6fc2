"""Two more ways drivers report danger without a danger word, in every language and with typos: a tingling or
fizzing felt when touching the station, its handle or its cable ("pins and needles", "kribbelig", "fourmis",
"hormigueo", "tintelen"), and a handle or plug too hot to hold whose pins or contacts changed colour ("toasted",
"angekokelt", "grillés", "tostados", "zwart geblakerd"). A fizzy drink, pins and needles after a long drive or a
toasted sandwich stay quiet."""

from __future__ import annotations

import pytest

from chatbot.recognizer import Recognizer
from chatbot.safety import SafetyNet

TINGLING = [
    # en
    "when I pulled the plug out my palm went fizzy for a bit",
    "leaning on the charger gives me a buzzy feeling in the hand",
    "every time my fingers brush the cable its like pins and needles",
    "my hand was tinglng after I held the connector",  # typo
    "son says the side of the unit makes his fingers prickly",
    # de
    "wenn ich den Griff festhalte wird die Hand ganz kribbelig",
    "an der Säule angelehnt und sofort Ameisenlaufen in den Fingern",
    "beim Anfassen vom Ladekabel prickelt es in der Hand",
    "Finger kribbeln wenn ich den Stecker berühre",
    # fr
    "des picotements dans les doigts quand je tiens le pistolet",
    "ma fille a touché la borne, elle a eu des fourmis dans la main",
    "ça me fourmille dans la main en touchant le câble, des fourmis partout",
    "la poignée me picote la main a chaque fois que je la tiens",
    # es
    "al coger la manguera noto un hormigueo en la mano",
    "mi hijo tocó el poste y dice que le hormiguean los dedos",
    "cosquilleo raro en los dedos cuando toco el conector",
    "toqué la carcasa del cargador y sentí hormigeo en el brazo",  # typo
    # nl
    "mijn vingers tintelen als ik de stekker vasthoud",
    "als je de paal aanraakt prikkelt het in je hand",
    "na het vastpakken van de kabel tintelde mijn hele hand",
    "zoontje raakte de laadpaal en voelde een prikkeling in zijn vingers",
]

SCORCHED = [
    # en
    "the handle was too hot to hold and the contacts are browned",
    "couldnt hold the plug it was that hot, and the pins are toasted",
    "gun too hot to hold, pins look singed at the tips",
    # de
    "der Griff war glühend heiß und die Stifte sind angekokelt",
    "Stecker konnte man nicht anfassen, Kontakte verkokelt",
    # fr
    "la poignée était brûlante, les broches sont grillées",
    "impossible de toucher la prise, les contacts ont l'air grillés",
    # es
    "la pistola quemaba y los pines están tostados",
    "el conector quemaba al cogerlo y las clavijas se ven quemadas",
    # nl
    "de handgreep was gloeiend heet en de pinnen zijn verkleurd",
    "stekker niet aan te raken, contacten zwart geblakerd",
]

QUIET = [
    "stopped for a fizzy drink while the car charged",
    "pins and needles in my legs after four hours of driving, nice to stretch at the charger",
    "grabbed a toasted sandwich at the cafe next to the chargers",
    "Beine kribbelig nach der langen Fahrt, gut dass die Säule am Park steht",
    "des fourmis dans les jambes après 3 heures de route",
    "tengo hormigueo en las piernas de tanto conducir, ¿hay cafetería cerca?",
    "mijn benen tintelen na vier uur rijden, is er een wc bij de laadpaal",
    "hot day today, is the charger at the beach free",
    "the Type 2 pins on my cable look a bit worn, where can I buy a new one",
]


@pytest.mark.parametrize("text", TINGLING + SCORCHED)
def test_tingling_or_scorched_contacts_raise_the_alarm(net: SafetyNet, recognizer: Recognizer, text: str) -> None:
    assert net.check(text) is not None, text
    assert recognizer.classify(text).intent == "safety_hazard", text


@pytest.mark.parametrize("text", QUIET)
def test_ordinary_messages_sharing_the_words_stay_quiet(net: SafetyNet, text: str) -> None:
    assert net.check(text) is None, text
