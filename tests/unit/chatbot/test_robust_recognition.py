"""Recognition that must not depend on how a message is typed or on words it shares with other subjects."""

from __future__ import annotations

import pytest

from chatbot.intents import OUT_OF_SCOPE, SMALL_TALK
from chatbot.recognizer import Recognizer
from chatbot.safety import SafetyNet

ORDINARY = [
    ("session_wont_start", "the charger says error and won't start my session"),
    ("cable_stuck", "my cable is stuck in the car"),
    ("session_wont_start", "Fehler beim Starten der Ladung, zweiter Versuch"),
    ("cable_stuck", "mein Kabel steckt fest"),
    ("session_wont_start", "erreur au démarrage de la charge, je réessaie depuis 10 minutes"),
    ("charger_offline", "la borne est hors service"),
    ("session_wont_start", "error al iniciar la carga, tercer intento"),
    ("payment_failed", "no me deja pagar con la tarjeta"),
    ("session_wont_start", "startfout bij het laden, al twee keer geprobeerd"),
    ("find_charger", "waar is de dichtstbijzijnde laadpaal"),
]


@pytest.mark.parametrize(("intent", "text"), ORDINARY)
def test_a_message_in_capitals_is_understood_like_the_same_message_in_lower_case(
    recognizer: Recognizer, intent: str, text: str
) -> None:
    plain = recognizer.classify(text)
    shouted = recognizer.classify(text.upper())
    assert plain.intent == shouted.intent == intent
    assert shouted.confidence == plain.confidence > 0.5


def test_a_doubted_problem_is_never_a_certain_out_of_scope(recognizer: Recognizer) -> None:
    for text in ("FEHLER schon wieder, dritter Versuch", "ERROR otra vez, ya van 4 intentos", "the thing again"):
        result = recognizer.classify(text)
        if result.intent == OUT_OF_SCOPE and result.options:
            assert result.confidence >= 0.5, text


@pytest.mark.parametrize(
    "text",
    [
        "translate 'thanks a lot' into Spanish",
        "Übersetze 'danke schön' ins Französische",
        "Traduis 'merci beaucoup' en anglais",
        "traduce 'muchas gracias' al italiano",
        "vertaal 'dank je wel' naar het Duits",
    ],
)
def test_a_translation_request_is_no_small_talk(recognizer: Recognizer, text: str) -> None:
    result = recognizer.classify(text)
    assert result.intent not in SMALL_TALK
    assert result.intent == OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "Ik kreeg een schokje toen ik de stekker vastpakte",
        "Hab ein Schlägchen bekommen, als ich den Stecker berührt habe",
        "j'ai pris une petite décharge en touchant la poignée",
        "me dio una descarguita al coger el conector",
        "er zit een kortsluitinkje in de laadpaal",
        "zag een vonkje bij de stekker",
    ],
)
def test_small_shocks_and_sparks_raise_the_alarm(recognizer: Recognizer, text: str) -> None:
    assert recognizer.safety.check(text) is not None
    assert recognizer.classify(text).intent == "safety_hazard"


@pytest.mark.parametrize(
    "text",
    [
        "se me descargó la batería del coche esta noche",
        "la batería de 12V tiene una descarga lenta",
        "batterie déchargée ce matin",
        "Batterie über Nacht entladen",
        "accu leeg na de vakantie",
    ],
)
def test_a_flat_car_battery_is_no_shock(recognizer: Recognizer, text: str) -> None:
    assert recognizer.safety.check(text) is None
    assert recognizer.classify(text).intent != "safety_hazard"


def test_a_shock_from_a_battery_someone_touched_still_raises_the_alarm(recognizer: Recognizer) -> None:
    assert recognizer.safety.check("toqué la batería y me dio una descarga") is not None
    assert SafetyNet().check("I touched the battery terminal and got a shock") is not None


def test_shock_absorbers_are_a_garage_matter_but_a_shock_beside_them_still_counts(recognizer: Recognizer) -> None:
    assert recognizer.safety.check("what does a garage charge for new shock absorbers") is None
    assert recognizer.classify("what does a garage charge for new shock absorbers").intent == OUT_OF_SCOPE
    assert recognizer.safety.check("the post gave me a shock, and the car needs shock absorbers") is not None


@pytest.mark.parametrize(
    "text",
    [
        "how much is a litre of unleaded on the ring road",
        "Was kosten Bremsbeläge für einen Golf?",
        "prix des plaquettes de frein chez Norauto",
        "cuánto vale cambiar el embrague",
        "wat kosten remblokken bij de dealer",
    ],
)
def test_fuel_and_car_repair_prices_are_not_our_prices(recognizer: Recognizer, text: str) -> None:
    assert recognizer.classify(text).intent == OUT_OF_SCOPE


@pytest.mark.parametrize(
    "text",
    [
        "the car never started charging but you debited me anyway",
        "Ladung nie gestartet, trotzdem 9 € abgezogen",
        "ça n'a jamais démarré et vous m'avez prélevé",
        "nunca arrancó la carga y me cobraron igual",
        "laden is nooit gestart maar wel afgeschreven",
    ],
)
def test_money_taken_for_a_session_that_never_started_is_a_dispute(recognizer: Recognizer, text: str) -> None:
    assert recognizer.classify(text).intent == "billing_dispute"


def test_a_kwh_figure_alone_is_no_price_question() -> None:
    rules = Recognizer()
    assert rules.classify("the session only gave me 12 kWh and stopped").intent != "pricing_info"
    assert rules.classify("how much per kWh here").intent == "pricing_info"
