"""Intent recognition: keyword groups found in the message, combined by the weighted rules of intents.toml.

A sentence is never compared as a whole with example sentences: whole-sentence similarity accepts unrelated
text. An intent is recognised only when one of its rules is satisfied, and out-of-scope rules (other devices,
other subjects) compete with ours, so "my phone charges slowly" is not a slow charger.
"""

from __future__ import annotations

import msgspec

from chatbot.intents import DECISIVE, OUT_OF_SCOPE, SMALL_TALK
from chatbot.knowledge_base import KnowledgeBase, load_knowledge
from chatbot.language import detect_language
from chatbot.matching import ConceptMatcher
from chatbot.text import words


class Classification(msgspec.Struct, frozen=True, kw_only=True):
    intent: str
    confidence: float
    language: str
    language_sure: bool
    ranked: tuple[tuple[str, float], ...] = ()
    concepts: frozenset[str] = frozenset()

    @property
    def runner_up(self) -> str | None:
        return self.ranked[1][0] if len(self.ranked) > 1 else None


class Recognizer:
    def __init__(self, knowledge: KnowledgeBase | None = None) -> None:
        self.knowledge = knowledge or load_knowledge()
        self.matcher = ConceptMatcher(
            self.knowledge.lexicon, frozenset().union(*self.knowledge.function_words.values())
        )
        self._top_weight = {intent: max(r.weight for r in rules) for intent, rules in self.knowledge.rules.items()}

    def classify(self, text: str, language: str | None = None) -> Classification:
        tokens = words(text)
        found = self.matcher.find(tokens)
        present = found.concepts.keys()
        bonus = self.knowledge.extra_rule_bonus
        scores: dict[str, float] = {}
        for intent, rules in self.knowledge.rules.items():
            satisfied = [
                rule.weight
                for rule in rules
                if rule.all <= present and not any(concept in present for concept in rule.none)
            ]
            if satisfied:
                scores[intent] = max(satisfied) + bonus * (len(satisfied) - 1)
        ranked = tuple(sorted(scores.items(), key=lambda item: -item[1]))
        detected, sure = detect_language(tokens, found.languages, self.knowledge.function_words)
        if language is not None:
            detected, sure = language, True
        intent, confidence = self._decide(ranked)
        return Classification(
            intent=intent,
            confidence=confidence,
            language=detected,
            language_sure=sure,
            ranked=ranked[:3],
            concepts=frozenset(present),
        )

    def _decide(self, ranked: tuple[tuple[str, float], ...]) -> tuple[str, float]:
        threshold = self.knowledge.accept_threshold
        if not ranked or ranked[0][1] < threshold:
            best = ranked[0][1] if ranked else 0.0
            return OUT_OF_SCOPE, round(1.0 - 0.5 * best / threshold, 3)
        intent, best = ranked[0]
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        strength = min(1.0, best / self._top_weight[intent])
        margin = (best - second) / best
        confidence = (0.55 + 0.4 * strength) * (0.7 + 0.3 * margin)
        return intent, round(min(1.0, max(0.0, confidence)), 3)

    def needs_clarification(self, result: Classification) -> tuple[str, str] | None:
        """The two intents to ask about when the best two are too close to pick one."""
        if len(result.ranked) < 2:
            return None
        (first, best), (second, score) = result.ranked[0], result.ranked[1]
        if {first, second} & (DECISIVE | SMALL_TALK):
            return None
        if score >= self.knowledge.clarify_ratio * best:
            return first, second
        return None
