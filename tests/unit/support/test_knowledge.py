"""The knowledge base agents browse is the assistant's own, narrowed by symptom and charger make or model."""

from __future__ import annotations

from api.domain.support.knowledge import filtered_book, knowledge_book
from chatbot.knowledge_base import load_knowledge
from chatbot.playbooks import PLAYBOOKS


def test_every_playbook_is_a_symptom_with_its_steps() -> None:
    book = knowledge_book("en")
    assert [symptom.symptom for symptom in book.symptoms] == list(PLAYBOOKS)
    cable = next(symptom for symptom in book.symptoms if symptom.symptom == "cable_stuck")
    assert cable.title == "the cable is stuck"
    assert cable.playbook is not None
    assert "UnlockConnector" in cable.playbook
    assert cable.error_codes == ("ConnectorLockFailure",)


def test_every_error_code_but_no_error_is_listed_in_the_language_asked_for() -> None:
    codes = {entry.code: entry for entry in knowledge_book("fr").error_codes}
    assert set(codes) == set(load_knowledge().error_codes) - {"NoError"}
    assert codes["ConnectorLockFailure"].meaning.startswith("le verrouillage")
    assert codes["GroundFailure"].symptoms[0] == "safety_hazard"


def test_a_symptom_narrows_codes_advice_and_stop_reasons() -> None:
    offline = filtered_book("en", "charger_offline", None)
    assert [symptom.symptom for symptom in offline.symptoms] == ["charger_offline"]
    assert all("charger_offline" in code.symptoms for code in offline.error_codes)
    assert {advice.topic for advice in offline.vendor_advice} == {"offline"}
    assert offline.stop_reasons == ()
    assert filtered_book("en", "charging_stopped", None).stop_reasons


def test_a_make_or_model_keeps_its_advice_and_the_generic_one() -> None:
    alfen = filtered_book("en", "cable_stuck", "Alfen Eve")
    assert {(advice.vendor, advice.model) for advice in alfen.vendor_advice} == {
        ("*", "*"),
        ("alfen", "eve single pro-line"),
    }
    unknown = filtered_book("en", None, "NoSuchMake")
    assert {advice.vendor for advice in unknown.vendor_advice} == {"*"}
    assert unknown.models == knowledge_book("en").models
