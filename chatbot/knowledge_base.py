"""Reads the knowledge base (TOML files shipped inside the package) into typed values, once per process."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from chatbot.intents import INTENTS, LANGUAGES
from chatbot.text import fold


class KnowledgeError(Exception):
    """A knowledge file is missing something the assistant relies on."""


@dataclass(frozen=True, slots=True)
class Rule:
    all: frozenset[str]
    none: frozenset[str]
    weight: float


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """An OCPP 1.6 ChargePointErrorCode, its OCPP 2.0.1 equivalents and what it means for a driver."""

    code: str
    ocpp201: tuple[str, ...]
    severity: str
    remote_fix: str  # "reset", "unlock", "none"
    text: dict[str, str]


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    lexicon: dict[str, dict[str, list[str]]]
    rules: dict[str, tuple[Rule, ...]]
    accept_threshold: float
    clarify_ratio: float
    extra_rule_bonus: float
    function_words: dict[str, frozenset[str]]
    replies: dict[str, dict[str, str]]
    error_codes: dict[str, ErrorCode]
    vendors: dict[tuple[str, str], dict[str, dict[str, str]]]
    stop_reasons: dict[str, dict[str, str]]

    def text(self, key: str, language: str, **values: object) -> str:
        """A reply in the driver's language (English when a translation is missing), with its blanks filled."""
        entry = self.replies.get(key)
        if entry is None:
            raise KnowledgeError(f"no reply text {key!r}")
        template = entry.get(language) or entry["en"]
        return template.format(**values) if values else template

    def error_code(self, reported: str | None) -> ErrorCode | None:
        """The 1.6 code or a 2.0.1 component problem (``Component.Variable`` or the component alone)."""
        if not reported:
            return None
        if reported in self.error_codes:
            return self.error_codes[reported]
        for entry in self.error_codes.values():
            if reported in entry.ocpp201 or any(reported == name.split(".")[0] for name in entry.ocpp201):
                return entry
        return self.error_codes.get("OtherError")

    def vendor_tip(self, vendor: str | None, model: str | None, topic: str, language: str) -> str:
        """Advice for this charger make on a topic: the model's, else the vendor's, else the generic one."""
        for key in ((vendor or "", model or ""), (vendor or "", "*"), ("*", "*")):
            tips = self.vendors.get((key[0].lower(), key[1].lower()))
            if tips and topic in tips:
                texts = tips[topic]
                return texts.get(language) or texts.get("en", "")
        return ""


def _read(name: str) -> dict[str, Any]:
    data = resources.files("chatbot.knowledge").joinpath(name).read_bytes()
    return tomllib.loads(data.decode("utf-8"))


def _by_language(table: dict[str, Any], where: str) -> dict[str, str]:
    missing = [language for language in LANGUAGES if language not in table]
    if missing:
        raise KnowledgeError(f"{where}: no text for {', '.join(missing)}")
    return {language: str(table[language]) for language in LANGUAGES}


@functools.cache
def load_knowledge() -> KnowledgeBase:
    lexicon = _read("lexicon.toml")
    intents = _read("intents.toml")
    settings = intents["settings"]
    rules: dict[str, tuple[Rule, ...]] = {}
    for intent, body in intents["intent"].items():
        if intent not in INTENTS:
            raise KnowledgeError(f"intents.toml: unknown intent {intent!r}")
        parsed = []
        for rule in body["rules"]:
            concepts = set(rule["all"]) | set(rule.get("none", ()))
            unknown = concepts - set(lexicon)
            if unknown:
                raise KnowledgeError(f"intents.toml: {intent} uses unknown concepts {sorted(unknown)}")
            parsed.append(Rule(frozenset(rule["all"]), frozenset(rule.get("none", ())), float(rule["weight"])))
        rules[intent] = tuple(parsed)
    languages = _read("languages.toml")["words"]
    replies = {key: _by_language(table, f"replies.toml [{key}]") for key, table in _read("replies.toml").items()}
    codes = {
        code: ErrorCode(
            code=code,
            ocpp201=tuple(body.get("ocpp201", ())),
            severity=body["severity"],
            remote_fix=body.get("remote_fix", "none"),
            text=_by_language(body["text"], f"error_codes.toml [{code}]"),
        )
        for code, body in _read("error_codes.toml")["code"].items()
    }
    vendor_file = _read("vendors.toml")
    vendors = {
        (str(entry["vendor"]).lower(), str(entry.get("model", "*")).lower()): {
            topic: {k: str(v) for k, v in texts.items()} for topic, texts in entry["tips"].items()
        }
        for entry in vendor_file["charger"]
    }
    stop_reasons = {
        reason: _by_language(table, f"stop_reasons.toml [{reason}]")
        for reason, table in _read("stop_reasons.toml").items()
    }
    return KnowledgeBase(
        lexicon=lexicon,
        rules=rules,
        accept_threshold=float(settings["accept_threshold"]),
        clarify_ratio=float(settings["clarify_ratio"]),
        extra_rule_bonus=float(settings["extra_rule_bonus"]),
        function_words={language: frozenset(fold(w) for w in ws) for language, ws in languages.items()},
        replies=replies,
        error_codes=codes,
        vendors=vendors,
        stop_reasons=stop_reasons,
    )
