"""The knowledge base as shipped: complete for OCPP error codes, intents and languages, and read as data."""

from __future__ import annotations

from chatbot.intents import INTENTS, LANGUAGES
from chatbot.knowledge_base import load_knowledge
from chatbot.recognizer import Recognizer

OCPP16_ERROR_CODES = {
    "ConnectorLockFailure",
    "EVCommunicationError",
    "GroundFailure",
    "HighTemperature",
    "InternalError",
    "LocalListConflict",
    "NoError",
    "OtherError",
    "OverCurrentFailure",
    "OverVoltage",
    "PowerMeterFailure",
    "PowerSwitchFailure",
    "ReaderFailure",
    "ResetFailure",
    "UnderVoltage",
    "WeakSignal",
}


def test_every_ocpp_16_error_code_is_explained_in_every_language() -> None:
    knowledge = load_knowledge()
    assert set(knowledge.error_codes) == OCPP16_ERROR_CODES
    for entry in knowledge.error_codes.values():
        assert set(entry.text) == set(LANGUAGES)
        assert entry.code == "NoError" or entry.ocpp201, entry.code


def test_ocpp_201_problems_map_to_the_same_explanations() -> None:
    knowledge = load_knowledge()
    lock = knowledge.error_code("ConnectorPlugRetentionLock.Problem")
    assert lock is not None
    assert lock.code == "ConnectorLockFailure"
    reader = knowledge.error_code("TokenReader")
    assert reader is not None
    assert reader.code == "ReaderFailure"
    unknown = knowledge.error_code("SomethingNew.Problem")
    assert unknown is not None
    assert unknown.code == "OtherError"


def test_every_intent_has_rules_and_words_for_it_in_every_language() -> None:
    knowledge = load_knowledge()
    assert set(knowledge.rules) == set(INTENTS)
    for intent in INTENTS:
        concepts = {c for rule in knowledge.rules[intent] for c in rule.all}
        for concept in concepts:
            assert set(knowledge.lexicon[concept]) == set(LANGUAGES), (intent, concept)


def test_vendor_advice_falls_back_from_model_to_vendor_to_generic() -> None:
    knowledge = load_knowledge()
    assert "Alfen Eve" in knowledge.vendor_tip("Alfen", "Eve Single Pro-line", "cable_stuck", "en")
    assert "ABB Terra" in knowledge.vendor_tip("ABB", "Terra 54", "cable_stuck", "en")
    assert "Notentriegelung" in knowledge.vendor_tip("Unknown", None, "cable_stuck", "de")


def test_typos_and_unrelated_words_that_look_alike() -> None:
    recognizer = Recognizer()
    assert recognizer.classify("cabel stcuk in the car").intent == "cable_stuck"
    assert recognizer.classify("paymnt refussed").intent == "payment_failed"
    assert recognizer.classify("can you book a table for tonight").intent == "out_of_scope"
    assert recognizer.classify("").intent == "out_of_scope"
    assert recognizer.classify("!!!").intent == "out_of_scope"
