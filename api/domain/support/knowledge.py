"""`GET /v1/support/knowledge`: the assistant's knowledge base for support staff, by symptom and charger model.

Agents answer the cases the assistant handed over; they see what it knows (error codes, the playbook it followed,
advice per charger make) so that they neither repeat its steps nor contradict it. Everything is read through the
chatbot's own loaders, so the page and the assistant never disagree.
"""

from __future__ import annotations

import functools
from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter

from api.errors import FieldError, InvalidInput
from api.openapi_contract import problems
from api.schema import FrozenAppStruct
from api.security.guards import staff_only
from chatbot.intents import LANGUAGES
from chatbot.knowledge_base import ErrorCode, KnowledgeBase, load_knowledge
from chatbot.playbooks import PLAYBOOKS

# Vendor advice topics are named after what the assistant looks up; the symptom is the intent that looks it up.
_TOPIC_SYMPTOMS = {"cable_stuck": "cable_stuck", "offline": "charger_offline"}


class Symptom(FrozenAppStruct, frozen=True, kw_only=True):
    symptom: str
    title: str
    playbook: str | None  # what the assistant checks and offers, step by step
    error_codes: tuple[str, ...]


class ErrorCodeEntry(FrozenAppStruct, frozen=True, kw_only=True):
    code: str
    ocpp201: tuple[str, ...]
    severity: str
    remote_fix: str
    meaning: str
    symptoms: tuple[str, ...]


class VendorAdvice(FrozenAppStruct, frozen=True, kw_only=True):
    vendor: str
    model: str
    topic: str
    symptom: str | None
    advice: str


class StopReason(FrozenAppStruct, frozen=True, kw_only=True):
    reason: str
    meaning: str


class ChargerModel(FrozenAppStruct, frozen=True, kw_only=True):
    vendor: str
    model: str


class KnowledgeBook(FrozenAppStruct, frozen=True, kw_only=True):
    language: str
    symptoms: tuple[Symptom, ...]
    error_codes: tuple[ErrorCodeEntry, ...]
    vendor_advice: tuple[VendorAdvice, ...]
    stop_reasons: tuple[StopReason, ...]
    models: tuple[ChargerModel, ...]  # the makes and models the advice names, for a filter


def code_symptoms(entry: ErrorCode) -> tuple[str, ...]:
    """The symptoms a driver reports when a charger shows this error, as the playbooks read it."""
    found: list[str] = []
    if entry.severity == "safety":
        found.append("safety_hazard")
    if entry.remote_fix == "unlock":
        found.append("cable_stuck")
    if entry.severity in {"fault", "degraded"}:
        found += ["session_wont_start", "charging_stopped"]
    if entry.severity == "degraded":
        found.append("charging_slow")
    if entry.remote_fix == "reset":
        found.append("charger_offline")
    return tuple(dict.fromkeys(found))


def _title(knowledge: KnowledgeBase, symptom: str, language: str) -> str:
    texts = knowledge.replies.get(f"intent_{symptom}")
    if texts is None:
        return symptom.replace("_", " ")
    return texts.get(language) or texts["en"]


def _playbook(symptom: str) -> str | None:
    doc = PLAYBOOKS[symptom].__doc__
    return " ".join(doc.split()) if doc else None


@functools.cache
def knowledge_book(language: str) -> KnowledgeBook:
    """The whole book in one language (the knowledge is read once per process and never changes)."""
    knowledge = load_knowledge()
    codes = tuple(
        ErrorCodeEntry(
            code=entry.code,
            ocpp201=entry.ocpp201,
            severity=entry.severity,
            remote_fix=entry.remote_fix,
            meaning=entry.text.get(language) or entry.text["en"],
            symptoms=code_symptoms(entry),
        )
        for entry in knowledge.error_codes.values()
        if entry.code != "NoError"
    )
    symptoms = tuple(
        Symptom(
            symptom=name,
            title=_title(knowledge, name, language),
            playbook=_playbook(name),
            error_codes=tuple(code.code for code in codes if name in code.symptoms),
        )
        for name in PLAYBOOKS
    )
    advice = tuple(
        VendorAdvice(
            vendor=vendor,
            model=model,
            topic=topic,
            symptom=_TOPIC_SYMPTOMS.get(topic, topic if topic in PLAYBOOKS else None),
            advice=texts.get(language) or texts.get("en", ""),
        )
        for (vendor, model), tips in knowledge.vendors.items()
        for topic, texts in tips.items()
    )
    reasons = tuple(
        StopReason(reason=reason, meaning=texts.get(language) or texts["en"])
        for reason, texts in knowledge.stop_reasons.items()
    )
    models = tuple(ChargerModel(vendor=vendor, model=model) for vendor, model in knowledge.vendors if vendor != "*")
    return KnowledgeBook(
        language=language,
        symptoms=symptoms,
        error_codes=codes,
        vendor_advice=advice,
        stop_reasons=reasons,
        models=models,
    )


def _matches_model(advice: VendorAdvice, wanted: str) -> bool:
    """Generic advice (vendor "*") always applies; otherwise the words asked for appear in the make or model."""
    if advice.vendor == "*":
        return True
    names = f"{advice.vendor} {advice.model}"
    return all(word in names for word in wanted.split())


def filtered_book(language: str, symptom: str | None, model: str | None) -> KnowledgeBook:
    """The book narrowed to one symptom and one charger make or model (either may be omitted)."""
    book = knowledge_book(language)
    symptoms = book.symptoms
    codes = book.error_codes
    advice = book.vendor_advice
    reasons = book.stop_reasons
    if symptom:
        symptoms = tuple(entry for entry in symptoms if entry.symptom == symptom)
        codes = tuple(entry for entry in codes if symptom in entry.symptoms)
        advice = tuple(entry for entry in advice if entry.symptom == symptom)
        reasons = reasons if symptom == "charging_stopped" else ()
    if model:
        wanted = model.strip().lower()
        advice = tuple(entry for entry in advice if _matches_model(entry, wanted))
    return KnowledgeBook(
        language=language,
        symptoms=symptoms,
        error_codes=codes,
        vendor_advice=advice,
        stop_reasons=reasons,
        models=book.models,
    )


class KnowledgeController(Controller):
    path = "/v1/support/knowledge"
    tags = ["Support"]
    guards = [staff_only]
    security = [{"BearerToken": []}]

    @get(
        "",
        summary="The assistant's knowledge base: error codes, playbooks, advice per charger model",
        responses=problems(422),
    )
    async def knowledge(
        self,
        symptom: Annotated[
            str | None, Parameter(required=False, description="an intent with a playbook, e.g. cable_stuck")
        ] = None,
        model: Annotated[
            str | None, Parameter(required=False, max_length=100, description="words of the charger's make or model")
        ] = None,
        language: Annotated[str, Parameter(required=False, description="en, de, fr, es or nl")] = "en",
    ) -> KnowledgeBook:
        """Advice for every make (vendor "*") is always included; error codes do not depend on the model."""
        if language not in LANGUAGES:
            raise InvalidInput([FieldError("language", f"one of {', '.join(LANGUAGES)}, not {language!r}", "query")])
        if symptom and symptom not in PLAYBOOKS:
            raise InvalidInput([FieldError("symptom", f"one of {', '.join(PLAYBOOKS)}, not {symptom!r}", "query")])
        return filtered_book(language, symptom or None, model)
